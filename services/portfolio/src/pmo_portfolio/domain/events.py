"""The portfolio context's domain events: the facts it publishes on `pmo.portfolio.events`.

Each event is versioned (`pmo.portfolio.<Name>.v<N>`); a shape change adds a new version and an
upcaster, never an edit of a published one. Their JSON Schemas are checked in under
`docs/events/schemas/portfolio/` and listed in `docs/asyncapi.yaml`.

Streams: a `Portfolio` (id = portfolio id), an `Initiative` (id = initiative id), a
`PortfolioReview` (id = review id) and the organisation's one `DependencyGraph` (id
`dependency-graph`), which holds every dependency so that a cycle can be refused atomically.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

from pmo_events.registry import DomainEvent, EventRegistry
from pydantic import Field

registry = EventRegistry("portfolio")

Money = Decimal
CURRENCY = r"^[A-Z]{3}$"
# A budget period: a year, a half, a quarter or a month ("2026", "2026-H2", "2026-Q4", "2026-11").
PERIOD = r"^\d{4}(-(H[12]|Q[1-4]|0[1-9]|1[0-2]))?$"


class KanbanState(StrEnum):
    FUNNEL = "FUNNEL"
    REVIEWING = "REVIEWING"
    ANALYZING = "ANALYZING"
    READY = "READY"
    IMPLEMENTING = "IMPLEMENTING"
    DONE = "DONE"
    ON_HOLD = "ON_HOLD"
    CANCELLED = "CANCELLED"


class Guardrail(StrEnum):
    """The governance rules the aggregates enforce (and a `pmo` or `admin` may override)."""

    WSJF_BEFORE_ANALYSIS = "WSJF_BEFORE_ANALYSIS"  # leave REVIEWING only with a WSJF score
    CASE_AND_APPROVAL_BEFORE_READY = "CASE_AND_APPROVAL_BEFORE_READY"  # leave ANALYZING only so
    WIP_LIMIT = "WIP_LIMIT"  # a state's WIP limit cannot be exceeded
    BUDGET = "BUDGET"  # approving cannot commit more than the period's remaining budget


class DecisionKind(StrEnum):
    APPROVE = "APPROVE"
    REJECT = "REJECT"
    DEFER = "DEFER"
    CANCEL = "CANCEL"


class RoamStatus(StrEnum):
    RESOLVED = "RESOLVED"
    OWNED = "OWNED"
    ACCEPTED = "ACCEPTED"
    MITIGATED = "MITIGATED"


# --- Portfolio ---------------------------------------------------------------------------------


@registry.register()
class PortfolioCreated(DomainEvent):
    """A portfolio was set up: the scope within which initiatives are ranked and funded."""

    portfolio_id: str
    name: str
    description: str
    owner: str
    created_by: str
    created_at: datetime


@registry.register()
class PortfolioDetailsChanged(DomainEvent):
    """The portfolio's name, description or owner changed (all three are given)."""

    portfolio_id: str
    name: str
    description: str
    owner: str
    changed_by: str
    changed_at: datetime


@registry.register()
class StrategicThemeAdded(DomainEvent):
    """A strategic theme, with the measurable objective it pursues, joined the portfolio."""

    portfolio_id: str
    theme_id: str
    name: str
    objective: str = Field(description="The measurable objective, e.g. 'NPS +10 by 2027-Q2'.")
    added_by: str
    added_at: datetime


@registry.register()
class StrategicThemeRetired(DomainEvent):
    """A strategic theme no longer guides the portfolio (initiatives keep their history)."""

    portfolio_id: str
    theme_id: str
    reason: str
    retired_by: str
    retired_at: datetime


@registry.register()
class PortfolioBudgetSet(DomainEvent):
    """The portfolio's budget for one period was set (it replaces an earlier amount)."""

    portfolio_id: str
    period: str = Field(pattern=PERIOD)
    amount: Money = Field(ge=0)
    currency: str = Field(pattern=CURRENCY)
    set_by: str
    set_at: datetime


@registry.register()
class WipLimitSet(DomainEvent):
    """A kanban state's WIP limit was set; null removes the limit."""

    portfolio_id: str
    state: KanbanState
    limit: int | None = Field(ge=0)
    set_by: str
    set_at: datetime


@registry.register()
class GuardrailsChanged(DomainEvent):
    """The set of guardrails in force in the portfolio changed (the full new set is given)."""

    portfolio_id: str
    enabled: list[Guardrail]
    changed_by: str
    changed_at: datetime


# --- Initiative --------------------------------------------------------------------------------


@registry.register()
class InitiativeProposed(DomainEvent):
    """An idea entered the portfolio funnel as a new initiative (epic)."""

    version: ClassVar[int] = 2

    initiative_id: str = Field(description="The initiative's id; also the stream id.")
    title: str = Field(description="Short name of the initiative.")
    hypothesis: str = Field(description="The epic hypothesis statement.")
    owner: str = Field(description="Who owns the initiative (epic owner).")
    portfolio_id: str | None = Field(description="Its portfolio (null only in v1 events).")
    strategic_theme_ids: list[str] = Field(description="The portfolio's themes it serves.")
    proposed_by: str = Field(description="Subject of the user who proposed it.")
    proposed_at: datetime = Field(description="When it was proposed (UTC).")


@registry.upcaster("pmo.portfolio.InitiativeProposed.v1", "pmo.portfolio.InitiativeProposed.v2")
def _proposed_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "strategic_theme_ids": []}


@registry.register()
class InitiativeDetailsChanged(DomainEvent):
    """The initiative's title, hypothesis or owner changed (all three are given)."""

    initiative_id: str
    title: str
    hypothesis: str
    owner: str
    changed_by: str
    changed_at: datetime


@registry.register()
class InitiativeThemesChanged(DomainEvent):
    """The strategic themes the initiative serves changed (the full new set is given)."""

    initiative_id: str
    strategic_theme_ids: list[str]
    changed_by: str
    changed_at: datetime


@registry.register()
class InitiativeMoved(DomainEvent):
    """The initiative moved on the portfolio kanban (a reason is given for ON_HOLD/CANCELLED)."""

    initiative_id: str
    portfolio_id: str | None
    from_state: KanbanState
    to_state: KanbanState
    reason: str | None
    moved_by: str
    moved_at: datetime


@registry.register()
class WsjfScored(DomainEvent):
    """The initiative was (re)scored; earlier scores stay in its history.

    Components are on the modified Fibonacci scale (1, 2, 3, 5, 8, 13, 20);
    cost of delay = business value + time criticality + risk reduction/opportunity enablement;
    WSJF = cost of delay / job size.
    """

    initiative_id: str
    business_value: int
    time_criticality: int
    risk_reduction: int
    job_size: int
    cost_of_delay: int
    wsjf: Decimal
    note: str
    scored_by: str
    scored_at: datetime


@registry.register()
class LeanBusinessCaseRecorded(DomainEvent):
    """The initiative's lean business case was recorded (it replaces an earlier one)."""

    initiative_id: str
    mvp_cost: Money = Field(ge=0)
    estimated_total_cost: Money = Field(ge=0)
    currency: str = Field(pattern=CURRENCY)
    expected_benefits: str
    leading_indicators: list[str]
    recorded_by: str
    recorded_at: datetime


@registry.register()
class RiskRaised(DomainEvent):
    """A risk to the initiative was raised with its probability and impact (1-5 each)."""

    initiative_id: str
    risk_id: str
    title: str
    description: str
    probability: int = Field(ge=1, le=5)
    impact: int = Field(ge=1, le=5)
    raised_by: str
    raised_at: datetime


@registry.register()
class RiskRoamed(DomainEvent):
    """A risk was ROAMed: resolved, owned, accepted or mitigated, with an owner and notes."""

    initiative_id: str
    risk_id: str
    status: RoamStatus
    owner: str
    notes: str
    roamed_by: str
    roamed_at: datetime


@registry.register()
class ObjectivePlanned(DomainEvent):
    """An objective of the initiative, with the business value it plans to deliver."""

    initiative_id: str
    objective_id: str
    description: str
    planned_business_value: int = Field(ge=0, le=10)
    planned_by: str
    planned_at: datetime


@registry.register()
class ObjectiveValueDelivered(DomainEvent):
    """The business value an objective actually delivered was recorded."""

    initiative_id: str
    objective_id: str
    actual_business_value: int = Field(ge=0, le=10)
    recorded_by: str
    recorded_at: datetime


@registry.register()
class DecisionRecorded(DomainEvent):
    """A governance decision on the initiative: approve, reject, defer or cancel.

    An approval commits `committed_amount` (the business case's estimated total cost) against
    the portfolio's budget for `period`.
    """

    initiative_id: str
    decision_id: str
    portfolio_id: str | None
    decision: DecisionKind
    rationale: str
    decided_by: str
    decided_at: datetime
    review_id: str | None
    period: str | None = Field(pattern=PERIOD)
    committed_amount: Money | None = Field(ge=0)
    currency: str | None = Field(pattern=CURRENCY)


@registry.register()
class GuardrailOverridden(DomainEvent):
    """A `pmo` or `admin` overrode a guardrail for one command, with a written reason."""

    stream_id: str = Field(description="The initiative or portfolio whose command was allowed.")
    portfolio_id: str | None
    guardrail: Guardrail
    violation: str = Field(description="What the guardrail would have refused.")
    reason: str
    overridden_by: str
    overridden_at: datetime


# --- Dependencies ------------------------------------------------------------------------------


@registry.register()
class DependencyDeclared(DomainEvent):
    """`initiative_id` depends on `depends_on_id` (it cannot finish before that one)."""

    initiative_id: str
    depends_on_id: str
    note: str
    declared_by: str
    declared_at: datetime


@registry.register()
class DependencyRemoved(DomainEvent):
    """A dependency between two initiatives was removed."""

    initiative_id: str
    depends_on_id: str
    removed_by: str
    removed_at: datetime


# --- Portfolio reviews -------------------------------------------------------------------------


@registry.register()
class PortfolioReviewScheduled(DomainEvent):
    """A portfolio review was scheduled with its attendees; decisions are taken in it."""

    review_id: str
    portfolio_id: str
    title: str
    scheduled_for: date
    attendees: list[str]
    scheduled_by: str
    scheduled_at: datetime


@registry.register()
class PortfolioReviewConcluded(DomainEvent):
    """The review was held and closed with a summary; no more decisions are recorded in it."""

    review_id: str
    portfolio_id: str
    summary: str
    concluded_by: str
    concluded_at: datetime


PortfolioEvent = DomainEvent
