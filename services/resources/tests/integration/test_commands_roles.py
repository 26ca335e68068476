"""Every mutation against every role: the allowed ones succeed, the others are FORBIDDEN and
write nothing.

The matrix is built from the schema (`field_roles`), so a new mutation joins it by itself, and
fails until it has a scenario here (a valid call, with what it needs set up first).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from pmo_resources.api.schema import schema
from pmo_service.graphql import field_roles
from pmo_service.principal import Role

from tests.platform import graphql_errors

from . import allocating, budgeting
from .conftest import START, Api, tag

Scenario = Callable[[Api], Awaitable[dict[str, Any]]]
ROLES = field_roles(schema)
RESOURCE_MANAGERS = frozenset({Role.RESOURCE_MANAGER, Role.PMO, Role.ADMIN})


def document(mutation: str) -> str:
    input_type = f"{mutation[0].upper()}{mutation[1:]}Input"
    return f"mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ id }} }}"


async def _nothing(api: Api) -> dict[str, Any]:
    return {}


async def _onboard(api: Api) -> dict[str, Any]:
    unique = tag()
    return {
        "name": f"Matrix {unique}",
        "email": f"matrix.{unique}@example.com",
        "title": "Analyst",
        "weeklyCapacityHours": "32",
        "costRate": "70.00",
        "currency": "EUR",
    }


async def _person(api: Api) -> dict[str, Any]:
    return {"personId": (await api.person())["id"]}


async def _team(api: Api) -> dict[str, Any]:
    return {"teamId": (await api.team())["id"]}


async def _team_and_person(api: Api) -> dict[str, Any]:
    return {**(await _team(api)), **(await _person(api))}


async def _member(api: Api) -> dict[str, Any]:
    given = await _team_and_person(api)
    await api.join(given["teamId"], given["personId"], 50)
    return given


def plus(setup: Scenario, **values: Any) -> Scenario:
    async def scenario(api: Api) -> dict[str, Any]:
        return {**(await setup(api)), **values}

    return scenario


async def _requested(api: Api) -> dict[str, Any]:
    person = (await api.person())["id"]
    found = await allocating.request(
        api, person=person, starts_on="2026-02-02", ends_on="2026-02-27", percent=20
    )
    return {"allocationId": found["id"]}


async def _approved(api: Api) -> dict[str, Any]:
    given = await _requested(api)
    await allocating.approve(api, given["allocationId"])
    return given


async def _budget(api: Api) -> dict[str, Any]:
    return {"budgetId": (await budgeting.budget(api))["id"]}


async def _committed(api: Api) -> dict[str, Any]:
    given = {**(await _budget(api)), "initiativeId": allocating.initiative()}
    await budgeting.commit(api, given["budgetId"], given["initiativeId"], "5000.00")
    return given


async def _labour_to_accrue(api: Api) -> dict[str, Any]:
    """An approved allocation in February 2026, funded by a Q1 budget: accrual records it."""
    initiative_id = allocating.initiative()
    person = (await api.person())["id"]
    await allocating.approved(
        api,
        person=person,
        starts_on="2026-02-02",
        ends_on="2026-02-13",
        percent=10,
        initiative_id=initiative_id,
    )
    budget_id = (await _budget(api))["budgetId"]
    await budgeting.commit(api, budget_id, initiative_id, "10000.00")
    return {"asOf": "2026-03-02"}


async def _tool(api: Api) -> dict[str, Any]:
    return {"toolId": (await budgeting.tool(api))["id"]}


async def _tool_and_person(api: Api) -> dict[str, Any]:
    return {**(await _tool(api)), **(await _person(api))}


async def _licence(api: Api) -> dict[str, Any]:
    given = await _tool_and_person(api)
    await budgeting.assign(api, given["toolId"], given["personId"])
    return given


SCENARIOS: dict[str, Scenario] = {
    "onboardPerson": _onboard,
    "assessSkill": plus(_person, skill="Python", level=4),
    "changeCapacity": plus(_person, weeklyCapacityHours="30", effectiveFrom="2026-03-02"),
    "changeCostRate": plus(_person, costRate="90.00", currency="EUR", effectiveFrom=START),
    "offboardPerson": plus(_person, reason="Moved on", lastDay="2026-06-30"),
    "formTeam": plus(_nothing, name="Matrix team", topology="ENABLING", valueStream="Platform"),
    "addTeamMember": plus(_team_and_person, percent=40, joinedOn=START),
    "removeTeamMember": plus(_member, leftOn="2026-03-31"),
    "planTeamCapacity": plus(
        _team, label="PI 1 / I1", startsOn=START, endsOn="2026-01-16", capacityHours="240"
    ),
    "adoptTool": plus(_team, toolId="tool-jira"),
    "disbandTeam": plus(_team, reason="Merged", disbandedOn="2030-01-01"),
    "requestAllocation": plus(
        _person, initiativeId="initiative-matrix", startsOn=START, endsOn="2026-01-30", percent=25
    ),
    "approveAllocation": _requested,
    "rejectAllocation": plus(_requested, reason="Not this quarter"),
    "adjustAllocation": plus(_requested, startsOn="2026-02-02", endsOn="2026-03-27", percent=30),
    "releaseAllocation": plus(_approved, reason="Done early", releasedFrom="2026-02-16"),
    "openBudget": plus(
        _nothing,
        name="Matrix budget",
        kind="COST_CENTRE",
        ownerRef="CC-4711",
        period="2026-Q4",
        amount="250000.00",
        currency="EUR",
    ),
    "adjustBudget": plus(_budget, amount="120000.00", reason="Mid-year top-up"),
    "commitFunds": plus(_budget, initiativeId="initiative-matrix", amount="1000.00"),
    "releaseFunds": plus(_committed, reason="Scope moved to next year"),
    "recordExpense": plus(
        _budget, amount="499.00", currency="EUR", description="Workshop", spentOn="2026-02-10"
    ),
    "accrueLabour": _labour_to_accrue,
    "registerTool": plus(
        _nothing, name="Matrix tool", vendor="Miro", seats=5, costPerSeat="8.00", currency="EUR"
    ),
    "changeToolSeats": plus(_tool, seats=20),
    "assignLicence": _tool_and_person,
    "revokeLicence": plus(_licence, reason="Left the team"),
}
# The demand side may ask for people; deciding stays with resource managers, the PMO and admins.
REQUESTERS = RESOURCE_MANAGERS | {Role.PORTFOLIO_MANAGER}
ALLOWED = {"requestAllocation": REQUESTERS}

MATRIX = [(mutation, role) for mutation in sorted(ROLES) for role in Role]


def test_every_mutation_names_its_roles_and_has_a_scenario() -> None:
    assert all(roles for roles in ROLES.values()), ROLES
    assert set(ROLES) == set(SCENARIOS)


def test_resources_are_managed_by_resource_managers_pmo_and_admins() -> None:
    for mutation in SCENARIOS:
        assert ROLES[mutation] == ALLOWED.get(mutation, RESOURCE_MANAGERS), mutation


@pytest.mark.parametrize(("mutation", "role"), MATRIX, ids=[f"{m}-{r}" for m, r in MATRIX])
async def test_mutation_against_role(api: Api, mutation: str, role: Role) -> None:
    variables = {"input": await SCENARIOS[mutation](api)}
    allowed = ROLES[mutation]
    assert allowed is not None
    before = await api.head()

    body = await api.call(document(mutation), variables, role=role.value)

    if role in allowed:
        assert not body.get("errors"), body
        assert body["data"][mutation]["id"]
        assert await api.head() > before
    else:
        assert list(graphql_errors(body)) == ["FORBIDDEN"], body
        assert "needs one of the roles" in body["errors"][0]["message"]
        assert body["data"] is None
        assert await api.head() == before
