"""GraphQL documents and builders for the budget, tool and labour tests (through the mutations,
like the conftest's builders)."""

from __future__ import annotations

from typing import Any

from .conftest import Api, tag

BUDGET_FIELDS = (
    "id name kind ownerRef period periodStartsOn periodEndsOn amount currency committed "
    "uncommitted spent remaining version "
    "commitments { initiativeId amount committedBy } "
    "spend { spendId kind initiativeId allocationId week hours amount currency description "
    "spentOn person { id } } "
    "burnPerWeek { week amount } "
    "adjustments { amount reason adjustedBy } "
    "overrides { initiativeId excess currency reason overriddenBy }"
)
TOOL_FIELDS = (
    "id name vendor seats assigned free costPerSeat currency monthlyCost idleCost "
    "utilisationPercent version licences { personId assignedBy }"
)

OPEN_BUDGET = f"""mutation($input: OpenBudgetInput!) {{
  openBudget(input: $input) {{ {BUDGET_FIELDS} }} }}"""
ADJUST_BUDGET = f"""mutation($input: AdjustBudgetInput!) {{
  adjustBudget(input: $input) {{ {BUDGET_FIELDS} }} }}"""
COMMIT_FUNDS = f"""mutation($input: CommitFundsInput!) {{
  commitFunds(input: $input) {{ {BUDGET_FIELDS} }} }}"""
RELEASE_FUNDS = f"""mutation($input: ReleaseFundsInput!) {{
  releaseFunds(input: $input) {{ {BUDGET_FIELDS} }} }}"""
RECORD_EXPENSE = f"""mutation($input: RecordExpenseInput!) {{
  recordExpense(input: $input) {{ {BUDGET_FIELDS} }} }}"""
BUDGET = f"""query($id: ID!) {{ budget(id: $id) {{ {BUDGET_FIELDS} }} }}"""
ACCRUE = """mutation($input: AccrueLabourInput!) { accrueLabour(input: $input) {
  id asOf recorded amount budgetIds
  unfunded { initiativeId allocationId personId teamId week hours amount currency reason } } }"""

REGISTER_TOOL = f"""mutation($input: RegisterToolInput!) {{
  registerTool(input: $input) {{ {TOOL_FIELDS} }} }}"""
CHANGE_SEATS = f"""mutation($input: ChangeToolSeatsInput!) {{
  changeToolSeats(input: $input) {{ {TOOL_FIELDS} }} }}"""
ASSIGN = f"""mutation($input: AssignLicenceInput!) {{
  assignLicence(input: $input) {{ {TOOL_FIELDS} }} }}"""
REVOKE = f"""mutation($input: RevokeLicenceInput!) {{
  revokeLicence(input: $input) {{ {TOOL_FIELDS} }} }}"""
TOOL = f"""query($id: ID!) {{ tool(id: $id) {{ {TOOL_FIELDS} }} }}"""


async def budget(
    api: Api,
    *,
    amount: str = "100000.00",
    period: str = "2026-Q1",
    currency: str = "EUR",
    kind: str = "VALUE_STREAM",
) -> dict[str, Any]:
    """A fresh budget (unique name)."""
    return await api.ok(
        OPEN_BUDGET,
        {
            "name": f"Budget {tag()}",
            "kind": kind,
            "ownerRef": "Payments",
            "period": period,
            "amount": amount,
            "currency": currency,
        },
    )


async def commit(
    api: Api,
    budget_id: str,
    initiative_id: str,
    amount: str,
    *,
    role: str = "resource_manager",
    override: str | None = None,
) -> dict[str, Any]:
    given: dict[str, Any] = {
        "budgetId": budget_id,
        "initiativeId": initiative_id,
        "amount": amount,
    }
    if override is not None:
        given["overrideReason"] = override
    return await api.ok(COMMIT_FUNDS, given, role=role)


async def tool(api: Api, *, seats: int = 10, cost: str = "12.50") -> dict[str, Any]:
    """A fresh tool (unique name)."""
    return await api.ok(
        REGISTER_TOOL,
        {
            "name": f"Tool {tag()}",
            "vendor": "Atlassian",
            "seats": seats,
            "costPerSeat": cost,
            "currency": "EUR",
        },
    )


async def assign(api: Api, tool_id: str, person_id: str) -> dict[str, Any]:
    return await api.ok(ASSIGN, {"toolId": tool_id, "personId": person_id})


async def accrue(api: Api, as_of: str, *, role: str = "resource_manager") -> dict[str, Any]:
    return await api.ok(ACCRUE, {"asOf": as_of}, role=role)
