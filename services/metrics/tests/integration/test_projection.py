"""Metrics projects portfolio events from Kafka and serves them on the Initiative entity."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from fastapi import FastAPI
from pmo_events.envelope import to_kafka_record
from pmo_events.store import StoredEvent
from pmo_metrics.projections.initiative_flow import initiative_flow
from pmo_metrics.service import definition, rebuild
from pmo_metrics.settings import MetricsSettings
from pmo_service.app import create_app

from tests.platform import bearer, wait_for

ENTITIES = """query($r: [_Any!]!) {
  _entities(representations: $r) { ... on Initiative { id flowMetrics { state transitions } } }
}"""


@pytest.fixture(scope="module")
async def app(metrics_settings: MetricsSettings) -> AsyncIterator[FastAPI]:
    application = create_app(definition, metrics_settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="module")
async def producer(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    yield producer
    await producer.stop()


def proposed(initiative_id: str) -> StoredEvent:
    return StoredEvent(
        position=1,
        stream_id=initiative_id,
        stream_type="Initiative",
        version=1,
        event_id=uuid.uuid4(),
        event_type="pmo.portfolio.InitiativeProposed.v1",
        data={
            "initiative_id": initiative_id,
            "title": "t",
            "hypothesis": "",
            "owner": "o",
            "portfolio_id": None,
            "proposed_by": "u",
            "proposed_at": datetime(2026, 11, 1, tzinfo=UTC).isoformat(),
        },
        metadata={},
        recorded_at=datetime.now(UTC),
    )


async def publish(producer: AIOKafkaProducer, topic: str, event: StoredEvent) -> None:
    record = to_kafka_record(event, "portfolio")
    await producer.send_and_wait(topic, record.value, key=record.key, headers=record.headers)


async def flow_of(app: FastAPI, settings: MetricsSettings, ids: list[str]) -> list[Any]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://metrics") as client:
        response = await client.post(
            "/graphql",
            json={
                "query": ENTITIES,
                "variables": {"r": [{"__typename": "Initiative", "id": i} for i in ids]},
            },
            headers=bearer(settings, "viewer"),
        )
    entities: list[Any] = response.json()["data"]["_entities"]
    return entities


async def test_a_proposed_initiative_gets_flow_metrics_once_even_if_delivered_twice(
    app: FastAPI, producer: AIOKafkaProducer, metrics_settings: MetricsSettings
) -> None:
    topic = metrics_settings.topic("portfolio")
    initiative_id = str(uuid.uuid4())
    event = proposed(initiative_id)
    await publish(producer, topic, event)
    await publish(producer, topic, event)  # an at-least-once redelivery

    async def projected() -> Any:
        [entity] = await flow_of(app, metrics_settings, [initiative_id])
        return entity["flowMetrics"]

    metrics = await wait_for(projected, what="the initiative in the metrics read model")
    assert metrics == {"state": "FUNNEL", "transitions": 0}
    async with app.state.runtime.engine.connect() as conn:
        tracked = await conn.scalar(
            sa.text("select count(*) from projection_tracking where event_id = :e"),
            {"e": event.event_id},
        )
    assert tracked == 1


async def test_a_malformed_record_goes_to_the_dlq_and_the_next_one_is_projected(
    app: FastAPI,
    producer: AIOKafkaProducer,
    metrics_settings: MetricsSettings,
    kafka_bootstrap: str,
) -> None:
    topic = metrics_settings.topic("portfolio")
    bad = to_kafka_record(proposed("bad"), "portfolio")
    await producer.send_and_wait(topic, b"{not json", key=b"bad", headers=bad.headers)
    good_id = str(uuid.uuid4())
    await publish(producer, topic, proposed(good_id))

    async def projected() -> Any:
        return (await flow_of(app, metrics_settings, [good_id]))[0]["flowMetrics"]

    await wait_for(projected, what="the record after the poison one")
    consumer = AIOKafkaConsumer(
        f"{topic}.dlq", bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        batches = await consumer.getmany(timeout_ms=5000)
    finally:
        await consumer.stop()
    dead = [record for records in batches.values() for record in records]
    assert [record.value for record in dead] == [b"{not json"]
    headers = dict(dead[0].headers)
    assert headers["dlq_original_topic"].decode() == topic
    assert b"JSON" in headers["dlq_error"] or b"json" in headers["dlq_error"]


async def test_rebuild_from_offset_zero_gives_the_same_read_model(
    app: FastAPI, metrics_settings: MetricsSettings
) -> None:
    runtime = app.state.runtime

    async def snapshot() -> list[tuple[object, ...]]:
        async with runtime.engine.connect() as conn:
            rows = await conn.execute(sa.select(initiative_flow).order_by("initiative_id"))
            return [tuple(row) for row in rows]

    before = await snapshot()
    assert before, "the earlier tests projected initiatives"
    await rebuild(runtime)
    assert await snapshot() == before


async def test_initiatives_by_state_counts_the_read_model(
    app: FastAPI, metrics_settings: MetricsSettings
) -> None:
    async with app.state.runtime.engine.connect() as conn:
        # The session's portfolio tests publish to the same topics: count whatever is there.
        rows = await conn.execute(
            sa.select(initiative_flow.c.state, sa.func.count())
            .group_by(initiative_flow.c.state)
            .order_by(initiative_flow.c.state)
        )
        expected = [{"state": state, "count": count} for state, count in rows]
    assert expected, "the earlier tests projected initiatives"
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://metrics") as client:
        response = await client.post(
            "/graphql",
            json={"query": "{ initiativesByState { state count } }"},
            headers=bearer(metrics_settings, "viewer"),
        )
    assert response.json()["data"]["initiativesByState"] == expected


async def test_moves_update_the_state_and_count_transitions(
    app: FastAPI, producer: AIOKafkaProducer, metrics_settings: MetricsSettings
) -> None:
    topic = metrics_settings.topic("portfolio")
    initiative_id = str(uuid.uuid4())
    await publish(producer, topic, proposed(initiative_id))
    for version, (source, target) in enumerate(
        [("FUNNEL", "REVIEWING"), ("REVIEWING", "ANALYZING")], start=2
    ):
        moved = StoredEvent(
            position=version,
            stream_id=initiative_id,
            stream_type="Initiative",
            version=version,
            event_id=uuid.uuid4(),
            event_type="pmo.portfolio.InitiativeMoved.v1",
            data={
                "initiative_id": initiative_id,
                "portfolio_id": "p",
                "from_state": source,
                "to_state": target,
                "reason": None,
                "moved_by": "u",
                "moved_at": datetime(2026, 11, version, tzinfo=UTC).isoformat(),
            },
            metadata={},
            recorded_at=datetime.now(UTC),
        )
        await publish(producer, topic, moved)

    async def moved_twice() -> Any:
        [entity] = await flow_of(app, metrics_settings, [initiative_id])
        flow = entity["flowMetrics"]
        return flow if flow and flow["transitions"] == 2 else None

    assert await wait_for(moved_twice, what="two moves projected") == {
        "state": "ANALYZING",
        "transitions": 2,
    }
