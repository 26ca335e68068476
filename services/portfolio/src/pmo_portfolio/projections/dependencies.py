"""The `dependencies` read model: which initiative depends on which (the dependency graph).

An initiative is *blocked* while it is still open (not DONE or CANCELLED) and depends on an
initiative that is not DONE: it cannot finish before that one does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from pmo_portfolio.domain.events import DependencyDeclared, DependencyRemoved, KanbanState
from pmo_portfolio.projections.tables import dependencies, initiatives

CLOSED = (KanbanState.DONE.value, KanbanState.CANCELLED.value)


@dataclass(frozen=True, slots=True)
class DependencyRow:
    initiative_id: str
    depends_on_id: str
    note: str
    declared_by: str
    declared_at: datetime


def _rows(result: sa.CursorResult[tuple[object, ...]]) -> list[DependencyRow]:
    return [DependencyRow(**row._mapping) for row in result]


async def of_portfolio(conn: AsyncConnection, portfolio_id: str) -> list[DependencyRow]:
    """Every dependency with at least one end in the portfolio."""
    members = sa.select(initiatives.c.id).where(initiatives.c.portfolio_id == portfolio_id)
    result = await conn.execute(
        sa.select(dependencies)
        .where(
            sa.or_(
                dependencies.c.initiative_id.in_(members),
                dependencies.c.depends_on_id.in_(members),
            )
        )
        .order_by(dependencies.c.initiative_id, dependencies.c.depends_on_id)
    )
    return _rows(result)


async def by_column(
    conn: AsyncConnection, column: str, ids: Sequence[str]
) -> dict[str, list[DependencyRow]]:
    """Dependencies grouped by ``column``: initiative_id (what each depends on) or
    depends_on_id (what depends on each)."""
    result = await conn.execute(
        sa.select(dependencies)
        .where(dependencies.c[column].in_(list(ids)))
        .order_by(dependencies.c.declared_at, dependencies.c.initiative_id)
    )
    found: dict[str, list[DependencyRow]] = {}
    for row in _rows(result):
        found.setdefault(getattr(row, column), []).append(row)
    return found


async def blocked_among(conn: AsyncConnection, ids: Sequence[str]) -> set[str]:
    """Those of ``ids`` that are blocked (open, and depending on an initiative not DONE)."""
    if not ids:
        return set()
    dependent, prerequisite = initiatives.alias("dependent"), initiatives.alias("prerequisite")
    result = await conn.execute(
        sa.select(dependencies.c.initiative_id)
        .distinct()
        .join(dependent, dependent.c.id == dependencies.c.initiative_id)
        # An unknown prerequisite (no row) cannot be DONE: it blocks too.
        .outerjoin(prerequisite, prerequisite.c.id == dependencies.c.depends_on_id)
        .where(
            dependencies.c.initiative_id.in_(list(ids)),
            dependent.c.state.not_in(CLOSED),
            sa.or_(
                prerequisite.c.state.is_(None),
                prerequisite.c.state != KanbanState.DONE.value,
            ),
        )
    )
    return set(result.scalars())


# --- projection ------------------------------------------------------------------------------


async def declared(conn: AsyncConnection, event: DependencyDeclared, version: int) -> None:
    values = {
        "note": event.note,
        "declared_by": event.declared_by,
        "declared_at": event.declared_at,
    }
    await conn.execute(
        insert(dependencies)
        .values(initiative_id=event.initiative_id, depends_on_id=event.depends_on_id, **values)
        .on_conflict_do_update(index_elements=["initiative_id", "depends_on_id"], set_=values)
    )


async def removed(conn: AsyncConnection, event: DependencyRemoved, version: int) -> None:
    await conn.execute(
        sa.delete(dependencies).where(
            dependencies.c.initiative_id == event.initiative_id,
            dependencies.c.depends_on_id == event.depends_on_id,
        )
    )
