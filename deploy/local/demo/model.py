"""The vocabulary of the demo data: what a portfolio and its initiatives look like, as plain data.

The data itself (`demo.portfolios`) only says what is true of each initiative at the end (how far
it got, its scores, business case, approval, risks, objectives and how it left the flow); the
loader (`demo.loader`) turns that into the commands a portfolio manager and a PMO lead would have
run, in a legal order, through the gateway.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    """The portfolio kanban (the GraphQL enum InitiativeState)."""

    FUNNEL = "FUNNEL"
    REVIEWING = "REVIEWING"
    ANALYZING = "ANALYZING"
    READY = "READY"
    IMPLEMENTING = "IMPLEMENTING"
    DONE = "DONE"
    ON_HOLD = "ON_HOLD"
    CANCELLED = "CANCELLED"


FLOW = (
    State.FUNNEL,
    State.REVIEWING,
    State.ANALYZING,
    State.READY,
    State.IMPLEMENTING,
    State.DONE,
)


class Period(StrEnum):
    """Budget periods relative to the day the data is loaded (the quarter it falls in)."""

    CURRENT = "current"
    NEXT = "next"


class Exit(StrEnum):
    """How an initiative left the main flow after the furthest state it reached."""

    REJECT = "REJECT"  # a decision: back to FUNNEL
    DEFER = "DEFER"  # a decision: ON_HOLD
    CANCEL = "CANCEL"  # a decision: CANCELLED
    HOLD = "HOLD"  # a move to ON_HOLD with a reason
    ABANDON = "ABANDON"  # a move to CANCELLED with a reason


@dataclass(frozen=True)
class Theme:
    name: str
    objective: str  # measurable: a number and a date


@dataclass(frozen=True)
class Wsjf:
    """One WSJF scoring (modified Fibonacci: 1, 2, 3, 5, 8, 13, 20)."""

    business_value: int
    time_criticality: int
    risk_reduction: int
    job_size: int
    note: str = ""


@dataclass(frozen=True)
class BusinessCase:
    """A lean business case in EUR (amounts as decimal strings, as the API takes them)."""

    mvp_cost: str
    total_cost: str
    benefits: str
    indicators: tuple[str, ...]


@dataclass(frozen=True)
class Approval:
    """An APPROVE decision by the PMO lead, committing the business case to a period's budget.

    `override`: the written reason with which the PMO lead overrides the BUDGET guardrail
    (the approval commits more than the period's remaining budget).
    """

    period: Period
    rationale: str
    in_review: bool = True
    override: str | None = None


@dataclass(frozen=True)
class Roam:
    status: str  # RESOLVED, OWNED, ACCEPTED or MITIGATED
    owner: str
    notes: str


@dataclass(frozen=True)
class Risk:
    title: str
    probability: int  # 1-5
    impact: int  # 1-5
    description: str
    roam: Roam | None = None


@dataclass(frozen=True)
class Objective:
    description: str
    planned: int  # business value 0-10
    delivered: int | None = None  # recorded before the initiative is DONE


@dataclass(frozen=True)
class Outcome:
    """Leaving the flow: a decision (REJECT, DEFER, CANCEL) or a move (HOLD, ABANDON)."""

    exit: Exit
    reason: str
    in_review: bool = True  # decisions only: taken in the portfolio's concluded review


@dataclass(frozen=True)
class Dependency:
    on: str  # key of the initiative depended on (any portfolio)
    note: str


@dataclass(frozen=True)
class Initiative:
    """An initiative and everything that happened to it.

    `reaches`: the furthest state of the main flow it got to; `outcomes` then take it off the
    flow (on hold, cancelled, rejected back to the funnel). `wip_override`: the reason the PMO
    lead gives to move it into `reaches` although the state's WIP limit is reached.
    """

    key: str
    title: str
    owner: str
    hypothesis: str
    themes: tuple[str, ...]
    reaches: State
    scores: tuple[Wsjf, ...] = ()
    case: BusinessCase | None = None
    approval: Approval | None = None
    risks: tuple[Risk, ...] = ()
    objectives: tuple[Objective, ...] = ()
    outcomes: tuple[Outcome, ...] = ()
    depends_on: tuple[Dependency, ...] = ()
    wip_override: str | None = None


@dataclass(frozen=True)
class Review:
    """A portfolio review; `{current}` and `{next}` in the title name the budget periods."""

    title: str
    days_from_today: int
    attendees: tuple[str, ...]
    summary: str | None = None  # set: the review took place and was concluded


@dataclass(frozen=True)
class Portfolio:
    name: str
    description: str
    owner: str  # accountable executive
    manager: str  # the portfolio manager who runs the portfolio's commands (JWT subject)
    themes: tuple[Theme, ...]
    budgets: dict[Period, str]  # EUR
    wip_limits: dict[State, int]
    past_review: Review  # concluded: decisions marked in_review were taken in it
    next_review: Review  # scheduled, still open
    initiatives: tuple[Initiative, ...]
