"""Capacity against commitment, computed on query from the read models with the domain arithmetic.

Nothing here is materialised: a person's commitment in a week depends on their dated capacity,
the rosters of their teams (team allocations spread over the members present each day) and every
active allocation, so a stored `person_week_load` would have to be recomputed on every capacity,
membership and allocation event, for every week those touch. Computing on query reads a handful
of indexed rows (the people, their capacity histories and memberships, the allocations active in
the window) and runs `domain.capacity` over them: dozens of people over a 26-week horizon is a few
thousand day sums, and the numbers are by construction those the approval's overcommitment check
uses.

**Days.** The arithmetic works per working day (Monday-Friday), which is exact for every rule of
`domain.capacity`: a week's capacity (the one in force on its Monday) is 1/5 of it per working
day, an allocation's hours on a day are its hours for that week restricted to that day (team
hours-per-week allocations are apportioned per day anyway), and the five days of a week add up to
the domain's week exactly. Any period (an ISO week, a calendar month cut to the horizon, a
utilisation range) is then a sum of days.

**Teams.** A person's time is shared among their teams by their team percentage. A team's
capacity on a day is the sum, over the members present, of their daily capacity times their
share; its committed hours are the hours its own allocations put on its members plus each member's
own (person) allocations times their share. A value stream adds up its teams.

**Over-allocation.** A person is over-allocated in a period when their committed hours exceed
their capacity in any ISO week that has a working day in the period (so a month hides no
overcommitted week); a team when its committed hours exceed its capacity in the period.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from pmo_resources.domain.capacity import (
    HUNDRED,
    WORKING_DAYS,
    AllocationLoad,
    CapacitySchedule,
    CommitmentContext,
    IsoWeek,
    person_hours,
    weekly_capacity,
    weeks_between,
    working_days_in,
)
from pmo_resources.projections import allocations as read_allocations
from pmo_resources.projections import people as read_people
from pmo_resources.projections import teams as read_teams
from pmo_resources.projections.people import CapacityRow, PersonRow
from pmo_resources.projections.tables import people, teams
from pmo_resources.projections.teams import MemberRow, TeamRow

R = TypeVar("R", PersonRow, TeamRow)

ZERO = Decimal(0)
_PERCENT_PLACES = Decimal("0.01")


def percent_of(part: Decimal, whole: Decimal) -> Decimal | None:
    """`part` as a percentage of `whole` (2 places); None when `whole` is 0."""
    if whole == 0:
        return None
    return (part * HUNDRED / whole).quantize(_PERCENT_PLACES, rounding=ROUND_HALF_UP)


def schedule_of(person: PersonRow, history: Sequence[CapacityRow]) -> CapacitySchedule:
    """The person's capacity over time, as the Person aggregate's capacity history gives it."""
    return CapacitySchedule.of(
        (
            (change.effective_from, change.weekly_capacity_hours)
            for change in read_people.effective_history(history)
        ),
        last_day=person.last_day,
    )


def working_days(starts_on: date, ends_on: date) -> list[date]:
    days, day = [], starts_on
    while day <= ends_on:
        if day.weekday() < WORKING_DAYS:
            days.append(day)
        day += timedelta(days=1)
    return days


# --- the commitment context of a command -------------------------------------------------------


async def commitment_context(
    conn: AsyncConnection,
    *,
    person_ids: Sequence[str],
    team_ids: Sequence[str],
    starts_on: date,
    ends_on: date,
) -> CommitmentContext:
    """What the overcommitment check needs for `person_ids` over ``starts_on..ends_on``: their
    capacities and names, the rosters of `team_ids` and of every team they belong(ed) to, and the
    active allocations of those people and teams in the range. Read it under the people's locks."""
    found = await read_people.by_ids(conn, person_ids)
    histories = await read_people.capacity_histories(conn, person_ids)
    memberships = await read_teams.memberships_of(conn, person_ids)
    all_teams = sorted(
        set(team_ids) | {row.team_id for rows in memberships.values() for row in rows}
    )
    rosters = await read_teams.members_of(conn, all_teams)
    loads = await read_allocations.active_loads(
        conn, person_ids=person_ids, team_ids=all_teams, starts_on=starts_on, ends_on=ends_on
    )
    return CommitmentContext(
        capacities={
            person_id: schedule_of(person, histories.get(person_id, [])).on
            for person_id, person in found.items()
        },
        rosters={
            team_id: [row.membership() for row in rosters.get(team_id, [])] for team_id in all_teams
        },
        approved=loads,
        names={person_id: person.name for person_id, person in found.items()},
    )


# --- supply over a window ----------------------------------------------------------------------


@dataclass
class PersonDays:
    """One person's capacity and commitment on each working day of a window."""

    person: PersonRow
    capacity: dict[date, Decimal] = field(default_factory=dict)
    own: dict[date, Decimal] = field(default_factory=dict)  # their person allocations
    by_team: dict[str, dict[date, Decimal]] = field(default_factory=dict)  # team allocations
    shares: dict[str, dict[date, int]] = field(default_factory=dict)  # team -> day -> percent

    def committed_on(self, day: date) -> Decimal:
        return self.own.get(day, ZERO) + sum(
            (hours.get(day, ZERO) for hours in self.by_team.values()), ZERO
        )

    def totals(self, days: Iterable[date]) -> tuple[Decimal, Decimal]:
        """(capacity, committed hours) over `days`."""
        capacity = committed = ZERO
        for day in days:
            capacity += self.capacity.get(day, ZERO)
            committed += self.committed_on(day)
        return capacity, committed

    def team_totals(self, team_id: str, days: Iterable[date]) -> tuple[Decimal, Decimal]:
        """(capacity, committed hours) of the person's share of `team_id` over `days`."""
        shares = self.shares.get(team_id, {})
        team_hours = self.by_team.get(team_id, {})
        capacity = committed = ZERO
        for day in days:
            share = shares.get(day, 0)
            if share:
                capacity += self.capacity.get(day, ZERO) * share / HUNDRED
                committed += self.own.get(day, ZERO) * share / HUNDRED
            committed += team_hours.get(day, ZERO)
        return capacity, committed


@dataclass
class Supply:
    """The people, teams and their day-by-day capacity and commitment over a window of whole
    ISO weeks (`first_week` to `last_week`)."""

    first_week: IsoWeek
    last_week: IsoWeek
    people: dict[str, PersonDays]  # by name order
    teams: dict[str, TeamRow]  # by name order
    rosters: dict[str, list[MemberRow]]
    context: CommitmentContext  # the people's capacities, their teams' rosters, active loads

    @property
    def days(self) -> list[date]:
        return working_days(self.first_week.monday, self.last_week.friday)

    def overallocated(self, person_id: str, starts_on: date, ends_on: date) -> bool:
        """Whether the person is over capacity in an ISO week with a working day in the range."""
        found = self.people[person_id]
        for week in weeks_between(starts_on, ends_on):
            if not any(starts_on <= day <= ends_on for day in week.working_days):
                continue
            capacity, committed = found.totals(week.working_days)
            if committed > capacity:
                return True
        return False

    def members_in(self, team_id: str, starts_on: date, ends_on: date) -> list[str]:
        """The team's members present on some day of the range, by name (as `people` orders)."""
        present = {
            row.person_id
            for row in self.rosters.get(team_id, [])
            if row.joined_on <= ends_on and (row.left_on is None or row.left_on >= starts_on)
        }
        return [person_id for person_id in self.people if person_id in present]


async def _people_between(conn: AsyncConnection, starts_on: date, ends_on: date) -> list[str]:
    """The ids of the people employed on some day of the range."""
    found = await conn.scalars(
        sa.select(people.c.id).where(
            people.c.starts_on <= ends_on,
            sa.or_(people.c.last_day.is_(None), people.c.last_day >= starts_on),
        )
    )
    return list(found)


async def _teams_between(conn: AsyncConnection, starts_on: date) -> list[str]:
    """The ids of the teams not disbanded before the range. (Not by their forming time: that is
    when the team was recorded, and memberships may be dated before it.)"""
    found = await conn.scalars(
        sa.select(teams.c.id).where(
            sa.or_(teams.c.disbanded_on.is_(None), teams.c.disbanded_on >= starts_on)
        )
    )
    return list(found)


def _by_name(rows: Iterable[R]) -> list[R]:
    return sorted(rows, key=lambda row: (row.name, row.id))


async def load_supply(
    conn: AsyncConnection,
    *,
    starts_on: date,
    ends_on: date,
    team_id: str | None = None,
) -> Supply:
    """Every person employed and every team alive in ``starts_on..ends_on`` (or only `team_id`
    and its members in that range), with their days over the whole ISO weeks covering it."""
    first_week, last_week = IsoWeek.of(starts_on), IsoWeek.of(ends_on)
    window = (first_week.monday, last_week.sunday)
    if team_id is None:
        team_ids = await _teams_between(conn, starts_on)
        person_ids = await _people_between(conn, starts_on, ends_on)
    else:
        team_ids = [team_id]
        roster = (await read_teams.members_of(conn, [team_id])).get(team_id, [])
        present = {
            row.person_id
            for row in roster
            if row.joined_on <= ends_on and (row.left_on is None or row.left_on >= starts_on)
        }
        person_ids = sorted(present & set(await _people_between(conn, starts_on, ends_on)))
    found_teams = _by_name((await read_teams.by_ids(conn, team_ids)).values())
    found_people = _by_name((await read_people.by_ids(conn, person_ids)).values())
    memberships = await read_teams.memberships_of(conn, person_ids)
    member_teams = sorted(
        {row.team_id for rows in memberships.values() for row in rows} | set(team_ids)
    )
    rosters = await read_teams.members_of(conn, member_teams)
    histories = await read_people.capacity_histories(conn, person_ids)
    loads = await read_allocations.active_loads(
        conn, person_ids=person_ids, team_ids=member_teams, starts_on=window[0], ends_on=window[1]
    )
    context = CommitmentContext(
        capacities={
            person.id: schedule_of(person, histories.get(person.id, [])).on
            for person in found_people
        },
        rosters={key: [row.membership() for row in rows] for key, rows in rosters.items()},
        approved=loads,
    )
    days = working_days(first_week.monday, last_week.friday)
    return Supply(
        first_week=first_week,
        last_week=last_week,
        people={
            person.id: _person_days(person, days, memberships.get(person.id, []), loads, context)
            for person in found_people
        },
        teams={team.id: team for team in found_teams},
        rosters={team.id: rosters.get(team.id, []) for team in found_teams},
        context=context,
    )


def _person_days(
    person: PersonRow,
    days: Sequence[date],
    memberships: Sequence[MemberRow],
    loads: Sequence[AllocationLoad],
    context: CommitmentContext,
) -> PersonDays:
    team_ids = {row.team_id for row in memberships}
    mine = [load for load in loads if load.person_id == person.id or load.team_id in team_ids]
    capacity_on = context.capacity_of(person.id)
    result = PersonDays(person)
    # A person allocation puts the same hours on each working day it covers in a week, and so
    # does a team allocation while the team's roster stays the same all week: the domain's hours
    # for the week divided by those days, computed once per week. A roster that changes within
    # the week is computed day by day (the load cut to each day).
    per_day: dict[tuple[str, IsoWeek], Decimal] = {}
    steadiness: dict[tuple[str, IsoWeek], bool] = {}

    def steady(team_id: str, week: IsoWeek) -> bool:
        if (team_id, week) not in steadiness:
            steadiness[team_id, week] = _roster_steady(context, team_id, week)
        return steadiness[team_id, week]

    for day in days:
        week = IsoWeek.of(day)
        result.capacity[day] = weekly_capacity(capacity_on, week) / WORKING_DAYS
        for row in memberships:
            if row.joined_on <= day and (row.left_on is None or day <= row.left_on):
                result.shares.setdefault(row.team_id, {})[day] = row.percent
        for load in mine:
            if not load.starts_on <= day <= load.ends_on:
                continue
            key = (load.allocation_id, week)
            if load.team_id is not None and not steady(load.team_id, week):
                hours = person_hours(
                    person.id, replace(load, starts_on=day, ends_on=day), week, context
                )
            else:
                if key not in per_day:
                    covered = working_days_in(week, load.starts_on, load.ends_on)
                    per_day[key] = person_hours(person.id, load, week, context) / covered
                hours = per_day[key]
            if not hours:
                continue
            if load.team_id is None:
                result.own[day] = result.own.get(day, ZERO) + hours
            else:
                team_hours = result.by_team.setdefault(load.team_id, {})
                team_hours[day] = team_hours.get(day, ZERO) + hours
    return result


def _roster_steady(context: CommitmentContext, team_id: str, week: IsoWeek) -> bool:
    """Whether the same members are present on every working day of the week."""
    monday, friday = week.monday, week.friday
    return not any(
        monday < member.joined_on <= friday
        or (member.left_on is not None and monday <= member.left_on < friday)
        for member in context.roster_of(team_id)
    )


# --- periods and cells -------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A column of a capacity view: an ISO week, a calendar month cut to the horizon, or a range."""

    label: str
    starts_on: date
    ends_on: date

    @property
    def days(self) -> list[date]:
        return working_days(self.starts_on, self.ends_on)


def week_periods(first: IsoWeek, count: int) -> list[Period]:
    periods, week = [], first
    for _ in range(count):
        periods.append(Period(week.label, week.monday, week.sunday))
        week = week.next()
    return periods


def month_periods(starts_on: date, ends_on: date) -> list[Period]:
    """The calendar months of ``starts_on..ends_on``, the first and last cut to it."""
    periods, day = [], starts_on
    while day <= ends_on:
        next_month = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        last = min(next_month - timedelta(days=1), ends_on)
        periods.append(Period(f"{day.year:04d}-{day.month:02d}", day, last))
        day = next_month
    return periods


@dataclass(frozen=True)
class Cell:
    """Capacity against commitment in one period."""

    period: Period
    capacity: Decimal
    committed: Decimal
    overallocated: bool
    overallocated_members: int = 0  # teams and value streams: members over capacity in a week

    @property
    def free(self) -> Decimal:
        """Capacity not committed (0 when over)."""
        return max(self.capacity - self.committed, ZERO)

    @property
    def percent(self) -> Decimal | None:
        return percent_of(self.committed, self.capacity)


def person_cells(supply: Supply, person_id: str, periods: Sequence[Period]) -> list[Cell]:
    found = supply.people[person_id]
    cells = []
    for period in periods:
        capacity, committed = found.totals(period.days)
        over = supply.overallocated(person_id, period.starts_on, period.ends_on)
        cells.append(Cell(period, capacity, committed, over))
    return cells


def team_cells(supply: Supply, team_id: str, periods: Sequence[Period]) -> list[Cell]:
    """The team's share of its members' time in each period (see the module docstring)."""
    cells = []
    for period in periods:
        capacity = committed = ZERO
        over = 0
        days = period.days
        for person_id in supply.members_in(team_id, period.starts_on, period.ends_on):
            member_capacity, member_committed = supply.people[person_id].team_totals(team_id, days)
            capacity += member_capacity
            committed += member_committed
            over += supply.overallocated(person_id, period.starts_on, period.ends_on)
        cells.append(Cell(period, capacity, committed, committed > capacity, over))
    return cells


def stream_cells(supply: Supply, team_ids: Sequence[str], periods: Sequence[Period]) -> list[Cell]:
    """A value stream's cells: the sums of its teams' (members over capacity counted once)."""
    by_team = [team_cells(supply, team_id, periods) for team_id in team_ids]
    cells = []
    for index, period in enumerate(periods):
        capacity = sum((cells_of[index].capacity for cells_of in by_team), ZERO)
        committed = sum((cells_of[index].committed for cells_of in by_team), ZERO)
        members = {
            person_id
            for team_id in team_ids
            for person_id in supply.members_in(team_id, period.starts_on, period.ends_on)
            if supply.overallocated(person_id, period.starts_on, period.ends_on)
        }
        cells.append(Cell(period, capacity, committed, committed > capacity, len(members)))
    return cells
