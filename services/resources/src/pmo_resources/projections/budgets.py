"""The budget read models: `budgets` (one row per budget, with what is committed and spent),
`budget_commitments` (the live commitment of each initiative), `budget_spend` (every spend line),
`budget_adjustments` and `budget_overrides` (histories). Written in the append's transaction and
rebuilt from the event store at any time; migration 0003 creates them.

`budgets.committed` and `budgets.spent` are running sums kept by the projection (a commitment
replaces the initiative's earlier one; a release removes it), so lists and filters need no
aggregation; the per-line tables hold the detail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from pmo_resources.domain.capacity import IsoWeek
from pmo_resources.domain.events import (
    BudgetAdjusted,
    BudgetKind,
    BudgetOpened,
    BudgetOverrunOverridden,
    FundsCommitted,
    FundsReleased,
    SpendKind,
    SpendRecorded,
)
from pmo_resources.projections.tables import TIMESTAMP, metadata

budgets = sa.Table(
    "budgets",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("owner_ref", sa.Text, nullable=False),
    sa.Column("period", sa.Text, nullable=False),
    sa.Column("amount", sa.Numeric, nullable=False),
    sa.Column("currency", sa.Text, nullable=False),
    sa.Column("committed", sa.Numeric, nullable=False),
    sa.Column("spent", sa.Numeric, nullable=False),
    sa.Column("opened_by", sa.Text, nullable=False),
    sa.Column("opened_at", TIMESTAMP, nullable=False),
    sa.Column("updated_at", TIMESTAMP, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Index("budgets_period_name_id", "period", "name", "id"),
)

budget_commitments = sa.Table(
    "budget_commitments",
    metadata,
    sa.Column("budget_id", sa.Text, primary_key=True),
    sa.Column("initiative_id", sa.Text, primary_key=True),
    sa.Column("amount", sa.Numeric, nullable=False),
    sa.Column("committed_by", sa.Text, nullable=False),
    sa.Column("committed_at", TIMESTAMP, nullable=False),
    sa.Index("budget_commitments_initiative", "initiative_id"),
)

# `week` is the ISO week of `spent_on` (the Budget aggregate's burn-rate rule); labour's spend id
# is '<allocation id>/<ISO week>', unique across budgets (accrual checks it before recording).
budget_spend = sa.Table(
    "budget_spend",
    metadata,
    sa.Column("budget_id", sa.Text, primary_key=True),
    sa.Column("spend_id", sa.Text, primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("initiative_id", sa.Text),
    sa.Column("allocation_id", sa.Text),
    sa.Column("person_id", sa.Text),
    sa.Column("week", sa.Text, nullable=False),
    sa.Column("hours", sa.Numeric),
    sa.Column("amount", sa.Numeric, nullable=False),
    sa.Column("currency", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("spent_on", sa.Date, nullable=False),
    sa.Column("recorded_by", sa.Text, nullable=False),
    sa.Column("recorded_at", TIMESTAMP, nullable=False),
    sa.Index("budget_spend_spend_id", "spend_id"),
    sa.Index("budget_spend_initiative", "initiative_id"),
)

budget_adjustments = sa.Table(
    "budget_adjustments",
    metadata,
    sa.Column("budget_id", sa.Text, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("amount", sa.Numeric, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("adjusted_by", sa.Text, nullable=False),
    sa.Column("adjusted_at", TIMESTAMP, nullable=False),
)

budget_overrides = sa.Table(
    "budget_overrides",
    metadata,
    sa.Column("budget_id", sa.Text, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("initiative_id", sa.Text, nullable=False),
    sa.Column("excess", sa.Numeric, nullable=False),
    sa.Column("currency", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("overridden_by", sa.Text, nullable=False),
    sa.Column("overridden_at", TIMESTAMP, nullable=False),
)

TABLES = (budgets, budget_commitments, budget_spend, budget_adjustments, budget_overrides)

# --- rows --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BudgetRow:
    id: str
    name: str
    kind: BudgetKind
    owner_ref: str
    period: str
    amount: Decimal
    currency: str
    committed: Decimal
    spent: Decimal
    opened_by: str
    opened_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True, slots=True)
class CommitmentRow:
    budget_id: str
    initiative_id: str
    amount: Decimal
    committed_by: str
    committed_at: datetime


@dataclass(frozen=True, slots=True)
class SpendRow:
    budget_id: str
    spend_id: str
    version: int
    kind: SpendKind
    initiative_id: str | None
    allocation_id: str | None
    person_id: str | None
    week: str
    hours: Decimal | None
    amount: Decimal
    currency: str
    description: str
    spent_on: date
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class AdjustmentRow:
    budget_id: str
    version: int
    amount: Decimal
    reason: str
    adjusted_by: str
    adjusted_at: datetime


@dataclass(frozen=True, slots=True)
class OverrideRow:
    budget_id: str
    version: int
    initiative_id: str
    excess: Decimal
    currency: str
    reason: str
    overridden_by: str
    overridden_at: datetime


def _budget(row: sa.Row[Any]) -> BudgetRow:
    values = dict(row._mapping)
    values["kind"] = BudgetKind(values["kind"])
    return BudgetRow(**{field.name: values[field.name] for field in fields(BudgetRow)})


def _spend(row: sa.Row[Any]) -> SpendRow:
    values = dict(row._mapping)
    values["kind"] = SpendKind(values["kind"])
    return SpendRow(**values)


# --- projection --------------------------------------------------------------------------------


def _touch(budget_id: str, at: datetime, version: int) -> sa.Update:
    return (
        sa.update(budgets).where(budgets.c.id == budget_id).values(updated_at=at, version=version)
    )


async def _resum_committed(conn: AsyncConnection, budget_id: str) -> None:
    total = (
        sa.select(sa.func.coalesce(sa.func.sum(budget_commitments.c.amount), 0))
        .where(budget_commitments.c.budget_id == budget_id)
        .scalar_subquery()
    )
    await conn.execute(sa.update(budgets).where(budgets.c.id == budget_id).values(committed=total))


async def opened(conn: AsyncConnection, event: BudgetOpened, version: int) -> None:
    await conn.execute(
        sa.insert(budgets).values(
            id=event.budget_id,
            name=event.name,
            kind=event.kind.value,
            owner_ref=event.owner_ref,
            period=event.period,
            amount=event.amount,
            currency=event.currency,
            committed=0,
            spent=0,
            opened_by=event.opened_by,
            opened_at=event.opened_at,
            updated_at=event.opened_at,
            version=version,
        )
    )


async def adjusted(conn: AsyncConnection, event: BudgetAdjusted, version: int) -> None:
    await conn.execute(
        sa.insert(budget_adjustments).values(
            budget_id=event.budget_id,
            version=version,
            amount=event.amount,
            reason=event.reason,
            adjusted_by=event.adjusted_by,
            adjusted_at=event.adjusted_at,
        )
    )
    await conn.execute(
        _touch(event.budget_id, event.adjusted_at, version).values(amount=event.amount)
    )


async def funds_committed(conn: AsyncConnection, event: FundsCommitted, version: int) -> None:
    values = {
        "amount": event.amount,
        "committed_by": event.committed_by,
        "committed_at": event.committed_at,
    }
    await conn.execute(
        insert(budget_commitments)
        .values(budget_id=event.budget_id, initiative_id=event.initiative_id, **values)
        .on_conflict_do_update(index_elements=["budget_id", "initiative_id"], set_=values)
    )
    await _resum_committed(conn, event.budget_id)
    await conn.execute(_touch(event.budget_id, event.committed_at, version))


async def funds_released(conn: AsyncConnection, event: FundsReleased, version: int) -> None:
    await conn.execute(
        sa.delete(budget_commitments).where(
            budget_commitments.c.budget_id == event.budget_id,
            budget_commitments.c.initiative_id == event.initiative_id,
        )
    )
    await _resum_committed(conn, event.budget_id)
    await conn.execute(_touch(event.budget_id, event.released_at, version))


async def spend_recorded(conn: AsyncConnection, event: SpendRecorded, version: int) -> None:
    await conn.execute(
        sa.insert(budget_spend).values(
            budget_id=event.budget_id,
            spend_id=event.spend_id,
            version=version,
            kind=event.kind.value,
            initiative_id=event.initiative_id,
            allocation_id=event.allocation_id,
            person_id=event.person_id,
            week=IsoWeek.of(event.spent_on).label,
            hours=event.hours,
            amount=event.amount,
            currency=event.currency,
            description=event.description,
            spent_on=event.spent_on,
            recorded_by=event.recorded_by,
            recorded_at=event.recorded_at,
        )
    )
    await conn.execute(
        _touch(event.budget_id, event.recorded_at, version).values(
            spent=budgets.c.spent + event.amount
        )
    )


async def overrun_overridden(
    conn: AsyncConnection, event: BudgetOverrunOverridden, version: int
) -> None:
    await conn.execute(
        sa.insert(budget_overrides).values(
            budget_id=event.budget_id,
            version=version,
            initiative_id=event.initiative_id,
            excess=event.excess,
            currency=event.currency,
            reason=event.reason,
            overridden_by=event.overridden_by,
            overridden_at=event.overridden_at,
        )
    )
    await conn.execute(_touch(event.budget_id, event.overridden_at, version))


# --- reads -------------------------------------------------------------------------------------


async def by_ids(conn: AsyncConnection, ids: Sequence[str]) -> dict[str, BudgetRow]:
    rows = await conn.execute(sa.select(budgets).where(budgets.c.id.in_(list(ids))))
    return {row.id: _budget(row) for row in rows}


async def page(
    conn: AsyncConnection,
    *,
    period: str | None,
    kind: BudgetKind | None,
    after: tuple[str, str, str] | None,
    limit: int,
) -> list[BudgetRow]:
    """Budgets by period, then name and id (keyset on the three)."""
    query = sa.select(budgets)
    if period is not None:
        query = query.where(budgets.c.period == period)
    if kind is not None:
        query = query.where(budgets.c.kind == kind.value)
    key = sa.tuple_(budgets.c.period, budgets.c.name, budgets.c.id)
    if after is not None:
        query = query.where(key > sa.tuple_(*(sa.literal(value) for value in after)))
    rows = await conn.execute(
        query.order_by(budgets.c.period, budgets.c.name, budgets.c.id).limit(limit)
    )
    return [_budget(row) for row in rows]


async def commitments_of(
    conn: AsyncConnection, budget_ids: Sequence[str]
) -> dict[str, list[CommitmentRow]]:
    """Each budget's live commitments, by initiative id."""
    table = budget_commitments
    rows = await conn.execute(
        sa.select(table)
        .where(table.c.budget_id.in_(list(budget_ids)))
        .order_by(table.c.budget_id, table.c.initiative_id)
    )
    found: dict[str, list[CommitmentRow]] = {}
    for row in rows:
        found.setdefault(row.budget_id, []).append(CommitmentRow(**row._mapping))
    return found


async def commitments_to(
    conn: AsyncConnection, initiative_ids: Sequence[str]
) -> dict[str, list[CommitmentRow]]:
    """Each initiative's live commitments across budgets, by budget id."""
    table = budget_commitments
    rows = await conn.execute(
        sa.select(table)
        .where(table.c.initiative_id.in_(list(initiative_ids)))
        .order_by(table.c.initiative_id, table.c.budget_id)
    )
    found: dict[str, list[CommitmentRow]] = {}
    for row in rows:
        found.setdefault(row.initiative_id, []).append(CommitmentRow(**row._mapping))
    return found


async def budgets_committed_to(conn: AsyncConnection, initiative_id: str) -> list[str]:
    """The ids of the budgets holding a commitment to the initiative, in id order."""
    rows = await conn.execute(
        sa.select(budget_commitments.c.budget_id)
        .where(budget_commitments.c.initiative_id == initiative_id)
        .order_by(budget_commitments.c.budget_id)
    )
    return [str(budget_id) for budget_id in rows.scalars()]


async def all_commitments(conn: AsyncConnection) -> list[CommitmentRow]:
    """Every live commitment (labour accrual matches allocations against them)."""
    table = budget_commitments
    rows = await conn.execute(sa.select(table).order_by(table.c.initiative_id, table.c.budget_id))
    return [CommitmentRow(**row._mapping) for row in rows]


async def spend_of(conn: AsyncConnection, budget_ids: Sequence[str]) -> dict[str, list[SpendRow]]:
    """Each budget's spend lines, in recording order."""
    rows = await conn.execute(
        sa.select(budget_spend)
        .where(budget_spend.c.budget_id.in_(list(budget_ids)))
        .order_by(budget_spend.c.budget_id, budget_spend.c.version)
    )
    found: dict[str, list[SpendRow]] = {}
    for row in rows:
        found.setdefault(row.budget_id, []).append(_spend(row))
    return found


async def burn_by_week(
    conn: AsyncConnection, budget_ids: Sequence[str]
) -> dict[str, dict[str, Decimal]]:
    """Each budget's spend per ISO week (the input of the burn-rate forecast)."""
    table = budget_spend
    rows = await conn.execute(
        sa.select(table.c.budget_id, table.c.week, sa.func.sum(table.c.amount))
        .where(table.c.budget_id.in_(list(budget_ids)))
        .group_by(table.c.budget_id, table.c.week)
        .order_by(table.c.budget_id, table.c.week)
    )
    found: dict[str, dict[str, Decimal]] = {}
    for budget_id, week, amount in rows:
        found.setdefault(budget_id, {})[week] = amount
    return found


async def recorded_spend_ids(conn: AsyncConnection, spend_ids: Sequence[str]) -> set[str]:
    """Which of the spend ids any budget has recorded (labour accrual skips them)."""
    if not spend_ids:
        return set()
    rows = await conn.execute(
        sa.select(budget_spend.c.spend_id).where(budget_spend.c.spend_id.in_(list(spend_ids)))
    )
    return {str(spend_id) for spend_id in rows.scalars()}


@dataclass(frozen=True, slots=True)
class InitiativeMoney:
    """What the budgets hold for one initiative, per currency."""

    initiative_id: str
    currency: str
    committed: Decimal
    spent: Decimal


async def money_of_initiatives(
    conn: AsyncConnection, initiative_ids: Sequence[str]
) -> dict[str, list[InitiativeMoney]]:
    """Each initiative's committed funds and spend to date across budgets, one entry per
    currency (by currency)."""
    ids = list(initiative_ids)
    committed = (
        sa.select(
            budget_commitments.c.initiative_id.label("initiative_id"),
            budgets.c.currency.label("currency"),
            budget_commitments.c.amount.label("committed"),
            sa.literal(0, sa.Numeric).label("spent"),
        )
        .join(budgets, budgets.c.id == budget_commitments.c.budget_id)
        .where(budget_commitments.c.initiative_id.in_(ids))
    )
    spent = sa.select(
        budget_spend.c.initiative_id,
        budget_spend.c.currency,
        sa.literal(0, sa.Numeric),
        budget_spend.c.amount,
    ).where(budget_spend.c.initiative_id.in_(ids))
    both = sa.union_all(committed, spent).subquery()
    rows = await conn.execute(
        sa.select(
            both.c.initiative_id,
            both.c.currency,
            sa.func.sum(both.c.committed),
            sa.func.sum(both.c.spent),
        )
        .group_by(both.c.initiative_id, both.c.currency)
        .order_by(both.c.initiative_id, both.c.currency)
    )
    found: dict[str, list[InitiativeMoney]] = {}
    for initiative_id, currency, total_committed, total_spent in rows:
        found.setdefault(initiative_id, []).append(
            InitiativeMoney(initiative_id, currency, total_committed, total_spent)
        )
    return found


async def adjustments_of(
    conn: AsyncConnection, budget_ids: Sequence[str]
) -> dict[str, list[AdjustmentRow]]:
    table = budget_adjustments
    rows = await conn.execute(
        sa.select(table)
        .where(table.c.budget_id.in_(list(budget_ids)))
        .order_by(table.c.budget_id, table.c.version)
    )
    found: dict[str, list[AdjustmentRow]] = {}
    for row in rows:
        found.setdefault(row.budget_id, []).append(AdjustmentRow(**row._mapping))
    return found


async def overrides_of(
    conn: AsyncConnection, budget_ids: Sequence[str]
) -> dict[str, list[OverrideRow]]:
    table = budget_overrides
    rows = await conn.execute(
        sa.select(table)
        .where(table.c.budget_id.in_(list(budget_ids)))
        .order_by(table.c.budget_id, table.c.version)
    )
    found: dict[str, list[OverrideRow]] = {}
    for row in rows:
        found.setdefault(row.budget_id, []).append(OverrideRow(**row._mapping))
    return found
