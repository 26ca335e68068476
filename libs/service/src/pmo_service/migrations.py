"""Alembic, run programmatically inside the service's own schema.

A service's ``migrations/env.py`` is one line after its imports::

    from pmo_service.migrations import run_env
    from pmo_portfolio.settings import PortfolioSettings

    run_env(PortfolioSettings)

The version table ``alembic_version`` lives in the service's schema (``version_table_schema``), so
services sharing a database never see each other's history. Migrations run in one transaction
under an advisory lock: two processes migrating at once run them one after the other.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from pmo_service.database import create_engine
from pmo_service.settings import ServiceSettings, load_settings


class MigrationError(Exception):
    """Migrations could not run; the message says what to do."""


def alembic_config(migrations_dir: Path, settings: ServiceSettings) -> Config:
    """An Alembic config without an ini file: the script folder plus the service's settings."""
    if not (migrations_dir / "env.py").is_file():
        raise MigrationError(
            f"{migrations_dir} has no env.py: create it with `run_env(<SettingsClass>)` "
            "(see pmo_service.migrations)"
        )
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.attributes["settings"] = settings
    return config


def upgrade(migrations_dir: Path, settings: ServiceSettings, revision: str = "head") -> None:
    """Apply migrations up to ``revision``. Synchronous: call it outside a running event loop
    (or through ``asyncio.to_thread``), since env.py drives its own loop."""
    command.upgrade(alembic_config(migrations_dir, settings), revision)


def run_env(
    settings_type: type[ServiceSettings] | None = None,
    target_metadata: MetaData | None = None,
) -> None:
    """The body of a service's Alembic ``env.py``."""
    from alembic import context

    if context.is_offline_mode():
        raise MigrationError(
            "offline (--sql) migrations are not supported: run the service's `migrate` command"
        )
    settings: Any = context.config.attributes.get("settings")
    if settings is None:
        if settings_type is None:
            raise MigrationError("run_env needs the service's settings class when run by alembic")
        settings = load_settings(settings_type)
    asyncio.run(_migrate_online(settings, target_metadata))


async def _migrate_online(settings: ServiceSettings, target_metadata: MetaData | None) -> None:
    engine = create_engine(settings, application_name=f"pmo-{settings.database_schema}-migrate")
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_migrate, settings.database_schema, target_metadata)
    except DBAPIError as error:
        raise MigrationError(
            f"migrating schema {settings.database_schema!r} failed: {error.orig}"
        ) from error
    except (OSError, TimeoutError) as error:
        raise MigrationError(
            f"cannot reach the database ({error}): check the database URL and that the server "
            "is running"
        ) from error
    finally:
        await engine.dispose()


def _migrate(connection: Connection, schema: str, target_metadata: MetaData | None) -> None:
    from alembic import context

    with connection.begin():
        # Held to the end of this transaction; a concurrent migrator waits, then finds head.
        connection.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"pmo-migrate:{schema}"}
        )
        _ensure_schema(connection, schema)
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            version_table_schema=schema,
            include_schemas=True,
        )
        # The connection is already in a transaction: Alembic joins it; commit happens above.
        with context.begin_transaction():
            context.run_migrations()


def _ensure_schema(connection: Connection, schema: str) -> None:
    exists = connection.execute(
        text("SELECT 1 FROM pg_namespace WHERE nspname = :schema"), {"schema": schema}
    ).scalar()
    if exists:
        return
    quoted = connection.dialect.identifier_preparer.quote_schema(schema)
    try:
        with connection.begin_nested():
            connection.execute(text(f"CREATE SCHEMA {quoted}"))
    except DBAPIError as error:
        raise MigrationError(
            f"schema {schema!r} does not exist and this role may not create it ({error.orig}): "
            "provision it first (deploy/local/postgres.sh, or CREATE SCHEMA ... AUTHORIZATION "
            "<service role> as an administrator)"
        ) from error


def migration_schema() -> str:
    """The schema the running migration works in (for ``op.*(..., schema=...)`` in versions)."""
    from alembic import op

    config = op.get_context().config
    settings = config.attributes.get("settings") if config is not None else None
    if not isinstance(settings, ServiceSettings):
        raise MigrationError(
            "migrations must run through `pmo-<service> migrate` (pmo_service.migrations.upgrade), "
            "which tells them the service's schema"
        )
    return settings.database_schema
