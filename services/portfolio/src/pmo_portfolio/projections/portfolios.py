"""The portfolio read models: `portfolios`, `portfolio_themes`, `portfolio_budgets` and
`portfolio_wip_limits`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from pmo_portfolio.domain.events import (
    Guardrail,
    GuardrailsChanged,
    KanbanState,
    PortfolioBudgetSet,
    PortfolioCreated,
    PortfolioDetailsChanged,
    StrategicThemeAdded,
    StrategicThemeRetired,
    WipLimitSet,
)
from pmo_portfolio.projections.tables import (
    portfolio_budgets,
    portfolio_themes,
    portfolio_wip_limits,
    portfolios,
)


@dataclass(frozen=True, slots=True)
class PortfolioRow:
    id: str
    name: str
    description: str
    owner: str
    guardrails: tuple[Guardrail, ...]
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True, slots=True)
class ThemeRow:
    portfolio_id: str
    theme_id: str
    name: str
    objective: str
    active: bool
    added_by: str
    added_at: datetime
    retired_by: str | None
    retired_at: datetime | None
    retired_reason: str | None


@dataclass(frozen=True, slots=True)
class BudgetRow:
    portfolio_id: str
    period: str
    amount: Decimal
    currency: str
    set_by: str
    set_at: datetime


def _portfolio(row: sa.Row[Any]) -> PortfolioRow:
    values = dict(row._mapping)
    values["guardrails"] = tuple(Guardrail(name) for name in values["guardrails"])
    return PortfolioRow(**values)


# --- reads -----------------------------------------------------------------------------------


async def by_ids(conn: AsyncConnection, ids: Sequence[str]) -> dict[str, PortfolioRow]:
    rows = await conn.execute(sa.select(portfolios).where(portfolios.c.id.in_(list(ids))))
    return {row.id: _portfolio(row) for row in rows}


async def page(
    conn: AsyncConnection, *, after: tuple[str, str] | None, limit: int
) -> list[PortfolioRow]:
    """Portfolios by name (then id), keyset-paginated."""
    query = sa.select(portfolios)
    if after is not None:
        query = query.where(
            sa.tuple_(portfolios.c.name, portfolios.c.id)
            > sa.tuple_(sa.literal(after[0]), sa.literal(after[1]))
        )
    rows = await conn.execute(query.order_by(portfolios.c.name, portfolios.c.id).limit(limit))
    return [_portfolio(row) for row in rows]


async def themes_of(
    conn: AsyncConnection, portfolio_ids: Sequence[str]
) -> dict[str, list[ThemeRow]]:
    """Each portfolio's themes (retired ones too), in the order they were added."""
    rows = await conn.execute(
        sa.select(portfolio_themes)
        .where(portfolio_themes.c.portfolio_id.in_(list(portfolio_ids)))
        .order_by(
            portfolio_themes.c.portfolio_id,
            portfolio_themes.c.added_at,
            portfolio_themes.c.theme_id,
        )
    )
    found: dict[str, list[ThemeRow]] = {}
    for row in rows:
        found.setdefault(row.portfolio_id, []).append(ThemeRow(**row._mapping))
    return found


async def themes_by_key(
    conn: AsyncConnection, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], ThemeRow]:
    """Themes by (portfolio id, theme id)."""
    if not keys:
        return {}
    table = portfolio_themes
    rows = await conn.execute(
        sa.select(table).where(
            sa.tuple_(table.c.portfolio_id, table.c.theme_id).in_([tuple(key) for key in keys])
        )
    )
    return {(row.portfolio_id, row.theme_id): ThemeRow(**row._mapping) for row in rows}


async def budgets_of(
    conn: AsyncConnection, portfolio_ids: Sequence[str]
) -> dict[str, list[BudgetRow]]:
    rows = await conn.execute(
        sa.select(portfolio_budgets)
        .where(portfolio_budgets.c.portfolio_id.in_(list(portfolio_ids)))
        .order_by(portfolio_budgets.c.portfolio_id, portfolio_budgets.c.period)
    )
    found: dict[str, list[BudgetRow]] = {}
    for row in rows:
        found.setdefault(row.portfolio_id, []).append(BudgetRow(**row._mapping))
    return found


async def budget(conn: AsyncConnection, portfolio_id: str, period: str) -> BudgetRow | None:
    """The portfolio's budget for ``period``, or None when none was set."""
    row = (
        await conn.execute(
            sa.select(portfolio_budgets).where(
                portfolio_budgets.c.portfolio_id == portfolio_id,
                portfolio_budgets.c.period == period,
            )
        )
    ).first()
    return BudgetRow(**row._mapping) if row else None


async def wip_limits(conn: AsyncConnection, portfolio_id: str) -> dict[KanbanState, int]:
    """The portfolio's WIP limits per state (a state missing here has no limit)."""
    rows = await conn.execute(
        sa.select(portfolio_wip_limits.c.state, portfolio_wip_limits.c.limit).where(
            portfolio_wip_limits.c.portfolio_id == portfolio_id
        )
    )
    return {KanbanState(state): limit for state, limit in rows}


# --- projection ------------------------------------------------------------------------------


def _touch(portfolio_id: str, at: datetime, version: int) -> sa.Update:
    return (
        sa.update(portfolios)
        .where(portfolios.c.id == portfolio_id)
        .values(updated_at=at, version=version)
    )


async def created(conn: AsyncConnection, event: PortfolioCreated, version: int) -> None:
    await conn.execute(
        insert(portfolios)
        .values(
            id=event.portfolio_id,
            name=event.name,
            description=event.description,
            owner=event.owner,
            # Empty until GuardrailsChanged, which the Portfolio aggregate records right after
            # PortfolioCreated: the stream, not a default, says which rules apply.
            guardrails=[],
            created_by=event.created_by,
            created_at=event.created_at,
            updated_at=event.created_at,
            version=version,
        )
        .on_conflict_do_nothing(index_elements=[portfolios.c.id])
    )


async def details_changed(
    conn: AsyncConnection, event: PortfolioDetailsChanged, version: int
) -> None:
    await conn.execute(
        _touch(event.portfolio_id, event.changed_at, version).values(
            name=event.name, description=event.description, owner=event.owner
        )
    )


async def theme_added(conn: AsyncConnection, event: StrategicThemeAdded, version: int) -> None:
    await conn.execute(
        insert(portfolio_themes)
        .values(
            portfolio_id=event.portfolio_id,
            theme_id=event.theme_id,
            name=event.name,
            objective=event.objective,
            active=True,
            added_by=event.added_by,
            added_at=event.added_at,
        )
        .on_conflict_do_nothing()
    )
    await conn.execute(_touch(event.portfolio_id, event.added_at, version))


async def theme_retired(conn: AsyncConnection, event: StrategicThemeRetired, version: int) -> None:
    await conn.execute(
        sa.update(portfolio_themes)
        .where(
            portfolio_themes.c.portfolio_id == event.portfolio_id,
            portfolio_themes.c.theme_id == event.theme_id,
        )
        .values(
            active=False,
            retired_by=event.retired_by,
            retired_at=event.retired_at,
            retired_reason=event.reason,
        )
    )
    await conn.execute(_touch(event.portfolio_id, event.retired_at, version))


async def budget_set(conn: AsyncConnection, event: PortfolioBudgetSet, version: int) -> None:
    values = {
        "amount": event.amount,
        "currency": event.currency,
        "set_by": event.set_by,
        "set_at": event.set_at,
    }
    await conn.execute(
        insert(portfolio_budgets)
        .values(portfolio_id=event.portfolio_id, period=event.period, **values)
        .on_conflict_do_update(index_elements=["portfolio_id", "period"], set_=values)
    )
    await conn.execute(_touch(event.portfolio_id, event.set_at, version))


async def wip_limit_set(conn: AsyncConnection, event: WipLimitSet, version: int) -> None:
    table = portfolio_wip_limits
    if event.limit is None:
        await conn.execute(
            sa.delete(table).where(
                table.c.portfolio_id == event.portfolio_id, table.c.state == event.state.value
            )
        )
    else:
        values = {"limit": event.limit, "set_by": event.set_by, "set_at": event.set_at}
        await conn.execute(
            insert(table)
            .values(portfolio_id=event.portfolio_id, state=event.state.value, **values)
            .on_conflict_do_update(index_elements=["portfolio_id", "state"], set_=values)
        )
    await conn.execute(_touch(event.portfolio_id, event.set_at, version))


async def guardrails_changed(conn: AsyncConnection, event: GuardrailsChanged, version: int) -> None:
    # Stored in the enum's order, so equal sets read back equal whatever order they came in.
    enabled = [guardrail.value for guardrail in Guardrail if guardrail in set(event.enabled)]
    await conn.execute(
        _touch(event.portfolio_id, event.changed_at, version).values(guardrails=enabled)
    )


async def touched(conn: AsyncConnection, stream_id: str, at: datetime, version: int) -> None:
    """An event of the portfolio's stream that changes no other column (e.g. an override)."""
    await conn.execute(_touch(stream_id, at, version))
