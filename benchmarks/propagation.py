"""propagation: command commit → visible in another service's read model, against bare Kafka.

Measured, one command at a time:

- ``service``: the portfolio and metrics services as subprocesses on a fresh database. The clock
  starts when the ``proposeInitiative`` response arrives (its transaction has committed) and stops
  when a dedicated connection polling every ~1 ms finds the row in the metrics read model
  ``initiative_flow``. In between: NOTIFY wakes the portfolio relay, it reads the event, produces
  it (idempotent, acks=all), the metrics projector fetches it, applies it and its tracking row in
  one transaction and commits. A bare consumer in this process (its own group) notes when each
  record becomes consumable, splitting the interval into commit → on Kafka (the relay's share,
  plus one consumer fetch) and the rest (the projector's share).
- baseline ``kafka_round_trip``: on the same broker, a bare aiokafka producer (idempotent,
  acks=all, default linger) sends a record of the same size and headers to a throwaway topic with
  the same partition count, and a consumer in the same process receives it: send → receive.

Both services run in a Kafka namespace of the run's own (topics ``bench-<hex>.<ctx>.events``,
created with the contract's partition count and deleted afterwards), so the projector's consumer
group starts on an empty topic and never shares partitions with a development metrics service.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from pmo_events.envelope import to_kafka_record
from pmo_events.store import StoredEvent
from pmo_portfolio.settings import PortfolioSettings
from pmo_service.devkeys import issue_dev_token
from rich.progress import Progress, TaskID

from benchmarks.infra import (
    BenchmarkError,
    FreshDatabase,
    Servers,
    fresh_database,
    kafka_namespace,
    migrate,
    topic_partitions,
)
from benchmarks.processes import running
from benchmarks.stats import Summary, ratio
from benchmarks.write_path import (
    ACTOR,
    MUTATION,
    EventTemplate,
    create_portfolio,
    graphql,
    proposal_input,
)

NAME = "propagation"
PORTFOLIO = "portfolio"
METRICS = "metrics"
POLL_S = 0.001
PAUSE_S = 0.02  # between two commands, so one's tail (offset commit, tracking) never overlaps
VISIBLE_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class Config:
    samples: int = 200
    warmup: int = 20


def service_env(
    base: dict[str, str], db: FreshDatabase, kafka: str, namespace: str
) -> dict[str, str]:
    return {
        **base,
        "PMO_PORTFOLIO_KAFKA_NAMESPACE": namespace,
        "PMO_METRICS_KAFKA_NAMESPACE": namespace,
        "PMO_PORTFOLIO_DATABASE_URL": db.service_urls[PORTFOLIO],
        "PMO_PORTFOLIO_DATABASE_SCHEMA": PORTFOLIO,
        "PMO_PORTFOLIO_KAFKA_BOOTSTRAP": kafka,
        "PMO_PORTFOLIO_LOG_LEVEL": "WARNING",
        "PMO_METRICS_DATABASE_URL": db.service_urls[METRICS],
        "PMO_METRICS_DATABASE_SCHEMA": METRICS,
        "PMO_METRICS_KAFKA_BOOTSTRAP": kafka,
        "PMO_METRICS_LOG_LEVEL": "WARNING",
    }


# --- the service path -------------------------------------------------------------------------


class Observer:
    """A bare consumer of the portfolio topic in its own group: when each record became
    consumable, which splits commit → visible into the relay's part and the projector's part."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            group_id=f"{topic}.bench-observer",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        self.arrivals: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Observer:
        await self.consumer.start()
        self._task = asyncio.create_task(self._watch())
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.consumer.stop()

    async def _watch(self) -> None:
        while True:
            batches = await self.consumer.getmany(timeout_ms=500)
            now = time.perf_counter()
            for records in batches.values():
                for record in records:
                    self.arrivals[record.key.decode()] = now

    async def arrival(self, key: str, timeout_s: float = 5.0) -> float:
        deadline = time.perf_counter() + timeout_s
        while key not in self.arrivals:
            if time.perf_counter() > deadline:
                raise BenchmarkError(f"the observer never received the record of {key}")
            await asyncio.sleep(POLL_S)
        return self.arrivals.pop(key)


class Pipeline:
    """Proposes initiatives over HTTP and watches the metrics read model for them."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        watcher: asyncpg.Connection,
        observer: Observer,
        portfolio_id: str,
    ) -> None:
        self.client = client
        self.portfolio_id = portfolio_id
        self.watcher = watcher
        self.observer = observer
        self._statement: Any = None

    async def one(
        self, index: int, timeout_s: float = VISIBLE_TIMEOUT_S
    ) -> tuple[float, float, float]:
        """(mutation round trip, commit → visible, commit → on Kafka), in seconds."""
        if self._statement is None:
            self._statement = await self.watcher.prepare(
                f"SELECT 1 FROM {METRICS}.initiative_flow WHERE initiative_id = $1"
            )
        variables = {"i": proposal_input(index, self.portfolio_id)}
        sent = time.perf_counter()
        data = await graphql(self.client, MUTATION, variables)
        committed = time.perf_counter()
        initiative_id = data["proposeInitiative"]["id"]
        deadline = committed + timeout_s
        while await self._statement.fetchval(initiative_id) is None:
            if time.perf_counter() > deadline:
                raise BenchmarkError(
                    f"initiative {initiative_id} did not reach {METRICS}.initiative_flow within "
                    f"{timeout_s:.0f} s; see .local/log/bench-portfolio.log and bench-metrics.log"
                )
            await asyncio.sleep(POLL_S)
        visible = time.perf_counter()
        on_kafka = await self.observer.arrival(initiative_id)
        return committed - sent, visible - committed, on_kafka - committed


async def consumer_lag(bootstrap: str, group: str, topic: str, partitions: int) -> int:
    """Records of ``topic`` that ``group`` has not committed yet (all partitions)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    probe = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await admin.start()
    await probe.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
        ends = await probe.end_offsets([TopicPartition(topic, p) for p in range(partitions)])
    finally:
        await probe.stop()
        await admin.close()
    lag = 0
    for tp, end in ends.items():
        done = committed.get(tp)
        lag += end - (done.offset if done is not None and done.offset >= 0 else 0)
    return lag


async def wait_caught_up(bootstrap: str, namespace: str, timeout_s: float = 60.0) -> None:
    """Wait until the metrics projector has committed everything on the portfolio topic."""
    group, topic = group_of(namespace), f"{namespace}.{PORTFOLIO}.events"
    deadline = time.monotonic() + timeout_s
    while (lag := await consumer_lag(bootstrap, group, topic, topic_partitions())) > 0:
        if time.monotonic() > deadline:
            raise BenchmarkError(
                f"consumer group {group} is still {lag} records behind on {topic} after "
                f"{timeout_s:.0f} s; see .local/log/bench-metrics.log"
            )
        await asyncio.sleep(0.5)


def group_of(namespace: str) -> str:
    """The metrics projector's consumer group (MetricsSettings.consumer_group)."""
    return f"{namespace}.{METRICS}.initiative_flow"


async def measure_service(
    servers: Servers,
    db: FreshDatabase,
    namespace: str,
    config: Config,
    progress: Progress,
    env: dict[str, str],
) -> list[Summary]:
    service_env_ = service_env(env, db, servers.kafka_bootstrap, namespace)
    await migrate("portfolio", service_env_)
    await migrate("metrics", service_env_)
    settings = PortfolioSettings(
        database_url=db.service_urls[PORTFOLIO], database_schema=PORTFOLIO, log_level="WARNING"
    )
    token = issue_dev_token(settings, ACTOR, ["pmo"], ttl_seconds=6 * 3600)
    async with (
        running("metrics", service_env_),
        running("portfolio", service_env_) as portfolio,
        httpx.AsyncClient(
            base_url=portfolio.base_url,
            headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
            timeout=60.0,
        ) as client,
        Observer(servers.kafka_bootstrap, f"{namespace}.{PORTFOLIO}.events") as observer,
    ):
        watcher = await asyncpg.connect(**db.asyncpg_args())
        try:
            portfolio_id = await create_portfolio(client)
            pipeline = Pipeline(client, watcher, observer, portfolio_id)
            task = progress.add_task(f"{NAME} service warm-up", total=config.warmup)
            # The first command also waits for the projector to join its consumer group.
            await pipeline.one(-1, timeout_s=120.0)
            for index in range(config.warmup):
                await pipeline.one(index)
                progress.advance(task)
            await wait_caught_up(servers.kafka_bootstrap, namespace)
            progress.update(task, description=f"{NAME} service", total=config.samples, completed=0)
            return await _sample(pipeline.one, config.samples, progress, task)
        finally:
            await watcher.close()


async def _sample(
    one: Callable[[int], Awaitable[tuple[float, ...]]],
    samples: int,
    progress: Progress,
    task: TaskID,
) -> list[Summary]:
    """Call ``one`` ``samples`` times, one at a time; a summary per measured interval."""
    columns: list[list[float]] = []
    started = time.perf_counter()
    for index in range(samples):
        measured = await one(index)
        columns = columns or [[] for _ in measured]
        for column, value in zip(columns, measured, strict=True):
            column.append(value)
        progress.advance(task)
        await asyncio.sleep(PAUSE_S)
    wall = time.perf_counter() - started
    return [Summary.of(column, wall) for column in columns]


# --- the baseline -----------------------------------------------------------------------------


def _record(template: EventTemplate) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """A record shaped like the relay's: same key, value and CloudEvents headers sizes."""
    stream_id = str(uuid.uuid4())
    event_id = uuid.uuid4()
    stored = StoredEvent(
        position=1,
        stream_id=stream_id,
        stream_type="Initiative",
        version=1,
        event_id=event_id,
        event_type=template.event_type,
        data={**template.data, "initiative_id": stream_id},
        metadata={**template.metadata, "correlation_id": str(event_id)},
        recorded_at=datetime.now(UTC),
    )
    key, value, headers = to_kafka_record(stored, "portfolio")
    return key, value, list(headers)


async def measure_kafka(servers: Servers, config: Config, progress: Progress) -> list[Summary]:
    bootstrap = servers.kafka_bootstrap
    partitions = topic_partitions()
    topic = f"bench-{uuid.uuid4().hex[:8]}.kafka.round-trip"
    template = EventTemplate.real(str(uuid.uuid4()))
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, partitions, 1)])
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, acks="all", enable_idempotence=True
        )
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            group_id=f"{topic}.consumer",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await producer.start()
        await consumer.start()
        try:

            async def one(_: int) -> tuple[float, ...]:
                key, value, headers = _record(template)
                sent = time.perf_counter()
                await producer.send_and_wait(topic, value=value, key=key, headers=headers)
                acked = time.perf_counter()
                message = await asyncio.wait_for(consumer.getone(), VISIBLE_TIMEOUT_S)
                received = time.perf_counter()
                if message.key != key:
                    raise BenchmarkError("the round trip received another record than it sent")
                return acked - sent, received - sent

            task = progress.add_task(f"{NAME} Kafka warm-up", total=config.warmup)
            # The first record also waits for the consumer's partition assignment.
            await asyncio.wait_for(one(-1), 120.0)
            for index in range(config.warmup):
                await one(index)
                progress.advance(task)
            progress.update(
                task, description=f"{NAME} Kafka round trip", total=config.samples, completed=0
            )
            return await _sample(one, config.samples, progress, task)
        finally:
            await consumer.stop()
            await producer.stop()
    finally:
        await asyncio.shield(admin.delete_topics([topic]))
        await admin.close()


# --- the run ----------------------------------------------------------------------------------


async def run(
    servers: Servers, config: Config, progress: Progress, env: dict[str, str]
) -> dict[str, Any]:
    produce, round_trip = await measure_kafka(servers, config, progress)
    async with (
        fresh_database(servers, NAME, (PORTFOLIO, METRICS)) as db,
        kafka_namespace(servers, (PORTFOLIO, METRICS), topic_partitions()) as namespace,
    ):
        commit, visible, on_kafka = await measure_service(
            servers, db, namespace, config, progress, env
        )
    return {
        "figures": {
            "commit_to_visible": visible.latency_figures(),
            "commit_to_on_kafka": on_kafka.latency_figures(),
            "mutation_round_trip": commit.latency_figures(),
        },
        "baseline": {
            "kafka_round_trip": round_trip.latency_figures(),
            "kafka_produce_ack": produce.latency_figures(),
        },
        "ratio": {
            "p50": ratio(visible.p50_ms, round_trip.p50_ms),
            "p99": ratio(visible.p99_ms, round_trip.p99_ms),
            "mean": ratio(visible.mean_ms, round_trip.mean_ms),
        },
        "parameters": {
            "samples": config.samples,
            "warmup": config.warmup,
            "poll_interval_ms": POLL_S * 1000,
            "pause_between_commands_ms": PAUSE_S * 1000,
            "kafka_partitions": topic_partitions(),
        },
    }
