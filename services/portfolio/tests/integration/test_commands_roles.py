"""Every mutation against every role: the allowed ones succeed, the others are FORBIDDEN and
write nothing.

The matrix is built from the schema (`field_roles`), so a new mutation joins it by itself, and
fails until it has a scenario here (a valid call, with what it needs set up first).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from pmo_portfolio.api.schema import schema
from pmo_service.graphql import field_roles
from pmo_service.principal import Role

from tests.platform import graphql_errors

from .conftest import PERIOD, PLAN_OBJECTIVE, RAISE_RISK, Api

Scenario = Callable[[Api], Awaitable[dict[str, Any]]]
ROLES = field_roles(schema)


def document(mutation: str) -> str:
    input_type = f"{mutation[0].upper()}{mutation[1:]}Input"
    return f"mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ id }} }}"


async def _portfolio(api: Api) -> dict[str, Any]:
    portfolio = await api.portfolio(themes=1)
    return {"portfolioId": portfolio["id"]}


async def _initiative(api: Api) -> dict[str, Any]:
    portfolio = await api.portfolio()
    return {"initiativeId": await api.initiative(portfolio["id"])}


async def _retire_theme(api: Api) -> dict[str, Any]:
    portfolio = await api.portfolio(themes=1)
    theme = portfolio["themes"][0]["id"]
    return {"portfolioId": portfolio["id"], "themeId": theme, "reason": "Strategy changed"}


async def _remove_wip_limit(api: Api) -> dict[str, Any]:
    portfolio = await api.portfolio(wip_limits={"READY": 3})
    return {"portfolioId": portfolio["id"], "state": "READY"}


async def _change_themes(api: Api) -> dict[str, Any]:
    portfolio = await api.portfolio(themes=1)
    initiative = await api.initiative(portfolio["id"])
    return {"initiativeId": initiative, "strategicThemeIds": [portfolio["themes"][0]["id"]]}


async def _roam_risk(api: Api) -> dict[str, Any]:
    given = await _initiative(api)
    raised = await api.ok(
        RAISE_RISK, {**given, "title": "Vendor late", "probability": 3, "impact": 4}
    )
    return {**given, "riskId": raised["risks"][0]["id"], "status": "OWNED", "owner": "rita"}


async def _deliver_value(api: Api) -> dict[str, Any]:
    given = await _initiative(api)
    planned = await api.ok(
        PLAN_OBJECTIVE, {**given, "description": "Onboard 100", "plannedBusinessValue": 8}
    )
    return {**given, "objectiveId": planned["objectives"][0]["id"], "actualBusinessValue": 7}


async def _pair(api: Api) -> dict[str, Any]:
    portfolio = await api.portfolio()
    first = await api.initiative(portfolio["id"], "Depends")
    second = await api.initiative(portfolio["id"], "Depended on")
    return {"initiativeId": first, "dependsOnId": second}


async def _declared_pair(api: Api) -> dict[str, Any]:
    pair = await _pair(api)
    await api.ok(
        "mutation($input: DeclareDependencyInput!) { declareDependency(input: $input) { id } }",
        pair,
    )
    return pair


async def _review(api: Api) -> dict[str, Any]:
    portfolio = await api.portfolio()
    return {"reviewId": await api.review(portfolio["id"]), "summary": "Two approved"}


def plus(setup: Scenario, **values: Any) -> Scenario:
    async def scenario(api: Api) -> dict[str, Any]:
        return {**(await setup(api)), **values}

    return scenario


async def _nothing(api: Api) -> dict[str, Any]:
    return {}


SCENARIOS: dict[str, Scenario] = {
    "createPortfolio": plus(_nothing, name="Matrix portfolio", owner="paula"),
    "changePortfolioDetails": plus(_portfolio, name="Renamed", description="d", owner="otto"),
    "addStrategicTheme": plus(_portfolio, name="A new theme", objective="Costs -5 %"),
    "retireStrategicTheme": _retire_theme,
    "setPortfolioBudget": plus(_portfolio, period=PERIOD, amount="1000.00", currency="EUR"),
    "setWipLimit": plus(_portfolio, state="READY", limit=3),
    "removeWipLimit": _remove_wip_limit,
    "setGuardrails": plus(_portfolio, enabled=["BUDGET", "WIP_LIMIT"]),
    "proposeInitiative": plus(_portfolio, title="Matrix idea", owner="olive"),
    "changeInitiativeDetails": plus(_initiative, title="Renamed", hypothesis="h2", owner="otto"),
    "changeInitiativeThemes": _change_themes,
    "moveInitiative": plus(_initiative, toState="REVIEWING"),
    "scoreInitiative": plus(
        _initiative, businessValue=8, timeCriticality=5, riskReduction=3, jobSize=5
    ),
    "recordBusinessCase": plus(
        _initiative,
        mvpCost="10.00",
        estimatedTotalCost="100.00",
        currency="EUR",
        expectedBenefits="More sign-ups",
    ),
    "raiseRisk": plus(_initiative, title="Vendor late", probability=2, impact=5),
    "roamRisk": _roam_risk,
    "planObjective": plus(_initiative, description="Onboard 100", plannedBusinessValue=8),
    "recordDeliveredValue": _deliver_value,
    "declareDependency": _pair,
    "removeDependency": _declared_pair,
    "recordDecision": plus(_initiative, decision="DEFER", rationale="Not this quarter"),
    "schedulePortfolioReview": plus(
        _portfolio, title="Q4 review", scheduledFor="2026-12-01", attendees=["olga"]
    ),
    "concludePortfolioReview": _review,
}

MATRIX = [(mutation, role) for mutation in sorted(ROLES) for role in Role]


def test_every_mutation_names_its_roles_and_has_a_scenario() -> None:
    assert all(roles for roles in ROLES.values()), ROLES
    assert set(ROLES) == set(SCENARIOS)


def test_the_roles_are_the_ones_the_issue_gives() -> None:
    managers = {Role.PORTFOLIO_MANAGER, Role.PMO, Role.ADMIN}
    governors = {Role.PMO, Role.ADMIN}
    governance = {
        "recordDecision",
        "schedulePortfolioReview",
        "concludePortfolioReview",
        "setGuardrails",
    }
    for mutation, roles in ROLES.items():
        assert roles == (governors if mutation in governance else managers), mutation


@pytest.mark.parametrize(("mutation", "role"), MATRIX, ids=[f"{m}-{r}" for m, r in MATRIX])
async def test_mutation_against_role(api: Api, mutation: str, role: Role) -> None:
    variables = {"input": await SCENARIOS[mutation](api)}
    allowed = ROLES[mutation]
    assert allowed is not None
    before = await api.head()

    body = await api.call(document(mutation), variables, role=role.value)

    if role in allowed or role is Role.ADMIN:
        assert not body.get("errors"), body
        assert body["data"][mutation]["id"]
        assert await api.head() > before
    else:
        assert list(graphql_errors(body)) == ["FORBIDDEN"], body
        assert "needs one of the roles" in body["errors"][0]["message"]
        assert body["data"] is None
        assert await api.head() == before
