"""The live projector runner: one Kafka consumer group per projector.

Offsets are committed only after the records' transaction committed (and failures were
dead-lettered), so a crash replays at most the last batch, which the tracking table turns into
no-ops. Offsets are never auto-committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from sqlalchemy.ext.asyncio import AsyncEngine

from pmo_events.backoff import Backoff, sleep_unless_stopped
from pmo_events.dlq import DeadLetterPublisher, Stopped
from pmo_events.processing import RecordProcessor
from pmo_events.projector import Projector

__all__ = ["ProjectorRunner", "default_group_id"]

log = logging.getLogger(__name__)


def default_group_id(schema: str, projector: Projector) -> str:
    """``pmo.<schema>.<projector name>``: unique per service and projector."""
    return f"pmo.{schema}.{projector.name}"


class ProjectorRunner:
    def __init__(
        self,
        engine: AsyncEngine,
        schema: str,
        projector: Projector,
        bootstrap_servers: str,
        *,
        group_id: str | None = None,
        max_retries: int = 3,
        dlq_suffix: str = ".dlq",
        max_batch: int = 500,
        retry_backoff: Backoff | None = None,
        consumer_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.engine = engine
        self.schema = schema
        self.projector = projector
        self.bootstrap_servers = bootstrap_servers
        self.group_id = group_id or default_group_id(schema, projector)
        self.max_batch = max_batch
        self.dead_letters = DeadLetterPublisher(
            bootstrap_servers, projector.name, suffix=dlq_suffix
        )
        self.processor = RecordProcessor(
            engine,
            schema,
            projector,
            self.dead_letters,
            group_id=self.group_id,
            max_retries=max_retries,
            retry_backoff=retry_backoff,
        )
        self._consumer_options = dict(consumer_options or {})
        self._connect_backoff = Backoff(initial=0.5, maximum=30.0)
        self.started = asyncio.Event()
        """Set once the consumer has joined its group (tests and readiness probes wait on it)."""

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Consume and apply until ``stop`` is set or the task is cancelled."""
        stop = stop or asyncio.Event()
        consumer = await self._start_consumer(stop)
        if consumer is None:
            return
        try:
            self.started.set()
            while not stop.is_set():
                batches = await consumer.getmany(timeout_ms=500, max_records=self.max_batch)
                records = [record for batch in batches.values() for record in batch]
                if not records:
                    continue
                try:
                    await self.processor.process(records, stop)
                except Stopped:
                    return
                await self._commit(
                    consumer, {tp: batch[-1].offset + 1 for tp, batch in batches.items()}
                )
        finally:
            self.started.clear()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(consumer.stop(), timeout=10)
            await self.dead_letters.close()

    async def _start_consumer(self, stop: asyncio.Event) -> AIOKafkaConsumer | None:
        while not stop.is_set():
            consumer = AIOKafkaConsumer(
                *self.projector.topics,
                bootstrap_servers=self.bootstrap_servers,
                group_id=self.group_id,
                client_id=f"pmo-projector-{self.projector.name}",
                **{
                    "auto_offset_reset": "earliest",
                    **self._consumer_options,
                    "enable_auto_commit": False,
                },
            )
            try:
                await consumer.start()
            except KafkaError as exc:
                with contextlib.suppress(Exception):
                    await consumer.stop()
                delay = self._connect_backoff.next_delay()
                log.warning(
                    "projector %s: Kafka at %s unavailable (%r); retrying in %.1fs",
                    self.projector.name, self.bootstrap_servers, exc, delay,
                )  # fmt: skip
                await sleep_unless_stopped(stop, delay)
                continue
            self._connect_backoff.reset()
            return consumer
        return None

    async def _commit(self, consumer: AIOKafkaConsumer, offsets: dict[TopicPartition, int]) -> None:
        try:
            await consumer.commit(offsets)
        except (CommitFailedError, KafkaError) as exc:
            # Replaying these records later is harmless (tracked), so carry on.
            log.warning("projector %s: offset commit failed: %r", self.projector.name, exc)
