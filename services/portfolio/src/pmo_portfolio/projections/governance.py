"""Governance read models (`decisions`, `reviews`, `guardrail_overrides`) and the read helpers the
command side uses to enforce the WIP and budget guardrails.

Guardrail checks follow one pattern, inside the transaction that appends the command's events::

    async with engine.begin() as conn:
        await lock_portfolio(conn, portfolio_id)          # serialises the portfolio's commands
        in_state = await count_in_state(conn, portfolio_id, KanbanState.IMPLEMENTING)
        spent = await committed(conn, portfolio_id, "2026-Q4", excluding_initiative=initiative_id)
        ... decide, project(), append_in() ...

Because the read models are written in the same transaction as the append, the counts include
every committed command, and the row lock makes a second command on the same portfolio wait until
the first one has committed (or rolled back) before it counts.

Commitments: an initiative's standing approval commits its `committed_amount` to its
`approved_period`; a later REJECT, DEFER or CANCEL decision, or a move to CANCELLED, releases it,
and a new approval replaces it (see `initiatives.decision_recorded`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from pmo_portfolio.domain.events import (
    DecisionKind,
    DecisionRecorded,
    Guardrail,
    GuardrailOverridden,
    KanbanState,
    PortfolioReviewConcluded,
    PortfolioReviewScheduled,
)
from pmo_portfolio.projections.tables import (
    decisions,
    guardrail_overrides,
    initiatives,
    portfolios,
    reviews,
)

# --- helpers for the command side ------------------------------------------------------------


async def lock_portfolio(conn: AsyncConnection, portfolio_id: str) -> bool:
    """Lock the portfolio's row until the transaction ends (SELECT … FOR UPDATE).

    Take it before counting WIP or commitments: concurrent commands on one portfolio then check
    and write one after the other. Returns False (and locks nothing) if there is no such
    portfolio in the read model.
    """
    found = await conn.execute(
        sa.select(portfolios.c.id).where(portfolios.c.id == portfolio_id).with_for_update()
    )
    return found.first() is not None


async def count_in_state(conn: AsyncConnection, portfolio_id: str, state: KanbanState) -> int:
    """How many of the portfolio's initiatives are in ``state`` now."""
    count = await conn.scalar(
        sa.select(sa.func.count()).where(
            initiatives.c.portfolio_id == portfolio_id, initiatives.c.state == state.value
        )
    )
    return int(count or 0)


async def committed(
    conn: AsyncConnection,
    portfolio_id: str,
    period: str,
    excluding_initiative: str | None = None,
) -> Decimal:
    """The amount committed by standing approvals against the portfolio's budget for ``period``.

    ``excluding_initiative`` leaves one initiative's commitment out, e.g. the one being
    re-approved (its new approval replaces the old commitment). Amounts are summed as recorded:
    approvals are in the budget's currency (the command side checks it).
    """
    query = sa.select(sa.func.coalesce(sa.func.sum(initiatives.c.committed_amount), 0)).where(
        initiatives.c.portfolio_id == portfolio_id,
        initiatives.c.approved_period == period,
        initiatives.c.committed_amount.is_not(None),
    )
    if excluding_initiative is not None:
        query = query.where(initiatives.c.id != excluding_initiative)
    return Decimal(await conn.scalar(query) or 0)


async def committed_excluding_states(
    conn: AsyncConnection, portfolio_id: str, period: str, states: Sequence[KanbanState]
) -> Decimal:
    """Like ``committed`` but leaving out initiatives now in ``states`` (the backlog's own)."""
    query = sa.select(sa.func.coalesce(sa.func.sum(initiatives.c.committed_amount), 0)).where(
        initiatives.c.portfolio_id == portfolio_id,
        initiatives.c.approved_period == period,
        initiatives.c.committed_amount.is_not(None),
        initiatives.c.state.not_in([state.value for state in states]),
    )
    return Decimal(await conn.scalar(query) or 0)


async def commitments_by_period(conn: AsyncConnection, portfolio_id: str) -> dict[str, Decimal]:
    """What standing approvals commit to each period of the portfolio."""
    rows = await conn.execute(
        sa.select(initiatives.c.approved_period, sa.func.sum(initiatives.c.committed_amount))
        .where(
            initiatives.c.portfolio_id == portfolio_id,
            initiatives.c.committed_amount.is_not(None),
            initiatives.c.approved_period.is_not(None),
        )
        .group_by(initiatives.c.approved_period)
    )
    return {period: Decimal(amount) for period, amount in rows}


# --- rows ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DecisionRow:
    decision_id: str
    initiative_id: str
    portfolio_id: str | None
    kind: DecisionKind
    rationale: str
    decided_by: str
    decided_at: datetime
    review_id: str | None
    period: str | None
    committed_amount: Decimal | None
    currency: str | None

    @classmethod
    def of(cls, row: sa.Row[tuple[object, ...]]) -> DecisionRow:
        values = dict(row._mapping)
        values["kind"] = DecisionKind(values["kind"])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class ReviewRow:
    review_id: str
    portfolio_id: str
    title: str
    scheduled_for: date
    attendees: tuple[str, ...]
    status: str
    summary: str | None
    scheduled_by: str
    scheduled_at: datetime
    concluded_by: str | None
    concluded_at: datetime | None
    version: int

    @classmethod
    def of(cls, row: sa.Row[tuple[object, ...]]) -> ReviewRow:
        values = dict(row._mapping)
        values["attendees"] = tuple(values["attendees"])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class OverrideRow:
    stream_id: str
    version: int
    portfolio_id: str | None
    guardrail: Guardrail
    violation: str
    reason: str
    overridden_by: str
    overridden_at: datetime

    @classmethod
    def of(cls, row: sa.Row[tuple[object, ...]]) -> OverrideRow:
        values = dict(row._mapping)
        values["guardrail"] = Guardrail(values["guardrail"])
        return cls(**values)


# --- reads -----------------------------------------------------------------------------------


async def decision_log(
    conn: AsyncConnection,
    *,
    portfolio_id: str | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[DecisionRow]:
    """Decisions newest first (then by id, descending), of one portfolio or of all."""
    key = sa.tuple_(decisions.c.decided_at, decisions.c.decision_id)
    query = sa.select(decisions)
    if portfolio_id is not None:
        query = query.where(decisions.c.portfolio_id == portfolio_id)
    if after is not None:
        query = query.where(key < sa.tuple_(sa.literal(after[0]), sa.literal(after[1])))
    query = query.order_by(decisions.c.decided_at.desc(), decisions.c.decision_id.desc())
    return [DecisionRow.of(row) for row in await conn.execute(query.limit(limit))]


async def decisions_by(
    conn: AsyncConnection, column: str, keys: Sequence[str]
) -> dict[str, list[DecisionRow]]:
    """Decisions grouped by ``column`` (initiative_id or review_id), oldest first."""
    rows = await conn.execute(
        sa.select(decisions)
        .where(decisions.c[column].in_(list(keys)))
        .order_by(decisions.c.decided_at, decisions.c.decision_id)
    )
    found: dict[str, list[DecisionRow]] = {}
    for row in rows:
        decision = DecisionRow.of(row)
        found.setdefault(getattr(decision, column), []).append(decision)
    return found


async def reviews_by_ids(conn: AsyncConnection, ids: Sequence[str]) -> dict[str, ReviewRow]:
    rows = await conn.execute(sa.select(reviews).where(reviews.c.review_id.in_(list(ids))))
    return {row.review_id: ReviewRow.of(row) for row in rows}


async def reviews_of(conn: AsyncConnection, portfolio_id: str) -> list[ReviewRow]:
    """A portfolio's reviews, the latest scheduled first."""
    rows = await conn.execute(
        sa.select(reviews)
        .where(reviews.c.portfolio_id == portfolio_id)
        .order_by(reviews.c.scheduled_for.desc(), reviews.c.review_id.desc())
    )
    return [ReviewRow.of(row) for row in rows]


async def overrides_of(conn: AsyncConnection, portfolio_id: str) -> list[OverrideRow]:
    """The portfolio's guardrail overrides, newest first."""
    table = guardrail_overrides
    rows = await conn.execute(
        sa.select(table)
        .where(table.c.portfolio_id == portfolio_id)
        .order_by(table.c.overridden_at.desc(), table.c.stream_id, table.c.version.desc())
    )
    return [OverrideRow.of(row) for row in rows]


# --- projection ------------------------------------------------------------------------------


async def decision_recorded(conn: AsyncConnection, event: DecisionRecorded, version: int) -> None:
    # A decision without a portfolio id is logged under its initiative's portfolio.
    portfolio_of_initiative = (
        sa.select(initiatives.c.portfolio_id)
        .where(initiatives.c.id == event.initiative_id)
        .scalar_subquery()
    )
    await conn.execute(
        insert(decisions)
        .values(
            decision_id=event.decision_id,
            initiative_id=event.initiative_id,
            portfolio_id=sa.func.coalesce(
                sa.cast(sa.literal(event.portfolio_id), sa.Text), portfolio_of_initiative
            ),
            kind=event.decision.value,
            rationale=event.rationale,
            decided_by=event.decided_by,
            decided_at=event.decided_at,
            review_id=event.review_id,
            period=event.period,
            committed_amount=event.committed_amount,
            currency=event.currency,
        )
        .on_conflict_do_nothing(index_elements=[decisions.c.decision_id])
    )


async def review_scheduled(
    conn: AsyncConnection, event: PortfolioReviewScheduled, version: int
) -> None:
    await conn.execute(
        insert(reviews)
        .values(
            review_id=event.review_id,
            portfolio_id=event.portfolio_id,
            title=event.title,
            scheduled_for=event.scheduled_for,
            attendees=list(event.attendees),
            status="SCHEDULED",
            scheduled_by=event.scheduled_by,
            scheduled_at=event.scheduled_at,
            version=version,
        )
        .on_conflict_do_nothing(index_elements=[reviews.c.review_id])
    )


async def review_concluded(
    conn: AsyncConnection, event: PortfolioReviewConcluded, version: int
) -> None:
    await conn.execute(
        sa.update(reviews)
        .where(reviews.c.review_id == event.review_id)
        .values(
            status="CONCLUDED",
            summary=event.summary,
            concluded_by=event.concluded_by,
            concluded_at=event.concluded_at,
            version=version,
        )
    )


async def guardrail_overridden(
    conn: AsyncConnection, event: GuardrailOverridden, version: int
) -> None:
    await conn.execute(
        insert(guardrail_overrides)
        .values(
            stream_id=event.stream_id,
            version=version,
            portfolio_id=event.portfolio_id,
            guardrail=event.guardrail.value,
            violation=event.violation,
            reason=event.reason,
            overridden_by=event.overridden_by,
            overridden_at=event.overridden_at,
        )
        .on_conflict_do_nothing()
    )
