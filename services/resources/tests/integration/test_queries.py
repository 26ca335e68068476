"""The people and teams queries through the app: filters and pages, the Person and Team entities
(also through `_entities`, as the gateway calls them), dated capacity and cost rate, who sees a
cost rate, and the skills matrix.

Each test makes its own people and teams with a unique tag in their names and searches or scopes
by it, so the session's other data never gets in the way.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pmo_service.graphql import encode_cursor

from tests.platform import graphql_errors

from .conftest import (
    ADD_MEMBER,
    ADOPT_TOOL,
    CHANGE_CAPACITY,
    CHANGE_RATE,
    OFFBOARD,
    PLAN_CAPACITY,
    REMOVE_MEMBER,
    START,
    Api,
    tag,
)

PEOPLE = """query($first: Int, $after: String, $filter: PersonFilter) {
  people(first: $first, after: $after, filter: $filter) {
    edges { cursor node { id name } }
    pageInfo { hasNextPage hasPreviousPage endCursor } } }"""
PERSON = """query($id: ID!, $on: Date) { person(id: $id) {
  id name email homeTeam { id name } weeklyCapacityHours(on: $on)
  capacityHistory { effectiveFrom weeklyCapacityHours }
  costRate(on: $on) { amount currency effectiveFrom } costRateHistory { amount effectiveFrom }
  skills { skill level assessedBy }
  teams(includeFormer: true) { teamId percent joinedOn leftOn current team { name } } } }"""
COST = "query($id: ID!) { person(id: $id) { costRate { amount } costRateHistory { amount } } }"
TEAM = """query($id: ID!) { team(id: $id) {
  id name topology valueStream
  members { personId percent person { name } }
  formerToo: members(includeFormer: true) { personId current }
  plannedCapacity { label startsOn endsOn capacityHours }
  tools { toolId adoptedBy } } }"""
MATRIX = """query($teamId: ID) { skillsMatrix(teamId: $teamId) {
  skills rows { person { id name } levels } } }"""


async def names(api: Api, **filter: Any) -> list[str]:
    data = await api.query(PEOPLE, {"first": 100, "filter": filter}, role="viewer")
    return [edge["node"]["name"] for edge in data["people"]["edges"]]


# --- people --------------------------------------------------------------------------------------


async def test_people_are_listed_by_name_a_page_at_a_time(api: Api) -> None:
    unique = tag()
    for name in ("Carla", "Anna", "Bert", "Dora", "Anna"):
        await api.person(f"{name} {unique}")
    pages: list[list[str]] = []
    after = None
    while True:
        data = await api.query(
            PEOPLE, {"first": 2, "after": after, "filter": {"search": unique}}, role="viewer"
        )
        connection = data["people"]
        pages.append([edge["node"]["name"].split()[0] for edge in connection["edges"]])
        assert connection["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert pages == [["Anna", "Anna"], ["Bert", "Carla"], ["Dora"]]


async def test_people_filters(api: Api) -> None:
    unique = tag()
    team = (await api.team())["id"]
    ada = await api.person(f"Ada {unique}", title="Data scientist")
    bob = await api.person(f"Bob {unique}")
    cy = await api.person(f"Cy {unique}")
    await api.join(team, ada["id"], 50)
    await api.join(team, bob["id"], 50)
    await api.assess(ada["id"], "Python", 5)
    await api.assess(bob["id"], "python ", 2)
    await api.assess(cy["id"], "Go", 4)
    await api.ok(OFFBOARD, {"personId": cy["id"], "reason": "Left"})

    assert await names(api, search=unique) == [f"Ada {unique}", f"Bob {unique}"]
    assert await names(api, search=unique, includeOffboarded=True) == [
        f"Ada {unique}",
        f"Bob {unique}",
        f"Cy {unique}",
    ]
    assert await names(api, teamId=team) == [f"Ada {unique}", f"Bob {unique}"]
    assert await names(api, search=unique, skill="PYTHON") == [f"Ada {unique}", f"Bob {unique}"]
    assert await names(api, search=unique, skill="python", minLevel=3) == [f"Ada {unique}"]
    assert await names(api, search="data SCIENTIST", teamId=team) == [f"Ada {unique}"]
    assert await names(api, search=ada["email"].upper()) == [f"Ada {unique}"]
    assert await names(api, search=f"{unique}%") == []  # wildcards are literal
    assert await names(api, search=unique, skill="go", includeOffboarded=True) == [f"Cy {unique}"]


async def test_people_filters_and_pages_refuse_bad_arguments(api: Api) -> None:
    for variables, fragment in [
        ({"filter": {"minLevel": 3}}, "minLevel needs a skill"),
        ({"filter": {"skill": "go", "minLevel": 6}}, "minLevel must be between 1 and 5"),
        ({"filter": {"search": "  "}}, "search must not be empty"),
        ({"first": 0}, "first must be between 1 and 100"),
        ({"after": "not-a-cursor"}, "is not valid"),
    ]:
        body = await api.call(PEOPLE, variables, role="viewer")
        assert list(graphql_errors(body)) == ["BAD_USER_INPUT"], body
        assert fragment in body["errors"][0]["message"], body


async def test_a_person_with_dated_capacity_rate_skills_and_teams(api: Api) -> None:
    home = await api.team()
    other = await api.team()
    person = await api.person(homeTeamId=home["id"], hours="40", rate="90.00")
    pid = person["id"]
    await api.ok(
        CHANGE_CAPACITY,
        {"personId": pid, "weeklyCapacityHours": "32", "effectiveFrom": "2026-03-02"},
    )
    await api.ok(
        CHANGE_RATE,
        {"personId": pid, "costRate": "99.00", "currency": "EUR", "effectiveFrom": "2026-04-01"},
    )
    await api.assess(pid, "Kotlin", 3)
    await api.join(home["id"], pid, 60)
    await api.join(other["id"], pid, 40, joined_on="2026-02-02")
    await api.ok(REMOVE_MEMBER, {"teamId": other["id"], "personId": pid, "leftOn": "2026-02-27"})

    async def on(day: str) -> dict[str, Any]:
        data = await api.query(PERSON, {"id": pid, "on": day}, role="pmo")
        found: dict[str, Any] = data["person"]
        return found

    february, summer = await on("2026-02-15"), await on("2026-07-01")
    assert february["weeklyCapacityHours"] == "40"
    assert summer["weeklyCapacityHours"] == "32"
    assert (await on("2025-12-31"))["weeklyCapacityHours"] == "0"  # before the start
    assert february["costRate"] == {"amount": "90.00", "currency": "EUR", "effectiveFrom": START}
    assert summer["costRate"]["amount"] == "99.00"
    assert summer["capacityHistory"] == [
        {"effectiveFrom": START, "weeklyCapacityHours": "40"},
        {"effectiveFrom": "2026-03-02", "weeklyCapacityHours": "32"},
    ]
    assert [r["amount"] for r in summer["costRateHistory"]] == ["90.00", "99.00"]
    assert summer["homeTeam"] == {"id": home["id"], "name": home["name"]}
    assert summer["skills"] == [{"skill": "kotlin", "level": 3, "assessedBy": "test-user"}]
    assert [(t["teamId"], t["percent"], t["leftOn"], t["current"]) for t in summer["teams"]] == [
        (home["id"], 60, None, True),
        # "current": not ended before today (the tests' dates lie in the past of real runs).
        (other["id"], 40, "2026-02-27", date(2026, 2, 27) >= date.today()),
    ]
    assert summer["teams"][0]["team"]["name"] == home["name"]


async def test_cost_rates_are_for_managers_and_the_person_themself(api: Api) -> None:
    person = await api.person()
    pid, email = person["id"], person["email"]
    for role in ("resource_manager", "pmo", "admin"):
        data = await api.query(COST, {"id": pid}, role=role)
        assert data["person"]["costRate"] == {"amount": "85.00"}, role
    for role in ("viewer", "team_member", "coach", "portfolio_manager"):
        data = await api.query(COST, {"id": pid}, role=role)
        assert data["person"] == {"costRate": None, "costRateHistory": None}, role
    for subject in (pid, email, email.upper()):
        data = await api.query(COST, {"id": pid}, role="team_member", subject=subject)
        assert data["person"]["costRate"] == {"amount": "85.00"}, subject
        assert data["person"]["costRateHistory"] == [{"amount": "85.00"}]
    someone_else = await api.person()
    data = await api.query(COST, {"id": someone_else["id"]}, role="team_member", subject=email)
    assert data["person"]["costRate"] is None


async def test_missing_person_and_team_are_null(api: Api) -> None:
    data = await api.query(
        'query { person(id: "nobody") { id } team(id: "no-team") { id } }', role="viewer"
    )
    assert data == {"person": None, "team": None}


async def test_reads_need_a_token(api: Api) -> None:
    response = await api.client.post("/graphql", json={"query": "{ teams { edges { cursor } } }"})
    assert list(graphql_errors(response.json())) == ["UNAUTHENTICATED"]


# --- teams ---------------------------------------------------------------------------------------


async def test_a_team_with_members_plans_and_tools(api: Api) -> None:
    team = await api.team(topology="COMPLICATED_SUBSYSTEM", valueStream="Risk engine")
    tid = team["id"]
    stays = await api.person()
    leaves = await api.person()
    await api.join(tid, stays["id"], 80)
    await api.join(tid, leaves["id"], 20)
    await api.ok(REMOVE_MEMBER, {"teamId": tid, "personId": leaves["id"], "leftOn": "2026-01-30"})
    for label, start, end, hours in [
        ("I2", "2026-01-19", "2026-01-30", "300"),
        ("I1", START, "2026-01-16", "320"),
        ("I2", "2026-01-19", "2026-01-30", "280.5"),
    ]:
        await api.ok(
            PLAN_CAPACITY,
            {
                "teamId": tid,
                "label": label,
                "startsOn": start,
                "endsOn": end,
                "capacityHours": hours,
            },
        )
    await api.ok(ADOPT_TOOL, {"teamId": tid, "toolId": "tool-jira"})
    await api.ok(ADOPT_TOOL, {"teamId": tid, "toolId": "tool-miro"})

    data = await api.query(TEAM, {"id": tid}, role="viewer")
    found = data["team"]
    assert (found["topology"], found["valueStream"]) == ("COMPLICATED_SUBSYSTEM", "Risk engine")
    assert found["members"] == [
        {"personId": stays["id"], "percent": 80, "person": {"name": stays["name"]}}
    ]
    assert {(m["personId"], m["current"]) for m in found["formerToo"]} == {
        (stays["id"], True),
        (leaves["id"], date(2026, 1, 30) >= date.today()),
    }
    assert found["plannedCapacity"] == [
        {"label": "I1", "startsOn": START, "endsOn": "2026-01-16", "capacityHours": "320"},
        {"label": "I2", "startsOn": "2026-01-19", "endsOn": "2026-01-30", "capacityHours": "280.5"},
    ]
    assert found["tools"] == [
        {"toolId": "tool-jira", "adoptedBy": "test-user"},
        {"toolId": "tool-miro", "adoptedBy": "test-user"},
    ]


async def test_teams_are_listed_by_name_without_the_disbanded(api: Api) -> None:
    unique = tag()
    kept = [await api.team(f"{unique} {letter}") for letter in "BA"]
    gone = await api.team(f"{unique} C")
    await api.ok(
        "mutation($input: DisbandTeamInput!) { disbandTeam(input: $input) { id } }",
        {"teamId": gone["id"], "reason": "Merged", "disbandedOn": "2030-01-01"},
    )
    query = """query($after: String, $all: Boolean!) {
      teams(first: 100, after: $after, includeDisbanded: $all) {
        edges { node { id name } } pageInfo { hasNextPage endCursor } } }"""
    # Start just before this test's names: the cursor is (name, id).
    start = encode_cursor(unique, "")
    listed = await api.query(query, {"after": start, "all": False}, role="viewer")
    mine = [e["node"]["name"] for e in listed["teams"]["edges"] if unique in e["node"]["name"]]
    assert mine == [f"{unique} A", f"{unique} B"]
    listed = await api.query(query, {"after": start, "all": True}, role="viewer")
    mine = [e["node"]["name"] for e in listed["teams"]["edges"] if unique in e["node"]["name"]]
    assert mine == [f"{unique} A", f"{unique} B", f"{unique} C"]
    assert {team["id"] for team in kept} < {e["node"]["id"] for e in listed["teams"]["edges"]}


# --- entities and the skills matrix --------------------------------------------------------------


async def test_entities_resolve_people_and_teams_in_one_batch(api: Api) -> None:
    team = await api.team()
    first, second = await api.person(), await api.person()
    await api.join(team["id"], first["id"], 50)
    query = """query($reps: [_Any!]!) { _entities(representations: $reps) {
      ... on Person { id name teams { teamId } }
      ... on Team { id name members { personId } } } }"""
    representations = [
        {"__typename": "Person", "id": first["id"]},
        {"__typename": "Team", "id": team["id"]},
        {"__typename": "Person", "id": second["id"]},
        {"__typename": "Person", "id": "nobody"},
    ]
    data = await api.query(query, {"reps": representations}, role="viewer")
    assert data["_entities"] == [
        {"id": first["id"], "name": first["name"], "teams": [{"teamId": team["id"]}]},
        {"id": team["id"], "name": team["name"], "members": [{"personId": first["id"]}]},
        {"id": second["id"], "name": second["name"], "teams": []},
        None,
    ]


async def test_the_skills_matrix_of_a_team(api: Api) -> None:
    unique = tag()
    team = (await api.team())["id"]
    ada = await api.person(f"Ada {unique}")
    bob = await api.person(f"Bob {unique}")
    outsider = await api.person(f"Zed {unique}")
    for person in (ada, bob):
        await api.join(team, person["id"], 50)
    await api.assess(ada["id"], "Python", 5)
    await api.assess(ada["id"], "SQL", 3)
    await api.assess(bob["id"], "sql", 4)
    await api.assess(outsider["id"], "Rust", 5)

    data = await api.query(MATRIX, {"teamId": team}, role="viewer")
    matrix = data["skillsMatrix"]
    assert matrix["skills"] == ["python", "sql"]
    assert [(row["person"]["name"], row["levels"]) for row in matrix["rows"]] == [
        (f"Ada {unique}", [5, 3]),
        (f"Bob {unique}", [None, 4]),
    ]

    everyone = (await api.query(MATRIX, {}, role="viewer"))["skillsMatrix"]
    assert {"python", "sql", "rust"} <= set(everyone["skills"])
    rows = {row["person"]["id"]: row["levels"] for row in everyone["rows"]}
    assert rows[outsider["id"]][everyone["skills"].index("rust")] == 5

    body = await api.call(MATRIX, {"teamId": "no-such-team"}, role="viewer")
    assert list(graphql_errors(body)) == ["NOT_FOUND"]


async def test_a_mutation_answers_what_the_next_query_returns(api: Api) -> None:
    team = (await api.team())["id"]
    person = (await api.person())["id"]
    answer = await api.ok(
        ADD_MEMBER, {"teamId": team, "personId": person, "percent": 25, "joinedOn": START}
    )
    data = await api.query(
        """query($id: ID!) { team(id: $id) { id name topology valueStream disbanded disbandedOn
        version members(includeFormer: true) { personId percent joinedOn leftOn current }
        plannedCapacity { label startsOn endsOn capacityHours } tools { toolId } } }""",
        {"id": team},
    )
    assert data["team"] == answer
    assert answer["version"] == 2
