"""Reactions to the portfolio (choreography through Kafka): approvals become demand here;
cancellations and completions release the initiative's allocations (and, when cancelled, its
funds), each release an event in this service's own streams.

`PortfolioReactions` is a `pmo_events` projector run by a `ProjectorRunner` on the portfolio
topic (consumer group `<ns>.resources.portfolio_reactions`). For each `DecisionRecorded` and
`InitiativeMoved` it opens a resources unit of work **on the runner's own connection**, so the
reaction's events, the read models they project into and the runner's tracking row
(`projection_tracking`) commit in one transaction:

1. load the initiative's `Demand` stream (empty before its first reaction), the initiative's
   allocations (ids from the allocations read model, each loaded from its stream) and, when funds
   are to be released, the budgets holding a commitment to it;
2. `react_to_portfolio` decides, `apply_reaction` records (domain/demand.py has the rules);
3. save (projects) and append. Metadata: actor `system:portfolio-reactions`, causation id = the
   portfolio event's id, correlation id = its correlation id (its own id when it has none).

**Exactly once in effect.** A redelivered record finds its tracking row and is skipped; were the
tracking row lost, the Demand stream remembers every portfolio event it reacted to and releases
free nothing twice, so a replay records nothing. A clash with a concurrent command on one of the
allocations or budgets (`ConcurrencyError`) rolls the whole record back and the runner retries it.

Not a read model: `reset` does nothing and the service's `rebuild` never replays this projector
(it would re-run reactions against today's state). The demand read model is rebuilt from the
resources event store like every other own read model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pmo_events.envelope import ReceivedEvent
from pmo_events.registry import DomainEvent, EventRegistry
from sqlalchemy.ext.asyncio import AsyncConnection

from pmo_resources.app.context import utcnow
from pmo_resources.app.repository import Repository
from pmo_resources.domain.allocation import Allocation
from pmo_resources.domain.budget import Budget
from pmo_resources.domain.demand import Demand, apply_reaction, react_to_portfolio
from pmo_resources.projections import budgets as read_budgets
from pmo_resources.projections.portfolio_events import (
    DecisionRecorded,
    InitiativeMoved,
    reactions,
)
from pmo_resources.projections.tables import allocations

REACTION_ACTOR = "system:portfolio-reactions"
PROJECTOR_NAME = "portfolio_reactions"


class PortfolioReactions:
    """The reactions to the portfolio's decisions and moves (see the module docstring)."""

    name = PROJECTOR_NAME
    registry: EventRegistry = reactions

    def __init__(
        self,
        repository: Repository,
        portfolio_topic: str,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.repository = repository
        self.topics: Sequence[str] = (portfolio_topic,)
        self.clock = clock

    async def apply(
        self, conn: AsyncConnection, event: ReceivedEvent, payload: DomainEvent
    ) -> None:
        if not isinstance(payload, DecisionRecorded | InitiativeMoved):
            return
        fact = payload.fact(str(event.event_id))
        tx = self.repository.transaction_on(conn, reaction_metadata(event))
        demand = await tx.load(Demand, fact.initiative_id)
        loaded = {
            allocation_id: await tx.load(Allocation, allocation_id)
            for allocation_id in await allocations_of(conn, fact.initiative_id)
        }
        reaction = react_to_portfolio(fact, demand=demand, allocations=loaded.values())
        if reaction.is_nothing:
            return
        budgets: list[Budget] = []
        if reaction.release_funds:
            for budget_id in await read_budgets.budgets_committed_to(conn, fact.initiative_id):
                budgets.append(await tx.load(Budget, budget_id))
        apply_reaction(
            reaction,
            demand=demand,
            allocations=loaded,
            budgets=budgets,
            actor=REACTION_ACTOR,
            now=self.clock(),
        )
        for aggregate in (demand, *loaded.values(), *budgets):
            if aggregate.pending:
                await tx.save(aggregate)
        await tx.append_saved()

    async def reset(self, conn: AsyncConnection) -> None:
        """Nothing to empty: the reactions' results are events (see the module docstring)."""


def reaction_metadata(event: ReceivedEvent) -> dict[str, Any]:
    """What every event of a reaction carries: its cause is the portfolio event."""
    event_id = str(event.event_id)
    return {
        "actor": REACTION_ACTOR,
        "roles": [],
        "command": "ReactToPortfolio",
        "correlation_id": event.correlation_id or event_id,
        "causation_id": event_id,
        "source_event_type": event.event_type,
    }


async def allocations_of(conn: AsyncConnection, initiative_id: str) -> list[str]:
    """The ids of every allocation of the initiative, in id order (the reaction decides which
    of them to release or reject)."""
    rows = await conn.scalars(
        sa.select(allocations.c.id)
        .where(allocations.c.initiative_id == initiative_id)
        .order_by(allocations.c.id)
    )
    return list(rows)
