"""Portfolio commands: create it, change its details, themes, budgets, WIP limits, guardrails.

Setting a budget, a WIP limit or the guardrails states the wanted value whatever the portfolio
held before, so those commands are retried once when another command on the portfolio committed
first (ConcurrencyError); the others report CONFLICT and let the caller decide again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from pmo_portfolio.app.context import CommandContext
from pmo_portfolio.app.repository import Repository, retry_on_conflict
from pmo_portfolio.domain.events import Guardrail, KanbanState
from pmo_portfolio.domain.portfolio import Portfolio


@dataclass(frozen=True, slots=True)
class NewTheme:
    name: str
    objective: str


@dataclass(frozen=True, slots=True)
class CreatePortfolio:
    name: str
    owner: str
    description: str = ""
    themes: Sequence[NewTheme] = ()


@dataclass(frozen=True, slots=True)
class ChangePortfolioDetails:
    portfolio_id: str
    name: str
    description: str
    owner: str


@dataclass(frozen=True, slots=True)
class AddStrategicTheme:
    portfolio_id: str
    name: str
    objective: str


@dataclass(frozen=True, slots=True)
class RetireStrategicTheme:
    portfolio_id: str
    theme_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class SetPortfolioBudget:
    portfolio_id: str
    period: str
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class SetWipLimit:
    portfolio_id: str
    state: KanbanState
    limit: int


@dataclass(frozen=True, slots=True)
class RemoveWipLimit:
    portfolio_id: str
    state: KanbanState


@dataclass(frozen=True, slots=True)
class SetGuardrails:
    portfolio_id: str
    enabled: Iterable[Guardrail]


async def create_portfolio(
    command: CreatePortfolio, context: CommandContext, repository: Repository
) -> Portfolio:
    now = context.clock()
    portfolio = Portfolio.create(
        context.ids(),
        name=command.name,
        description=command.description,
        owner=command.owner,
        actor=context.actor,
        now=now,
    )
    for theme in command.themes:
        portfolio.add_theme(
            context.ids(), name=theme.name, objective=theme.objective, actor=context.actor, now=now
        )
    await repository.save(portfolio, metadata=context.metadata("CreatePortfolio"))
    return portfolio


async def change_portfolio_details(
    command: ChangePortfolioDetails, context: CommandContext, repository: Repository
) -> Portfolio:
    def change(portfolio: Portfolio, now: datetime) -> None:
        portfolio.change_details(
            name=command.name,
            description=command.description,
            owner=command.owner,
            actor=context.actor,
            now=now,
        )

    return await _change(command.portfolio_id, change, command, context, repository)


async def add_strategic_theme(
    command: AddStrategicTheme, context: CommandContext, repository: Repository
) -> Portfolio:
    theme_id = context.ids()

    def change(portfolio: Portfolio, now: datetime) -> None:
        portfolio.add_theme(
            theme_id, name=command.name, objective=command.objective, actor=context.actor, now=now
        )

    return await _change(command.portfolio_id, change, command, context, repository)


async def retire_strategic_theme(
    command: RetireStrategicTheme, context: CommandContext, repository: Repository
) -> Portfolio:
    def change(portfolio: Portfolio, now: datetime) -> None:
        portfolio.retire_theme(
            command.theme_id, reason=command.reason, actor=context.actor, now=now
        )

    return await _change(command.portfolio_id, change, command, context, repository)


async def set_portfolio_budget(
    command: SetPortfolioBudget, context: CommandContext, repository: Repository
) -> Portfolio:
    def change(portfolio: Portfolio, now: datetime) -> None:
        portfolio.set_budget(
            command.period,
            amount=command.amount,
            currency=command.currency,
            actor=context.actor,
            now=now,
        )

    return await _change(command.portfolio_id, change, command, context, repository, retry=True)


async def set_wip_limit(
    command: SetWipLimit, context: CommandContext, repository: Repository
) -> Portfolio:
    def change(portfolio: Portfolio, now: datetime) -> None:
        portfolio.set_wip_limit(command.state, command.limit, actor=context.actor, now=now)

    return await _change(command.portfolio_id, change, command, context, repository, retry=True)


async def remove_wip_limit(
    command: RemoveWipLimit, context: CommandContext, repository: Repository
) -> Portfolio:
    def change(portfolio: Portfolio, now: datetime) -> None:
        portfolio.remove_wip_limit(command.state, actor=context.actor, now=now)

    return await _change(command.portfolio_id, change, command, context, repository, retry=True)


async def set_guardrails(
    command: SetGuardrails, context: CommandContext, repository: Repository
) -> Portfolio:
    enabled = list(command.enabled)  # an iterator must survive the retry

    def change(portfolio: Portfolio, now: datetime) -> None:
        portfolio.set_guardrails(enabled, actor=context.actor, now=now)

    return await _change(command.portfolio_id, change, command, context, repository, retry=True)


async def _change(
    portfolio_id: str,
    change: Callable[[Portfolio, datetime], None],
    command: object,
    context: CommandContext,
    repository: Repository,
    *,
    retry: bool = False,
) -> Portfolio:
    """Load the portfolio, let the domain change it, save; once more on a clash if `retry`."""

    async def attempt() -> Portfolio:
        portfolio = await repository.load(Portfolio, portfolio_id)
        change(portfolio, context.clock())
        await repository.save(portfolio, metadata=context.metadata(type(command).__name__))
        return portfolio

    return await (retry_on_conflict(attempt) if retry else attempt())
