"""The staffing planner: earliest fitting start, priority order consuming capacity, whole lines
or nothing, and the reasons a need cannot be placed."""

from __future__ import annotations

from decimal import Decimal

from pmo_resources.domain.capacity import IsoWeek
from pmo_resources.domain.staffing import (
    Candidate,
    DemandLine,
    LineStatus,
    Need,
    plan_staffing,
)

HORIZON = [IsoWeek(2027, week) for week in range(1, 9)]  # 2027-W01 .. W08
W = {week.week: week for week in HORIZON}


def hours(value: str | int) -> Decimal:
    return Decimal(value)


def asking(
    pool: str, per_person: dict[str, str | int], weeks: list[IsoWeek] | None = None
) -> Candidate:
    """A candidate asking the same hours of each person every week of the horizon (or `weeks`)."""
    return Candidate(
        pool_id=pool,
        name=f"Team {pool}",
        asks={
            person: {week: hours(value) for week in (weeks or HORIZON)}
            for person, value in per_person.items()
        },
    )


def need(key: str, weeks: int, *candidates: Candidate, earliest: int = 1, reason: str = "") -> Need:
    return Need(
        key=key,
        weeks=weeks,
        earliest=W[earliest],
        candidates=tuple(candidates),
        without_candidates=reason or "nobody can take it",
    )


def free(**people: int | dict[int, int]) -> dict[str, dict[IsoWeek, Decimal]]:
    """Free hours per person: the same every week, or per week number (others 40)."""
    found: dict[str, dict[IsoWeek, Decimal]] = {}
    for person, value in people.items():
        if isinstance(value, dict):
            found[person] = {week: hours(value.get(week.week, 40)) for week in HORIZON}
        else:
            found[person] = {week: hours(value) for week in HORIZON}
    return found


def test_a_need_starts_as_soon_as_it_fits() -> None:
    line = DemandLine("i1", (need("n1", 2, asking("T", {"ann": 10}), earliest=3),))
    [plan] = plan_staffing([line], HORIZON, free(ann=40))
    assert plan.status is LineStatus.STAFFABLE
    [placed] = plan.placements
    assert (placed.first_week, placed.last_week) == (W[3], W[4])
    assert plan.staffed_from == W[3]


def test_earlier_lines_consume_capacity_later_lines_wait() -> None:
    first = DemandLine("first", (need("a", 2, asking("T", {"ann": 30})),))
    second = DemandLine("second", (need("b", 2, asking("T", {"ann": 30})),))
    plans = plan_staffing([first, second], HORIZON, free(ann=40))
    assert [plan.rank for plan in plans] == [1, 2]
    assert plans[0].staffed_from == W[1]
    assert plans[1].staffed_from == W[3]  # ann has 10 h free in W01 and W02


def test_the_candidate_that_starts_earliest_wins_and_ties_go_to_the_first() -> None:
    busy = asking("X", {"xavier": 20})
    idle = asking("Y", {"yann": 20})
    line = DemandLine("i", (need("n", 2, busy, idle),))
    [plan] = plan_staffing([line], HORIZON, free(xavier={1: 0, 2: 0}, yann={1: 0}))
    assert plan.placements[0].candidate.pool_id == "Y"
    assert plan.placements[0].first_week == W[2]
    [tie] = plan_staffing([line], HORIZON, free(xavier=40, yann=40))
    assert tie.placements[0].candidate.pool_id == "X"


def test_a_team_asks_each_member_and_every_member_must_fit() -> None:
    team = asking("T", {"ann": 10, "bob": 20})
    line = DemandLine("i", (need("n", 1, team),))
    [plan] = plan_staffing([line], HORIZON, free(ann=40, bob={1: 19, 2: 19}))
    assert plan.placements[0].first_week == W[3]


def test_a_line_is_planned_whole_or_not_at_all() -> None:
    blocked = DemandLine(
        "blocked",
        (
            need("fits", 2, asking("T", {"ann": 40})),
            need("never", 2, reason="no team has skill 'cobol' at level 3 or above"),
        ),
    )
    after = DemandLine("after", (need("uses-it", 2, asking("T", {"ann": 40})),))
    first, second = plan_staffing([blocked, after], HORIZON, free(ann=40))
    assert first.status is LineStatus.NOT_STAFFABLE
    assert first.placements == ()
    [shortfall] = first.shortfalls
    assert shortfall.need.key == "never"
    assert shortfall.reason == "no team has skill 'cobol' at level 3 or above"
    # The blocked line kept nothing: the next one starts in W01.
    assert second.staffed_from == W[1]


def test_why_a_need_cannot_be_placed_names_the_week_and_the_person() -> None:
    team = asking("T", {"ann": 10, "bob": 25})
    line = DemandLine("i", (need("n", 8, team),))
    [plan] = plan_staffing([line], HORIZON, free(ann=40, bob={5: 4}), names={"bob": "Bob Builder"})
    assert plan.status is LineStatus.NOT_STAFFABLE
    assert plan.shortfalls[0].reason == (
        "not free for 8 consecutive weeks between 2027-W01 and 2027-W08: in 2027-W05, Team T "
        "would ask 25 h of Bob Builder, who has 4 h free"
    )


def test_overcommitted_people_have_nothing_free() -> None:
    line = DemandLine("i", (need("n", 8, asking("T", {"ann": 1})),))
    [plan] = plan_staffing([line], HORIZON, free(ann={2: -6}))
    assert "who has 0 h free" in plan.shortfalls[0].reason
    assert "in 2027-W02" in plan.shortfalls[0].reason


def test_a_team_without_members_carries_nothing() -> None:
    empty = asking("T", {"ann": 10}, weeks=[W[1], W[2]])  # ann leaves after W02
    line = DemandLine("i", (need("n", 3, empty),))
    [plan] = plan_staffing([line], HORIZON, free(ann=40))
    assert plan.shortfalls[0].reason == (
        "not free for 3 consecutive weeks between 2027-W01 and 2027-W08: Team T has nobody to "
        "carry it in 2027-W03"
    )


def test_needs_too_long_or_too_late_for_the_horizon() -> None:
    long = DemandLine("long", (need("n", 9, asking("T", {"ann": 1})),))
    late = DemandLine("late", (need("m", 3, asking("T", {"ann": 1}), earliest=7),))
    first, second = plan_staffing([long, late], HORIZON, free(ann=40))
    assert first.shortfalls[0].reason == "it needs 9 weeks, longer than the horizon of 8 weeks"
    assert second.shortfalls[0].reason == (
        "it cannot start before 2027-W07 and needs 3 weeks: the horizon ends with 2027-W08"
    )


def test_a_line_without_needs_has_nothing_to_plan() -> None:
    [plan] = plan_staffing([DemandLine("i", ())], HORIZON, free())
    assert plan.status is LineStatus.NOTHING_TO_PLAN
    assert plan.staffed_from is None
