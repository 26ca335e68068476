"""Leadership by a Postgres session advisory lock held on a dedicated connection.

The lock lives as long as the connection's session: if the process dies or the connection breaks,
Postgres releases it and another relay takes over. The same connection LISTENs for append
notifications, so losing it also tells us that wake-ups may have been missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

__all__ = ["AdvisoryLeader", "LeadershipLost", "advisory_key"]

log = logging.getLogger(__name__)
_CHECK_SECONDS = 5.0


class LeadershipLost(RuntimeError):
    """The connection holding the advisory lock is gone; stop work and re-acquire."""


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for ``pg_advisory_lock`` (same name → same key everywhere)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class AdvisoryLeader:
    """Holds ``pg_try_advisory_lock(key)`` and LISTENs on ``channel`` while leading."""

    def __init__(self, engine: AsyncEngine, key: int, channel: str, wake: asyncio.Event) -> None:
        self.engine = engine
        self.key = key
        self.channel = channel
        self.wake = wake
        self._conn: AsyncConnection | None = None
        self._driver: Any = None  # asyncpg.Connection (untyped library)
        self._lost = False

    @property
    def leading(self) -> bool:
        return self._driver is not None and not self._lost and not self._driver.is_closed()

    async def try_acquire(self) -> bool:
        """One attempt: True when this process is now the leader."""
        conn = await self.engine.connect()
        try:
            driver: Any = (await conn.get_raw_connection()).driver_connection
            acquired = bool(await driver.fetchval("SELECT pg_try_advisory_lock($1)", self.key))
        except BaseException:
            await _discard(conn)
            raise
        if not acquired:
            await conn.close()  # no lock taken: the connection can go back to the pool
            return False
        self._conn, self._driver, self._lost = conn, driver, False
        driver.add_termination_listener(self._on_terminated)
        await driver.add_listener(self.channel, self._on_notify)
        return True

    async def check(self) -> None:
        """Raise LeadershipLost unless the lock connection still answers."""
        if not self.leading:
            raise LeadershipLost("the advisory-lock connection is closed")
        try:
            async with asyncio.timeout(_CHECK_SECONDS):
                await self._driver.fetchval("SELECT 1")
        except Exception as exc:  # any failure means we can no longer vouch for the lock
            self._lost = True
            raise LeadershipLost(f"the advisory-lock connection failed: {exc!r}") from exc

    async def release(self) -> None:
        """Give up leadership: closing the session releases the lock and the LISTEN."""
        conn, driver = self._conn, self._driver
        self._conn, self._driver = None, None
        if driver is not None:
            with contextlib.suppress(Exception):
                driver.remove_termination_listener(self._on_terminated)
        if conn is not None:
            await _discard(conn)

    def _on_notify(self, *_: object) -> None:
        self.wake.set()

    def _on_terminated(self, *_: object) -> None:
        log.warning("advisory-lock connection for key %s terminated; leadership lost", self.key)
        self._lost = True
        self.wake.set()


async def _discard(conn: AsyncConnection) -> None:
    # Invalidate rather than return to the pool: a pooled session would keep the advisory lock.
    with contextlib.suppress(Exception):
        await conn.invalidate()
    with contextlib.suppress(Exception):
        await conn.close()
