"""Helpers of the Kafka tests: a small projector with its own table, waiting, and reading topics."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer
from pmo_events import DomainEvent, EventRegistry, ReceivedEvent
from pmo_events.topics import partitions_of
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

# Consumer-side models: the projector declares its own view of the "demo" events it reads.
seen_by_projector = EventRegistry("demo")


@seen_by_projector.register(name="ItemAdded")
class ItemAddedSeen(DomainEvent):
    item: str
    quantity: int = 1


class ListProjector:
    """Appends one row per applied event, with no uniqueness of its own: an event applied twice
    would show up as two rows, so the row count measures the exactly-once effect."""

    registry = seen_by_projector

    def __init__(self, schema: str, topics: Sequence[str], *, explode_on: str = "explode") -> None:
        self.schema = schema
        self.name = f"list_{uuid.uuid4().hex[:6]}"
        self.topics = list(topics)
        self.explode_on = explode_on
        self.attempts: dict[str, int] = {}

    async def create_table(self, engine: AsyncEngine) -> None:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    f"CREATE TABLE IF NOT EXISTS {self.schema}.list_items ("
                    " row_id bigserial PRIMARY KEY, event_id uuid NOT NULL, stream_id text,"
                    " version int, item text NOT NULL, quantity int NOT NULL)"
                )
            )

    async def apply(
        self, conn: AsyncConnection, event: ReceivedEvent, payload: DomainEvent
    ) -> None:
        assert isinstance(payload, ItemAddedSeen)
        if payload.item == self.explode_on:
            self.attempts[payload.item] = self.attempts.get(payload.item, 0) + 1
            raise RuntimeError(f"cannot project {payload.item!r}")
        await conn.execute(
            text(
                f"INSERT INTO {self.schema}.list_items"
                " (event_id, stream_id, version, item, quantity)"
                " VALUES (:event_id, :stream_id, :version, :item, :quantity)"
            ),
            {
                "event_id": event.event_id,
                "stream_id": event.subject,
                "version": event.stream_version,
                "item": payload.item,
                "quantity": payload.quantity,
            },
        )

    async def reset(self, conn: AsyncConnection) -> None:
        await conn.execute(text(f"DELETE FROM {self.schema}.list_items"))

    async def rows(self, engine: AsyncEngine) -> list[tuple[Any, ...]]:
        """The read model in application order, without the surrogate key."""
        async with engine.connect() as conn:
            result = await conn.execute(
                text(
                    f"SELECT event_id, stream_id, version, item, quantity"
                    f" FROM {self.schema}.list_items ORDER BY row_id"
                )
            )
            return [tuple(row) for row in result]


async def eventually(
    check: Callable[[], Awaitable[bool]], *, within: float = 30.0, what: str = "condition"
) -> None:
    """Poll ``check`` until it is true; fail the test after ``within`` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what} did not happen within {within:.0f}s")
        await asyncio.sleep(0.1)


async def read_topic(bootstrap: str, topic: str) -> list[Any]:
    """Every record currently in ``topic`` (all partitions, from offset zero, no group)."""
    partitions = await partitions_of(bootstrap, [topic])
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        end = await consumer.end_offsets(partitions)
        for tp, offset in (await consumer.beginning_offsets(partitions)).items():
            consumer.seek(tp, offset)
        records: list[Any] = []
        while [tp for tp in partitions if await consumer.position(tp) < end[tp]]:
            batches = await consumer.getmany(timeout_ms=1000)
            for batch in batches.values():
                records.extend(batch)
        return sorted(records, key=lambda r: (r.partition, r.offset))
    finally:
        await consumer.stop()


async def run_in_background(coroutine: Awaitable[None]) -> asyncio.Task[None]:
    task: asyncio.Task[None] = asyncio.ensure_future(coroutine)
    await asyncio.sleep(0)
    return task
