"""The staffing plan's inputs, from the read models, for the pure planner (`domain.staffing`).

- **Demand lines**: the open `demand` rows (initiatives the portfolio approved), in priority
  order. Resources does not receive the portfolio's WSJF yet, so the order is the approval's
  (`opened_at`, then the initiative id): earlier approvals first.
- **Needs** of a line: its allocations still only requested (each pinned to the person or team
  it names, lasting the ISO weeks of its range, from its first week at the soonest), and the
  needs the caller states for it (`StatedNeed`: hours per week or a percentage, a number of
  weeks, a skill at a level or a team, and a date not to start before; without that date, the
  first week of the demand's period when it lies ahead). A line with neither has nothing to
  plan.
- **Candidates** of a need with a skill: every team alive in the horizon with a member present
  in it who has the skill at the level asked (most free member-hours first, then by name);
  without a skill or team: every such team. What a candidate asks of each person each week is
  the allocation arithmetic's answer for that shape on that team or person (a team spreads it
  over its members by their team percentage), so a placement is exactly what an approval would
  accept.
- **Free hours**: each person's capacity minus their approved commitment in each week of the
  horizon (`projections.capacity`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from pmo_events.errors import InvalidInput
from sqlalchemy.ext.asyncio import AsyncConnection

from pmo_resources.domain.allocation import AllocationStatus, Shape
from pmo_resources.domain.budget import period_weeks
from pmo_resources.domain.capacity import (
    AllocationLoad,
    CommitmentContext,
    IsoWeek,
    person_hours,
    weeks_between,
)
from pmo_resources.domain.staffing import Candidate, DemandLine, LinePlan, Need, plan_staffing
from pmo_resources.projections import allocations as read_allocations
from pmo_resources.projections import demand as read_demand
from pmo_resources.projections import people as read_people
from pmo_resources.projections.capacity import ZERO, Supply, load_supply
from pmo_resources.projections.demand import DemandRow
from pmo_resources.projections.tables import allocations

OPEN = "OPEN"


class NeedSource(StrEnum):
    REQUESTED_ALLOCATION = "REQUESTED_ALLOCATION"
    STATED = "STATED"


class PoolKind(StrEnum):
    TEAM = "TEAM"
    PERSON = "PERSON"


@dataclass(frozen=True)
class StatedNeed:
    """What the caller says an initiative needs (checked by `checked`)."""

    initiative_id: str
    weeks: int
    percent: int | None = None
    hours_per_week: Decimal | None = None
    skill: str | None = None
    min_level: int = 1
    team_id: str | None = None
    earliest: date | None = None


@dataclass(frozen=True)
class NeedInfo:
    """Where a planner need comes from, for the answer."""

    key: str
    initiative_id: str
    source: NeedSource
    weeks: int
    earliest: IsoWeek
    percent: int | None
    hours_per_week: Decimal | None
    skill: str | None = None
    min_level: int | None = None
    allocation_id: str | None = None
    person_id: str | None = None
    team_id: str | None = None


@dataclass
class StaffingPlan:
    horizon: list[IsoWeek]
    plans: list[LinePlan]
    demand: dict[str, DemandRow]
    needs: dict[str, NeedInfo]
    pools: dict[str, PoolKind] = field(default_factory=dict)


async def open_demand(conn: AsyncConnection) -> list[DemandRow]:
    """The open demand lines, earliest approval first (the planner's priority order)."""
    table = read_demand.demand
    ids = await conn.scalars(
        sa.select(table.c.initiative_id)
        .where(table.c.status == OPEN)
        .order_by(table.c.opened_at, table.c.initiative_id)
    )
    ordered = list(ids)
    found = await read_demand.by_ids(conn, ordered)
    return [found[initiative_id] for initiative_id in ordered if initiative_id in found]


async def staffing_plan(
    conn: AsyncConnection,
    *,
    first: IsoWeek,
    weeks: int,
    stated: Sequence[StatedNeed] = (),
) -> StaffingPlan:
    horizon = [first]
    while len(horizon) < weeks:
        horizon.append(horizon[-1].next())
    lines = await open_demand(conn)
    by_initiative = {row.initiative_id: row for row in lines}
    for need in stated:
        if need.initiative_id not in by_initiative:
            raise InvalidInput(
                f"initiative {need.initiative_id!r} has no open demand: state needs only for "
                "initiatives the portfolio approved (list demand to find them)"
            )
    supply = await load_supply(conn, starts_on=horizon[0].monday, ends_on=horizon[-1].sunday)
    builder = _Builder(supply, horizon, await _team_skills(conn, supply, horizon))
    requested = await _requested(conn, [row.initiative_id for row in lines])
    demand_lines = []
    for row in lines:
        needs = [
            builder.requested(allocation) for allocation in requested.get(row.initiative_id, [])
        ]
        needs += [
            builder.stated(f"{row.initiative_id}/need-{index}", need, row)
            for index, need in enumerate(stated, start=1)
            if need.initiative_id == row.initiative_id
        ]
        demand_lines.append(DemandLine(row.initiative_id, tuple(n for n in needs if n)))
    names = {key: days.person.name for key, days in supply.people.items()}
    plans = plan_staffing(demand_lines, horizon, builder.free, names=names)
    return StaffingPlan(horizon, plans, by_initiative, builder.infos, builder.pools)


async def _requested(
    conn: AsyncConnection, initiative_ids: Sequence[str]
) -> dict[str, list[read_allocations.AllocationRow]]:
    ids = await conn.scalars(
        sa.select(allocations.c.id)
        .where(
            allocations.c.initiative_id.in_(list(initiative_ids)),
            allocations.c.status == AllocationStatus.REQUESTED.value,
        )
        .order_by(allocations.c.requested_at, allocations.c.id)
    )
    ordered = list(ids)
    found = await read_allocations.by_ids(conn, ordered)
    grouped: dict[str, list[read_allocations.AllocationRow]] = {}
    for allocation_id in ordered:
        row = found[allocation_id]
        grouped.setdefault(row.initiative_id, []).append(row)
    return grouped


async def _team_skills(
    conn: AsyncConnection, supply: Supply, horizon: Sequence[IsoWeek]
) -> dict[str, dict[str, int]]:
    """Each team's skills: the best level among its members present in the horizon."""
    skills = await read_people.skills_of(conn, list(supply.people))
    found: dict[str, dict[str, int]] = {}
    for team_id in supply.teams:
        levels: dict[str, int] = {}
        for person_id in supply.members_in(team_id, horizon[0].monday, horizon[-1].sunday):
            for row in skills.get(person_id, []):
                levels[row.skill] = max(levels.get(row.skill, 0), row.level)
        found[team_id] = levels
    return found


@dataclass
class _Builder:
    supply: Supply
    horizon: list[IsoWeek]
    skills: dict[str, dict[str, int]]
    infos: dict[str, NeedInfo] = field(default_factory=dict)
    pools: dict[str, PoolKind] = field(default_factory=dict)
    free: dict[str, dict[IsoWeek, Decimal]] = field(init=False)
    context: CommitmentContext = field(init=False)
    _asks: dict[tuple[str, int | None, Decimal | None], Candidate] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.free = {
            person_id: {
                week: capacity - committed
                for week in self.horizon
                for capacity, committed in [days.totals(week.working_days)]
            }
            for person_id, days in self.supply.people.items()
        }
        # Rosters cut to the people in the horizon: only they have capacities here.
        self.context = CommitmentContext(
            capacities=self.supply.context.capacities,
            rosters={
                team_id: [m for m in members if m.person_id in self.supply.people]
                for team_id, members in self.supply.context.rosters.items()
            },
        )

    def requested(self, row: read_allocations.AllocationRow) -> Need | None:
        """The need a requested allocation states, or None when it lies before the horizon."""
        spanned = weeks_between(row.starts_on, row.ends_on)
        if spanned[-1] < self.horizon[0]:
            return None
        earliest = max(spanned[0], self.horizon[0])
        self.infos[row.id] = NeedInfo(
            key=row.id,
            initiative_id=row.initiative_id,
            source=NeedSource.REQUESTED_ALLOCATION,
            weeks=len(spanned),
            earliest=earliest,
            percent=row.percent,
            hours_per_week=row.hours_per_week,
            allocation_id=row.id,
            person_id=row.person_id,
            team_id=row.team_id,
        )
        pool = row.person_id or row.team_id
        assert pool is not None
        candidate = self._candidate(pool, row.percent, row.hours_per_week)
        return Need(
            key=row.id,
            weeks=len(spanned),
            earliest=earliest,
            candidates=(candidate,) if candidate else (),
            without_candidates=f"the {'person' if row.person_id else 'team'} it names is not "
            "available in the horizon (not employed, or disbanded)",
        )

    def stated(self, key: str, need: StatedNeed, demand: DemandRow) -> Need:
        earliest = self.horizon[0]
        if need.earliest is not None:
            earliest = max(earliest, IsoWeek.of(need.earliest))
        elif demand.period is not None:
            earliest = max(earliest, period_weeks(demand.period)[0])
        self.infos[key] = NeedInfo(
            key=key,
            initiative_id=need.initiative_id,
            source=NeedSource.STATED,
            weeks=need.weeks,
            earliest=earliest,
            percent=need.percent,
            hours_per_week=need.hours_per_week,
            skill=need.skill,
            min_level=need.min_level if need.skill is not None else None,
            team_id=need.team_id,
        )
        if need.team_id is not None:
            teams = [need.team_id] if need.team_id in self.supply.teams else []
            missing = (
                f"team {need.team_id!r} is not available in the horizon (unknown or disbanded)"
            )
        else:
            teams = [
                team_id
                for team_id in self.supply.teams
                if need.skill is None or self.skills[team_id].get(need.skill, 0) >= need.min_level
            ]
            missing = self._no_team(need)
        candidates = [self._candidate(team, need.percent, need.hours_per_week) for team in teams]
        found = [candidate for candidate in candidates if candidate is not None]
        found.sort(key=lambda c: (-self._free_hours(c), c.name))
        return Need(
            key=key,
            weeks=need.weeks,
            earliest=earliest,
            candidates=tuple(found),
            without_candidates=missing,
        )

    def _no_team(self, need: StatedNeed) -> str:
        if need.skill is None:
            return "no team is available in the horizon"
        best = max(
            ((levels.get(need.skill, 0), team_id) for team_id, levels in self.skills.items()),
            default=(0, ""),
        )
        wanted = (
            f"no team has a member with skill {need.skill!r} at level {need.min_level} or above"
        )
        if best[0] == 0:
            return wanted
        return f"{wanted} (the best is level {best[0]} in {self.supply.teams[best[1]].name})"

    def _free_hours(self, candidate: Candidate) -> Decimal:
        return sum(
            (
                self.free[person].get(week, ZERO)
                for person in candidate.asks
                for week in self.horizon
            ),
            ZERO,
        )

    def _candidate(
        self, pool: str, percent: int | None, hours_per_week: Decimal | None
    ) -> Candidate | None:
        """What `pool` (a person or team) asks of each person each week for the shape, or None
        when it is not in the horizon."""
        cache_key = (pool, percent, hours_per_week)
        if cache_key in self._asks:
            return self._asks[cache_key]
        if pool in self.supply.people:
            kind, person_ids, name = PoolKind.PERSON, [pool], self.supply.people[pool].person.name
        elif pool in self.supply.teams:
            kind, name = PoolKind.TEAM, self.supply.teams[pool].name
            person_ids = self.supply.members_in(
                pool, self.horizon[0].monday, self.horizon[-1].sunday
            )
        else:
            return None
        self.pools[pool] = kind
        load = AllocationLoad(
            allocation_id=f"plan/{pool}",
            starts_on=self.horizon[0].monday,
            ends_on=self.horizon[-1].sunday,
            percent=percent,
            hours_per_week=hours_per_week,
            person_id=pool if kind is PoolKind.PERSON else None,
            team_id=pool if kind is PoolKind.TEAM else None,
        )
        context = self.context
        asks = {
            person_id: {week: person_hours(person_id, load, week, context) for week in self.horizon}
            for person_id in person_ids
        }
        candidate = Candidate(pool_id=pool, name=name, asks=asks)
        self._asks[cache_key] = candidate
        return candidate


def checked(need: StatedNeed) -> StatedNeed:
    """The need with its shape checked as an allocation's would be (BAD_USER_INPUT)."""
    if not 1 <= need.weeks <= 104:
        raise InvalidInput(f"weeks must be between 1 and 104 (got {need.weeks})")
    Shape.checked(date(2000, 1, 3), date(2000, 1, 7), need.percent, need.hours_per_week)
    if need.skill is None and need.min_level != 1:
        raise InvalidInput("minLevel needs a skill: give skill too")
    if not 1 <= need.min_level <= 5:
        raise InvalidInput(f"minLevel must be between 1 and 5 (got {need.min_level})")
    if need.skill is not None and need.team_id is not None:
        raise InvalidInput("give a skill or a teamId, not both: a named team is taken as it is")
    return need
