"""CloudEvents binary-mode mapping, both ways, and what counts as an invalid message."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from pmo_events import InvalidMessage, StoredEvent, from_kafka_record, to_kafka_record

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def stored_event(**metadata: str) -> StoredEvent:
    return StoredEvent(
        position=42,
        stream_id="initiative-7",
        stream_type="Initiative",
        version=3,
        event_id=uuid.UUID("1b4e28ba-2fa1-11d2-883f-0016d3cca427"),
        event_type="pmo.portfolio.InitiativeProposed.v1",
        data={"title": "Faster onboarding", "score": 1.5},
        metadata=dict(metadata),
        recorded_at=datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
    )


def test_a_stored_event_becomes_a_binary_mode_cloudevent() -> None:
    event = stored_event(
        traceparent=TRACEPARENT, tracestate="k=v", correlation_id="c1", causation_id="c2"
    )
    key, value, headers = to_kafka_record(event, "portfolio")
    assert key == b"initiative-7"
    assert value == b'{"title":"Faster onboarding","score":1.5}'
    assert dict(headers) == {
        "ce_specversion": b"1.0",
        "ce_id": b"1b4e28ba-2fa1-11d2-883f-0016d3cca427",
        "ce_source": b"/pmo/portfolio",
        "ce_type": b"pmo.portfolio.InitiativeProposed.v1",
        "ce_time": b"2025-01-02T03:04:05.678000Z",
        "ce_subject": b"initiative-7",
        "content-type": b"application/json",
        "traceparent": TRACEPARENT.encode(),
        "tracestate": b"k=v",
        "ce_correlationid": b"c1",
        "ce_causationid": b"c2",
        "ce_pmostreamversion": b"3",
        "ce_pmoposition": b"42",
    }


def test_the_record_reads_back_as_the_same_event() -> None:
    event = stored_event(traceparent=TRACEPARENT, correlation_id="c1", causation_id="c2")
    key, value, headers = to_kafka_record(event, "portfolio")
    received = from_kafka_record(key, value, headers, topic="t", partition=1, offset=9)
    assert received.event_id == event.event_id
    assert received.event_type == event.event_type
    assert received.source == "/pmo/portfolio"
    assert received.subject == "initiative-7"
    assert received.time == event.recorded_at
    assert received.data == event.data
    assert (received.correlation_id, received.causation_id) == ("c1", "c2")
    assert received.traceparent == TRACEPARENT
    assert received.tracestate is None
    assert (received.stream_version, received.position) == (3, 42)
    assert (received.topic, received.partition, received.offset) == ("t", 1, 9)


def test_headers_without_trace_context_are_left_out() -> None:
    _, _, headers = to_kafka_record(stored_event(), "portfolio")
    assert "traceparent" not in dict(headers)
    assert "ce_correlationid" not in dict(headers)


def _without(name: str) -> list[tuple[str, bytes]]:
    _, _, headers = to_kafka_record(stored_event(), "portfolio")
    return [(key, value) for key, value in headers if key != name]


def _with(name: str, value: bytes) -> list[tuple[str, bytes]]:
    return [*_without(name), (name, value)]


@pytest.mark.parametrize(
    ("value", "headers", "message"),
    [
        (b"{}", _without("ce_type"), "header ce_type is missing"),
        (b"{}", _without("ce_id"), "header ce_id is missing"),
        (b"{}", _without("ce_source"), "header ce_source is missing"),
        (b"{}", _without("ce_specversion"), "header ce_specversion is missing"),
        (b"{}", _with("ce_specversion", b"0.3"), "only '1.0' is supported"),
        (b"{}", _with("ce_id", b"not-a-uuid"), "is not a UUID"),
        (b"{}", _with("ce_time", b"yesterday"), "not an RFC 3339 timestamp"),
        (b"{}", _with("ce_time", b"2025-01-02T03:04:05"), "has no UTC offset"),
        (b"{}", _with("content-type", b"text/plain"), "expected application/json"),
        (b"{}", _with("ce_pmoposition", b"x"), "is not an integer"),
        (b"{}", _with("ce_type", b"\xff\xfe"), "is not UTF-8"),
        (b"{}", [*_without("x"), ("ce_type", b"again")], "appears more than once"),
        (b"{not json", _without("x"), "not valid JSON"),
        (b"[1, 2]", _without("x"), "must be a JSON object"),
        (None, _without("x"), "has no value"),
    ],
)
def test_invalid_messages_say_what_is_wrong(
    value: bytes | None, headers: list[tuple[str, bytes]], message: str
) -> None:
    with pytest.raises(InvalidMessage, match=message) as invalid:
        from_kafka_record(b"k", value, headers, topic="orders", partition=2, offset=5)
    assert "topic orders partition 2 offset 5" in str(invalid.value)
