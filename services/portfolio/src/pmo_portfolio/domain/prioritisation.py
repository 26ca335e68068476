"""Economic prioritisation: WSJF arithmetic, ranking, the funding line and review recommendations.

Pure functions over `Candidate` snapshots, so the read side (backlog, what-if, recommendations)
and the aggregates compute exactly the same numbers.

Ranking: WSJF descending (unscored last), then cost of delay descending, then job size ascending
(a smaller job delivers the same value sooner), then initiative id, so equal scores always come
out in the same order.

Funding line: walking the ranking, each candidate adds its estimated cost (no cost counts 0) to a
cumulative total; a candidate is funded while that total is within the remaining budget. Because
the total only grows, everything above the line is funded and everything below it is not; with no
budget for the period nothing is funded.

Recommendations for the next portfolio review (`recommend`):

- PULL a READY candidate, in rank order, when it is not blocked by dependencies, carries no hold
  or stop reason (below), fits what is left of the budget after the candidates pulled before it,
  and an IMPLEMENTING slot is free under the WIP limit. A candidate that does not fit is skipped,
  not the end of the walk: a smaller, lower-ranked one may still fit what is left.
- HOLD a READY candidate that cannot be pulled, naming why (budget, WIP limit, dependencies,
  capacity).
- For every candidate not DONE or CANCELLED: STOP (consider stopping) one whose spend exceeds its
  business case; HOLD one stalled (more than `stalled_after_days` in REVIEWING, ANALYZING or
  IMPLEMENTING) or with a risk exposure of at least `high_risk_exposure`. An ON_HOLD candidate
  is already held, so it only ever gets STOP.
- `capacity_available` stands in until the resources context gives each initiative a staffing
  demand: None ignores capacity; zero or less holds every READY candidate ("no capacity").

The result lists PULLs, then STOPs, then HOLDs, each in rank order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from pmo_events.errors import InvalidInput

from pmo_portfolio.domain.events import KanbanState

FIBONACCI_SCALE: tuple[int, ...] = (1, 2, 3, 5, 8, 13, 20)
"""The modified Fibonacci scale of the four WSJF inputs."""

_CENTS = Decimal("0.01")
_STALLABLE = frozenset({KanbanState.REVIEWING, KanbanState.ANALYZING, KanbanState.IMPLEMENTING})
_CLOSED = frozenset({KanbanState.DONE, KanbanState.CANCELLED})


@dataclass(frozen=True)
class Candidate:
    """One initiative as prioritisation sees it (built by the read side)."""

    initiative_id: str
    title: str
    state: KanbanState
    wsjf: Decimal | None
    cost_of_delay: int | None
    job_size: int | None
    estimated_cost: Decimal | None
    risk_exposure: int  # sum of probability * impact over its open risks (Risk.is_open)
    days_in_state: float
    over_business_case: bool
    blocked: bool


@dataclass(frozen=True)
class FundedItem:
    candidate: Candidate
    rank: int  # 1-based position in the ranking
    cumulative_cost: Decimal
    funded: bool


@dataclass(frozen=True)
class Recommendation:
    initiative_id: str
    action: Literal["PULL", "HOLD", "STOP"]
    reasons: tuple[str, ...]


def check_scale(field: str, value: int) -> int:
    """Refuse a WSJF input off the modified Fibonacci scale, naming the field and the scale."""
    if isinstance(value, bool) or value not in FIBONACCI_SCALE:
        allowed = ", ".join(str(step) for step in FIBONACCI_SCALE)
        raise InvalidInput(
            f"{field} must be on the modified Fibonacci scale ({allowed}); got {value!r}"
        )
    return value


def wsjf_of(
    business_value: int, time_criticality: int, risk_reduction: int, job_size: int
) -> tuple[int, Decimal]:
    """(cost of delay, WSJF): CoD = BV + TC + RR/OE; WSJF = CoD / job size, 2 places, half up."""
    check_scale("business_value", business_value)
    check_scale("time_criticality", time_criticality)
    check_scale("risk_reduction", risk_reduction)
    check_scale("job_size", job_size)
    cost_of_delay = business_value + time_criticality + risk_reduction
    wsjf = (Decimal(cost_of_delay) / Decimal(job_size)).quantize(_CENTS, rounding=ROUND_HALF_UP)
    return cost_of_delay, wsjf


def _rank_key(candidate: Candidate) -> tuple[bool, Decimal, bool, int, bool, int, str]:
    # Each "is None" flag sorts the missing value after every present one.
    return (
        candidate.wsjf is None,
        -(candidate.wsjf or Decimal(0)),
        candidate.cost_of_delay is None,
        -(candidate.cost_of_delay or 0),
        candidate.job_size is None,
        candidate.job_size or 0,
        candidate.initiative_id,
    )


def rank(candidates: Iterable[Candidate]) -> list[Candidate]:
    """WSJF desc (unscored last), then cost of delay desc, then job size asc, then id."""
    return sorted(candidates, key=_rank_key)


def funding_line(ranked: Sequence[Candidate], remaining_budget: Decimal | None) -> list[FundedItem]:
    """Cumulative estimated cost down the ranking; funded while it stays within the budget."""
    items: list[FundedItem] = []
    cumulative = Decimal(0)
    for position, candidate in enumerate(ranked, start=1):
        cumulative += candidate.estimated_cost or Decimal(0)
        funded = remaining_budget is not None and cumulative <= remaining_budget
        items.append(FundedItem(candidate, position, cumulative, funded))
    return items


def format_money(amount: Decimal, currency: str | None = None) -> str:
    """120000 rather than 120000.00; 1250.50 keeps its cents; the currency follows if known."""
    cents = amount.quantize(_CENTS, rounding=ROUND_HALF_UP)
    shown = f"{cents:.0f}" if cents == cents.to_integral_value() else f"{cents:.2f}"
    return f"{shown} {currency}" if currency else shown


def _standing_reasons(
    candidate: Candidate, *, stalled_after_days: float, high_risk_exposure: int
) -> tuple[bool, list[str]]:
    """(stop?, reasons) from the candidate alone: over its case, stalled, risky."""
    stop = candidate.over_business_case
    reasons: list[str] = []
    if candidate.over_business_case:
        reasons.append("spend exceeds its business case: consider stopping it")
    if candidate.state in _STALLABLE and candidate.days_in_state > stalled_after_days:
        reasons.append(
            f"stalled: {int(candidate.days_in_state)} days in {candidate.state.value} "
            f"(more than {stalled_after_days:g})"
        )
    if candidate.risk_exposure >= high_risk_exposure:
        reasons.append(f"risk exposure {candidate.risk_exposure} (≥ {high_risk_exposure})")
    return stop, reasons


def recommend(
    candidates: Sequence[Candidate],
    *,
    remaining_budget: Decimal | None,
    wip_limit_implementing: int | None,
    implementing_count: int,
    stalled_after_days: float = 60.0,
    high_risk_exposure: int = 15,
    capacity_available: Decimal | None = None,
    currency: str | None = None,
) -> list[Recommendation]:
    """What to pull, hold and stop at the next review, each with its reasons (see module doc).

    `currency` only labels amounts in the reasons (the budget's currency, when known).
    """
    ranked_all = rank(candidates)
    order = {candidate.initiative_id: index for index, candidate in enumerate(ranked_all)}
    ready = [candidate for candidate in ranked_all if candidate.state is KanbanState.READY]

    budget_left = remaining_budget
    free_slots = (
        None
        if wip_limit_implementing is None
        else max(wip_limit_implementing - implementing_count, 0)
    )
    results: list[Recommendation] = []

    for position, candidate in enumerate(ready, start=1):
        stop, reasons = _standing_reasons(
            candidate, stalled_after_days=stalled_after_days, high_risk_exposure=high_risk_exposure
        )
        score = f"WSJF {candidate.wsjf:.2f}" if candidate.wsjf is not None else "no WSJF score"
        context = f"{score}, rank {position} of {len(ready)}"
        if stop or reasons:
            action: Literal["PULL", "HOLD", "STOP"] = "STOP" if stop else "HOLD"
            results.append(Recommendation(candidate.initiative_id, action, (context, *reasons)))
            continue

        cost = candidate.estimated_cost or Decimal(0)
        against: list[str] = []
        if candidate.blocked:
            against.append("blocked by dependencies: it depends on initiatives not DONE yet")
        if budget_left is None:
            against.append("no budget is set for the period: nothing can be funded")
        elif cost > budget_left:
            against.append(
                f"does not fit the remaining budget: needs {format_money(cost, currency)}, "
                f"{format_money(budget_left, currency)} left"
            )
        if free_slots is not None and free_slots == 0:
            against.append(
                f"WIP limit reached: {implementing_count} IMPLEMENTING for a limit of "
                f"{wip_limit_implementing}"
            )
        if capacity_available is not None and capacity_available <= 0:
            against.append("no capacity available to staff it")
        if against:
            results.append(Recommendation(candidate.initiative_id, "HOLD", (context, *against)))
            continue

        if budget_left is None or remaining_budget is None:  # pragma: no cover - held above
            continue
        budget_left -= cost
        pull_reasons = [
            context,
            f"fits the remaining budget: costs {format_money(cost, currency)}, leaves "
            f"{format_money(budget_left)} of {format_money(remaining_budget, currency)}",
        ]
        if free_slots is None:
            pull_reasons.append("no WIP limit on IMPLEMENTING")
        else:
            pull_reasons.append(f"{free_slots} of {wip_limit_implementing} IMPLEMENTING slots free")
            free_slots -= 1
        results.append(Recommendation(candidate.initiative_id, "PULL", tuple(pull_reasons)))

    for candidate in ranked_all:
        if candidate.state is KanbanState.READY or candidate.state in _CLOSED:
            continue
        stop, reasons = _standing_reasons(
            candidate, stalled_after_days=stalled_after_days, high_risk_exposure=high_risk_exposure
        )
        if stop:
            results.append(Recommendation(candidate.initiative_id, "STOP", tuple(reasons)))
        elif reasons and candidate.state is not KanbanState.ON_HOLD:
            results.append(Recommendation(candidate.initiative_id, "HOLD", tuple(reasons)))

    priority = {"PULL": 0, "STOP": 1, "HOLD": 2}
    results.sort(key=lambda item: (priority[item.action], order[item.initiative_id]))
    return results
