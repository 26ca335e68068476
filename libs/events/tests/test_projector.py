"""Projector runner, DLQ and rebuild against the real Postgres and Kafka, fed by the real relay."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from pmo_events import (
    Backoff,
    PostgresEventStore,
    ProjectorRunner,
    StoredEvent,
    rebuild,
    to_kafka_record,
)
from pmo_events.metrics import PROJECTOR_EVENTS
from pmo_events.topics import partitions_of
from pmo_events.tracing import tracer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from libs.events.tests.contract import Unique
from libs.events.tests.events import ItemAdded, ItemRemoved
from libs.events.tests.support import ListProjector, eventually, read_topic
from libs.events.tests.test_relay import append_events, relay_for

pytestmark = pytest.mark.integration


def runner_for(engine: AsyncEngine, schema: str, projector: ListProjector, bootstrap: str):
    return ProjectorRunner(
        engine, schema, projector, bootstrap, max_retries=2, retry_backoff=Backoff(0.05, 0.2)
    )


def counted(projector: ListProjector, outcome: str) -> float:
    return PROJECTOR_EVENTS.labels(projector=projector.name, outcome=outcome)._value.get()


async def row_count_is(projector: ListProjector, engine: AsyncEngine, count: int) -> bool:
    return len(await projector.rows(engine)) >= count


async def test_a_relay_killed_mid_batch_still_gives_an_exactly_once_read_model(
    engine: AsyncEngine,
    schema: str,
    topic: str,
    kafka_bootstrap: str,
    unique: Unique,
    spans: InMemorySpanExporter,
) -> None:
    store = PostgresEventStore(engine, schema)
    with tracer().start_as_current_span("command") as command:
        stored = await append_events(store, unique, streams=3, per_stream=7)
        await store.append(unique("other"), "List", 0, [ItemRemoved(item="not projected")])

    # The first relay dies after its second batch reached Kafka, before tracking moved past it.
    killed = asyncio.Event()

    async def die_on_second_batch(batch: Sequence[StoredEvent]) -> None:
        if batch[0].position > 5:
            killed.set()
            await asyncio.Event().wait()  # hangs here until cancelled, like a crashed process

    first = relay_for(engine, schema, topic, kafka_bootstrap, batch_size=5)
    first._on_batch_delivered = die_on_second_batch
    crashed = asyncio.create_task(first.run())
    await asyncio.wait_for(killed.wait(), timeout=30)
    crashed.cancel()
    await asyncio.gather(crashed, return_exceptions=True)
    assert len(await read_topic(kafka_bootstrap, topic)) == 10

    second = relay_for(engine, schema, topic, kafka_bootstrap, batch_size=5)
    assert await second.publish_pending() == len(stored) + 1 - 5
    await second.close()
    assert len(await read_topic(kafka_bootstrap, topic)) == len(stored) + 1 + 5  # duplicates

    projector = ListProjector(schema, [topic])
    await projector.create_table(engine)
    stop = asyncio.Event()
    running = asyncio.create_task(runner_for(engine, schema, projector, kafka_bootstrap).run(stop))
    try:
        await eventually(lambda: _handled(projector, len(stored) + 1 + 5), what="all records")
    finally:
        stop.set()
        await running

    rows = await projector.rows(engine)
    assert sorted(row[0] for row in rows) == sorted(e.event_id for e in stored)  # exactly once
    versions: dict[str, list[int]] = defaultdict(list)
    for _, stream_id, version, *_ in rows:
        versions[stream_id].append(version)
    assert all(v == list(range(1, 8)) for v in versions.values()), versions
    assert counted(projector, "duplicate") == 5
    assert counted(projector, "skipped") == 1  # ItemRemoved: not in the projector's registry

    # One trace: command -> "<topic> publish" (PRODUCER) -> "<topic> process" (CONSUMER).
    finished = spans.get_finished_spans()
    publish = {s.context.span_id: s for s in finished if s.name == f"{topic} publish"}
    process = [s for s in finished if s.name == f"{topic} process"]
    assert len(process) >= len(stored)
    for span in process:
        assert span.kind is SpanKind.CONSUMER
        assert span.context.trace_id == command.get_span_context().trace_id
        assert span.parent is not None
        assert span.parent.span_id in publish
        assert publish[span.parent.span_id].parent.span_id == command.get_span_context().span_id
        assert span.attributes["messaging.consumer.group.name"].endswith(projector.name)


async def _handled(projector: ListProjector, count: int) -> bool:
    outcomes = ("processed", "duplicate", "skipped", "dlq")
    return sum(counted(projector, outcome) for outcome in outcomes) >= count


async def test_poison_messages_go_to_the_dlq_and_the_consumer_goes_on(
    engine: AsyncEngine, schema: str, topic: str, kafka_bootstrap: str
) -> None:
    def record(
        item: str, value: bytes | None = None, headers: list[tuple[str, bytes]] | None = None
    ) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
        event = StoredEvent(
            position=1,
            stream_id="list-1",
            stream_type="List",
            version=1,
            event_id=uuid.uuid4(),
            event_type="pmo.demo.ItemAdded.v1",
            data={"item": item},
            metadata={},
            recorded_at=datetime.now(UTC),
        )
        key, own_value, own_headers = to_kafka_record(event, "demo")
        return key, value or own_value, headers or own_headers

    good_first = record("first")
    good_last = record("last")
    without_type = [(k, v) for k, v in good_last[2] if k != "ce_type"]
    without_type = [(k, v if k != "ce_id" else str(uuid.uuid4()).encode()) for k, v in without_type]
    messages = [
        good_first,
        record("x", value=b"{not json"),
        record("x", headers=without_type),
        record("x", value=orjson.dumps({"item": "x", "quantity": "many"})),
        record("explode"),
        record("x", headers=_retyped(record("x")[2], "pmo.demo.Unknown.v1")),
        good_first,  # a duplicate delivery
        good_last,
    ]
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for key, value, headers in messages:
            await producer.send_and_wait(topic, value=value, key=key, headers=headers)
    finally:
        await producer.stop()

    projector = ListProjector(schema, [topic])
    await projector.create_table(engine)
    runner = runner_for(engine, schema, projector, kafka_bootstrap)
    stop = asyncio.Event()
    running = asyncio.create_task(runner.run(stop))
    try:
        await eventually(lambda: _handled(projector, len(messages)), what="every message handled")
    finally:
        stop.set()
        await running

    assert [row[3] for row in await projector.rows(engine)] == ["first", "last"]
    assert projector.attempts == {"explode": 3}  # first attempt + max_retries
    assert [counted(projector, o) for o in ("processed", "duplicate", "skipped", "dlq")] == [
        2,
        1,
        1,
        4,
    ]
    assert counted(projector, "failed") == 3 + 3  # three undecodable + three failed attempts

    originals = await read_topic(kafka_bootstrap, topic)
    dead = await read_topic(kafka_bootstrap, f"{topic}.dlq")
    assert [int(dict(r.headers)["dlq_original_offset"]) for r in dead] == [1, 2, 3, 4]
    errors = [dict(r.headers)["dlq_error"].decode() for r in dead]
    assert errors[0].startswith("InvalidMessage: the value is not valid JSON")
    assert errors[1].startswith("InvalidMessage: header ce_type is missing")
    assert errors[2].startswith("ValidationError")
    assert errors[3] == "RuntimeError: cannot project 'explode'"
    for letter in dead:
        headers = dict(letter.headers)
        original = originals[int(headers["dlq_original_offset"])]
        assert (letter.key, letter.value) == (original.key, original.value)
        assert letter.headers[: len(original.headers)] == original.headers
        assert headers["dlq_original_topic"] == topic.encode()
        assert headers["dlq_original_partition"] == str(original.partition).encode()
        assert headers["dlq_projector"] == projector.name.encode()

    # Every offset was committed, so a restarted runner starts after the last message.
    partitions = await partitions_of(kafka_bootstrap, [topic])
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, group_id=runner.group_id)
    await consumer.start()
    try:
        committed = {tp: await consumer.committed(tp) for tp in partitions}
        ends = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    assert {tp: committed[tp] or 0 for tp in partitions} == ends


def _retyped(headers: list[tuple[str, bytes]], event_type: str) -> list[tuple[str, bytes]]:
    return [(k, event_type.encode() if k == "ce_type" else v) for k, v in headers]


async def test_rebuild_reproduces_the_live_read_model(
    engine: AsyncEngine, schema: str, topic: str, kafka_bootstrap: str, unique: Unique
) -> None:
    store = PostgresEventStore(engine, schema)
    stored = await append_events(store, unique, streams=4, per_stream=5)
    relay = relay_for(engine, schema, topic, kafka_bootstrap)
    assert await relay.publish_pending() == len(stored)
    await relay.close()

    projector = ListProjector(schema, [topic])
    await projector.create_table(engine)
    runner = runner_for(engine, schema, projector, kafka_bootstrap)
    stop = asyncio.Event()
    running = asyncio.create_task(runner.run(stop))
    try:
        await eventually(lambda: row_count_is(projector, engine, len(stored)))
    finally:
        stop.set()
        await running
    live = await projector.rows(engine)

    applied = await rebuild(engine, schema, projector, kafka_bootstrap, progress=True)
    assert applied == len(stored)
    rebuilt = await projector.rows(engine)
    assert sorted(rebuilt) == sorted(live)

    # The live runner resumes after the rebuild's end offsets: only the new event is applied.
    extra = await store.append(unique("late"), "List", 0, [ItemAdded(item="late")])
    assert await relay.publish_pending() == 1
    await relay.close()
    before = counted(projector, "processed")
    stop = asyncio.Event()
    running = asyncio.create_task(runner_for(engine, schema, projector, kafka_bootstrap).run(stop))
    try:
        await eventually(lambda: row_count_is(projector, engine, len(stored) + 1))
    finally:
        stop.set()
        await running
    assert counted(projector, "processed") == before + 1
    assert counted(projector, "duplicate") == 0
    assert (await projector.rows(engine))[-1][0] == extra[0].event_id


async def test_a_lost_database_connection_is_retried_without_using_up_the_retries(
    engine: AsyncEngine, schema: str, topic: str, kafka_bootstrap: str, unique: Unique
) -> None:
    """The projector's connection is killed in the middle of an apply: that says nothing about the
    record, so it must be retried until it succeeds, even with max_retries=0, not dead-lettered."""
    store = PostgresEventStore(engine, schema)
    stored = await append_events(store, unique, streams=1, per_stream=3)
    relay = relay_for(engine, schema, topic, kafka_bootstrap)
    await relay.publish_pending()
    await relay.close()

    class Disconnecting(ListProjector):
        kills = 0

        async def apply(self, conn, event, payload) -> None:  # type: ignore[no-untyped-def]
            if self.kills < 2:
                self.kills += 1
                await conn.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
            await super().apply(conn, event, payload)

    projector = Disconnecting(schema, [topic])
    await projector.create_table(engine)
    runner = ProjectorRunner(
        engine, schema, projector, kafka_bootstrap, max_retries=0, retry_backoff=Backoff(0.05, 0.1)
    )
    runner.processor.transient_backoff = Backoff(0.05, 0.1)
    stop = asyncio.Event()
    running = asyncio.create_task(runner.run(stop))
    try:
        await eventually(lambda: row_count_is(projector, engine, len(stored)))
    finally:
        stop.set()
        await running
    assert projector.kills == 2
    assert sorted(row[0] for row in await projector.rows(engine)) == sorted(
        e.event_id for e in stored
    )
    assert counted(projector, "dlq") == 0
    assert counted(projector, "failed") == 2
