"""Budget commands: open, adjust, commit funds (with the overrun guardrail), release funds,
record an expense.

The Budget aggregate decides everything (domain/budget.py); the handlers load, call and save.
Commands that state a wanted value (adjust, commit, expense with its generated id) are retried
once when another command on the budget committed first: the retry decides again on the fresh
state, guardrail included, so two rival commitments can never both slip under the amount.
Releasing a commitment is not retried: a clash means someone else changed the commitments, and
the caller should look again.

Initiative ids are the portfolio's; resources does not own initiatives and does not check them
(a commitment may precede the approval that opens the demand here).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from pmo_resources.app.context import CommandContext
from pmo_resources.app.repository import Repository, retry_on_conflict
from pmo_resources.domain.budget import Budget
from pmo_resources.domain.events import BudgetKind


@dataclass(frozen=True, slots=True)
class OpenBudget:
    name: str
    kind: BudgetKind
    owner_ref: str
    period: str
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class AdjustBudget:
    budget_id: str
    amount: Decimal
    reason: str


@dataclass(frozen=True, slots=True)
class CommitFunds:
    budget_id: str
    initiative_id: str
    amount: Decimal
    override_reason: str | None = None


@dataclass(frozen=True, slots=True)
class ReleaseFunds:
    budget_id: str
    initiative_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class RecordExpense:
    budget_id: str
    amount: Decimal
    currency: str
    description: str
    spent_on: date | None = None  # None: today
    initiative_id: str | None = None


async def open_budget(
    command: OpenBudget, context: CommandContext, repository: Repository
) -> Budget:
    budget = Budget.open(
        context.ids(),
        name=command.name,
        kind=command.kind,
        owner_ref=command.owner_ref,
        period=command.period,
        amount=command.amount,
        currency=command.currency,
        actor=context.actor,
        now=context.clock(),
    )
    await repository.save(budget, metadata=context.metadata("OpenBudget"))
    return budget


async def adjust_budget(
    command: AdjustBudget, context: CommandContext, repository: Repository
) -> Budget:
    def change(budget: Budget, now: datetime) -> None:
        budget.adjust(amount=command.amount, reason=command.reason, actor=context.actor, now=now)

    return await _change(command.budget_id, change, command, context, repository, retry=True)


async def commit_funds(
    command: CommitFunds, context: CommandContext, repository: Repository
) -> Budget:
    def change(budget: Budget, now: datetime) -> None:
        budget.commit_funds(
            command.initiative_id,
            amount=command.amount,
            override_reason=command.override_reason,
            may_override=context.may_override,
            actor=context.actor,
            now=now,
        )

    return await _change(command.budget_id, change, command, context, repository, retry=True)


async def release_funds(
    command: ReleaseFunds, context: CommandContext, repository: Repository
) -> Budget:
    def change(budget: Budget, now: datetime) -> None:
        budget.release_funds(
            command.initiative_id, reason=command.reason, actor=context.actor, now=now
        )

    return await _change(command.budget_id, change, command, context, repository)


async def record_expense(
    command: RecordExpense, context: CommandContext, repository: Repository
) -> Budget:
    spend_id = context.ids()  # one id for both attempts: a retry cannot record it twice
    spent_on = command.spent_on or context.today

    def change(budget: Budget, now: datetime) -> None:
        budget.record_expense(
            spend_id,
            amount=command.amount,
            currency=command.currency,
            description=command.description,
            spent_on=spent_on,
            initiative_id=command.initiative_id,
            actor=context.actor,
            now=now,
        )

    return await _change(command.budget_id, change, command, context, repository, retry=True)


async def _change(
    budget_id: str,
    change: Callable[[Budget, datetime], None],
    command: object,
    context: CommandContext,
    repository: Repository,
    *,
    retry: bool = False,
) -> Budget:
    """Load the budget, let the domain change it, save; once more on a clash if `retry`."""

    async def attempt() -> Budget:
        budget = await repository.load(Budget, budget_id)
        change(budget, context.clock())
        await repository.save(budget, metadata=context.metadata(type(command).__name__))
        return budget

    return await (retry_on_conflict(attempt) if retry else attempt())
