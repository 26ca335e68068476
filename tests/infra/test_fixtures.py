"""The shared session fixtures work on whichever servers the session chose."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests.infra import endpoints
from tests.infra.kafka_util import round_trip

pytestmark = pytest.mark.integration


async def connect(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(**endpoints.asyncpg_connect_args(url))


async def test_pg_admin_url_is_a_fresh_database_the_admin_can_build_in(pg_admin_url: str) -> None:
    url = make_url(pg_admin_url)
    assert url.drivername == "postgresql+asyncpg"
    assert url.database is not None
    assert url.database.startswith("pmo_test_")
    conn = await connect(pg_admin_url)
    try:
        assert await conn.fetchval("SELECT current_database()") == url.database
        schema = f"infra_{uuid.uuid4().hex[:8]}"
        await conn.execute(f"CREATE SCHEMA {schema}")
        await conn.execute(f"DROP SCHEMA {schema}")
    finally:
        await conn.close()


async def test_provisioned_service_sees_only_its_own_schema(
    provision_service: Callable[[str], str],
) -> None:
    portfolio_url = provision_service("portfolio")
    metrics_url = provision_service("metrics")
    assert provision_service("portfolio") == portfolio_url  # idempotent
    assert make_url(portfolio_url).username == "pmo_portfolio"

    table = f"infra_{uuid.uuid4().hex[:8]}"
    metrics = await connect(metrics_url)
    portfolio = await connect(portfolio_url)
    try:
        await metrics.execute(f"CREATE TABLE {table} (n int)")  # lands in schema metrics
        assert await metrics.fetchval(f"SELECT count(*) FROM metrics.{table}") == 0

        assert await portfolio.fetchval("SHOW search_path") == "portfolio"
        await portfolio.execute(f"CREATE TABLE {table} (n int)")
        where = "SELECT schemaname FROM pg_tables WHERE tablename = $1 ORDER BY 1"
        assert [r[0] for r in await portfolio.fetch(where, table)] == ["metrics", "portfolio"]
        for statement in (
            f"CREATE TABLE metrics.{table}_x (n int)",
            f"SELECT * FROM metrics.{table}",
            f"CREATE TABLE public.{table} (n int)",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await portfolio.execute(statement)
        await portfolio.execute(f"DROP TABLE {table}")
        await metrics.execute(f"DROP TABLE {table}")
    finally:
        await portfolio.close()
        await metrics.close()


async def test_kafka_bootstrap_has_the_contract_topics_and_round_trips(
    kafka_bootstrap: str,
) -> None:
    topics = endpoints.topics_module()
    names = topics.topic_names(endpoints.CONTEXTS)
    described = await topics.describe(kafka_bootstrap, names)
    assert sorted(described) == sorted(names)
    assert all(state.configs["retention.ms"] == "-1" for state in described.values())
    assert await round_trip(kafka_bootstrap) == (b"stream-1", b"hello")
