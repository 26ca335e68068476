"""The outbox relay against the real Postgres and Kafka."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence

import pytest
from aiokafka import AIOKafkaProducer
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from pmo_events import Backoff, OutboxRelay, PostgresEventStore, StoredEvent, tables_for
from pmo_events.metrics import RELAY_LAG, RELAY_PUBLISHED
from pmo_events.tracing import tracer
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from libs.events.tests.contract import Unique
from libs.events.tests.events import ItemAdded
from libs.events.tests.support import eventually, read_topic

pytestmark = pytest.mark.integration


async def append_events(store: PostgresEventStore, unique: Unique, streams: int, per_stream: int):
    """Interleaved appends over several streams, 1-2 events per append."""
    names = [unique(f"list{n}") for n in range(streams)]
    versions = dict.fromkeys(names, 0)
    stored: list[StoredEvent] = []
    while any(v < per_stream for v in versions.values()):
        for name in names:
            count = min(1 + versions[name] % 2, per_stream - versions[name])
            if count:
                batch = [ItemAdded(item=f"{name}:{versions[name] + i + 1}") for i in range(count)]
                stored += await store.append(name, "List", versions[name], batch)
                versions[name] += count
    return stored


async def tracked(engine: AsyncEngine, schema: str, topic: str) -> int:
    tracking = tables_for(schema).relay_tracking
    async with engine.connect() as conn:
        position = await conn.scalar(select(tracking.c.position).where(tracking.c.topic == topic))
    return int(position or 0)


def relay_for(
    engine: AsyncEngine, schema: str, topic: str, bootstrap: str, **options
) -> OutboxRelay:
    options.setdefault("backoff", Backoff(initial=0.05, maximum=0.5))
    return OutboxRelay(engine, schema, "demo", topic, bootstrap, **options)


async def test_relay_publishes_each_event_once_in_order_with_cloudevents_headers(
    engine: AsyncEngine,
    schema: str,
    topic: str,
    kafka_bootstrap: str,
    unique: Unique,
    spans: InMemorySpanExporter,
) -> None:
    store = PostgresEventStore(engine, schema)
    with tracer().start_as_current_span("command") as command:
        stored = await append_events(store, unique, streams=4, per_stream=6)
    published = RELAY_PUBLISHED.labels(schema=schema, topic=topic)
    relay = relay_for(engine, schema, topic, kafka_bootstrap, batch_size=7, poll_interval=60)
    stop = asyncio.Event()
    running = asyncio.create_task(relay.run(stop))
    try:
        head = stored[-1].position
        await eventually(lambda: _tracked_is(engine, schema, topic, head), what="first publish")
        # The relay now idles (polling every 60 s): only the NOTIFY of an append can wake it.
        more = await store.append(stored[0].stream_id, "List", 6, [ItemAdded(item="late")])
        stored += more
        head = more[-1].position
        await eventually(lambda: _tracked_is(engine, schema, topic, head), what="NOTIFY wake-up")
    finally:
        stop.set()
        await running

    records = await read_topic(kafka_bootstrap, topic)
    assert len(records) == len(stored) == 25
    assert published._value.get() == 25
    assert RELAY_LAG.labels(schema=schema, topic=topic)._value.get() == 0
    by_id = {str(event.event_id): event for event in stored}
    per_key: dict[bytes, list[int]] = defaultdict(list)
    for record in records:
        headers = dict(record.headers)
        event = by_id.pop(headers["ce_id"].decode())  # KeyError: unknown or duplicated
        assert record.key == event.stream_id.encode() == headers["ce_subject"]
        assert headers["ce_specversion"] == b"1.0"
        assert headers["ce_source"] == b"/pmo/demo"
        assert headers["ce_type"] == b"pmo.demo.ItemAdded.v1"
        assert headers["content-type"] == b"application/json"
        assert headers["ce_pmoposition"] == str(event.position).encode()
        assert headers["ce_correlationid"] == str(event.event_id).encode()
        per_key[record.key].append(int(headers["ce_pmostreamversion"]))
        trace_id = headers["traceparent"].decode().split("-")[1]
        if event.traceparent:
            assert trace_id == f"{command.get_span_context().trace_id:032x}"
    assert by_id == {}
    assert all(versions == sorted(versions) for versions in per_key.values())

    publish_spans = [s for s in spans.get_finished_spans() if s.name == f"{topic} publish"]
    assert len(publish_spans) == 25
    traced = [s for s in publish_spans if s.parent is not None]
    assert len(traced) == 24  # the "late" event was appended outside the command span
    for span in traced:
        assert span.kind is SpanKind.PRODUCER
        assert span.parent.span_id == command.get_span_context().span_id
        assert span.attributes["messaging.destination.name"] == topic
        assert span.attributes["messaging.system"] == "kafka"


async def _tracked_is(engine: AsyncEngine, schema: str, topic: str, position: int) -> bool:
    return await tracked(engine, schema, topic) >= position


async def test_only_the_advisory_lock_holder_publishes(
    engine: AsyncEngine, schema: str, topic: str, kafka_bootstrap: str, unique: Unique
) -> None:
    store = PostgresEventStore(engine, schema)
    relays = [
        relay_for(
            engine, schema, topic, kafka_bootstrap, lock_retry_interval=0.2, poll_interval=0.2
        )
        for _ in range(2)
    ]
    stops = [asyncio.Event(), asyncio.Event()]
    tasks = [asyncio.create_task(r.run(s)) for r, s in zip(relays, stops, strict=True)]
    try:
        await eventually(_any_leader(relays), what="a leader")
        stored = await append_events(store, unique, streams=3, per_stream=4)
        await eventually(lambda: _tracked_is(engine, schema, topic, stored[-1].position))
        assert [r.is_leader for r in relays].count(True) == 1
        assert await relays[1 - _leader(relays)].publish_pending() == 0  # lock taken: no-op

        leader = _leader(relays)
        stops[leader].set()
        await tasks[leader]
        await eventually(lambda: _is_leader(relays[1 - leader]), what="take-over")
        later = await append_events(store, unique, streams=1, per_stream=2)
        await eventually(lambda: _tracked_is(engine, schema, topic, later[-1].position))
    finally:
        for stop in stops:
            stop.set()
        await asyncio.gather(*tasks)
    records = await read_topic(kafka_bootstrap, topic)
    ids = [dict(r.headers)["ce_id"].decode() for r in records]
    assert sorted(ids) == sorted(str(e.event_id) for e in stored + later)  # none twice


def _leader(relays: Sequence[OutboxRelay]) -> int:
    [index] = [i for i, relay in enumerate(relays) if relay.is_leader]
    return index


def _any_leader(relays: Sequence[OutboxRelay]):
    async def check() -> bool:
        return any(relay.is_leader for relay in relays)

    return check


async def _is_leader(relay: OutboxRelay) -> bool:
    return relay.is_leader


async def test_relay_backs_off_while_kafka_is_unreachable_and_resumes(
    engine: AsyncEngine,
    schema: str,
    topic: str,
    kafka_bootstrap: str,
    unique: Unique,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The first three producers point at a port where no broker listens (as if it were down);
    the relay must retry, publish nothing meanwhile, and then publish everything once."""
    store = PostgresEventStore(engine, schema)
    stored = await append_events(store, unique, streams=2, per_stream=5)
    made: list[str] = []

    def producer() -> AIOKafkaProducer:
        bootstrap = "127.0.0.1:1" if len(made) < 3 else kafka_bootstrap
        made.append(bootstrap)
        return AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")

    relay = relay_for(engine, schema, topic, kafka_bootstrap, producer_factory=producer)
    stop = asyncio.Event()
    with caplog.at_level(logging.ERROR, logger="pmo_events.relay"):
        running = asyncio.create_task(relay.run(stop))
        await eventually(lambda: _tracked_is(engine, schema, topic, stored[-1].position))
        stop.set()
        await running
    assert made[:4] == ["127.0.0.1:1"] * 3 + [kafka_bootstrap]
    retries = [r for r in caplog.records if "publishing failed" in r.getMessage()]
    assert len(retries) == 3
    records = await read_topic(kafka_bootstrap, topic)
    assert [dict(r.headers)["ce_id"].decode() for r in records] == [
        str(e.event_id) for e in sorted(stored, key=lambda e: (_partition(records, e), e.position))
    ]


def _partition(records: list, event: StoredEvent) -> int:
    [partition] = {r.partition for r in records if r.key == event.stream_id.encode()}
    return partition


async def test_a_relay_whose_lock_connection_dies_stops_and_takes_the_lock_again(
    engine: AsyncEngine, schema: str, topic: str, kafka_bootstrap: str, unique: Unique
) -> None:
    store = PostgresEventStore(engine, schema)
    relay = relay_for(engine, schema, topic, kafka_bootstrap, lock_retry_interval=0.2)
    stop = asyncio.Event()
    running = asyncio.create_task(relay.run(stop))
    try:
        await eventually(lambda: _is_leader(relay), what="leadership")
        first_pid = relay._leader._driver.get_server_pid()
        async with engine.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first_pid})
        await eventually(lambda: _leads_from_another_session(relay, first_pid), what="re-acquire")
        stored = await append_events(store, unique, streams=2, per_stream=3)
        await eventually(lambda: _tracked_is(engine, schema, topic, stored[-1].position))
    finally:
        stop.set()
        await running
    records = await read_topic(kafka_bootstrap, topic)
    assert sorted(dict(r.headers)["ce_id"].decode() for r in records) == sorted(
        str(e.event_id) for e in stored
    )


async def _leads_from_another_session(relay: OutboxRelay, old_pid: int) -> bool:
    driver = relay._leader._driver
    return relay.is_leader and driver is not None and driver.get_server_pid() != old_pid
