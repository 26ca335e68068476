"""An initiative's whole life through the subgraph, its audit trail, and what mutations answer."""

from __future__ import annotations

from .conftest import (
    BUSINESS_CASE,
    CREATE_PORTFOLIO,
    DECIDE,
    PERIOD,
    PLAN_OBJECTIVE,
    PROPOSE,
    RAISE_RISK,
    SCHEDULE_REVIEW,
    SCORE,
    SET_BUDGET,
    SET_WIP_LIMIT,
    Api,
)

PAM = {"role": "portfolio_manager", "subject": "pam"}
OLGA = {"role": "pmo", "subject": "olga"}

ROAM = """mutation($input: RoamRiskInput!) {
  roamRisk(input: $input) { id riskExposure risks { id status owner open } } }"""
DELIVER = """mutation($input: RecordDeliveredValueInput!) {
  recordDeliveredValue(input: $input) { id objectives { id actualBusinessValue } } }"""
CONCLUDE = """mutation($input: ConcludePortfolioReviewInput!) {
  concludePortfolioReview(input: $input) { id status summary decisions { kind initiativeId } } }"""
MOVE = """mutation($input: MoveInitiativeInput!) {
  moveInitiative(input: $input) { id state previousState version } }"""
READ = """query($id: ID!) { initiative(id: $id) {
  id title state version strategicThemeIds lastDecision approvedPeriod committedAmount
  wsjf { costOfDelay wsjf } businessCase { estimatedTotalCost currency }
  risks { status } objectives { plannedBusinessValue actualBusinessValue }
  decisions { kind reviewId decidedBy period committedAmount }
  themes { name } } }"""


async def test_an_initiative_from_idea_to_done(api: Api) -> None:
    portfolio = await api.ok(
        CREATE_PORTFOLIO,
        {
            "name": "Digital channels",
            "owner": "pam",
            "description": "Customer-facing digital products",
            "themes": [{"name": "Self-service", "objective": "70 % of requests self-served"}],
        },
        **PAM,
    )
    portfolio_id, theme_id = portfolio["id"], portfolio["themes"][0]["id"]
    await api.ok(
        SET_BUDGET,
        {"portfolioId": portfolio_id, "period": PERIOD, "amount": "250000", "currency": "EUR"},
        **PAM,
    )
    for state, limit in (("READY", 5), ("IMPLEMENTING", 3)):
        await api.ok(
            SET_WIP_LIMIT, {"portfolioId": portfolio_id, "state": state, "limit": limit}, **PAM
        )

    proposed = await api.ok(
        PROPOSE,
        {
            "portfolioId": portfolio_id,
            "title": "Self-service onboarding",
            "owner": "carol",
            "hypothesis": "For new business customers, self-service sign-up cuts onboarding to 1h.",
            "strategicThemeIds": [theme_id],
        },
        **PAM,
    )
    initiative = proposed["id"]
    assert (proposed["state"], proposed["portfolioId"]) == ("FUNNEL", portfolio_id)

    async def move(to_state: str) -> None:
        moved = await api.ok(MOVE, {"initiativeId": initiative, "toState": to_state}, **PAM)
        assert moved["state"] == to_state

    await move("REVIEWING")
    scored = await api.ok(
        SCORE,
        {
            "initiativeId": initiative,
            "businessValue": 13,
            "timeCriticality": 8,
            "riskReduction": 5,
            "jobSize": 8,
            "note": "Top customer complaint",
        },
        **PAM,
    )
    assert scored["wsjf"] == {"costOfDelay": 26, "wsjf": "3.25"}
    await move("ANALYZING")
    await api.ok(
        BUSINESS_CASE,
        {
            "initiativeId": initiative,
            "mvpCost": "40000.00",
            "estimatedTotalCost": "120000.00",
            "currency": "EUR",
            "expectedBenefits": "Onboarding cost -60 %",
            "leadingIndicators": ["self-service sign-ups per week"],
        },
        **PAM,
    )
    review = await api.ok(
        SCHEDULE_REVIEW,
        {
            "portfolioId": portfolio_id,
            "title": "Q4 portfolio review",
            "scheduledFor": "2026-10-01",
            "attendees": ["olga", "pam", "carol"],
        },
        **OLGA,
    )
    approved = await api.ok(
        DECIDE,
        {
            "initiativeId": initiative,
            "decision": "APPROVE",
            "rationale": "Highest WSJF in the funnel, fits the budget",
            "decidedBy": "Portfolio board",
            "reviewId": review["id"],
            "period": PERIOD,
        },
        **OLGA,
    )
    assert (approved["lastDecision"], approved["committedAmount"]) == ("APPROVE", "120000.00")
    await move("READY")
    await move("IMPLEMENTING")

    raised = await api.ok(
        RAISE_RISK,
        {
            "initiativeId": initiative,
            "title": "Identity provider contract late",
            "description": "Legal review pending",
            "probability": 3,
            "impact": 4,
        },
        **PAM,
    )
    assert raised["riskExposure"] == 12
    risk_id = raised["risks"][0]["id"]
    roamed = await api.ok(
        ROAM,
        {
            "initiativeId": initiative,
            "riskId": risk_id,
            "status": "MITIGATED",
            "owner": "rita",
            "notes": "Fallback provider signed",
        },
        **PAM,
    )
    assert roamed["risks"] == [
        {"id": risk_id, "status": "MITIGATED", "owner": "rita", "open": False}
    ]
    assert roamed["riskExposure"] == 0

    planned = await api.ok(
        PLAN_OBJECTIVE,
        {
            "initiativeId": initiative,
            "description": "Self-service sign-up live",
            "plannedBusinessValue": 8,
        },
        **PAM,
    )
    objective_id = planned["objectives"][0]["id"]
    delivered = await api.ok(
        DELIVER,
        {"initiativeId": initiative, "objectiveId": objective_id, "actualBusinessValue": 7},
        **PAM,
    )
    assert delivered["objectives"] == [{"id": objective_id, "actualBusinessValue": 7}]
    await move("DONE")

    concluded = await api.ok(
        CONCLUDE, {"reviewId": review["id"], "summary": "One initiative approved"}, **OLGA
    )
    assert concluded["status"] == "CONCLUDED"
    assert concluded["decisions"] == [{"kind": "APPROVE", "initiativeId": initiative}]

    # The read model tells the whole story ...
    body = await api.call(READ, {"id": initiative}, role="viewer")
    read = body["data"]["initiative"]
    assert read["state"] == "DONE"
    assert read["strategicThemeIds"] == [theme_id]
    assert read["themes"] == [{"name": "Self-service"}]
    assert (read["approvedPeriod"], read["committedAmount"]) == (PERIOD, "120000.00")
    assert read["businessCase"] == {"estimatedTotalCost": "120000.00", "currency": "EUR"}
    assert read["risks"] == [{"status": "MITIGATED"}]
    assert read["objectives"] == [{"plannedBusinessValue": 8, "actualBusinessValue": 7}]
    assert read["decisions"] == [
        {
            "kind": "APPROVE",
            "reviewId": review["id"],
            "decidedBy": "Portfolio board",
            "period": PERIOD,
            "committedAmount": "120000.00",
        }
    ]

    # ... and the audit trail every event of it, in order, with who did it.
    history = await api.history(initiative)
    assert [(e["version"], e["type"], e["actor"]) for e in history] == [
        (1, "InitiativeProposed", "pam"),
        (2, "InitiativeMoved", "pam"),
        (3, "WsjfScored", "pam"),
        (4, "InitiativeMoved", "pam"),
        (5, "LeanBusinessCaseRecorded", "pam"),
        (6, "DecisionRecorded", "olga"),
        (7, "InitiativeMoved", "pam"),
        (8, "InitiativeMoved", "pam"),
        (9, "RiskRaised", "pam"),
        (10, "RiskRoamed", "pam"),
        (11, "ObjectivePlanned", "pam"),
        (12, "ObjectiveValueDelivered", "pam"),
        (13, "InitiativeMoved", "pam"),
    ]
    moves = [
        (e["data"]["from_state"], e["data"]["to_state"]) for e in history if "to_state" in e["data"]
    ]
    assert moves == [
        ("FUNNEL", "REVIEWING"),
        ("REVIEWING", "ANALYZING"),
        ("ANALYZING", "READY"),
        ("READY", "IMPLEMENTING"),
        ("IMPLEMENTING", "DONE"),
    ]
    assert read["version"] == 13


async def test_a_mutation_answers_what_the_next_query_reads(api: Api) -> None:
    portfolio = await api.portfolio(budget="1000.00")
    initiative = await api.analyzing(portfolio["id"])
    selection = "{ id state version lastDecision approvedPeriod committedAmount updatedAt }"
    body = await api.call(
        f"mutation($input: RecordDecisionInput!) {{ recordDecision(input: $input) {selection} }}",
        {
            "input": {
                "initiativeId": initiative,
                "decision": "APPROVE",
                "rationale": "Go",
                "period": PERIOD,
            }
        },
        role="pmo",
    )
    answer = body["data"]["recordDecision"]
    read = await api.call(
        f"query($id: ID!) {{ initiative(id: $id) {selection} }}", {"id": initiative}
    )
    assert answer == read["data"]["initiative"]


async def test_each_mutation_of_one_document_answers_its_own_state(api: Api) -> None:
    """A document with two mutations: the second answer is not the first one's, cached."""
    portfolio = await api.portfolio()
    initiative = await api.initiative(portfolio["id"])
    body = await api.call(
        """mutation($id: ID!) {
          first: scoreInitiative(input: {initiativeId: $id, businessValue: 1, timeCriticality: 1,
                                         riskReduction: 1, jobSize: 1}) { version wsjf { wsjf } }
          second: scoreInitiative(input: {initiativeId: $id, businessValue: 20, timeCriticality: 1,
                                          riskReduction: 1, jobSize: 1}) { version wsjf { wsjf } }
        }""",
        {"id": initiative},
    )
    assert not body.get("errors"), body
    assert body["data"]["first"] == {"version": 2, "wsjf": {"wsjf": "3.00"}}
    assert body["data"]["second"] == {"version": 3, "wsjf": {"wsjf": "22.00"}}


async def test_every_event_carries_actor_roles_and_the_request_correlation_id(api: Api) -> None:
    portfolio = await api.portfolio()
    body = await api.call(
        PROPOSE,
        {"input": {"portfolioId": portfolio["id"], "title": "Traced", "owner": "o"}},
        role="portfolio_manager",
        subject="pam",
        headers={"X-Correlation-Id": "req-7f3a"},
    )
    [stored] = await api.events(body["data"]["proposeInitiative"]["id"])
    assert stored.metadata["actor"] == "pam"
    assert stored.metadata["roles"] == ["portfolio_manager"]
    assert stored.metadata["command"] == "ProposeInitiative"
    assert stored.correlation_id == "req-7f3a"


async def test_without_a_correlation_header_the_trace_id_correlates(api: Api) -> None:
    portfolio = await api.portfolio()
    initiative = await api.initiative(portfolio["id"])
    [stored] = await api.events(initiative)
    assert stored.traceparent is not None
    assert stored.correlation_id == stored.traceparent.split("-")[1]
