"""The metrics service as the chassis runs it: schema, relay and projectors, rebuild."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pmo_events.projector import Projector
from pmo_events.rebuild import rebuild as rebuild_projector
from pmo_events.relay import OutboxRelay
from pmo_events.runner import ProjectorRunner
from pmo_service.app import Runtime, ServiceDefinition, kafka_readiness
from pmo_service.graphql import ServiceSchema
from pmo_service.workers import Worker

from pmo_metrics.api.schema import build_schema
from pmo_metrics.projections.initiative_flow import InitiativeFlowProjector
from pmo_metrics.settings import MetricsSettings

CONTEXT = "metrics"


def projectors(settings: MetricsSettings) -> Sequence[Projector]:
    return [InitiativeFlowProjector(portfolio_topic=settings.topic("portfolio"))]


def schema(runtime: Runtime[MetricsSettings]) -> ServiceSchema:
    return build_schema(runtime)


def workers(runtime: Runtime[MetricsSettings]) -> Sequence[Worker]:
    settings = runtime.settings
    relay = OutboxRelay(
        runtime.engine,
        settings.database_schema,
        CONTEXT,
        settings.topic(CONTEXT),
        settings.kafka_bootstrap,
    )
    runners = [
        ProjectorRunner(
            runtime.engine,
            settings.database_schema,
            projector,
            settings.kafka_bootstrap,
            group_id=settings.consumer_group(projector.name),
        )
        for projector in projectors(settings)
    ]
    return [relay.run, *(runner.run for runner in runners)]


async def rebuild(runtime: Runtime[MetricsSettings]) -> int:
    settings = runtime.settings
    applied = 0
    for projector in projectors(settings):
        applied += await rebuild_projector(
            runtime.engine,
            settings.database_schema,
            projector,
            settings.kafka_bootstrap,
            group_id=settings.consumer_group(projector.name),
        )
    return applied


definition = ServiceDefinition(
    name=CONTEXT,
    settings_type=MetricsSettings,
    schema=schema,
    migrations_dir=Path(__file__).parent / "migrations",
    workers=workers,
    rebuild=rebuild,
    readiness_checks=kafka_readiness,
)
