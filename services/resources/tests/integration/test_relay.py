"""The service's relay publishes its events on `<namespace>.resources.events`: keyed by stream id,
CloudEvents headers naming the type, the JSON payload as value."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from pmo_resources.settings import ResourcesSettings

from tests.platform import wait_for

from .conftest import Api


@pytest.fixture
async def consumer(resources_settings: ResourcesSettings) -> AsyncIterator[AIOKafkaConsumer]:
    reader = AIOKafkaConsumer(
        resources_settings.topic("resources"),
        bootstrap_servers=resources_settings.kafka_bootstrap,
        group_id=f"resources-relay-test-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await reader.start()
    try:
        yield reader
    finally:
        await reader.stop()


async def test_an_onboarding_reaches_the_resources_topic(
    api: Api, consumer: AIOKafkaConsumer
) -> None:
    person = await api.person()
    seen: list[ConsumerRecord[bytes, bytes]] = []

    async def published() -> ConsumerRecord[bytes, bytes] | None:
        batches = await consumer.getmany(timeout_ms=500)
        seen.extend(record for records in batches.values() for record in records)
        return next((r for r in seen if r.key == person["id"].encode()), None)

    record = await wait_for(published, within=30, what="the PersonOnboarded message")
    headers = {name: value.decode() for name, value in record.headers}
    assert headers["ce_type"] == "pmo.resources.PersonOnboarded.v1"
    assert headers["ce_source"] == "/pmo/resources"
    assert headers["ce_subject"] == person["id"]
    assert json.loads(record.value)["email"] == person["email"]
