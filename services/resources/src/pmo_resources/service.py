"""The resources service as the chassis runs it: schema, workers, rebuild.

Workers: the outbox relay; the portfolio reactions (`app/reactions.py`, consumer group
`<ns>.resources.portfolio_reactions`); the initiative titles projector (`<ns>.resources.
initiative_titles`); the labour accrual, at start-up and every `labour_accrual_interval_hours`
(0 turns it off; `accrueLabour` runs it on demand).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from pmo_events.postgres import PostgresEventStore
from pmo_events.projector import Projector
from pmo_events.rebuild import rebuild as rebuild_projector
from pmo_events.relay import OutboxRelay
from pmo_events.runner import ProjectorRunner
from pmo_service.app import Runtime, ServiceDefinition, kafka_readiness
from pmo_service.graphql import ServiceSchema
from pmo_service.workers import Worker

from pmo_resources.api.deps import REPOSITORY
from pmo_resources.api.schema import build_schema
from pmo_resources.app.accrual import LabourAccrualWorker
from pmo_resources.app.reactions import PortfolioReactions
from pmo_resources.app.repository import Repository
from pmo_resources.projections.demand import InitiativeTitlesProjector
from pmo_resources.projections.rebuild import rebuild_read_models
from pmo_resources.settings import ResourcesSettings

CONTEXT = "resources"
# runtime.state key of the running ProjectorRunners (tests wait on them).
RUNNERS = "projector_runners"


def schema(runtime: Runtime[ResourcesSettings]) -> ServiceSchema:
    store = PostgresEventStore(runtime.engine, runtime.settings.database_schema)
    runtime.state[REPOSITORY] = Repository(runtime.engine, store)
    return build_schema(runtime)


def projectors(runtime: Runtime[ResourcesSettings]) -> list[Projector]:
    """The consumers of other contexts' topics: the reactions first, then the read models."""
    portfolio = runtime.settings.topic("portfolio")
    repository: Repository = runtime.state[REPOSITORY]
    return [PortfolioReactions(repository, portfolio), InitiativeTitlesProjector(portfolio)]


def workers(runtime: Runtime[ResourcesSettings]) -> Sequence[Worker]:
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
        for projector in projectors(runtime)
    ]
    runtime.state[RUNNERS] = runners
    found: list[Worker] = [relay.run, *(runner.run for runner in runners)]
    if settings.labour_accrual_interval_hours > 0:
        accrual = LabourAccrualWorker(
            runtime.state[REPOSITORY],
            every=timedelta(hours=settings.labour_accrual_interval_hours),
        )
        found.append(accrual.run)
    return found


async def rebuild(runtime: Runtime[ResourcesSettings]) -> int:
    """The own read models from the event store, then the foreign ones from offset zero of
    their topics. The reactions are not replayed: their results are events, already stored."""
    settings = runtime.settings
    applied = await rebuild_read_models(runtime.engine, settings.database_schema)
    titles = InitiativeTitlesProjector(settings.topic("portfolio"))
    applied += await rebuild_projector(
        runtime.engine,
        settings.database_schema,
        titles,
        settings.kafka_bootstrap,
        group_id=settings.consumer_group(titles.name),
    )
    return applied


definition = ServiceDefinition(
    name=CONTEXT,
    settings_type=ResourcesSettings,
    schema=schema,
    migrations_dir=Path(__file__).parent / "migrations",
    workers=workers,
    rebuild=rebuild,
    readiness_checks=kafka_readiness,
)
