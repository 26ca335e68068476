"""CloudEvents 1.0 in Kafka binary mode: a stored event ⇄ (key, value, headers).

The value is the event's JSON data; everything else travels in headers::

    ce_specversion      1.0
    ce_id               event id (UUID)
    ce_source           /pmo/<context>
    ce_type             pmo.<context>.<EventName>.v<N>
    ce_time             RFC 3339 time the event was recorded (UTC)
    ce_subject          stream (aggregate) id, also the record key
    content-type        application/json
    traceparent         W3C trace context saved at append time (tracestate when present)
    ce_correlationid    id of the first event/command of the causal chain
    ce_causationid      id of the event/command that caused this one
    ce_pmostreamversion the event's version in its stream
    ce_pmoposition      the event's position in the producing service's log
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple, Protocol

import orjson

from pmo_events.store import StoredEvent

__all__ = [
    "InvalidMessage",
    "KafkaRecord",
    "ReceivedEvent",
    "from_consumer_record",
    "from_kafka_record",
    "to_kafka_record",
]

SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"
H_SPECVERSION = "ce_specversion"
H_ID = "ce_id"
H_SOURCE = "ce_source"
H_TYPE = "ce_type"
H_TIME = "ce_time"
H_SUBJECT = "ce_subject"
H_CONTENT_TYPE = "content-type"
H_TRACEPARENT = "traceparent"
H_TRACESTATE = "tracestate"
H_CORRELATION = "ce_correlationid"
H_CAUSATION = "ce_causationid"
H_STREAM_VERSION = "ce_pmostreamversion"
H_POSITION = "ce_pmoposition"

Headers = list[tuple[str, bytes]]


class InvalidMessage(ValueError):
    """A Kafka record that is not a valid event envelope; retrying cannot fix it."""


class KafkaRecord(NamedTuple):
    key: bytes
    value: bytes
    headers: Headers


@dataclass(frozen=True, slots=True)
class ReceivedEvent:
    """An event read from Kafka, with where it was read from."""

    event_id: uuid.UUID
    event_type: str
    source: str
    subject: str | None
    time: datetime | None
    data: dict[str, Any]
    correlation_id: str | None = None
    causation_id: str | None = None
    traceparent: str | None = None
    tracestate: str | None = None
    stream_version: int | None = None
    position: int | None = None
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None


def source_of(context: str) -> str:
    return f"/pmo/{context}"


def rfc3339(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("ce_time needs a timezone-aware datetime")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def to_kafka_record(stored: StoredEvent, source_context: str) -> KafkaRecord:
    """The binary-mode CloudEvent of a stored event; key = stream id."""
    headers: Headers = [
        (H_SPECVERSION, SPECVERSION.encode()),
        (H_ID, str(stored.event_id).encode()),
        (H_SOURCE, source_of(source_context).encode()),
        (H_TYPE, stored.event_type.encode()),
        (H_TIME, rfc3339(stored.recorded_at).encode()),
        (H_SUBJECT, stored.stream_id.encode()),
        (H_CONTENT_TYPE, CONTENT_TYPE.encode()),
    ]
    optional = (
        (H_TRACEPARENT, stored.traceparent),
        (H_TRACESTATE, stored.tracestate),
        (H_CORRELATION, stored.correlation_id),
        (H_CAUSATION, stored.causation_id),
    )
    headers.extend((name, value.encode()) for name, value in optional if value)
    headers.append((H_STREAM_VERSION, str(stored.version).encode()))
    headers.append((H_POSITION, str(stored.position).encode()))
    return KafkaRecord(stored.stream_id.encode(), orjson.dumps(stored.data), headers)


def from_kafka_record(
    key: bytes | None,
    value: bytes | None,
    headers: Sequence[tuple[str, bytes]],
    *,
    topic: str | None = None,
    partition: int | None = None,
    offset: int | None = None,
) -> ReceivedEvent:
    """Validate and decode a binary-mode CloudEvent; raises InvalidMessage saying what is wrong."""
    where = f" (topic {topic} partition {partition} offset {offset})" if topic else ""
    found = _decode_headers(headers, where)

    def required(name: str) -> str:
        text = found.get(name, "").strip()
        if not text:
            raise InvalidMessage(
                f"header {name} is missing or empty{where}; the producer must send "
                "CloudEvents binary-mode headers (see pmo_events.envelope)"
            )
        return text

    if (spec := required(H_SPECVERSION)) != SPECVERSION:
        raise InvalidMessage(
            f"{H_SPECVERSION} is {spec!r}, only {SPECVERSION!r} is supported{where}"
        )
    id_text = required(H_ID)
    try:
        event_id = uuid.UUID(id_text)
    except ValueError:
        raise InvalidMessage(f"{H_ID} {id_text!r} is not a UUID{where}") from None
    content_type = found.get(H_CONTENT_TYPE)
    if content_type is not None and content_type.split(";")[0].strip().lower() != CONTENT_TYPE:
        raise InvalidMessage(f"content-type is {content_type!r}, expected {CONTENT_TYPE}{where}")
    return ReceivedEvent(
        event_id=event_id,
        event_type=required(H_TYPE),
        source=required(H_SOURCE),
        subject=found.get(H_SUBJECT) or (key.decode("utf-8", "replace") if key else None),
        time=_time(found.get(H_TIME), where),
        data=_data(value, where),
        correlation_id=found.get(H_CORRELATION),
        causation_id=found.get(H_CAUSATION),
        traceparent=found.get(H_TRACEPARENT),
        tracestate=found.get(H_TRACESTATE),
        stream_version=_int(found, H_STREAM_VERSION, where),
        position=_int(found, H_POSITION, where),
        topic=topic,
        partition=partition,
        offset=offset,
    )


class ConsumerRecordLike(Protocol):
    """The attributes of ``aiokafka.ConsumerRecord`` that are read."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def headers(self) -> Sequence[tuple[str, bytes]]: ...


def from_consumer_record(record: ConsumerRecordLike) -> ReceivedEvent:
    return from_kafka_record(
        record.key,
        record.value,
        record.headers,
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
    )


def _decode_headers(headers: Sequence[tuple[str, bytes]], where: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, raw in headers:
        lowered = name.lower()
        if lowered in found:
            raise InvalidMessage(f"header {name} appears more than once{where}")
        try:
            found[lowered] = raw.decode("utf-8") if raw is not None else ""
        except UnicodeDecodeError:
            raise InvalidMessage(f"header {name} is not UTF-8{where}") from None
    return found


def _time(text: str | None, where: str) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidMessage(f"{H_TIME} {text!r} is not an RFC 3339 timestamp{where}") from None
    if moment.tzinfo is None:
        raise InvalidMessage(f"{H_TIME} {text!r} has no UTC offset (RFC 3339 needs one){where}")
    return moment


def _data(value: bytes | None, where: str) -> dict[str, Any]:
    if value is None:
        raise InvalidMessage(
            f"the record has no value (a tombstone?){where}; events carry JSON data"
        )
    try:
        data = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise InvalidMessage(f"the value is not valid JSON ({exc}){where}") from None
    if not isinstance(data, dict):
        raise InvalidMessage(f"the value must be a JSON object, not {type(data).__name__}{where}")
    return data


def _int(found: dict[str, str], name: str, where: str) -> int | None:
    text = found.get(name)
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        raise InvalidMessage(f"header {name} {text!r} is not an integer{where}") from None
