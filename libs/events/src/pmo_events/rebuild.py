"""Rebuild a projector's read model from offset zero of its topics (domain topics keep all events).

Stop the projector's live runner first: the rebuild commits the group's offsets at the end, and a
runner still consuming meanwhile would apply events into the model being rebuilt.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import CommitFailedError
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine

from pmo_events.dlq import DeadLetterPublisher
from pmo_events.envelope import ConsumerRecordLike
from pmo_events.processing import RecordProcessor
from pmo_events.projector import Outcome, Projector
from pmo_events.runner import default_group_id
from pmo_events.tables import tables_for
from pmo_events.topics import partitions_of

__all__ = ["rebuild"]

log = logging.getLogger(__name__)


async def rebuild(
    engine: AsyncEngine,
    schema: str,
    projector: Projector,
    bootstrap_servers: str,
    progress: bool = True,
    *,
    group_id: str | None = None,
    max_retries: int = 3,
    dlq_suffix: str = ".dlq",
    batch_size: int = 500,
) -> int:
    """Empty the read model, re-apply every record up to the end offsets taken at the start, and
    commit those offsets for the projector's group. Returns the number of events applied.

    Records that still fail go to the DLQ again, exactly as in the live runner.
    """
    group = group_id or default_group_id(schema, projector)
    tracking = tables_for(schema).projection_tracking
    async with engine.begin() as conn:
        await projector.reset(conn)
        await conn.execute(delete(tracking).where(tracking.c.projector == projector.name))

    partitions = await partitions_of(bootstrap_servers, projector.topics)
    dead_letters = DeadLetterPublisher(bootstrap_servers, projector.name, suffix=dlq_suffix)
    processor = RecordProcessor(
        engine, schema, projector, dead_letters, group_id=group, max_retries=max_retries
    )
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=group,
        client_id=f"pmo-rebuild-{projector.name}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    applied = 0
    try:
        consumer.assign(partitions)
        start = await consumer.beginning_offsets(partitions)
        end = await consumer.end_offsets(partitions)
        for tp in partitions:
            consumer.seek(tp, start[tp])
        remaining = {tp for tp in partitions if end[tp] > start[tp]}
        total = sum(end[tp] - start[tp] for tp in partitions)
        with _progress_bar(progress, projector.name, total) as (bar, task):
            while remaining:
                batches = await consumer.getmany(
                    *remaining, timeout_ms=1000, max_records=batch_size
                )
                records: list[ConsumerRecordLike] = []
                for tp, batch in batches.items():
                    # Records appended after the start belong to the live runner, not the rebuild.
                    records.extend(record for record in batch if record.offset < end[tp])
                for tp in list(remaining):
                    if await consumer.position(tp) >= end[tp]:
                        remaining.discard(tp)
                outcomes = await processor.process(records, asyncio.Event())
                applied += sum(outcome is Outcome.PROCESSED for outcome in outcomes)
                bar.update(task, advance=len(records))
        try:
            await consumer.commit({tp: end[tp] for tp in partitions})
        except CommitFailedError:
            # A live runner holds the group: it keeps its own offsets, and whatever it reads
            # again was recorded in projection_tracking by this rebuild, so it is skipped.
            log.info("rebuild %s: the group is active; its offsets are left to it", projector.name)
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(consumer.stop(), timeout=10)
        await dead_letters.close()
    log.info("rebuilt %s: %d events applied from %d records", projector.name, applied, total)
    return applied


@contextlib.contextmanager
def _progress_bar(enabled: bool, name: str, total: int) -> Iterator[tuple[Progress, TaskID]]:
    bar = Progress(
        TextColumn(f"rebuilding {name}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        disable=not enabled,
        transient=False,
    )
    with bar:
        yield bar, bar.add_task(name, total=total)
