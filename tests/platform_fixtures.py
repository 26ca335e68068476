"""Session fixtures running the services on the session's infrastructure (tests/platform.py)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from pmo_events.topics import ensure_topics
from pmo_metrics.service import definition as metrics_definition
from pmo_metrics.settings import MetricsSettings
from pmo_portfolio.service import definition as portfolio_definition
from pmo_portfolio.settings import PortfolioSettings
from pmo_resources.service import definition as resources_definition
from pmo_resources.settings import ResourcesSettings

from tests.infra.endpoints import run_sync
from tests.platform import migrated_settings, topics_of


async def _delete_topics(bootstrap: str, topics: list[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.delete_topics(topics)
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def kafka_namespace(kafka_bootstrap: str) -> Iterator[str]:
    """A Kafka namespace of this session's own: its topics are created now, deleted at the end."""
    namespace = f"test-{secrets.token_hex(4)}"
    topics = topics_of(namespace)
    run_sync(ensure_topics(kafka_bootstrap, topics, partitions=3))
    yield namespace
    run_sync(_delete_topics(kafka_bootstrap, topics))


@pytest.fixture(scope="session")
def portfolio_settings(
    provision_service: Callable[[str], str], kafka_bootstrap: str, kafka_namespace: str
) -> PortfolioSettings:
    assert portfolio_definition.migrations_dir is not None
    return run_sync(
        migrated_settings(
            PortfolioSettings,
            portfolio_definition.migrations_dir,
            database_url=provision_service("portfolio"),
            kafka_bootstrap=kafka_bootstrap,
            namespace=kafka_namespace,
        )
    )


@pytest.fixture(scope="session")
def metrics_settings(
    provision_service: Callable[[str], str], kafka_bootstrap: str, kafka_namespace: str
) -> MetricsSettings:
    assert metrics_definition.migrations_dir is not None
    return run_sync(
        migrated_settings(
            MetricsSettings,
            metrics_definition.migrations_dir,
            database_url=provision_service("metrics"),
            kafka_bootstrap=kafka_bootstrap,
            namespace=kafka_namespace,
        )
    )


@pytest.fixture(scope="session")
def resources_settings(
    provision_service: Callable[[str], str], kafka_bootstrap: str, kafka_namespace: str
) -> ResourcesSettings:
    assert resources_definition.migrations_dir is not None
    return run_sync(
        migrated_settings(
            ResourcesSettings,
            resources_definition.migrations_dir,
            database_url=provision_service("resources"),
            kafka_bootstrap=kafka_bootstrap,
            namespace=kafka_namespace,
        )
    )
