"""The resources context's own read models, updated in the same transaction as the append.

`project(conn, event, version)` is the one entry point: it hands each event to every read model
it changes. The repository calls it for each new event before the append (same transaction), and
`rebuild_read_models` calls it for every stored event after `reset_all`. Events carry their own
timestamps and actors, so projecting the same stream always gives the same rows.

A new event type joins `ROUTES` (an empty tuple if no read model needs it) and its tables join
`READ_MODELS` (tables.py), so that rebuild empties and refills them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import sqlalchemy as sa
from pmo_events.registry import DomainEvent
from sqlalchemy.ext.asyncio import AsyncConnection

from pmo_resources.domain import events as e
from pmo_resources.projections import allocations, budgets, demand, people, tables, teams, tools

__all__ = ["READ_MODELS", "ROUTES", "project", "reset_all"]

# Every own read model: those of tables.py, then budgets, tools and demand (migration 0003).
READ_MODELS: tuple[sa.Table, ...] = (
    *tables.READ_MODELS,
    *budgets.TABLES,
    *tools.TABLES,
    *demand.TABLES,
)

Apply = Callable[[AsyncConnection, Any, int], Awaitable[None]]

ROUTES: dict[type[DomainEvent], tuple[Apply, ...]] = {
    e.PersonOnboarded: (people.onboarded,),
    e.SkillAssessed: (people.skill_assessed,),
    e.CapacityChanged: (people.capacity_changed,),
    e.CostRateChanged: (people.cost_rate_changed,),
    e.PersonOffboarded: (people.offboarded,),
    e.TeamFormed: (teams.formed,),
    e.TeamMemberJoined: (teams.member_joined,),
    e.TeamMemberLeft: (teams.member_left,),
    e.TeamCapacityPlanned: (teams.capacity_planned,),
    e.TeamToolAdopted: (teams.tool_adopted,),
    e.TeamDisbanded: (teams.disbanded,),
    e.AllocationRequested: (allocations.requested,),
    e.AllocationApproved: (allocations.approved,),
    e.AllocationRejected: (allocations.rejected,),
    e.AllocationAdjusted: (allocations.adjusted,),
    e.AllocationReleased: (allocations.released,),
    e.OvercommitmentOverridden: (allocations.overridden,),
    e.BudgetOpened: (budgets.opened,),
    e.BudgetAdjusted: (budgets.adjusted,),
    e.FundsCommitted: (budgets.funds_committed,),
    e.FundsReleased: (budgets.funds_released,),
    e.SpendRecorded: (budgets.spend_recorded,),
    e.BudgetOverrunOverridden: (budgets.overrun_overridden,),
    e.ToolRegistered: (tools.registered,),
    e.ToolSeatsChanged: (tools.seats_changed,),
    e.LicenceAssigned: (tools.licence_assigned,),
    e.LicenceRevoked: (tools.licence_revoked,),
    e.DemandOpened: (demand.opened,),
    e.DemandClosed: (demand.closed,),
}


async def project(conn: AsyncConnection, event: DomainEvent, version: int) -> None:
    """Bring every read model the event changes up to ``version`` of the event's stream."""
    handlers = ROUTES.get(type(event))
    if handlers is None:
        raise LookupError(
            f"no read model projects {type(event).__name__}: add it to "
            "pmo_resources.projections.ROUTES (an empty tuple if no read model needs it)"
        )
    for handler in handlers:
        await handler(conn, event, version)


async def reset_all(conn: AsyncConnection) -> None:
    """Empty every read model (rebuild refills them). DELETE, not TRUNCATE: readers keep seeing
    the old rows until the rebuild's transaction commits."""
    for table in READ_MODELS:
        await conn.execute(sa.delete(table))
