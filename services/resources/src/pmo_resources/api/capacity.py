"""Capacity views: the heat map, utilisation, the bench and the staffing plan (`CapacityQuery`).

Every number is computed on query from the read models by `projections.capacity` with the
domain's arithmetic (see its docstring for the rules: working days, team shares, over-allocation),
so a view always agrees with the approvals' overcommitment check. Open to every authenticated
role, like the other reads.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Self

import strawberry
from pmo_events.errors import InvalidInput, NotFound
from strawberry.types import Info

from pmo_resources.api.deps import runtime
from pmo_resources.api.types import Person, Team
from pmo_resources.domain import validation as check
from pmo_resources.domain.capacity import IsoWeek
from pmo_resources.domain.person import SKILL_LEVELS, normalise_skill
from pmo_resources.domain.staffing import LinePlan, LineStatus
from pmo_resources.projections import capacity as views
from pmo_resources.projections import people as read_people
from pmo_resources.projections import staffing
from pmo_resources.projections import teams as read_teams
from pmo_resources.projections.people import PersonRow
from pmo_resources.projections.teams import TeamRow

MAX_WEEKS = 104
MAX_RANGE = timedelta(days=731)


class Granularity(StrEnum):
    WEEK = "WEEK"
    MONTH = "MONTH"


NeedSourceType = strawberry.enum(
    staffing.NeedSource,
    name="StaffingNeedSource",
    description="REQUESTED_ALLOCATION: an allocation still only requested; STATED: given by "
    "the caller.",
)
StaffingStatusType = strawberry.enum(
    LineStatus,
    name="StaffingLineStatus",
    description="STAFFABLE: every need placed in the horizon; NOT_STAFFABLE: some need cannot "
    "be (see its reason), and the line keeps no capacity; NOTHING_TO_PLAN: no need stated.",
)
GranularityType = strawberry.enum(
    Granularity,
    name="CapacityGranularity",
    description="WEEK: ISO weeks; MONTH: calendar months cut to the horizon.",
)


def _tidy(value: Decimal) -> Decimal:
    """Without trailing zeros or exponent (sums of exact day shares: 34.000 is 34, 0E-8 is 0)."""
    return Decimal(f"{value.normalize():f}")


# --- types -------------------------------------------------------------------------------------


@strawberry.type(description="Capacity against commitment over one period.")
class CapacityCell:
    label: str = strawberry.field(description="ISO week (2026-W49), month (2026-12) or range.")
    starts_on: date
    ends_on: date
    capacity_hours: Decimal
    committed_hours: Decimal = strawberry.field(description="Hours of approved allocations.")
    free_hours: Decimal = strawberry.field(description="Capacity not committed (0 when over).")
    percent: Decimal | None = strawberry.field(
        description="Committed as a % of capacity (null without capacity)."
    )
    overallocated: bool = strawberry.field(
        description="A person: over capacity in a week of the period; a team or value stream: "
        "committed above its capacity in the period."
    )
    overallocated_members: int = strawberry.field(
        description="Teams and value streams: members over capacity in a week of the period."
    )

    @classmethod
    def of(cls, cell: views.Cell) -> Self:
        return cls(
            label=cell.period.label,
            starts_on=cell.period.starts_on,
            ends_on=cell.period.ends_on,
            capacity_hours=_tidy(cell.capacity),
            committed_hours=_tidy(cell.committed),
            free_hours=_tidy(cell.free),
            percent=cell.percent,
            overallocated=cell.overallocated,
            overallocated_members=cell.overallocated_members,
        )


@strawberry.type(description="A person's row: one cell per period.")
class PersonCapacity:
    person: Person
    cells: list[CapacityCell]


@strawberry.type(description="A team's row (its share of its members' time): one cell per period.")
class TeamCapacity:
    team: Team
    cells: list[CapacityCell]


@strawberry.type(description="Capacity against commitment per person and per team, by period.")
class CapacityHeatMap:
    granularity: GranularityType  # type: ignore[valid-type]
    periods: list[str] = strawberry.field(description="The periods' labels, in order.")
    people: list[PersonCapacity] = strawberry.field(description="People employed, by name.")
    teams: list[TeamCapacity] = strawberry.field(description="Teams alive, by name.")


@strawberry.type(description="A value stream's row: the sums of its teams.")
class ValueStreamCapacity:
    value_stream: str
    teams: list[Team]
    total: CapacityCell


@strawberry.type(description="A person's utilisation over the range.")
class PersonUtilisation:
    person: Person
    total: CapacityCell


@strawberry.type(description="A team's utilisation over the range.")
class TeamUtilisation:
    team: Team
    total: CapacityCell


@strawberry.type(description="Utilisation per person, team and value stream over a date range.")
class Utilisation:
    starts_on: date
    ends_on: date
    people: list[PersonUtilisation]
    teams: list[TeamUtilisation]
    value_streams: list[ValueStreamCapacity]


@strawberry.type(description="Someone with free capacity over the horizon.")
class BenchEntry:
    person: Person
    skill_level: int | None = strawberry.field(description="Their level in the skill asked for.")
    total: CapacityCell
    free_percent: Decimal = strawberry.field(description="Free hours as a % of capacity.")
    weeks: list[CapacityCell] = strawberry.field(description="Week by week.")


@strawberry.type(description="One need of a demand line, and where the plan puts it.")
class StaffingNeed:
    key: str = strawberry.field(description="The requested allocation's id, or a stated need's.")
    source: NeedSourceType  # type: ignore[valid-type]
    allocation_id: strawberry.ID | None
    person_id: strawberry.ID | None = strawberry.field(description="The person it names.")
    team_id: strawberry.ID | None = strawberry.field(description="The team it names.")
    skill: str | None
    min_level: int | None
    percent: int | None
    hours_per_week: Decimal | None
    weeks: int
    earliest_week: str = strawberry.field(description="It may not start before this week.")
    placed: bool
    assigned_team: Team | None = strawberry.field(description="Where the plan puts it (a team).")
    assigned_person: Person | None = strawberry.field(
        description="Where the plan puts it (a person)."
    )
    first_week: str | None
    last_week: str | None
    reason: str | None = strawberry.field(description="Why it cannot be placed in the horizon.")


@strawberry.type(description="An approved initiative's demand and what the plan can do for it.")
class StaffingLine:
    rank: int = strawberry.field(description="1 = planned first (earliest approval).")
    initiative_id: strawberry.ID
    title: str | None
    portfolio_id: strawberry.ID | None
    period: str | None
    opened_at: datetime
    status: StaffingStatusType  # type: ignore[valid-type]
    staffed_from: str | None = strawberry.field(
        description="The week from which every need is staffed (STAFFABLE lines)."
    )
    needs: list[StaffingNeed]


@strawberry.type(
    description="Open demand in priority order matched week by week against free capacity."
)
class StaffingPlan:
    horizon: list[str] = strawberry.field(description="The ISO weeks planned.")
    lines: list[StaffingLine]


@strawberry.input(description="What an initiative needs (a what-if: nothing is recorded).")
class StaffingNeedInput:
    initiative_id: strawberry.ID = strawberry.field(description="An initiative with open demand.")
    weeks: int = strawberry.field(description="Consecutive weeks, 1 to 104.")
    percent: int | None = strawberry.field(
        default=None, description="Of the team's share of each member's capacity, 1-100."
    )
    hours_per_week: Decimal | None = strawberry.field(
        default=None, description="Spread over the team's members by their team percentage."
    )
    skill: str | None = strawberry.field(
        default=None, description="Only teams with a member who has it (any spelling)."
    )
    min_level: int | None = strawberry.field(default=None, description="With skill: 1-5.")
    team_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this team (instead of a skill)."
    )
    earliest: date | None = strawberry.field(
        default=None,
        description="Not before this day's week (default: the demand's period start, or now).",
    )


# --- arguments ---------------------------------------------------------------------------------


def _weeks(weeks: int) -> int:
    return check.integer("weeks", weeks, low=1, high=MAX_WEEKS)


def _range(starts_on: date, ends_on: date) -> None:
    check.date_range("from", starts_on, "to", ends_on, max_span=MAX_RANGE)


# --- root fields -------------------------------------------------------------------------------


From = Annotated[date, strawberry.argument(name="from", description="A day in the first week.")]


async def _supply(
    info: Info, starts_on: date, ends_on: date, team_id: str | None = None
) -> views.Supply:
    async with runtime(info).engine.connect() as conn:
        if team_id is not None and not await read_teams.by_ids(conn, [team_id]):
            raise NotFound(f"no team has the id {team_id!r}; list teams to find it")
        return await views.load_supply(conn, starts_on=starts_on, ends_on=ends_on, team_id=team_id)


@strawberry.type
class CapacityQuery:
    @strawberry.field(
        description="Capacity against commitment per person and per team, week by week or month "
        "by month, over `weeks` ISO weeks (1-104) from the week of `from`; over-allocations "
        "flagged. With teamId: that team and its members only."
    )
    async def capacity_heat_map(
        self,
        info: Info,
        start: From,
        weeks: int = 12,
        granularity: GranularityType = Granularity.WEEK,  # type: ignore[valid-type]
        team_id: strawberry.ID | None = None,
    ) -> CapacityHeatMap:
        first = IsoWeek.of(start)
        periods = views.week_periods(first, _weeks(weeks))
        starts_on, ends_on = periods[0].starts_on, periods[-1].ends_on
        if granularity == Granularity.MONTH:
            periods = views.month_periods(starts_on, ends_on)
        supply = await _supply(info, starts_on, ends_on, str(team_id) if team_id else None)
        return CapacityHeatMap(
            granularity=Granularity(granularity),
            periods=[period.label for period in periods],
            people=[
                PersonCapacity(
                    person=Person.from_row(days.person),
                    cells=[CapacityCell.of(c) for c in views.person_cells(supply, key, periods)],
                )
                for key, days in supply.people.items()
            ],
            teams=[
                TeamCapacity(
                    team=Team.from_row(team),
                    cells=[CapacityCell.of(c) for c in views.team_cells(supply, key, periods)],
                )
                for key, team in supply.teams.items()
            ],
        )

    @strawberry.field(
        description="Capacity, committed hours and utilisation per person, team and value stream "
        "from `from` to `to` (both included, at most two years)."
    )
    async def utilisation(
        self,
        info: Info,
        start: Annotated[date, strawberry.argument(name="from")],
        to: date,
    ) -> Utilisation:
        _range(start, to)
        supply = await _supply(info, start, to)
        period = views.Period(f"{start.isoformat()}..{to.isoformat()}", start, to)
        streams: dict[str, list[str]] = {}
        for key, team in supply.teams.items():
            streams.setdefault(team.value_stream, []).append(key)
        return Utilisation(
            starts_on=start,
            ends_on=to,
            people=[
                PersonUtilisation(
                    person=Person.from_row(days.person),
                    total=CapacityCell.of(views.person_cells(supply, key, [period])[0]),
                )
                for key, days in supply.people.items()
            ],
            teams=[
                TeamUtilisation(
                    team=Team.from_row(team),
                    total=CapacityCell.of(views.team_cells(supply, key, [period])[0]),
                )
                for key, team in supply.teams.items()
            ],
            value_streams=[
                ValueStreamCapacity(
                    value_stream=stream,
                    teams=[Team.from_row(supply.teams[key]) for key in team_ids],
                    total=CapacityCell.of(views.stream_cells(supply, team_ids, [period])[0]),
                )
                for stream, team_ids in sorted(streams.items())
            ],
        )

    @strawberry.field(
        description="People with free capacity over `weeks` ISO weeks (1-104) from the week of "
        "`from`: free hours at least `minFreePercent` % of their capacity (and above 0), "
        "optionally with a skill at `minLevel` or above; most free first."
    )
    async def bench(
        self,
        info: Info,
        start: From,
        weeks: int = 4,
        skill: str | None = None,
        min_level: int | None = None,
        min_free_percent: Decimal = Decimal(0),
        team_id: strawberry.ID | None = None,
    ) -> list[BenchEntry]:
        wanted = normalise_skill("skill", skill) if skill is not None else None
        if min_level is not None and wanted is None:
            raise InvalidInput("minLevel needs a skill: give skill too")
        level = check.integer(
            "minLevel",
            min_level if min_level is not None else SKILL_LEVELS[0],
            low=SKILL_LEVELS[0],
            high=SKILL_LEVELS[-1],
        )
        if not Decimal(0) <= min_free_percent <= Decimal(100):
            raise InvalidInput(f"minFreePercent must be between 0 and 100 (got {min_free_percent})")
        periods = views.week_periods(IsoWeek.of(start), _weeks(weeks))
        whole = views.Period(
            f"{periods[0].label}..{periods[-1].label}", periods[0].starts_on, periods[-1].ends_on
        )
        supply = await _supply(
            info, whole.starts_on, whole.ends_on, str(team_id) if team_id else None
        )
        async with runtime(info).engine.connect() as conn:
            skills = await read_people.skills_of(conn, list(supply.people))
        entries = []
        for key, days in supply.people.items():
            if days.person.offboarded and (days.person.last_day or whole.ends_on) < whole.ends_on:
                continue  # leaving within the horizon: not on the bench
            levels = {row.skill: row.level for row in skills.get(key, [])}
            if wanted is not None and levels.get(wanted, 0) < level:
                continue
            total = views.person_cells(supply, key, [whole])[0]
            free_percent = views.percent_of(total.free, total.capacity)
            if total.free <= 0 or free_percent is None or free_percent < min_free_percent:
                continue
            entries.append(
                BenchEntry(
                    person=Person.from_row(days.person),
                    skill_level=levels.get(wanted) if wanted is not None else None,
                    total=CapacityCell.of(total),
                    free_percent=free_percent,
                    weeks=[CapacityCell.of(c) for c in views.person_cells(supply, key, periods)],
                )
            )
        entries.sort(key=lambda entry: -entry.free_percent)  # stable: by name on a tie
        return entries

    @strawberry.field(
        description="Open demand in priority order (earliest approval first: WSJF is not known "
        "here yet) matched week by week against people's free capacity over `weeks` ISO weeks "
        "(1-104) from the week of `from`: each line's needs (its requested allocations and the "
        "`needs` given) placed where they fit earliest, or why they cannot be."
    )
    async def staffing_plan(
        self,
        info: Info,
        start: From,
        weeks: int = 26,
        needs: list[StaffingNeedInput] | None = None,
    ) -> StaffingPlan:
        stated = [_stated(given) for given in needs or []]
        async with runtime(info).engine.connect() as conn:
            plan = await staffing.staffing_plan(
                conn, first=IsoWeek.of(start), weeks=_weeks(weeks), stated=stated
            )
            people = await read_people.by_ids(
                conn, [p for p, kind in plan.pools.items() if kind is staffing.PoolKind.PERSON]
            )
            teams = await read_teams.by_ids(
                conn, [p for p, kind in plan.pools.items() if kind is staffing.PoolKind.TEAM]
            )
        return StaffingPlan(
            horizon=[week.label for week in plan.horizon],
            lines=[_line(line, plan, people, teams) for line in plan.plans],
        )


def _stated(given: StaffingNeedInput) -> staffing.StatedNeed:
    skill = normalise_skill("skill", given.skill) if given.skill is not None else None
    return staffing.checked(
        staffing.StatedNeed(
            initiative_id=str(given.initiative_id),
            weeks=given.weeks,
            percent=given.percent,
            hours_per_week=given.hours_per_week,
            skill=skill,
            min_level=given.min_level if given.min_level is not None else 1,
            team_id=str(given.team_id) if given.team_id is not None else None,
            earliest=given.earliest,
        )
    )


def _line(
    line: LinePlan,
    plan: staffing.StaffingPlan,
    people: dict[str, PersonRow],
    teams: dict[str, TeamRow],
) -> StaffingLine:
    demand = plan.demand[line.line.initiative_id]
    placements = {placed.need.key: placed for placed in line.placements}
    reasons = {short.need.key: short.reason for short in line.shortfalls}
    needs = []
    for need in line.line.needs:
        info = plan.needs[need.key]
        placed = placements.get(need.key)
        pool = placed.candidate.pool_id if placed else None
        reason = reasons.get(need.key)
        if reason is None and placed is None:
            reason = "not reserved: another need of this initiative cannot be staffed"
        needs.append(
            StaffingNeed(
                key=info.key,
                source=info.source,
                allocation_id=_id(info.allocation_id),
                person_id=_id(info.person_id),
                team_id=_id(info.team_id),
                skill=info.skill,
                min_level=info.min_level,
                percent=info.percent,
                hours_per_week=info.hours_per_week,
                weeks=info.weeks,
                earliest_week=info.earliest.label,
                placed=placed is not None,
                assigned_team=Team.from_row(teams[pool]) if pool in teams else None,
                assigned_person=Person.from_row(people[pool]) if pool in people else None,
                first_week=placed.first_week.label if placed else None,
                last_week=placed.last_week.label if placed else None,
                reason=reason,
            )
        )
    staffed_from = line.staffed_from
    return StaffingLine(
        rank=line.rank,
        initiative_id=strawberry.ID(demand.initiative_id),
        title=demand.title,
        portfolio_id=_id(demand.portfolio_id),
        period=demand.period,
        opened_at=demand.opened_at,
        status=line.status,
        staffed_from=staffed_from.label if staffed_from else None,
        needs=needs,
    )


def _id(value: str | None) -> strawberry.ID | None:
    return strawberry.ID(value) if value is not None else None
