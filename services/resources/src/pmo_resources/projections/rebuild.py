"""Rebuild the resources context's own read models by replaying its event store in commit order."""

from __future__ import annotations

from pmo_events.postgres import PostgresEventStore
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.ext.asyncio import AsyncEngine

from pmo_resources.domain.events import ResourcesEvent, registry
from pmo_resources.projections import project, reset_all

BATCH = 1000


async def rebuild_read_models(engine: AsyncEngine, schema: str, *, progress: bool = True) -> int:
    """Empty the read models and re-apply every stored event; returns the events applied.

    Runs in one transaction: readers see the old read model until the new one is complete.
    """
    store = PostgresEventStore(engine, schema)
    total = await store.head_position()
    applied = 0
    columns = (
        TextColumn("rebuilding resources read models"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, disable=not progress, transient=False) as bar:
        task = bar.add_task("events", total=total)
        async with engine.begin() as conn:
            await reset_all(conn)
            after = 0
            while batch := await store.read_all_in(conn, after, BATCH):
                for stored in batch:
                    event: ResourcesEvent = registry.parse(stored.event_type, stored.data)
                    await project(conn, event, stored.version)
                    applied += 1
                after = batch[-1].position
                bar.update(task, completed=after)
    return applied
