"""Kafka topic administration used by tools and tests (aiokafka admin client)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

__all__ = ["DOMAIN_TOPIC_CONFIG", "ensure_topics", "partitions_of"]

# Domain topics keep every event forever so read models can be rebuilt from offset zero.
DOMAIN_TOPIC_CONFIG: Mapping[str, str] = {"retention.ms": "-1"}
_TOPIC_ALREADY_EXISTS = 36
_UNKNOWN_TOPIC = 3


async def ensure_topics(
    bootstrap_servers: str,
    topics: Sequence[str],
    partitions: int = 6,
    *,
    replication_factor: int = 1,
    config: Mapping[str, str] | None = None,
    leader_wait: float = 30.0,
) -> list[str]:
    """Create the topics that do not exist yet; returns the names created.

    Existing topics are left as they are (their partition count is not changed). Waits until
    every partition of every topic has a leader, so producing right after does not fail.
    """
    configs = dict(DOMAIN_TOPIC_CONFIG if config is None else config)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        response = await admin.create_topics(
            [
                NewTopic(name, partitions, replication_factor, topic_configs=configs)
                for name in topics
            ]
        )
        created: list[str] = []
        for name, code, message in _topic_errors(response):
            if code == 0:
                created.append(name)
            elif code != _TOPIC_ALREADY_EXISTS:
                raise RuntimeError(
                    f"creating Kafka topic {name} failed (error {code}: {message}); "
                    f"check that the broker at {bootstrap_servers} allows topic creation"
                )
        await _wait_for_leaders(admin, topics, leader_wait)
        return created
    finally:
        await admin.close()


async def partitions_of(bootstrap_servers: str, topics: Sequence[str]) -> list[TopicPartition]:
    """Every partition of the topics; raises LookupError for a topic that does not exist."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics))
    finally:
        await admin.close()
    result: list[TopicPartition] = []
    for topic in described:
        if topic["error_code"] == _UNKNOWN_TOPIC or not topic["partitions"]:
            raise LookupError(
                f"Kafka topic {topic['topic']} does not exist; create it first "
                "(deploy/local/kafka.sh up, or pmo_events.ensure_topics)"
            )
        result.extend(TopicPartition(topic["topic"], p["partition"]) for p in topic["partitions"])
    return sorted(result)


def _topic_errors(response: Any) -> list[tuple[str, int, str | None]]:
    return [(str(e[0]), int(e[1]), e[2] if len(e) > 2 else None) for e in response.topic_errors]


async def _wait_for_leaders(
    admin: AIOKafkaAdminClient, topics: Sequence[str], seconds: float
) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        described = await admin.describe_topics(list(topics))
        if all(
            topic["error_code"] == 0
            and topic["partitions"]
            and all(p["leader"] >= 0 for p in topic["partitions"])
            for topic in described
        ):
            return
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(
                f"Kafka topics {', '.join(topics)} have no leader after {seconds:.0f}s; "
                "check the broker's health"
            )
        await asyncio.sleep(0.2)
