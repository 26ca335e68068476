"""Session fixtures shared by every test in the repository (loaded by the root conftest.py).

- ``pg_admin_url``: SQLAlchemy URL (postgresql+asyncpg) with admin rights to a FRESH database
  created for this session and dropped at its end (set PMO_KEEP_TEST_DB=1 to keep it).
- ``kafka_bootstrap``: host:port of a broker on which the contract topics exist.
- ``provision_service``: ``provision_service(ctx) -> str`` creates role pmo_<ctx> and schema <ctx>
  in the fresh database and returns the service's own URL (usable from sync and async code).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator

import pytest

from tests.infra import endpoints


@pytest.fixture(scope="session")
def _infra_stack() -> Iterator[contextlib.ExitStack]:
    """Owns whatever containers the session starts; they stop when the session ends."""
    with contextlib.ExitStack() as stack:
        yield stack


@pytest.fixture(scope="session")
def pg_server_url(_infra_stack: contextlib.ExitStack) -> str:
    """Admin URL of the PostgreSQL server (its maintenance database), chosen once per session."""
    url, how = endpoints.choose_postgres(_infra_stack)
    print(f"\n[pmo tests] PostgreSQL from {how}")
    return url


@pytest.fixture(scope="session")
def pg_admin_url(pg_server_url: str) -> Iterator[str]:
    url = endpoints.run_sync(endpoints.create_database(pg_server_url))
    try:
        yield url
    finally:
        if os.environ.get("PMO_KEEP_TEST_DB"):
            print(f"\n[pmo tests] kept test database: {url}")
        else:
            endpoints.run_sync(endpoints.drop_database(pg_server_url, url))


@pytest.fixture(scope="session")
def provision_service(pg_admin_url: str) -> Callable[[str], str]:
    def provision(ctx: str) -> str:
        return endpoints.run_sync(endpoints.provision_service(pg_admin_url, ctx))

    return provision


@pytest.fixture(scope="session")
def kafka_bootstrap(_infra_stack: contextlib.ExitStack) -> str:
    bootstrap, how = endpoints.choose_kafka(_infra_stack)
    print(f"\n[pmo tests] Kafka from {how} at {bootstrap}")
    endpoints.run_sync(endpoints.ensure_topics(bootstrap))
    return bootstrap
