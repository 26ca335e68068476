"""PostgresEventStore: the contract, commit order under concurrent writers, and its extras."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from pmo_events import (
    ConcurrencyError,
    PostgresEventStore,
    StoredEvent,
    create_event_store_tables,
    drop_event_store_tables,
)
from pmo_events.metrics import EVENTS_APPENDED
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from libs.events.tests.contract import EventStoreContract, Unique
from libs.events.tests.events import ItemAdded

pytestmark = pytest.mark.integration


class TestPostgresEventStore(EventStoreContract):
    @pytest.fixture
    def store(self, engine: AsyncEngine, schema: str) -> PostgresEventStore:
        return PostgresEventStore(engine, schema)


async def test_positions_become_visible_in_commit_order(
    engine: AsyncEngine, schema: str, unique: Unique
) -> None:
    """16 writers append for ~3 s while a reader tails read_all(after=last): every page it reads
    must continue exactly at last + 1 (no rollbacks happen here, so positions have no holes),
    and in the end it has seen every appended event exactly once."""
    store = PostgresEventStore(engine, schema)
    deadline = time.monotonic() + 3.0
    appended: list[StoredEvent] = []
    writers_done = asyncio.Event()

    async def writer(number: int) -> None:
        stream, version = unique(f"writer{number}"), 0
        while time.monotonic() < deadline:
            batch = [ItemAdded(item=str(i)) for i in range(1 + version % 3)]
            appended.extend(await store.append(stream, "List", version, batch))
            version += len(batch)

    async def reader() -> list[StoredEvent]:
        seen: list[StoredEvent] = []
        last = 0
        while True:
            finished = writers_done.is_set()
            page = await store.read_all(last, limit=500)
            expected = list(range(last + 1, last + 1 + len(page)))
            assert [e.position for e in page] == expected, f"reader saw a gap after {last}"
            seen.extend(page)
            last = page[-1].position if page else last
            if finished and not page:
                return seen
            if not page:
                await asyncio.sleep(0)

    reading = asyncio.create_task(reader())
    await asyncio.gather(*(writer(n) for n in range(16)))
    writers_done.set()
    seen = await reading
    assert len(appended) > 100, "the writers barely ran; the test proves nothing"
    assert [e.event_id for e in seen] == [e.event_id for e in sorted(appended, key=_position)]
    assert len({e.event_id for e in seen}) == len(seen)


def _position(event: StoredEvent) -> int:
    return event.position


async def test_append_in_shares_the_callers_transaction(
    engine: AsyncEngine, schema: str, unique: Unique
) -> None:
    store = PostgresEventStore(engine, schema)
    stream = unique("list")
    async with engine.begin() as conn:
        await conn.execute(text(f"CREATE TABLE {schema}.side (note text)"))

    class Boom(Exception):
        pass

    async def append_then_fail() -> None:
        async with engine.begin() as conn:
            await conn.execute(text(f"INSERT INTO {schema}.side VALUES ('rolled back')"))
            await store.append_in(conn, stream, "List", 0, [ItemAdded(item="a")])
            raise Boom

    with pytest.raises(Boom):
        await append_then_fail()
    assert await store.load(stream) == []

    async with engine.begin() as conn:
        await conn.execute(text(f"INSERT INTO {schema}.side VALUES ('kept')"))
        stored = await store.append_in(conn, stream, "List", 0, [ItemAdded(item="a")])
    assert await store.load(stream) == stored
    async with engine.connect() as conn:
        assert (await conn.execute(text(f"SELECT note FROM {schema}.side"))).scalars().all() == [
            "kept"
        ]


async def test_unique_violation_of_a_racing_insert_is_a_concurrency_error(
    engine: AsyncEngine, schema: str, unique: Unique
) -> None:
    """Without the table lock two appends can both pass the version check; the primary key then
    refuses the second, which must surface as a ConcurrencyError, not an IntegrityError."""

    class Unlocked(PostgresEventStore):
        def __init__(self, engine: AsyncEngine, schema: str) -> None:
            super().__init__(engine, schema)
            self._lock = text("SELECT 1")

    store = Unlocked(engine, schema)
    stream = unique("list")
    async with engine.connect() as first:
        await first.begin()
        await store.append_in(first, stream, "List", 0, [ItemAdded(item="first")])
        second = asyncio.create_task(store.append(stream, "List", 0, [ItemAdded(item="second")]))
        await asyncio.sleep(0.5)  # the second insert now waits on the first one's index entry
        assert not second.done()
        await first.commit()
    with pytest.raises(ConcurrencyError) as lost:
        await second
    assert (lost.value.expected, lost.value.actual) == (0, 1)
    assert [e.data["item"] for e in await store.load(stream)] == ["first"]


async def test_append_notifies_the_schema_channel_with_the_last_position(
    engine: AsyncEngine, schema: str, unique: Unique
) -> None:
    store = PostgresEventStore(engine, schema)
    received: asyncio.Queue[str] = asyncio.Queue()
    async with engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        await driver.add_listener(f"{schema}_events", lambda *args: received.put_nowait(args[3]))
        stored = await store.append(unique("list"), "List", 0, [ItemAdded(item="a")] * 3)
        payload = await asyncio.wait_for(received.get(), timeout=5)
        await asyncio.sleep(0.2)
        await conn.invalidate()  # drop the LISTENing session instead of pooling it
    assert payload == str(stored[-1].position)
    assert received.empty(), "one append must notify once"


async def test_appended_events_are_counted(
    engine: AsyncEngine, schema: str, unique: Unique
) -> None:
    store = PostgresEventStore(engine, schema)
    counter = EVENTS_APPENDED.labels(schema=schema)
    before = counter._value.get()
    await store.append(unique("list"), "List", 0, [ItemAdded(item="a"), ItemAdded(item="b")])
    assert counter._value.get() == before + 2


async def test_tables_are_created_and_dropped_in_any_schema(engine: AsyncEngine) -> None:
    name = f"ddl_{uuid.uuid4().hex[:8]}"
    async with engine.begin() as conn:
        await conn.execute(text(f"CREATE SCHEMA {name}"))
        await conn.run_sync(create_event_store_tables, name)
        await conn.run_sync(create_event_store_tables, name)  # idempotent
        tables = await conn.run_sync(lambda sync: inspect(sync).get_table_names(schema=name))
        assert sorted(tables) == ["events", "projection_tracking", "relay_tracking"]
        identity = await conn.execute(
            text(
                "SELECT is_identity, identity_generation FROM information_schema.columns "
                "WHERE table_schema = :schema AND table_name = 'events'"
                " AND column_name = 'position'"
            ),
            {"schema": name},
        )
        assert identity.one() == ("YES", "ALWAYS")
        await conn.run_sync(drop_event_store_tables, name)
        tables = await conn.run_sync(lambda sync: inspect(sync).get_table_names(schema=name))
        assert tables == []
        await conn.execute(text(f"DROP SCHEMA {name}"))
