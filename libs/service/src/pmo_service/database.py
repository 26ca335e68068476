"""The service's database engine: asyncpg, bound to the service's own schema and role."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from pmo_service.settings import ServiceSettings


class DatabaseUnavailable(Exception):
    """The database did not answer, or the service's schema is missing; the message says why."""


def _json_dumps(value: Any) -> str:
    # SQLAlchemy's JSON type expects str; orjson is several times faster than json for events.
    return orjson.dumps(value).decode()


def create_engine(settings: ServiceSettings, *, application_name: str | None = None) -> AsyncEngine:
    """An engine whose connections use ``search_path = <schema>``, so unqualified names resolve to
    the service's own tables, and carry ``application_name`` for ``pg_stat_activity``.

    No connection is opened here; the pool fills on first use.
    """
    return create_async_engine(
        settings.database_dsn,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        # A server restart leaves dead sockets in the pool; test them before handing them out.
        pool_pre_ping=True,
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
