"""Inputs of the portfolio subgraph's mutations (one per command).

Limits (checked by the domain, refused with BAD_USER_INPUT naming the field): names, titles and
owners up to 200 characters; descriptions, hypotheses, rationales, notes and reasons up to 4000.
Money is a Decimal (a string such as "125000.00", at most 2 decimal places); periods are a year,
half, quarter or month ("2026", "2026-H2", "2026-Q4", "2026-11"); currencies ISO 4217 ("EUR").
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from pmo_portfolio.api.types import DecisionKind, Guardrail, InitiativeState
from pmo_portfolio.domain.events import RoamStatus as DomainRoamStatus

RoamStatus = strawberry.enum(
    DomainRoamStatus,
    name="RoamStatus",
    description="How a risk is dealt with: RESOLVED, OWNED, ACCEPTED or MITIGATED.",
)

_OVERRIDE = (
    "A written reason to override a guardrail this command would break. Only a pmo or admin "
    "may give one (anyone else is FORBIDDEN); the override is recorded as an event."
)

# --- portfolios ----------------------------------------------------------------------------------


@strawberry.input(description="A strategic theme and the measurable objective it pursues.")
class StrategicThemeInput:
    name: str = strawberry.field(description="Name, unique among the portfolio's active themes.")
    objective: str = strawberry.field(
        description="The measurable objective, e.g. 'NPS +10 by 2027-Q2'."
    )


@strawberry.input(description="A new portfolio; every guardrail starts enabled.")
class CreatePortfolioInput:
    name: str = strawberry.field(description="Name, 1 to 200 characters.")
    owner: str = strawberry.field(description="Who is accountable for the portfolio.")
    description: str = strawberry.field(default="", description="What the portfolio covers.")
    themes: list[StrategicThemeInput] = strawberry.field(
        default_factory=list, description="Strategic themes to start with (ids are generated)."
    )


@strawberry.input(description="New name, description and owner of a portfolio (all three).")
class ChangePortfolioDetailsInput:
    portfolio_id: strawberry.ID
    name: str
    description: str
    owner: str


@strawberry.input(description="A strategic theme to add to a portfolio.")
class AddStrategicThemeInput:
    portfolio_id: strawberry.ID
    name: str = strawberry.field(description="Name, unique among the portfolio's active themes.")
    objective: str = strawberry.field(description="The measurable objective it pursues.")


@strawberry.input(description="Retire a strategic theme (initiatives that serve it keep it).")
class RetireStrategicThemeInput:
    portfolio_id: strawberry.ID
    theme_id: strawberry.ID
    reason: str = strawberry.field(description="Why the theme no longer guides the portfolio.")


@strawberry.input(description="Set (or replace) a portfolio's budget for one period.")
class SetPortfolioBudgetInput:
    portfolio_id: strawberry.ID
    period: str = strawberry.field(description="2026, 2026-H2, 2026-Q4 or 2026-11.")
    amount: Decimal = strawberry.field(description="At least 0, at most 2 decimal places.")
    currency: str = strawberry.field(description="ISO 4217 code, e.g. EUR.")


@strawberry.input(description="Set the WIP limit of a kanban state (0 freezes the state).")
class SetWipLimitInput:
    portfolio_id: strawberry.ID
    state: InitiativeState = strawberry.field(  # type: ignore[valid-type]
        description="REVIEWING, ANALYZING, READY or IMPLEMENTING."
    )
    limit: int = strawberry.field(description="0 to 1000 initiatives.")


@strawberry.input(description="Remove the WIP limit of a kanban state.")
class RemoveWipLimitInput:
    portfolio_id: strawberry.ID
    state: InitiativeState  # type: ignore[valid-type]


@strawberry.input(description="The full set of guardrails in force (those left out are off).")
class SetGuardrailsInput:
    portfolio_id: strawberry.ID
    enabled: list[Guardrail]  # type: ignore[valid-type]


# --- initiatives ---------------------------------------------------------------------------------


@strawberry.input(description="A new idea for a portfolio's funnel.")
class ProposeInitiativeInput:
    portfolio_id: strawberry.ID = strawberry.field(description="The portfolio it is proposed to.")
    title: str = strawberry.field(description="Short name, 1 to 200 characters.")
    owner: str = strawberry.field(description="Who owns the initiative (epic owner).")
    hypothesis: str = strawberry.field(
        default="", description="Epic hypothesis statement (for whom, what, the outcome expected)."
    )
    strategic_theme_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Active themes of its portfolio that it serves."
    )


@strawberry.input(description="New title, hypothesis and owner of an initiative (all three).")
class ChangeInitiativeDetailsInput:
    initiative_id: strawberry.ID
    title: str
    hypothesis: str
    owner: str


@strawberry.input(description="The full set of strategic themes an initiative serves.")
class ChangeInitiativeThemesInput:
    initiative_id: strawberry.ID
    strategic_theme_ids: list[strawberry.ID] = strawberry.field(
        description="Themes it keeps may be retired ones; every theme added must be active."
    )


@strawberry.input(
    description="Move an initiative on the kanban: forward, back a step, ON_HOLD, resume "
    "(to the state it was held from) or CANCELLED."
)
class MoveInitiativeInput:
    initiative_id: strawberry.ID
    to_state: InitiativeState  # type: ignore[valid-type]
    reason: str | None = strawberry.field(
        default=None, description="Why; required for ON_HOLD and CANCELLED."
    )
    override_reason: str | None = strawberry.field(default=None, description=_OVERRIDE)


@strawberry.input(
    description="A WSJF scoring; each input on the modified Fibonacci scale 1, 2, 3, 5, 8, 13, 20."
)
class ScoreInitiativeInput:
    initiative_id: strawberry.ID
    business_value: int
    time_criticality: int
    risk_reduction: int = strawberry.field(description="Risk reduction / opportunity enablement.")
    job_size: int
    note: str = strawberry.field(default="", description="Why it scored so.")


@strawberry.input(description="An initiative's lean business case (replaces an earlier one).")
class RecordBusinessCaseInput:
    initiative_id: strawberry.ID
    mvp_cost: Decimal = strawberry.field(description="Cost of the MVP; not above the total.")
    estimated_total_cost: Decimal = strawberry.field(
        description="What an approval commits against the portfolio's budget."
    )
    currency: str = strawberry.field(description="ISO 4217 code; the budget's currency.")
    expected_benefits: str
    leading_indicators: list[str] = strawberry.field(
        default_factory=list, description="Up to 20 distinct indicators."
    )


@strawberry.input(description="A risk to an initiative.")
class RaiseRiskInput:
    initiative_id: strawberry.ID
    title: str
    probability: int = strawberry.field(description="1 (rare) to 5 (almost certain).")
    impact: int = strawberry.field(description="1 (minor) to 5 (severe).")
    description: str = ""


@strawberry.input(description="ROAM a risk: resolved, owned, accepted or mitigated.")
class RoamRiskInput:
    initiative_id: strawberry.ID
    risk_id: strawberry.ID
    status: RoamStatus  # type: ignore[valid-type]
    owner: str = strawberry.field(description="Who deals with the risk.")
    notes: str = ""


@strawberry.input(description="An objective of an initiative and the business value it plans.")
class PlanObjectiveInput:
    initiative_id: strawberry.ID
    description: str
    planned_business_value: int = strawberry.field(description="0 to 10.")


@strawberry.input(description="The business value an objective actually delivered.")
class RecordDeliveredValueInput:
    initiative_id: strawberry.ID
    objective_id: strawberry.ID
    actual_business_value: int = strawberry.field(description="0 to 10.")


@strawberry.input(description="initiativeId depends on dependsOnId (a cycle is refused).")
class DeclareDependencyInput:
    initiative_id: strawberry.ID
    depends_on_id: strawberry.ID
    note: str = ""


@strawberry.input(description="Remove the dependency of initiativeId on dependsOnId.")
class RemoveDependencyInput:
    initiative_id: strawberry.ID
    depends_on_id: strawberry.ID


# --- governance ----------------------------------------------------------------------------------


@strawberry.input(
    description="A governance decision. APPROVE (ANALYZING or READY) commits the business case's "
    "total cost to the period's budget; REJECT returns it to the FUNNEL; DEFER puts it ON_HOLD; "
    "CANCEL ends it."
)
class RecordDecisionInput:
    initiative_id: strawberry.ID
    decision: DecisionKind  # type: ignore[valid-type]
    rationale: str
    decided_by: str | None = strawberry.field(
        default=None, description="Who took it (e.g. 'Portfolio board'); defaults to the caller."
    )
    review_id: strawberry.ID | None = strawberry.field(
        default=None, description="The open review of the initiative's portfolio it was taken in."
    )
    period: str | None = strawberry.field(
        default=None, description="APPROVE only (required there): the budget period it commits."
    )
    override_reason: str | None = strawberry.field(default=None, description=_OVERRIDE)


@strawberry.input(description="A portfolio review to schedule.")
class SchedulePortfolioReviewInput:
    portfolio_id: strawberry.ID
    title: str
    scheduled_for: date
    attendees: list[str] = strawberry.field(description="1 to 50 distinct people.")


@strawberry.input(description="Conclude a review; it takes no more decisions afterwards.")
class ConcludePortfolioReviewInput:
    review_id: strawberry.ID
    summary: str
