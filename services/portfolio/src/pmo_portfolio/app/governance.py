"""Guarded commands (kanban moves, decisions) and portfolio reviews.

A move or a decision runs in one transaction that first locks the initiative's portfolio, then
reads what the guardrails need (WIP counts, budget commitments) and lets the aggregate decide:
concurrent commands on one portfolio check and write one after the other, so two moves cannot
both take the last WIP slot and two approvals cannot both spend the last of the budget. An
override reason is the domain's business (only pmo/admin, see `domain.governance`); the
`GuardrailOverridden` events it produces are saved with the command's own events.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from pmo_portfolio.app.context import CommandContext
from pmo_portfolio.app.repository import PortfolioTransaction, Repository
from pmo_portfolio.domain.events import DecisionKind, KanbanState
from pmo_portfolio.domain.governance import Governance
from pmo_portfolio.domain.initiative import Initiative
from pmo_portfolio.domain.portfolio import Portfolio
from pmo_portfolio.domain.review import PortfolioReview


@dataclass(frozen=True, slots=True)
class MoveInitiative:
    initiative_id: str
    to_state: KanbanState
    reason: str | None = None
    override_reason: str | None = None


@dataclass(frozen=True, slots=True)
class RecordDecision:
    initiative_id: str
    decision: DecisionKind
    rationale: str
    decided_by: str | None = None
    review_id: str | None = None
    period: str | None = None
    override_reason: str | None = None


@dataclass(frozen=True, slots=True)
class SchedulePortfolioReview:
    portfolio_id: str
    title: str
    scheduled_for: date
    attendees: Sequence[str]


@dataclass(frozen=True, slots=True)
class ConcludePortfolioReview:
    review_id: str
    summary: str


async def move_initiative(
    command: MoveInitiative, context: CommandContext, repository: Repository
) -> Initiative:
    """Move it on the kanban (hold, resume and cancel included), under the WIP guardrail."""
    async with repository.transaction(context.metadata("MoveInitiative")) as tx:
        initiative, portfolio = await _locked(tx, command.initiative_id)
        governance = Governance()  # an initiative without portfolio: every guardrail, no limits
        if portfolio is not None:
            to_state = _state_or_none(command.to_state)
            in_state = 0
            if to_state is not None and portfolio.wip_limit(to_state) is not None:
                in_state = await tx.count_in_state(portfolio.id, to_state)
            governance = portfolio.governance_for_move(
                to_state or KanbanState.FUNNEL, in_state=in_state
            )
        initiative.move(
            command.to_state,
            governance=governance,
            reason=command.reason,
            override_reason=command.override_reason,
            may_override=context.may_override,
            actor=context.actor,
            now=context.clock(),
        )
        await tx.save(initiative)
    return initiative


async def record_decision(
    command: RecordDecision, context: CommandContext, repository: Repository
) -> Initiative:
    """Approve, reject, defer or cancel; an approval is held to the budget guardrail."""
    async with repository.transaction(context.metadata("RecordDecision")) as tx:
        initiative, portfolio = await _locked(tx, command.initiative_id)
        review = None
        if command.review_id is not None:
            review = await tx.lock_review(command.review_id)
        governance = None
        if command.decision == DecisionKind.APPROVE and command.period is not None:
            governance = Governance()  # without portfolio: no budget, so BUDGET refuses
            if portfolio is not None:
                spent = await tx.committed(
                    portfolio.id, command.period, excluding_initiative=initiative.id
                )
                governance = portfolio.governance_for_approval(
                    command.period, committed_by_others=spent
                )
        initiative.record_decision(
            context.ids(),
            decision=command.decision,
            rationale=command.rationale,
            decided_by=command.decided_by,
            review=review,
            period=command.period,
            governance=governance,
            override_reason=command.override_reason,
            may_override=context.may_override,
            actor=context.actor,
            now=context.clock(),
        )
        await tx.save(initiative)
    return initiative


async def schedule_portfolio_review(
    command: SchedulePortfolioReview, context: CommandContext, repository: Repository
) -> PortfolioReview:
    portfolio = await repository.load(Portfolio, command.portfolio_id)
    review = PortfolioReview.schedule(
        context.ids(),
        portfolio_id=portfolio.id,
        title=command.title,
        scheduled_for=command.scheduled_for,
        attendees=command.attendees,
        actor=context.actor,
        now=context.clock(),
    )
    await repository.save(review, metadata=context.metadata("SchedulePortfolioReview"))
    return review


async def conclude_portfolio_review(
    command: ConcludePortfolioReview, context: CommandContext, repository: Repository
) -> PortfolioReview:
    review = await repository.load(PortfolioReview, command.review_id)
    review.conclude(summary=command.summary, actor=context.actor, now=context.clock())
    await repository.save(review, metadata=context.metadata("ConcludePortfolioReview"))
    return review


async def _locked(
    tx: PortfolioTransaction, initiative_id: str
) -> tuple[Initiative, Portfolio | None]:
    """The initiative and its portfolio, the portfolio locked and both as of after the lock."""
    initiative = await tx.load(Initiative, initiative_id)
    if initiative.portfolio_id is None:  # begun by InitiativeProposed v1
        return initiative, None
    portfolio = await tx.lock_portfolio(initiative.portfolio_id)
    return await tx.refreshed(initiative), portfolio


def _state_or_none(value: str) -> KanbanState | None:
    # An unknown state is the domain's to refuse, with the list of states in its message.
    try:
        return KanbanState(value)
    except ValueError:
        return None
