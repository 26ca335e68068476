"""Saving aggregates: optimistic concurrency, atomic read model, rebuild from the event store."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from pmo_events.errors import ConcurrencyError
from pmo_events.postgres import PostgresEventStore
from pmo_portfolio.app.handlers import ProposeInitiative, propose_initiative
from pmo_portfolio.app.repository import InitiativeRepository
from pmo_portfolio.projections import initiatives
from pmo_portfolio.projections.rebuild import rebuild_read_models
from pmo_portfolio.settings import PortfolioSettings
from pmo_service.database import create_engine
from sqlalchemy.ext.asyncio import AsyncEngine


@pytest.fixture(scope="module")
async def engine(portfolio_settings: PortfolioSettings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(portfolio_settings, application_name="portfolio-tests")
    yield engine
    await engine.dispose()


@pytest.fixture
def repository(engine: AsyncEngine, portfolio_settings: PortfolioSettings) -> InitiativeRepository:
    return InitiativeRepository(
        engine, PostgresEventStore(engine, portfolio_settings.database_schema)
    )


async def test_a_loaded_initiative_equals_the_proposed_one(
    repository: InitiativeRepository,
) -> None:
    proposed = await propose_initiative(
        ProposeInitiative(
            title="Data mesh pilot", hypothesis="h", owner="carol", portfolio_id="digital"
        ),
        actor="dave",
        initiatives=repository,
        now=lambda: datetime(2026, 11, 2, tzinfo=UTC),
    )
    loaded = await repository.get(proposed.id)
    assert (loaded.title, loaded.owner, loaded.proposed_by, loaded.version) == (
        "Data mesh pilot",
        "carol",
        "dave",
        1,
    )


async def test_concurrent_creation_of_one_stream_lets_exactly_one_win(
    repository: InitiativeRepository, engine: AsyncEngine
) -> None:
    initiative_id = str(uuid.uuid4())

    async def attempt(title: str) -> str:
        await propose_initiative(
            ProposeInitiative(title=title, hypothesis="", owner="erin", portfolio_id="digital"),
            actor="erin",
            initiatives=repository,
            new_id=lambda: initiative_id,
        )
        return title

    results = await asyncio.gather(attempt("first"), attempt("second"), return_exceptions=True)
    winners = [r for r in results if isinstance(r, str)]
    losers = [r for r in results if isinstance(r, ConcurrencyError)]
    assert len(winners) == 1, results
    assert len(losers) == 1, results
    async with engine.connect() as conn:
        rows = await initiatives.by_ids(conn, [initiative_id])
    # The loser's read-model write was rolled back with its append: the row is the winner's.
    assert rows[initiative_id].title == winners[0]
    assert len(await repository.store.load(initiative_id)) == 1


async def test_rebuild_reproduces_the_read_model(
    repository: InitiativeRepository, engine: AsyncEngine, portfolio_settings: PortfolioSettings
) -> None:
    for title in ("Rebuild A", "Rebuild B"):
        await propose_initiative(
            ProposeInitiative(title=title, hypothesis="", owner="frank", portfolio_id="digital"),
            actor="frank",
            initiatives=repository,
        )

    async def snapshot() -> list[tuple[object, ...]]:
        async with engine.connect() as conn:
            result = await conn.execute(sa.select(initiatives.initiatives).order_by("id"))
            return [tuple(row) for row in result]

    before = await snapshot()
    applied = await rebuild_read_models(engine, portfolio_settings.database_schema, progress=False)
    assert applied == await repository.store.head_position()
    assert await snapshot() == before
