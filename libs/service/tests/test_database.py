"""Pooled connections: dead ones are never handed out, recently used ones are not pinged."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from pmo_service import ServiceSettings
from pmo_service.database import create_engine
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

pytestmark = pytest.mark.integration


@pytest.fixture
async def admin(pg_admin_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(pg_admin_url)
    yield engine
    await engine.dispose()


def counting_pings(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record each ping the pool sends (the real ping still runs)."""
    dialect = engine.sync_engine.dialect
    real = dialect.do_ping
    pings: list[int] = []

    def do_ping(dbapi_connection: Any) -> bool:
        pings.append(1)
        return real(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", do_ping)
    return pings


async def backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        pid: int = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    return pid


async def terminate(admin: AsyncEngine, pid: int) -> None:
    async with admin.connect() as conn:
        await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


async def test_a_recently_used_connection_is_not_pinged(
    make_settings: Callable[..., ServiceSettings],
    toy_db_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = create_engine(make_settings(database_url=toy_db_url, db_pool_size=1))
    pings = counting_pings(engine, monkeypatch)
    try:
        pids = {await backend_pid(engine) for _ in range(5)}
    finally:
        await engine.dispose()
    assert len(pids) == 1  # one pooled connection, reused
    assert pings == []


async def test_an_idle_connection_is_pinged(
    make_settings: Callable[..., ServiceSettings],
    toy_db_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = make_settings(database_url=toy_db_url, db_pool_size=1, db_ping_after_idle_seconds=0)
    engine = create_engine(settings)
    pings = counting_pings(engine, monkeypatch)
    try:
        for _ in range(3):
            await backend_pid(engine)
    finally:
        await engine.dispose()
    assert len(pings) == 2  # every checkout but the first (a fresh connection)


async def test_a_connection_the_server_closed_is_replaced(
    make_settings: Callable[..., ServiceSettings], toy_db_url: str, admin: AsyncEngine
) -> None:
    engine = create_engine(make_settings(database_url=toy_db_url, db_pool_size=1))
    try:
        closed = asyncio.Event()
        async with engine.connect() as conn:
            first = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            driver = (await conn.get_raw_connection()).driver_connection
            driver.add_termination_listener(lambda _: closed.set())
        await terminate(admin, first)
        # The pooled connection has seen the close (a deadline, not a speed check).
        await asyncio.wait_for(closed.wait(), timeout=30)
        assert driver.is_closed()
        # Checked in moments ago, so not pinged: its closed socket alone must retire it.
        second = await backend_pid(engine)
    finally:
        await engine.dispose()
    assert second != first


async def test_a_dead_idle_connection_is_caught_by_the_ping(
    make_settings: Callable[..., ServiceSettings], toy_db_url: str, admin: AsyncEngine
) -> None:
    settings = make_settings(database_url=toy_db_url, db_pool_size=1, db_ping_after_idle_seconds=0)
    engine = create_engine(settings)
    try:
        first = await backend_pid(engine)
        await terminate(admin, first)
        # At once: whether or not the close has arrived yet, the checkout must not fail.
        second = await backend_pid(engine)
    finally:
        await engine.dispose()
    assert second != first
