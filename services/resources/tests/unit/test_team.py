"""The Team aggregate: forming, members and the 100 % rule across teams, capacity plans, tools,
disbanding."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pmo_events.errors import Conflict, InvalidInput, NotFound
from pmo_resources.domain import events as e
from pmo_resources.domain.events import TeamTopology
from pmo_resources.domain.person import Person
from pmo_resources.domain.team import (
    MEMBERS_MAX,
    CapacityPlan,
    Membership,
    Team,
    peak_share,
)

NOW = datetime(2026, 1, 2, 9, 0, tzinfo=UTC)
START = date(2026, 1, 5)
JAN, FEB, MAR, APR = date(2026, 1, 5), date(2026, 2, 2), date(2026, 3, 2), date(2026, 4, 6)


def team(team_id: str = "t-1", **changes: Any) -> Team:
    values: dict[str, Any] = {
        "name": "Payments",
        "topology": TeamTopology.STREAM_ALIGNED,
        "value_stream": "Retail payments",
        "actor": "rita",
        "now": NOW,
    }
    values.update(changes)
    return Team.form(team_id, **values)


def person(person_id: str = "p-1", starts_on: date = START) -> Person:
    return Person.onboard(
        person_id,
        name=f"Person {person_id}",
        email=f"{person_id}@example.com",
        title="Engineer",
        home_team_id=None,
        weekly_capacity_hours=Decimal(40),
        cost_rate=Decimal(90),
        currency="EUR",
        starts_on=starts_on,
        actor="rita",
        now=NOW,
    )


def join(
    target: Team,
    who: Person,
    percent: int,
    joined_on: date = JAN,
    others: list[Membership] | None = None,
) -> None:
    target.add_member(
        who, percent, joined_on=joined_on, other_memberships=others or [], actor="r", now=NOW
    )


def elsewhere(
    percent: int, joined_on: date = JAN, left_on: date | None = None, team_id: str = "t-x"
) -> Membership:
    return Membership(team_id, "p-1", percent, joined_on, left_on)


def replayed(target: Team) -> Team:
    return Team.from_events(target.id, list(target.pending))


# --- forming -------------------------------------------------------------------------------------


def test_forming_records_name_topology_and_value_stream() -> None:
    formed = team(name=" Payments ", topology="PLATFORM")
    [event] = formed.pending
    assert isinstance(event, e.TeamFormed)
    assert (event.name, event.topology, event.value_stream) == (
        "Payments",
        TeamTopology.PLATFORM,
        "Retail payments",
    )
    assert replayed(formed) == formed


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "name must not be empty"),
        ({"name": "n" * 201}, "name is 201 characters long"),
        ({"value_stream": " "}, "value_stream must not be empty"),
        ({"topology": "SQUAD"}, "topology must be one of STREAM_ALIGNED, PLATFORM"),
    ],
)
def test_forming_refuses_bad_input(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        team(**changes)


# --- members and the 100 % rule ------------------------------------------------------------------


def test_a_member_joins_with_a_share() -> None:
    formed, ada = team(), person()
    join(formed, ada, 60)
    event = formed.pending[-1]
    assert isinstance(event, e.TeamMemberJoined)
    assert (event.person_id, event.allocation_percent, event.joined_on) == ("p-1", 60, JAN)
    assert formed.members_on(JAN) == [Membership("t-1", "p-1", 60, JAN)]
    assert replayed(formed) == formed


@pytest.mark.parametrize("percent", [0, 101, -5])
def test_a_share_is_1_to_100(percent: int) -> None:
    with pytest.raises(InvalidInput, match="allocation_percent must be between 1 and 100"):
        join(team(), person(), percent)


def test_shares_across_teams_may_reach_but_not_exceed_100() -> None:
    join(team(), person(), 40, others=[elsewhere(60)])  # exactly 100: fine
    with pytest.raises(InvalidInput) as refused:
        join(team(), person(), 41, others=[elsewhere(60)])
    message = refused.value.message
    assert "already in other teams for 60 % on 2026-01-05 (team 't-x' 60 %)" in message
    assert "41 % more would make 101 %" in message
    assert "Give at most 40 %" in message


def test_a_person_at_100_percent_has_no_share_left() -> None:
    with pytest.raises(InvalidInput, match="no share is free; remove them from another team"):
        join(team(), person(), 1, others=[elsewhere(100)])


def test_only_memberships_that_overlap_the_new_one_count() -> None:
    ended = elsewhere(80, JAN, left_on=FEB - timedelta(days=1))
    join(team(), person(), 50, joined_on=FEB, others=[ended])  # 80 % ended before February
    with pytest.raises(InvalidInput, match="80 % on 2026-01-05"):
        join(team(), person(), 50, joined_on=JAN, others=[ended])


def test_a_later_membership_counts_from_the_day_it_starts() -> None:
    later = elsewhere(70, MAR, team_id="t-later")
    with pytest.raises(InvalidInput, match=r"70 % on 2026-03-02 \(team 't-later' 70 %\)"):
        join(team(), person(), 40, joined_on=JAN, others=[later])


def test_the_peak_is_where_memberships_overlap_most() -> None:
    memberships = [
        elsewhere(30, JAN, left_on=MAR, team_id="a"),
        elsewhere(30, FEB, team_id="b"),
        elsewhere(30, APR, team_id="c"),  # starts after a ended: b + c = 60
    ]
    peak = peak_share(memberships, JAN)
    assert (peak.percent, peak.day) == (60, FEB)
    assert {m.team_id for m in peak.memberships} == {"a", "b"}
    assert peak_share(memberships, APR).percent == 60
    assert peak_share([], JAN).percent == 0
    join(team(), person(), 40, joined_on=JAN, others=memberships)
    with pytest.raises(InvalidInput, match="60 % on 2026-02-02"):
        join(team(), person(), 41, joined_on=JAN, others=memberships)


def test_the_teams_own_membership_is_not_counted_as_another_team() -> None:
    formed, ada = team(), person()
    join(formed, ada, 60, joined_on=JAN)
    formed.remove_member("p-1", left_on=FEB, actor="r", now=NOW)
    # The read model would list this team's ended membership too; it is the team's own.
    join(formed, ada, 100, joined_on=MAR, others=[Membership("t-1", "p-1", 60, JAN, FEB)])
    assert formed.members["p-1"] == Membership("t-1", "p-1", 100, MAR)


def test_a_member_cannot_join_twice_and_rejoins_only_after_leaving() -> None:
    formed, ada = team(), person()
    join(formed, ada, 50)
    with pytest.raises(Conflict, match="already a member of team 't-1' with 50 % since 2026-01-05"):
        join(formed, ada, 20, joined_on=FEB)
    formed.remove_member("p-1", left_on=FEB, actor="r", now=NOW)
    with pytest.raises(InvalidInput, match="until 2026-02-02; rejoin on 2026-02-03 or later"):
        join(formed, ada, 20, joined_on=FEB)
    join(formed, ada, 20, joined_on=FEB + timedelta(days=1))


def test_an_offboarded_person_cannot_join() -> None:
    ada = person()
    ada.offboard(last_day=MAR, reason="Left", actor="r", now=NOW)
    with pytest.raises(Conflict, match=r"was offboarded \(last day 2026-03-02\) and cannot join"):
        join(team(), ada, 10)


def test_nobody_joins_before_their_start_date() -> None:
    with pytest.raises(InvalidInput, match=r"joined_on \(2026-01-04\) is before person 'p-1'"):
        join(team(), person(), 10, joined_on=date(2026, 1, 4))


def test_a_team_has_at_most_so_many_members() -> None:
    formed = team()
    for n in range(MEMBERS_MAX):
        join(formed, person(f"p-{n}"), 10)
    with pytest.raises(InvalidInput, match=f"already has {MEMBERS_MAX} members"):
        join(formed, person("p-extra"), 10)


def test_a_member_leaves_after_a_day() -> None:
    formed, ada = team(), person()
    join(formed, ada, 50)
    formed.remove_member("p-1", left_on=MAR, actor="r", now=NOW)
    event = formed.pending[-1]
    assert isinstance(event, e.TeamMemberLeft)
    assert event.left_on == MAR
    assert formed.members_on(MAR) != []
    assert formed.members_on(MAR + timedelta(days=1)) == []
    assert formed.open_members == []
    assert replayed(formed) == formed


def test_leaving_needs_a_member_and_a_date_not_before_joining() -> None:
    formed, ada = team(), person()
    with pytest.raises(NotFound, match="person 'p-1' is not a member of team 't-1'"):
        formed.remove_member("p-1", left_on=MAR, actor="r", now=NOW)
    join(formed, ada, 50, joined_on=FEB)
    with pytest.raises(InvalidInput, match=r"left_on \(2026-01-31\) is before person 'p-1' joined"):
        formed.remove_member("p-1", left_on=date(2026, 1, 31), actor="r", now=NOW)
    formed.remove_member("p-1", left_on=FEB - timedelta(days=1), actor="r", now=NOW)  # never
    with pytest.raises(NotFound, match="is not a member"):
        formed.remove_member("p-1", left_on=MAR, actor="r", now=NOW)


# --- capacity plans and tools --------------------------------------------------------------------


def test_a_plan_replaces_the_same_label_and_a_repeat_records_nothing() -> None:
    formed = team()
    plan: dict[str, Any] = {"starts_on": JAN, "ends_on": FEB, "actor": "r", "now": NOW}
    formed.plan_capacity("PI 1 / I1", capacity_hours=Decimal(400), **plan)
    formed.plan_capacity("PI 1 / I1", capacity_hours=Decimal(360), **plan)
    count = len(formed.pending)
    formed.plan_capacity("PI 1 / I1", capacity_hours=Decimal(360), **plan)
    assert len(formed.pending) == count
    assert formed.plans == {"PI 1 / I1": CapacityPlan("PI 1 / I1", JAN, FEB, Decimal(360))}
    assert replayed(formed) == formed


def test_a_plan_needs_a_label_an_ordered_range_and_non_negative_hours() -> None:
    formed = team()
    with pytest.raises(InvalidInput, match="label must not be empty"):
        formed.plan_capacity(
            " ", starts_on=JAN, ends_on=FEB, capacity_hours=Decimal(1), actor="r", now=NOW
        )
    with pytest.raises(InvalidInput, match=r"starts_on \(2026-02-02\) is after ends_on"):
        formed.plan_capacity(
            "I1", starts_on=FEB, ends_on=JAN, capacity_hours=Decimal(1), actor="r", now=NOW
        )
    with pytest.raises(InvalidInput, match="capacity_hours must be between 0"):
        formed.plan_capacity(
            "I1", starts_on=JAN, ends_on=FEB, capacity_hours=Decimal(-1), actor="r", now=NOW
        )
    # A one-day iteration and zero hours (a holiday iteration) are fine.
    formed.plan_capacity(
        "I0", starts_on=JAN, ends_on=JAN, capacity_hours=Decimal(0), actor="r", now=NOW
    )


def test_adopting_a_tool_twice_records_it_once() -> None:
    formed = team()
    formed.adopt_tool("jira", actor="r", now=NOW)
    formed.adopt_tool("jira", actor="r", now=NOW)
    assert formed.tool_ids == ["jira"]
    assert sum(isinstance(event, e.TeamToolAdopted) for event in formed.pending) == 1
    with pytest.raises(InvalidInput, match="tool_id must not be empty"):
        formed.adopt_tool(" ", actor="r", now=NOW)


# --- disbanding ----------------------------------------------------------------------------------


def test_disbanding_ends_every_open_membership_first() -> None:
    formed = team()
    join(formed, person("p-1"), 50, joined_on=JAN)
    join(
        formed, person("p-2"), 50, joined_on=APR
    )  # joins after the disband day: never takes effect
    join(formed, person("p-3"), 50, joined_on=JAN)
    formed.remove_member("p-3", left_on=FEB, actor="r", now=NOW)
    formed.disband(reason="Merged into Cards", disbanded_on=MAR, actor="r", now=NOW)
    left = {
        event.person_id: event.left_on
        for event in formed.pending
        if isinstance(event, e.TeamMemberLeft)
    }
    assert left == {"p-1": MAR, "p-2": APR - timedelta(days=1), "p-3": FEB}
    assert isinstance(formed.pending[-1], e.TeamDisbanded)
    assert formed.disbanded
    assert formed.open_members == []
    assert replayed(formed) == formed


def test_a_disbanded_team_refuses_every_command() -> None:
    formed = team()
    formed.disband(reason="Done", disbanded_on=NOW.date(), actor="r", now=NOW)
    refusals = [
        lambda: join(formed, person(), 10),
        lambda: formed.remove_member("p-1", left_on=MAR, actor="r", now=NOW),
        lambda: formed.plan_capacity(
            "I1", starts_on=JAN, ends_on=FEB, capacity_hours=Decimal(1), actor="r", now=NOW
        ),
        lambda: formed.adopt_tool("jira", actor="r", now=NOW),
        lambda: formed.disband(reason="again", disbanded_on=MAR, actor="r", now=NOW),
    ]
    for refused in refusals:
        with pytest.raises(Conflict, match="was disbanded on 2026-01-02"):
            refused()


def test_disbanding_needs_a_reason_and_a_day_not_before_forming() -> None:
    with pytest.raises(InvalidInput, match="reason must not be empty"):
        team().disband(reason="", disbanded_on=MAR, actor="r", now=NOW)
    with pytest.raises(InvalidInput, match=r"disbanded_on \(2026-01-01\) is before team"):
        team().disband(reason="r", disbanded_on=date(2026, 1, 1), actor="r", now=NOW)
