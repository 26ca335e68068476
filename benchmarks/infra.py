"""Where a benchmark runs: the servers, a fresh database per benchmark, the machine it ran on.

The servers are the ones ``make infra-up topics`` starts (or those named by ``PMO_DATABASE_URL``
and ``PMO_KAFKA_BOOTSTRAP``). Every benchmark creates its own database ``pmo_bench_<name>_<hex>``
on that server and drops it at the end, so the development database is never touched. Database
creation and service provisioning reuse the test helpers in ``tests/infra/endpoints.py``.
"""

from __future__ import annotations

import asyncio
import os
import platform
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError
from sqlalchemy.engine import make_url

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # `python -m benchmarks` from elsewhere still finds tests/
    sys.path.insert(0, str(REPO_ROOT))

from tests.infra import endpoints  # noqa: E402  (needs the repository root on sys.path)

HINT = "start them with `make infra-up topics` (or set PMO_DATABASE_URL / PMO_KAFKA_BOOTSTRAP)"


class BenchmarkError(Exception):
    """The benchmark cannot run or its run went wrong; the message says what to do."""


@dataclass(frozen=True, slots=True)
class Servers:
    pg_server_url: str  # admin URL (postgresql+asyncpg) of a database on the server
    kafka_bootstrap: str


def servers() -> Servers:
    pg = os.environ.get("PMO_DATABASE_URL") or endpoints.LOCAL_PG_ADMIN_URL
    url = make_url(pg)
    if url.drivername not in ("postgres", "postgresql", "postgresql+asyncpg"):
        raise BenchmarkError(f"PMO_DATABASE_URL must be a PostgreSQL URL, got {url.drivername!r}")
    pg = url.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    kafka = os.environ.get("PMO_KAFKA_BOOTSTRAP") or endpoints.LOCAL_KAFKA_BOOTSTRAP
    return Servers(pg, kafka)


async def check_servers(found: Servers) -> None:
    """Fail early, with the command to run, when Postgres, Kafka or the topic is missing."""
    try:
        conn = await asyncpg.connect(**endpoints.asyncpg_connect_args(found.pg_server_url))
        await conn.close()
    except (OSError, asyncpg.PostgresError) as exc:
        raise BenchmarkError(f"PostgreSQL does not answer ({exc}); {HINT}") from exc
    admin = AIOKafkaAdminClient(bootstrap_servers=found.kafka_bootstrap, request_timeout_ms=10_000)
    try:
        await admin.start()
    except KafkaError as exc:
        raise BenchmarkError(f"Kafka does not answer at {found.kafka_bootstrap}; {HINT}") from exc
    finally:
        await admin.close()


def topic_partitions() -> int:
    """The contract's partition count (what `make topics` creates)."""
    return int(os.environ.get("PMO_TOPIC_PARTITIONS", "6"))


@asynccontextmanager
async def kafka_namespace(
    found: Servers, contexts: tuple[str, ...], partitions: int
) -> AsyncIterator[str]:
    """A Kafka namespace of the run's own (``bench-<hex>``): its topics ``<ns>.<ctx>.events`` and
    ``.dlq`` are created now and deleted at the end, so a run never writes to the development
    topics nor joins (or moves the offsets of) the development consumer groups."""
    namespace = f"bench-{secrets.token_hex(4)}"
    names = [f"{namespace}.{ctx}.events" for ctx in contexts]
    names += [f"{name}.dlq" for name in names]
    admin = AIOKafkaAdminClient(bootstrap_servers=found.kafka_bootstrap, request_timeout_ms=30_000)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, 1) for name in names])
        yield namespace
    finally:
        await asyncio.shield(_delete_topics(admin, names))


async def _delete_topics(admin: AIOKafkaAdminClient, names: list[str]) -> None:
    try:
        await admin.delete_topics(names)
    except KafkaError as exc:
        print(f"could not delete the benchmark topics {names} ({exc!r}); delete them by hand")
    finally:
        await admin.close()


@dataclass(frozen=True, slots=True)
class FreshDatabase:
    admin_url: str  # postgresql+asyncpg URL of the fresh database, admin role
    service_urls: dict[str, str]  # context → URL with the service's own role

    def asyncpg_args(self, url: str | None = None) -> dict[str, object]:
        return endpoints.asyncpg_connect_args(url or self.admin_url)


@asynccontextmanager
async def fresh_database(
    found: Servers, name: str, contexts: tuple[str, ...]
) -> AsyncIterator[FreshDatabase]:
    """A new database, ``contexts`` provisioned in it (role pmo_<ctx>, schema <ctx>)."""
    admin_url = await endpoints.create_database(found.pg_server_url, prefix=f"pmo_bench_{name}")
    try:
        urls = {ctx: await endpoints.provision_service(admin_url, ctx) for ctx in contexts}
        yield FreshDatabase(admin_url, urls)
    finally:
        # Shielded: a Ctrl-C during the run must still drop the database.
        await asyncio.shield(endpoints.drop_database(found.pg_server_url, admin_url))


def console_script(name: str) -> str:
    """The path of a workspace console script (pmo-portfolio, ...) in this interpreter's venv."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise BenchmarkError(f"{path} is missing: run `make install` (uv sync) first")
    return str(path)


async def migrate(service: str, env: dict[str, str]) -> None:
    """Run ``pmo-<service> migrate`` with ``env``; fail with its output if it fails."""
    process = await asyncio.create_subprocess_exec(
        console_script(f"pmo-{service}"),
        "migrate",
        cwd=REPO_ROOT,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    if process.returncode != 0:
        raise BenchmarkError(
            f"pmo-{service} migrate failed (exit {process.returncode}):\n{output.decode()}"
        )


# --- the machine --------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def kafka_version(bootstrap: str) -> str:
    """The local broker's version, from the jar deploy/local runs (a remote broker: unknown)."""
    if bootstrap != endpoints.LOCAL_KAFKA_BOOTSTRAP:
        return "unknown (broker from PMO_KAFKA_BOOTSTRAP)"
    libs = REPO_ROOT / "deploy" / "local" / ".cache" / "kafka-libs"
    for jar in sorted(libs.glob("kafka_2.13-*.jar")):
        return jar.stem.removeprefix("kafka_2.13-")
    return "unknown"


# The code the benchmarks run: the shared libraries, the two services and the benchmarks.
MEASURED_PATHS = ("libs", "services/portfolio", "services/metrics", "benchmarks")
RESULTS_PATH = "benchmarks/results.json"  # written by the run itself


def code_version() -> dict[str, object]:
    """The commit measured, and whether the measured code had uncommitted changes (then the
    figures cannot be reproduced from the commit alone)."""
    try:
        commit = subprocess.run(  # fixed arguments, our own repository
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_ROOT, capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", *MEASURED_PATHS, f":!{RESULTS_PATH}"],
            cwd=REPO_ROOT, capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return {"commit": "unknown", "uncommitted_changes": None}
    return {"commit": commit, "uncommitted_changes": bool(changed)}


async def machine(found: Servers) -> dict[str, object]:
    conn = await asyncpg.connect(**endpoints.asyncpg_connect_args(found.pg_server_url))
    try:
        pg_version = await conn.fetchval("SHOW server_version")
        # What decides the cost of a commit; the figures mean little without them.
        pg_settings = {
            name: await conn.fetchval(f"SHOW {name}")
            for name in ("synchronous_commit", "fsync", "wal_sync_method", "shared_buffers")
        }
    finally:
        await conn.close()
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "python": platform.python_version(),
        "postgres": pg_version,
        "postgres_settings": pg_settings,
        "kafka": kafka_version(found.kafka_bootstrap),
        "os": platform.platform(),
    }
