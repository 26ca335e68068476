"""pmo_events: event sourcing and messaging for the PMO services.

Registry and schemas of event payloads, the Postgres event store, the CloudEvents envelope, the
outbox relay and the projector runner. See libs/events/README.md for the contracts.
"""

from pmo_events.backoff import Backoff
from pmo_events.dlq import DeadLetterPublisher
from pmo_events.envelope import (
    InvalidMessage,
    KafkaRecord,
    ReceivedEvent,
    from_consumer_record,
    from_kafka_record,
    to_kafka_record,
)
from pmo_events.errors import ConcurrencyError
from pmo_events.postgres import DuplicateEventId, PostgresEventStore
from pmo_events.projector import Outcome, Projector
from pmo_events.rebuild import rebuild
from pmo_events.registry import DomainEvent, EventRegistry, UnknownEventType, event_type_of
from pmo_events.relay import OutboxRelay
from pmo_events.runner import ProjectorRunner, default_group_id
from pmo_events.schemas import check as check_schemas
from pmo_events.schemas import export_schemas
from pmo_events.store import EventStore, NewEvent, StoredEvent
from pmo_events.tables import (
    EventStoreTables,
    create_event_store_tables,
    drop_event_store_tables,
    install,
    tables_for,
)
from pmo_events.topics import ensure_topics

__all__ = [
    "Backoff",
    "ConcurrencyError",
    "DeadLetterPublisher",
    "DomainEvent",
    "DuplicateEventId",
    "EventRegistry",
    "EventStore",
    "EventStoreTables",
    "InvalidMessage",
    "KafkaRecord",
    "NewEvent",
    "OutboxRelay",
    "Outcome",
    "PostgresEventStore",
    "Projector",
    "ProjectorRunner",
    "ReceivedEvent",
    "StoredEvent",
    "UnknownEventType",
    "check_schemas",
    "create_event_store_tables",
    "default_group_id",
    "drop_event_store_tables",
    "ensure_topics",
    "event_type_of",
    "export_schemas",
    "from_consumer_record",
    "from_kafka_record",
    "install",
    "rebuild",
    "tables_for",
    "to_kafka_record",
]
