"""Refusals write nothing: unknown ids, duplicate e-mails, negative hours, inverted dates, oversized
text, the 100 % rule, offboarded people and disbanded teams. Each refusal is checked for its code,
a message that names the field (as GraphQL spells it) and what to do, and an unchanged event
store. Concurrent commands that would together break a rule: exactly one wins.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from pmo_resources.projections.tables import people

from tests.platform import graphql_errors

from .conftest import (
    ADD_MEMBER,
    ADOPT_TOOL,
    ASSESS,
    CHANGE_CAPACITY,
    CHANGE_RATE,
    DISBAND,
    FORM_TEAM,
    OFFBOARD,
    ONBOARD,
    PLAN_CAPACITY,
    REMOVE_MEMBER,
    START,
    Api,
    tag,
)


async def refused(
    api: Api, mutation: str, input: dict[str, Any], code: str, *fragments: str
) -> str:
    """Run `mutation`; it must be refused with `code`, a message holding every fragment, and
    nothing appended. Returns the message."""
    before = await api.head()
    body = await api.call(mutation, {"input": input})
    assert list(graphql_errors(body)) == [code], body
    assert body["data"] is None
    message: str = body["errors"][0]["message"]
    for fragment in fragments:
        assert fragment in message, message
    assert await api.head() == before
    return message


def onboarding(**changes: Any) -> dict[str, Any]:
    unique = tag()
    return {
        "name": f"Person {unique}",
        "email": f"p.{unique}@example.com",
        "title": "Engineer",
        "weeklyCapacityHours": "40",
        "costRate": "80.00",
        "currency": "EUR",
        "startsOn": START,
        **changes,
    }


def unknown() -> str:
    return f"missing-{uuid.uuid4()}"


# --- unknown ids ---------------------------------------------------------------------------------


async def test_unknown_people_are_not_found(api: Api) -> None:
    person = unknown()
    for mutation, input in [
        (ASSESS, {"personId": person, "skill": "go", "level": 3}),
        (CHANGE_CAPACITY, {"personId": person, "weeklyCapacityHours": "30"}),
        (CHANGE_RATE, {"personId": person, "costRate": "1.00", "currency": "EUR"}),
        (OFFBOARD, {"personId": person, "reason": "r"}),
        (ADD_MEMBER, {"teamId": (await api.team())["id"], "personId": person, "percent": 10}),
    ]:
        await refused(api, mutation, input, "NOT_FOUND", f"no person has the id {person!r}")


async def test_unknown_teams_are_not_found(api: Api) -> None:
    team = unknown()
    person = (await api.person())["id"]
    for mutation, input in [
        (ONBOARD, onboarding(homeTeamId=team)),
        (ADD_MEMBER, {"teamId": team, "personId": person, "percent": 10}),
        (REMOVE_MEMBER, {"teamId": team, "personId": person}),
        (
            PLAN_CAPACITY,
            {
                "teamId": team,
                "label": "I1",
                "startsOn": START,
                "endsOn": START,
                "capacityHours": "1",
            },
        ),
        (ADOPT_TOOL, {"teamId": team, "toolId": "jira"}),
        (DISBAND, {"teamId": team, "reason": "r"}),
    ]:
        await refused(api, mutation, input, "NOT_FOUND", f"no team has the id {team!r}")


async def test_an_id_of_the_wrong_kind_is_not_found(api: Api) -> None:
    person = (await api.person())["id"]
    await refused(
        api,
        DISBAND,
        {"teamId": person, "reason": "r"},
        "NOT_FOUND",
        f"no team has the id {person!r}: that id belongs to a person",
    )


async def test_removing_someone_who_is_no_member_is_not_found(api: Api) -> None:
    team, person = (await api.team())["id"], (await api.person())["id"]
    await refused(
        api,
        REMOVE_MEMBER,
        {"teamId": team, "personId": person},
        "NOT_FOUND",
        f"person {person!r} is not a member of team {team!r}",
    )


# --- e-mails -------------------------------------------------------------------------------------


async def count_with_email(api: Api, email: str) -> int:
    engine = api.store.engine
    async with engine.connect() as conn:
        return int(
            await conn.scalar(
                sa.select(sa.func.count()).select_from(people).where(people.c.email == email)
            )
            or 0
        )


async def test_a_duplicate_email_is_refused_naming_its_holder(api: Api) -> None:
    first = await api.person(email=f"Dup.{tag()}@Example.com")
    email = first["email"]
    assert email == email.lower()
    message = await refused(
        api,
        ONBOARD,
        onboarding(email=f"  {email.upper()} "),
        "BAD_USER_INPUT",
        f"e-mail {email!r} is already used by {first['id']}",
        "give another e-mail",
    )
    assert "offboard that person first" in message
    assert await count_with_email(api, email) == 1


async def test_an_offboarded_persons_email_is_free_again(api: Api) -> None:
    first = await api.person()
    await api.ok(OFFBOARD, {"personId": first["id"], "reason": "Left", "lastDay": "2026-02-27"})
    second = await api.person(email=first["email"])
    assert second["id"] != first["id"]
    assert await count_with_email(api, first["email"]) == 2
    await refused(
        api,
        ONBOARD,
        onboarding(email=first["email"]),
        "BAD_USER_INPUT",
        f"already used by {second['id']}",
    )


async def test_two_onboardings_with_one_email_at_once_one_wins(api: Api) -> None:
    email = f"race.{tag()}@example.com"
    before = await api.head()
    bodies = await asyncio.gather(
        *(api.call(ONBOARD, {"input": onboarding(email=email)}) for _ in range(2))
    )
    won = [body for body in bodies if not body.get("errors")]
    lost = [body for body in bodies if body.get("errors")]
    assert len(won) == 1, bodies
    assert len(lost) == 1, bodies
    winner = won[0]["data"]["onboardPerson"]["id"]
    assert list(graphql_errors(lost[0])) == ["BAD_USER_INPUT"]
    assert f"already used by {winner}" in lost[0]["errors"][0]["message"]
    assert await api.head() == before + 1
    assert await count_with_email(api, email) == 1


@pytest.mark.parametrize("email", ["ada", "ada@example", "ada lovelace@example.com", "@x.io"])
async def test_an_email_must_look_like_one(api: Api, email: str) -> None:
    await refused(
        api, ONBOARD, onboarding(email=email), "BAD_USER_INPUT", "email must be an e-mail address"
    )


# --- numbers, dates and text ---------------------------------------------------------------------


async def test_negative_or_excessive_hours_are_refused(api: Api) -> None:
    await refused(
        api,
        ONBOARD,
        onboarding(weeklyCapacityHours="-1"),
        "BAD_USER_INPUT",
        "weeklyCapacityHours must be between 0 and 80",
    )
    await refused(
        api, ONBOARD, onboarding(weeklyCapacityHours="81"), "BAD_USER_INPUT", "between 0 and 80"
    )
    await refused(
        api, ONBOARD, onboarding(costRate="-0.01"), "BAD_USER_INPUT", "costRate must be at least 0"
    )
    person = (await api.person())["id"]
    await refused(
        api,
        CHANGE_CAPACITY,
        {"personId": person, "weeklyCapacityHours": "-5"},
        "BAD_USER_INPUT",
        "weeklyCapacityHours must be between 0 and 80",
    )
    team = (await api.team())["id"]
    await refused(
        api,
        PLAN_CAPACITY,
        {"teamId": team, "label": "I1", "startsOn": START, "endsOn": START, "capacityHours": "-1"},
        "BAD_USER_INPUT",
        "capacityHours must be between 0",
    )
    await refused(
        api,
        ADD_MEMBER,
        {"teamId": team, "personId": person, "percent": 0},
        "BAD_USER_INPUT",
        "percent must be between 1 and 100",
    )


async def test_inverted_dates_are_refused(api: Api) -> None:
    team = (await api.team())["id"]
    await refused(
        api,
        PLAN_CAPACITY,
        {
            "teamId": team,
            "label": "I1",
            "startsOn": "2026-02-02",
            "endsOn": "2026-01-30",
            "capacityHours": "100",
        },
        "BAD_USER_INPUT",
        "startsOn (2026-02-02) is after endsOn (2026-01-30)",
    )
    person = (await api.person())["id"]
    await refused(
        api,
        OFFBOARD,
        {"personId": person, "reason": "r", "lastDay": "2025-12-01"},
        "BAD_USER_INPUT",
        "lastDay (2025-12-01) is before",
    )
    await refused(
        api,
        CHANGE_RATE,
        {
            "personId": person,
            "costRate": "10.00",
            "currency": "EUR",
            "effectiveFrom": "2025-12-31",
        },
        "BAD_USER_INPUT",
        "effectiveFrom (2025-12-31) is before",
    )
    await api.join(team, person, 50, joined_on="2026-03-02")
    await refused(
        api,
        REMOVE_MEMBER,
        {"teamId": team, "personId": person, "leftOn": "2026-02-01"},
        "BAD_USER_INPUT",
        "leftOn (2026-02-01) is before person",
    )
    await refused(
        api,
        DISBAND,
        {"teamId": team, "reason": "r", "disbandedOn": "2020-01-01"},
        "BAD_USER_INPUT",
        "disbandedOn (2020-01-01) is before team",
    )


async def test_oversized_text_is_refused(api: Api) -> None:
    await refused(
        api,
        ONBOARD,
        onboarding(name="n" * 201),
        "BAD_USER_INPUT",
        "name is 201 characters long; the limit is 200",
    )
    await refused(
        api,
        FORM_TEAM,
        {"name": "T", "topology": "PLATFORM", "valueStream": "v" * 201},
        "BAD_USER_INPUT",
        "valueStream is 201 characters long",
    )
    person = (await api.person())["id"]
    await refused(
        api,
        OFFBOARD,
        {"personId": person, "reason": "r" * 4001},
        "BAD_USER_INPUT",
        "reason is 4001 characters long",
    )
    await refused(
        api,
        ASSESS,
        {"personId": person, "skill": "s" * 101, "level": 3},
        "BAD_USER_INPUT",
        "skill is 101 characters long",
    )


# --- rules across aggregates ---------------------------------------------------------------------


async def test_shares_across_teams_never_exceed_100_percent(api: Api) -> None:
    person = (await api.person())["id"]
    first, second = (await api.team())["id"], (await api.team())["id"]
    await api.join(first, person, 60)
    await refused(
        api,
        ADD_MEMBER,
        {"teamId": second, "personId": person, "percent": 50, "joinedOn": START},
        "BAD_USER_INPUT",
        f"already in other teams for 60 % on {START} (team {first!r} 60 %)",
        "Give at most 40 %",
    )
    joined = await api.join(second, person, 40)
    assert [m["percent"] for m in joined["members"]] == [40]


async def test_two_joins_of_one_person_at_once_cannot_pass_100_percent(api: Api) -> None:
    person = (await api.person())["id"]
    teams = [(await api.team())["id"] for _ in range(2)]
    before = await api.head()
    bodies = await asyncio.gather(
        *(
            api.call(
                ADD_MEMBER,
                {"input": {"teamId": team, "personId": person, "percent": 60, "joinedOn": START}},
            )
            for team in teams
        )
    )
    assert sorted(bool(body.get("errors")) for body in bodies) == [False, True], bodies
    [lost] = [body for body in bodies if body.get("errors")]
    assert list(graphql_errors(lost)) == ["BAD_USER_INPUT"]
    assert "already in other teams for 60 %" in lost["errors"][0]["message"]
    assert await api.head() == before + 1


async def test_offboarding_ends_memberships_and_refuses_later_commands(api: Api) -> None:
    person = (await api.person())["id"]
    team = (await api.team())["id"]
    await api.join(team, person, 70, joined_on="2026-02-02")
    gone = await api.ok(
        OFFBOARD, {"personId": person, "reason": "Moved on", "lastDay": "2026-06-30"}
    )
    assert (gone["offboarded"], gone["lastDay"]) == (True, "2026-06-30")
    team_events = [event.event_type for event in await api.events(team)]
    assert team_events[-1] == "pmo.resources.TeamMemberLeft.v1"
    data = await api.query(
        "query($id: ID!) { team(id: $id) { members(includeFormer: true) { personId leftOn } } }",
        {"id": team},
    )
    assert data["team"]["members"] == [{"personId": person, "leftOn": "2026-06-30"}]
    await refused(
        api,
        ASSESS,
        {"personId": person, "skill": "go", "level": 2},
        "CONFLICT",
        "was offboarded (last day 2026-06-30)",
    )
    await refused(
        api,
        ADD_MEMBER,
        {"teamId": (await api.team())["id"], "personId": person, "percent": 10},
        "CONFLICT",
        "was offboarded",
    )


async def test_a_disbanded_team_is_no_home_and_takes_no_commands(api: Api) -> None:
    team = (await api.team())["id"]
    member = (await api.person())["id"]
    await api.join(team, member, 30)
    gone = await api.ok(DISBAND, {"teamId": team, "reason": "Merged", "disbandedOn": "2030-01-31"})
    assert gone["disbanded"]
    assert gone["members"] == [
        {
            "personId": member,
            "percent": 30,
            "joinedOn": START,
            "leftOn": "2030-01-31",
            "current": True,
        }
    ]
    await refused(
        api, ONBOARD, onboarding(homeTeamId=team), "BAD_USER_INPUT", "was disbanded on 2030-01-31"
    )
    await refused(api, ADOPT_TOOL, {"teamId": team, "toolId": "jira"}, "CONFLICT", "was disbanded")
