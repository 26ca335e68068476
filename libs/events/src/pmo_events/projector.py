"""Projectors, and how one Kafka record is applied exactly once in effect.

A projector declares the events it applies with an :class:`EventRegistry` of consumer-side models
(a consumer owns its models of the foreign events it reads; upcasters there turn old versions into
the shape it expects). Types its registry does not resolve are skipped.

Per record: decode the CloudEvents envelope and validate the payload (a failure here goes to the
DLQ at once: retrying cannot fix it); then, in ONE transaction, insert ``(projector, event_id)``
into ``projection_tracking`` (ON CONFLICT DO NOTHING: an existing row means a duplicate or replay,
skipped) and apply. Apply failures are retried with backoff ``max_retries`` times, then the record
goes to the DLQ. Database outages (connection errors) are retried without limit instead: they say
nothing about the record, and dead-lettering every record during an outage would lose them all.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from pydantic import ValidationError
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from pmo_events.backoff import Backoff, sleep_unless_stopped
from pmo_events.dlq import DeadLetterPublisher, Stopped
from pmo_events.envelope import (
    ConsumerRecordLike,
    InvalidMessage,
    ReceivedEvent,
    from_consumer_record,
)
from pmo_events.metrics import PROJECTOR_EVENTS
from pmo_events.registry import DomainEvent, EventRegistry
from pmo_events.tables import tables_for
from pmo_events.tracing import context_from, tracer

__all__ = ["Outcome", "Projector", "RecordProcessor"]

log = logging.getLogger(__name__)


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


@dataclass(slots=True)
class _Item:
    record: ConsumerRecordLike
    event: ReceivedEvent | None = None
    payload: DomainEvent | None = None
    error: Exception | None = None


def _text(raw: bytes | None) -> str | None:
    if raw is None:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _where(record: ConsumerRecordLike) -> str:
    return f"{record.topic}[{record.partition}]@{record.offset}"


def is_transient(exc: BaseException) -> bool:
    """Failures of the database connection rather than of the record."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OperationalError | InterfaceError | OSError | TimeoutError)


class RecordProcessor:
    """Applies records for one projector; shared by the live runner and the rebuild."""

    def __init__(
        self,
        engine: AsyncEngine,
        schema: str,
        projector: Projector,
        dead_letters: DeadLetterPublisher,
        *,
        group_id: str,
        max_retries: int = 3,
        retry_backoff: Backoff | None = None,
        transient_backoff: Backoff | None = None,
    ) -> None:
        self.engine = engine
        self.projector = projector
        self.dead_letters = dead_letters
        self.group_id = group_id
        self.max_retries = max_retries
        self.retry_backoff = retry_backoff or Backoff(initial=0.2, maximum=5.0)
        self.transient_backoff = transient_backoff or Backoff(initial=0.5, maximum=30.0)
        self._tracking = tables_for(schema).projection_tracking
        self._counters = {
            outcome: PROJECTOR_EVENTS.labels(projector=projector.name, outcome=outcome)
            for outcome in [*Outcome, "failed"]
        }

    async def process(
        self, records: Sequence[ConsumerRecordLike], stop: asyncio.Event
    ) -> list[Outcome]:
        """Apply the records in order. Raises Stopped (nothing more committed) when stopped."""
        items = [self._decode(record) for record in records]
        outcomes: dict[int, Outcome] = {}
        applicable = [i for i, item in enumerate(items) if item.payload is not None]
        # Fast path: all applicable records in one transaction (one commit instead of one each).
        together = (
            await self._apply_together([items[i] for i in applicable])
            if len(applicable) > 1
            else None
        )
        if together is not None:
            outcomes.update(zip(applicable, together, strict=True))
        else:
            for index in applicable:
                outcomes[index] = await self._apply_alone(items[index], stop)
        for index, item in enumerate(items):
            if item.error is not None:
                await self.dead_letters.publish(item.record, item.error, stop)
                outcomes[index] = Outcome.DLQ
            elif item.event is not None and item.payload is None:
                outcomes[index] = Outcome.SKIPPED
        result = [outcomes[index] for index in range(len(items))]
        for outcome in result:
            self._counters[outcome].inc()
        return result

    def _decode(self, record: ConsumerRecordLike) -> _Item:
        item = _Item(record)
        try:
            item.event = from_consumer_record(record)
            current = self.projector.registry.resolve(item.event.event_type)
            if current is not None:
                item.payload = self.projector.registry.parse(item.event.event_type, item.event.data)
        except (InvalidMessage, ValidationError, ValueError, TypeError) as exc:
            item.error = exc
            item.payload = None
            self._counters["failed"].inc()
            log.warning("%s: cannot decode %s: %s", self.projector.name, _where(record), exc)
        return item

    async def _apply_together(self, items: Sequence[_Item]) -> list[Outcome] | None:
        """Outcomes when every item was applied in one transaction; None after a rollback."""
        done: list[Outcome] = []
        try:
            async with self.engine.begin() as conn:
                for item in items:
                    with self._span(item.record):
                        done.append(await self._apply_in(conn, item))
        except Exception as exc:
            log.info(
                "%s: batch of %d rolled back (%r); applying one by one",
                self.projector.name, len(items), exc,
            )  # fmt: skip
            return None
        return done

    @contextlib.contextmanager
    def _span(self, record: ConsumerRecordLike) -> Iterator[trace.Span]:
        """CONSUMER span whose parent is the producer's context from the record's headers."""
        headers = {name.lower(): value for name, value in record.headers}
        parent = context_from(_text(headers.get("traceparent")), _text(headers.get("tracestate")))
        attributes: dict[str, str | int] = {
            "messaging.system": "kafka",
            "messaging.operation.type": "process",
            "messaging.operation.name": "process",
            "messaging.destination.name": record.topic,
            "messaging.destination.partition.id": str(record.partition),
            "messaging.kafka.message.offset": record.offset,
            "messaging.consumer.group.name": self.group_id,
            "pmo.projector": self.projector.name,
        }
        if (event_id := _text(headers.get("ce_id"))) is not None:
            attributes["messaging.message.id"] = event_id
        if record.key is not None:
            attributes["messaging.kafka.message.key"] = record.key.decode("utf-8", "replace")
        with tracer().start_as_current_span(
            f"{record.topic} process", context=parent, kind=SpanKind.CONSUMER, attributes=attributes
        ) as span:
            yield span

    async def _apply_alone(self, item: _Item, stop: asyncio.Event) -> Outcome:
        failures = 0
        with self._span(item.record) as span:
            while True:
                try:
                    async with self.engine.begin() as conn:
                        outcome = await self._apply_in(conn, item)
                    self.retry_backoff.reset()
                    self.transient_backoff.reset()
                    return outcome
                except Exception as exc:
                    self._counters["failed"].inc()
                    span.record_exception(exc)
                    if is_transient(exc):
                        delay = self.transient_backoff.next_delay()
                        log.warning(
                            "%s: database unavailable (%r); retrying in %.1fs",
                            self.projector.name, exc, delay,
                        )  # fmt: skip
                    elif failures < self.max_retries:
                        failures += 1
                        delay = self.retry_backoff.next_delay()
                        log.warning(
                            "%s: applying %s failed (attempt %d of %d): %r; retrying in %.1fs",
                            self.projector.name, _where(item.record),
                            failures, self.max_retries + 1, exc, delay,
                        )  # fmt: skip
                    else:
                        log.error(
                            "%s: giving up on %s after %d attempts: %r; sending it to the DLQ",
                            self.projector.name, _where(item.record), failures + 1, exc,
                        )  # fmt: skip
                        span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
                        self.retry_backoff.reset()
                        item.error = exc
                        item.payload = None
                        return Outcome.DLQ
                    if await sleep_unless_stopped(stop, delay):
                        raise Stopped("stopped while retrying a record") from exc

    async def _apply_in(self, conn: AsyncConnection, item: _Item) -> Outcome:
        assert item.event is not None
        assert item.payload is not None
        tracking = self._tracking
        fresh = await conn.scalar(
            insert(tracking)
            .values(projector=self.projector.name, event_id=item.event.event_id)
            .on_conflict_do_nothing()
            .returning(tracking.c.event_id)
        )
        if fresh is None:
            return Outcome.DUPLICATE
        await self.projector.apply(conn, item.event, item.payload)
        return Outcome.PROCESSED
