"""The `initiative_flow` read model: where each initiative stands and since when."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from pmo_events.envelope import ReceivedEvent
from pmo_events.registry import DomainEvent, EventRegistry
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from pmo_metrics.domain.flow import InitiativeFlow
from pmo_metrics.projections.portfolio_events import InitiativeMoved, InitiativeProposed, portfolio

metadata = sa.MetaData()

# Unqualified: the service's engine and migrations set search_path to its own schema.
initiative_flow = sa.Table(
    "initiative_flow",
    metadata,
    sa.Column("initiative_id", sa.Text, primary_key=True),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("state_entered_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("transitions", sa.Integer, nullable=False),
)


class InitiativeFlowProjector:
    """Projects the portfolio's initiative events into `initiative_flow`."""

    name = "initiative_flow"
    registry: EventRegistry = portfolio

    def __init__(self, portfolio_topic: str = "pmo.portfolio.events") -> None:
        self.topics: Sequence[str] = (portfolio_topic,)

    async def apply(
        self, conn: AsyncConnection, event: ReceivedEvent, payload: DomainEvent
    ) -> None:
        match payload:
            case InitiativeProposed():
                await conn.execute(
                    insert(initiative_flow)
                    .values(
                        initiative_id=payload.initiative_id,
                        state="FUNNEL",
                        proposed_at=payload.proposed_at,
                        state_entered_at=payload.proposed_at,
                        transitions=0,
                    )
                    .on_conflict_do_nothing(index_elements=[initiative_flow.c.initiative_id])
                )
            case InitiativeMoved():
                # Per-key ordering on the topic brings an initiative's events in stream order.
                await conn.execute(
                    sa.update(initiative_flow)
                    .where(initiative_flow.c.initiative_id == payload.initiative_id)
                    .values(
                        state=payload.to_state,
                        state_entered_at=payload.moved_at,
                        transitions=initiative_flow.c.transitions + 1,
                    )
                )

    async def reset(self, conn: AsyncConnection) -> None:
        await conn.execute(sa.delete(initiative_flow))


async def by_ids(conn: AsyncConnection, ids: Sequence[str]) -> dict[str, InitiativeFlow]:
    rows = await conn.execute(
        sa.select(initiative_flow).where(initiative_flow.c.initiative_id.in_(list(ids)))
    )
    return {row.initiative_id: _flow(row) for row in rows}


async def count_by_state(conn: AsyncConnection) -> dict[str, int]:
    rows = await conn.execute(
        sa.select(initiative_flow.c.state, sa.func.count())
        .group_by(initiative_flow.c.state)
        .order_by(initiative_flow.c.state)
    )
    return {state: int(count) for state, count in rows}


def _flow(row: sa.Row[tuple[object, ...]]) -> InitiativeFlow:
    values = row._mapping
    return InitiativeFlow(
        initiative_id=values["initiative_id"],
        state=values["state"],
        proposed_at=values["proposed_at"],
        state_entered_at=values["state_entered_at"],
        transitions=values["transitions"],
    )
