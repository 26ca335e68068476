"""The portfolio service as the chassis runs it: schema, workers, rebuild."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pmo_events.postgres import PostgresEventStore
from pmo_events.relay import OutboxRelay
from pmo_service.app import Runtime, ServiceDefinition, kafka_readiness
from pmo_service.graphql import ServiceSchema
from pmo_service.workers import Worker

from pmo_portfolio.api.deps import REPOSITORY
from pmo_portfolio.api.schema import build_schema
from pmo_portfolio.app.repository import Repository
from pmo_portfolio.projections.rebuild import rebuild_read_models
from pmo_portfolio.settings import PortfolioSettings

CONTEXT = "portfolio"


def schema(runtime: Runtime[PortfolioSettings]) -> ServiceSchema:
    store = PostgresEventStore(runtime.engine, runtime.settings.database_schema)
    runtime.state[REPOSITORY] = Repository(runtime.engine, store)
    return build_schema(runtime)


def workers(runtime: Runtime[PortfolioSettings]) -> Sequence[Worker]:
    relay = OutboxRelay(
        runtime.engine,
        runtime.settings.database_schema,
        CONTEXT,
        runtime.settings.topic(CONTEXT),
        runtime.settings.kafka_bootstrap,
    )
    return [relay.run]


async def rebuild(runtime: Runtime[PortfolioSettings]) -> int:
    return await rebuild_read_models(runtime.engine, runtime.settings.database_schema)


definition = ServiceDefinition(
    name=CONTEXT,
    settings_type=PortfolioSettings,
    schema=schema,
    migrations_dir=Path(__file__).parent / "migrations",
    workers=workers,
    rebuild=rebuild,
    readiness_checks=kafka_readiness,
)
