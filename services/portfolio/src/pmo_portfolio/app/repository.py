"""Loads aggregates from their event streams and saves their new events.

Saving writes the read model and appends the events in one transaction, so what a mutation returns
is what the next query reads, and nothing is ever half-written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pmo_events.errors import NotFound
from pmo_events.postgres import PostgresEventStore
from pmo_events.store import StoredEvent
from sqlalchemy.ext.asyncio import AsyncEngine

from pmo_portfolio.domain.events import PortfolioEvent, registry
from pmo_portfolio.domain.initiative import Initiative
from pmo_portfolio.projections import project


class InitiativeRepository:
    def __init__(self, engine: AsyncEngine, store: PostgresEventStore) -> None:
        self.engine = engine
        self.store = store

    async def get(self, initiative_id: str) -> Initiative:
        stored = await self.store.load(initiative_id)
        if not stored:
            raise NotFound(f"no initiative has the id {initiative_id!r}")
        events: list[PortfolioEvent] = [
            registry.parse(event.event_type, event.data) for event in stored
        ]
        return Initiative.from_events(initiative_id, events)

    async def save(
        self, initiative: Initiative, *, metadata: Mapping[str, Any] | None = None
    ) -> list[StoredEvent]:
        """Append the aggregate's pending events (optimistic concurrency) and project them."""
        pending = list(initiative.pending)
        if not pending:
            return []
        loaded_version = initiative.version - len(pending)
        async with self.engine.begin() as conn:
            # Read model first: the append takes the events table lock, held until commit.
            for offset, event in enumerate(pending, start=1):
                await project(conn, event, loaded_version + offset)
            stored = await self.store.append_in(
                conn,
                initiative.id,
                Initiative.STREAM_TYPE,
                loaded_version,
                pending,
                metadata=metadata,
            )
        initiative.pending.clear()
        return stored
