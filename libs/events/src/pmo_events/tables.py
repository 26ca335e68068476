"""The event store's tables in a service's schema, defined once, plus their DDL helpers.

Layout (docs/architecture.md):

- ``events``: the event log and the outbox. Primary key ``(stream_id, version)``; ``position`` is a
  ``bigint GENERATED ALWAYS AS IDENTITY`` that follows commit order because appends take a table
  lock (see ``postgres.py``).
- ``relay_tracking(topic, position)``: the last position the relay published to a topic.
- ``projection_tracking(projector, event_id)``: the events each projector has applied.

Services create them from an Alembic migration::

    def upgrade() -> None:
        create_event_store_tables(op, "portfolio")

    def downgrade() -> None:
        drop_event_store_tables(op, "portfolio")
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

import orjson
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Connection,
    DateTime,
    Dialect,
    Identity,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.schema import CreateSchema
from sqlalchemy.types import TypeDecorator

__all__ = [
    "EventStoreTables",
    "create_event_store_tables",
    "drop_event_store_tables",
    "install",
    "tables_for",
]


class FastJSONB(TypeDecorator[Any]):
    """JSONB bound with orjson (several times faster than json.dumps on the append path).

    Reading is unchanged: asyncpg decodes jsonb with the engine's ``json_deserializer``.
    """

    impl = JSONB
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> Any:
        # Replaces (rather than wraps) JSONB's processor, which would json.dumps the string again.
        def process(value: Any) -> str | None:
            return None if value is None else orjson.dumps(value).decode()

        return process


@dataclass(frozen=True, slots=True)
class EventStoreTables:
    schema: str
    metadata: MetaData
    events: Table
    relay_tracking: Table
    projection_tracking: Table

    @property
    def notify_channel(self) -> str:
        """The LISTEN/NOTIFY channel an append signals: ``<schema>_events``."""
        return f"{self.schema}_events"


@cache
def tables_for(schema: str) -> EventStoreTables:
    """The table objects bound to ``schema`` (cached: one MetaData per schema)."""
    if not schema.isidentifier() or schema.lower() != schema:
        raise ValueError(
            f"schema {schema!r} must be a lower-case SQL identifier (letters, digits, _)"
        )
    metadata = MetaData(schema=schema)
    events = Table(
        "events",
        metadata,
        Column("position", BigInteger, Identity(always=True), nullable=False),
        Column("stream_id", Text, nullable=False),
        Column("stream_type", Text, nullable=False),
        Column("version", Integer, nullable=False),
        Column("event_id", UUID(as_uuid=True), nullable=False),
        Column("event_type", Text, nullable=False),
        Column("data", FastJSONB, nullable=False),
        Column("metadata", FastJSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        PrimaryKeyConstraint("stream_id", "version", name="events_pkey"),
        UniqueConstraint("position", name="events_position_key"),
        UniqueConstraint("event_id", name="events_event_id_key"),
        CheckConstraint("version > 0", name="events_version_check"),
    )
    relay_tracking = Table(
        "relay_tracking",
        metadata,
        Column("topic", Text, primary_key=True),
        Column("position", BigInteger, nullable=False, server_default=text("0")),
    )
    projection_tracking = Table(
        "projection_tracking",
        metadata,
        Column("projector", Text, nullable=False),
        Column("event_id", UUID(as_uuid=True), nullable=False),
        PrimaryKeyConstraint("projector", "event_id", name="projection_tracking_pkey"),
    )
    return EventStoreTables(schema, metadata, events, relay_tracking, projection_tracking)


class _HasBind(Protocol):
    """What we use of ``alembic.op`` (kept structural so this library needs no Alembic)."""

    def get_bind(self) -> Connection: ...


def _connection(target: Connection | _HasBind) -> Connection:
    return target if isinstance(target, Connection) else target.get_bind()


def create_event_store_tables(target: Connection | _HasBind, schema: str) -> None:
    """Create the event store tables in ``schema`` (which must exist); skips existing tables.

    ``target`` is ``alembic.op`` or a synchronous SQLAlchemy Connection (inside
    ``AsyncConnection.run_sync``).
    """
    tables_for(schema).metadata.create_all(_connection(target), checkfirst=True)


def drop_event_store_tables(target: Connection | _HasBind, schema: str) -> None:
    """Drop the event store tables from ``schema`` (the data is lost)."""
    tables_for(schema).metadata.drop_all(_connection(target), checkfirst=True)


async def install(engine: AsyncEngine, schema: str) -> EventStoreTables:
    """Create ``schema`` and its tables if missing (tests and tools; services use migrations)."""
    async with engine.begin() as conn:
        await conn.execute(CreateSchema(schema, if_not_exists=True))
        await conn.run_sync(create_event_store_tables, schema)
    return tables_for(schema)
