"""Tools and licences through the subgraph on the real Postgres: seats and cost, the seat
limit, licence holders, licence gaps against the tools teams adopted."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.platform import graphql_errors

from . import budgeting
from .budgeting import ASSIGN, CHANGE_SEATS, REVOKE, TOOL
from .conftest import ADOPT_TOOL, OFFBOARD, REMOVE_MEMBER, START, Api

GAPS = """query($team: ID) { licenceGaps(teamId: $team) {
  teamId personId toolId toolName team { name } person { name } tool { name } } }"""
LICENCES = (
    """query($id: ID!) { person(id: $id) { licences { toolId tool { name } assignedBy } } }"""
)
TOOLS = """query($first: Int, $after: String) { tools(first: $first, after: $after) {
  edges { node { id name } } pageInfo { hasNextPage endCursor } } }"""


async def refused(api: Api, query: str, input: dict[str, Any], code: str) -> str:
    before = await api.head()
    body = await api.call(query, {"input": input})
    assert list(graphql_errors(body)) == [code], body
    assert await api.head() == before
    message: str = body["errors"][0]["message"]
    return message


async def test_a_tool_shows_its_seats_cost_and_utilisation(api: Api) -> None:
    tool = await budgeting.tool(api, seats=4, cost="12.50")
    assert (tool["seats"], tool["assigned"], tool["free"]) == (4, 0, 4)
    assert (tool["monthlyCost"], tool["idleCost"]) == ("50.00", "50.00")
    assert tool["utilisationPercent"] == "0.00"
    person = (await api.person())["id"]
    after = await budgeting.assign(api, tool["id"], person)
    assert (after["assigned"], after["free"], after["idleCost"]) == (1, 3, "37.50")
    assert after["utilisationPercent"] == "25.00"
    assert after["licences"] == [{"personId": person, "assignedBy": "test-user"}]
    assert (await api.query(TOOL, {"id": tool["id"]}))["tool"] == after
    held = await api.query(LICENCES, {"id": person}, role="viewer")
    assert held["person"]["licences"] == [
        {"toolId": tool["id"], "tool": {"name": tool["name"]}, "assignedBy": "test-user"}
    ]
    again = await budgeting.assign(api, tool["id"], person)  # already held: nothing new
    assert again["version"] == after["version"]


async def test_no_licence_beyond_the_seats_bought(api: Api) -> None:
    tool = await budgeting.tool(api, seats=2)
    people = [(await api.person())["id"] for _ in range(3)]
    for person in people[:2]:
        await budgeting.assign(api, tool["id"], person)
    message = await refused(api, ASSIGN, {"toolId": tool["id"], "personId": people[2]}, "CONFLICT")
    assert f"tool '{tool['name']}' has no free seat: 2 of 2 assigned" in message
    assert "revoke a licence" in message
    message = await refused(api, CHANGE_SEATS, {"toolId": tool["id"], "seats": 1}, "CONFLICT")
    assert "cannot go down to 1 seats: revoke 1 licences first" in message

    revoked = await api.ok(
        REVOKE, {"toolId": tool["id"], "personId": people[0], "reason": "Left the team"}
    )
    assert (revoked["assigned"], revoked["free"]) == (1, 1)
    assert (await budgeting.assign(api, tool["id"], people[2]))["assigned"] == 2
    more = await api.ok(CHANGE_SEATS, {"toolId": tool["id"], "seats": 5})
    assert (more["seats"], more["free"], more["monthlyCost"]) == (5, 3, "62.50")


async def test_racing_assignments_never_take_more_seats_than_bought(api: Api) -> None:
    tool = await budgeting.tool(api, seats=3)
    people = [(await api.person())["id"] for _ in range(6)]
    bodies = await asyncio.gather(
        *(
            api.call(ASSIGN, {"input": {"toolId": tool["id"], "personId": person}})
            for person in people
        )
    )
    won = [body for body in bodies if not body.get("errors")]
    assert len(won) == 3  # assignments of one tool queue: each sees the seats left before it
    lost = [body["errors"][0]["message"] for body in bodies if body.get("errors")]
    assert all("has no free seat: 3 of 3 assigned" in message for message in lost), lost
    final = (await api.query(TOOL, {"id": tool["id"]}))["tool"]
    assert (final["assigned"], final["free"], len(final["licences"])) == (3, 0, 3)


async def test_licences_are_for_people_who_exist_and_still_work_here(api: Api) -> None:
    tool = await budgeting.tool(api)
    message = await refused(
        api, ASSIGN, {"toolId": tool["id"], "personId": "no-such-person"}, "NOT_FOUND"
    )
    assert "no person has the id 'no-such-person'" in message
    leaver = (await api.person())["id"]
    await api.ok(OFFBOARD, {"personId": leaver, "reason": "Left", "lastDay": "2026-03-31"})
    message = await refused(api, ASSIGN, {"toolId": tool["id"], "personId": leaver}, "CONFLICT")
    assert "left on 2026-03-31" in message
    message = await refused(
        api, REVOKE, {"toolId": tool["id"], "personId": leaver, "reason": ""}, "NOT_FOUND"
    )
    assert "holds no licence" in message
    assert "seats" in await refused(
        api,
        budgeting.REGISTER_TOOL,
        {"name": "X", "vendor": "Y", "seats": -1, "costPerSeat": "1.00", "currency": "EUR"},
        "BAD_USER_INPUT",
    )


async def test_licence_gaps_are_current_members_without_their_teams_tools(api: Api) -> None:
    team = await api.team()
    other = await api.team()
    jira = await budgeting.tool(api)
    holder, missing, former = [(await api.person(name=f"P{i}"))["id"] for i in range(3)]
    outsider = (await api.person())["id"]
    for person in (holder, missing, former):
        await api.join(team["id"], person, 50)
    await api.join(other["id"], outsider, 50)
    await api.ok(REMOVE_MEMBER, {"teamId": team["id"], "personId": former, "leftOn": START})
    await api.ok(ADOPT_TOOL, {"teamId": team["id"], "toolId": jira["id"]})
    await api.ok(ADOPT_TOOL, {"teamId": team["id"], "toolId": "tool-not-registered"})
    await budgeting.assign(api, jira["id"], holder)

    gaps = (await api.query(GAPS, {"team": team["id"]}, role="viewer"))["licenceGaps"]
    assert sorted((gap["personId"], gap["toolId"]) for gap in gaps) == sorted(
        [
            (holder, "tool-not-registered"),
            (missing, jira["id"]),
            (missing, "tool-not-registered"),
        ]
    )
    named = next(gap for gap in gaps if gap["toolId"] == jira["id"])
    assert named["toolName"] == jira["name"]
    assert named["tool"] == {"name": jira["name"]}
    assert named["team"] == {"name": team["name"]}
    assert named["person"] == {"name": "P1"}
    unknown = next(gap for gap in gaps if gap["toolId"] == "tool-not-registered")
    assert (unknown["toolName"], unknown["tool"]) == (None, None)

    everyone = (await api.query(GAPS, {"team": None}))["licenceGaps"]
    assert {gap["personId"] for gap in everyone} >= {holder, missing}
    assert outsider not in {gap["personId"] for gap in everyone}  # their team adopted nothing
    assert former not in {gap["personId"] for gap in everyone}
    body = await api.call(GAPS, {"team": "no-such-team"})
    assert list(graphql_errors(body)) == ["NOT_FOUND"]


async def test_tools_are_listed_by_name_a_page_at_a_time(api: Api) -> None:
    await budgeting.tool(api)
    await budgeting.tool(api)
    first = (await api.query(TOOLS, {"first": 1}))["tools"]
    second = (await api.query(TOOLS, {"first": 1, "after": first["pageInfo"]["endCursor"]}))[
        "tools"
    ]
    names = [page["edges"][0]["node"]["name"] for page in (first, second)]
    assert names == sorted(names)
    assert first["pageInfo"]["hasNextPage"] is True
