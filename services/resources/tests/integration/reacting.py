"""Portfolio CloudEvents for the reaction tests, published to the session's real portfolio topic
(as the portfolio relay would: `pmo_events.envelope.to_kafka_record`), and `settled`: waiting
until resources' portfolio consumers have committed everything on the topic."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from pmo_events.envelope import to_kafka_record
from pmo_events.store import StoredEvent
from pmo_events.topics import partitions_of
from pmo_resources.app.reactions import PROJECTOR_NAME
from pmo_resources.projections.demand import InitiativeTitlesProjector
from pmo_resources.settings import ResourcesSettings

from tests.platform import wait_for

CORRELATION = "correlation-of-the-portfolio-command"


def portfolio_event(
    initiative_id: str, event_type: str, data: dict[str, Any], *, version: int = 1
) -> StoredEvent:
    return StoredEvent(
        position=version,
        stream_id=initiative_id,
        stream_type="Initiative",
        version=version,
        event_id=uuid.uuid4(),
        event_type=event_type,
        data=data,
        metadata={"correlation_id": CORRELATION, "causation_id": CORRELATION},
        recorded_at=datetime.now(UTC),
    )


def proposed_v1(initiative_id: str, title: str) -> StoredEvent:
    return portfolio_event(
        initiative_id,
        "pmo.portfolio.InitiativeProposed.v1",
        {
            "initiative_id": initiative_id,
            "title": title,
            "hypothesis": "",
            "owner": "owner",
            "portfolio_id": "portfolio-retail",
            "proposed_by": "u",
            "proposed_at": datetime(2026, 10, 1, tzinfo=UTC).isoformat(),
        },
    )


def decided(
    initiative_id: str,
    decision: str,
    *,
    period: str | None = "2030-Q1",
    amount: str | None = "250000.00",
    at: datetime = datetime(2026, 11, 2, 9, tzinfo=UTC),
) -> StoredEvent:
    return portfolio_event(
        initiative_id,
        "pmo.portfolio.DecisionRecorded.v1",
        {
            "initiative_id": initiative_id,
            "decision_id": str(uuid.uuid4()),
            "portfolio_id": "portfolio-retail",
            "decision": decision,
            "rationale": "Strong case",
            "decided_by": "pmo-lead",
            "decided_at": at.isoformat(),
            "review_id": None,
            "period": period if decision == "APPROVE" else None,
            "committed_amount": amount if decision == "APPROVE" else None,
            "currency": "EUR" if decision == "APPROVE" else None,
        },
        version=3,
    )


def moved(initiative_id: str, source: str, target: str, at: datetime) -> StoredEvent:
    return portfolio_event(
        initiative_id,
        "pmo.portfolio.InitiativeMoved.v1",
        {
            "initiative_id": initiative_id,
            "portfolio_id": "portfolio-retail",
            "from_state": source,
            "to_state": target,
            "reason": "Strategy changed" if target == "CANCELLED" else None,
            "moved_by": "pmo-lead",
            "moved_at": at.isoformat(),
        },
        version=4,
    )


async def publish(producer: AIOKafkaProducer, topic: str, *events: StoredEvent) -> None:
    for event in events:
        record = to_kafka_record(event, "portfolio")
        await producer.send_and_wait(topic, record.value, key=record.key, headers=record.headers)


async def settled(settings: ResourcesSettings) -> None:
    """Wait until both portfolio consumers of resources have committed the topic's end offsets:
    every record published so far is processed (or skipped, or dead-lettered)."""
    topic = settings.topic("portfolio")
    partitions = await partitions_of(settings.kafka_bootstrap, [topic])
    probe = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
    await probe.start()
    try:
        end = await probe.end_offsets(partitions)
    finally:
        await probe.stop()
    groups = [
        settings.consumer_group(name) for name in (PROJECTOR_NAME, InitiativeTitlesProjector.name)
    ]
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:

        async def committed_everything() -> bool:
            for group in groups:
                offsets = await admin.list_consumer_group_offsets(group)
                for partition, last in end.items():
                    done = offsets.get(partition)
                    if last > 0 and (done is None or done.offset < last):
                        return False
            return True

        await wait_for(committed_everything, within=60, interval=0.1, what="reactions settled")
    finally:
        await admin.close()
