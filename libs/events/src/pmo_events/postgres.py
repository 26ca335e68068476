"""PostgreSQL event store (SQLAlchemy Core on asyncpg).

Why positions follow commit order: every append takes ``LOCK TABLE <schema>.events IN EXCLUSIVE
MODE`` before inserting. The lock conflicts with other appends (ROW EXCLUSIVE and up) but not with
readers (ACCESS SHARE), and it is held until commit, so appends allocate their identity positions
and commit one after another: a reader can never see position N+1 while N is still uncommitted.
A rolled-back append leaves a permanent hole in the positions, never a late arrival.

An append is three round trips inside the transaction: the lock; one statement that checks the
expected version, inserts every event (``INSERT ... SELECT FROM unnest(arrays)``), returns the
positions and notifies ``<schema>_events`` with the last position; and the commit. A mismatch
inserts nothing and becomes a ConcurrencyError.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Integer, Row, Text, bindparam, cast, column, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from pmo_events.errors import ConcurrencyError, Conflict
from pmo_events.metrics import EVENTS_APPENDED
from pmo_events.registry import DomainEvent
from pmo_events.store import EventStore, NewEvent, StoredEvent
from pmo_events.tables import EventStoreTables, FastJSONB, tables_for

__all__ = ["DuplicateEventId", "PostgresEventStore"]


class DuplicateEventId(Conflict):
    """An event with this id is already stored: the command that produced it already ran."""

    def __init__(self, event_ids: Sequence[uuid.UUID]) -> None:
        ids = ", ".join(str(event_id) for event_id in event_ids)
        super().__init__(
            f"event id {ids} is already stored, so this command was already applied; "
            "reload the stream instead of appending again (or give new events fresh ids)"
        )
        self.event_ids = list(event_ids)


class PostgresEventStore(EventStore):
    def __init__(self, engine: AsyncEngine, schema: str) -> None:
        self.engine = engine
        self.schema = schema
        self.tables: EventStoreTables = tables_for(schema)
        self._lock = text(f'LOCK TABLE "{schema}".events IN EXCLUSIVE MODE')
        self._appended = EVENTS_APPENDED.labels(schema=schema)
        self._insert = self._build_insert()

    async def append(
        self,
        stream_id: str,
        stream_type: str,
        expected_version: int,
        events: Sequence[DomainEvent | NewEvent],
        *,
        metadata: Mapping[str, Any] | None = None,
    ) -> list[StoredEvent]:
        async with self.engine.begin() as conn:
            return await self.append_in(
                conn, stream_id, stream_type, expected_version, events, metadata=metadata
            )

    async def append_in(
        self,
        conn: AsyncConnection,
        stream_id: str,
        stream_type: str,
        expected_version: int,
        events: Sequence[DomainEvent | NewEvent],
        *,
        metadata: Mapping[str, Any] | None = None,
    ) -> list[StoredEvent]:
        """Append inside the caller's transaction (e.g. with a read-model or outbox write).

        The table lock is held until the caller commits, which blocks every other append of this
        service meanwhile: do the other writes first and commit right after appending.
        """
        if expected_version < 0:
            raise ValueError(
                f"expected_version must be 0 (new stream) or more, not {expected_version}"
            )
        if not events:
            return []
        new_events = [NewEvent.of(event) for event in events]
        rows = [
            (
                stream_id,
                stream_type,
                expected_version + index,
                event.event_id,
                event.event_type,
                event.data(),
                event.full_metadata(metadata),
            )
            for index, event in enumerate(new_events, start=1)
        ]
        try:
            await conn.execute(self._lock)
            params = {
                "stream_id": stream_id,
                "stream_type": stream_type,
                "expected_version": expected_version,
                "versions": [row[2] for row in rows],
                "event_ids": [row[3] for row in rows],
                "event_types": [row[4] for row in rows],
                "data": [row[5] for row in rows],
                "metadata": [row[6] for row in rows],
            }
            returned = (await conn.execute(self._insert, params)).all()
        except IntegrityError as exc:
            raise await self._integrity_error(exc, stream_id, expected_version, new_events) from exc
        if not returned:
            actual = await self._current_version(conn, stream_id)
            raise ConcurrencyError(stream_id, expected_version, actual)
        self._appended.inc(len(returned))
        inserted = {row.version: row for row in returned}
        return [
            StoredEvent(
                position=inserted[version].position,
                stream_id=stream_id,
                stream_type=stream_type,
                version=version,
                event_id=event_id,
                event_type=event_type,
                data=data,
                metadata=meta,
                recorded_at=inserted[version].recorded_at,
            )
            for (_, _, version, event_id, event_type, data, meta) in rows
        ]

    async def load(self, stream_id: str, *, after_version: int = 0) -> list[StoredEvent]:
        async with self.engine.connect() as conn:
            return await self.load_in(conn, stream_id, after_version=after_version)

    async def load_in(
        self, conn: AsyncConnection, stream_id: str, *, after_version: int = 0
    ) -> list[StoredEvent]:
        """`load` inside the caller's transaction (it sees what that transaction sees)."""
        events = self.tables.events
        query = (
            select(events)
            .where(events.c.stream_id == stream_id, events.c.version > after_version)
            .order_by(events.c.version)
        )
        return [_stored(row) for row in await conn.execute(query)]

    async def read_all(self, after_position: int = 0, limit: int = 1000) -> list[StoredEvent]:
        async with self.engine.connect() as conn:
            return await self.read_all_in(conn, after_position, limit)

    async def read_all_in(
        self, conn: AsyncConnection, after_position: int = 0, limit: int = 1000
    ) -> list[StoredEvent]:
        if limit < 1:
            raise ValueError(f"limit must be 1 or more, not {limit}")
        events = self.tables.events
        query = (
            select(events)
            .where(events.c.position > after_position)
            .order_by(events.c.position)
            .limit(limit)
        )
        return [_stored(row) for row in await conn.execute(query)]

    async def stream_version(self, stream_id: str) -> int:
        async with self.engine.connect() as conn:
            return await self._current_version(conn, stream_id)

    async def head_position(self) -> int:
        events = self.tables.events
        async with self.engine.connect() as conn:
            head = await conn.scalar(select(func.coalesce(func.max(events.c.position), 0)))
        return int(head or 0)

    def _build_insert(self) -> Any:
        """INSERT ... SELECT FROM unnest(arrays) guarded by the version check, plus the NOTIFY.

        Arrays (not a multi-row VALUES) keep the statement identical for any number of events, so
        SQLAlchemy compiles it once and asyncpg prepares it once per connection.
        """
        events = self.tables.events
        new = (
            func.unnest(
                bindparam("versions", type_=ARRAY(Integer)),
                bindparam("event_ids", type_=ARRAY(UUID(as_uuid=True))),
                bindparam("event_types", type_=ARRAY(Text)),
                bindparam("data", type_=ARRAY(FastJSONB)),
                bindparam("metadata", type_=ARRAY(FastJSONB)),
            )
            .table_valued(
                column("version", Integer),
                column("event_id", UUID(as_uuid=True)),
                column("event_type", Text),
                column("data", FastJSONB),
                column("metadata", FastJSONB),
            )
            .render_derived(name="new")
        )
        stream_id = bindparam("stream_id", type_=Text)
        current = (
            select(func.coalesce(func.max(events.c.version), 0))
            .where(events.c.stream_id == stream_id)
            .scalar_subquery()
        )
        rows = select(
            stream_id,
            bindparam("stream_type", type_=Text),
            new.c.version,
            new.c.event_id,
            new.c.event_type,
            new.c.data,
            new.c.metadata,
        ).where(current == bindparam("expected_version", type_=Integer))
        names = [
            "stream_id",
            "stream_type",
            "version",
            "event_id",
            "event_type",
            "data",
            "metadata",
        ]
        inserted = (
            events.insert()
            .from_select(names, rows)
            .returning(events.c.position, events.c.version, events.c.recorded_at)
            .cte("inserted")
        )
        last = select(func.max(inserted.c.position)).scalar_subquery()
        # Identical payloads within one transaction are delivered once: one NOTIFY per append.
        notify = func.pg_notify(self.tables.notify_channel, cast(last, Text))
        return select(inserted.c.position, inserted.c.version, inserted.c.recorded_at, notify)

    async def _current_version(self, conn: AsyncConnection, stream_id: str) -> int:
        events = self.tables.events
        version = await conn.scalar(
            select(func.coalesce(func.max(events.c.version), 0)).where(
                events.c.stream_id == stream_id
            )
        )
        return int(version or 0)

    async def _integrity_error(
        self,
        exc: IntegrityError,
        stream_id: str,
        expected_version: int,
        new_events: Sequence[NewEvent],
    ) -> Exception:
        constraint = _constraint_name(exc)
        if constraint == "events_pkey":
            # Another append took these versions first (only possible without the table lock, e.g.
            # a store on a table whose lock was bypassed): the same outcome as a version mismatch.
            return ConcurrencyError(
                stream_id, expected_version, await self.stream_version(stream_id)
            )
        if constraint == "events_event_id_key":
            return DuplicateEventId([event.event_id for event in new_events])
        return exc


def _constraint_name(exc: IntegrityError) -> str | None:
    driver_error = getattr(exc.orig, "driver_exception", None) or getattr(
        exc.orig, "__cause__", None
    )
    name = getattr(driver_error, "constraint_name", None)
    return name if isinstance(name, str) else None


def _stored(row: Row[Any]) -> StoredEvent:
    return StoredEvent(
        position=row.position,
        stream_id=row.stream_id,
        stream_type=row.stream_type,
        version=row.version,
        event_id=row.event_id,
        event_type=row.event_type,
        data=row.data,
        metadata=row._mapping["metadata"],
        recorded_at=row.recorded_at,
    )
