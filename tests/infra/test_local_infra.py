"""deploy/local for real: the scripts are idempotent and set up what the contract says.

Runs against the machine's local servers (it never stops them: other sessions share them).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid

import asyncpg
import pytest

from tests.infra import endpoints

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        shutil.which("pg_ctlcluster") is None or shutil.which("java") is None,
        reason="deploy/local needs the Debian PostgreSQL cluster tools and Java 17+",
    ),
]


def script(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(endpoints.DEPLOY_LOCAL / args[0]), *args[1:]],
        cwd=endpoints.REPO_ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def assert_ok(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 0, f"{done.args} failed:\n{done.stdout}\n{done.stderr}"


def test_postgres_up_is_idempotent() -> None:
    for _ in range(2):
        assert_ok(script("postgres.sh", "up", timeout=120))
    assert_ok(script("postgres.sh", "status"))


def local(role: str) -> dict[str, object]:
    return endpoints.asyncpg_connect_args(f"postgresql://{role}:{role}@127.0.0.1:5432/pmo")


async def test_service_roles_cannot_touch_each_others_schema() -> None:
    assert_ok(script("postgres.sh", "up", timeout=120))
    table = f"infra_test_{uuid.uuid4().hex[:8]}"
    metrics = await asyncpg.connect(**local("pmo_metrics"))
    portfolio = await asyncpg.connect(**local("pmo_portfolio"))
    try:
        await metrics.execute(f"CREATE TABLE metrics.{table} (n int)")
        assert await portfolio.fetchval("SHOW search_path") == "portfolio"
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
            await portfolio.execute(f"CREATE TABLE metrics.{table}_x (n int)")
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
            await portfolio.fetch(f"SELECT * FROM metrics.{table}")
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
            await portfolio.execute(f"CREATE TABLE public.{table} (n int)")
    finally:
        await metrics.execute(f"DROP TABLE IF EXISTS metrics.{table}")
        await portfolio.close()
        await metrics.close()


async def test_unprovisioned_role_cannot_connect_to_pmo() -> None:
    # REVOKE CONNECT ... FROM PUBLIC: only the admin and the service roles get into database pmo.
    admin = await asyncpg.connect(**local("pmo_admin"))
    role = f"infra_test_{uuid.uuid4().hex[:8]}"
    try:
        await admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{role}'")
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="CONNECT"):
            await asyncpg.connect(**local(role))
    finally:
        await admin.execute(f"DROP ROLE IF EXISTS {role}")
        await admin.close()


async def test_kafka_up_is_idempotent_and_topics_match_the_contract() -> None:
    for _ in range(2):
        assert_ok(script("kafka.sh", "up"))
    assert_ok(script("kafka.sh", "status"))
    for _ in range(2):
        assert_ok(script("kafka.sh", "topics", timeout=180))
    topics = endpoints.topics_module()
    names = topics.topic_names(endpoints.CONTEXTS)
    described = await topics.describe(endpoints.LOCAL_KAFKA_BOOTSTRAP, names)
    partitions = int(os.environ.get("PMO_TOPIC_PARTITIONS", "6"))
    assert {
        name: (s.partitions, s.configs["retention.ms"]) for name, s in described.items()
    } == dict.fromkeys(names, (partitions, "-1"))
