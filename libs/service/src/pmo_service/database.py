"""The service's database engine: asyncpg, bound to the service's own schema and role."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
from sqlalchemy import event, exc, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from pmo_service.settings import ServiceSettings

# Where a pooled connection's last check-in time is kept (ConnectionPoolEntry.info lives as long
# as the DBAPI connection: a reconnected entry starts without it).
_CHECKED_IN_AT = "pmo_checked_in_at"


class DatabaseUnavailable(Exception):
    """The database did not answer, or the service's schema is missing; the message says why."""


def _json_dumps(value: Any) -> str:
    # SQLAlchemy's JSON type expects str; orjson is several times faster than json for events.
    return orjson.dumps(value).decode()


def create_engine(settings: ServiceSettings, *, application_name: str | None = None) -> AsyncEngine:
    """An engine whose connections use ``search_path = <schema>``, so unqualified names resolve to
    the service's own tables, and carry ``application_name`` for ``pg_stat_activity``.

    Pooled connections are checked before use (see ``_check_liveness_on_checkout``). No
    connection is opened here; the pool fills on first use.
    """
    engine = create_async_engine(
        settings.database_dsn,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
        connect_args={
            "server_settings": {
                "search_path": settings.database_schema,
                "application_name": application_name or f"pmo-{settings.database_schema}",
            },
            "timeout": settings.db_pool_timeout_seconds,
        },
    )
    _check_liveness_on_checkout(engine, settings.db_ping_after_idle_seconds)
    return engine


def _check_liveness_on_checkout(engine: AsyncEngine, ping_after_idle_seconds: float) -> None:
    """Replace SQLAlchemy's ``pool_pre_ping`` with a check that costs no round trip when the
    connection was just in use.

    A server restart leaves dead sockets in the pool; they must not be handed to a request.
    ``pool_pre_ping`` pings on every checkout, and asyncpg's ping is three round trips (BEGIN,
    an empty query, ROLLBACK): with three checkouts per command that was ~20 % of the service's
    CPU per command. Instead, on checkout:

    - a connection whose socket is closed (the server restarted or terminated the backend: asyncpg
      sees the close as soon as it arrives, because it always reads its socket) is dropped,
    - a connection checked in more than ``ping_after_idle_seconds`` ago is pinged as before
      (covers a peer that vanished without closing, e.g. a failed-over host),
    - a connection checked in more recently is trusted: its last statement (the commit, or the
      pool's rollback on check-in) answered moments ago.

    As with pre-ping, a dead connection invalidates every connection pooled before it (they share
    its fate after a restart) and the checkout retries on a fresh one.
    """
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "checkin")
    def _checked_in(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        if dbapi_connection is not None:
            record.info[_CHECKED_IN_AT] = time.monotonic()

    @event.listens_for(sync_engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: ConnectionPoolEntry, proxy: Any) -> None:
        if dbapi_connection.driver_connection.is_closed():
            raise exc.InvalidatePoolError("the server closed the pooled connection")
        checked_in_at = record.info.get(_CHECKED_IN_AT)
        if checked_in_at is None or time.monotonic() - checked_in_at < ping_after_idle_seconds:
            return  # new (just connected) or in use moments ago
        try:
            sync_engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise exc.InvalidatePoolError(f"pooled connection failed its ping ({error})") from error


async def ping(engine: AsyncEngine, *, limit_seconds: float = 3.0) -> None:
    """Raise ``DatabaseUnavailable`` unless the database answers and the schema exists."""
    try:
        async with asyncio.timeout(limit_seconds):
            async with engine.connect() as connection:
                schema = (await connection.execute(text("SELECT current_schema()"))).scalar()
    except TimeoutError:
        raise DatabaseUnavailable(
            f"no answer from the database within {limit_seconds:g}s; check that it is running"
        ) from None
    except Exception as error:
        raise DatabaseUnavailable(
            f"cannot reach the database ({type(error).__name__}: {error}); check "
            "the database URL and that the server is running"
        ) from error
    if schema is None:
        # current_schema() is NULL when no schema on the search_path exists.
        raise DatabaseUnavailable(
            "the service's schema does not exist (or the role may not use it): "
            "provision it (deploy/local/postgres.sh) and run the service's `migrate` command"
        )
