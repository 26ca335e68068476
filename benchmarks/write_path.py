"""write_path: commands/s and latency of ``proposeInitiative``, against the same SQL done raw.

Measured, at each concurrency (closed loop, the client in this process on the same machine):

- ``http``: the portfolio service as a subprocess (``pmo-portfolio serve``), driven over HTTP with
  the GraphQL mutation and a development JWT: HTTP, auth, GraphQL, the domain, SQLAlchemy, the
  append transaction, and the service's own outbox relay publishing to Kafka meanwhile.
- ``in_process``: the command handler called directly in this process (no HTTP, GraphQL, auth or
  tracing), to separate the API's cost from the store's.
- baseline ``raw_sql``: one asyncpg transaction per command doing exactly the service's SQL (read
  model INSERT, ``LOCK TABLE events IN EXCLUSIVE MODE``, the INSERT … SELECT FROM unnest … RETURNING
  with ``pg_notify``, COMMIT) on copies of the service's tables (``LIKE … INCLUDING ALL``: same
  columns, defaults, identity, constraints and indexes) in the same fresh database, same role.

Each variant is warmed up, then the variants run in interleaved rounds; after a round of the
service, the benchmark waits until its relay has published everything, so no phase pays for
another's backlog. The CPU each party burned (this process, the service, the database's
backends) is recorded next to the figures.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import orjson
from pmo_events.postgres import PostgresEventStore
from pmo_events.store import NewEvent
from pmo_portfolio.app.handlers import CommandContext, ProposeInitiative, propose_initiative
from pmo_portfolio.app.repository import Repository
from pmo_portfolio.domain.initiative import Initiative
from pmo_portfolio.projections import project
from pmo_portfolio.settings import PortfolioSettings
from pmo_service.database import create_engine
from pmo_service.devkeys import issue_dev_token
from rich.progress import Progress
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncEngine

from benchmarks.cpu import CpuMeter, CpuUse
from benchmarks.infra import (
    BenchmarkError,
    FreshDatabase,
    Servers,
    fresh_database,
    kafka_namespace,
    migrate,
    topic_partitions,
)
from benchmarks.processes import ServiceProcess, running
from benchmarks.stats import Operation, Samples, closed_loop, ratio

NAME = "write_path"
SCHEMA = "portfolio"
RAW = "portfolio_raw"  # the baseline's copy of the tables
ACTOR = "bench-user"
OWNER = "bench-owner"
HYPOTHESIS = (
    "If we give every team one shared intake board, then lead time from idea to decision drops "
    "by a third, because nothing waits in private backlogs."
)
MUTATION = "mutation($i: ProposeInitiativeInput!) { proposeInitiative(input: $i) { id } }"
CREATE_PORTFOLIO = "mutation($i: CreatePortfolioInput!) { createPortfolio(input: $i) { id } }"


@dataclass(frozen=True, slots=True)
class Config:
    requests: int = 2_000
    warmup: int = 200
    concurrencies: tuple[int, ...] = (8, 1)
    rounds: int = 4
    in_process: bool = True


def title(index: int) -> str:
    return f"Benchmark initiative {index}"


def service_env(base: dict[str, str], db_url: str, kafka: str, namespace: str) -> dict[str, str]:
    return {
        **base,
        "PMO_PORTFOLIO_DATABASE_URL": db_url,
        "PMO_PORTFOLIO_DATABASE_SCHEMA": SCHEMA,
        "PMO_PORTFOLIO_KAFKA_BOOTSTRAP": kafka,
        "PMO_PORTFOLIO_KAFKA_NAMESPACE": namespace,
        "PMO_PORTFOLIO_LOG_LEVEL": "WARNING",
    }


# --- the baseline: the service's SQL, by hand -------------------------------------------------

# The read-model row the service's projection writes for InitiativeProposed (the column list is
# checked against the projection at start-up: see check_baseline_matches_service).
INITIATIVE_COLUMNS = (
    "id", "title", "hypothesis", "owner", "portfolio_id", "state", "proposed_by", "proposed_at",
    "updated_at", "version", "strategic_theme_ids", "state_entered_at",
)  # fmt: skip
INSERT_INITIATIVE = f"""
INSERT INTO {RAW}.initiatives ({", ".join(INITIATIVE_COLUMNS)})
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT (id) DO NOTHING
"""
LOCK_EVENTS = f"LOCK TABLE {RAW}.events IN EXCLUSIVE MODE"
# The statement PostgresEventStore compiles, with the schema swapped (see its _build_insert).
APPEND = f"""
WITH inserted AS (
    INSERT INTO {RAW}.events
        (stream_id, stream_type, version, event_id, event_type, data, metadata)
    SELECT $2::text, $3::text, new.version, new.event_id, new.event_type, new.data, new.metadata
    FROM unnest($4::integer[], $5::uuid[], $6::text[], $7::jsonb[], $8::jsonb[])
        AS new(version, event_id, event_type, data, metadata)
    WHERE (SELECT coalesce(max(e.version), 0) FROM {RAW}.events e WHERE e.stream_id = $2::text)
        = $9::integer
    RETURNING position, version, recorded_at
)
SELECT inserted.position, inserted.version, inserted.recorded_at,
       pg_notify($1::text, CAST((SELECT max(position) FROM inserted) AS text))
FROM inserted
"""


async def create_raw_tables(db: FreshDatabase) -> None:
    """Copies of the service's tables, made after its migrations, owned by the service's role."""
    admin = await asyncpg.connect(**db.asyncpg_args())
    try:
        await admin.execute(f'CREATE SCHEMA {RAW} AUTHORIZATION "pmo_{SCHEMA}"')
    finally:
        await admin.close()
    service = await asyncpg.connect(**db.asyncpg_args(db.service_urls[SCHEMA]))
    try:
        for table in ("initiatives", "events"):
            await service.execute(
                f"CREATE TABLE {RAW}.{table} (LIKE {SCHEMA}.{table} INCLUDING ALL)"
            )
    finally:
        await service.close()


class _Recorder:
    """Stands in for a connection to see which statements a projection would execute."""

    def __init__(self) -> None:
        self.statements: list[tuple[Any, Any]] = []

    async def execute(self, statement: Any, parameters: Any = None, *_: Any, **__: Any) -> None:
        self.statements.append((statement, parameters))


async def check_baseline_matches_service() -> None:
    """Fail when the service's read-model write for InitiativeProposed no longer matches the
    baseline's, so the comparison never silently drifts apart from what the service does."""
    recorder = _Recorder()
    await project(recorder, _proposal(str(uuid.uuid4())).pending[0], 1)  # type: ignore[arg-type]
    dialect = asyncpg_dialect()  # type: ignore[no-untyped-call]
    # A statement built once takes its VALUES from the parameters, one per key given.
    written = [
        (
            statement.table.name,
            tuple(
                statement.compile(
                    dialect=dialect,
                    column_keys=list(parameters) if isinstance(parameters, dict) else None,
                ).params
            ),
        )
        for statement, parameters in recorder.statements
    ]
    if written != [("initiatives", INITIATIVE_COLUMNS)]:
        raise BenchmarkError(
            f"the service's projection of InitiativeProposed now writes {written}, the raw "
            f"baseline writes {[('initiatives', INITIATIVE_COLUMNS)]}: update INSERT_INITIATIVE "
            "and raw_operation in benchmarks/write_path.py to do what the service does"
        )


def _proposal(portfolio_id: str) -> Initiative:
    return Initiative.propose(
        str(uuid.uuid4()),
        title=title(0),
        hypothesis=HYPOTHESIS,
        owner=OWNER,
        portfolio_id=portfolio_id,
        actor=ACTOR,
        now=datetime.now(UTC),
    )


@dataclass(frozen=True, slots=True)
class EventTemplate:
    """The stored shape of one real InitiativeProposed (so payload sizes match the service's)."""

    event_type: str
    data: dict[str, Any]
    metadata: dict[str, Any]

    @classmethod
    def real(cls, portfolio_id: str) -> EventTemplate:
        event = NewEvent.of(_proposal(portfolio_id).pending[0])
        metadata = event.full_metadata({"actor": ACTOR})
        # The service appends inside a traced request: its metadata carries a traceparent.
        metadata.setdefault("traceparent", f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01")
        return cls(event.event_type, event.data(), metadata)


def raw_operation(pool: asyncpg.Pool, template: EventTemplate, portfolio_id: str) -> Operation:
    channel = f"{RAW}_events"

    async def operation(index: int) -> None:
        stream_id = str(uuid.uuid4())
        event_id = uuid.uuid4()
        now = datetime.now(UTC)
        data = {**template.data, "initiative_id": stream_id, "title": title(index)}
        data["proposed_at"] = now.isoformat()
        metadata = {**template.metadata, "correlation_id": str(event_id)}
        metadata["causation_id"] = str(event_id)
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(
                INSERT_INITIATIVE,
                stream_id, title(index), HYPOTHESIS, OWNER, portfolio_id, "FUNNEL", ACTOR, now,
                now, 1, [], now,
            )  # fmt: skip
            await conn.execute(LOCK_EVENTS)
            rows = await conn.fetch(
                APPEND,
                channel, stream_id, "Initiative", [1], [event_id], [template.event_type],
                [orjson.dumps(data).decode()], [orjson.dumps(metadata).decode()], 0,
            )  # fmt: skip
        if len(rows) != 1:
            raise BenchmarkError(f"the baseline append returned {len(rows)} rows, expected 1")

    return operation


# --- the service ------------------------------------------------------------------------------


async def graphql(client: httpx.AsyncClient, query: str, variables: dict[str, Any]) -> Any:
    """POST one operation; its ``data``, or a BenchmarkError quoting the response."""
    response = await client.post(
        "/graphql", content=orjson.dumps({"query": query, "variables": variables})
    )
    payload = orjson.loads(response.content) if response.content else {}
    if response.status_code != 200 or payload.get("errors") or not payload.get("data"):
        field = re.search(r"\{\s*(\w+)", query)
        raise BenchmarkError(
            f"{field.group(1) if field else query} failed: HTTP {response.status_code} "
            f"{response.text[:500]}"
        )
    return payload["data"]


async def create_portfolio(client: httpx.AsyncClient) -> str:
    """The portfolio every proposal of the run goes into (proposing requires one)."""
    variables = {"i": {"name": "Benchmark portfolio", "owner": OWNER}}
    data = await graphql(client, CREATE_PORTFOLIO, variables)
    portfolio_id: str = data["createPortfolio"]["id"]
    return portfolio_id


def proposal_input(index: int, portfolio_id: str) -> dict[str, str]:
    return {
        "title": title(index),
        "owner": OWNER,
        "hypothesis": HYPOTHESIS,
        "portfolioId": portfolio_id,
    }


def http_operation(client: httpx.AsyncClient, portfolio_id: str) -> Operation:
    async def operation(index: int) -> None:
        await graphql(client, MUTATION, {"i": proposal_input(index, portfolio_id)})

    return operation


def in_process_operation(repository: Repository, portfolio_id: str) -> Operation:
    context = CommandContext.of(ACTOR, ["pmo"])

    async def operation(index: int) -> None:
        command = ProposeInitiative(
            title=title(index), hypothesis=HYPOTHESIS, owner=OWNER, portfolio_id=portfolio_id
        )
        await propose_initiative(command, context, repository)

    return operation


def _settings(db_url: str, kafka: str) -> PortfolioSettings:
    return PortfolioSettings(
        database_url=db_url, database_schema=SCHEMA, kafka_bootstrap=kafka, log_level="WARNING"
    )


async def relay_caught_up(db: FreshDatabase, topic: str, timeout_s: float = 120.0) -> None:
    """Wait until the service's relay has published every stored event (phases must not overlap)."""
    conn = await asyncpg.connect(**db.asyncpg_args())
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            behind = await conn.fetchval(
                f"SELECT coalesce((SELECT max(position) FROM {SCHEMA}.events), 0)"
                f" - coalesce((SELECT position FROM {SCHEMA}.relay_tracking WHERE topic = $1), 0)",
                topic,
            )
            if behind <= 0:
                return
            await asyncio.sleep(0.05)
    finally:
        await conn.close()
    raise BenchmarkError(
        f"the portfolio relay did not publish its backlog within {timeout_s:.0f} s; "
        "check Kafka and .local/log/bench-portfolio.log"
    )


# --- the run ----------------------------------------------------------------------------------


@dataclass
class Variant:
    """One way of running the command, measured in rounds interleaved with the other variants."""

    label: str
    operation: Operation
    service: ServiceProcess | None  # whose CPU to meter, besides this process and Postgres
    settle_topic: str | None  # wait for the relay to publish this variant's events, if any
    samples: Samples = field(default_factory=Samples)
    cpu: CpuUse = field(default_factory=CpuUse)

    def figures(self) -> dict[str, Any]:
        return {**self.samples.summary().throughput_figures(), "cpu_cores": self.cpu.cores()}


async def measure(
    db: FreshDatabase, variants: list[Variant], concurrency: int, config: Config, progress: Progress
) -> None:
    """Warm every variant up, then run ``config.rounds`` rounds of each in turn.

    Interleaving (A B C A B C …) rather than running each variant in one block spreads any
    change in background load on the shared machine over all variants alike.
    """
    tasks = {
        variant.label: progress.add_task(
            f"{NAME} {variant.label} c={concurrency}", total=config.warmup + config.requests
        )
        for variant in variants
    }
    for variant in variants:
        await closed_loop(
            variant.operation,
            total=config.warmup,
            concurrency=concurrency,
            progress=progress,
            task=tasks[variant.label],
        )
        await _settle(db, variant)
    per_round = -(-config.requests // config.rounds)
    watcher = await asyncpg.connect(**db.asyncpg_args())
    try:
        database = str(db.asyncpg_args()["database"])
        for done in range(0, config.requests, per_round):
            for variant in variants:
                pid = variant.service.pid if variant.service else None
                meter = CpuMeter(watcher, database, pid)
                await meter.start()
                variant.samples.add(
                    await closed_loop(
                        variant.operation,
                        total=min(per_round, config.requests - done),
                        concurrency=concurrency,
                        progress=progress,
                        task=tasks[variant.label],
                    )
                )
                variant.cpu.add(await meter.stop())
                await _settle(db, variant)
    finally:
        await watcher.close()


async def _settle(db: FreshDatabase, variant: Variant) -> None:
    if variant.settle_topic is not None:
        await relay_caught_up(db, variant.settle_topic)


def _ratios(figures: dict[str, Any], baseline: dict[str, Any]) -> dict[str, float]:
    return {
        "throughput": ratio(figures["per_second"], baseline["per_second"]),
        "p50": ratio(figures["p50_ms"], baseline["p50_ms"]),
        "p99": ratio(figures["p99_ms"], baseline["p99_ms"]),
    }


async def run(
    servers: Servers, config: Config, progress: Progress, env: dict[str, str]
) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    baseline: dict[str, Any] = {}
    ratios: dict[str, Any] = {}
    await check_baseline_matches_service()
    async with (
        fresh_database(servers, NAME, (SCHEMA,)) as db,
        kafka_namespace(servers, ("portfolio",), topic_partitions()) as namespace,
    ):
        topic = f"{namespace}.portfolio.events"
        db_url = db.service_urls[SCHEMA]
        service_env_ = service_env(env, db_url, servers.kafka_bootstrap, namespace)
        await migrate("portfolio", service_env_)
        await create_raw_tables(db)
        settings = _settings(db_url, servers.kafka_bootstrap)
        token = issue_dev_token(settings, ACTOR, ["pmo"], ttl_seconds=6 * 3600)
        most = max(config.concurrencies)
        pool = await asyncpg.create_pool(**db.asyncpg_args(db_url), min_size=most, max_size=most)
        engine: AsyncEngine = create_engine(settings, application_name="pmo-bench-in-process")
        repository = Repository(engine, PostgresEventStore(engine, SCHEMA))
        try:
            async with (
                running("portfolio", service_env_) as service,
                httpx.AsyncClient(
                    base_url=service.base_url,
                    headers={
                        "authorization": f"Bearer {token}",
                        "content-type": "application/json",
                    },
                    limits=httpx.Limits(max_connections=most, max_keepalive_connections=most),
                    timeout=60.0,
                ) as client,
            ):
                portfolio_id = await create_portfolio(client)
                template = EventTemplate.real(portfolio_id)
                for concurrency in config.concurrencies:
                    key = f"concurrency_{concurrency}"
                    raw = Variant(
                        "raw SQL", raw_operation(pool, template, portfolio_id), service, None
                    )
                    http = Variant("http", http_operation(client, portfolio_id), service, topic)
                    variants = [raw, http]
                    if config.in_process:
                        inner = Variant(
                            "in-process",
                            in_process_operation(repository, portfolio_id),
                            service,
                            topic,
                        )
                        variants.append(inner)
                    await measure(db, variants, concurrency, config, progress)
                    baseline[key] = raw.figures()
                    figures[key] = http.figures()
                    ratios[key] = _ratios(figures[key], baseline[key])
                    if config.in_process:
                        figures[f"in_process_{key}"] = inner.figures()
                        ratios[f"in_process_{key}"] = _ratios(inner.figures(), baseline[key])
        finally:
            await pool.close()
            await engine.dispose()
    return {
        "figures": figures,
        "baseline": baseline,
        "ratio": ratios,
        "parameters": {
            "requests": config.requests,
            "warmup": config.warmup,
            "rounds": config.rounds,
            "concurrencies": list(config.concurrencies),
            "client": "httpx in the benchmark process, on the same machine as the service",
            "service": "one pmo-portfolio serve process (uvicorn, one worker), log level WARNING",
            "kafka_partitions": topic_partitions(),
        },
    }
