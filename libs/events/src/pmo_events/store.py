"""The event store contract: what is appended, what is stored, and the operations on streams.

Back ends implement :class:`EventStore`; ``tests/contract.py`` holds the behaviour every back end
must show (``PostgresEventStore`` runs it).
"""

from __future__ import annotations

import abc
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pmo_events.registry import DomainEvent, event_type_of
from pmo_events.tracing import current_trace_headers

__all__ = ["EventStore", "NewEvent", "StoredEvent"]

# Metadata keys written by the store; callers may add their own keys next to them.
CORRELATION_ID = "correlation_id"
CAUSATION_ID = "causation_id"
TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to append: the payload plus its identity and causal metadata.

    ``traceparent``/``tracestate`` are captured from the current OpenTelemetry span when the
    NewEvent is created, so the relay can continue the command's trace. ``correlation_id`` and
    ``causation_id`` default to the event's own id (the start of a causal chain); a reaction to
    another event passes that event's correlation id and its event id as the causation id.
    """

    payload: DomainEvent
    event_id: uuid.UUID = field(default_factory=uuid.uuid4)
    correlation_id: str | None = None
    causation_id: str | None = None
    traceparent: str | None = None
    tracestate: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.traceparent is None:
            headers = current_trace_headers()
            object.__setattr__(self, "traceparent", headers.get(TRACEPARENT))
            if self.tracestate is None:
                object.__setattr__(self, "tracestate", headers.get(TRACESTATE))

    @property
    def event_type(self) -> str:
        return event_type_of(self.payload)

    def data(self) -> dict[str, Any]:
        """The payload as JSON-compatible data (what is stored and published)."""
        return self.payload.model_dump(mode="json")

    def full_metadata(self, common: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Metadata as stored: ``common`` (per append) < own ``metadata`` < the fixed keys."""
        meta: dict[str, Any] = {**(common or {}), **self.metadata}
        own_id = str(self.event_id)
        meta[CORRELATION_ID] = self.correlation_id or meta.get(CORRELATION_ID) or own_id
        meta[CAUSATION_ID] = self.causation_id or meta.get(CAUSATION_ID) or own_id
        if self.traceparent:
            meta[TRACEPARENT] = self.traceparent
            if self.tracestate:
                meta[TRACESTATE] = self.tracestate
        return meta

    @classmethod
    def of(cls, event: DomainEvent | NewEvent) -> NewEvent:
        return event if isinstance(event, NewEvent) else cls(payload=event)


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as recorded. ``position`` is global and follows commit order."""

    position: int
    stream_id: str
    stream_type: str
    version: int
    event_id: uuid.UUID
    event_type: str
    data: dict[str, Any]
    metadata: dict[str, Any]
    recorded_at: datetime

    @property
    def correlation_id(self) -> str | None:
        return _str_or_none(self.metadata.get(CORRELATION_ID))

    @property
    def causation_id(self) -> str | None:
        return _str_or_none(self.metadata.get(CAUSATION_ID))

    @property
    def traceparent(self) -> str | None:
        return _str_or_none(self.metadata.get(TRACEPARENT))

    @property
    def tracestate(self) -> str | None:
        return _str_or_none(self.metadata.get(TRACESTATE))


class EventStore(abc.ABC):
    """Append-only streams with optimistic concurrency and a global commit-ordered log."""

    @abc.abstractmethod
    async def append(
        self,
        stream_id: str,
        stream_type: str,
        expected_version: int,
        events: Sequence[DomainEvent | NewEvent],
        *,
        metadata: Mapping[str, Any] | None = None,
    ) -> list[StoredEvent]:
        """Append ``events`` as versions ``expected_version + 1 ...`` of the stream, atomically.

        ``expected_version`` is the version the caller loaded (0 for a new stream). Raises
        :class:`pmo_events.errors.ConcurrencyError` when the stream is at another version,
        including when a concurrent append wins the race. ``metadata`` is merged into every
        event's metadata (e.g. the acting user). Returns the stored events.
        """

    @abc.abstractmethod
    async def load(self, stream_id: str, *, after_version: int = 0) -> list[StoredEvent]:
        """The stream's events in version order (empty for an unknown stream)."""

    @abc.abstractmethod
    async def read_all(self, after_position: int = 0, limit: int = 1000) -> list[StoredEvent]:
        """Up to ``limit`` events with position > ``after_position`` in commit order.

        A reader that repeatedly passes the last position it saw never misses an event: no event
        becomes visible at a position lower than one already visible.
        """

    @abc.abstractmethod
    async def stream_version(self, stream_id: str) -> int:
        """The stream's current version (0 when it has no events)."""

    @abc.abstractmethod
    async def head_position(self) -> int:
        """The highest committed position (0 when the store is empty)."""


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None
