"""The tools read models: `tools` (one row per tool, with its seats and how many are assigned) and
`tool_licences` (who holds a seat). Written in the append's transaction; migration 0003 creates
them. Licence gaps read them against `team_tools` and `team_members` (0001).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from pmo_resources.domain.events import (
    LicenceAssigned,
    LicenceRevoked,
    ToolRegistered,
    ToolSeatsChanged,
)
from pmo_resources.projections.tables import (
    TIMESTAMP,
    metadata,
    people,
    team_members,
    team_tools,
    teams,
)

tools = sa.Table(
    "tools",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("vendor", sa.Text, nullable=False),
    sa.Column("seats", sa.Integer, nullable=False),
    sa.Column("assigned", sa.Integer, nullable=False),
    sa.Column("cost_per_seat", sa.Numeric, nullable=False),
    sa.Column("currency", sa.Text, nullable=False),
    sa.Column("registered_by", sa.Text, nullable=False),
    sa.Column("registered_at", TIMESTAMP, nullable=False),
    sa.Column("updated_at", TIMESTAMP, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Index("tools_name_id", "name", "id"),
)

tool_licences = sa.Table(
    "tool_licences",
    metadata,
    sa.Column("tool_id", sa.Text, primary_key=True),
    sa.Column("person_id", sa.Text, primary_key=True),
    sa.Column("assigned_by", sa.Text, nullable=False),
    sa.Column("assigned_at", TIMESTAMP, nullable=False),
    sa.Index("tool_licences_person", "person_id"),
)

TABLES = (tools, tool_licences)

_CENTS = Decimal("0.01")

# --- rows --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ToolRow:
    id: str
    name: str
    vendor: str
    seats: int
    assigned: int
    cost_per_seat: Decimal
    currency: str
    registered_by: str
    registered_at: datetime
    updated_at: datetime
    version: int

    @property
    def free(self) -> int:
        return max(self.seats - self.assigned, 0)

    @property
    def monthly_cost(self) -> Decimal:
        """What the seats bought cost each month (the Tool aggregate's rule)."""
        return self.cost_per_seat * self.seats

    @property
    def idle_cost(self) -> Decimal:
        return self.cost_per_seat * self.free

    @property
    def utilisation_percent(self) -> Decimal | None:
        if self.seats == 0:
            return None
        return (Decimal(self.assigned) * 100 / self.seats).quantize(_CENTS, ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class LicenceRow:
    tool_id: str
    person_id: str
    assigned_by: str
    assigned_at: datetime


@dataclass(frozen=True, slots=True)
class LicenceGap:
    """A current member of a team that adopted a tool, without a licence of it."""

    team_id: str
    team_name: str
    person_id: str
    person_name: str
    tool_id: str
    tool_name: str | None  # None: the team adopted an id no registered tool has


# --- projection --------------------------------------------------------------------------------


def _touch(tool_id: str, at: datetime, version: int) -> sa.Update:
    return sa.update(tools).where(tools.c.id == tool_id).values(updated_at=at, version=version)


async def registered(conn: AsyncConnection, event: ToolRegistered, version: int) -> None:
    await conn.execute(
        sa.insert(tools).values(
            id=event.tool_id,
            name=event.name,
            vendor=event.vendor,
            seats=event.seats,
            assigned=0,
            cost_per_seat=event.cost_per_seat,
            currency=event.currency,
            registered_by=event.registered_by,
            registered_at=event.registered_at,
            updated_at=event.registered_at,
            version=version,
        )
    )


async def seats_changed(conn: AsyncConnection, event: ToolSeatsChanged, version: int) -> None:
    await conn.execute(_touch(event.tool_id, event.changed_at, version).values(seats=event.seats))


async def licence_assigned(conn: AsyncConnection, event: LicenceAssigned, version: int) -> None:
    await conn.execute(
        sa.insert(tool_licences).values(
            tool_id=event.tool_id,
            person_id=event.person_id,
            assigned_by=event.assigned_by,
            assigned_at=event.assigned_at,
        )
    )
    await conn.execute(
        _touch(event.tool_id, event.assigned_at, version).values(assigned=tools.c.assigned + 1)
    )


async def licence_revoked(conn: AsyncConnection, event: LicenceRevoked, version: int) -> None:
    await conn.execute(
        sa.delete(tool_licences).where(
            tool_licences.c.tool_id == event.tool_id,
            tool_licences.c.person_id == event.person_id,
        )
    )
    await conn.execute(
        _touch(event.tool_id, event.revoked_at, version).values(assigned=tools.c.assigned - 1)
    )


# --- reads -------------------------------------------------------------------------------------


async def by_ids(conn: AsyncConnection, ids: Sequence[str]) -> dict[str, ToolRow]:
    rows = await conn.execute(sa.select(tools).where(tools.c.id.in_(list(ids))))
    return {row.id: ToolRow(**row._mapping) for row in rows}


async def page(
    conn: AsyncConnection, *, after: tuple[str, str] | None, limit: int
) -> list[ToolRow]:
    """Tools by name (then id), keyset-paginated on (name, id)."""
    query = sa.select(tools)
    if after is not None:
        query = query.where(
            sa.tuple_(tools.c.name, tools.c.id)
            > sa.tuple_(sa.literal(after[0]), sa.literal(after[1]))
        )
    rows = await conn.execute(query.order_by(tools.c.name, tools.c.id).limit(limit))
    return [ToolRow(**row._mapping) for row in rows]


async def licences_of_tools(
    conn: AsyncConnection, tool_ids: Sequence[str]
) -> dict[str, list[LicenceRow]]:
    """Each tool's licences, in assignment order."""
    table = tool_licences
    rows = await conn.execute(
        sa.select(table)
        .where(table.c.tool_id.in_(list(tool_ids)))
        .order_by(table.c.tool_id, table.c.assigned_at, table.c.person_id)
    )
    found: dict[str, list[LicenceRow]] = {}
    for row in rows:
        found.setdefault(row.tool_id, []).append(LicenceRow(**row._mapping))
    return found


async def licences_of_people(
    conn: AsyncConnection, person_ids: Sequence[str]
) -> dict[str, list[LicenceRow]]:
    """Each person's licences, in assignment order."""
    table = tool_licences
    rows = await conn.execute(
        sa.select(table)
        .where(table.c.person_id.in_(list(person_ids)))
        .order_by(table.c.person_id, table.c.assigned_at, table.c.tool_id)
    )
    found: dict[str, list[LicenceRow]] = {}
    for row in rows:
        found.setdefault(row.person_id, []).append(LicenceRow(**row._mapping))
    return found


async def licence_gaps(
    conn: AsyncConnection, *, team_id: str | None, today: date
) -> list[LicenceGap]:
    """Current members of teams (not disbanded) without a licence of a tool their team adopted,
    by team name, person name and tool name. Active people only: an offboarded person needs no
    licence."""
    query = (
        sa.select(
            teams.c.id.label("team_id"),
            teams.c.name.label("team_name"),
            people.c.id.label("person_id"),
            people.c.name.label("person_name"),
            team_tools.c.tool_id,
            tools.c.name.label("tool_name"),
        )
        .select_from(
            teams.join(team_tools, team_tools.c.team_id == teams.c.id)
            .join(team_members, team_members.c.team_id == teams.c.id)
            .join(people, people.c.id == team_members.c.person_id)
            .outerjoin(tools, tools.c.id == team_tools.c.tool_id)
        )
        .where(
            teams.c.disbanded_on.is_(None),
            sa.not_(people.c.offboarded),
            team_members.c.joined_on <= today,
            sa.or_(team_members.c.left_on.is_(None), team_members.c.left_on >= today),
            ~sa.exists(
                sa.select(tool_licences.c.person_id).where(
                    tool_licences.c.tool_id == team_tools.c.tool_id,
                    tool_licences.c.person_id == people.c.id,
                )
            ),
        )
        .distinct()
        .order_by(
            teams.c.name, teams.c.id, people.c.name, people.c.id, tools.c.name, team_tools.c.tool_id
        )
    )
    if team_id is not None:
        query = query.where(teams.c.id == team_id)
    rows = await conn.execute(query)
    return [LicenceGap(**row._mapping) for row in rows]
