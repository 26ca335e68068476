"""The `initiatives` read model: one row per initiative, queried by the subgraph.

It is written in the append's transaction (read-your-writes for the frontend) and can be rebuilt
from the event store at any time (`pmo-portfolio rebuild-projections`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from pmo_portfolio.domain.events import InitiativeProposed, PortfolioEvent
from pmo_portfolio.domain.initiative import InitiativeState

metadata = sa.MetaData()

# Unqualified: the service's engine and migrations set search_path to its own schema.
initiatives = sa.Table(
    "initiatives",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("hypothesis", sa.Text, nullable=False),
    sa.Column("owner", sa.Text, nullable=False),
    sa.Column("portfolio_id", sa.Text),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("proposed_by", sa.Text, nullable=False),
    sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
)


@dataclass(frozen=True, slots=True)
class InitiativeRow:
    id: str
    title: str
    hypothesis: str
    owner: str
    portfolio_id: str | None
    state: InitiativeState
    proposed_by: str
    proposed_at: datetime
    updated_at: datetime
    version: int


class InitiativeOrder(StrEnum):
    PROPOSED_AT_ASC = "PROPOSED_AT_ASC"
    PROPOSED_AT_DESC = "PROPOSED_AT_DESC"
    TITLE_ASC = "TITLE_ASC"
    TITLE_DESC = "TITLE_DESC"

    @property
    def column(self) -> sa.Column[object]:
        name = "proposed_at" if self.name.startswith("PROPOSED_AT") else "title"
        return initiatives.c[name]

    @property
    def descending(self) -> bool:
        return self.name.endswith("_DESC")

    def key(self, row: InitiativeRow) -> str:
        """The first sort key of a row as cursor text (the id is the tie-breaker)."""
        return (
            row.proposed_at.isoformat() if self.column is initiatives.c.proposed_at else row.title
        )

    def parse_key(self, text: str) -> object:
        return datetime.fromisoformat(text) if self.column is initiatives.c.proposed_at else text


@dataclass(frozen=True, slots=True)
class InitiativeFilter:
    states: Sequence[InitiativeState] | None = None
    owner: str | None = None
    portfolio_id: str | None = None
    title_contains: str | None = None


async def apply(conn: AsyncConnection, event: PortfolioEvent, version: int) -> None:
    """Bring the read model up to ``version`` of the event's stream."""
    match event:
        case InitiativeProposed():
            await conn.execute(
                insert(initiatives)
                .values(
                    id=event.initiative_id,
                    title=event.title,
                    hypothesis=event.hypothesis,
                    owner=event.owner,
                    portfolio_id=event.portfolio_id,
                    state=InitiativeState.FUNNEL.value,
                    proposed_by=event.proposed_by,
                    proposed_at=event.proposed_at,
                    updated_at=event.proposed_at,
                    version=version,
                )
                .on_conflict_do_nothing(index_elements=[initiatives.c.id])
            )


async def reset(conn: AsyncConnection) -> None:
    await conn.execute(sa.delete(initiatives))


async def by_ids(conn: AsyncConnection, ids: Sequence[str]) -> dict[str, InitiativeRow]:
    rows = await conn.execute(sa.select(initiatives).where(initiatives.c.id.in_(list(ids))))
    return {row.id: _row(row) for row in rows}


async def page(
    conn: AsyncConnection,
    *,
    order: InitiativeOrder,
    where: InitiativeFilter,
    after: tuple[str, str] | None,
    limit: int,
) -> list[InitiativeRow]:
    """Keyset pagination on (sort column, id): stable while initiatives are added."""
    column, tie = order.column, initiatives.c.id
    query = sa.select(initiatives)
    if where.states:
        query = query.where(initiatives.c.state.in_([state.value for state in where.states]))
    if where.owner is not None:
        query = query.where(initiatives.c.owner == where.owner)
    if where.portfolio_id is not None:
        query = query.where(initiatives.c.portfolio_id == where.portfolio_id)
    if where.title_contains:
        escaped = where.title_contains.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(initiatives.c.title.ilike(f"%{escaped}%", escape="\\"))
    if after is not None:
        key, last_id = order.parse_key(after[0]), after[1]
        position = sa.tuple_(column, tie)
        bound = sa.tuple_(sa.literal(key, column.type), sa.literal(last_id))
        query = query.where(position < bound if order.descending else position > bound)
    if order.descending:
        query = query.order_by(column.desc(), tie.desc())
    else:
        query = query.order_by(column.asc(), tie.asc())
    rows = await conn.execute(query.limit(limit))
    return [_row(row) for row in rows]


def _row(row: sa.Row[tuple[object, ...]]) -> InitiativeRow:
    values = row._mapping
    return InitiativeRow(
        id=values["id"],
        title=values["title"],
        hypothesis=values["hypothesis"],
        owner=values["owner"],
        portfolio_id=values["portfolio_id"],
        state=InitiativeState(values["state"]),
        proposed_by=values["proposed_by"],
        proposed_at=values["proposed_at"],
        updated_at=values["updated_at"],
        version=values["version"],
    )
