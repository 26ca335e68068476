"""The service CLI: migrate (real Postgres), export-schema, token, rebuild-projections."""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import jwt
import pytest
from pmo_service import ServiceDefinition, ServiceSettings, build_cli
from pmo_service.auth import JwtVerifier
from pmo_service.migrations import MigrationError, upgrade
from sqlalchemy.engine import make_url
from typer.testing import CliRunner


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _fetch(url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        rows: list[asyncpg.Record] = await connection.fetch(query, *args)
        return rows
    finally:
        await connection.close()


def _env(key_dir: Path, **values: str) -> dict[str, str]:
    env = {
        "PMO_TOY_JWT_PUBLIC_KEY_FILE": str(key_dir / "public.pem"),
        "PMO_TOY_JWT_PRIVATE_KEY_FILE": str(key_dir / "private.pem"),
    }
    env.update({f"PMO_TOY_{name.upper()}": value for name, value in values.items()})
    return env


@pytest.mark.integration
async def test_migrate_as_the_service_role_is_idempotent(
    provision_service: Callable[[str], str],
    pg_admin_url: str,
    toy_definition: Callable[..., ServiceDefinition[Any]],
    key_dir: Path,
) -> None:
    url = provision_service("svcmigr")
    cli = build_cli(toy_definition())
    env = _env(key_dir, database_url=url, database_schema="svcmigr")
    runner = CliRunner()
    for _ in range(2):  # the second run finds head and changes nothing
        result = await asyncio.to_thread(runner.invoke, cli, ["migrate"], env=env)
        assert result.exit_code == 0, result.output
        assert "schema 'svcmigr' migrated to head" in result.output
    tables = await _fetch(
        pg_admin_url,
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_name IN ('widgets', 'alembic_version') ORDER BY table_name",
    )
    assert [tuple(row) for row in tables] == [
        ("svcmigr", "alembic_version"),
        ("svcmigr", "widgets"),
    ]
    versions = await _fetch(pg_admin_url, "SELECT version_num FROM svcmigr.alembic_version")
    assert [row["version_num"] for row in versions] == ["0002"]
    columns = await _fetch(
        pg_admin_url,
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = 'svcmigr' AND table_name = 'widgets' ORDER BY ordinal_position",
    )
    assert [row["column_name"] for row in columns] == ["id", "name", "colour"]


@pytest.mark.integration
async def test_migrate_creates_a_missing_schema_when_allowed(
    pg_admin_url: str,
    make_settings: Callable[..., ServiceSettings],
    toy_definition: Callable[..., ServiceDefinition[Any]],
) -> None:
    schema = f"fresh_{secrets.token_hex(4)}"
    settings = make_settings(database_url=pg_admin_url, database_schema=schema)
    migrations = toy_definition().migrations_dir
    await asyncio.to_thread(upgrade, migrations, settings)
    await asyncio.to_thread(upgrade, migrations, settings)
    versions = await _fetch(pg_admin_url, f"SELECT version_num FROM {schema}.alembic_version")
    assert [row["version_num"] for row in versions] == ["0002"]
    # Nothing leaked into public.
    public = await _fetch(
        pg_admin_url,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
        "AND table_name IN ('widgets', 'alembic_version')",
    )
    assert public == []


_MIGRATE_IN_A_PROCESS = """
import sys
from pathlib import Path
from pydantic_settings import SettingsConfigDict
from pmo_service.migrations import upgrade
from pmo_service.settings import ServiceSettings

class RaceSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PMO_RACE_")

upgrade(Path(sys.argv[1]), RaceSettings())
"""


@pytest.mark.integration
async def test_concurrent_migrations_in_separate_processes_run_one_after_the_other(
    pg_admin_url: str,
    toy_definition: Callable[..., ServiceDefinition[Any]],
) -> None:
    # Several replicas starting at once each run `migrate`; the advisory lock serialises them.
    schema = f"race_{secrets.token_hex(4)}"
    env = {**os.environ, "PMO_RACE_DATABASE_URL": pg_admin_url, "PMO_RACE_DATABASE_SCHEMA": schema}
    migrations = str(toy_definition().migrations_dir)
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _MIGRATE_IN_A_PROCESS,
            migrations,
            env=env,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(3)
    ]
    for process in processes:
        _, stderr = await process.communicate()
        assert process.returncode == 0, stderr.decode()
    versions = await _fetch(pg_admin_url, f"SELECT version_num FROM {schema}.alembic_version")
    assert [row["version_num"] for row in versions] == ["0002"]


@pytest.mark.integration
async def test_migrate_into_a_schema_the_role_cannot_create(
    provision_service: Callable[[str], str],
    make_settings: Callable[..., ServiceSettings],
    toy_definition: Callable[..., ServiceDefinition[Any]],
) -> None:
    url = provision_service("svcmigr")
    settings = make_settings(database_url=url, database_schema="not_provisioned")
    with pytest.raises(MigrationError, match="does not exist and this role may not create it"):
        await asyncio.to_thread(upgrade, toy_definition().migrations_dir, settings)


def test_export_schema_prints_federation_sdl(
    toy_definition: Callable[..., ServiceDefinition[Any]], key_dir: Path
) -> None:
    result = CliRunner().invoke(build_cli(toy_definition()), ["export-schema"], env=_env(key_dir))
    assert result.exit_code == 0, result.output
    sdl = result.output
    assert 'schema @link(url: "https://specs.apollo.dev/federation/v2.9"' in sdl
    assert "type PageInfo @shareable" in sdl
    assert "type Query" in sdl
    assert "type ItemConnection" in sdl
    assert "rename(id: ID!, title: String!): Item!" in sdl


async def test_token_prints_a_verifiable_development_jwt(
    toy_definition: Callable[..., ServiceDefinition[Any]],
    key_dir: Path,
    make_settings: Callable[..., ServiceSettings],
) -> None:
    args = ["token", "--role", "pmo", "--role", "viewer", "--subject", "carol", "--ttl", "120"]
    result = CliRunner().invoke(build_cli(toy_definition()), args, env=_env(key_dir))
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    principal = await JwtVerifier.from_settings(make_settings()).verify(token)
    assert principal.subject == "carol"
    assert {role.value for role in principal.roles} == {"pmo", "viewer"}
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 120


def test_token_refuses_unknown_roles_and_production(
    toy_definition: Callable[..., ServiceDefinition[Any]], key_dir: Path
) -> None:
    cli = build_cli(toy_definition())
    unknown = CliRunner().invoke(cli, ["token", "--role", "wizard"], env=_env(key_dir))
    assert unknown.exit_code == 1
    assert "unknown role 'wizard'" in unknown.output
    production = _env(
        key_dir,
        environment="production",
        database_url="postgresql+asyncpg://u:p@db/pmo",
        jwt_jwks_url="https://idp.example/jwks.json",
        jwt_issuer="https://idp.example",
    )
    refused = CliRunner().invoke(cli, ["token", "--role", "pmo"], env=production)
    assert refused.exit_code == 1
    assert "refused in production" in refused.output


def test_bad_settings_exit_2_naming_the_variable(
    toy_definition: Callable[..., ServiceDefinition[Any]], key_dir: Path
) -> None:
    result = CliRunner().invoke(
        build_cli(toy_definition()), ["token", "--role", "pmo"], env=_env(key_dir, port="x")
    )
    assert result.exit_code == 2
    assert "PMO_TOY_PORT" in result.output


def test_rebuild_projections_prints_the_count(
    toy_definition: Callable[..., ServiceDefinition[Any]], key_dir: Path
) -> None:
    seen: list[str] = []

    async def rebuild(runtime: Any) -> int:
        seen.append(runtime.settings.database_schema)
        return 42

    definition = toy_definition()
    with_rebuild = type(definition)(**{**definition.__dict__, "rebuild": rebuild})
    result = CliRunner().invoke(build_cli(with_rebuild), ["rebuild-projections"], env=_env(key_dir))
    assert result.exit_code == 0, result.output
    assert "from 42 events" in result.output
    assert seen == ["svctoy"]
    without = CliRunner().invoke(build_cli(definition), ["rebuild-projections"], env=_env(key_dir))
    assert without.exit_code == 1
    assert "no projections to rebuild" in without.output


def test_migrate_against_an_unreachable_database_says_so(
    toy_definition: Callable[..., ServiceDefinition[Any]],
    key_dir: Path,
    closed_port: Callable[[], int],
) -> None:
    url = f"postgresql+asyncpg://u:p@127.0.0.1:{closed_port()}/pmo"
    result = CliRunner().invoke(
        build_cli(toy_definition()), ["migrate"], env=_env(key_dir, database_url=url)
    )
    assert result.exit_code == 1
    assert "cannot reach the database" in result.output
