"""The resources service as the chassis runs it: schema, workers, rebuild."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pmo_events.postgres import PostgresEventStore
from pmo_events.relay import OutboxRelay
from pmo_service.app import Runtime, ServiceDefinition, kafka_readiness
from pmo_service.graphql import ServiceSchema
from pmo_service.workers import Worker

from pmo_resources.api.deps import REPOSITORY
from pmo_resources.api.schema import build_schema
from pmo_resources.app.repository import Repository
from pmo_resources.projections.rebuild import rebuild_read_models
from pmo_resources.settings import ResourcesSettings

CONTEXT = "resources"


def schema(runtime: Runtime[ResourcesSettings]) -> ServiceSchema:
    store = PostgresEventStore(runtime.engine, runtime.settings.database_schema)
    runtime.state[REPOSITORY] = Repository(runtime.engine, store)
    return build_schema(runtime)


def workers(runtime: Runtime[ResourcesSettings]) -> Sequence[Worker]:
    relay = OutboxRelay(
        runtime.engine,
        runtime.settings.database_schema,
        CONTEXT,
        runtime.settings.topic(CONTEXT),
        runtime.settings.kafka_bootstrap,
    )
    return [relay.run]


async def rebuild(runtime: Runtime[ResourcesSettings]) -> int:
    return await rebuild_read_models(runtime.engine, runtime.settings.database_schema)


definition = ServiceDefinition(
    name=CONTEXT,
    settings_type=ResourcesSettings,
    schema=schema,
    migrations_dir=Path(__file__).parent / "migrations",
    workers=workers,
    rebuild=rebuild,
    readiness_checks=kafka_readiness,
)
