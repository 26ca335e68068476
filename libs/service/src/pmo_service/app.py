"""The app factory: one ``ServiceDefinition`` describes a service, ``create_app`` serves it.

Every service has the same shape: a strawberry federation subgraph at ``/graphql``, probes and
metrics, an engine bound to its own schema, and background workers (outbox relay, projectors)
supervised for the life of the process.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import structlog
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.fastapi import GraphQLRouter

from pmo_service.auth import JwtVerifier
from pmo_service.database import create_engine, ping
from pmo_service.graphql.context import context_getter
from pmo_service.graphql.schema import ServiceSchema
from pmo_service.http import ReadinessCheck, install_http_basics
from pmo_service.kafka import kafka_ping
from pmo_service.logging import setup_logging
from pmo_service.settings import ServiceSettings, load_settings
from pmo_service.telemetry import instrument_app, setup_telemetry
from pmo_service.workers import Backoff, Worker, WorkerSupervisor

S = TypeVar("S", bound=ServiceSettings)

logger = structlog.get_logger(__name__)


@dataclass
class Runtime(Generic[S]):
    """What a running service shares between its API, workers and commands.

    ``state`` is for whatever the service attaches (its event store, registries, ...), typically
    in its schema factory or ``resources`` hook.
    """

    service: str
    settings: S
    engine: AsyncEngine
    state: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def open(cls, service: str, settings: S) -> Runtime[S]:
        """A runtime with a fresh engine (no connection is made until first use)."""
        engine = create_engine(settings, application_name=f"pmo-{service}")
        return cls(service=service, settings=settings, engine=engine)

    async def close(self) -> None:
        await self.engine.dispose()


def _no_workers(runtime: Runtime[Any]) -> Sequence[Worker]:
    return ()


def _no_checks(runtime: Runtime[Any]) -> Sequence[ReadinessCheck]:
    return ()


@dataclass(frozen=True)
class ServiceDefinition(Generic[S]):
    """Everything the chassis needs to know about a service.

    - ``schema``: builds the subgraph (a ``ServiceSchema``) for a runtime.
    - ``workers``: the background loops (``async def run(stop: asyncio.Event)``) to supervise.
    - ``rebuild``: replays the service's projections from scratch; returns the events applied.
    - ``readiness_checks``: dependencies beyond the database that ``/readyz`` must see answer
      (``kafka_readiness`` for Kafka).
    - ``resources``: an async context manager entered at start-up and left at shutdown, for
      things the service opens once (producers, clients) and stores in ``runtime.state``.
    """

    name: str
    settings_type: type[S]
    schema: Callable[[Runtime[S]], ServiceSchema]
    migrations_dir: Path | None = None
    workers: Callable[[Runtime[S]], Sequence[Worker]] = _no_workers
    rebuild: Callable[[Runtime[S]], Awaitable[int]] | None = None
    readiness_checks: Callable[[Runtime[S]], Sequence[ReadinessCheck]] = _no_checks
    resources: Callable[[Runtime[S]], AbstractAsyncContextManager[None]] | None = None
    worker_backoff: Backoff = field(default_factory=Backoff)
    shutdown_grace_seconds: float = 10.0

    def load_settings(self, **overrides: Any) -> S:
        return load_settings(self.settings_type, **overrides)


def kafka_readiness(runtime: Runtime[Any]) -> Sequence[ReadinessCheck]:
    """Readiness factory: Kafka at ``settings.kafka_bootstrap`` must answer."""
    return [
        ReadinessCheck("kafka", functools.partial(kafka_ping, runtime.settings.kafka_bootstrap))
    ]


def freeze_startup_heap() -> None:
    """Move everything allocated so far (modules, schema, settings: the long-lived start-up heap)
    out of the garbage collector's reach. Call it once, just before serving.

    A full collection traverses every tracked object; in a service that is mostly the start-up
    heap, which never becomes garbage. Measured on ``pmo-portfolio serve`` (proposeInitiative at
    concurrency 8, 3,200 commands): the ten full collections took ~100 ms each, 1.05 s in all
    (and the p99); frozen first, twelve took 0.33 s, and the service's CPU per command fell from
    4.09 to 3.67 ms. Start-up garbage is collected before the freeze; frozen objects are still
    freed by reference counting, only a cycle among them would outlive the process's need.
    """
    gc.collect()
    gc.freeze()


def create_app(definition: ServiceDefinition[S], settings: S | None = None) -> FastAPI:
    """The service's ASGI app. Logging, tracing and the engine are set up here (instrumentation
    must wrap the app before it starts); workers run from start-up to shutdown."""
    settings = settings if settings is not None else definition.load_settings()
    setup_logging(definition.name, settings)
    setup_telemetry(definition.name, settings)
    runtime = Runtime.open(definition.name, settings)
    schema = definition.schema(runtime)
    if not isinstance(schema, ServiceSchema):
        raise TypeError(
            f"{definition.name}: the schema factory returned a {type(schema).__name__}; build "
            "it with pmo_service.graphql.ServiceSchema so requests are authenticated"
        )
    verifier = JwtVerifier.from_settings(settings)
    checks = [
        ReadinessCheck("database", functools.partial(ping, runtime.engine)),
        *definition.readiness_checks(runtime),
    ]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        supervisor = WorkerSupervisor(definition.name, definition.worker_backoff)
        app.state.supervisor = supervisor
        async with AsyncExitStack() as stack:
            stack.push_async_callback(runtime.close)
            if definition.resources is not None:
                await stack.enter_async_context(definition.resources(runtime))
            supervisor.start(definition.workers(runtime))
            stack.push_async_callback(supervisor.shutdown, definition.shutdown_grace_seconds)
            logger.info(
                "service_started",
                environment=settings.environment,
                schema=settings.database_schema,
                graphiql=settings.graphiql,
            )
            yield
        logger.info("service_stopped")

    app = FastAPI(
        title=f"pmo-{definition.name}",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.runtime = runtime
    app.state.schema = schema
    graphql = GraphQLRouter(
        schema,
        graphql_ide="graphiql" if settings.graphiql else None,
        allow_queries_via_get=False,
        context_getter=context_getter(
            verifier, runtime, introspection=bool(settings.introspection)
        ),
        subscription_protocols=(),
    )
    app.include_router(graphql, prefix="/graphql")
    install_http_basics(app, settings, definition.name, lambda: checks)
    instrument_app(app)
    return app
