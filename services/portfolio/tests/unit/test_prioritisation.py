"""WSJF arithmetic, ranking, the funding line and review recommendations."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pmo_events.errors import InvalidInput
from pmo_portfolio.domain.events import KanbanState
from pmo_portfolio.domain.prioritisation import (
    Candidate,
    Recommendation,
    format_money,
    funding_line,
    rank,
    recommend,
    wsjf_of,
)


@pytest.mark.parametrize(
    ("bv", "tc", "rr", "job", "cost_of_delay", "wsjf"),
    [
        (8, 5, 3, 5, 16, "3.20"),
        (20, 20, 20, 1, 60, "60.00"),
        (1, 1, 1, 20, 3, "0.15"),
        (1, 1, 2, 3, 4, "1.33"),  # 1.333… rounds down
        (2, 3, 3, 3, 8, "2.67"),  # 2.666… rounds up
        (1, 1, 3, 8, 5, "0.63"),  # 0.625: half up, where banker's rounding would give 0.62
        (8, 8, 5, 8, 21, "2.63"),  # 2.625 likewise
        (13, 8, 2, 13, 23, "1.77"),
    ],
)
def test_wsjf_is_cost_of_delay_over_job_size_rounded_half_up(
    bv: int, tc: int, rr: int, job: int, cost_of_delay: int, wsjf: str
) -> None:
    assert wsjf_of(bv, tc, rr, job) == (cost_of_delay, Decimal(wsjf))
    assert str(wsjf_of(bv, tc, rr, job)[1]) == wsjf  # exactly two places


@pytest.mark.parametrize(
    ("arguments", "field", "value"),
    [
        ((4, 5, 3, 5), "business_value", "4"),
        ((8, 0, 3, 5), "time_criticality", "0"),
        ((8, 5, 21, 5), "risk_reduction", "21"),
        ((8, 5, 3, -1), "job_size", "-1"),
        ((8, 5, 3, True), "job_size", "True"),
    ],
)
def test_off_scale_inputs_are_refused_naming_the_field_and_the_scale(
    arguments: tuple[int, int, int, int], field: str, value: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        wsjf_of(*arguments)
    assert refused.value.message == (
        f"{field} must be on the modified Fibonacci scale (1, 2, 3, 5, 8, 13, 20); got {value}"
    )


def candidate(
    initiative_id: str,
    *,
    wsjf: str | None = None,
    cost_of_delay: int | None = None,
    job_size: int | None = None,
    cost: str | None = None,
    state: KanbanState = KanbanState.READY,
    risk: int = 0,
    days: float = 1.0,
    over_case: bool = False,
    blocked: bool = False,
) -> Candidate:
    return Candidate(
        initiative_id=initiative_id,
        title=f"Initiative {initiative_id}",
        state=state,
        wsjf=Decimal(wsjf) if wsjf is not None else None,
        cost_of_delay=cost_of_delay,
        job_size=job_size,
        estimated_cost=Decimal(cost) if cost is not None else None,
        risk_exposure=risk,
        days_in_state=days,
        over_business_case=over_case,
        blocked=blocked,
    )


def test_rank_orders_by_wsjf_then_cost_of_delay_then_job_size_then_id() -> None:
    candidates = [
        candidate("unscored-b"),
        candidate("low", wsjf="1.00", cost_of_delay=5, job_size=5),
        candidate("tie-small-cod", wsjf="4.00", cost_of_delay=8, job_size=2),
        candidate("unscored-a"),
        candidate("tie-big-cod-big-job", wsjf="4.00", cost_of_delay=20, job_size=5),
        candidate("tie-big-cod-small-job-b", wsjf="4.00", cost_of_delay=20, job_size=3),
        candidate("tie-big-cod-small-job-a", wsjf="4.00", cost_of_delay=20, job_size=3),
        candidate("top", wsjf="6.50", cost_of_delay=13, job_size=2),
    ]
    assert [c.initiative_id for c in rank(candidates)] == [
        "top",
        "tie-big-cod-small-job-a",
        "tie-big-cod-small-job-b",
        "tie-big-cod-big-job",
        "tie-small-cod",
        "low",
        "unscored-a",
        "unscored-b",
    ]


def test_rank_is_independent_of_the_input_order() -> None:
    candidates = [candidate(str(n), wsjf=str(n % 3), cost_of_delay=n, job_size=1) for n in range(9)]
    assert rank(candidates) == rank(list(reversed(candidates)))


def _line(costs: list[str | None], budget: str | None) -> list[tuple[int, str, bool]]:
    ranked = [candidate(f"i{n}", cost=cost) for n, cost in enumerate(costs)]
    return [
        (item.rank, str(item.cumulative_cost), item.funded)
        for item in funding_line(ranked, Decimal(budget) if budget is not None else None)
    ]


def test_funding_line_funds_an_exact_fit() -> None:
    assert _line(["100", "200", "50"], "300") == [
        (1, "100", True),
        (2, "300", True),
        (3, "350", False),
    ]


def test_everything_below_the_line_stays_unfunded_even_when_cheap() -> None:
    assert _line(["100", "500", "10", None], "300") == [
        (1, "100", True),
        (2, "600", False),
        (3, "610", False),
        (4, "610", False),
    ]


def test_a_zero_budget_funds_only_what_costs_nothing() -> None:
    assert _line([None, "0", "1"], "0") == [(1, "0", True), (2, "0", True), (3, "1", False)]


def test_without_a_budget_nothing_is_funded() -> None:
    assert _line(["1", None], None) == [(1, "1", False), (2, "1", False)]


def test_unscored_candidates_are_ranked_last_then_funded_in_turn() -> None:
    ranked = rank(
        [
            candidate("unscored", cost="50"),
            candidate("scored", wsjf="2.00", cost_of_delay=10, job_size=5, cost="200"),
        ]
    )
    line = funding_line(ranked, Decimal("240"))
    assert [(i.candidate.initiative_id, i.funded) for i in line] == [
        ("scored", True),
        ("unscored", False),
    ]


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [("120000", "EUR", "120000 EUR"), ("1250.5", None, "1250.50"), ("0.00", "USD", "0 USD")],
)
def test_money_is_shown_without_needless_cents(
    amount: str, currency: str | None, shown: str
) -> None:
    assert format_money(Decimal(amount), currency) == shown


def by_id(recommendations: list[Recommendation]) -> dict[str, Recommendation]:
    return {r.initiative_id: r for r in recommendations}


def test_recommend_pulls_ready_work_in_wsjf_order_within_budget_and_wip() -> None:
    result = recommend(
        [
            candidate("b", wsjf="3.00", cost_of_delay=9, job_size=3, cost="100000"),
            candidate("a", wsjf="6.50", cost_of_delay=13, job_size=2, cost="80000"),
            candidate("c", wsjf="2.00", cost_of_delay=4, job_size=2, cost="50000"),
            candidate("d", wsjf="1.00", cost_of_delay=3, job_size=3, cost="10000"),
        ],
        remaining_budget=Decimal("300000"),
        wip_limit_implementing=5,
        implementing_count=3,
        currency="EUR",
    )
    assert result == [
        Recommendation(
            "a",
            "PULL",
            (
                "WSJF 6.50, rank 1 of 4",
                "fits the remaining budget: costs 80000 EUR, leaves 220000 of 300000 EUR",
                "2 of 5 IMPLEMENTING slots free",
            ),
        ),
        Recommendation(
            "b",
            "PULL",
            (
                "WSJF 3.00, rank 2 of 4",
                "fits the remaining budget: costs 100000 EUR, leaves 120000 of 300000 EUR",
                "1 of 5 IMPLEMENTING slots free",
            ),
        ),
        Recommendation(
            "c",
            "HOLD",
            (
                "WSJF 2.00, rank 3 of 4",
                "WIP limit reached: 3 IMPLEMENTING for a limit of 5",
            ),
        ),
        Recommendation(
            "d",
            "HOLD",
            ("WSJF 1.00, rank 4 of 4", "WIP limit reached: 3 IMPLEMENTING for a limit of 5"),
        ),
    ]


def test_a_ready_initiative_too_big_for_the_budget_is_held_and_a_smaller_one_pulled() -> None:
    result = by_id(
        recommend(
            [
                candidate("big", wsjf="5.00", cost_of_delay=10, job_size=2, cost="500000"),
                candidate("small", wsjf="2.00", cost_of_delay=10, job_size=5, cost="40000"),
            ],
            remaining_budget=Decimal("300000"),
            wip_limit_implementing=None,
            implementing_count=7,
        )
    )
    assert result["big"].action == "HOLD"
    assert result["big"].reasons[1] == (
        "does not fit the remaining budget: needs 500000, 300000 left"
    )
    assert result["small"] == Recommendation(
        "small",
        "PULL",
        (
            "WSJF 2.00, rank 2 of 2",
            "fits the remaining budget: costs 40000, leaves 260000 of 300000",
            "no WIP limit on IMPLEMENTING",
        ),
    )


def test_blocked_unbudgeted_or_unstaffable_ready_work_is_held_with_every_reason() -> None:
    [held] = recommend(
        [candidate("x", wsjf="4.00", cost_of_delay=8, job_size=2, cost="1", blocked=True)],
        remaining_budget=None,
        wip_limit_implementing=2,
        implementing_count=2,
        capacity_available=Decimal(0),
    )
    assert held == Recommendation(
        "x",
        "HOLD",
        (
            "WSJF 4.00, rank 1 of 1",
            "blocked by dependencies: it depends on initiatives not DONE yet",
            "no budget is set for the period: nothing can be funded",
            "WIP limit reached: 2 IMPLEMENTING for a limit of 2",
            "no capacity available to staff it",
        ),
    )


def test_capacity_when_available_does_not_stop_a_pull() -> None:
    [pulled] = recommend(
        [candidate("x", wsjf="4.00", cost_of_delay=8, job_size=2)],
        remaining_budget=Decimal(10),
        wip_limit_implementing=None,
        implementing_count=0,
        capacity_available=Decimal(3),
    )
    assert pulled.action == "PULL"


def test_stalled_risky_and_overspent_initiatives_are_held_or_stopped() -> None:
    result = recommend(
        [
            candidate("stalled", state=KanbanState.ANALYZING, days=75.5),
            candidate("fresh", state=KanbanState.ANALYZING, days=60.0),
            candidate("risky", state=KanbanState.IMPLEMENTING, risk=16),
            candidate("overspent", state=KanbanState.IMPLEMENTING, over_case=True, days=90),
            candidate("waiting", state=KanbanState.FUNNEL, days=400),
            candidate("paused", state=KanbanState.ON_HOLD, days=400, risk=25),
            candidate("paused-over", state=KanbanState.ON_HOLD, over_case=True),
            candidate("done", state=KanbanState.DONE, over_case=True, risk=25),
            candidate("ready-risky", wsjf="9.00", cost_of_delay=9, job_size=1, risk=15),
        ],
        remaining_budget=Decimal(1000),
        wip_limit_implementing=None,
        implementing_count=2,
    )
    assert [(r.initiative_id, r.action) for r in result] == [
        ("overspent", "STOP"),
        ("paused-over", "STOP"),
        ("ready-risky", "HOLD"),
        ("risky", "HOLD"),
        ("stalled", "HOLD"),
    ]
    reasons = {r.initiative_id: r.reasons for r in result}
    assert reasons["stalled"] == ("stalled: 75 days in ANALYZING (more than 60)",)
    assert reasons["risky"] == ("risk exposure 16 (≥ 15)",)
    assert reasons["overspent"] == (
        "spend exceeds its business case: consider stopping it",
        "stalled: 90 days in IMPLEMENTING (more than 60)",
    )
    assert reasons["ready-risky"] == ("WSJF 9.00, rank 1 of 1", "risk exposure 15 (≥ 15)")


def test_thresholds_are_parameters() -> None:
    result = recommend(
        [candidate("r", state=KanbanState.REVIEWING, days=11, risk=6)],
        remaining_budget=None,
        wip_limit_implementing=None,
        implementing_count=0,
        stalled_after_days=10,
        high_risk_exposure=6,
    )
    assert result == [
        Recommendation(
            "r", "HOLD", ("stalled: 11 days in REVIEWING (more than 10)", "risk exposure 6 (≥ 6)")
        )
    ]


def test_recommendations_are_deterministic() -> None:
    candidates = [
        candidate(f"i{n}", wsjf=f"{n % 4}.00", cost_of_delay=n, job_size=1, cost="10")
        for n in range(12)
    ]
    kwargs = {
        "remaining_budget": Decimal(55),
        "wip_limit_implementing": 8,
        "implementing_count": 2,
    }
    first = recommend(candidates, **kwargs)  # type: ignore[arg-type]
    assert first == recommend(list(reversed(candidates)), **kwargs)  # type: ignore[arg-type]
    assert [r.action for r in first].count("PULL") == 5  # 55 / 10, within 6 free slots
