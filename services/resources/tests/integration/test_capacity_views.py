"""The capacity views against hand-computed figures: the heat map by week and by month, with
over-allocations flagged, utilisation per person, team and value stream, and the bench.

The set-up (team T in its own value stream; 2026-02-02 is the Monday of 2026-W06):

- Alpha: 40 h/week, 50 % in T. Bravo: 30 h/week, 100 % in T, 20 h/week from Wednesday
  2026-02-11 (weeks count with the capacity of their Monday: 20 h from W08 on).
- T at 50 %, W06-W08: Alpha 50 % x 50 % x 40 = 10 h a week; Bravo 15 h (W06, W07), 10 h (W08).
- Alpha 60 % in W06 and W07 (24 h), and 100 % in W08 (40 h, a pmo's override: 50 of 40 h).
- Bravo 8 h/week from Wednesday 2026-02-11 to Tuesday 2026-02-17: 4.8 h in W07, 3.2 h in W08.
- A requested (not approved) allocation counts for nothing.

Person cells (capacity / committed): Alpha 40/34, 40/34, 40/50 (over); Bravo 30/15, 30/19.8,
20/13.2. Team cells (members' capacity x share; its own hours + members' own hours x share):
W06 50/(25 + 12) = 37, W07 50/(25 + 12 + 4.8) = 41.8, W08 40/(20 + 20 + 3.2) = 43.2 (over).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.platform import graphql_errors

from . import allocating as a
from .conftest import CHANGE_CAPACITY, Api, tag

CELL = "label startsOn endsOn capacityHours committedHours freeHours percent overallocated"
HEAT_MAP = f"""query($from: Date!, $weeks: Int!, $granularity: CapacityGranularity!, $team: ID) {{
  capacityHeatMap(from: $from, weeks: $weeks, granularity: $granularity, teamId: $team) {{
    granularity periods
    people {{ person {{ id name }} cells {{ {CELL} }} }}
    teams {{ team {{ id }} cells {{ {CELL} overallocatedMembers }} }} }} }}"""
UTILISATION = f"""query($from: Date!, $to: Date!) {{ utilisation(from: $from, to: $to) {{
  startsOn endsOn
  people {{ person {{ id }} total {{ {CELL} }} }}
  teams {{ team {{ id }} total {{ {CELL} overallocatedMembers }} }}
  valueStreams {{ valueStream teams {{ id }} total {{ {CELL} }} }} }} }}"""
BENCH = f"""query($from: Date!, $weeks: Int!, $skill: String, $minLevel: Int,
    $minFree: Decimal!, $team: ID) {{
  bench(from: $from, weeks: $weeks, skill: $skill, minLevel: $minLevel,
        minFreePercent: $minFree, teamId: $team) {{
    person {{ id }} skillLevel freePercent total {{ {CELL} }} weeks {{ label freeHours }} }} }}"""


def figures(cell: dict[str, Any]) -> tuple[str, str, str | None, bool]:
    """(capacity, committed, percent, overallocated) with trailing zeros dropped."""
    return (
        _plain(cell["capacityHours"]),
        _plain(cell["committedHours"]),
        cell["percent"],
        cell["overallocated"],
    )


def _plain(value: str) -> str:
    return value.rstrip("0").rstrip(".") if "." in value else value


@pytest.fixture
async def setting(api: Api) -> dict[str, str]:
    unique = tag()
    stream = f"Stream {unique}"
    team = (await api.team(valueStream=stream))["id"]
    alpha = (await api.person(name=f"Alpha {unique}", hours="40"))["id"]
    bravo = (await api.person(name=f"Bravo {unique}", hours="30"))["id"]
    await api.join(team, alpha, 50)
    await api.join(team, bravo, 100)
    await api.ok(
        CHANGE_CAPACITY,
        {"personId": bravo, "weeklyCapacityHours": "20", "effectiveFrom": "2026-02-11"},
    )
    await api.assess(alpha, "Rust", 2)
    await api.assess(bravo, "Rust", 4)
    await a.approved(api, team=team, starts_on="2026-02-02", ends_on="2026-02-20", percent=50)
    await a.approved(api, person=alpha, starts_on="2026-02-02", ends_on="2026-02-13", percent=60)
    await a.approved(api, person=bravo, starts_on="2026-02-11", ends_on="2026-02-17", hours="8")
    crunch = await a.request(
        api, person=alpha, starts_on="2026-02-16", ends_on="2026-02-20", percent=100
    )
    await a.approve(api, crunch["id"], role="pmo", override="Launch week")
    await a.request(api, person=bravo, starts_on="2026-02-02", ends_on="2026-02-20", percent=90)
    return {"team": team, "alpha": alpha, "bravo": bravo, "stream": stream}


async def test_weekly_heat_map_of_a_team(api: Api, setting: dict[str, str]) -> None:
    variables = {"from": "2026-02-04", "weeks": 3, "granularity": "WEEK", "team": setting["team"]}
    found = (await api.query(HEAT_MAP, variables))["capacityHeatMap"]

    assert found["periods"] == ["2026-W06", "2026-W07", "2026-W08"]
    alpha, bravo = found["people"]
    assert (alpha["person"]["id"], bravo["person"]["id"]) == (setting["alpha"], setting["bravo"])
    assert [figures(cell) for cell in alpha["cells"]] == [
        ("40", "34", "85.00", False),
        ("40", "34", "85.00", False),
        ("40", "50", "125.00", True),
    ]
    assert [figures(cell) for cell in bravo["cells"]] == [
        ("30", "15", "50.00", False),
        ("30", "19.8", "66.00", False),
        ("20", "13.2", "66.00", False),
    ]
    assert alpha["cells"][0]["startsOn"] == "2026-02-02"
    assert alpha["cells"][0]["endsOn"] == "2026-02-08"
    assert _plain(bravo["cells"][1]["freeHours"]) == "10.2"
    assert _plain(alpha["cells"][2]["freeHours"]) == "0"
    [team] = found["teams"]
    assert team["team"]["id"] == setting["team"]
    assert [figures(cell) for cell in team["cells"]] == [
        ("50", "37", "74.00", False),
        ("50", "41.8", "83.60", False),
        ("40", "43.2", "108.00", True),
    ]
    assert [cell["overallocatedMembers"] for cell in team["cells"]] == [0, 0, 1]


async def test_the_whole_heat_map_holds_the_same_rows(api: Api, setting: dict[str, str]) -> None:
    base = {"from": "2026-02-02", "weeks": 3, "granularity": "WEEK"}
    whole = (await api.query(HEAT_MAP, base))["capacityHeatMap"]
    alone = (await api.query(HEAT_MAP, {**base, "team": setting["team"]}))["capacityHeatMap"]
    people = {row["person"]["id"]: row for row in whole["people"]}
    teams = {row["team"]["id"]: row for row in whole["teams"]}
    for row in alone["people"]:
        assert people[row["person"]["id"]] == row
    assert teams[setting["team"]] == alone["teams"][0]


async def test_monthly_heat_map_splits_weeks_by_working_day(api: Api) -> None:
    team = (await api.team())["id"]
    person = (await api.person(hours="40"))["id"]
    await api.join(team, person, 100)
    # 50 % from Monday 2026-03-23 to Friday 2026-04-10; April starts on a Wednesday.
    await a.approved(api, person=person, starts_on="2026-03-23", ends_on="2026-04-10", percent=50)
    variables = {"from": "2026-03-23", "weeks": 3, "granularity": "MONTH", "team": team}
    found = (await api.query(HEAT_MAP, variables))["capacityHeatMap"]
    assert found["periods"] == ["2026-03", "2026-04"]
    [row] = found["people"]
    march, april = row["cells"]
    assert (march["startsOn"], march["endsOn"]) == ("2026-03-23", "2026-03-31")
    assert (april["startsOn"], april["endsOn"]) == ("2026-04-01", "2026-04-12")
    # March: 7 working days (8 h capacity, 4 h committed each); April: 8.
    assert figures(march) == ("56", "28", "50.00", False)
    assert figures(april) == ("64", "32", "50.00", False)
    assert [figures(cell) for cell in found["teams"][0]["cells"]] == [
        ("56", "28", "50.00", False),
        ("64", "32", "50.00", False),
    ]


async def test_utilisation_per_person_team_and_value_stream(
    api: Api, setting: dict[str, str]
) -> None:
    found = (await api.query(UTILISATION, {"from": "2026-02-02", "to": "2026-02-13"}))[
        "utilisation"
    ]
    people = {row["person"]["id"]: row["total"] for row in found["people"]}
    assert figures(people[setting["alpha"]]) == ("80", "68", "85.00", False)
    assert figures(people[setting["bravo"]]) == ("60", "34.8", "58.00", False)
    [team] = [row for row in found["teams"] if row["team"]["id"] == setting["team"]]
    assert figures(team["total"]) == ("100", "78.8", "78.80", False)
    [stream] = [row for row in found["valueStreams"] if row["valueStream"] == setting["stream"]]
    assert stream["teams"] == [{"id": setting["team"]}]
    assert figures(stream["total"]) == ("100", "78.8", "78.80", False)
    # A range that holds the over-allocated week flags it.
    later = (await api.query(UTILISATION, {"from": "2026-02-16", "to": "2026-02-16"}))[
        "utilisation"
    ]
    [alpha] = [row for row in later["people"] if row["person"]["id"] == setting["alpha"]]
    assert figures(alpha["total"]) == ("8", "10", "125.00", True)


async def test_bench_by_skill_and_free_share(api: Api, setting: dict[str, str]) -> None:
    base = {"from": "2026-02-02", "weeks": 2, "team": setting["team"]}
    skilled = (await api.query(BENCH, {**base, "skill": " RUST ", "minLevel": 3, "minFree": "0"}))[
        "bench"
    ]
    [entry] = skilled
    assert entry["person"]["id"] == setting["bravo"]
    assert (entry["skillLevel"], entry["freePercent"]) == (4, "42.00")
    assert figures(entry["total"]) == ("60", "34.8", "58.00", False)
    assert [(week["label"], _plain(week["freeHours"])) for week in entry["weeks"]] == [
        ("2026-W06", "15"),
        ("2026-W07", "10.2"),
    ]
    assert (await api.query(BENCH, {**base, "skill": "rust", "minFree": "50"}))["bench"] == []
    # Without a skill: Alpha is 15 % free (12 of 80 h), below 20 %; Bravo 42 %.
    anyone = (await api.query(BENCH, {**base, "minFree": "20"}))["bench"]
    assert [entry["person"]["id"] for entry in anyone] == [setting["bravo"]]
    both = (await api.query(BENCH, {**base, "minFree": "10"}))["bench"]
    assert [entry["person"]["id"] for entry in both] == [setting["bravo"], setting["alpha"]]


@pytest.mark.parametrize(
    ("query", "variables", "code", "fragment"),
    [
        (
            HEAT_MAP,
            {"from": "2026-02-02", "weeks": 0, "granularity": "WEEK"},
            "BAD_USER_INPUT",
            "weeks",
        ),
        (
            HEAT_MAP,
            {"from": "2026-02-02", "weeks": 105, "granularity": "WEEK"},
            "BAD_USER_INPUT",
            "weeks",
        ),
        (
            HEAT_MAP,
            {"from": "2026-02-02", "weeks": 4, "granularity": "WEEK", "team": "no-team"},
            "NOT_FOUND",
            "no team has the id 'no-team'",
        ),
        (UTILISATION, {"from": "2026-03-01", "to": "2026-02-01"}, "BAD_USER_INPUT", "to"),
        (
            BENCH,
            {"from": "2026-02-02", "weeks": 2, "minLevel": 3, "minFree": "0"},
            "BAD_USER_INPUT",
            "minLevel needs a skill",
        ),
        (
            BENCH,
            {"from": "2026-02-02", "weeks": 2, "minFree": "101"},
            "BAD_USER_INPUT",
            "minFreePercent",
        ),
    ],
)
async def test_bad_arguments(
    api: Api, query: str, variables: dict[str, Any], code: str, fragment: str
) -> None:
    body = await api.call(query, variables)
    assert list(graphql_errors(body)) == [code], body
    assert fragment in body["errors"][0]["message"]


async def test_a_member_joining_mid_week_shares_the_team_hours_from_that_day(api: Api) -> None:
    team = (await api.team())["id"]
    ann = (await api.person())["id"]
    dan = (await api.person())["id"]
    await api.join(team, ann, 100)
    await api.join(team, dan, 100, joined_on="2026-02-04")  # a Wednesday
    # 20 h/week in W06 is 4 h a day: Ann's alone on Monday and Tuesday, then 2 h each.
    await a.approved(api, team=team, starts_on="2026-02-02", ends_on="2026-02-06", hours="20")

    async def committed(start: str, end: str) -> dict[str, str]:
        found = (await api.query(UTILISATION, {"from": start, "to": end}))["utilisation"]
        return {
            row["person"]["id"]: _plain(row["total"]["committedHours"])
            for row in found["people"]
            if row["person"]["id"] in (ann, dan)
        }

    assert await committed("2026-02-02", "2026-02-03") == {ann: "8", dan: "0"}
    assert await committed("2026-02-04", "2026-02-06") == {ann: "6", dan: "6"}
    assert await committed("2026-02-02", "2026-02-08") == {ann: "14", dan: "6"}
