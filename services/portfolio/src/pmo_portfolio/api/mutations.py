"""The subgraph's mutations: one per command, each naming the roles that may run it.

- portfolio and initiative commands: portfolio_manager, pmo, admin;
- governance (recordDecision, reviews) and setGuardrails: pmo, admin. Turning guardrails off is
  a governance act: if a portfolio manager could do it, the rule that only a pmo or admin may
  override a guardrail would mean nothing.

An `overrideReason` is accepted from anyone the mutation allows, but the domain refuses it
(FORBIDDEN) unless the caller is a pmo or admin. Each mutation answers with the changed entity
as the read model has it after the commit, i.e. exactly what a query returns next.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry
from pmo_events.errors import DomainError
from pmo_service.graphql import context_of, requires_roles
from pmo_service.principal import Role
from strawberry.types import Info
from strawberry.utils.str_converters import to_camel_case

from pmo_portfolio.api import inputs as i
from pmo_portfolio.api.deps import command_context, repository
from pmo_portfolio.api.types import Initiative, Portfolio, PortfolioReview, batched
from pmo_portfolio.app import handlers as h
from pmo_portfolio.app.context import CommandContext
from pmo_portfolio.app.repository import Repository
from pmo_portfolio.domain.events import DecisionKind, Guardrail, KanbanState, RoamStatus
from pmo_portfolio.projections import governance

MANAGERS = (Role.PORTFOLIO_MANAGER, Role.PMO, Role.ADMIN)
GOVERNORS = (Role.PMO, Role.ADMIN)

C = TypeVar("C")
R = TypeVar("R")


async def _execute(
    info: Info[Any, Any],
    input: object,
    handler: Callable[[C, CommandContext, Repository], Awaitable[R]],
    command: C,
) -> R:
    """Run the command's handler as the request's caller; refusals name GraphQL fields."""
    try:
        return await handler(command, command_context(info), repository(info))
    except DomainError as error:
        _use_graphql_names(error, input)
        raise


def _use_graphql_names(error: DomainError, input: object) -> None:
    # The domain names fields as Python does (business_value); the client sent businessValue.
    message = error.message
    for field in dataclasses.fields(input) if dataclasses.is_dataclass(input) else ():
        if "_" in field.name:
            message = re.sub(rf"\b{field.name}\b", to_camel_case(field.name), message)
    error.message = message
    error.args = (message,)


def _forget_loaded(info: Info[Any, Any]) -> None:
    # Rows loaded earlier in this request (a document may hold several mutations) are stale
    # now: the answer must be read afresh.
    for loader in getattr(context_of(info), "_loaders", {}).values():
        loader.clear_all()


async def _initiative(info: Info[Any, Any], initiative_id: str) -> Initiative:
    _forget_loaded(info)
    found = await Initiative.by_id(info, initiative_id)
    if found is None:
        raise RuntimeError(f"initiative {initiative_id} was saved but is not in the read model")
    return found


async def _portfolio(info: Info[Any, Any], portfolio_id: str) -> Portfolio:
    _forget_loaded(info)
    found = await Portfolio.by_id(info, portfolio_id)
    if found is None:
        raise RuntimeError(f"portfolio {portfolio_id} was saved but is not in the read model")
    return found


async def _review(info: Info[Any, Any], review_id: str) -> PortfolioReview:
    _forget_loaded(info)
    row = await batched(info, "reviews", governance.reviews_by_ids).load(review_id)
    if row is None:
        raise RuntimeError(f"review {review_id} was saved but is not in the read model")
    return PortfolioReview.from_row(row)


def _ids(values: list[strawberry.ID]) -> list[str]:
    return [str(value) for value in values]


def _optional(value: strawberry.ID | None) -> str | None:
    return str(value) if value is not None else None


@strawberry.type
class Mutation:
    # --- portfolios ------------------------------------------------------------------------------

    @strawberry.mutation(
        description="Create a portfolio, optionally with strategic themes; every guardrail starts "
        "enabled (PortfolioCreated, GuardrailsChanged, StrategicThemeAdded).",
        extensions=[requires_roles(*MANAGERS)],
    )
    async def create_portfolio(self, info: Info, input: i.CreatePortfolioInput) -> Portfolio:
        command = h.CreatePortfolio(
            name=input.name,
            owner=input.owner,
            description=input.description,
            themes=[h.NewTheme(theme.name, theme.objective) for theme in input.themes],
        )
        portfolio = await _execute(info, input, h.create_portfolio, command)
        return await _portfolio(info, portfolio.id)

    @strawberry.mutation(
        description="Change a portfolio's name, description and owner (PortfolioDetailsChanged).",
        extensions=[requires_roles(*MANAGERS)],
    )
    async def change_portfolio_details(
        self, info: Info, input: i.ChangePortfolioDetailsInput
    ) -> Portfolio:
        command = h.ChangePortfolioDetails(
            portfolio_id=str(input.portfolio_id),
            name=input.name,
            description=input.description,
            owner=input.owner,
        )
        portfolio = await _execute(info, input, h.change_portfolio_details, command)
        return await _portfolio(info, portfolio.id)

    @strawberry.mutation(
        description="Add a strategic theme to a portfolio (StrategicThemeAdded).",
        extensions=[requires_roles(*MANAGERS)],
    )
    async def add_strategic_theme(self, info: Info, input: i.AddStrategicThemeInput) -> Portfolio:
        command = h.AddStrategicTheme(
            portfolio_id=str(input.portfolio_id), name=input.name, objective=input.objective
        )
        portfolio = await _execute(info, input, h.add_strategic_theme, command)
        return await _portfolio(info, portfolio.id)

    @strawberry.mutation(
        description="Retire a strategic theme (StrategicThemeRetired).",
        extensions=[requires_roles(*MANAGERS)],
    )
    async def retire_strategic_theme(
        self, info: Info, input: i.RetireStrategicThemeInput
    ) -> Portfolio:
        command = h.RetireStrategicTheme(
            portfolio_id=str(input.portfolio_id), theme_id=str(input.theme_id), reason=input.reason
        )
        portfolio = await _execute(info, input, h.retire_strategic_theme, command)
        return await _portfolio(info, portfolio.id)

    @strawberry.mutation(
        description="Set a portfolio's budget for a period (PortfolioBudgetSet).",
        extensions=[requires_roles(*MANAGERS)],
    )
    async def set_portfolio_budget(self, info: Info, input: i.SetPortfolioBudgetInput) -> Portfolio:
        command = h.SetPortfolioBudget(
            portfolio_id=str(input.portfolio_id),
            period=input.period,
            amount=input.amount,
            currency=input.currency,
        )
        portfolio = await _execute(info, input, h.set_portfolio_budget, command)
        return await _portfolio(info, portfolio.id)

    @strawberry.mutation(
        description="Set the WIP limit of a kanban state (WipLimitSet).",
        extensions=[requires_roles(*MANAGERS)],
    )
    async def set_wip_limit(self, info: Info, input: i.SetWipLimitInput) -> Portfolio:
        command = h.SetWipLimit(
            portfolio_id=str(input.portfolio_id), state=KanbanState(input.state), limit=input.limit
        )
        portfolio = await _execute(info, input, h.set_wip_limit, command)
        return await _portfolio(info, portfolio.id)

    @strawberry.mutation(
        description="Remove the WIP limit of a kanban state (WipLimitSet with a null limit).",
        extensions=[requires_roles(*MANAGERS)],
    )
    async def remove_wip_limit(self, info: Info, input: i.RemoveWipLimitInput) -> Portfolio:
        command = h.RemoveWipLimit(
            portfolio_id=str(input.portfolio_id), state=KanbanState(input.state)
        )
        portfolio = await _execute(info, input, h.remove_wip_limit, command)
        return await _portfolio(info, portfolio.id)

    @strawberry.mutation(
        description="Set the guardrails in force in a portfolio (GuardrailsChanged).",
        extensions=[requires_roles(*GOVERNORS)],
    )
    async def set_guardrails(self, info: Info, input: i.SetGuardrailsInput) -> Portfolio:
        command = h.SetGuardrails(
            portfolio_id=str(input.portfolio_id),
            enabled=[Guardrail(guardrail) for guardrail in input.enabled],
        )
        portfolio = await _execute(info, input, h.set_guardrails, command)
        return await _portfolio(info, portfolio.id)

    # --- initiatives -----------------------------------------------------------------------------

    @strawberry.mutation(
        description="Put a new idea into a portfolio's funnel (InitiativeProposed).",
        extensions=[requires_roles(*MANAGERS)],
    )
    async def propose_initiative(self, info: Info, input: i.ProposeInitiativeInput) -> Initiative:
        command = h.ProposeInitiative(
            portfolio_id=str(input.portfolio_id),
            title=input.title,
            owner=input.owner,
            hypothesis=input.hypothesis,
            strategic_theme_ids=_ids(input.strategic_theme_ids),
        )
        initiative = await _execute(info, input, h.propose_initiative, command)
        return await _initiative(info, initiative.id)

    @strawberry.mutation(
        description="Change an initiative's title, hypothesis and owner "
        "(InitiativeDetailsChanged).",
        extensions=[requires_roles(*MANAGERS)],
    )
    async def change_initiative_details(
        self, info: Info, input: i.ChangeInitiativeDetailsInput
    ) -> Initiative:
        command = h.ChangeInitiativeDetails(
            initiative_id=str(input.initiative_id),
            title=input.title,
            hypothesis=input.hypothesis,
            owner=input.owner,
        )
        initiative = await _execute(info, input, h.change_initiative_details, command)
        return await _initiative(info, initiative.id)

    @strawberry.mutation(
        description="Change the strategic themes an initiative serves (InitiativeThemesChanged).",
        extensions=[requires_roles(*MANAGERS)],
    )
    async def change_initiative_themes(
        self, info: Info, input: i.ChangeInitiativeThemesInput
    ) -> Initiative:
        command = h.ChangeInitiativeThemes(
            initiative_id=str(input.initiative_id),
            strategic_theme_ids=_ids(input.strategic_theme_ids),
        )
        initiative = await _execute(info, input, h.change_initiative_themes, command)
        return await _initiative(info, initiative.id)

    @strawberry.mutation(
        description="Move an initiative on the kanban (InitiativeMoved), under the guardrails "
        "WSJF_BEFORE_ANALYSIS, CASE_AND_APPROVAL_BEFORE_READY and WIP_LIMIT.",
        extensions=[requires_roles(*MANAGERS)],
    )
    async def move_initiative(self, info: Info, input: i.MoveInitiativeInput) -> Initiative:
        command = h.MoveInitiative(
            initiative_id=str(input.initiative_id),
            to_state=KanbanState(input.to_state),
            reason=input.reason,
            override_reason=input.override_reason,
        )
        initiative = await _execute(info, input, h.move_initiative, command)
        return await _initiative(info, initiative.id)

    @strawberry.mutation(
        description="Score an initiative's WSJF; earlier scores stay in its history (WsjfScored).",
        extensions=[requires_roles(*MANAGERS)],
    )
    async def score_initiative(self, info: Info, input: i.ScoreInitiativeInput) -> Initiative:
        command = h.ScoreInitiative(
            initiative_id=str(input.initiative_id),
            business_value=input.business_value,
            time_criticality=input.time_criticality,
            risk_reduction=input.risk_reduction,
            job_size=input.job_size,
            note=input.note,
        )
        initiative = await _execute(info, input, h.score_initiative, command)
        return await _initiative(info, initiative.id)

    @strawberry.mutation(
        description="Record an initiative's lean business case (LeanBusinessCaseRecorded).",
        extensions=[requires_roles(*MANAGERS)],
    )
    async def record_business_case(
        self, info: Info, input: i.RecordBusinessCaseInput
    ) -> Initiative:
        command = h.RecordBusinessCase(
            initiative_id=str(input.initiative_id),
            mvp_cost=input.mvp_cost,
            estimated_total_cost=input.estimated_total_cost,
            currency=input.currency,
            expected_benefits=input.expected_benefits,
            leading_indicators=list(input.leading_indicators),
        )
        initiative = await _execute(info, input, h.record_business_case, command)
        return await _initiative(info, initiative.id)

    @strawberry.mutation(
        description="Raise a risk to an initiative (RiskRaised); its id is in `risks`.",
        extensions=[requires_roles(*MANAGERS)],
    )
    async def raise_risk(self, info: Info, input: i.RaiseRiskInput) -> Initiative:
        command = h.RaiseRisk(
            initiative_id=str(input.initiative_id),
            title=input.title,
            probability=input.probability,
            impact=input.impact,
            description=input.description,
        )
        initiative = await _execute(info, input, h.raise_risk, command)
        return await _initiative(info, initiative.id)

    @strawberry.mutation(
        description="ROAM a risk: resolved, owned, accepted or mitigated (RiskRoamed).",
        extensions=[requires_roles(*MANAGERS)],
    )
    async def roam_risk(self, info: Info, input: i.RoamRiskInput) -> Initiative:
        command = h.RoamRisk(
            initiative_id=str(input.initiative_id),
            risk_id=str(input.risk_id),
            status=RoamStatus(input.status),
            owner=input.owner,
            notes=input.notes,
        )
        initiative = await _execute(info, input, h.roam_risk, command)
        return await _initiative(info, initiative.id)

    @strawberry.mutation(
        description="Plan an objective with its business value (ObjectivePlanned); its id is in "
        "`objectives`.",
        extensions=[requires_roles(*MANAGERS)],
    )
    async def plan_objective(self, info: Info, input: i.PlanObjectiveInput) -> Initiative:
        command = h.PlanObjective(
            initiative_id=str(input.initiative_id),
            description=input.description,
            planned_business_value=input.planned_business_value,
        )
        initiative = await _execute(info, input, h.plan_objective, command)
        return await _initiative(info, initiative.id)

    @strawberry.mutation(
        description="Record the business value an objective delivered (ObjectiveValueDelivered).",
        extensions=[requires_roles(*MANAGERS)],
    )
    async def record_delivered_value(
        self, info: Info, input: i.RecordDeliveredValueInput
    ) -> Initiative:
        command = h.RecordDeliveredValue(
            initiative_id=str(input.initiative_id),
            objective_id=str(input.objective_id),
            actual_business_value=input.actual_business_value,
        )
        initiative = await _execute(info, input, h.record_delivered_value, command)
        return await _initiative(info, initiative.id)

    @strawberry.mutation(
        description="Declare that an initiative depends on another (DependencyDeclared); a "
        "cycle is refused. Answers the dependent initiative.",
        extensions=[requires_roles(*MANAGERS)],
    )
    async def declare_dependency(self, info: Info, input: i.DeclareDependencyInput) -> Initiative:
        command = h.DeclareDependency(
            initiative_id=str(input.initiative_id),
            depends_on_id=str(input.depends_on_id),
            note=input.note,
        )
        await _execute(info, input, h.declare_dependency, command)
        return await _initiative(info, command.initiative_id)

    @strawberry.mutation(
        description="Remove a dependency (DependencyRemoved). Answers the dependent initiative.",
        extensions=[requires_roles(*MANAGERS)],
    )
    async def remove_dependency(self, info: Info, input: i.RemoveDependencyInput) -> Initiative:
        command = h.RemoveDependency(
            initiative_id=str(input.initiative_id), depends_on_id=str(input.depends_on_id)
        )
        await _execute(info, input, h.remove_dependency, command)
        return await _initiative(info, command.initiative_id)

    # --- governance ------------------------------------------------------------------------------

    @strawberry.mutation(
        description="Record a governance decision on an initiative (DecisionRecorded); an "
        "approval is held to the BUDGET guardrail.",
        extensions=[requires_roles(*GOVERNORS)],
    )
    async def record_decision(self, info: Info, input: i.RecordDecisionInput) -> Initiative:
        command = h.RecordDecision(
            initiative_id=str(input.initiative_id),
            decision=DecisionKind(input.decision),
            rationale=input.rationale,
            decided_by=input.decided_by,
            review_id=_optional(input.review_id),
            period=input.period,
            override_reason=input.override_reason,
        )
        initiative = await _execute(info, input, h.record_decision, command)
        return await _initiative(info, initiative.id)

    @strawberry.mutation(
        description="Schedule a portfolio review (PortfolioReviewScheduled).",
        extensions=[requires_roles(*GOVERNORS)],
    )
    async def schedule_portfolio_review(
        self, info: Info, input: i.SchedulePortfolioReviewInput
    ) -> PortfolioReview:
        command = h.SchedulePortfolioReview(
            portfolio_id=str(input.portfolio_id),
            title=input.title,
            scheduled_for=input.scheduled_for,
            attendees=list(input.attendees),
        )
        review = await _execute(info, input, h.schedule_portfolio_review, command)
        return await _review(info, review.id)

    @strawberry.mutation(
        description="Conclude a portfolio review with a summary (PortfolioReviewConcluded).",
        extensions=[requires_roles(*GOVERNORS)],
    )
    async def conclude_portfolio_review(
        self, info: Info, input: i.ConcludePortfolioReviewInput
    ) -> PortfolioReview:
        command = h.ConcludePortfolioReview(review_id=str(input.review_id), summary=input.summary)
        review = await _execute(info, input, h.conclude_portfolio_review, command)
        return await _review(info, review.id)
