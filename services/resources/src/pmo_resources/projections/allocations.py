"""The allocations read models: `allocations` (one row per allocation) and `allocation_overrides`
(every OvercommitmentOverridden). Written in the append's transaction and rebuilt from the event
store at any time.

`active_until` is the last day an allocation's capacity is promised, the Allocation aggregate's
`active_range` end: `ends_on` once approved, the day before `released_from` after a release, null
while requested, once rejected, or when a release dropped it from its first day. Everything that
adds up commitment (the approval's check, the capacity views) reads active allocations through it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from pmo_resources.domain.allocation import AllocationStatus
from pmo_resources.domain.capacity import AllocationLoad
from pmo_resources.domain.events import (
    AllocationAdjusted,
    AllocationApproved,
    AllocationRejected,
    AllocationReleased,
    AllocationRequested,
    OvercommitmentOverridden,
    ReleaseCause,
)
from pmo_resources.projections.tables import allocation_overrides, allocations

# Statuses whose capacity is (or was, up to active_until) promised.
PROMISED = (AllocationStatus.APPROVED.value, AllocationStatus.RELEASED.value)

# --- rows --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AllocationRow:
    id: str
    initiative_id: str
    person_id: str | None
    team_id: str | None
    starts_on: date
    ends_on: date
    percent: int | None
    hours_per_week: Decimal | None
    note: str
    status: AllocationStatus
    active_until: date | None
    requested_by: str
    requested_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    rejection_reason: str | None
    rejected_by: str | None
    rejected_at: datetime | None
    adjusted_by: str | None
    adjusted_at: datetime | None
    released_from: date | None
    release_cause: ReleaseCause | None
    release_reason: str | None
    release_source_event_id: str | None
    released_by: str | None
    released_at: datetime | None
    updated_at: datetime
    version: int

    def load(self) -> AllocationLoad | None:
        """The promised capacity for the arithmetic (None when nothing is promised)."""
        if self.active_until is None:
            return None
        return AllocationLoad(
            allocation_id=self.id,
            starts_on=self.starts_on,
            ends_on=self.active_until,
            percent=self.percent,
            hours_per_week=self.hours_per_week,
            person_id=self.person_id,
            team_id=self.team_id,
        )


@dataclass(frozen=True, slots=True)
class OverrideRow:
    allocation_id: str
    version: int
    person_id: str
    weeks: list[str]
    peak_percent: Decimal
    reason: str
    overridden_by: str
    overridden_at: datetime


def _allocation(row: sa.Row[Any]) -> AllocationRow:
    values = dict(row._mapping)
    values["status"] = AllocationStatus(values["status"])
    if values["release_cause"] is not None:
        values["release_cause"] = ReleaseCause(values["release_cause"])
    return AllocationRow(**{field.name: values[field.name] for field in fields(AllocationRow)})


# --- projection --------------------------------------------------------------------------------

_LAST_RELEASED_DAY = sa.func.least(allocations.c.ends_on, allocations.c.released_from - 1)
# The Allocation aggregate's `active_range` end, from the row's other columns.
_ACTIVE_UNTIL = sa.case(
    (allocations.c.status.not_in(PROMISED), sa.null()),
    (allocations.c.released_from.is_(None), allocations.c.ends_on),
    (allocations.c.starts_on <= _LAST_RELEASED_DAY, _LAST_RELEASED_DAY),
    else_=sa.null(),
)


async def _update(conn: AsyncConnection, allocation_id: str, **values: Any) -> None:
    """Set `values`, then recompute `active_until` from the row as it now is (a second
    statement: an UPDATE's expressions see the row as it was)."""
    row = allocations.c.id == allocation_id
    await conn.execute(sa.update(allocations).where(row).values(**values))
    await conn.execute(sa.update(allocations).where(row).values(active_until=_ACTIVE_UNTIL))


async def requested(conn: AsyncConnection, event: AllocationRequested, version: int) -> None:
    await conn.execute(
        sa.insert(allocations).values(
            id=event.allocation_id,
            initiative_id=event.initiative_id,
            person_id=event.person_id,
            team_id=event.team_id,
            starts_on=event.starts_on,
            ends_on=event.ends_on,
            percent=event.percent,
            hours_per_week=event.hours_per_week,
            note=event.note,
            status=AllocationStatus.REQUESTED.value,
            active_until=None,
            requested_by=event.requested_by,
            requested_at=event.requested_at,
            updated_at=event.requested_at,
            version=version,
        )
    )


async def approved(conn: AsyncConnection, event: AllocationApproved, version: int) -> None:
    await _update(
        conn,
        event.allocation_id,
        status=AllocationStatus.APPROVED.value,
        approved_by=event.approved_by,
        approved_at=event.approved_at,
        updated_at=event.approved_at,
        version=version,
    )


async def rejected(conn: AsyncConnection, event: AllocationRejected, version: int) -> None:
    await _update(
        conn,
        event.allocation_id,
        status=AllocationStatus.REJECTED.value,
        rejection_reason=event.reason,
        rejected_by=event.rejected_by,
        rejected_at=event.rejected_at,
        updated_at=event.rejected_at,
        version=version,
    )


async def adjusted(conn: AsyncConnection, event: AllocationAdjusted, version: int) -> None:
    await _update(
        conn,
        event.allocation_id,
        starts_on=event.starts_on,
        ends_on=event.ends_on,
        percent=event.percent,
        hours_per_week=event.hours_per_week,
        adjusted_by=event.adjusted_by,
        adjusted_at=event.adjusted_at,
        updated_at=event.adjusted_at,
        version=version,
    )


async def released(conn: AsyncConnection, event: AllocationReleased, version: int) -> None:
    await _update(
        conn,
        event.allocation_id,
        status=AllocationStatus.RELEASED.value,
        released_from=event.released_from,
        release_cause=event.cause.value,
        release_reason=event.reason,
        release_source_event_id=event.source_event_id,
        released_by=event.released_by,
        released_at=event.released_at,
        updated_at=event.released_at,
        version=version,
    )


async def overridden(conn: AsyncConnection, event: OvercommitmentOverridden, version: int) -> None:
    await conn.execute(
        sa.insert(allocation_overrides).values(
            allocation_id=event.allocation_id,
            version=version,
            person_id=event.person_id,
            weeks=list(event.weeks),
            peak_percent=event.peak_percent,
            reason=event.reason,
            overridden_by=event.overridden_by,
            overridden_at=event.overridden_at,
        )
    )
    await conn.execute(
        sa.update(allocations)
        .where(allocations.c.id == event.allocation_id)
        .values(updated_at=event.overridden_at, version=version)
    )


# --- helpers for the command side --------------------------------------------------------------


def _overlapping(starts_on: date, ends_on: date) -> sa.ColumnElement[bool]:
    return sa.and_(
        allocations.c.active_until.is_not(None),
        allocations.c.starts_on <= ends_on,
        allocations.c.active_until >= starts_on,
    )


async def active_loads(
    conn: AsyncConnection,
    *,
    person_ids: Sequence[str],
    team_ids: Sequence[str],
    starts_on: date,
    ends_on: date,
) -> list[AllocationLoad]:
    """The promised loads of the people's own allocations and of the teams' allocations that
    are active on some day of ``starts_on..ends_on``, by id. Read it under the people's row
    locks when a decision depends on it."""
    query = (
        sa.select(allocations)
        .where(
            _overlapping(starts_on, ends_on),
            sa.or_(
                allocations.c.person_id.in_(list(person_ids)),
                allocations.c.team_id.in_(list(team_ids)),
            ),
        )
        .order_by(allocations.c.id)
    )
    loads = [_allocation(row).load() for row in await conn.execute(query)]
    return [load for load in loads if load is not None]


async def to_release(
    conn: AsyncConnection, *, person_id: str | None = None, team_id: str | None = None, after: date
) -> tuple[list[str], list[str]]:
    """The person's (or team's) own allocations touched by their leaving after `after`: the ids
    of those still promised on a later day (to release) and of those only requested and starting
    after it (to reject), each in id order."""
    who = (
        allocations.c.person_id == person_id
        if person_id is not None
        else allocations.c.team_id == team_id
    )
    release = await conn.scalars(
        sa.select(allocations.c.id)
        .where(who, allocations.c.active_until > after)
        .order_by(allocations.c.id)
    )
    reject = await conn.scalars(
        sa.select(allocations.c.id)
        .where(
            who,
            allocations.c.status == AllocationStatus.REQUESTED.value,
            allocations.c.starts_on > after,
        )
        .order_by(allocations.c.id)
    )
    return list(release), list(reject)


# --- reads -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AllocationFilter:
    """Narrows an allocations list; every condition given must hold. `team_id` lists the team's
    own allocations (not those of its members)."""

    initiative_id: str | None = None
    person_id: str | None = None
    team_id: str | None = None
    status: AllocationStatus | None = None
    active_on_or_after: date | None = None  # promised on some day from this one on


def _filtered(query: sa.Select[Any], where: AllocationFilter) -> sa.Select[Any]:
    if where.initiative_id is not None:
        query = query.where(allocations.c.initiative_id == where.initiative_id)
    if where.person_id is not None:
        query = query.where(allocations.c.person_id == where.person_id)
    if where.team_id is not None:
        query = query.where(allocations.c.team_id == where.team_id)
    if where.status is not None:
        query = query.where(allocations.c.status == where.status.value)
    if where.active_on_or_after is not None:
        query = query.where(allocations.c.active_until >= where.active_on_or_after)
    return query


async def page(
    conn: AsyncConnection,
    *,
    where: AllocationFilter,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[AllocationRow]:
    """Allocations in request order (then id), keyset-paginated on (requested_at, id)."""
    query = _filtered(sa.select(allocations), where)
    if after is not None:
        query = query.where(
            sa.tuple_(allocations.c.requested_at, allocations.c.id)
            > sa.tuple_(
                sa.literal(after[0], type_=allocations.c.requested_at.type), sa.literal(after[1])
            )
        )
    rows = await conn.execute(
        query.order_by(allocations.c.requested_at, allocations.c.id).limit(limit)
    )
    return [_allocation(row) for row in rows]


async def by_ids(conn: AsyncConnection, ids: Sequence[str]) -> dict[str, AllocationRow]:
    rows = await conn.execute(sa.select(allocations).where(allocations.c.id.in_(list(ids))))
    return {row.id: _allocation(row) for row in rows}


async def of_people(
    conn: AsyncConnection, person_ids: Sequence[str]
) -> dict[str, list[AllocationRow]]:
    """Each person's own allocations, by start date (then id)."""
    return await _grouped(conn, allocations.c.person_id, person_ids)


async def of_teams(
    conn: AsyncConnection, team_ids: Sequence[str]
) -> dict[str, list[AllocationRow]]:
    """Each team's own allocations, by start date (then id)."""
    return await _grouped(conn, allocations.c.team_id, team_ids)


async def _grouped(
    conn: AsyncConnection, column: sa.Column[Any], keys: Sequence[str]
) -> dict[str, list[AllocationRow]]:
    rows = await conn.execute(
        sa.select(allocations)
        .where(column.in_(list(keys)))
        .order_by(column, allocations.c.starts_on, allocations.c.id)
    )
    found: dict[str, list[AllocationRow]] = {}
    for row in rows:
        found.setdefault(row._mapping[column.name], []).append(_allocation(row))
    return found


async def active_between(
    conn: AsyncConnection, *, starts_on: date, ends_on: date
) -> list[AllocationRow]:
    """Every allocation promised on some day of ``starts_on..ends_on`` (the capacity views)."""
    rows = await conn.execute(
        sa.select(allocations).where(_overlapping(starts_on, ends_on)).order_by(allocations.c.id)
    )
    return [_allocation(row) for row in rows]


async def requested_between(
    conn: AsyncConnection, *, starts_on: date, ends_on: date
) -> list[AllocationRow]:
    """Every allocation still only requested that overlaps ``starts_on..ends_on``."""
    rows = await conn.execute(
        sa.select(allocations)
        .where(
            allocations.c.status == AllocationStatus.REQUESTED.value,
            allocations.c.starts_on <= ends_on,
            allocations.c.ends_on >= starts_on,
        )
        .order_by(allocations.c.requested_at, allocations.c.id)
    )
    return [_allocation(row) for row in rows]


async def overrides_of(
    conn: AsyncConnection, allocation_ids: Sequence[str]
) -> dict[str, list[OverrideRow]]:
    """Each allocation's overcommitment overrides, in stream order."""
    table = allocation_overrides
    rows = await conn.execute(
        sa.select(table)
        .where(table.c.allocation_id.in_(list(allocation_ids)))
        .order_by(table.c.allocation_id, table.c.version)
    )
    found: dict[str, list[OverrideRow]] = {}
    for row in rows:
        values = dict(row._mapping)
        values["weeks"] = list(values["weeks"])
        found.setdefault(row.allocation_id, []).append(OverrideRow(**values))
    return found


def day_after(day: date) -> date:
    return day + timedelta(days=1)
