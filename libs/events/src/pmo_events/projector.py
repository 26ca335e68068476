"""The projector contract: what a read-model builder declares and implements.

A projector declares the events it applies with an :class:`EventRegistry` of consumer-side models
(a consumer owns its models of the foreign events it reads; upcasters there turn old versions into
the shape it expects). Types its registry does not resolve are skipped. How records are applied
exactly once in effect is described in ``processing.py``.

Example::

    portfolio_events = EventRegistry("portfolio")  # the metrics service's view of them

    @portfolio_events.register()
    class InitiativeProposed(DomainEvent):
        initiative_id: str
        title: str

    class InitiativeFlow:
        name = "initiative_flow"
        topics = ("pmo.portfolio.events",)
        registry = portfolio_events

        async def apply(self, conn, event, payload):
            assert isinstance(payload, InitiativeProposed)
            await conn.execute(insert(flow).values(id=payload.initiative_id, ...))

        async def reset(self, conn):
            await conn.execute(delete(flow))
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from pmo_events.envelope import ReceivedEvent
from pmo_events.registry import DomainEvent, EventRegistry

__all__ = ["Outcome", "Projector"]


class Projector(Protocol):
    """A read-model builder. Class attributes satisfy the properties."""

    @property
    def name(self) -> str:
        """Unique within the service: names its tracking rows and its consumer group."""
        ...

    @property
    def topics(self) -> Sequence[str]: ...

    @property
    def registry(self) -> EventRegistry:
        """The consumer-side models of the events this projector applies."""
        ...

    async def apply(
        self, conn: AsyncConnection, event: ReceivedEvent, payload: DomainEvent
    ) -> None:
        """Change the read model; runs inside the transaction that records the tracking row."""
        ...

    async def reset(self, conn: AsyncConnection) -> None:
        """Empty the read model (before a rebuild)."""
        ...


class Outcome(enum.StrEnum):
    PROCESSED = "processed"
    SKIPPED = "skipped"
    DUPLICATE = "duplicate"
    DLQ = "dlq"
