"""Portfolio-wide views computed from the read models: the kanban board and the candidates that
prioritisation (backlog, what-if, recommendations) ranks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from pmo_portfolio.domain.events import KanbanState
from pmo_portfolio.domain.prioritisation import Candidate
from pmo_portfolio.projections import dependencies
from pmo_portfolio.projections.initiatives import COLUMNS, InitiativeRow, in_portfolio, row_of
from pmo_portfolio.projections.tables import initiatives

SECONDS_PER_DAY = 86400


@dataclass(frozen=True, slots=True)
class ColumnStats:
    state: KanbanState
    count: int
    average_days_in_state: float | None
    oldest_days_in_state: float | None


async def kanban(
    conn: AsyncConnection, portfolio_id: str, *, per_state: int, now: datetime
) -> tuple[dict[KanbanState, ColumnStats], dict[KanbanState, list[InitiativeRow]]]:
    """Per state: count and time in state of the portfolio's initiatives, and the first
    ``per_state`` of them (best WSJF first, then the longest in the state)."""
    c = initiatives.c
    seconds = sa.func.extract(
        "epoch", sa.literal(now, c.state_entered_at.type) - c.state_entered_at
    )
    stats = await conn.execute(
        sa.select(c.state, sa.func.count(), sa.func.avg(seconds), sa.func.max(seconds))
        .where(c.portfolio_id == portfolio_id)
        .group_by(c.state)
    )
    by_state: dict[KanbanState, ColumnStats] = {}
    for state, count, average, oldest in stats.tuples():
        by_state[KanbanState(state)] = ColumnStats(
            state=KanbanState(state),
            count=count,
            average_days_in_state=max(float(average), 0.0) / SECONDS_PER_DAY,
            oldest_days_in_state=max(float(oldest), 0.0) / SECONDS_PER_DAY,
        )
    position = (
        sa.func.row_number()
        .over(
            partition_by=c.state,
            order_by=(c.wsjf.desc().nulls_last(), c.state_entered_at, c.id),
        )
        .label("position")
    )
    ranked = sa.select(*COLUMNS, position).where(c.portfolio_id == portfolio_id).subquery()
    rows = await conn.execute(
        sa.select(*[ranked.c[column.name] for column in COLUMNS])
        .where(ranked.c.position <= per_state)
        .order_by(ranked.c.state, ranked.c.position)
    )
    cards: dict[KanbanState, list[InitiativeRow]] = {}
    for row in rows:
        card = row_of(row)
        cards.setdefault(card.state, []).append(card)
    return by_state, cards


def candidate_of(
    row: InitiativeRow, *, now: datetime, blocked: bool, estimated_cost: Decimal | None = None
) -> Candidate:
    return Candidate(
        initiative_id=row.id,
        title=row.title,
        state=row.state,
        wsjf=row.wsjf,
        cost_of_delay=row.cost_of_delay,
        job_size=row.job_size,
        estimated_cost=estimated_cost if estimated_cost is not None else row.estimated_total_cost,
        risk_exposure=row.risk_exposure,
        days_in_state=row.days_in_state(now),
        # Spend is reported by the resources context (issue 5); until it exists no initiative
        # can be over its business case.
        over_business_case=False,
        blocked=blocked,
    )


async def candidates(
    conn: AsyncConnection,
    portfolio_id: str,
    *,
    states: Sequence[KanbanState],
    now: datetime,
) -> tuple[list[InitiativeRow], list[Candidate]]:
    """The portfolio's initiatives in ``states`` and their prioritisation snapshots."""
    rows = await in_portfolio(conn, portfolio_id, states)
    blocked = await dependencies.blocked_among(conn, [row.id for row in rows])
    return rows, [candidate_of(row, now=now, blocked=row.id in blocked) for row in rows]
