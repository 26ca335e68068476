"""Allocations through the API on the real Postgres: the life cycle, the 100 % rule with its
refusal (weeks and percentages named, nothing written) and its pmo/admin override, re-checks on
adjustment, bad input, and the releases that offboarding and disbanding cause.

Hand-computed figures: people work 40 h a week from 2026-01-05 (a Monday) unless said otherwise;
February 2026 starts on a Sunday, so 2026-02-02 is the Monday of 2026-W06.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.platform import graphql_errors

from . import allocating as a
from .conftest import DISBAND, OFFBOARD, Api


async def refused(
    api: Api,
    mutation: str,
    input: dict[str, Any],
    code: str,
    *fragments: str,
    role: str = "resource_manager",
) -> str:
    """Run `mutation`; it must be refused with `code`, a message holding every fragment, and
    nothing appended. Returns the message."""
    before = await api.head()
    body = await api.call(mutation, {"input": input}, role=role)
    assert list(graphql_errors(body)) == [code], body
    assert body["data"] is None
    message: str = body["errors"][0]["message"]
    for fragment in fragments:
        assert fragment in message, message
    assert await api.head() == before
    return message


async def status_of(api: Api, allocation_id: str) -> dict[str, Any]:
    found: dict[str, Any] = (await api.query(a.ALLOCATION, {"id": allocation_id}))["allocation"]
    return found


# --- life cycle --------------------------------------------------------------------------------


async def test_request_approve_adjust_release(api: Api) -> None:
    person = (await api.person())["id"]
    requested = await a.request(
        api,
        person=person,
        starts_on="2026-02-02",
        ends_on="2026-03-27",
        percent=50,
        role="portfolio_manager",
    )
    assert requested["status"] == "REQUESTED"
    assert requested["activeUntil"] is None
    assert requested["requestedBy"] == "test-user"

    approved = await a.approve(api, requested["id"])
    assert approved["status"] == "APPROVED"
    assert approved["activeUntil"] == "2026-03-27"
    assert approved["overrides"] == []

    adjusted = await api.ok(
        a.ADJUST,
        {
            "allocationId": requested["id"],
            "startsOn": "2026-02-02",
            "endsOn": "2026-04-24",
            "hoursPerWeek": "12.5",
        },
    )
    assert (adjusted["percent"], adjusted["hoursPerWeek"]) == (None, "12.5")
    assert adjusted["activeUntil"] == "2026-04-24"

    released = await api.ok(
        a.RELEASE,
        {"allocationId": requested["id"], "reason": "Scope cut", "releasedFrom": "2026-03-02"},
    )
    assert released["status"] == "RELEASED"
    assert released["releaseCause"] == "MANUAL"
    assert released["releasedFrom"] == "2026-03-02"
    assert released["activeUntil"] == "2026-03-01"
    events = [e.event_type.split(".")[2] for e in await api.events(requested["id"])]
    assert events == [
        "AllocationRequested",
        "AllocationApproved",
        "AllocationAdjusted",
        "AllocationReleased",
    ]


async def test_reject_and_release_from_the_first_day(api: Api) -> None:
    person = (await api.person())["id"]
    asked = await a.request(
        api, person=person, starts_on="2026-02-02", ends_on="2026-02-27", percent=10
    )
    rejected = await api.ok(a.REJECT, {"allocationId": asked["id"], "reason": "No budget"})
    assert (rejected["status"], rejected["rejectionReason"]) == ("REJECTED", "No budget")
    await refused(api, a.APPROVE, {"allocationId": asked["id"]}, "CONFLICT", "REJECTED")

    dropped = await a.approved(
        api, person=person, starts_on="2026-02-02", ends_on="2026-02-27", percent=10
    )
    released = await api.ok(
        a.RELEASE,
        {"allocationId": dropped["id"], "reason": "Not needed", "releasedFrom": "2026-02-02"},
    )
    assert released["activeUntil"] is None  # dropped entirely: nothing promised any more


async def test_team_allocation_and_lists(api: Api) -> None:
    team = (await api.team())["id"]
    person = (await api.person())["id"]
    await api.join(team, person, 50)
    initiative = a.initiative()
    mine = await a.approved(
        api,
        team=team,
        starts_on="2026-02-02",
        ends_on="2026-02-27",
        percent=40,
        initiative_id=initiative,
    )
    other = await a.request(
        api,
        person=person,
        starts_on="2026-03-02",
        ends_on="2026-03-27",
        hours="8",
        initiative_id=initiative,
    )
    query = """query($id: ID!, $first: Int, $after: String) {
      allocations(filter: {initiativeId: $id}, first: $first, after: $after) {
        edges { node { id status teamId personId team { id } person { id } } }
        pageInfo { hasNextPage endCursor } }
      team(id: $team) { allocations { id } }
    }""".replace("$after: String)", "$after: String, $team: ID!)")
    page = await api.query(query, {"id": initiative, "first": 1, "team": team})
    assert [edge["node"]["id"] for edge in page["allocations"]["edges"]] == [mine["id"]]
    assert page["allocations"]["edges"][0]["node"]["team"] == {"id": team}
    assert page["team"]["allocations"] == [{"id": mine["id"]}]
    after = page["allocations"]["pageInfo"]["endCursor"]
    rest = await api.query(query, {"id": initiative, "first": 5, "after": after, "team": team})
    assert [edge["node"]["id"] for edge in rest["allocations"]["edges"]] == [other["id"]]
    assert rest["allocations"]["pageInfo"]["hasNextPage"] is False

    person_query = """query($id: ID!) { person(id: $id) {
      all: allocations { id } requested: allocations(status: REQUESTED) { id } } }"""
    found = (await api.query(person_query, {"id": person}))["person"]
    assert found == {"all": [{"id": other["id"]}], "requested": [{"id": other["id"]}]}
    by_status = await api.query(
        """query($id: ID!) { allocations(filter: {initiativeId: $id, status: APPROVED}) {
          edges { node { id } } } }""",
        {"id": initiative},
    )
    assert by_status["allocations"]["edges"] == [{"node": {"id": mine["id"]}}]


# --- the 100 % rule -------------------------------------------------------------------------------


async def test_overcommitment_is_refused_naming_weeks_and_percent(api: Api) -> None:
    person = await api.person(name=f"Ada {a.initiative()}")
    await a.approved(
        api, person=person["id"], starts_on="2026-02-02", ends_on="2026-02-27", percent=60
    )
    # 50 % more in W08 and W09 (110 %: 44 of 40 h); W10 alone would be fine.
    second = await a.request(
        api, person=person["id"], starts_on="2026-02-16", ends_on="2026-03-06", percent=50
    )
    message = await refused(
        api,
        a.APPROVE,
        {"allocationId": second["id"]},
        "GUARDRAIL_VIOLATION",
        f"{person['name']} would be committed",
        "110 % in 2026-W08 (44 of 40 h, 4 h over)",
        "110 % in 2026-W09 (44 of 40 h, 4 h over)",
        "a pmo/admin may override with a reason",
    )
    assert "W10" not in message
    assert (await status_of(api, second["id"]))["status"] == "REQUESTED"

    # A resource manager may not override; a pmo may, and it is recorded.
    await refused(
        api,
        a.APPROVE,
        {"allocationId": second["id"], "overrideReason": "Crunch"},
        "FORBIDDEN",
        "only a pmo or admin may override",
    )
    done = await a.approve(api, second["id"], role="pmo", override="Release crunch, agreed")
    assert done["status"] == "APPROVED"
    [override] = done["overrides"]
    assert override["personId"] == person["id"]
    assert override["weeks"] == ["2026-W08", "2026-W09"]
    assert override["peakPercent"] in ("110", "110.00")
    assert override["reason"] == "Release crunch, agreed"
    events = [e.event_type.split(".")[2] for e in await api.events(second["id"])]
    assert events[-2:] == ["OvercommitmentOverridden", "AllocationApproved"]


async def test_partial_weeks_and_hours_mix(api: Api) -> None:
    person = (await api.person(hours="30"))["id"]
    # 20 h/week from Wednesday 2026-02-04 to Tuesday 2026-02-10: 12 h in W06, 8 h in W07.
    await a.approved(api, person=person, starts_on="2026-02-04", ends_on="2026-02-10", hours="20")
    # 60 % of 30 h from Monday 2026-02-09: 18 h in W07 with the 8 h above: 26 of 30, fine.
    await a.approved(api, person=person, starts_on="2026-02-09", ends_on="2026-02-13", percent=60)
    # 5 h more on Wednesday 2026-02-04 only (25 h/week x 1/5) is fine in W06 (17 of 30) ...
    await a.approved(api, person=person, starts_on="2026-02-04", ends_on="2026-02-04", hours="25")
    # ... and 20 % from Thursday 2026-02-12 to Sunday 2026-02-15 (20 % x 30 h x 2/5 = 2.4 h)
    # takes W07 to 28.4 h; fine. 50 % of 30 h over the whole of W07 (15 h) is not: 43.4 h.
    await a.approved(api, person=person, starts_on="2026-02-12", ends_on="2026-02-15", percent=20)
    late = await a.request(
        api, person=person, starts_on="2026-02-09", ends_on="2026-02-13", percent=50
    )
    await refused(
        api,
        a.APPROVE,
        {"allocationId": late["id"]},
        "GUARDRAIL_VIOLATION",
        "144.67 % in 2026-W07 (43.4 of 30 h, 13.4 h over)",
    )
    # Starting on a Saturday puts nothing on that week: only W08 counts.
    weekend = await a.request(
        api, person=person, starts_on="2026-02-14", ends_on="2026-02-20", percent=100
    )
    assert (await a.approve(api, weekend["id"]))["status"] == "APPROVED"


async def test_team_allocation_spreads_over_members_and_checks_each(api: Api) -> None:
    team = (await api.team())["id"]
    half = await api.person(name=f"Half {a.initiative()}", hours="40")
    full = await api.person(name=f"Full {a.initiative()}", hours="30")
    await api.join(team, half["id"], 50)
    await api.join(team, full["id"], 100)
    # `full` already gives 60 % of 30 h (18 h) to something else in W06.
    await a.approved(
        api, person=full["id"], starts_on="2026-02-02", ends_on="2026-02-06", percent=60
    )
    # 50 % of the team: half gets 50 % x 50 % x 40 = 10 h, full 50 % x 100 % x 30 = 15 h -> 33 h.
    team_ask = await a.request(
        api, team=team, starts_on="2026-02-02", ends_on="2026-02-06", percent=50
    )
    message = await refused(
        api,
        a.APPROVE,
        {"allocationId": team_ask["id"]},
        "GUARDRAIL_VIOLATION",
        f"{full['name']} would be committed 110 % in 2026-W06 (33 of 30 h, 3 h over)",
    )
    assert half["name"] not in message
    # 30 h/week spread 50:100 -> half 10 h, full 20 h (38 of 30): refused again; 12 h is fine.
    hours_ask = await a.request(
        api, team=team, starts_on="2026-02-02", ends_on="2026-02-06", hours="30"
    )
    await refused(
        api,
        a.APPROVE,
        {"allocationId": hours_ask["id"]},
        "GUARDRAIL_VIOLATION",
        "126.67 % in 2026-W06 (38 of 30 h, 8 h over)",
    )
    fits = await a.request(api, team=team, starts_on="2026-02-02", ends_on="2026-02-06", hours="12")
    assert (await a.approve(api, fits["id"]))["status"] == "APPROVED"
    # Now `full` is at 18 + 8 = 26 h: a personal 20 % (6 h) in W06 is refused (32 of 30).
    personal = await a.request(
        api, person=full["id"], starts_on="2026-02-02", ends_on="2026-02-06", percent=20
    )
    await refused(
        api,
        a.APPROVE,
        {"allocationId": personal["id"]},
        "GUARDRAIL_VIOLATION",
        "106.67 % in 2026-W06 (32 of 30 h, 2 h over)",
    )


async def test_adjusting_an_approved_allocation_is_checked_again(api: Api) -> None:
    person = (await api.person())["id"]
    await a.approved(api, person=person, starts_on="2026-03-02", ends_on="2026-03-27", percent=70)
    mine = await a.approved(
        api, person=person, starts_on="2026-02-02", ends_on="2026-02-27", percent=30
    )
    stretch = {"allocationId": mine["id"], "startsOn": "2026-02-02", "endsOn": "2026-03-06"}
    await refused(
        api,
        a.ADJUST,
        {**stretch, "percent": 40},
        "GUARDRAIL_VIOLATION",
        "110 % in 2026-W10 (44 of 40 h, 4 h over)",
    )
    # Its own old shape does not count twice: 30 % over the same range is fine.
    grown = await api.ok(a.ADJUST, {**stretch, "percent": 30})
    assert grown["activeUntil"] == "2026-03-06"
    overridden = await api.ok(
        a.ADJUST, {**stretch, "percent": 40, "overrideReason": "One week only"}, role="admin"
    )
    assert overridden["percent"] == 40
    assert overridden["overrides"][0]["weeks"] == ["2026-W10"]


async def test_concurrent_approvals_that_together_overcommit_one_person(api: Api) -> None:
    for _ in range(3):
        person = (await api.person())["id"]
        asks = [
            await a.request(
                api, person=person, starts_on="2026-02-02", ends_on="2026-02-27", percent=60
            )
            for _ in range(2)
        ]
        bodies = await _gather(
            *(api.call(a.APPROVE, {"input": {"allocationId": ask["id"]}}) for ask in asks)
        )
        codes = sorted(tuple(graphql_errors(body)) for body in bodies)
        assert codes == [(), ("GUARDRAIL_VIOLATION",)], bodies
        statuses = sorted([(await status_of(api, ask["id"]))["status"] for ask in asks])
        assert statuses == ["APPROVED", "REQUESTED"]


async def test_concurrent_team_and_person_approvals_on_a_shared_member(api: Api) -> None:
    team = (await api.team())["id"]
    member = (await api.person())["id"]
    await api.join(team, member, 100)
    team_ask = await a.request(
        api, team=team, starts_on="2026-02-02", ends_on="2026-02-27", percent=60
    )
    person_ask = await a.request(
        api, person=member, starts_on="2026-02-02", ends_on="2026-02-27", percent=60
    )
    bodies = await _gather(
        api.call(a.APPROVE, {"input": {"allocationId": team_ask["id"]}}),
        api.call(a.APPROVE, {"input": {"allocationId": person_ask["id"]}}),
    )
    codes = sorted(tuple(graphql_errors(body)) for body in bodies)
    assert codes == [(), ("GUARDRAIL_VIOLATION",)], bodies


async def _gather(*calls: Any) -> list[dict[str, Any]]:
    return list(await asyncio.gather(*calls))


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "code", "fragment"),
    [
        ({"startsOn": "2026-03-01", "endsOn": "2026-02-01"}, "BAD_USER_INPUT", "endsOn"),
        ({"percent": None, "hoursPerWeek": None}, "BAD_USER_INPUT", "hoursPerWeek"),
        ({"hoursPerWeek": "10"}, "BAD_USER_INPUT", "exactly one of percent"),
        ({"percent": 0}, "BAD_USER_INPUT", "percent"),
        ({"percent": None, "hoursPerWeek": "-4"}, "BAD_USER_INPUT", "hoursPerWeek"),
        ({"personId": "nobody"}, "NOT_FOUND", "no person has the id 'nobody'"),
        ({"teamId": "no-team"}, "BAD_USER_INPUT", "exactly one of personId and teamId"),
        ({"endsOn": "2029-01-01"}, "BAD_USER_INPUT", "endsOn"),
    ],
)
async def test_bad_requests_write_nothing(
    api: Api, changes: dict[str, Any], code: str, fragment: str
) -> None:
    person = (await api.person())["id"]
    given = {
        "initiativeId": a.initiative(),
        "personId": person,
        "startsOn": "2026-02-02",
        "endsOn": "2026-02-27",
        "percent": 50,
        **changes,
    }
    await refused(api, a.REQUEST, {k: v for k, v in given.items() if v is not None}, code, fragment)


async def test_unknown_team_and_allocation(api: Api) -> None:
    await refused(
        api,
        a.REQUEST,
        {
            "initiativeId": "x",
            "teamId": "no-team",
            "startsOn": "2026-02-02",
            "endsOn": "2026-02-06",
            "percent": 5,
        },
        "NOT_FOUND",
        "no team has the id 'no-team'",
    )
    await refused(api, a.APPROVE, {"allocationId": "no-such"}, "NOT_FOUND", "no-such")
    await refused(
        api, a.RELEASE, {"allocationId": "no-such", "reason": "x"}, "NOT_FOUND", "no-such"
    )


async def test_release_rules(api: Api) -> None:
    person = (await api.person())["id"]
    asked = await a.request(
        api, person=person, starts_on="2026-02-02", ends_on="2026-02-27", percent=5
    )
    await refused(
        api,
        a.RELEASE,
        {"allocationId": asked["id"], "reason": "x"},
        "CONFLICT",
        "reject it instead",
    )
    await a.approve(api, asked["id"])
    await refused(
        api,
        a.RELEASE,
        {"allocationId": asked["id"], "reason": "x", "releasedFrom": "2026-03-02"},
        "BAD_USER_INPUT",
        "releasedFrom (2026-03-02) must lie within",
    )


# --- leaving -----------------------------------------------------------------------------------


async def test_offboarding_releases_and_rejects_what_lies_after_the_last_day(api: Api) -> None:
    person = (await api.person())["id"]
    before = await a.approved(
        api, person=person, starts_on="2026-02-02", ends_on="2026-03-27", percent=20
    )
    across = await a.approved(
        api, person=person, starts_on="2026-03-02", ends_on="2026-06-26", percent=20
    )
    later = await a.approved(
        api, person=person, starts_on="2026-05-04", ends_on="2026-06-26", percent=20
    )
    asked = await a.request(
        api, person=person, starts_on="2026-05-04", ends_on="2026-05-29", percent=20
    )

    await api.ok(OFFBOARD, {"personId": person, "reason": "Moved on", "lastDay": "2026-03-31"})

    assert (await status_of(api, before["id"]))["status"] == "APPROVED"
    cut = await status_of(api, across["id"])
    assert (cut["status"], cut["releaseCause"]) == ("RELEASED", "PERSON_OFFBOARDED")
    assert (cut["releasedFrom"], cut["activeUntil"]) == ("2026-04-01", "2026-03-31")
    dropped = await status_of(api, later["id"])
    assert (dropped["status"], dropped["activeUntil"]) == ("RELEASED", None)
    assert dropped["releasedFrom"] == "2026-05-04"  # its first day
    assert (await status_of(api, asked["id"]))["status"] == "REJECTED"
    [released] = [e for e in await api.events(across["id"]) if "Released" in e.event_type]
    assert released.data["source_event_id"].startswith(f"Person/{person}/")
    # Nothing may be asked of them after their last day any more.
    await refused(
        api,
        a.REQUEST,
        {
            "initiativeId": "x",
            "personId": person,
            "startsOn": "2026-03-02",
            "endsOn": "2026-04-30",
            "percent": 5,
        },
        "BAD_USER_INPUT",
        "leaves after 2026-03-31",
    )


async def test_disbanding_releases_the_teams_allocations(api: Api) -> None:
    team = (await api.team())["id"]
    member = (await api.person())["id"]
    await api.join(team, member, 100)
    # A team is disbanded on or after the day it was formed (today): allocate it in 2030.
    across = await a.approved(
        api, team=team, starts_on="2030-01-07", ends_on="2030-03-29", percent=50
    )
    await api.ok(DISBAND, {"teamId": team, "reason": "Merged", "disbandedOn": "2030-01-31"})
    cut = await status_of(api, across["id"])
    assert (cut["status"], cut["releaseCause"]) == ("RELEASED", "TEAM_DISBANDED")
    assert (cut["releasedFrom"], cut["activeUntil"]) == ("2030-02-01", "2030-01-31")
    [released] = [e for e in await api.events(across["id"]) if "Released" in e.event_type]
    assert released.data["source_event_id"].startswith(f"Team/{team}/")
