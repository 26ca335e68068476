"""Loads aggregates from their event streams and saves their new events, in one transaction.

    async with repository.transaction(context.metadata("MoveInitiative")) as tx:
        initiative = await tx.load(Initiative, initiative_id)
        portfolio = await tx.lock_portfolio(initiative.portfolio_id)   # serialises the portfolio
        initiative = await tx.refreshed(initiative)                    # events committed meanwhile
        in_state = await tx.count_in_state(portfolio.id, to_state)
        initiative.move(to_state, governance=portfolio.governance_for_move(...), ...)
        await tx.save(initiative)
    # committed here; a refusal raised inside the block rolls everything back

Saving an aggregate projects its pending events into the read models at once (so the counts read
later in the same transaction include them) and appends them when the block ends, with the
version the aggregate was loaded at (a clash is a `ConcurrencyError`, code CONFLICT). Appends
come last because the event store's append takes a table lock held until commit: every read-model
write of the transaction, for every aggregate saved in it, happens before that lock is asked for,
so a transaction never waits for a row while holding it (no deadlock between commands).

Guardrail counts are only trustworthy under `lock_portfolio`: it locks the portfolio's read-model
row, every command that counts or commits against the portfolio takes it first, and the portfolio
is (re)loaded after the lock, so two commands on one portfolio check and write one after the
other.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any, TypeVar

import sqlalchemy as sa
from pmo_events.errors import ConcurrencyError, InvalidInput, NotFound
from pmo_events.postgres import PostgresEventStore
from pmo_events.store import StoredEvent
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from pmo_portfolio.domain import validation as check
from pmo_portfolio.domain.aggregate import Aggregate
from pmo_portfolio.domain.dependencies import DEPENDENCY_GRAPH_ID, DependencyGraph
from pmo_portfolio.domain.events import KanbanState, PortfolioEvent, registry
from pmo_portfolio.domain.initiative import Initiative
from pmo_portfolio.domain.portfolio import Portfolio
from pmo_portfolio.domain.review import PortfolioReview
from pmo_portfolio.projections import governance as read_governance
from pmo_portfolio.projections import project
from pmo_portfolio.projections.tables import reviews

A = TypeVar("A", bound=Aggregate)
T = TypeVar("T")

# How error messages name each kind of stream.
KIND_NAMES: dict[str, str] = {
    Portfolio.STREAM_TYPE: "portfolio",
    Initiative.STREAM_TYPE: "initiative",
    PortfolioReview.STREAM_TYPE: "portfolio review",
    DependencyGraph.STREAM_TYPE: "dependency graph",
}
# Streams that exist before their first event (an empty graph is a graph).
ALWAYS_THERE = frozenset({DependencyGraph.STREAM_TYPE})


def kind_name(kind: type[Aggregate]) -> str:
    return KIND_NAMES.get(kind.STREAM_TYPE, kind.STREAM_TYPE)


class Repository:
    """Every aggregate of the portfolio context, over one service's event store."""

    def __init__(self, engine: AsyncEngine, store: PostgresEventStore) -> None:
        self.engine = engine
        self.store = store

    async def load(self, kind: type[A], stream_id: str) -> A:
        """The aggregate as its stream has it now; NotFound naming the kind and id if absent."""
        async with self.engine.connect() as conn:
            return await _load(conn, self.store, kind, stream_id)

    async def load_graph(self) -> DependencyGraph:
        return await self.load(DependencyGraph, DEPENDENCY_GRAPH_ID)

    async def save(self, *aggregates: Aggregate, metadata: Mapping[str, Any]) -> list[StoredEvent]:
        """Project and append the aggregates' pending events in one transaction."""
        async with self.transaction(metadata) as tx:
            for aggregate in aggregates:
                await tx.save(aggregate)
        return tx.stored

    @asynccontextmanager
    async def transaction(self, metadata: Mapping[str, Any]) -> AsyncIterator[Transaction]:
        """One command's transaction: commits (appending what was saved) when the block ends,
        rolls back if it raises. `metadata` goes on every event appended."""
        async with self.engine.begin() as conn:
            tx = Transaction(conn, self.store, metadata)
            yield tx
            await tx.append_saved()
        tx.after_commit()


class Transaction:
    """What a handler may do inside one command's transaction (see the module docstring)."""

    def __init__(
        self, conn: AsyncConnection, store: PostgresEventStore, metadata: Mapping[str, Any]
    ) -> None:
        self.conn = conn
        self.store = store
        self.metadata = dict(metadata)
        self.stored: list[StoredEvent] = []
        # stream id -> (aggregate, how many of its pending events are projected already)
        self._saved: dict[str, tuple[Aggregate, int]] = {}

    # --- loading -------------------------------------------------------------------------------

    async def load(self, kind: type[A], stream_id: str) -> A:
        """The aggregate as this transaction sees its stream (NotFound if it has no events)."""
        return await _load(self.conn, self.store, kind, stream_id)

    async def load_graph(self) -> DependencyGraph:
        return await self.load(DependencyGraph, DEPENDENCY_GRAPH_ID)

    async def refreshed(self, aggregate: A) -> A:
        """The aggregate with the events committed to its stream since it was loaded: itself
        when there are none, else a fresh load. Call it after taking a lock (and before recording
        anything), so the decision sees the latest state."""
        if aggregate.pending:
            raise RuntimeError("refresh an aggregate before recording events on it, not after")
        if not await _events(self.conn, self.store, aggregate.id, aggregate.version):
            return aggregate
        return await self.load(type(aggregate), aggregate.id)

    # --- locks and guardrail reads -------------------------------------------------------------

    async def lock_portfolio(self, portfolio_id: str) -> Portfolio:
        """Lock the portfolio's row until commit, then load the portfolio (NotFound if none).

        Take it before reading WIP counts or commitments: concurrent commands on the portfolio
        then decide one after the other, each seeing what the previous one committed.
        """
        check.text("portfolio_id", portfolio_id)
        if not await read_governance.lock_portfolio(self.conn, portfolio_id):
            raise NotFound(f"no portfolio has the id {portfolio_id!r}")
        return await self.load(Portfolio, portfolio_id)

    async def lock_review(self, review_id: str) -> PortfolioReview:
        """Hold the review's row (FOR SHARE) until commit, then load the review.

        Concluding a review updates that row, so it waits for a decision being recorded in the
        review (or the decision sees the review concluded): none slips into a closed review.
        """
        check.text("review_id", review_id)
        await self.conn.execute(
            sa.select(reviews.c.review_id)
            .where(reviews.c.review_id == review_id)
            .with_for_update(read=True)
        )
        return await self.load(PortfolioReview, review_id)

    async def lock_stream(self, stream_id: str) -> None:
        """Serialise the commands on one stream (a transaction-scoped advisory lock).

        For the organisation's single dependency graph: declarations queue for it instead of
        failing each other with CONFLICT.
        """
        await self.conn.execute(
            sa.text("SELECT pg_advisory_xact_lock(hashtext('pmo.portfolio'), hashtext(:stream))"),
            {"stream": stream_id},
        )

    async def count_in_state(self, portfolio_id: str, state: KanbanState) -> int:
        """How many of the portfolio's initiatives are in `state` (after `lock_portfolio`)."""
        return await read_governance.count_in_state(self.conn, portfolio_id, state)

    async def committed(
        self, portfolio_id: str, period: str, *, excluding_initiative: str | None = None
    ) -> Decimal:
        """What standing approvals commit in `period` (after `lock_portfolio`)."""
        return await read_governance.committed(
            self.conn, portfolio_id, period, excluding_initiative=excluding_initiative
        )

    # --- saving --------------------------------------------------------------------------------

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
            await project(self.conn, aggregate.pending[index], version)
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


async def retry_on_conflict(operation: Callable[[], Awaitable[T]]) -> T:
    """Run `operation`, and once more if its stream moved on meanwhile (ConcurrencyError).

    Only for commands whose outcome does not depend on the state the caller saw (set a budget,
    a WIP limit, the guardrails): the retry decides again on the fresh state. A second clash is
    reported (CONFLICT).
    """
    try:
        return await operation()
    except ConcurrencyError:
        return await operation()


# --- loading -----------------------------------------------------------------------------------


async def _events(
    conn: AsyncConnection, store: PostgresEventStore, stream_id: str, after_version: int = 0
) -> list[StoredEvent]:
    events = store.tables.events
    rows = await conn.execute(
        sa.select(events)
        .where(events.c.stream_id == stream_id, events.c.version > after_version)
        .order_by(events.c.version)
    )
    return [
        StoredEvent(
            position=row.position,
            stream_id=row.stream_id,
            stream_type=row.stream_type,
            version=row.version,
            event_id=row.event_id,
            event_type=row.event_type,
            data=row.data,
            metadata=row.metadata,
            recorded_at=row.recorded_at,
        )
        for row in rows
    ]


async def _load(
    conn: AsyncConnection, store: PostgresEventStore, kind: type[A], stream_id: str
) -> A:
    name = kind_name(kind)
    if not isinstance(stream_id, str) or len(stream_id) > check.NAME_MAX:
        raise InvalidInput(
            f"{name} id is {len(str(stream_id))} characters long; ids are at most "
            f"{check.NAME_MAX}: pass the id the API returned"
        )
    stored = await _events(conn, store, stream_id)
    if not stored and kind.STREAM_TYPE not in ALWAYS_THERE:
        raise NotFound(f"no {name} has the id {stream_id!r}; check the id (list them to find it)")
    if stored and stored[0].stream_type != kind.STREAM_TYPE:
        other = KIND_NAMES.get(stored[0].stream_type, stored[0].stream_type)
        raise NotFound(f"no {name} has the id {stream_id!r}: that id belongs to a {other}")
    events: list[PortfolioEvent] = [registry.parse(s.event_type, s.data) for s in stored]
    return kind.from_events(stream_id, events)
