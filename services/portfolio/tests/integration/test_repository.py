"""Saving aggregates: optimistic concurrency, atomic read model, precise NotFound, retries of the
idempotent commands, rebuild from the event store."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from pmo_events.aggregate import Aggregate
from pmo_events.errors import ConcurrencyError, NotFound
from pmo_events.postgres import PostgresEventStore
from pmo_portfolio.app import handlers as h
from pmo_portfolio.app.context import CommandContext
from pmo_portfolio.app.repository import Repository
from pmo_portfolio.domain.dependencies import DependencyGraph
from pmo_portfolio.domain.initiative import Initiative
from pmo_portfolio.domain.portfolio import Portfolio
from pmo_portfolio.domain.review import PortfolioReview
from pmo_portfolio.projections import initiatives, portfolios
from pmo_portfolio.projections.rebuild import rebuild_read_models
from pmo_portfolio.settings import PortfolioSettings
from pmo_service.database import create_engine
from sqlalchemy.ext.asyncio import AsyncEngine

NOW = datetime(2026, 11, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
async def engine(portfolio_settings: PortfolioSettings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(portfolio_settings, application_name="portfolio-tests")
    yield engine
    await engine.dispose()


@pytest.fixture
def repository(engine: AsyncEngine, portfolio_settings: PortfolioSettings) -> Repository:
    return Repository(engine, PostgresEventStore(engine, portfolio_settings.database_schema))


def context(actor: str = "dave", **kw: Any) -> CommandContext:
    return CommandContext.of(actor, ["portfolio_manager"], clock=lambda: NOW, **kw)


async def a_portfolio(repository: Repository) -> Portfolio:
    return await h.create_portfolio(
        h.CreatePortfolio(name=f"Repo {uuid.uuid4().hex[:6]}", owner="paula"),
        context(),
        repository,
    )


async def test_a_loaded_initiative_equals_the_proposed_one(repository: Repository) -> None:
    portfolio = await a_portfolio(repository)
    proposed = await h.propose_initiative(
        h.ProposeInitiative(
            title="Data mesh pilot", hypothesis="h", owner="carol", portfolio_id=portfolio.id
        ),
        context("dave", correlation_id="req-42"),
        repository,
    )
    loaded = await repository.load(Initiative, proposed.id)
    assert (loaded.title, loaded.owner, loaded.proposed_by, loaded.version) == (
        "Data mesh pilot",
        "carol",
        "dave",
        1,
    )
    assert loaded.pending == []
    assert proposed.pending == []
    [stored] = await repository.store.load(proposed.id)
    assert stored.metadata["actor"] == "dave"
    assert stored.metadata["roles"] == ["portfolio_manager"]
    assert stored.correlation_id == "req-42"
    assert stored.metadata["command"] == "ProposeInitiative"


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        (Initiative, "no initiative has the id"),
        (Portfolio, "no portfolio has the id"),
        (PortfolioReview, "no portfolio review has the id"),
    ],
)
async def test_loading_an_unknown_id_names_the_kind_and_the_id(
    repository: Repository, kind: type[Aggregate], message: str
) -> None:
    with pytest.raises(NotFound, match=f"{message} 'nope-123'"):
        await repository.load(kind, "nope-123")


async def test_loading_an_id_of_another_kind_says_what_it_is(repository: Repository) -> None:
    portfolio = await a_portfolio(repository)
    with pytest.raises(NotFound, match="belongs to a portfolio"):
        await repository.load(Initiative, portfolio.id)


async def test_the_dependency_graph_exists_before_its_first_event(
    repository: Repository,
) -> None:
    graph = await repository.load_graph()
    assert isinstance(graph, DependencyGraph)


async def test_concurrent_creation_of_one_stream_lets_exactly_one_win(
    repository: Repository, engine: AsyncEngine
) -> None:
    portfolio = await a_portfolio(repository)
    initiative_id = str(uuid.uuid4())

    async def attempt(title: str) -> str:
        await h.propose_initiative(
            h.ProposeInitiative(title=title, owner="erin", portfolio_id=portfolio.id),
            context("erin", ids=lambda: initiative_id),
            repository,
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


async def test_saving_several_aggregates_is_one_transaction(
    repository: Repository, engine: AsyncEngine
) -> None:
    """A clash on the second stream rolls back the first stream's events and read model too."""
    first, second = await a_portfolio(repository), await a_portfolio(repository)
    stale = await repository.load(Portfolio, second.id)
    await h.set_portfolio_budget(
        h.SetPortfolioBudget(second.id, "2026", Decimal(10), "EUR"), context(), repository
    )
    first.change_details(name="Renamed", description="", owner="paula", actor="dave", now=NOW)
    stale.change_details(name="Stale", description="", owner="paula", actor="dave", now=NOW)

    with pytest.raises(ConcurrencyError):
        await repository.save(first, stale, metadata={"actor": "dave"})

    assert len(await repository.store.load(first.id)) == 2  # created + guardrails only
    async with engine.connect() as conn:
        rows = await portfolios.by_ids(conn, [first.id, second.id])
    assert rows[first.id].name != "Renamed"
    assert rows[second.id].name != "Stale"


class ClashOnce(Repository):
    """A repository that lets another command change the portfolio just before one save."""

    def __init__(self, inner: Repository, rival: Any) -> None:
        super().__init__(inner.engine, inner.store)
        self.rival: Any = rival
        self.saves = 0

    async def save(self, *aggregates: Aggregate, metadata: Any) -> Any:
        self.saves += 1
        if self.rival is not None:
            rival, self.rival = self.rival, None
            await rival()
        return await super().save(*aggregates, metadata=metadata)


async def test_an_idempotent_command_is_retried_once_after_a_clash(
    repository: Repository,
) -> None:
    portfolio = await a_portfolio(repository)

    async def rival() -> None:
        await h.add_strategic_theme(
            h.AddStrategicTheme(portfolio.id, "Growth", "Revenue +10 %"), context(), repository
        )

    clashing = ClashOnce(repository, rival)
    await h.set_portfolio_budget(
        h.SetPortfolioBudget(portfolio.id, "2026-Q4", Decimal("5000.00"), "EUR"),
        context(),
        clashing,
    )
    assert clashing.saves == 2
    loaded = await repository.load(Portfolio, portfolio.id)
    assert loaded.budget("2026-Q4") is not None
    assert [theme.name for theme in loaded.active_themes] == ["Growth"]


async def test_a_command_that_is_not_idempotent_reports_the_clash(
    repository: Repository,
) -> None:
    portfolio = await a_portfolio(repository)

    async def rival() -> None:
        await h.set_portfolio_budget(
            h.SetPortfolioBudget(portfolio.id, "2026", Decimal(1), "EUR"), context(), repository
        )

    clashing = ClashOnce(repository, rival)
    with pytest.raises(ConcurrencyError) as refused:
        await h.add_strategic_theme(
            h.AddStrategicTheme(portfolio.id, "Growth", "Revenue +10 %"), context(), clashing
        )
    assert refused.value.code == "CONFLICT"
    assert clashing.saves == 1
    assert (await repository.load(Portfolio, portfolio.id)).active_themes == []


async def test_rebuild_reproduces_the_read_model(
    repository: Repository, engine: AsyncEngine, portfolio_settings: PortfolioSettings
) -> None:
    portfolio = await a_portfolio(repository)
    for title in ("Rebuild A", "Rebuild B"):
        await h.propose_initiative(
            h.ProposeInitiative(title=title, owner="frank", portfolio_id=portfolio.id),
            context("frank"),
            repository,
        )

    async def snapshot() -> list[tuple[object, ...]]:
        async with engine.connect() as conn:
            result = await conn.execute(sa.select(initiatives.initiatives).order_by("id"))
            return [tuple(row) for row in result]

    before = await snapshot()
    applied = await rebuild_read_models(engine, portfolio_settings.database_schema, progress=False)
    # Every stored event (not the head position: a rolled-back append leaves a hole there).
    async with engine.connect() as conn:
        stored = await conn.scalar(
            sa.select(sa.func.count()).select_from(repository.store.tables.events)
        )
    assert applied == stored
    assert await snapshot() == before
