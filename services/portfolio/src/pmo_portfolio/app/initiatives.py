"""Initiative commands that no guardrail watches: propose, details, themes, WSJF, business case,
risks and objectives. (Moves and decisions, which are guarded, are in `app.governance`.)

None of them is retried on a clash: each one's meaning depends on the state the caller saw (a
rescoring, a ROAM), so a concurrent change is reported as CONFLICT for the caller to decide again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from pmo_portfolio.app.context import CommandContext
from pmo_portfolio.app.repository import Repository
from pmo_portfolio.domain.events import RoamStatus
from pmo_portfolio.domain.initiative import Initiative
from pmo_portfolio.domain.portfolio import Portfolio


@dataclass(frozen=True, slots=True)
class ProposeInitiative:
    title: str
    owner: str
    portfolio_id: str
    hypothesis: str = ""
    strategic_theme_ids: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class ChangeInitiativeDetails:
    initiative_id: str
    title: str
    hypothesis: str
    owner: str


@dataclass(frozen=True, slots=True)
class ChangeInitiativeThemes:
    initiative_id: str
    strategic_theme_ids: Sequence[str]


@dataclass(frozen=True, slots=True)
class ScoreInitiative:
    initiative_id: str
    business_value: int
    time_criticality: int
    risk_reduction: int
    job_size: int
    note: str = ""


@dataclass(frozen=True, slots=True)
class RecordBusinessCase:
    initiative_id: str
    mvp_cost: Decimal
    estimated_total_cost: Decimal
    currency: str
    expected_benefits: str
    leading_indicators: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class RaiseRisk:
    initiative_id: str
    title: str
    probability: int
    impact: int
    description: str = ""


@dataclass(frozen=True, slots=True)
class RoamRisk:
    initiative_id: str
    risk_id: str
    status: RoamStatus
    owner: str
    notes: str = ""


@dataclass(frozen=True, slots=True)
class PlanObjective:
    initiative_id: str
    description: str
    planned_business_value: int


@dataclass(frozen=True, slots=True)
class RecordDeliveredValue:
    initiative_id: str
    objective_id: str
    actual_business_value: int


async def propose_initiative(
    command: ProposeInitiative, context: CommandContext, repository: Repository
) -> Initiative:
    """A new initiative in the FUNNEL; its portfolio must exist and its themes be active there."""
    portfolio = await repository.load(Portfolio, command.portfolio_id)
    initiative = Initiative.propose(
        context.ids(),
        title=command.title,
        hypothesis=command.hypothesis,
        owner=command.owner,
        portfolio_id=portfolio.id,
        strategic_theme_ids=command.strategic_theme_ids,
        active_theme_ids=portfolio.active_theme_ids,
        actor=context.actor,
        now=context.clock(),
    )
    await repository.save(initiative, metadata=context.metadata("ProposeInitiative"))
    return initiative


async def change_initiative_details(
    command: ChangeInitiativeDetails, context: CommandContext, repository: Repository
) -> Initiative:
    def change(initiative: Initiative, now: datetime) -> None:
        initiative.change_details(
            title=command.title,
            hypothesis=command.hypothesis,
            owner=command.owner,
            actor=context.actor,
            now=now,
        )

    return await _change(command.initiative_id, change, command, context, repository)


async def change_initiative_themes(
    command: ChangeInitiativeThemes, context: CommandContext, repository: Repository
) -> Initiative:
    initiative = await repository.load(Initiative, command.initiative_id)
    # Streams begun by InitiativeProposed v1 have no portfolio: they can only drop themes.
    active: frozenset[str] = frozenset()
    if initiative.portfolio_id is not None:
        active = (await repository.load(Portfolio, initiative.portfolio_id)).active_theme_ids
    initiative.change_themes(
        command.strategic_theme_ids,
        active_theme_ids=active,
        actor=context.actor,
        now=context.clock(),
    )
    await repository.save(initiative, metadata=context.metadata("ChangeInitiativeThemes"))
    return initiative


async def score_initiative(
    command: ScoreInitiative, context: CommandContext, repository: Repository
) -> Initiative:
    def change(initiative: Initiative, now: datetime) -> None:
        initiative.score_wsjf(
            business_value=command.business_value,
            time_criticality=command.time_criticality,
            risk_reduction=command.risk_reduction,
            job_size=command.job_size,
            note=command.note,
            actor=context.actor,
            now=now,
        )

    return await _change(command.initiative_id, change, command, context, repository)


async def record_business_case(
    command: RecordBusinessCase, context: CommandContext, repository: Repository
) -> Initiative:
    def change(initiative: Initiative, now: datetime) -> None:
        initiative.record_business_case(
            mvp_cost=command.mvp_cost,
            estimated_total_cost=command.estimated_total_cost,
            currency=command.currency,
            expected_benefits=command.expected_benefits,
            leading_indicators=command.leading_indicators,
            actor=context.actor,
            now=now,
        )

    return await _change(command.initiative_id, change, command, context, repository)


async def raise_risk(
    command: RaiseRisk, context: CommandContext, repository: Repository
) -> Initiative:
    risk_id = context.ids()

    def change(initiative: Initiative, now: datetime) -> None:
        initiative.raise_risk(
            risk_id,
            title=command.title,
            description=command.description,
            probability=command.probability,
            impact=command.impact,
            actor=context.actor,
            now=now,
        )

    return await _change(command.initiative_id, change, command, context, repository)


async def roam_risk(
    command: RoamRisk, context: CommandContext, repository: Repository
) -> Initiative:
    def change(initiative: Initiative, now: datetime) -> None:
        initiative.roam_risk(
            command.risk_id,
            status=command.status,
            owner=command.owner,
            notes=command.notes,
            actor=context.actor,
            now=now,
        )

    return await _change(command.initiative_id, change, command, context, repository)


async def plan_objective(
    command: PlanObjective, context: CommandContext, repository: Repository
) -> Initiative:
    objective_id = context.ids()

    def change(initiative: Initiative, now: datetime) -> None:
        initiative.plan_objective(
            objective_id,
            description=command.description,
            planned_business_value=command.planned_business_value,
            actor=context.actor,
            now=now,
        )

    return await _change(command.initiative_id, change, command, context, repository)


async def record_delivered_value(
    command: RecordDeliveredValue, context: CommandContext, repository: Repository
) -> Initiative:
    def change(initiative: Initiative, now: datetime) -> None:
        initiative.record_delivered_value(
            command.objective_id,
            actual_business_value=command.actual_business_value,
            actor=context.actor,
            now=now,
        )

    return await _change(command.initiative_id, change, command, context, repository)


async def _change(
    initiative_id: str,
    change: Callable[[Initiative, datetime], None],
    command: object,
    context: CommandContext,
    repository: Repository,
) -> Initiative:
    """Load the initiative, let the domain change it, save."""
    initiative = await repository.load(Initiative, initiative_id)
    change(initiative, context.clock())
    await repository.save(initiative, metadata=context.metadata(type(command).__name__))
    return initiative
