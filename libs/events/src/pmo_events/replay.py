"""Rebuild a service's own read models by replaying its event store in commit order.

Read models a service writes in its commands' transactions (`unit_of_work`) are rebuilt from its
own events table, not from Kafka: the store is the source of truth and is always complete.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from pmo_events.postgres import PostgresEventStore
from pmo_events.registry import EventRegistry
from pmo_events.unit_of_work import Projection

__all__ = ["replay_read_models"]

BATCH = 1000


async def replay_read_models(
    engine: AsyncEngine,
    schema: str,
    *,
    registry: EventRegistry,
    project: Projection,
    reset: Callable[[AsyncConnection], Awaitable[None]],
    progress: bool = True,
) -> int:
    """Empty the read models (`reset`) and re-apply every stored event; returns the events applied.

    Runs in one transaction: readers see the old read models until the new ones are complete.
    """
    store = PostgresEventStore(engine, schema)
    total = await store.head_position()
    applied = 0
    columns = (
        TextColumn(f"rebuilding {registry.context} read models"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, disable=not progress, transient=False) as bar:
        task = bar.add_task("events", total=total)
        async with engine.begin() as conn:
            await reset(conn)
            after = 0
            while batch := await store.read_all_in(conn, after, BATCH):
                for stored in batch:
                    await project(
                        conn, registry.parse(stored.event_type, stored.data), stored.version
                    )
                    applied += 1
                after = batch[-1].position
                bar.update(task, completed=after)
    return applied
