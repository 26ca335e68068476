"""The testcontainers path for real: PostgreSQL and Kafka (KRaft) containers answer.

Skipped, with the reason, when no Docker engine answers (as on the build machines).
"""

from __future__ import annotations

import contextlib

import asyncpg
import pytest

from tests.infra import endpoints
from tests.infra.kafka_util import round_trip

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def docker_stack() -> contextlib.ExitStack:
    docker = endpoints.docker_engine()
    if not docker.answers:
        pytest.skip(f"no Docker engine answers at {docker.where} ({docker.detail})")
    return contextlib.ExitStack()


async def test_postgres_and_kafka_containers_work(docker_stack: contextlib.ExitStack) -> None:
    with docker_stack:
        pg_url = endpoints.start_postgres_container(docker_stack)
        bootstrap = endpoints.start_kafka_container(docker_stack)

        db_url = await endpoints.create_database(pg_url)
        service_url = await endpoints.provision_service(db_url, "portfolio")
        conn = await asyncpg.connect(**endpoints.asyncpg_connect_args(service_url))
        try:
            assert await conn.fetchval("SELECT current_schema()") == "portfolio"
        finally:
            await conn.close()
        await endpoints.drop_database(pg_url, db_url)

        assert await round_trip(bootstrap) == (b"stream-1", b"hello")
