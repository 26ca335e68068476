"""An initiative's whole life through the gateway, with JWTs: from idea to DONE with its audit
trail, each guardrail refusing with GUARDRAIL_VIOLATION, and a pmo's override recorded.

The portfolio and metrics apps are served in-process on the session's fresh database and Kafka
namespace; the gateway routes over the checked-in supergraph, so the metrics `flowMetrics` field
is joined through `_entities` exactly as on `make up`.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any

import httpx
import pytest
from pmo_metrics.service import definition as metrics
from pmo_metrics.settings import MetricsSettings
from pmo_portfolio.service import definition as portfolio
from pmo_portfolio.settings import PortfolioSettings

from tests.platform import bearer, graphql_errors, running_platform, wait_for

pytestmark = pytest.mark.e2e
PERIOD = "2026-Q4"
PAM = ("portfolio_manager", "pam.portfolio-manager")
OLGA = ("pmo", "olga.pmo-lead")
VERA = ("viewer", "vera.viewer")

INITIATIVE = "id state version lastDecision committedAmount riskExposure"
CREATE_PORTFOLIO = """mutation($input: CreatePortfolioInput!) {
  createPortfolio(input: $input) { id themes { id name } } }"""
SET_BUDGET = """mutation($input: SetPortfolioBudgetInput!) {
  setPortfolioBudget(input: $input) { id budgets { period amount remaining } } }"""
SET_WIP_LIMIT = """mutation($input: SetWipLimitInput!) {
  setWipLimit(input: $input) { id wipLimits { state limit } } }"""
PROPOSE = f"""mutation($input: ProposeInitiativeInput!) {{
  proposeInitiative(input: $input) {{ {INITIATIVE} proposedAt }} }}"""
MOVE = f"""mutation($input: MoveInitiativeInput!) {{
  moveInitiative(input: $input) {{ {INITIATIVE} }} }}"""
SCORE = f"""mutation($input: ScoreInitiativeInput!) {{
  scoreInitiative(input: $input) {{ {INITIATIVE} wsjf {{ costOfDelay wsjf }} }} }}"""
BUSINESS_CASE = f"""mutation($input: RecordBusinessCaseInput!) {{
  recordBusinessCase(input: $input) {{ {INITIATIVE} }} }}"""
DECIDE = f"""mutation($input: RecordDecisionInput!) {{
  recordDecision(input: $input) {{ {INITIATIVE} }} }}"""
SCHEDULE_REVIEW = """mutation($input: SchedulePortfolioReviewInput!) {
  schedulePortfolioReview(input: $input) { id status } }"""
CONCLUDE_REVIEW = """mutation($input: ConcludePortfolioReviewInput!) {
  concludePortfolioReview(input: $input) {
    id status decisions { kind initiativeId decidedBy } } }"""
RAISE_RISK = f"""mutation($input: RaiseRiskInput!) {{
  raiseRisk(input: $input) {{ {INITIATIVE} risks {{ id status exposure }} }} }}"""
ROAM_RISK = f"""mutation($input: RoamRiskInput!) {{
  roamRisk(input: $input) {{ {INITIATIVE} risks {{ id status owner open }} }} }}"""
PLAN_OBJECTIVE = f"""mutation($input: PlanObjectiveInput!) {{
  planObjective(input: $input) {{ {INITIATIVE} objectives {{ id plannedBusinessValue }} }} }}"""
DELIVER_VALUE = f"""mutation($input: RecordDeliveredValueInput!) {{
  recordDeliveredValue(input: $input) {{ {INITIATIVE}
    objectives {{ id plannedBusinessValue actualBusinessValue }} }} }}"""
READ = f"""query($id: ID!) {{ initiative(id: $id) {{ {INITIATIVE} proposedAt
  flowMetrics {{ state proposedAt transitions }} }} }}"""
HISTORY = """query($id: ID!) { initiative(id: $id) {
  history { position version type actor occurredAt recordedAt data } } }"""
OVERRIDES = """query($id: ID!) { portfolio(id: $id) {
  guardrailOverrides { streamId guardrail violation reason overriddenBy } } }"""


@pytest.fixture(scope="module")
async def gateway_url(
    portfolio_settings: PortfolioSettings, metrics_settings: MetricsSettings
) -> AsyncIterator[str]:
    services = {
        "portfolio": (portfolio, portfolio_settings),
        "metrics": (metrics, metrics_settings),
    }
    async with running_platform(services) as running:
        yield running.gateway


class Gateway:
    """GraphQL through the gateway as a (role, subject) with a development JWT."""

    def __init__(self, client: httpx.AsyncClient, settings: PortfolioSettings) -> None:
        self.client = client
        self.settings = settings

    async def call(
        self, query: str, variables: dict[str, Any], who: tuple[str, str] = PAM
    ) -> dict[str, Any]:
        role, subject = who
        response = await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers=bearer(self.settings, role, subject=subject),
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def ok(
        self, query: str, input: dict[str, Any], who: tuple[str, str] = PAM
    ) -> dict[str, Any]:
        body = await self.call(query, {"input": input}, who)
        assert not body.get("errors"), body
        [answer] = body["data"].values()
        assert isinstance(answer, dict)
        return answer

    async def refused(
        self, query: str, input: dict[str, Any], code: str, who: tuple[str, str] = PAM
    ) -> str:
        """Run a command that must be refused with `code`; its message."""
        body = await self.call(query, {"input": input}, who)
        assert list(graphql_errors(body)) == [code], body
        assert body.get("data") is None, body
        message: str = body["errors"][0]["message"]
        return message

    async def read(self, query: str, **variables: Any) -> dict[str, Any]:
        body = await self.call(query, variables, VERA)
        assert not body.get("errors"), body
        data: dict[str, Any] = body["data"]
        return data

    async def version(self, initiative_id: str) -> int:
        found = await self.read(READ, id=initiative_id)
        version: int = found["initiative"]["version"]
        return version

    async def history(self, initiative_id: str) -> list[dict[str, Any]]:
        found = await self.read(HISTORY, id=initiative_id)
        events: list[dict[str, Any]] = found["initiative"]["history"]
        return events

    # --- set-ups ---------------------------------------------------------------------------------

    async def portfolio(
        self, *, budget: str = "250000.00", wip_limits: dict[str, int] | None = None
    ) -> dict[str, Any]:
        created = await self.ok(
            CREATE_PORTFOLIO,
            {
                "name": f"E2E lifecycle {uuid.uuid4().hex[:8]}",
                "owner": "pam.portfolio-manager",
                "description": "Customer-facing digital products",
                "themes": [{"name": "Self-service", "objective": "70 % of requests self-served"}],
            },
        )
        await self.ok(
            SET_BUDGET,
            {"portfolioId": created["id"], "period": PERIOD, "amount": budget, "currency": "EUR"},
        )
        for state, limit in (wip_limits or {}).items():
            await self.ok(
                SET_WIP_LIMIT, {"portfolioId": created["id"], "state": state, "limit": limit}
            )
        return created

    async def propose(self, portfolio_id: str, title: str = "An initiative") -> str:
        proposed = await self.ok(
            PROPOSE, {"portfolioId": portfolio_id, "title": title, "owner": "carol"}
        )
        initiative_id: str = proposed["id"]
        return initiative_id

    async def move(self, initiative_id: str, to_state: str, **extra: Any) -> dict[str, Any]:
        who = extra.pop("who", PAM)
        moved = await self.ok(
            MOVE, {"initiativeId": initiative_id, "toState": to_state, **extra}, who
        )
        assert moved["state"] == to_state
        return moved

    async def score(self, initiative_id: str) -> dict[str, Any]:
        return await self.ok(
            SCORE,
            {
                "initiativeId": initiative_id,
                "businessValue": 13,
                "timeCriticality": 8,
                "riskReduction": 5,
                "jobSize": 8,
                "note": "Top customer complaint",
            },
        )

    async def business_case(self, initiative_id: str, total: str = "120000.00") -> None:
        await self.ok(
            BUSINESS_CASE,
            {
                "initiativeId": initiative_id,
                "mvpCost": "40000.00",
                "estimatedTotalCost": total,
                "currency": "EUR",
                "expectedBenefits": "Onboarding cost -60 %",
                "leadingIndicators": ["self-service sign-ups per week"],
            },
        )


@pytest.fixture
async def gateway(
    gateway_url: str, portfolio_settings: PortfolioSettings
) -> AsyncIterator[Gateway]:
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as client:
        yield Gateway(client, portfolio_settings)


async def test_an_initiative_from_idea_to_done_through_the_gateway(gateway: Gateway) -> None:
    portfolio = await gateway.portfolio(wip_limits={"READY": 5, "IMPLEMENTING": 3})
    proposed = await gateway.ok(
        PROPOSE,
        {
            "portfolioId": portfolio["id"],
            "title": "Self-service onboarding",
            "owner": "carol",
            "hypothesis": "For new business customers, self-service sign-up cuts onboarding to 1h.",
            "strategicThemeIds": [portfolio["themes"][0]["id"]],
        },
    )
    initiative = proposed["id"]
    assert proposed["state"] == "FUNNEL"

    await gateway.move(initiative, "REVIEWING")
    message = await gateway.refused(
        MOVE, {"initiativeId": initiative, "toState": "ANALYZING"}, "GUARDRAIL_VIOLATION"
    )
    assert "guardrail WSJF_BEFORE_ANALYSIS" in message
    scored = await gateway.score(initiative)
    assert scored["wsjf"] == {"costOfDelay": 26, "wsjf": "3.25"}
    await gateway.move(initiative, "ANALYZING")
    message = await gateway.refused(
        MOVE, {"initiativeId": initiative, "toState": "READY"}, "GUARDRAIL_VIOLATION"
    )
    assert "guardrail CASE_AND_APPROVAL_BEFORE_READY" in message
    await gateway.business_case(initiative)

    review = await gateway.ok(
        SCHEDULE_REVIEW,
        {
            "portfolioId": portfolio["id"],
            "title": "Q4 portfolio review",
            "scheduledFor": "2026-12-01",
            "attendees": ["olga.pmo-lead", "pam.portfolio-manager", "carol"],
        },
        OLGA,
    )
    approval = {
        "initiativeId": initiative,
        "decision": "APPROVE",
        "rationale": "Highest WSJF of the funnel, fits the budget",
        "reviewId": review["id"],
        "period": PERIOD,
    }
    # Decisions belong to the pmo: a portfolio manager may not take one.
    await gateway.refused(DECIDE, approval, "FORBIDDEN")
    approved = await gateway.ok(DECIDE, approval, OLGA)
    assert (approved["lastDecision"], approved["committedAmount"]) == ("APPROVE", "120000.00")

    await gateway.move(initiative, "READY")
    await gateway.move(initiative, "IMPLEMENTING")
    raised = await gateway.ok(
        RAISE_RISK,
        {
            "initiativeId": initiative,
            "title": "Identity provider contract late",
            "description": "Legal review pending",
            "probability": 3,
            "impact": 4,
        },
    )
    assert raised["riskExposure"] == 12
    [risk] = raised["risks"]
    roamed = await gateway.ok(
        ROAM_RISK,
        {
            "initiativeId": initiative,
            "riskId": risk["id"],
            "status": "MITIGATED",
            "owner": "rita",
            "notes": "Fallback provider signed",
        },
    )
    assert roamed["risks"] == [
        {"id": risk["id"], "status": "MITIGATED", "owner": "rita", "open": False}
    ]
    assert roamed["riskExposure"] == 0

    planned = await gateway.ok(
        PLAN_OBJECTIVE,
        {
            "initiativeId": initiative,
            "description": "Self-service sign-up live",
            "plannedBusinessValue": 8,
        },
    )
    [objective] = planned["objectives"]
    delivered = await gateway.ok(
        DELIVER_VALUE,
        {"initiativeId": initiative, "objectiveId": objective["id"], "actualBusinessValue": 7},
    )
    assert delivered["objectives"] == [
        {"id": objective["id"], "plannedBusinessValue": 8, "actualBusinessValue": 7}
    ]
    await gateway.move(initiative, "DONE")
    concluded = await gateway.ok(
        CONCLUDE_REVIEW, {"reviewId": review["id"], "summary": "One initiative approved"}, OLGA
    )
    assert concluded["decisions"] == [
        {"kind": "APPROVE", "initiativeId": initiative, "decidedBy": "olga.pmo-lead"}
    ]

    # The audit trail: every event, in order, with who did it and when.
    history = await gateway.history(initiative)
    assert [(e["version"], e["type"], e["actor"]) for e in history] == [
        (1, "InitiativeProposed", "pam.portfolio-manager"),
        (2, "InitiativeMoved", "pam.portfolio-manager"),
        (3, "WsjfScored", "pam.portfolio-manager"),
        (4, "InitiativeMoved", "pam.portfolio-manager"),
        (5, "LeanBusinessCaseRecorded", "pam.portfolio-manager"),
        (6, "DecisionRecorded", "olga.pmo-lead"),
        (7, "InitiativeMoved", "pam.portfolio-manager"),
        (8, "InitiativeMoved", "pam.portfolio-manager"),
        (9, "RiskRaised", "pam.portfolio-manager"),
        (10, "RiskRoamed", "pam.portfolio-manager"),
        (11, "ObjectivePlanned", "pam.portfolio-manager"),
        (12, "ObjectiveValueDelivered", "pam.portfolio-manager"),
        (13, "InitiativeMoved", "pam.portfolio-manager"),
    ]
    positions = [e["position"] for e in history]
    assert positions == sorted(set(positions)), "strictly increasing global positions"
    occurred = [datetime.fromisoformat(e["occurredAt"]) for e in history]
    assert occurred == sorted(occurred)
    assert occurred[0] == datetime.fromisoformat(proposed["proposedAt"])
    assert all(datetime.fromisoformat(e["recordedAt"]) >= occurred[0] for e in history)
    moves = [
        (e["data"]["from_state"], e["data"]["to_state"])
        for e in history
        if e["type"] == "InitiativeMoved"
    ]
    assert moves == [
        ("FUNNEL", "REVIEWING"),
        ("REVIEWING", "ANALYZING"),
        ("ANALYZING", "READY"),
        ("READY", "IMPLEMENTING"),
        ("IMPLEMENTING", "DONE"),
    ]
    assert history[5]["data"]["review_id"] == review["id"]

    # Through the gateway the initiative is DONE, and metrics' field is joined via _entities.
    # Metrics follows the moves from Kafka: wait until it has seen the last one.
    async def joined() -> dict[str, Any] | None:
        found: dict[str, Any] = (await gateway.read(READ, id=initiative))["initiative"]
        flow = found["flowMetrics"]
        return found if flow and flow["state"] == "DONE" else None

    read = await wait_for(joined, what="flowMetrics of the DONE initiative through the gateway")
    assert (read["state"], read["version"]) == ("DONE", 13)
    assert read["flowMetrics"]["transitions"] == len(moves)
    assert datetime.fromisoformat(read["flowMetrics"]["proposedAt"]) == datetime.fromisoformat(
        read["proposedAt"]
    )


async def _wsjf_case(gateway: Gateway) -> tuple[str, str, dict[str, Any]]:
    portfolio = await gateway.portfolio()
    initiative = await gateway.propose(portfolio["id"])
    await gateway.move(initiative, "REVIEWING")
    return portfolio["id"], initiative, {"initiativeId": initiative, "toState": "ANALYZING"}


async def _case_and_approval_case(gateway: Gateway) -> tuple[str, str, dict[str, Any]]:
    portfolio = await gateway.portfolio()
    initiative = await gateway.propose(portfolio["id"])
    await gateway.move(initiative, "REVIEWING")
    await gateway.score(initiative)
    await gateway.move(initiative, "ANALYZING")
    return portfolio["id"], initiative, {"initiativeId": initiative, "toState": "READY"}


async def _wip_limit_case(gateway: Gateway) -> tuple[str, str, dict[str, Any]]:
    portfolio = await gateway.portfolio(wip_limits={"REVIEWING": 1})
    await gateway.move(await gateway.propose(portfolio["id"], "First"), "REVIEWING")
    initiative = await gateway.propose(portfolio["id"], "Second")
    return portfolio["id"], initiative, {"initiativeId": initiative, "toState": "REVIEWING"}


async def _budget_case(gateway: Gateway) -> tuple[str, str, dict[str, Any]]:
    portfolio = await gateway.portfolio(budget="100000.00")
    initiative = await gateway.propose(portfolio["id"])
    await gateway.move(initiative, "REVIEWING")
    await gateway.score(initiative)
    await gateway.move(initiative, "ANALYZING")
    await gateway.business_case(initiative, total="120000.00")
    approval = {
        "initiativeId": initiative,
        "decision": "APPROVE",
        "rationale": "Regulatory deadline",
        "period": PERIOD,
    }
    return portfolio["id"], initiative, approval


Setup = Callable[[Gateway], Awaitable[tuple[str, str, dict[str, Any]]]]
GUARDRAILS: dict[str, tuple[Setup, str, str, str]] = {
    # guardrail: (set-up, command, what the refusal says, the event the override lets through)
    "WSJF_BEFORE_ANALYSIS": (_wsjf_case, MOVE, "only with a WSJF score", "InitiativeMoved"),
    "CASE_AND_APPROVAL_BEFORE_READY": (
        _case_and_approval_case,
        MOVE,
        "it lacks a lean business case and an APPROVE decision",
        "InitiativeMoved",
    ),
    "WIP_LIMIT": (_wip_limit_case, MOVE, "its WIP limit is 1", "InitiativeMoved"),
    "BUDGET": (
        _budget_case,
        DECIDE,
        "commits 120000 EUR in 2026-Q4 but only 100000 EUR of the period's budget remain",
        "DecisionRecorded",
    ),
}


@pytest.mark.parametrize("guardrail", list(GUARDRAILS))
async def test_each_guardrail_refuses_through_the_gateway_and_a_pmo_override_is_recorded(
    gateway: Gateway, guardrail: str
) -> None:
    setup, command, says, allowed_event = GUARDRAILS[guardrail]
    portfolio_id, initiative, input = await setup(gateway)
    # Decisions are the pmo's: the budget guardrail refuses the pmo; the others a manager.
    who = OLGA if command is DECIDE else PAM
    before = await gateway.version(initiative)

    message = await gateway.refused(command, input, "GUARDRAIL_VIOLATION", who)
    assert f"guardrail {guardrail}" in message
    assert says in message
    assert await gateway.version(initiative) == before, "a refusal writes nothing"

    if command is MOVE:  # a portfolio manager may not override
        forbidden = await gateway.refused(
            command, {**input, "overrideReason": "I think it is fine"}, "FORBIDDEN"
        )
        assert "only a pmo or admin may override a guardrail" in forbidden
        assert await gateway.version(initiative) == before

    reason = f"Board decision: {guardrail} waived for the regulatory deadline"
    await gateway.ok(command, {**input, "overrideReason": reason}, OLGA)

    events = (await gateway.history(initiative))[before:]
    assert [(e["type"], e["actor"]) for e in events] == [
        ("GuardrailOverridden", "olga.pmo-lead"),
        (allowed_event, "olga.pmo-lead"),
    ]
    assert (events[0]["data"]["guardrail"], events[0]["data"]["reason"]) == (guardrail, reason)
    assert says in events[0]["data"]["violation"], "the override records what it overrode"
    overrides = (await gateway.read(OVERRIDES, id=portfolio_id))["portfolio"]["guardrailOverrides"]
    assert [(o["streamId"], o["guardrail"], o["reason"], o["overriddenBy"]) for o in overrides] == [
        (initiative, guardrail, reason, "olga.pmo-lead")
    ]
