"""The portfolio's own read models, updated in the same transaction as the append.

`project(conn, event, version)` is the one entry point: it hands each event to every read model
it changes. The repository calls it for each new event before `append_in` (same transaction), and
`rebuild_read_models` calls it for every stored event after `reset_all`. Events carry their own
timestamps and actors, so projecting the same stream always gives the same rows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import sqlalchemy as sa
from pmo_events.registry import DomainEvent
from sqlalchemy.ext.asyncio import AsyncConnection

from pmo_portfolio.domain import events as e
from pmo_portfolio.projections import dependencies, governance, initiatives, portfolios
from pmo_portfolio.projections.tables import READ_MODELS

__all__ = ["ROUTES", "project", "reset_all"]

Apply = Callable[[AsyncConnection, Any, int], Awaitable[None]]


async def _override_touches_its_stream(
    conn: AsyncConnection, event: e.GuardrailOverridden, version: int
) -> None:
    # The override is an event of the initiative's or the portfolio's stream (whichever the
    # overridden command changed): that row's version and last change move with it.
    await initiatives.touched(conn, event.stream_id, event.overridden_at, version)
    await portfolios.touched(conn, event.stream_id, event.overridden_at, version)


ROUTES: dict[type[DomainEvent], tuple[Apply, ...]] = {
    e.PortfolioCreated: (portfolios.created,),
    e.PortfolioDetailsChanged: (portfolios.details_changed,),
    e.StrategicThemeAdded: (portfolios.theme_added,),
    e.StrategicThemeRetired: (portfolios.theme_retired,),
    e.PortfolioBudgetSet: (portfolios.budget_set,),
    e.WipLimitSet: (portfolios.wip_limit_set,),
    e.GuardrailsChanged: (portfolios.guardrails_changed,),
    e.InitiativeProposed: (initiatives.proposed,),
    e.InitiativeDetailsChanged: (initiatives.details_changed,),
    e.InitiativeThemesChanged: (initiatives.themes_changed,),
    e.InitiativeMoved: (initiatives.moved,),
    e.WsjfScored: (initiatives.wsjf_scored,),
    e.LeanBusinessCaseRecorded: (initiatives.business_case_recorded,),
    e.RiskRaised: (initiatives.risk_raised,),
    e.RiskRoamed: (initiatives.risk_roamed,),
    e.ObjectivePlanned: (initiatives.objective_planned,),
    e.ObjectiveValueDelivered: (initiatives.objective_delivered,),
    # The log row first: it takes a decision without a portfolio id from the initiative's row.
    e.DecisionRecorded: (governance.decision_recorded, initiatives.decision_recorded),
    e.GuardrailOverridden: (governance.guardrail_overridden, _override_touches_its_stream),
    e.DependencyDeclared: (dependencies.declared,),
    e.DependencyRemoved: (dependencies.removed,),
    e.PortfolioReviewScheduled: (governance.review_scheduled,),
    e.PortfolioReviewConcluded: (governance.review_concluded,),
}


async def project(conn: AsyncConnection, event: DomainEvent, version: int) -> None:
    """Bring every read model the event changes up to ``version`` of the event's stream."""
    handlers = ROUTES.get(type(event))
    if handlers is None:
        raise LookupError(
            f"no read model projects {type(event).__name__}: add it to "
            "pmo_portfolio.projections.ROUTES (an empty tuple if no read model needs it)"
        )
    for handler in handlers:
        await handler(conn, event, version)


async def reset_all(conn: AsyncConnection) -> None:
    """Empty every read model (rebuild refills them). DELETE, not TRUNCATE: readers keep seeing
    the old rows until the rebuild's transaction commits."""
    for table in READ_MODELS:
        await conn.execute(sa.delete(table))
