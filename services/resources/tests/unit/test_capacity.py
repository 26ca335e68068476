"""The allocation arithmetic: weeks, working days, hours, capacity by date, commitment and
team spread."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import pytest
from pmo_events.errors import InvalidInput
from pmo_resources.domain.capacity import (
    AllocationLoad,
    CapacitySchedule,
    CommitmentContext,
    IsoWeek,
    Member,
    TeamMember,
    WeekLoad,
    apportion,
    describe_overcommitment,
    overcommitments,
    overcommitted_weeks,
    peak_percent,
    person_hours,
    team_member_hours,
    week_loads,
    weeks_between,
    working_days_in,
    working_fraction,
)
from pmo_resources.domain.team import Membership

D = Decimal
W49 = IsoWeek(2026, 49)  # Monday 2026-11-30 .. Sunday 2026-12-06
W50 = IsoWeek(2026, 50)
W51 = IsoWeek(2026, 51)


def person(
    allocation_id: str,
    starts_on: date,
    ends_on: date,
    *,
    percent: int | None = None,
    hours: str | None = None,
    person_id: str = "alice",
) -> AllocationLoad:
    return AllocationLoad(
        allocation_id=allocation_id,
        starts_on=starts_on,
        ends_on=ends_on,
        percent=percent,
        hours_per_week=None if hours is None else D(hours),
        person_id=person_id,
    )


def team(
    allocation_id: str,
    starts_on: date,
    ends_on: date,
    *,
    percent: int | None = None,
    hours: str | None = None,
    team_id: str = "t-1",
) -> AllocationLoad:
    return AllocationLoad(
        allocation_id=allocation_id,
        starts_on=starts_on,
        ends_on=ends_on,
        percent=percent,
        hours_per_week=None if hours is None else D(hours),
        team_id=team_id,
    )


def forty(_: date) -> Decimal:
    return D(40)


# --- weeks ---------------------------------------------------------------------------------------


def test_iso_weeks_label_parse_and_order() -> None:
    assert IsoWeek.of(date(2026, 12, 2)) == W49
    assert (W49.label, str(W49), W49.monday, W49.friday, W49.sunday) == (
        "2026-W49",
        "2026-W49",
        date(2026, 11, 30),
        date(2026, 12, 4),
        date(2026, 12, 6),
    )
    assert IsoWeek.parse("2026-W49") == W49
    assert W49 < W50 < IsoWeek(2027, 1)
    assert (W49.next(), W50.previous()) == (W50, W49)
    # 2026 has 53 ISO weeks; its last one holds 2027-01-01
    assert IsoWeek(2026, 53).next() == IsoWeek(2027, 1)
    assert IsoWeek.of(date(2027, 1, 1)) == IsoWeek(2026, 53)


@pytest.mark.parametrize("label", ["2026-49", "2026-W5", "2025-W53", "2026-W00", "W49", ""])
def test_a_label_that_is_no_iso_week_is_refused(label: str) -> None:
    with pytest.raises(InvalidInput, match="is not an ISO week; write it as YYYY-Www"):
        IsoWeek.parse(label)


def test_weeks_between_crosses_the_year_and_counts_weekend_only_weeks() -> None:
    assert weeks_between(date(2026, 12, 26), date(2027, 1, 4)) == [
        IsoWeek(2026, 52),  # Saturday and Sunday only
        IsoWeek(2026, 53),
        IsoWeek(2027, 1),
    ]
    assert weeks_between(date(2026, 12, 2), date(2026, 12, 1)) == []


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "week", "days"),
    [
        # Wednesday to the next Tuesday: 3/5 of the first week, 2/5 of the second
        (date(2026, 12, 2), date(2026, 12, 8), W49, 3),
        (date(2026, 12, 2), date(2026, 12, 8), W50, 2),
        # a whole week, Monday to Sunday, and Monday to Friday
        (date(2026, 11, 30), date(2026, 12, 6), W49, 5),
        (date(2026, 11, 30), date(2026, 12, 4), W49, 5),
        # starting on a Saturday contributes nothing to that week
        (date(2026, 12, 5), date(2026, 12, 11), W49, 0),
        (date(2026, 12, 5), date(2026, 12, 11), W50, 5),
        # a weekend only
        (date(2026, 12, 5), date(2026, 12, 6), W49, 0),
        # one day, and a week outside the range
        (date(2026, 12, 3), date(2026, 12, 3), W49, 1),
        (date(2026, 12, 3), date(2026, 12, 3), W50, 0),
        # ending on a Monday
        (date(2026, 12, 1), date(2026, 12, 7), W50, 1),
    ],
)
def test_working_days_and_fraction_of_a_week(
    starts_on: date, ends_on: date, week: IsoWeek, days: int
) -> None:
    assert working_days_in(week, starts_on, ends_on) == days
    assert working_fraction(week, starts_on, ends_on) == D(days) / 5


# --- hours of one allocation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("load", "week", "capacity", "hours"),
    [
        (person("a", date(2026, 12, 2), date(2026, 12, 8), percent=50), W49, "40", "12"),
        (person("a", date(2026, 12, 2), date(2026, 12, 8), percent=50), W50, "40", "8"),
        (person("a", date(2026, 12, 2), date(2026, 12, 8), hours="10"), W49, "40", "6"),
        (person("a", date(2026, 12, 2), date(2026, 12, 8), hours="10"), W50, "0", "4"),
        (person("a", date(2026, 11, 30), date(2026, 12, 31), percent=100), W50, "32", "32"),
        (person("a", date(2026, 11, 30), date(2026, 12, 31), percent=33), W50, "37.5", "12.375"),
        (person("a", date(2026, 12, 5), date(2026, 12, 31), percent=100), W49, "40", "0"),
        (person("a", date(2026, 12, 1), date(2026, 12, 1), hours="7.5"), W49, "40", "1.5"),
    ],
)
def test_hours_of_an_allocation_in_a_week(
    load: AllocationLoad, week: IsoWeek, capacity: str, hours: str
) -> None:
    assert load.hours_in(week, D(capacity)) == D(hours)


def test_a_load_needs_one_size_and_one_owner() -> None:
    with pytest.raises(ValueError, match="percent or hours_per_week"):
        AllocationLoad("a", date(2026, 12, 1), date(2026, 12, 2), person_id="alice")
    with pytest.raises(ValueError, match="person_id or team_id"):
        AllocationLoad("a", date(2026, 12, 1), date(2026, 12, 2), percent=10)


# --- capacity by date ----------------------------------------------------------------------------


def test_capacity_schedule_reads_the_value_in_force_and_is_zero_outside_employment() -> None:
    schedule = CapacitySchedule.of(
        [(date(2026, 12, 9), D(20)), (date(2026, 12, 2), D(40))],  # any order
        last_day=date(2027, 1, 15),
    )
    # the first value counts from the Monday of its week (a Wednesday start)
    assert schedule.on(date(2026, 11, 29)) == 0
    assert schedule.on(date(2026, 11, 30)) == 40
    assert schedule.on(date(2026, 12, 8)) == 40
    assert schedule.on(date(2026, 12, 9)) == 20
    assert schedule.on(date(2027, 1, 15)) == 20
    assert schedule.on(date(2027, 1, 16)) == 0
    assert CapacitySchedule.constant(D(32)).on(date(1999, 1, 1)) == 32


def test_a_week_counts_with_the_capacity_in_force_on_its_monday() -> None:
    # capacity drops from 40 to 20 on Wednesday of W50: W50 still counts 40, W51 counts 20
    schedule = CapacitySchedule.of([(date(2026, 1, 1), D(40)), (date(2026, 12, 9), D(20))])
    context = CommitmentContext(capacities={"alice": schedule.on})
    loads = week_loads(
        "alice",
        [W49, W50, W51],
        context,
        extra=[person("a", date(2026, 11, 30), date(2026, 12, 18), hours="24")],
    )
    assert [(w.week, w.hours, w.capacity, w.percent) for w in loads] == [
        ("2026-W49", D(24), D(40), D("60.00")),
        ("2026-W50", D(24), D(40), D("60.00")),
        ("2026-W51", D(24), D(20), D("120.00")),
    ]
    assert [w.overcommitted for w in loads] == [False, False, True]


# --- commitment ----------------------------------------------------------------------------------


def test_overlapping_allocations_sum_over_100_percent() -> None:
    context = CommitmentContext(
        capacities={"alice": forty},
        approved=[
            person("a1", date(2026, 11, 30), date(2026, 12, 18), percent=60),
            person("a2", date(2026, 12, 7), date(2026, 12, 31), percent=50),
            person("other", date(2026, 11, 30), date(2026, 12, 31), percent=90, person_id="bob"),
        ],
    )
    loads = week_loads("alice", [W49, W50, W51, IsoWeek(2026, 52)], context)
    assert [(w.week, w.hours, w.percent) for w in loads] == [
        ("2026-W49", D(24), D("60.00")),
        ("2026-W50", D(44), D("110.00")),
        ("2026-W51", D(44), D("110.00")),
        ("2026-W52", D(20), D("50.00")),
    ]
    assert [w.excess for w in loads] == [D(0), D(4), D(4), D(0)]


def test_percent_and_hours_mix_with_partial_weeks() -> None:
    context = CommitmentContext(
        capacities={"alice": forty},
        # 50 % all of W49 and W50 = 20 h a week
        approved=[person("a1", date(2026, 11, 30), date(2026, 12, 13), percent=50)],
    )
    # 30 h a week from Wednesday W49 to Tuesday W50: 18 h then 12 h
    candidate = person("new", date(2026, 12, 2), date(2026, 12, 8), hours="30")
    loads = week_loads("alice", [W49, W50], context, extra=[candidate])
    assert [(w.hours, w.percent) for w in loads] == [(D(38), D("95.00")), (D(32), D("80.00"))]
    assert overcommitted_weeks("alice", candidate, context) == []
    bigger = person("new", date(2026, 12, 2), date(2026, 12, 8), hours="40")
    assert overcommitted_weeks("alice", bigger, context) == [WeekLoad("2026-W49", D(44), D(40))]


def test_the_candidate_replaces_its_own_approved_shape() -> None:
    context = CommitmentContext(
        capacities={"alice": forty},
        approved=[person("a1", date(2026, 11, 30), date(2026, 12, 6), percent=80)],
    )
    adjusted = person("a1", date(2026, 11, 30), date(2026, 12, 6), percent=100)
    assert week_loads("alice", [W49], context, extra=[adjusted])[0].hours == D(40)
    assert overcommitted_weeks("alice", adjusted, context) == []


def test_a_week_without_capacity_is_overcommitted_by_any_hour() -> None:
    context = CommitmentContext(capacities={"alice": lambda day: D(0)})
    candidate = person("a", date(2026, 12, 4), date(2026, 12, 4), hours="5")
    [week] = overcommitted_weeks("alice", candidate, context)
    assert (week.hours, week.capacity, week.percent, week.overcommitted) == (D(1), D(0), None, True)
    assert WeekLoad("2026-W49", D(0), D(0)).overcommitted is False


def test_a_week_the_candidate_puts_nothing_on_is_not_its_overcommitment() -> None:
    # alice is already at 120 % in W49 (an earlier override); a candidate starting on Saturday
    # adds nothing to W49, so only W50 counts against it
    context = CommitmentContext(
        capacities={"alice": forty},
        approved=[person("a1", date(2026, 11, 30), date(2026, 12, 13), percent=100)],
    )
    over = overcommitted_weeks(
        "alice",
        person("new", date(2026, 12, 5), date(2026, 12, 13), percent=20),
        context,
    )
    assert [w.week for w in over] == ["2026-W50"]


def test_overcommitment_is_described_week_by_week() -> None:
    weeks = [
        WeekLoad("2026-W49", D(52), D(40)),
        WeekLoad("2026-W50", D("46"), D(40)),
        WeekLoad("2026-W51", D("8.5"), D(0)),
    ]
    assert describe_overcommitment("alice", weeks) == (
        "alice would be committed 130 % in 2026-W49 (52 of 40 h, 12 h over), "
        "115 % in 2026-W50 (46 of 40 h, 6 h over), "
        "in 2026-W51 without any capacity (8.5 of 0 h)"
    )
    assert describe_overcommitment("alice", weeks, shown=1).endswith(
        "(52 of 40 h, 12 h over), and 2 more weeks"
    )
    assert peak_percent(weeks) == D(130)
    assert peak_percent(weeks[2:]) == D(0)


def test_a_missing_capacity_is_a_programming_error_naming_the_person() -> None:
    with pytest.raises(ValueError, match="no capacity for person 'bob'"):
        week_loads("bob", [W49], CommitmentContext(capacities={}))


# --- team spread ---------------------------------------------------------------------------------

ROSTER = [
    TeamMember("alice", 100, date(2026, 1, 1)),
    TeamMember("bob", 50, date(2026, 1, 1)),
]


def team_context(
    roster: Sequence[Member] = ROSTER, *, approved: list[AllocationLoad] | None = None
) -> CommitmentContext:
    return CommitmentContext(
        capacities={"alice": forty, "bob": forty, "carol": lambda day: D(20)},
        rosters={"t-1": roster},
        approved=approved or [],
    )


@pytest.mark.parametrize(
    ("load", "alice", "bob"),
    [
        # 40 % of the team: alice 40 % of 100 % of 40 h, bob 40 % of 50 % of 40 h
        (team("t", date(2026, 11, 30), date(2026, 12, 6), percent=40), "16", "8"),
        # 30 h a week split 100:50
        (team("t", date(2026, 11, 30), date(2026, 12, 6), hours="30"), "20", "10"),
        # partial week (Wednesday to Friday): 3/5 of each
        (team("t", date(2026, 12, 2), date(2026, 12, 4), hours="30"), "12", "6"),
    ],
)
def test_a_team_allocation_is_spread_by_team_percentage(
    load: AllocationLoad, alice: str, bob: str
) -> None:
    context = team_context()
    assert person_hours("alice", load, W49, context) == D(alice)
    assert person_hours("bob", load, W49, context) == D(bob)
    assert person_hours("carol", load, W49, context) == 0  # not a member


def test_members_joining_or_leaving_mid_week_share_only_their_days() -> None:
    roster = [
        TeamMember("alice", 100, date(2026, 1, 1)),
        TeamMember("bob", 100, date(2026, 12, 2)),  # joins on Wednesday
        TeamMember("carol", 100, date(2026, 1, 1), left_on=date(2026, 12, 1)),  # leaves Tuesday
    ]
    context = team_context(roster)
    load = team("t", date(2026, 11, 30), date(2026, 12, 6), hours="30")  # 6 h a day
    # Mon, Tue: alice and carol 3 h each; Wed-Fri: alice and bob 3 h each
    assert [person_hours(p, load, W49, context) for p in ("alice", "bob", "carol")] == [
        D(15),
        D(9),
        D(6),
    ]
    percent = team("t", date(2026, 11, 30), date(2026, 12, 6), percent=50)
    # 50 % of each member's daily capacity (alice and bob 8 h, carol 4 h) on their days
    assert [person_hours(p, percent, W49, context) for p in ("alice", "bob", "carol")] == [
        D(20),
        D(12),
        D(4),
    ]


def test_the_team_aggregates_memberships_serve_as_a_roster() -> None:
    roster = [
        Membership("t-1", "alice", 100, date(2026, 1, 1)),
        Membership("t-1", "bob", 50, date(2026, 1, 1), left_on=date(2026, 12, 1)),
    ]
    load = team("t", date(2026, 11, 30), date(2026, 12, 6), hours="30")
    # Mon, Tue: 6 h split 100:50 (4 and 2); Wed-Fri: alice alone, 6 h a day
    assert [person_hours(p, load, W49, team_context(roster)) for p in ("alice", "bob")] == [
        D(26),
        D(4),
    ]


def test_hours_spread_to_the_thousandth_add_up_exactly() -> None:
    assert apportion(D(2), [33, 33, 33]) == [D("0.667"), D("0.667"), D("0.666")]
    assert apportion(D("1.5"), [1, 2]) == [D("0.5"), D("1.0")]
    assert apportion(D(3), [0, 0]) == [D(0), D(0)]
    roster = [TeamMember(p, 33, date(2026, 1, 1)) for p in ("alice", "bob", "carol")]
    load = team("t", date(2026, 11, 30), date(2026, 12, 6), hours="10")
    context = team_context(roster)
    shares = [team_member_hours(load, W49, p, members=roster, capacity=D(40)) for p in "abc"]
    assert shares == [D(0), D(0), D(0)]  # ids that are not members get nothing
    spread = [person_hours(p, load, W49, context) for p in ("alice", "bob", "carol")]
    assert spread == [D("3.335"), D("3.335"), D("3.330")]
    assert sum(spread) == D(10)


def test_team_allocations_count_toward_each_members_commitment() -> None:
    context = team_context(
        approved=[team("t-old", date(2026, 11, 30), date(2026, 12, 13), percent=50)]
    )
    # alice: 50 % of her team share (20 h) + a personal 24 h = 44 h
    candidate = person("mine", date(2026, 11, 30), date(2026, 12, 6), hours="24")
    assert overcommitted_weeks("alice", candidate, context) == [WeekLoad("2026-W49", D(44), D(40))]
    # a new team allocation of 60 % overcommits alice (110 %) but not bob (55 %)
    found = overcommitments(
        team("t-new", date(2026, 12, 7), date(2026, 12, 13), percent=60), context
    )
    assert found == {"alice": [WeekLoad("2026-W50", D(44), D(40))]}


def test_a_missing_roster_is_a_programming_error_naming_the_team() -> None:
    with pytest.raises(ValueError, match="no roster for team 't-9'"):
        overcommitments(
            team("x", date(2026, 12, 1), date(2026, 12, 2), percent=5, team_id="t-9"),
            CommitmentContext(capacities={}),
        )
