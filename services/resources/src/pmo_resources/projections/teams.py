"""The teams read models: `teams` (one row per team), `team_members` (every membership, dated),
`team_capacity_plans` and `team_tools`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from pmo_resources.domain.events import (
    TeamCapacityPlanned,
    TeamDisbanded,
    TeamFormed,
    TeamMemberJoined,
    TeamMemberLeft,
    TeamToolAdopted,
    TeamTopology,
)
from pmo_resources.domain.team import Membership
from pmo_resources.projections.tables import team_capacity_plans, team_members, team_tools, teams

# --- rows --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TeamRow:
    id: str
    name: str
    topology: TeamTopology
    value_stream: str
    formed_by: str
    formed_at: datetime
    disbanded_on: date | None
    disband_reason: str | None
    disbanded_by: str | None
    disbanded_at: datetime | None
    updated_at: datetime
    version: int

    @property
    def disbanded(self) -> bool:
        return self.disbanded_on is not None


@dataclass(frozen=True, slots=True)
class MemberRow:
    team_id: str
    person_id: str
    joined_on: date
    percent: int
    left_on: date | None
    joined_by: str
    joined_at: datetime
    left_by: str | None
    left_at: datetime | None

    def current(self, today: date) -> bool:
        """A member now or from a later date: the membership has not ended before `today`."""
        return self.left_on is None or self.left_on >= today

    def membership(self) -> Membership:
        return Membership(self.team_id, self.person_id, self.percent, self.joined_on, self.left_on)


@dataclass(frozen=True, slots=True)
class PlanRow:
    team_id: str
    label: str
    starts_on: date
    ends_on: date
    capacity_hours: Decimal
    planned_by: str
    planned_at: datetime


@dataclass(frozen=True, slots=True)
class ToolRow:
    team_id: str
    tool_id: str
    adopted_by: str
    adopted_at: datetime


def _team(row: sa.Row[Any]) -> TeamRow:
    values = dict(row._mapping)
    values["topology"] = TeamTopology(values["topology"])
    return TeamRow(**{field.name: values[field.name] for field in fields(TeamRow)})


# --- projection --------------------------------------------------------------------------------


def _touch(team_id: str, at: datetime, version: int) -> sa.Update:
    return sa.update(teams).where(teams.c.id == team_id).values(updated_at=at, version=version)


async def formed(conn: AsyncConnection, event: TeamFormed, version: int) -> None:
    await conn.execute(
        sa.insert(teams).values(
            id=event.team_id,
            name=event.name,
            topology=event.topology.value,
            value_stream=event.value_stream,
            formed_by=event.formed_by,
            formed_at=event.formed_at,
            updated_at=event.formed_at,
            version=version,
        )
    )


async def member_joined(conn: AsyncConnection, event: TeamMemberJoined, version: int) -> None:
    await conn.execute(
        sa.insert(team_members).values(
            team_id=event.team_id,
            person_id=event.person_id,
            joined_on=event.joined_on,
            percent=event.allocation_percent,
            joined_by=event.joined_by,
            joined_at=event.joined_at,
        )
    )
    await conn.execute(_touch(event.team_id, event.joined_at, version))


async def member_left(conn: AsyncConnection, event: TeamMemberLeft, version: int) -> None:
    # The open membership ends (the Team aggregate allows one open membership per person).
    await conn.execute(
        sa.update(team_members)
        .where(
            team_members.c.team_id == event.team_id,
            team_members.c.person_id == event.person_id,
            team_members.c.left_on.is_(None),
        )
        .values(left_on=event.left_on, left_by=event.left_by, left_at=event.left_at)
    )
    await conn.execute(_touch(event.team_id, event.left_at, version))


async def capacity_planned(conn: AsyncConnection, event: TeamCapacityPlanned, version: int) -> None:
    values = {
        "starts_on": event.starts_on,
        "ends_on": event.ends_on,
        "capacity_hours": event.capacity_hours,
        "planned_by": event.planned_by,
        "planned_at": event.planned_at,
    }
    await conn.execute(
        insert(team_capacity_plans)
        .values(team_id=event.team_id, label=event.label, **values)
        .on_conflict_do_update(index_elements=["team_id", "label"], set_=values)
    )
    await conn.execute(_touch(event.team_id, event.planned_at, version))


async def tool_adopted(conn: AsyncConnection, event: TeamToolAdopted, version: int) -> None:
    await conn.execute(
        insert(team_tools)
        .values(
            team_id=event.team_id,
            tool_id=event.tool_id,
            adopted_by=event.adopted_by,
            adopted_at=event.adopted_at,
        )
        .on_conflict_do_nothing()
    )
    await conn.execute(_touch(event.team_id, event.adopted_at, version))


async def disbanded(conn: AsyncConnection, event: TeamDisbanded, version: int) -> None:
    await conn.execute(
        _touch(event.team_id, event.disbanded_at, version).values(
            disbanded_on=event.disbanded_on,
            disband_reason=event.reason,
            disbanded_by=event.disbanded_by,
            disbanded_at=event.disbanded_at,
        )
    )


# --- helpers for the command side --------------------------------------------------------------


async def memberships_of_person(conn: AsyncConnection, person_id: str) -> list[Membership]:
    """Every membership of the person (ended ones too: the domain's dated check needs them).
    Read it under the person's row lock (projections.people.lock)."""
    rows = await conn.execute(
        sa.select(team_members)
        .where(team_members.c.person_id == person_id)
        .order_by(team_members.c.joined_on, team_members.c.team_id)
    )
    return [MemberRow(**row._mapping).membership() for row in rows]


# --- reads -------------------------------------------------------------------------------------


async def by_ids(conn: AsyncConnection, ids: Sequence[str]) -> dict[str, TeamRow]:
    rows = await conn.execute(sa.select(teams).where(teams.c.id.in_(list(ids))))
    return {row.id: _team(row) for row in rows}


async def page(
    conn: AsyncConnection,
    *,
    include_disbanded: bool,
    after: tuple[str, str] | None,
    limit: int,
) -> list[TeamRow]:
    """Teams by name (then id), keyset-paginated on (name, id)."""
    query = sa.select(teams)
    if not include_disbanded:
        query = query.where(teams.c.disbanded_on.is_(None))
    if after is not None:
        query = query.where(
            sa.tuple_(teams.c.name, teams.c.id)
            > sa.tuple_(sa.literal(after[0]), sa.literal(after[1]))
        )
    rows = await conn.execute(query.order_by(teams.c.name, teams.c.id).limit(limit))
    return [_team(row) for row in rows]


async def members_of(conn: AsyncConnection, team_ids: Sequence[str]) -> dict[str, list[MemberRow]]:
    """Each team's memberships (ended ones too), by join date."""
    rows = await conn.execute(
        sa.select(team_members)
        .where(team_members.c.team_id.in_(list(team_ids)))
        .order_by(team_members.c.team_id, team_members.c.joined_on, team_members.c.person_id)
    )
    found: dict[str, list[MemberRow]] = {}
    for row in rows:
        found.setdefault(row.team_id, []).append(MemberRow(**row._mapping))
    return found


async def memberships_of(
    conn: AsyncConnection, person_ids: Sequence[str]
) -> dict[str, list[MemberRow]]:
    """Each person's memberships (ended ones too), by join date."""
    rows = await conn.execute(
        sa.select(team_members)
        .where(team_members.c.person_id.in_(list(person_ids)))
        .order_by(team_members.c.person_id, team_members.c.joined_on, team_members.c.team_id)
    )
    found: dict[str, list[MemberRow]] = {}
    for row in rows:
        found.setdefault(row.person_id, []).append(MemberRow(**row._mapping))
    return found


async def plans_of(conn: AsyncConnection, team_ids: Sequence[str]) -> dict[str, list[PlanRow]]:
    """Each team's capacity plans, by start date (then label)."""
    table = team_capacity_plans
    rows = await conn.execute(
        sa.select(table)
        .where(table.c.team_id.in_(list(team_ids)))
        .order_by(table.c.team_id, table.c.starts_on, table.c.label)
    )
    found: dict[str, list[PlanRow]] = {}
    for row in rows:
        found.setdefault(row.team_id, []).append(PlanRow(**row._mapping))
    return found


async def tools_of(conn: AsyncConnection, team_ids: Sequence[str]) -> dict[str, list[ToolRow]]:
    """Each team's adopted tools, in adoption order."""
    rows = await conn.execute(
        sa.select(team_tools)
        .where(team_tools.c.team_id.in_(list(team_ids)))
        .order_by(team_tools.c.team_id, team_tools.c.adopted_at, team_tools.c.tool_id)
    )
    found: dict[str, list[ToolRow]] = {}
    for row in rows:
        found.setdefault(row.team_id, []).append(ToolRow(**row._mapping))
    return found
