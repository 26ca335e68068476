"""The allocation arithmetic: ISO weeks, working days, hours per week, commitment, overcommitment.

Pure and exact (Decimal, no floats), so the aggregates' invariants and the read models (heat map,
utilisation, bench, labour accrual) compute the same numbers.

Rules:

- **Weeks** are ISO 8601 weeks, Monday to Sunday, labelled ``2026-W49`` (`IsoWeek`).
- **Working days** are Monday to Friday. An allocation puts hours only on the working days of a
  week that fall inside its range: the week's *fraction* is (working days inside) / 5. A range
  from a Wednesday to the next Tuesday spans two weeks at 3/5 and 2/5; a range starting on a
  Saturday contributes nothing to that week. Public holidays are not modelled: they are absence,
  and a person's capacity change expresses absence.
- **Hours** of an allocation in a week: ``percent / 100 * weekly capacity * fraction``, or
  ``hours_per_week * fraction``.
- **Capacity** can change by date (`CapacityLookup`, e.g. `CapacitySchedule.on`). A week counts
  with the capacity in force on its **Monday**: a change that takes effect mid-week applies from
  the next week on, so every week has one capacity and the arithmetic stays per week.
- **Commitment** of a person in a week: the hours of every approved allocation touching them
  (their own, and their share of their teams' allocations) plus the allocation being checked, as
  hours and as a percentage of that week's capacity. The person is **overcommitted** in a week when
  the hours exceed the capacity; a week without capacity is overcommitted by any hour at all.
- **Team allocations** are spread over the members present on each working day, by their team
  percentage (`TeamMember.percent`): for a percentage allocation each member gives ``percent`` of
  their team share, ``percent / 100 * team percent / 100 * capacity / 5`` per day; for hours per
  week, each day's ``hours_per_week / 5`` is divided among the members present in proportion to
  their team percentages (to the thousandth of an hour, largest remainders first, so the shares
  add up exactly). Spreading by team percentage keeps a member's load a function of their own
  capacity and the roster alone. A day on which the team has no member places nothing on anyone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Protocol

from pmo_events.errors import InvalidInput

WORKING_DAYS = 5
HUNDRED = Decimal(100)
_PERCENT_PLACES = Decimal("0.01")
_SHARE_QUANTUM = Decimal("0.001")  # team hours are spread to the thousandth of an hour
_WEEK_LABEL = re.compile(r"^(\d{4})-W(\d{2})$")

CapacityLookup = Callable[[date], Decimal]
"""A person's weekly capacity (hours) in force on a date."""


# --- weeks and working days ----------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class IsoWeek:
    """An ISO 8601 week (Monday to Sunday); orders chronologically."""

    year: int
    week: int

    def __post_init__(self) -> None:
        # date.fromisocalendar refuses week 53 of a 52-week year: fail at construction.
        date.fromisocalendar(self.year, self.week, 1)

    @classmethod
    def of(cls, day: date) -> IsoWeek:
        year, week, _ = day.isocalendar()
        return cls(year, week)

    @classmethod
    def parse(cls, label: str) -> IsoWeek:
        """``2026-W49`` → IsoWeek(2026, 49); InvalidInput for anything else."""
        matched = _WEEK_LABEL.fullmatch(label)
        if matched is not None:
            try:
                return cls(int(matched[1]), int(matched[2]))
            except ValueError:
                pass
        raise InvalidInput(
            f"{label!r} is not an ISO week; write it as YYYY-Www with a week that exists in that "
            "year, e.g. 2026-W49"
        )

    @property
    def label(self) -> str:
        return f"{self.year:04d}-W{self.week:02d}"

    def __str__(self) -> str:
        return self.label

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def friday(self) -> date:
        return self.monday + timedelta(days=4)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def working_days(self) -> tuple[date, ...]:
        monday = self.monday
        return tuple(monday + timedelta(days=offset) for offset in range(WORKING_DAYS))

    def next(self) -> IsoWeek:
        return IsoWeek.of(self.monday + timedelta(days=7))

    def previous(self) -> IsoWeek:
        return IsoWeek.of(self.monday - timedelta(days=7))


def weeks_between(starts_on: date, ends_on: date) -> list[IsoWeek]:
    """Every ISO week that has a day in ``starts_on..ends_on`` (weekend-only weeks included)."""
    if starts_on > ends_on:
        return []
    weeks: list[IsoWeek] = []
    week, last = IsoWeek.of(starts_on), IsoWeek.of(ends_on)
    while week <= last:
        weeks.append(week)
        week = week.next()
    return weeks


def working_days_in(week: IsoWeek, starts_on: date, ends_on: date) -> int:
    """How many of the week's working days (Monday-Friday) fall in ``starts_on..ends_on``."""
    return sum(1 for day in week.working_days if starts_on <= day <= ends_on)


def working_fraction(week: IsoWeek, starts_on: date, ends_on: date) -> Decimal:
    """The share of the week's working days inside the range: 0, 1/5, 2/5 … 1 (exact)."""
    return Decimal(working_days_in(week, starts_on, ends_on)) / WORKING_DAYS


# --- capacity ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CapacitySchedule:
    """A person's weekly capacity over time, from their dated values (`PersonOnboarded`,
    `CapacityChanged`) and their last day (`PersonOffboarded`).

    `on(day)` is the latest value effective on or before `day`; 0 before the first one and after
    `last_day`. The first value counts from the Monday of its week: someone who starts on a
    Wednesday has their capacity for that week (weeks are read on Mondays, and their allocations'
    working-day fractions already count only the days they cover).

    Build it from the Person aggregate as ``CapacitySchedule.of(((c.effective_from,
    c.weekly_hours) for c in person.capacity_history), last_day=person.last_day)``. Passing
    `Person.capacity_on` itself also works, but it is 0 on the Monday of a week the person starts
    mid-week, so any allocation in that first week would count as overcommitment.
    """

    values: tuple[tuple[date, Decimal], ...]
    last_day: date | None = None

    @classmethod
    def of(
        cls, values: Iterable[tuple[date, Decimal]], *, last_day: date | None = None
    ) -> CapacitySchedule:
        ordered = sorted(values, key=lambda value: value[0])  # stable: same date, later wins
        if ordered:
            first_day, first_hours = ordered[0]
            ordered[0] = (IsoWeek.of(first_day).monday, first_hours)
        return cls(tuple(ordered), last_day)

    @classmethod
    def constant(cls, hours: Decimal) -> CapacitySchedule:
        return cls(((date.min, hours),))

    def on(self, day: date) -> Decimal:
        if self.last_day is not None and day > self.last_day:
            return Decimal(0)
        current = Decimal(0)
        for effective_from, hours in self.values:
            if effective_from > day:
                break
            current = hours
        return current


def weekly_capacity(capacity_on: CapacityLookup, week: IsoWeek) -> Decimal:
    """The capacity a week counts with: the one in force on its Monday."""
    return capacity_on(week.monday)


# --- allocations and their hours -----------------------------------------------------------------


@dataclass(frozen=True)
class AllocationLoad:
    """What an allocation asks of a person or a team over a range (for the arithmetic).

    `ends_on` is the last day it is active: for a released allocation, the day before
    `released_from` (see `Allocation.load`).
    """

    allocation_id: str
    starts_on: date
    ends_on: date
    percent: int | None = None
    hours_per_week: Decimal | None = None
    person_id: str | None = None
    team_id: str | None = None

    def __post_init__(self) -> None:
        # A malformed load is a programming error in the caller, not bad user input.
        if (self.percent is None) == (self.hours_per_week is None):
            raise ValueError(f"load {self.allocation_id!r}: give percent or hours_per_week")
        if (self.person_id is None) == (self.team_id is None):
            raise ValueError(f"load {self.allocation_id!r}: give person_id or team_id")

    @property
    def weeks(self) -> list[IsoWeek]:
        return weeks_between(self.starts_on, self.ends_on)

    def hours_in(self, week: IsoWeek, capacity: Decimal) -> Decimal:
        """Hours in `week` for one person whose weekly capacity that week is `capacity`."""
        fraction = working_fraction(week, self.starts_on, self.ends_on)
        if self.percent is not None:
            return Decimal(self.percent) / HUNDRED * capacity * fraction
        assert self.hours_per_week is not None  # __post_init__
        return self.hours_per_week * fraction


class Member(Protocol):
    """A person's membership of a team over time, as the arithmetic reads it (`TeamMember`, or
    the Team aggregate's `Membership`, fit)."""

    @property
    def person_id(self) -> str: ...
    @property
    def percent(self) -> int: ...
    @property
    def joined_on(self) -> date: ...
    @property
    def left_on(self) -> date | None: ...


def present_on(member: Member, day: date) -> bool:
    return member.joined_on <= day and (member.left_on is None or day <= member.left_on)


@dataclass(frozen=True)
class TeamMember:
    """A person in a team from `joined_on` to `left_on` (their last day there), both included."""

    person_id: str
    percent: int
    joined_on: date
    left_on: date | None = None


def team_member_hours(
    load: AllocationLoad,
    week: IsoWeek,
    person_id: str,
    *,
    members: Sequence[Member],
    capacity: Decimal,
) -> Decimal:
    """The hours a team allocation puts on one member in `week` (see the module's rules).

    `members`: the team's whole roster over time; `capacity`: the member's weekly capacity
    that week.
    """
    total = Decimal(0)
    for day in week.working_days:
        if not load.starts_on <= day <= load.ends_on:
            continue
        present = [member for member in members if present_on(member, day)]
        if not any(member.person_id == person_id for member in present):
            continue
        if load.percent is not None:
            for member in present:
                if member.person_id == person_id:
                    total += (
                        (Decimal(load.percent) * member.percent / (HUNDRED * HUNDRED))
                        * capacity
                        / WORKING_DAYS
                    )
        else:
            assert load.hours_per_week is not None
            shares = apportion(load.hours_per_week / WORKING_DAYS, [m.percent for m in present])
            total += sum(
                (s for m, s in zip(present, shares, strict=True) if m.person_id == person_id),
                Decimal(0),
            )
    return total


def apportion(total: Decimal, weights: Sequence[int]) -> list[Decimal]:
    """Split `total` by `weights` to the thousandth, shares adding up to `total` exactly.

    Each share is rounded down; the thousandths left over go one each to the largest remainders
    (the earlier weight first on a tie), so the result does not depend on anything but the input.
    """
    weight_sum = sum(weights)
    if weight_sum == 0:
        return [Decimal(0) for _ in weights]
    exact = [total * weight / weight_sum for weight in weights]
    shares = [share.quantize(_SHARE_QUANTUM, rounding=ROUND_DOWN) for share in exact]
    left = int((total.quantize(_SHARE_QUANTUM) - sum(shares, Decimal(0))) / _SHARE_QUANTUM)
    by_remainder = sorted(
        range(len(weights)), key=lambda index: (-(exact[index] - shares[index]), index)
    )
    for index in by_remainder[: max(left, 0)]:
        shares[index] += _SHARE_QUANTUM
    return shares


# --- commitment ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommitmentContext:
    """Everything the commitment of some people depends on (built by the handler).

    - `capacities`: person id → their capacity over time (every person a checked load touches);
    - `rosters`: team id → the team's members over time (every team of the loads given);
    - `approved`: the approved allocations (person and team) that may touch those people over the
      weeks in question; an entry with the id of the allocation being checked is ignored, so an
      approved allocation being adjusted does not count twice;
    - `names`: person id → display name for messages (the id when absent).
    """

    capacities: Mapping[str, CapacityLookup]
    rosters: Mapping[str, Sequence[Member]] = field(default_factory=dict)
    approved: Sequence[AllocationLoad] = ()
    names: Mapping[str, str] = field(default_factory=dict)

    def capacity_of(self, person_id: str) -> CapacityLookup:
        try:
            return self.capacities[person_id]
        except KeyError:
            raise ValueError(
                f"the commitment context has no capacity for person {person_id!r}; "
                "load it with the allocations"
            ) from None

    def roster_of(self, team_id: str) -> Sequence[Member]:
        try:
            return self.rosters[team_id]
        except KeyError:
            raise ValueError(
                f"the commitment context has no roster for team {team_id!r}; load it"
            ) from None

    def name_of(self, person_id: str) -> str:
        return self.names.get(person_id, person_id)


def people_of(load: AllocationLoad, context: CommitmentContext) -> list[str]:
    """The people a load can put hours on: its person, or every member its team ever had."""
    if load.person_id is not None:
        return [load.person_id]
    assert load.team_id is not None
    return sorted({member.person_id for member in context.roster_of(load.team_id)})


def person_hours(
    person_id: str, load: AllocationLoad, week: IsoWeek, context: CommitmentContext
) -> Decimal:
    """The hours `load` puts on `person_id` in `week` (0 when it does not touch them)."""
    if load.person_id is not None:
        if load.person_id != person_id:
            return Decimal(0)
        return load.hours_in(week, weekly_capacity(context.capacity_of(person_id), week))
    assert load.team_id is not None
    members = context.roster_of(load.team_id)
    if not any(member.person_id == person_id for member in members):
        return Decimal(0)
    capacity = weekly_capacity(context.capacity_of(person_id), week)
    return team_member_hours(load, week, person_id, members=members, capacity=capacity)


@dataclass(frozen=True)
class WeekLoad:
    """A person's commitment in one week."""

    week: str  # "2026-W49"
    hours: Decimal
    capacity: Decimal

    @property
    def percent(self) -> Decimal | None:
        """Hours as a percentage of capacity (2 places); None for a week without capacity."""
        if self.capacity == 0:
            return None
        return (self.hours * HUNDRED / self.capacity).quantize(
            _PERCENT_PLACES, rounding=ROUND_HALF_UP
        )

    @property
    def overcommitted(self) -> bool:
        return self.hours > self.capacity

    @property
    def excess(self) -> Decimal:
        """Hours above capacity (0 when within it)."""
        return max(self.hours - self.capacity, Decimal(0))


def week_loads(
    person_id: str,
    weeks: Iterable[IsoWeek],
    context: CommitmentContext,
    *,
    extra: Iterable[AllocationLoad] = (),
) -> list[WeekLoad]:
    """The person's commitment in each week: the approved allocations plus `extra` (e.g. the one
    being checked, which replaces an approved entry with its id)."""
    extras = list(extra)
    replaced = {load.allocation_id for load in extras}
    loads = [load for load in context.approved if load.allocation_id not in replaced] + extras
    capacity_on = context.capacity_of(person_id)
    result: list[WeekLoad] = []
    for week in weeks:
        hours = sum(
            (person_hours(person_id, load, week, context) for load in _touching(loads, week)),
            Decimal(0),
        )
        result.append(WeekLoad(week.label, hours, weekly_capacity(capacity_on, week)))
    return result


def overcommitted_weeks(
    person_id: str, candidate: AllocationLoad, context: CommitmentContext
) -> list[WeekLoad]:
    """The weeks in which `candidate` adds hours to `person_id` and takes them over capacity.

    A week already over capacity (an earlier override) counts when the candidate adds to it; a
    week the candidate puts nothing on (e.g. a range starting on a Saturday) never does.
    """
    weeks = [
        week for week in candidate.weeks if person_hours(person_id, candidate, week, context) > 0
    ]
    loads = week_loads(person_id, weeks, context, extra=[candidate])
    return [load for load in loads if load.overcommitted]


def overcommitments(
    candidate: AllocationLoad, context: CommitmentContext
) -> dict[str, list[WeekLoad]]:
    """Every person `candidate` would overcommit, with the weeks (people in id order)."""
    found: dict[str, list[WeekLoad]] = {}
    for person_id in people_of(candidate, context):
        weeks = overcommitted_weeks(person_id, candidate, context)
        if weeks:
            found[person_id] = weeks
    return found


def peak_percent(weeks: Iterable[WeekLoad]) -> Decimal:
    """The highest commitment among `weeks` in %; weeks without capacity have no percentage and
    are left out (0 when none of them has capacity: the week list names them)."""
    percents = [load.percent for load in weeks if load.percent is not None]
    return max(percents, default=Decimal(0))


def describe_overcommitment(name: str, weeks: Sequence[WeekLoad], *, shown: int = 8) -> str:
    """``alice would be committed 130 % in 2026-W49 (52 of 40 h, 12 h over), …``."""
    parts = [_describe_week(load) for load in weeks[:shown]]
    if len(weeks) > shown:
        parts.append(f"and {len(weeks) - shown} more weeks")
    return f"{name} would be committed " + ", ".join(parts)


def _describe_week(load: WeekLoad) -> str:
    amounts = f"{hours_text(load.hours)} of {hours_text(load.capacity)} h"
    if load.percent is None:
        return f"in {load.week} without any capacity ({amounts})"
    over = hours_text(load.excess)
    return f"{hours_text(load.percent)} % in {load.week} ({amounts}, {over} h over)"


def hours_text(value: Decimal) -> str:
    """A decimal without trailing zeros or exponent: 52, 52.5, 0.125."""
    return f"{value.normalize():f}"


def _touching(loads: Iterable[AllocationLoad], week: IsoWeek) -> Iterator[AllocationLoad]:
    monday, sunday = week.monday, week.sunday
    return (load for load in loads if load.starts_on <= sunday and load.ends_on >= monday)
