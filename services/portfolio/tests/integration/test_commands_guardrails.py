"""Each guardrail refuses (GUARDRAIL_VIOLATION, naming the rule, nothing written); a pmo's override
is recorded as an event of the initiative next to the command's own; a portfolio manager's
override is FORBIDDEN; a guardrail turned off no longer refuses."""

from __future__ import annotations

from typing import Any

import pytest

from tests.platform import graphql_errors

from .conftest import DECIDE, MOVE, PERIOD, SET_GUARDRAILS, Api

OVERRIDES = """query($id: ID!) { portfolio(id: $id) {
  guardrailOverrides { streamId guardrail violation reason overriddenBy } } }"""


async def refused(
    api: Api, query: str, input: dict[str, Any], *, role: str = "portfolio_manager"
) -> dict[str, Any]:
    """Run a command that a guardrail must refuse; check it wrote nothing; the error."""
    before = await api.head()
    body = await api.call(query, {"input": input}, role=role)
    assert list(graphql_errors(body)) == ["GUARDRAIL_VIOLATION"], body
    assert body["data"] is None
    assert await api.head() == before
    error: dict[str, Any] = body["errors"][0]
    return error


async def in_reviewing(api: Api, portfolio_id: str) -> str:
    initiative = await api.initiative(portfolio_id)
    await api.move(initiative, "REVIEWING")
    return initiative


async def test_leaving_reviewing_needs_a_wsjf_score(api: Api) -> None:
    portfolio = await api.portfolio()
    initiative = await in_reviewing(api, portfolio["id"])

    error = await refused(api, MOVE, {"initiativeId": initiative, "toState": "ANALYZING"})
    assert "guardrail WSJF_BEFORE_ANALYSIS" in error["message"]
    assert "score it first" in error["message"]

    await api.score(initiative)
    assert (await api.move(initiative, "ANALYZING"))["state"] == "ANALYZING"


async def test_leaving_analyzing_needs_a_business_case_and_an_approval(api: Api) -> None:
    portfolio = await api.portfolio(budget="10000.00")
    initiative = await in_reviewing(api, portfolio["id"])
    await api.score(initiative)
    await api.move(initiative, "ANALYZING")

    error = await refused(api, MOVE, {"initiativeId": initiative, "toState": "READY"})
    assert "guardrail CASE_AND_APPROVAL_BEFORE_READY" in error["message"]
    assert "a lean business case and an APPROVE decision" in error["message"]

    await api.business_case(initiative)
    error = await refused(api, MOVE, {"initiativeId": initiative, "toState": "READY"})
    assert "it lacks an APPROVE decision" in error["message"]

    await api.approve(initiative)
    assert (await api.move(initiative, "READY"))["state"] == "READY"


async def test_a_wip_limit_cannot_be_exceeded(api: Api) -> None:
    portfolio = await api.portfolio(wip_limits={"REVIEWING": 1})
    await in_reviewing(api, portfolio["id"])
    second = await api.initiative(portfolio["id"])

    error = await refused(api, MOVE, {"initiativeId": second, "toState": "REVIEWING"})
    assert "guardrail WIP_LIMIT" in error["message"]
    assert "REVIEWING holds 1 initiatives and its WIP limit is 1" in error["message"]


async def test_resuming_into_a_full_state_is_held_to_the_wip_limit(api: Api) -> None:
    portfolio = await api.portfolio()
    held = await in_reviewing(api, portfolio["id"])
    await api.move(held, "ON_HOLD", reason="Waiting for the vendor")
    await in_reviewing(api, portfolio["id"])
    await api.ok(
        "mutation($input: SetWipLimitInput!) { setWipLimit(input: $input) { id } }",
        {"portfolioId": portfolio["id"], "state": "REVIEWING", "limit": 1},
    )

    error = await refused(api, MOVE, {"initiativeId": held, "toState": "REVIEWING"})
    assert "guardrail WIP_LIMIT" in error["message"]


async def test_an_approval_cannot_commit_more_than_the_remaining_budget(api: Api) -> None:
    portfolio = await api.portfolio(budget="1000.00")
    first = await api.analyzing(portfolio["id"], total="600.00")
    second = await api.analyzing(portfolio["id"], total="500.00")
    await api.approve(first)

    error = await refused(
        api,
        DECIDE,
        {"initiativeId": second, "decision": "APPROVE", "rationale": "Go", "period": PERIOD},
        role="pmo",
    )
    assert "guardrail BUDGET" in error["message"]
    assert (
        "commits 500 EUR in 2026-Q4 but only 400 EUR of the period's budget remain"
        in error["message"]
    )

    # Re-approving the first one replaces its own commitment instead of adding to it.
    assert (await api.approve(first))["committedAmount"] == "600.00"


async def test_an_approval_without_a_budget_for_the_period_is_refused(api: Api) -> None:
    portfolio = await api.portfolio()
    initiative = await api.analyzing(portfolio["id"])
    error = await refused(
        api,
        DECIDE,
        {"initiativeId": initiative, "decision": "APPROVE", "rationale": "Go", "period": PERIOD},
        role="pmo",
    )
    assert "guardrail BUDGET" in error["message"]
    assert f"set the portfolio's budget for {PERIOD} first" in error["message"]


@pytest.mark.parametrize("role", ["pmo", "admin"])
async def test_a_pmo_or_admin_override_is_recorded_with_the_move(api: Api, role: str) -> None:
    portfolio = await api.portfolio(wip_limits={"REVIEWING": 0})
    initiative = await api.initiative(portfolio["id"])

    moved = await api.ok(
        MOVE,
        {
            "initiativeId": initiative,
            "toState": "REVIEWING",
            "overrideReason": "Board asked to review it this week",
        },
        role=role,
        subject=f"{role}-user",
        headers={"X-Correlation-Id": f"override-{role}"},
    )
    assert moved["state"] == "REVIEWING"

    history = await api.history(initiative)
    assert [event["type"] for event in history] == [
        "InitiativeProposed",
        "GuardrailOverridden",
        "InitiativeMoved",
    ]
    overridden = history[1]
    assert overridden["actor"] == f"{role}-user"
    assert overridden["data"]["guardrail"] == "WIP_LIMIT"
    assert overridden["data"]["reason"] == "Board asked to review it this week"
    assert "its WIP limit is 0" in overridden["data"]["violation"]
    # One command, one correlation id: the override and the move it allowed.
    stored = (await api.events(initiative))[1:]
    assert {event.correlation_id for event in stored} == {f"override-{role}"}
    assert {event.metadata["command"] for event in stored} == {"MoveInitiative"}

    body = await api.call(OVERRIDES, {"id": portfolio["id"]}, role="viewer")
    [listed] = body["data"]["portfolio"]["guardrailOverrides"]
    assert (listed["streamId"], listed["guardrail"], listed["overriddenBy"]) == (
        initiative,
        "WIP_LIMIT",
        f"{role}-user",
    )


async def test_a_pmo_overrides_every_rule_a_move_breaks(api: Api) -> None:
    portfolio = await api.portfolio(wip_limits={"ANALYZING": 0})
    initiative = await in_reviewing(api, portfolio["id"])
    await api.move(initiative, "ANALYZING", role="pmo", overrideReason="Urgent regulatory work")
    guardrails = [
        event["data"]["guardrail"]
        for event in await api.history(initiative)
        if event["type"] == "GuardrailOverridden"
    ]
    assert sorted(guardrails) == ["WIP_LIMIT", "WSJF_BEFORE_ANALYSIS"]


async def test_a_budget_override_by_a_pmo_is_recorded_with_the_decision(api: Api) -> None:
    portfolio = await api.portfolio(budget="100.00")
    initiative = await api.analyzing(portfolio["id"], total="400.00")
    approved = await api.approve(initiative, overrideReason="Funded from the innovation reserve")
    assert (approved["lastDecision"], approved["committedAmount"]) == ("APPROVE", "400.00")
    types = [event["type"] for event in await api.history(initiative)]
    assert types[-2:] == ["GuardrailOverridden", "DecisionRecorded"]


async def test_a_portfolio_manager_may_not_override(api: Api) -> None:
    portfolio = await api.portfolio(wip_limits={"REVIEWING": 0})
    initiative = await api.initiative(portfolio["id"])
    before = await api.head()
    body = await api.call(
        MOVE,
        {
            "input": {
                "initiativeId": initiative,
                "toState": "REVIEWING",
                "overrideReason": "I think it is fine",
            }
        },
    )
    assert list(graphql_errors(body)) == ["FORBIDDEN"]
    assert "only a pmo or admin may override a guardrail" in body["errors"][0]["message"]
    assert await api.head() == before


async def test_an_override_reason_without_the_role_is_refused_even_when_nothing_is_broken(
    api: Api,
) -> None:
    portfolio = await api.portfolio()
    initiative = await api.initiative(portfolio["id"])
    before = await api.head()
    body = await api.call(
        MOVE,
        {"input": {"initiativeId": initiative, "toState": "REVIEWING", "overrideReason": "x"}},
    )
    assert list(graphql_errors(body)) == ["FORBIDDEN"]
    assert await api.head() == before


async def test_an_override_without_a_violation_records_no_override(api: Api) -> None:
    portfolio = await api.portfolio()
    initiative = await api.initiative(portfolio["id"])
    await api.move(initiative, "REVIEWING", role="pmo", overrideReason="Just in case")
    assert [e["type"] for e in await api.history(initiative)] == [
        "InitiativeProposed",
        "InitiativeMoved",
    ]


async def test_a_guardrail_turned_off_no_longer_refuses(api: Api) -> None:
    portfolio = await api.portfolio(wip_limits={"REVIEWING": 0})
    initiative = await api.initiative(portfolio["id"])
    changed = await api.ok(
        SET_GUARDRAILS,
        {
            "portfolioId": portfolio["id"],
            "enabled": ["WSJF_BEFORE_ANALYSIS", "CASE_AND_APPROVAL_BEFORE_READY", "BUDGET"],
        },
        role="pmo",
    )
    assert "WIP_LIMIT" not in changed["guardrails"]
    assert (await api.move(initiative, "REVIEWING"))["state"] == "REVIEWING"
