"""Load aggregates from their streams and save their new events, one transaction per command.

    async with unit_of_work.transaction(metadata) as tx:
        order = await tx.load(Order, order_id)
        order.ship(...)                      # the domain decides and records events
        await tx.save(order)
    # committed here; a refusal raised inside the block rolls everything back

Saving an aggregate projects its pending events into the service's own read models at once (so
what the transaction reads later includes them) and appends them when the block ends, with the
version the aggregate was loaded at (a clash is a `ConcurrencyError`, code CONFLICT). Appends come
last because the event store's append takes a table lock held until commit: every read-model write
of the transaction happens before that lock is asked for, so a transaction never waits for a row
while holding it (no deadlock between commands).

A service subclasses `Transaction` for its own locks and guardrail reads (they must run inside the
command's transaction) and passes the subclass to `UnitOfWork`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from pmo_events.aggregate import Aggregate
from pmo_events.errors import ConcurrencyError, InvalidInput, NotFound
from pmo_events.postgres import PostgresEventStore
from pmo_events.registry import DomainEvent, EventRegistry
from pmo_events.store import StoredEvent

__all__ = ["Projection", "StreamKinds", "Transaction", "UnitOfWork", "retry_on_conflict"]

A = TypeVar("A", bound=Aggregate)
T = TypeVar("T")
Projection = Callable[[AsyncConnection, DomainEvent, int], Awaitable[None]]
"""Writes one event (at its stream version) into the service's own read models."""

MAX_ID_LENGTH = 200


class StreamKinds:
    """How a service's stream types are named in messages, and which exist before any event."""

    def __init__(
        self, names: Mapping[str, str], *, always_there: frozenset[str] = frozenset()
    ) -> None:
        self.names = dict(names)
        self.always_there = always_there

    def name(self, stream_type: str) -> str:
        return self.names.get(stream_type, stream_type)


class Transaction:
    """What a handler may do inside one command's transaction (see the module docstring)."""

    def __init__(
        self,
        conn: AsyncConnection,
        store: PostgresEventStore,
        metadata: Mapping[str, Any],
        *,
        registry: EventRegistry,
        project: Projection,
        kinds: StreamKinds,
    ) -> None:
        self.conn = conn
        self.store = store
        self.metadata = dict(metadata)
        self.stored: list[StoredEvent] = []
        self._registry = registry
        self._project = project
        self._kinds = kinds
        # stream id -> (aggregate, how many of its pending events are projected already)
        self._saved: dict[str, tuple[Aggregate, int]] = {}

    async def load(self, kind: type[A], stream_id: str) -> A:
        """The aggregate as this transaction sees its stream (NotFound if it has no events)."""
        return await load(self.conn, self.store, self._registry, self._kinds, kind, stream_id)

    async def refreshed(self, aggregate: A) -> A:
        """The aggregate with the events committed to its stream since it was loaded: itself
        when there are none, else a fresh load. Call it after taking a lock (and before recording
        anything), so the decision sees the latest state."""
        if aggregate.pending:
            raise RuntimeError("refresh an aggregate before recording events on it, not after")
        if not await stream_events(self.conn, self.store, aggregate.id, aggregate.version):
            return aggregate
        return await self.load(type(aggregate), aggregate.id)

    async def lock_stream(self, stream_id: str) -> None:
        """Serialise the commands on one stream (a transaction-scoped advisory lock): they then
        queue for a busy stream (e.g. a single organisation-wide one) instead of CONFLICTing."""
        await self.conn.execute(
            sa.text("SELECT pg_advisory_xact_lock(hashtext(:schema), hashtext(:stream))"),
            {"schema": self.store.schema, "stream": stream_id},
        )

    async def save(self, aggregate: Aggregate) -> None:
        """Project the aggregate's new events now; append them when the transaction ends."""
        known = self._saved.get(aggregate.id)
        if known is not None and known[0] is not aggregate:
            raise RuntimeError(
                f"stream {aggregate.id!r} was saved from two loaded copies in one transaction; "
                "load it once and record every change on that copy"
            )
        projected = known[1] if known is not None else 0
        for index in range(projected, len(aggregate.pending)):
            version = aggregate.loaded_version + index + 1
            await self._project(self.conn, aggregate.pending[index], version)
        self._saved[aggregate.id] = (aggregate, len(aggregate.pending))

    async def append_saved(self) -> None:
        """Append every saved aggregate's events (optimistic concurrency); the commit follows."""
        for aggregate, _ in self._saved.values():
            if not aggregate.pending:
                continue
            self.stored += await self.store.append_in(
                self.conn,
                aggregate.id,
                aggregate.STREAM_TYPE,
                aggregate.loaded_version,
                list(aggregate.pending),
                metadata=self.metadata,
            )

    def after_commit(self) -> None:
        """The transaction committed: the saved aggregates have nothing pending any more."""
        for aggregate, _ in self._saved.values():
            aggregate.pending.clear()


TX = TypeVar("TX", bound=Transaction)


class UnitOfWork(Generic[TX]):
    """Every aggregate of one service, over its event store and own read models."""

    def __init__(
        self,
        engine: AsyncEngine,
        store: PostgresEventStore,
        *,
        registry: EventRegistry,
        project: Projection,
        kinds: StreamKinds,
        transaction_type: type[TX],
    ) -> None:
        self.engine = engine
        self.store = store
        self.registry = registry
        self.kinds = kinds
        self._project = project
        self._transaction_type = transaction_type

    async def load(self, kind: type[A], stream_id: str) -> A:
        """The aggregate as its stream has it now; NotFound naming the kind and id if absent."""
        async with self.engine.connect() as conn:
            return await load(conn, self.store, self.registry, self.kinds, kind, stream_id)

    async def save(self, *aggregates: Aggregate, metadata: Mapping[str, Any]) -> list[StoredEvent]:
        """Project and append the aggregates' pending events in one transaction."""
        async with self.transaction(metadata) as tx:
            for aggregate in aggregates:
                await tx.save(aggregate)
        return tx.stored

    @asynccontextmanager
    async def transaction(self, metadata: Mapping[str, Any]) -> AsyncIterator[TX]:
        """One command's transaction: commits (appending what was saved) when the block ends,
        rolls back if it raises. `metadata` goes on every event appended."""
        async with self.engine.begin() as conn:
            tx = self._transaction_type(
                conn,
                self.store,
                metadata,
                registry=self.registry,
                project=self._project,
                kinds=self.kinds,
            )
            yield tx
            await tx.append_saved()
        tx.after_commit()


async def retry_on_conflict(operation: Callable[[], Awaitable[T]]) -> T:
    """Run `operation`, and once more if its stream moved on meanwhile (ConcurrencyError).

    Only for commands whose outcome does not depend on the state the caller saw (set a budget,
    a limit): the retry decides again on the fresh state. A second clash is reported (CONFLICT).
    """
    try:
        return await operation()
    except ConcurrencyError:
        return await operation()


async def stream_events(
    conn: AsyncConnection, store: PostgresEventStore, stream_id: str, after_version: int = 0
) -> list[StoredEvent]:
    """The stream's events after `after_version`, read in the caller's transaction."""
    return await store.load_in(conn, stream_id, after_version=after_version)


async def load(
    conn: AsyncConnection,
    store: PostgresEventStore,
    registry: EventRegistry,
    kinds: StreamKinds,
    kind: type[A],
    stream_id: str,
) -> A:
    name = kinds.name(kind.STREAM_TYPE)
    if not isinstance(stream_id, str) or not 1 <= len(stream_id) <= MAX_ID_LENGTH:
        raise InvalidInput(
            f"{name} id is {len(str(stream_id))} characters long; ids are 1 to {MAX_ID_LENGTH} "
            "characters: pass the id the API returned"
        )
    stored = await stream_events(conn, store, stream_id)
    if not stored and kind.STREAM_TYPE not in kinds.always_there:
        raise NotFound(f"no {name} has the id {stream_id!r}; check the id (list them to find it)")
    if stored and stored[0].stream_type != kind.STREAM_TYPE:
        other = kinds.name(stored[0].stream_type)
        raise NotFound(f"no {name} has the id {stream_id!r}: that id belongs to a {other}")
    return kind.from_events(stream_id, [registry.parse(s.event_type, s.data) for s in stored])
