"""The unit of work: load aggregates, project and append their events in one transaction."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from pmo_events import DomainEvent, PostgresEventStore
from pmo_events.aggregate import Aggregate
from pmo_events.errors import ConcurrencyError, InvalidInput, NotFound
from pmo_events.unit_of_work import StreamKinds, Transaction, UnitOfWork, retry_on_conflict
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from .events import ItemAdded, ItemRemoved, demo


@dataclass(kw_only=True)
class ShoppingList(Aggregate):
    STREAM_TYPE = "ShoppingList"
    items: dict[str, int] = field(default_factory=dict)

    def add(self, item: str, quantity: int) -> None:
        self._record(ItemAdded(item=item, quantity=quantity))

    def remove(self, item: str) -> None:
        if item not in self.items:
            raise InvalidInput(f"{item!r} is not on the list")
        self._record(ItemRemoved(item=item))

    def _when(self, event: DomainEvent) -> None:
        match event:
            case ItemAdded():
                self.items[event.item] = self.items.get(event.item, 0) + event.quantity
            case ItemRemoved():
                del self.items[event.item]
            case _:
                self._unexpected(event)


@dataclass(kw_only=True)
class Pantry(ShoppingList):
    STREAM_TYPE = "Pantry"


KINDS = StreamKinds({"ShoppingList": "shopping list", "Pantry": "pantry"})


@pytest.fixture
async def uow(engine: AsyncEngine, schema: str) -> UnitOfWork[Transaction]:
    async with engine.begin() as conn:
        await conn.execute(text(f'CREATE TABLE "{schema}".seen (item text, version int)'))

    async def project(conn: AsyncConnection, event: DomainEvent, version: int) -> None:
        if isinstance(event, ItemAdded):
            await conn.execute(
                text(f'INSERT INTO "{schema}".seen VALUES (:item, :version)'),
                {"item": event.item, "version": version},
            )

    return UnitOfWork(
        engine,
        PostgresEventStore(engine, schema),
        registry=demo,
        project=project,
        kinds=KINDS,
        transaction_type=Transaction,
    )


async def _seen(uow: UnitOfWork[Transaction]) -> list[tuple[str, int]]:
    async with uow.engine.connect() as conn:
        rows = await conn.execute(
            text(f'SELECT item, version FROM "{uow.store.schema}".seen ORDER BY version')
        )
        return [(row.item, row.version) for row in rows]


async def test_saved_events_are_projected_and_appended_together(
    uow: UnitOfWork[Transaction], unique: Callable[[str], str]
) -> None:
    shopping = ShoppingList(id=unique("list"))
    shopping.add("milk", 2)
    shopping.add("eggs", 12)
    stored = await uow.save(shopping, metadata={"actor": "ann"})
    assert [event.version for event in stored] == [1, 2]
    assert stored[0].metadata["actor"] == "ann"
    assert shopping.pending == []
    assert await _seen(uow) == [("milk", 1), ("eggs", 2)]
    loaded = await uow.load(ShoppingList, shopping.id)
    assert (loaded.items, loaded.version) == ({"milk": 2, "eggs": 12}, 2)


async def test_a_refusal_inside_the_transaction_writes_nothing(
    uow: UnitOfWork[Transaction], unique: Callable[[str], str]
) -> None:
    shopping = ShoppingList(id=unique("list"))

    async def add_then_refuse() -> None:
        async with uow.transaction({}) as tx:
            shopping.add("milk", 1)
            await tx.save(shopping)
            shopping.remove("bread")

    with pytest.raises(InvalidInput):
        await add_then_refuse()
    assert await _seen(uow) == []
    assert await uow.store.load(shopping.id) == []


async def test_a_stale_copy_loses_with_a_concurrency_error_and_the_retry_decides_again(
    uow: UnitOfWork[Transaction], unique: Callable[[str], str]
) -> None:
    first = ShoppingList(id=unique("list"))
    first.add("milk", 1)
    await uow.save(first, metadata={})
    stale = await uow.load(ShoppingList, first.id)
    fresh = await uow.load(ShoppingList, first.id)
    fresh.add("tea", 1)
    await uow.save(fresh, metadata={})
    stale.add("coffee", 1)
    with pytest.raises(ConcurrencyError):
        await uow.save(stale, metadata={})

    async def add_sugar() -> int:
        current = await uow.load(ShoppingList, first.id)
        current.add("sugar", 1)
        await uow.save(current, metadata={})
        return current.version

    assert await retry_on_conflict(add_sugar) == 3


async def test_unknown_ids_and_ids_of_another_kind_are_not_found(
    uow: UnitOfWork[Transaction], unique: Callable[[str], str]
) -> None:
    with pytest.raises(NotFound, match="no shopping list has the id"):
        await uow.load(ShoppingList, unique("nothing"))
    pantry = Pantry(id=unique("pantry"))
    pantry.add("rice", 1)
    await uow.save(pantry, metadata={})
    with pytest.raises(NotFound, match="belongs to a pantry"):
        await uow.load(ShoppingList, pantry.id)
    with pytest.raises(InvalidInput, match="ids are 1 to 200 characters"):
        await uow.load(ShoppingList, "x" * 201)


async def test_lock_stream_queues_concurrent_commands_on_one_stream(
    uow: UnitOfWork[Transaction], unique: Callable[[str], str]
) -> None:
    stream = unique("list")

    async def add(item: str) -> None:
        async with uow.transaction({}) as tx:
            await tx.lock_stream(stream)
            try:
                current = await tx.load(ShoppingList, stream)
            except NotFound:
                current = ShoppingList(id=stream)
            current.add(item, 1)
            await tx.save(current)

    await asyncio.gather(*(add(f"item-{n}") for n in range(5)))
    assert (await uow.load(ShoppingList, stream)).version == 5


async def test_replay_rebuilds_the_own_read_models_from_the_store(
    uow: UnitOfWork[Transaction], unique: Callable[[str], str]
) -> None:
    from pmo_events.replay import replay_read_models

    shopping = ShoppingList(id=unique("list"))
    shopping.add("milk", 2)
    shopping.add("eggs", 12)
    await uow.save(shopping, metadata={})
    before = await _seen(uow)
    schema = uow.store.schema

    async def reset(conn: AsyncConnection) -> None:
        await conn.execute(text(f'DELETE FROM "{schema}".seen'))

    async def project(conn: AsyncConnection, event: DomainEvent, version: int) -> None:
        if isinstance(event, ItemAdded):
            await conn.execute(
                text(f'INSERT INTO "{schema}".seen VALUES (:item, :version)'),
                {"item": event.item, "version": version},
            )

    applied = await replay_read_models(
        uow.engine, schema, registry=demo, project=project, reset=reset, progress=False
    )
    assert applied == 2
    assert await _seen(uow) == before
