"""The choice of servers: the environment wins over containers and the local servers."""

from __future__ import annotations

import contextlib

import pytest

from tests.infra import endpoints


def test_environment_urls_are_used_as_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMO_DATABASE_URL", "postgresql://admin:secret@db.example:6543/postgres")
    monkeypatch.setenv("PMO_KAFKA_BOOTSTRAP", "broker.example:19092")
    with contextlib.ExitStack() as stack:
        assert endpoints.choose_postgres(stack) == (
            "postgresql+asyncpg://admin:secret@db.example:6543/postgres",
            "PMO_DATABASE_URL",
        )
        assert endpoints.choose_kafka(stack) == ("broker.example:19092", "PMO_KAFKA_BOOTSTRAP")


def test_a_non_postgres_database_url_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMO_DATABASE_URL", "mysql://u:p@127.0.0.1/x")
    with contextlib.ExitStack() as stack, pytest.raises(ValueError, match="PostgreSQL URL"):
        endpoints.choose_postgres(stack)


async def test_provisioning_refuses_a_context_name_that_is_not_an_identifier() -> None:
    with pytest.raises(ValueError, match="lower-case"):
        await endpoints.provision_service("postgresql+asyncpg://u:p@127.0.0.1/x", "Bad-Name")
