"""Dead-letter queue: the original record unchanged, plus headers saying where and why it failed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from aiokafka import AIOKafkaProducer

from pmo_events.backoff import Backoff, sleep_unless_stopped
from pmo_events.envelope import ConsumerRecordLike

__all__ = ["DeadLetterPublisher", "Stopped", "dlq_headers"]

log = logging.getLogger(__name__)

H_ORIGINAL_TOPIC = "dlq_original_topic"
H_ORIGINAL_PARTITION = "dlq_original_partition"
H_ORIGINAL_OFFSET = "dlq_original_offset"
H_ERROR = "dlq_error"
H_PROJECTOR = "dlq_projector"
_MAX_ERROR_LENGTH = 2000


class Stopped(Exception):
    """Work was abandoned because the stop event was set; nothing was committed."""


def dlq_headers(
    record: ConsumerRecordLike, error: BaseException, projector: str
) -> list[tuple[str, bytes]]:
    """The original headers followed by the dead-letter headers."""
    description = f"{type(error).__name__}: {error}"[:_MAX_ERROR_LENGTH]
    return [
        *record.headers,
        (H_ORIGINAL_TOPIC, record.topic.encode()),
        (H_ORIGINAL_PARTITION, str(record.partition).encode()),
        (H_ORIGINAL_OFFSET, str(record.offset).encode()),
        (H_ERROR, description.encode()),
        (H_PROJECTOR, projector.encode()),
    ]


class DeadLetterPublisher:
    """Produces failed records to ``<topic><suffix>``, retrying until the broker acknowledges.

    A record must not be skipped silently, so a DLQ that cannot be reached holds the consumer
    back (its offset is not committed) until it can, or until ``stop`` is set.
    """

    def __init__(
        self,
        bootstrap_servers: str,
        projector: str,
        *,
        suffix: str = ".dlq",
        backoff: Backoff | None = None,
        producer_options: dict[str, Any] | None = None,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.projector = projector
        self.suffix = suffix
        self.backoff = backoff or Backoff(initial=0.5, maximum=30.0)
        self._options = producer_options or {}
        self._producer: AIOKafkaProducer | None = None

    def topic_for(self, topic: str) -> str:
        return f"{topic}{self.suffix}"

    async def publish(
        self, record: ConsumerRecordLike, error: BaseException, stop: asyncio.Event
    ) -> None:
        headers = dlq_headers(record, error, self.projector)
        # aiokafka refuses a record with neither key nor value; an empty value stands in.
        value = record.value if record.value is not None or record.key is not None else b""
        while True:
            try:
                producer = await self._ensure_producer()
                await producer.send_and_wait(
                    self.topic_for(record.topic), value=value, key=record.key, headers=headers
                )
                self.backoff.reset()
                return
            except Exception:
                await self.close()
                delay = self.backoff.next_delay()
                log.exception(
                    "DLQ %s unreachable; retrying in %.1fs", self.topic_for(record.topic), delay
                )
                if await sleep_unless_stopped(stop, delay):
                    raise Stopped("stopped while the DLQ was unreachable") from None

    async def close(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(producer.stop(), timeout=10)

    async def _ensure_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = AIOKafkaProducer(
                bootstrap_servers=self.bootstrap_servers,
                client_id=f"pmo-dlq-{self.projector}",
                request_timeout_ms=15000,
                **self._options,
                enable_idempotence=True,
                acks="all",
            )
            try:
                await producer.start()
            except BaseException:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(producer.stop(), timeout=5)
                raise
            self._producer = producer
        return self._producer
