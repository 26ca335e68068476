"""The cross-context flow through the gateway: an initiative approved in portfolio becomes demand
in resources (through Kafka), is staffed, accrues labour, shows its allocated capacity, staffing
and spend next to its portfolio fields in one query, and its cancellation in portfolio releases
the allocations and closes the demand in resources. Plus the 100 % rule: refused for a resource
manager, recorded as an override for the PMO.

Portfolio, metrics and resources are served in-process on the session's fresh database and Kafka
namespace; the gateway routes over the checked-in supergraph, as on `make up`.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from pmo_metrics.service import definition as metrics
from pmo_metrics.settings import MetricsSettings
from pmo_portfolio.service import definition as portfolio
from pmo_portfolio.settings import PortfolioSettings
from pmo_resources.service import definition as resources
from pmo_resources.settings import ResourcesSettings

from tests.platform import bearer, graphql_errors, running_platform, wait_for

pytestmark = pytest.mark.e2e
PERIOD = "2026-Q4"
PAM = ("portfolio_manager", "pam.portfolio-manager")
OLGA = ("pmo", "olga.pmo-lead")
RITA = ("resource_manager", "rita.resource-manager")

CREATE_PORTFOLIO = """mutation($input: CreatePortfolioInput!) {
  createPortfolio(input: $input) { id } }"""
SET_BUDGET = """mutation($input: SetPortfolioBudgetInput!) {
  setPortfolioBudget(input: $input) { id } }"""
PROPOSE = (
    """mutation($input: ProposeInitiativeInput!) { proposeInitiative(input: $input) { id } }"""
)
MOVE = """mutation($input: MoveInitiativeInput!) { moveInitiative(input: $input) { id state } }"""
SCORE = """mutation($input: ScoreInitiativeInput!) { scoreInitiative(input: $input) { id } }"""
BUSINESS_CASE = """mutation($input: RecordBusinessCaseInput!) {
  recordBusinessCase(input: $input) { id } }"""
DECIDE = """mutation($input: RecordDecisionInput!) { recordDecision(input: $input) { id state } }"""
ONBOARD = """mutation($input: OnboardPersonInput!) { onboardPerson(input: $input) { id } }"""
REQUEST = """mutation($input: RequestAllocationInput!) {
  requestAllocation(input: $input) { id status } }"""
APPROVE = """mutation($input: ApproveAllocationInput!) { approveAllocation(input: $input) {
  id status approvedBy overrides { personId weeks peakPercent reason overriddenBy } } }"""
OPEN_BUDGET = """mutation($input: OpenBudgetInput!) { openBudget(input: $input) { id } }"""
COMMIT = """mutation($input: CommitFundsInput!) { commitFunds(input: $input) { id committed } }"""
ACCRUE = """mutation($input: AccrueLabourInput!) { accrueLabour(input: $input) { recorded } }"""
DEMAND = """query($id: ID!) { demand(initiativeId: $id) {
  title status closure staffingStatus } }"""
JOINED = """query($id: ID!, $from: Date!, $to: Date!) { initiative(id: $id) {
  title state committedAmount approvedPeriod
  demand { status closure }
  staffingStatus
  allocatedHours(from: $from, to: $to)
  allocatedCapacity(from: $from, to: $to) { hours allocations people }
  spendToDate { amount currency }
  fundsCommitted { amount currency } } }"""
ALLOCATIONS = """query($id: ID!) { allocations(first: 50, filter: {initiativeId: $id}) {
  edges { node { id status releaseCause releasedFrom activeUntil } } } }"""


class Api:
    """GraphQL through the gateway as a (role, subject) with a development JWT."""

    def __init__(self, client: httpx.AsyncClient, settings: PortfolioSettings) -> None:
        self.client = client
        self.settings = settings

    async def call(self, query: str, variables: dict[str, Any], who: tuple[str, str]) -> Any:
        role, subject = who
        response = await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers=bearer(self.settings, role, subject=subject),
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def ok(self, query: str, input: dict[str, Any], who: tuple[str, str]) -> Any:
        body = await self.call(query, {"input": input}, who)
        assert not body.get("errors"), body
        [answer] = body["data"].values()
        return answer

    async def read(self, query: str, **variables: Any) -> Any:
        body = await self.call(query, variables, OLGA)
        assert not body.get("errors"), body
        return body["data"]


@pytest.fixture(scope="module")
async def api(
    portfolio_settings: PortfolioSettings,
    metrics_settings: MetricsSettings,
    resources_settings: ResourcesSettings,
) -> AsyncIterator[Api]:
    services = {
        "portfolio": (portfolio, portfolio_settings),
        "metrics": (metrics, metrics_settings),
        "resources": (resources, resources_settings),
    }
    async with (
        running_platform(services) as running,
        httpx.AsyncClient(base_url=running.gateway, timeout=30) as client,
    ):
        yield Api(client, portfolio_settings)


async def approved_initiative(api: Api, title: str) -> str:
    """An initiative taken through the portfolio kanban to the PMO's approval for PERIOD."""
    created = await api.ok(
        CREATE_PORTFOLIO,
        {"name": f"E2E resources {uuid.uuid4().hex[:8]}", "owner": "pam.portfolio-manager"},
        PAM,
    )
    await api.ok(
        SET_BUDGET,
        {"portfolioId": created["id"], "period": PERIOD, "amount": "500000", "currency": "EUR"},
        PAM,
    )
    proposed = await api.ok(
        PROPOSE, {"portfolioId": created["id"], "title": title, "owner": "carol"}, PAM
    )
    initiative = str(proposed["id"])
    await api.ok(MOVE, {"initiativeId": initiative, "toState": "REVIEWING"}, PAM)
    await api.ok(
        SCORE,
        {
            "initiativeId": initiative,
            "businessValue": 13,
            "timeCriticality": 8,
            "riskReduction": 5,
            "jobSize": 8,
        },
        PAM,
    )
    await api.ok(MOVE, {"initiativeId": initiative, "toState": "ANALYZING"}, PAM)
    await api.ok(
        BUSINESS_CASE,
        {
            "initiativeId": initiative,
            "mvpCost": "40000.00",
            "estimatedTotalCost": "120000.00",
            "currency": "EUR",
            "expectedBenefits": "Onboarding cost -60 %",
            "leadingIndicators": ["sign-ups per week"],
        },
        PAM,
    )
    await api.ok(
        DECIDE,
        {
            "initiativeId": initiative,
            "decision": "APPROVE",
            "rationale": "Top WSJF",
            "period": PERIOD,
        },
        OLGA,
    )
    return initiative


async def person(api: Api, name: str, rate: str) -> str:
    onboarded = await api.ok(
        ONBOARD,
        {
            "name": name,
            "email": f"{name.lower()}.{uuid.uuid4().hex[:8]}@example.com",
            "title": "Engineer",
            "weeklyCapacityHours": "40",
            "costRate": rate,
            "currency": "EUR",
            "startsOn": "2026-01-05",
        },
        RITA,
    )
    return str(onboarded["id"])


async def allocate(
    api: Api, initiative: str, person_id: str, percent: int, starts: str, ends: str
) -> str:
    requested = await api.ok(
        REQUEST,
        {
            "initiativeId": initiative,
            "personId": person_id,
            "startsOn": starts,
            "endsOn": ends,
            "percent": percent,
        },
        PAM,
    )
    assert requested["status"] == "REQUESTED"
    return str(requested["id"])


async def test_approve_staff_accrue_and_cancel_across_portfolio_and_resources(api: Api) -> None:
    initiative = await approved_initiative(api, "Instant card issuing")

    async def demand() -> Any:
        return (await api.read(DEMAND, id=initiative))["demand"]

    line = await wait_for(demand, within=30, what="the approval to become demand in resources")
    assert (line["title"], line["status"], line["staffingStatus"]) == (
        "Instant card issuing",
        "OPEN",
        "UNSTAFFED",
    )

    ada, bo = await person(api, "Ada", "100"), await person(api, "Bo", "80")
    budget = await api.ok(
        OPEN_BUDGET,
        {
            "name": f"Cards {uuid.uuid4().hex[:6]}",
            "kind": "VALUE_STREAM",
            "ownerRef": "Cards",
            "period": PERIOD,
            "amount": "200000",
            "currency": "EUR",
        },
        RITA,
    )
    await api.ok(
        COMMIT, {"budgetId": budget["id"], "initiativeId": initiative, "amount": "90000"}, RITA
    )
    # Monday 5 October to the end of the quarter: whole weeks, in the past.
    mine = [
        await allocate(api, initiative, ada, 50, "2026-10-05", "2026-12-31"),
        await allocate(api, initiative, bo, 25, "2026-10-05", "2026-12-31"),
    ]
    for allocation in mine:
        approved = await api.ok(APPROVE, {"allocationId": allocation}, RITA)
        assert (approved["status"], approved["approvedBy"]) == ("APPROVED", "rita.resource-manager")

    # Four complete weeks before 2026-11-02's week: Ada 4 x 20 h x 100, Bo 4 x 10 h x 80.
    accrued = await api.ok(ACCRUE, {"asOf": "2026-11-02"}, RITA)
    assert accrued["recorded"] == 8

    found = (await api.read(JOINED, id=initiative, **{"from": "2026-10-05", "to": "2026-11-01"}))[
        "initiative"
    ]
    assert (found["title"], found["state"], found["approvedPeriod"]) == (
        "Instant card issuing",
        "ANALYZING",
        PERIOD,
    )
    assert Decimal(found["committedAmount"]) == Decimal("120000")  # portfolio's figure
    assert found["demand"] == {"status": "OPEN", "closure": None}
    assert found["staffingStatus"] == "STAFFED"
    assert Decimal(found["allocatedHours"]) == Decimal(120)
    capacity = found["allocatedCapacity"]
    assert (Decimal(capacity["hours"]), capacity["allocations"], capacity["people"]) == (
        Decimal(120),
        2,
        2,
    )
    [spend] = found["spendToDate"]
    assert (Decimal(spend["amount"]), spend["currency"]) == (Decimal("11200"), "EUR")
    [funds] = found["fundsCommitted"]
    assert Decimal(funds["amount"]) == Decimal("90000")

    # Ada 50 % + 60 % in December: refused for the resource manager, overridden by the PMO.
    over = await allocate(api, initiative, ada, 60, "2026-12-07", "2026-12-18")
    body = await api.call(APPROVE, {"input": {"allocationId": over}}, RITA)
    assert list(graphql_errors(body)) == ["GUARDRAIL_VIOLATION"], body
    message = body["errors"][0]["message"]
    assert "2026-W50" in message, message
    assert "110 %" in message, message
    reason = "Card issuing launch date is fixed by the scheme; Ada's other work waits"
    approved = await api.ok(APPROVE, {"allocationId": over, "overrideReason": reason}, OLGA)
    [override] = approved["overrides"]
    assert (override["personId"], override["reason"], override["overriddenBy"]) == (
        ada,
        reason,
        "olga.pmo-lead",
    )
    assert override["weeks"] == ["2026-W50", "2026-W51"]
    assert Decimal(override["peakPercent"]) == Decimal(110)

    # Cancelled in portfolio: resources releases every allocation and closes the demand.
    cancelled = await api.ok(
        DECIDE,
        {"initiativeId": initiative, "decision": "CANCEL", "rationale": "Scheme dropped it"},
        OLGA,
    )
    assert cancelled["state"] == "CANCELLED"

    async def closed() -> Any:
        line = await demand()
        return line if line["status"] == "CLOSED" else None

    line = await wait_for(closed, within=30, what="the cancellation to close the demand")
    assert (line["closure"], line["staffingStatus"]) == ("INITIATIVE_CANCELLED", "RELEASED")
    edges = (await api.read(ALLOCATIONS, id=initiative))["allocations"]["edges"]
    allocations = {edge["node"]["id"]: edge["node"] for edge in edges}
    assert set(allocations) == {*mine, over}
    assert {a["status"] for a in allocations.values()} == {"RELEASED"}
    assert {a["releaseCause"] for a in allocations.values()} == {"INITIATIVE_CANCELLED"}
    # The running ones from the day after the cancellation, the December one entirely.
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    assert {allocations[a]["releasedFrom"] for a in mine} == {tomorrow}
    assert allocations[over]["activeUntil"] is None

    after = (await api.read(JOINED, id=initiative, **{"from": "2026-10-05", "to": "2026-11-01"}))[
        "initiative"
    ]
    assert (after["state"], after["staffingStatus"]) == ("CANCELLED", "RELEASED")
    assert after["demand"] == {"status": "CLOSED", "closure": "INITIATIVE_CANCELLED"}
    assert after["spendToDate"] == found["spendToDate"], "accrued labour stays spent"
    assert after["fundsCommitted"] == [], "the cancellation freed the funds"
