"""Where the test session's PostgreSQL and Kafka come from, and how a fresh database is made.

Each of the two servers is chosen on its own, the first that applies:

1. the environment: ``PMO_DATABASE_URL`` (an admin URL; a fresh database is created on that server)
   and ``PMO_KAFKA_BOOTSTRAP`` (host:port);
2. testcontainers, when a Docker engine answers;
3. the local servers of ``deploy/local`` (started with its scripts when they do not answer).

The pytest fixtures around these functions live in ``tests/infra/fixtures.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib.util
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import asyncpg
from sqlalchemy.engine import URL, make_url

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY_LOCAL = REPO_ROOT / "deploy" / "local"
LOCAL_PG_ADMIN_URL = "postgresql+asyncpg://pmo_admin:pmo_admin@127.0.0.1:5432/pmo"
LOCAL_KAFKA_BOOTSTRAP = "127.0.0.1:9092"
POSTGRES_IMAGE = "postgres:15-alpine"
KAFKA_IMAGE = "confluentinc/cp-kafka:7.6.0"
CONTEXTS = ("portfolio", "metrics", "resources", "learning")
_CTX_RE = re.compile(r"^[a-z][a-z0-9_]*$")
# What concurrent CREATE/ALTER ROLE from two sessions raise ("tuple concurrently updated" is XX000).
_CATALOG_RACES = (
    asyncpg.UniqueViolationError,
    asyncpg.DuplicateObjectError,
    asyncpg.InternalServerError,
)

T = TypeVar("T")


# --- generic helpers -------------------------------------------------------------------------


def tcp_answers(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, even inside a running event loop.

    It always runs in a short-lived thread with its own loop: asyncio forbids nesting ``run``
    calls, and ``asyncio.run`` in the main thread would reset the main thread's current loop,
    which pytest-asyncio's session loop shares.
    """
    result: list[T] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(coro))
        except BaseException as exc:  # re-raised in the caller's thread
            error.append(exc)

    thread = threading.Thread(target=target, name="pmo-run-sync")
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]


def run_script(*args: str, timeout: float = 600) -> None:
    """Run a deploy/local script, streaming its output; fail with the command to re-run by hand."""
    cmd = [str(DEPLOY_LOCAL / args[0]), *args[1:]]
    completed = subprocess.run(  # the scripts are ours, the arguments fixed
        cmd, cwd=REPO_ROOT, stdin=subprocess.DEVNULL, timeout=timeout, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} exited with {completed.returncode}; run it by hand from {REPO_ROOT}"
            " to see why (logs in .local/log/)"
        )


# --- Docker ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DockerStatus:
    answers: bool
    where: str
    detail: str = ""


@functools.cache
def docker_engine() -> DockerStatus:
    """Whether a Docker engine answers a ping, asked once per process with a short timeout."""
    where = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if os.environ.get("PMO_NO_DOCKER"):
        return DockerStatus(False, where, "PMO_NO_DOCKER is set")
    try:
        import docker  # type: ignore[import-untyped]

        client = docker.from_env(timeout=3)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # any failure means "no usable engine": fall back, don't crash
        return DockerStatus(False, where, f"{type(exc).__name__}: {exc}")
    return DockerStatus(True, where)


# --- PostgreSQL ------------------------------------------------------------------------------


def asyncpg_connect_args(url: str | URL) -> dict[str, Any]:
    u = make_url(url) if isinstance(url, str) else url
    return {
        "user": u.username,
        "password": u.password,
        "host": u.host or "127.0.0.1",
        "port": u.port or 5432,
        "database": u.database,
    }


def ensure_local_postgres() -> str:
    """The local cluster's admin URL; starts and provisions the cluster if it does not answer."""
    if not tcp_answers("127.0.0.1", 5432):
        run_script("postgres.sh", "up", timeout=120)
    return LOCAL_PG_ADMIN_URL


def start_postgres_container(stack: contextlib.ExitStack) -> str:
    from testcontainers.community.postgres import PostgresContainer

    container = stack.enter_context(PostgresContainer(POSTGRES_IMAGE, driver="asyncpg"))
    return str(container.get_connection_url())


def choose_postgres(stack: contextlib.ExitStack) -> tuple[str, str]:
    """(admin URL of a server the session may create databases on, how it was chosen)."""
    env = os.environ.get("PMO_DATABASE_URL")
    if env:
        return _with_asyncpg_driver(env), "PMO_DATABASE_URL"
    docker = docker_engine()
    if docker.answers:
        return start_postgres_container(stack), f"testcontainers ({docker.where})"
    return ensure_local_postgres(), f"deploy/local (no Docker engine answers at {docker.where})"


def _with_asyncpg_driver(url: str) -> str:
    u = make_url(url)
    if u.drivername in ("postgres", "postgresql", "postgresql+asyncpg"):
        return u.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    raise ValueError(
        f"PMO_DATABASE_URL must be a PostgreSQL URL (postgresql+asyncpg://user:pass@host:port/db),"
        f" got driver {u.drivername!r}"
    )


async def create_database(server_url: str, prefix: str = "pmo_test") -> str:
    """Create a uniquely named database owned by the URL's role; return the URL pointing at it."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(**asyncpg_connect_args(server_url))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def drop_database(server_url: str, db_url: str) -> None:
    """Drop the database of ``db_url``, ending sessions still connected to it (PostgreSQL 13+).

    Connects through ``server_url``'s database: a database cannot drop itself.
    """
    name = make_url(db_url).database
    conn = await asyncpg.connect(**asyncpg_connect_args(server_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@functools.cache
def _provision_block() -> str:
    """The DO block of deploy/local/pg-provision-service.sql: one source of truth for both paths."""
    sql = (DEPLOY_LOCAL / "pg-provision-service.sql").read_text()
    match = re.search(r"^DO \$\$.*?^\$\$;", sql, flags=re.DOTALL | re.MULTILINE)
    if match is None:
        raise RuntimeError("deploy/local/pg-provision-service.sql has no DO $$ ... $$; block")
    return match.group(0)


async def provision_service(db_url: str, ctx: str, attempts: int = 5) -> str:
    """Create role ``pmo_<ctx>`` (cluster-wide, password ``pmo_<ctx>``) and schema ``<ctx>`` in the
    database of ``db_url`` (an admin URL), exactly as deploy/local does; return the service's URL.

    Idempotent. Roles are shared by every database on the server, so two test sessions may race on
    them: catalog conflicts ("tuple concurrently updated", duplicate role) are retried.
    """
    if not _CTX_RE.match(ctx):
        raise ValueError(f"context name {ctx!r}: use lower-case letters, digits and _")
    u = make_url(db_url)
    for attempt in range(1, attempts + 1):
        conn = await asyncpg.connect(**asyncpg_connect_args(u))
        try:
            async with conn.transaction():
                await conn.execute(
                    "SELECT set_config('pmo.ctx', $1, true), set_config('pmo.db', $2, true)",
                    ctx,
                    u.database,
                )
                await conn.execute(_provision_block())
            break
        except _CATALOG_RACES:
            if attempt == attempts:
                raise
            await asyncio.sleep(0.1 * attempt)
        finally:
            await conn.close()
    role = f"pmo_{ctx}"
    return u.set(username=role, password=role).render_as_string(hide_password=False)


# --- Kafka -----------------------------------------------------------------------------------


def ensure_local_kafka() -> str:
    """The local broker's bootstrap address, starting it if nothing answers on 127.0.0.1:9092."""
    if not tcp_answers("127.0.0.1", 9092):
        run_script("kafka.sh", "up", timeout=600)
    return LOCAL_KAFKA_BOOTSTRAP


def start_kafka_container(stack: contextlib.ExitStack) -> str:
    from testcontainers.community.kafka import KafkaContainer

    container = stack.enter_context(KafkaContainer(KAFKA_IMAGE).with_kraft())
    return str(container.get_bootstrap_server())


def choose_kafka(stack: contextlib.ExitStack) -> tuple[str, str]:
    """(bootstrap address of a broker, how it was chosen)."""
    env = os.environ.get("PMO_KAFKA_BOOTSTRAP")
    if env:
        return env, "PMO_KAFKA_BOOTSTRAP"
    docker = docker_engine()
    if docker.answers:
        return start_kafka_container(stack), f"testcontainers ({docker.where})"
    return ensure_local_kafka(), f"deploy/local (no Docker engine answers at {docker.where})"


@functools.cache
def topics_module() -> ModuleType:
    """deploy/local/topics.py, loaded by path (deploy/ is not a Python package)."""
    name = "pmo_deploy_local_topics"
    spec = importlib.util.spec_from_file_location(name, DEPLOY_LOCAL / "topics.py")
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {DEPLOY_LOCAL / 'topics.py'}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


async def ensure_topics(bootstrap: str, partitions: int | None = None) -> list[str]:
    """Create the contract topics (pmo.<ctx>.events and .dlq) on ``bootstrap`` if missing."""
    if partitions is None:
        partitions = int(os.environ.get("PMO_TOPIC_PARTITIONS", "6"))
    lines: list[str] = await topics_module().ensure_topics(bootstrap, CONTEXTS, partitions)
    return lines
