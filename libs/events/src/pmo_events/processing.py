"""How a projector applies Kafka records exactly once in effect (the runner and rebuild share it).

Per record: decode the CloudEvents envelope and validate the payload against the projector's
model. A failure here goes to the DLQ at once: retrying cannot fix it. Then, in ONE transaction,
insert ``(projector, event_id)`` into ``projection_tracking`` (ON CONFLICT DO NOTHING: an existing
row means a duplicate or a replay, which is skipped) and apply.

Records of one poll are applied in one transaction (one commit instead of one per record). If an
apply fails, the transaction rolls back: the records before the failing one are applied again,
the failing one is retried alone with backoff up to ``max_retries`` times and then dead-lettered,
and the rest continue. Database outages (connection errors) are retried without limit instead:
they say nothing about the record, and dead-lettering every record during an outage loses them all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

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
from pmo_events.projector import Outcome, Projector
from pmo_events.registry import DomainEvent
from pmo_events.tables import tables_for
from pmo_events.tracing import context_from, tracer

__all__ = ["RecordProcessor", "is_transient"]

log = logging.getLogger(__name__)


def is_transient(exc: BaseException) -> bool:
    """Failures of the database connection rather than of the record."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OperationalError | InterfaceError | OSError | TimeoutError)


@dataclass(slots=True)
class _Item:
    record: ConsumerRecordLike
    event: ReceivedEvent | None = None
    payload: DomainEvent | None = None
    error: Exception | None = None


class _BatchFailed(Exception):
    """The shared transaction rolled back; ``index`` is the item whose apply failed (None when
    the commit itself failed)."""

    def __init__(self, index: int | None, error: Exception) -> None:
        super().__init__(repr(error))
        self.index = index
        self.error = error


class RecordProcessor:
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
        applicable = [item for item in items if item.payload is not None]
        outcomes = dict(
            zip(map(id, applicable), await self._apply_all(applicable, stop), strict=True)
        )
        result: list[Outcome] = []
        for item in items:
            if item.error is not None:
                await self.dead_letters.publish(item.record, item.error, stop)
                result.append(Outcome.DLQ)
            else:
                result.append(outcomes.get(id(item), Outcome.SKIPPED))
        for outcome in result:
            self._counters[outcome].inc()
        return result

    def _decode(self, record: ConsumerRecordLike) -> _Item:
        item = _Item(record)
        try:
            item.event = from_consumer_record(record)
            if self.projector.registry.resolve(item.event.event_type) is not None:
                item.payload = self.projector.registry.parse(item.event.event_type, item.event.data)
        except (InvalidMessage, ValidationError, ValueError, TypeError) as exc:
            item.error, item.payload = exc, None
            self._counters["failed"].inc()
            log.warning("%s: cannot decode %s: %s", self.projector.name, _where(record), exc)
        return item

    async def _apply_all(self, items: Sequence[_Item], stop: asyncio.Event) -> list[Outcome]:
        if len(items) <= 1:
            return [await self._apply_alone(item, stop) for item in items]
        try:
            return await self._apply_together(items)
        except _BatchFailed as failed:
            if failed.index is None:
                return [await self._apply_alone(item, stop) for item in items]
            index, error = failed.index, failed.error
            before = await self._apply_all(items[:index], stop)
            failing = await self._apply_alone(items[index], stop, first_error=error)
            after = await self._apply_all(items[index + 1 :], stop)
            return [*before, failing, *after]

    async def _apply_together(self, items: Sequence[_Item]) -> list[Outcome]:
        done: list[Outcome] = []
        try:
            async with self.engine.begin() as conn:
                for item in items:
                    with self._span(item.record):
                        done.append(await self._apply_in(conn, item))
        except Exception as exc:
            index = len(done) if len(done) < len(items) else None
            raise _BatchFailed(index, exc) from exc
        return done

    async def _apply_alone(
        self, item: _Item, stop: asyncio.Event, *, first_error: Exception | None = None
    ) -> Outcome:
        """Apply one record in its own transaction, retrying; DLQ after ``max_retries``."""
        failures = 0
        error = first_error
        with self._span(item.record) as span:
            while True:
                if error is not None:
                    self._counters["failed"].inc()
                    span.record_exception(error)
                    if is_transient(error):
                        delay = self.transient_backoff.next_delay()
                        log.warning(
                            "%s: database unavailable (%r); retrying in %.1fs",
                            self.projector.name, error, delay,
                        )  # fmt: skip
                    elif failures < self.max_retries:
                        failures += 1
                        delay = self.retry_backoff.next_delay()
                        log.warning(
                            "%s: applying %s failed (attempt %d of %d): %r; retrying in %.1fs",
                            self.projector.name, _where(item.record),
                            failures, self.max_retries + 1, error, delay,
                        )  # fmt: skip
                    else:
                        return self._give_up(item, error, span, attempts=failures + 1)
                    if await sleep_unless_stopped(stop, delay):
                        raise Stopped("stopped while retrying a record") from error
                try:
                    async with self.engine.begin() as conn:
                        outcome = await self._apply_in(conn, item)
                except Exception as exc:
                    error = exc
                    continue
                self.retry_backoff.reset()
                self.transient_backoff.reset()
                return outcome

    def _give_up(self, item: _Item, error: Exception, span: trace.Span, attempts: int) -> Outcome:
        log.error(
            "%s: giving up on %s after %d attempts: %r; sending it to the DLQ",
            self.projector.name, _where(item.record), attempts, error,
        )  # fmt: skip
        span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))
        self.retry_backoff.reset()
        item.error, item.payload = error, None
        return Outcome.DLQ

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


def _text(raw: bytes | None) -> str | None:
    if raw is None:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _where(record: ConsumerRecordLike) -> str:
    return f"{record.topic}[{record.partition}]@{record.offset}"
