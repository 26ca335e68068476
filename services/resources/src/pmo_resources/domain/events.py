"""The resources context's domain events: the facts it publishes on `pmo.resources.events`.

Each event is versioned (`pmo.resources.<Name>.v<N>`); a shape change adds a new version and an
upcaster, never an edit of a published one. JSON Schemas: `docs/events/schemas/resources/`.

Streams (stream type, id): `Person` (person id), `Team` (team id), `Allocation` (allocation id),
`Demand` (the initiative id: the demand the portfolio's approval created here), `Budget` (budget
id), `Tool` (tool id).

Dates are calendar dates (ISO 8601); a week is the ISO week starting on Monday. Hours and money are
decimals; money carries its ISO 4217 currency.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pmo_events.registry import DomainEvent, EventRegistry
from pydantic import Field

registry = EventRegistry("resources")

CURRENCY = r"^[A-Z]{3}$"
PERIOD = r"^\d{4}(-(H[12]|Q[1-4]|0[1-9]|1[0-2]))?$"
ISO_WEEK = r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$"


class TeamTopology(StrEnum):
    """Team Topologies' four team types."""

    STREAM_ALIGNED = "STREAM_ALIGNED"
    PLATFORM = "PLATFORM"
    ENABLING = "ENABLING"
    COMPLICATED_SUBSYSTEM = "COMPLICATED_SUBSYSTEM"


class ReleaseCause(StrEnum):
    """Why an allocation was released."""

    MANUAL = "MANUAL"
    INITIATIVE_CANCELLED = "INITIATIVE_CANCELLED"
    INITIATIVE_DONE = "INITIATIVE_DONE"
    PERSON_OFFBOARDED = "PERSON_OFFBOARDED"
    TEAM_DISBANDED = "TEAM_DISBANDED"


class BudgetKind(StrEnum):
    VALUE_STREAM = "VALUE_STREAM"
    COST_CENTRE = "COST_CENTRE"


class SpendKind(StrEnum):
    LABOUR = "LABOUR"
    EXPENSE = "EXPENSE"


class DemandClosure(StrEnum):
    INITIATIVE_CANCELLED = "INITIATIVE_CANCELLED"
    INITIATIVE_DONE = "INITIATIVE_DONE"
    APPROVAL_WITHDRAWN = "APPROVAL_WITHDRAWN"  # a later REJECT or DEFER decision


# --- Person ------------------------------------------------------------------------------------


@registry.register()
class PersonOnboarded(DomainEvent):
    """A person joined the organisation's resource pool (e-mail unique among active people)."""

    person_id: str
    name: str
    email: str
    title: str
    home_team_id: str | None
    weekly_capacity_hours: Decimal = Field(ge=0, le=80)
    cost_rate: Decimal = Field(ge=0, description="Cost per hour.")
    currency: str = Field(pattern=CURRENCY)
    starts_on: date
    onboarded_by: str
    onboarded_at: datetime


@registry.register()
class SkillAssessed(DomainEvent):
    """A person's level in a skill was assessed (1 novice .. 5 expert); it replaces the last one."""

    person_id: str
    skill: str
    level: int = Field(ge=1, le=5)
    assessed_by: str
    assessed_at: datetime


@registry.register()
class CapacityChanged(DomainEvent):
    """A person's weekly capacity changes from a date on (earlier weeks keep the old value)."""

    person_id: str
    weekly_capacity_hours: Decimal = Field(ge=0, le=80)
    effective_from: date
    changed_by: str
    changed_at: datetime


@registry.register()
class CostRateChanged(DomainEvent):
    """A person's hourly cost rate changes from a date on (labour before it keeps the old rate)."""

    person_id: str
    cost_rate: Decimal = Field(ge=0)
    currency: str = Field(pattern=CURRENCY)
    effective_from: date
    changed_by: str
    changed_at: datetime


@registry.register()
class PersonOffboarded(DomainEvent):
    """A person leaves after `last_day`; their allocations after it are released."""

    person_id: str
    last_day: date
    reason: str
    offboarded_by: str
    offboarded_at: datetime


# --- Team --------------------------------------------------------------------------------------


@registry.register()
class TeamFormed(DomainEvent):
    """A team was formed, with its Team Topologies type and the value stream it serves."""

    team_id: str
    name: str
    topology: TeamTopology
    value_stream: str
    formed_by: str
    formed_at: datetime


@registry.register()
class TeamMemberJoined(DomainEvent):
    """A person joined a team for a share of their capacity (percent)."""

    team_id: str
    person_id: str
    allocation_percent: int = Field(ge=1, le=100)
    joined_on: date
    joined_by: str
    joined_at: datetime


@registry.register()
class TeamMemberLeft(DomainEvent):
    """A person left a team after `left_on`."""

    team_id: str
    person_id: str
    left_on: date
    left_by: str
    left_at: datetime


@registry.register()
class TeamCapacityPlanned(DomainEvent):
    """The team's planned capacity for an iteration or period (it replaces the same label's)."""

    team_id: str
    label: str = Field(description="The iteration or period, e.g. 'PI 2026.4 / I1' or '2026-Q4'.")
    starts_on: date
    ends_on: date
    capacity_hours: Decimal = Field(ge=0)
    planned_by: str
    planned_at: datetime


@registry.register()
class TeamToolAdopted(DomainEvent):
    """The team works with a tool: its members are expected to hold a licence."""

    team_id: str
    tool_id: str
    adopted_by: str
    adopted_at: datetime


@registry.register()
class TeamDisbanded(DomainEvent):
    """The team was disbanded after `disbanded_on`; its allocations after it are released."""

    team_id: str
    reason: str
    disbanded_on: date
    disbanded_by: str
    disbanded_at: datetime


# --- Demand (reactions to the portfolio) --------------------------------------------------------


@registry.register()
class DemandOpened(DomainEvent):
    """An initiative approved in the portfolio became demand here: an unstaffed demand line."""

    initiative_id: str
    portfolio_id: str | None
    period: str | None = Field(pattern=PERIOD)
    approved_amount: Decimal | None = Field(ge=0)
    currency: str | None = Field(pattern=CURRENCY)
    source_event_id: str = Field(description="The portfolio event it reacts to (ce_id).")
    opened_at: datetime


@registry.register()
class DemandClosed(DomainEvent):
    """The demand ended (initiative cancelled or done, or its approval withdrawn)."""

    initiative_id: str
    closure: DemandClosure
    source_event_id: str
    closed_at: datetime


# --- Allocation --------------------------------------------------------------------------------


@registry.register()
class AllocationRequested(DomainEvent):
    """A person or a team was requested for an initiative over a date range.

    Exactly one of person_id/team_id, and exactly one of percent/hours_per_week, is given.
    """

    allocation_id: str
    initiative_id: str
    person_id: str | None
    team_id: str | None
    starts_on: date
    ends_on: date
    percent: int | None = Field(ge=1, le=100)
    hours_per_week: Decimal | None = Field(gt=0, le=80)
    note: str
    requested_by: str
    requested_at: datetime


@registry.register()
class AllocationApproved(DomainEvent):
    """A resource manager approved the allocation: the capacity is now promised."""

    allocation_id: str
    approved_by: str
    approved_at: datetime


@registry.register()
class AllocationRejected(DomainEvent):
    """A resource manager rejected the requested allocation."""

    allocation_id: str
    reason: str
    rejected_by: str
    rejected_at: datetime


@registry.register()
class AllocationAdjusted(DomainEvent):
    """The allocation's range or size changed (all four values are given)."""

    allocation_id: str
    starts_on: date
    ends_on: date
    percent: int | None = Field(ge=1, le=100)
    hours_per_week: Decimal | None = Field(gt=0, le=80)
    adjusted_by: str
    adjusted_at: datetime


@registry.register()
class AllocationReleased(DomainEvent):
    """The allocation ends early (or is dropped): capacity from `released_from` on is free."""

    allocation_id: str
    released_from: date
    cause: ReleaseCause
    reason: str
    source_event_id: str | None = Field(description="The event that caused it, for reactions.")
    released_by: str
    released_at: datetime


@registry.register()
class OvercommitmentOverridden(DomainEvent):
    """A `pmo` or `admin` allowed a person above 100 % in some weeks, with a written reason."""

    allocation_id: str
    person_id: str
    weeks: list[str] = Field(description="ISO weeks over capacity, e.g. ['2026-W49'].")
    peak_percent: Decimal = Field(description="The highest commitment in those weeks, in %.")
    reason: str
    overridden_by: str
    overridden_at: datetime


# --- Budget ------------------------------------------------------------------------------------


@registry.register()
class BudgetOpened(DomainEvent):
    """A value-stream or cost-centre budget for one period."""

    budget_id: str
    name: str
    kind: BudgetKind
    owner_ref: str = Field(description="The value stream's name or the cost centre's code.")
    period: str = Field(pattern=PERIOD)
    amount: Decimal = Field(ge=0)
    currency: str = Field(pattern=CURRENCY)
    opened_by: str
    opened_at: datetime


@registry.register()
class BudgetAdjusted(DomainEvent):
    """The budget's amount changed to `amount` (the reason says why)."""

    budget_id: str
    amount: Decimal = Field(ge=0)
    reason: str
    adjusted_by: str
    adjusted_at: datetime


@registry.register()
class FundsCommitted(DomainEvent):
    """Funds of the budget were committed to an initiative (it replaces an earlier commitment)."""

    budget_id: str
    initiative_id: str
    amount: Decimal = Field(ge=0)
    committed_by: str
    committed_at: datetime


@registry.register()
class FundsReleased(DomainEvent):
    """The initiative's commitment on this budget was released."""

    budget_id: str
    initiative_id: str
    reason: str
    source_event_id: str | None
    released_by: str
    released_at: datetime


@registry.register()
class SpendRecorded(DomainEvent):
    """Money spent: labour accrued from approved allocations for a past week, or an expense."""

    budget_id: str
    spend_id: str = Field(
        description="Labour: '<allocation id>/<ISO week>' ('/<person id>' appended for a team "
        "allocation's member), so accrual is idempotent."
    )
    kind: SpendKind
    initiative_id: str | None
    allocation_id: str | None
    person_id: str | None
    week: str | None = Field(pattern=ISO_WEEK)
    hours: Decimal | None = Field(ge=0)
    amount: Decimal
    currency: str = Field(pattern=CURRENCY)
    description: str
    spent_on: date
    recorded_by: str
    recorded_at: datetime


@registry.register()
class BudgetOverrunOverridden(DomainEvent):
    """A `pmo` or `admin` let commitments exceed the budget, with a written reason."""

    budget_id: str
    initiative_id: str
    excess: Decimal
    currency: str = Field(pattern=CURRENCY)
    reason: str
    overridden_by: str
    overridden_at: datetime


# --- Tool --------------------------------------------------------------------------------------


@registry.register()
class ToolRegistered(DomainEvent):
    """A tool the organisation pays for, with its seats and cost per seat per month."""

    tool_id: str
    name: str
    vendor: str
    seats: int = Field(ge=0)
    cost_per_seat: Decimal = Field(ge=0, description="Per seat and month.")
    currency: str = Field(pattern=CURRENCY)
    registered_by: str
    registered_at: datetime


@registry.register()
class ToolSeatsChanged(DomainEvent):
    """The number of seats bought changed (never below the licences assigned)."""

    tool_id: str
    seats: int = Field(ge=0)
    changed_by: str
    changed_at: datetime


@registry.register()
class LicenceAssigned(DomainEvent):
    """A seat of the tool was assigned to a person."""

    tool_id: str
    person_id: str
    assigned_by: str
    assigned_at: datetime


@registry.register()
class LicenceRevoked(DomainEvent):
    """A person's licence was revoked; the seat is free again."""

    tool_id: str
    person_id: str
    reason: str
    revoked_by: str
    revoked_at: datetime


ResourcesEvent = DomainEvent
