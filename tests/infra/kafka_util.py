"""Small Kafka helpers for infrastructure tests: a throwaway topic and one round trip through it."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic


async def round_trip(bootstrap: str, timeout_s: float = 60) -> tuple[bytes | None, bytes | None]:
    """Create a unique topic, produce one keyed message, consume it back; delete the topic.

    Returns the (key, value) read back. A unique topic keeps the shared broker's topics untouched.
    """
    topic = f"pmo.infra-test.{uuid.uuid4().hex[:12]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 1, 1)])
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
        await producer.start()
        try:
            await producer.send_and_wait(topic, b"hello", key=b"stream-1")
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            group_id=f"infra-test-{uuid.uuid4().hex[:8]}",
            auto_offset_reset="earliest",
        )
        await consumer.start()
        try:
            message = await asyncio.wait_for(consumer.getone(), timeout_s)
        finally:
            await consumer.stop()
        return message.key, message.value
    finally:
        await admin.delete_topics([topic])
        await admin.close()
