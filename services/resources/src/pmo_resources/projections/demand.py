"""Demand read models (migration 0003).

- `demand`: one row per initiative the portfolio approved, projected from resources' own
  `DemandOpened`/`DemandClosed` events (in the append's transaction, rebuilt from the event
  store). How far it is staffed is read from the allocations at query time, not stored here.
- `initiative_titles`: the portfolio's initiative titles, projected from Kafka by
  `InitiativeTitlesProjector` (a foreign read model: rebuilt from offset zero of the portfolio
  topic). Demand lines show a title once it has arrived; the events may come in any order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pmo_events.envelope import ReceivedEvent
from pmo_events.registry import DomainEvent, EventRegistry
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from pmo_resources.domain.allocation import AllocationStatus
from pmo_resources.domain.budget import period_weeks
from pmo_resources.domain.capacity import (
    AllocationLoad,
    CommitmentContext,
    IsoWeek,
    people_of,
    person_hours,
    working_days_in,
)
from pmo_resources.domain.events import DemandClosed, DemandClosure, DemandOpened
from pmo_resources.projections import allocations as read_allocations
from pmo_resources.projections import people as read_people
from pmo_resources.projections import teams as read_teams
from pmo_resources.projections.allocations import AllocationRow
from pmo_resources.projections.capacity import schedule_of
from pmo_resources.projections.portfolio_events import (
    InitiativeDetailsChanged,
    InitiativeProposed,
    titles,
)
from pmo_resources.projections.tables import TIMESTAMP, allocations, metadata

OPEN = "OPEN"
CLOSED = "CLOSED"

demand = sa.Table(
    "demand",
    metadata,
    sa.Column("initiative_id", sa.Text, primary_key=True),
    sa.Column("portfolio_id", sa.Text),
    sa.Column("period", sa.Text),
    sa.Column("approved_amount", sa.Numeric),
    sa.Column("currency", sa.Text),
    sa.Column("status", sa.Text, nullable=False),  # OPEN or CLOSED
    sa.Column("closure", sa.Text),
    sa.Column("opened_at", TIMESTAMP, nullable=False),
    sa.Column("closed_at", TIMESTAMP),
    sa.Column("source_event_id", sa.Text, nullable=False),  # the latest reaction's cause
    sa.Column("updated_at", TIMESTAMP, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Index("demand_status_opened", "status", "opened_at", "initiative_id"),
)

initiative_titles = sa.Table(
    "initiative_titles",
    metadata,
    sa.Column("initiative_id", sa.Text, primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("changed_at", TIMESTAMP, nullable=False),
)

# Own read models only: `initiative_titles` is rebuilt from Kafka by its projector instead.
TABLES = (demand,)

# --- rows --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemandRow:
    initiative_id: str
    portfolio_id: str | None
    period: str | None
    approved_amount: Decimal | None
    currency: str | None
    status: str
    closure: DemandClosure | None
    opened_at: datetime
    closed_at: datetime | None
    source_event_id: str
    updated_at: datetime
    version: int
    title: str | None

    @property
    def is_open(self) -> bool:
        return self.status == OPEN


_COLUMNS = (*demand.c, initiative_titles.c.title)


def _select() -> sa.Select[Any]:
    return sa.select(*_COLUMNS).select_from(
        demand.outerjoin(
            initiative_titles, initiative_titles.c.initiative_id == demand.c.initiative_id
        )
    )


def _row(row: sa.Row[Any]) -> DemandRow:
    values = dict(row._mapping)
    closure = values["closure"]
    values["closure"] = DemandClosure(closure) if closure is not None else None
    return DemandRow(**values)


# --- projection (own events) -------------------------------------------------------------------


async def opened(conn: AsyncConnection, event: DemandOpened, version: int) -> None:
    values = {
        "portfolio_id": event.portfolio_id,
        "period": event.period,
        "approved_amount": event.approved_amount,
        "currency": event.currency,
        "status": OPEN,
        "closure": None,
        "opened_at": event.opened_at,
        "closed_at": None,
        "source_event_id": event.source_event_id,
        "updated_at": event.opened_at,
        "version": version,
    }
    await conn.execute(
        insert(demand)
        .values(initiative_id=event.initiative_id, **values)
        .on_conflict_do_update(index_elements=["initiative_id"], set_=values)
    )


async def closed(conn: AsyncConnection, event: DemandClosed, version: int) -> None:
    await conn.execute(
        sa.update(demand)
        .where(demand.c.initiative_id == event.initiative_id)
        .values(
            status=CLOSED,
            closure=event.closure.value,
            closed_at=event.closed_at,
            source_event_id=event.source_event_id,
            updated_at=event.closed_at,
            version=version,
        )
    )


# --- the titles projector (portfolio events from Kafka) ----------------------------------------


class InitiativeTitlesProjector:
    """Keeps `initiative_titles` from the portfolio's proposals and detail changes.

    Per-key ordering on the topic brings one initiative's events in stream order; the upsert
    keeps the newest title by its event time anyway, so a replay never brings back an old one.
    """

    name = "initiative_titles"
    registry: EventRegistry = titles

    def __init__(self, portfolio_topic: str) -> None:
        self.topics: Sequence[str] = (portfolio_topic,)

    async def apply(
        self, conn: AsyncConnection, event: ReceivedEvent, payload: DomainEvent
    ) -> None:
        match payload:
            case InitiativeProposed():
                await _title(conn, payload.initiative_id, payload.title, payload.proposed_at)
            case InitiativeDetailsChanged():
                await _title(conn, payload.initiative_id, payload.title, payload.changed_at)

    async def reset(self, conn: AsyncConnection) -> None:
        await conn.execute(sa.delete(initiative_titles))


async def _title(conn: AsyncConnection, initiative_id: str, title: str, at: datetime) -> None:
    table = initiative_titles
    statement = insert(table).values(initiative_id=initiative_id, title=title, changed_at=at)
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=["initiative_id"],
            set_={"title": statement.excluded.title, "changed_at": statement.excluded.changed_at},
            where=table.c.changed_at <= statement.excluded.changed_at,
        )
    )


# --- reads -------------------------------------------------------------------------------------


async def by_ids(conn: AsyncConnection, initiative_ids: Sequence[str]) -> dict[str, DemandRow]:
    rows = await conn.execute(_select().where(demand.c.initiative_id.in_(list(initiative_ids))))
    return {row.initiative_id: _row(row) for row in rows}


async def page(
    conn: AsyncConnection,
    *,
    status: str | None,
    portfolio_id: str | None,
    after: tuple[str, str] | None,
    limit: int,
) -> list[DemandRow]:
    """Demand lines, the newest opening first (keyset on opened_at, initiative id)."""
    query = _select()
    if status is not None:
        query = query.where(demand.c.status == status)
    if portfolio_id is not None:
        query = query.where(demand.c.portfolio_id == portfolio_id)
    if after is not None:
        opened_at, initiative_id = after
        query = query.where(
            sa.tuple_(demand.c.opened_at, demand.c.initiative_id)
            < sa.tuple_(sa.cast(sa.literal(opened_at), TIMESTAMP), sa.literal(initiative_id))
        )
    rows = await conn.execute(
        query.order_by(demand.c.opened_at.desc(), demand.c.initiative_id.desc()).limit(limit)
    )
    return [_row(row) for row in rows]


# --- staffing: the allocations of initiatives, as hours ------------------------------------------


class StaffingStatus(StrEnum):
    """How far an initiative's demand is staffed (see `staffing_status`)."""

    UNSTAFFED = "UNSTAFFED"
    PARTIALLY_STAFFED = "PARTIALLY_STAFFED"
    STAFFED = "STAFFED"
    RELEASED = "RELEASED"


@dataclass(frozen=True, slots=True)
class AllocatedHours:
    """Promised hours of some allocations over a horizon."""

    starts_on: date | None
    ends_on: date | None
    hours: Decimal
    by_week: dict[str, Decimal]  # ISO week label → hours, in week order
    allocations: int  # allocations contributing hours
    people: int  # people carrying them


@dataclass(frozen=True, slots=True)
class Staffing:
    """Every allocation of one initiative, with what it takes to turn them into hours."""

    initiative_id: str
    rows: list[AllocationRow]
    context: CommitmentContext

    def promised(self) -> list[AllocationLoad]:
        """The loads of the allocations that promise capacity (approved, or released after some
        days), by id."""
        return [load for row in self.rows if (load := row.load()) is not None]

    def count(self, status: AllocationStatus) -> int:
        return sum(1 for row in self.rows if row.status is status)

    def hours(self, starts_on: date | None = None, ends_on: date | None = None) -> AllocatedHours:
        """The promised hours within ``starts_on..ends_on`` (either open): the working days of
        each allocation inside the horizon, at the capacity in force on each week's Monday."""
        by_week: dict[str, Decimal] = {}
        contributing: set[str] = set()
        carriers: set[str] = set()
        for load in self.promised():
            first = max(load.starts_on, starts_on) if starts_on else load.starts_on
            last = min(load.ends_on, ends_on) if ends_on else load.ends_on
            if first > last:
                continue
            clipped = replace(load, starts_on=first, ends_on=last)
            for week in clipped.weeks:
                for person_id in people_of(clipped, self.context):
                    hours = person_hours(person_id, clipped, week, self.context)
                    if hours > 0:
                        by_week[week.label] = by_week.get(week.label, Decimal(0)) + hours
                        contributing.add(load.allocation_id)
                        carriers.add(person_id)
        ordered = dict(sorted(by_week.items()))
        return AllocatedHours(
            starts_on=starts_on,
            ends_on=ends_on,
            hours=sum(ordered.values(), Decimal(0)),
            by_week=ordered,
            allocations=len(contributing),
            people=len(carriers),
        )


def staffing_status(
    demand_row: DemandRow | None, staffing: Staffing | None, today: date
) -> StaffingStatus | None:
    """- RELEASED: the demand is closed (initiative cancelled or done, approval withdrawn);
    - UNSTAFFED: no approved allocation promises capacity from today on;
    - STAFFED: approved allocations cover every remaining week of the demand's period (a week
      is covered when one of them has a working day in it), or, without a period (or once it
      is over), some approved allocation still runs;
    - PARTIALLY_STAFFED: some remaining weeks of the period are covered, not all;
    - None: resources knows nothing of the initiative (no demand, no allocation).
    """
    rows = staffing.rows if staffing is not None else []
    if demand_row is None and not rows:
        return None
    if demand_row is not None and not demand_row.is_open:
        return StaffingStatus.RELEASED
    running = [load for load in (staffing.promised() if staffing else []) if load.ends_on >= today]
    if not running:
        return StaffingStatus.UNSTAFFED
    period = demand_row.period if demand_row is not None else None
    current = IsoWeek.of(today)
    remaining = [week for week in period_weeks(period) if week >= current] if period else []
    if not remaining:
        return StaffingStatus.STAFFED
    covered = [
        week
        for week in remaining
        if any(working_days_in(week, max(load.starts_on, today), load.ends_on) for load in running)
    ]
    if len(covered) == len(remaining):
        return StaffingStatus.STAFFED
    return StaffingStatus.PARTIALLY_STAFFED if covered else StaffingStatus.UNSTAFFED


async def staffing_of(conn: AsyncConnection, initiative_ids: Sequence[str]) -> dict[str, Staffing]:
    """Each initiative's allocations (any status, by id) and one shared hours context."""
    ids = await conn.scalars(
        sa.select(allocations.c.id)
        .where(allocations.c.initiative_id.in_(list(initiative_ids)))
        .order_by(allocations.c.id)
    )
    found = await read_allocations.by_ids(conn, list(ids))
    rows = sorted(found.values(), key=lambda row: row.id)
    context = await hours_context(conn, [load for row in rows if (load := row.load()) is not None])
    grouped: dict[str, list[AllocationRow]] = {}
    for row in rows:
        grouped.setdefault(row.initiative_id, []).append(row)
    return {
        initiative_id: Staffing(initiative_id, initiative_rows, context)
        for initiative_id, initiative_rows in grouped.items()
    }


async def hours_context(
    conn: AsyncConnection, loads: Sequence[AllocationLoad]
) -> CommitmentContext:
    """What turning `loads` into hours per person and week needs: the capacity over time of
    every person they touch (each member of their teams included) and their teams' rosters."""
    team_ids = sorted({load.team_id for load in loads if load.team_id is not None})
    rosters = await read_teams.members_of(conn, team_ids)
    person_ids = {load.person_id for load in loads if load.person_id is not None}
    person_ids |= {row.person_id for rows in rosters.values() for row in rows}
    found = await read_people.by_ids(conn, sorted(person_ids))
    histories = await read_people.capacity_histories(conn, sorted(found))
    return CommitmentContext(
        capacities={
            person_id: schedule_of(person, histories.get(person_id, [])).on
            for person_id, person in found.items()
        },
        rosters={
            team_id: [row.membership() for row in rosters.get(team_id, [])] for team_id in team_ids
        },
        names={person_id: person.name for person_id, person in found.items()},
    )
