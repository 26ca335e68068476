"""The pure parts of labour accrual: which lines a week of an allocation makes, which budget pays
them, and the Budget aggregate's per-member labour of a team allocation."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from pmo_resources.app.accrual import Funding, LabourLine, UnfundedReason, fund, labour_lines
from pmo_resources.domain.budget import Budget, period_weeks
from pmo_resources.domain.capacity import (
    AllocationLoad,
    CapacitySchedule,
    CommitmentContext,
    IsoWeek,
    TeamMember,
)
from pmo_resources.domain.events import BudgetKind
from pmo_resources.projections.people import RateRow

NOW = datetime(2026, 3, 2, tzinfo=UTC)
W06, W07, W08 = IsoWeek(2026, 6), IsoWeek(2026, 7), IsoWeek(2026, 8)


def rate(person_id: str, amount: str, effective_from: date, version: int) -> RateRow:
    return RateRow(person_id, version, effective_from, Decimal(amount), "EUR", "u", NOW)


def test_weeks_before_the_current_one_are_priced_at_the_rate_in_force_on_their_monday() -> None:
    load = AllocationLoad("a-1", date(2026, 2, 4), date(2026, 2, 20), percent=50, person_id="p")
    context = CommitmentContext(capacities={"p": CapacitySchedule.constant(Decimal(40)).on})
    rates = {
        "p": [rate("p", "85.00", date(2026, 1, 5), 1), rate("p", "90.00", date(2026, 2, 17), 2)]
    }

    lines = labour_lines([(load, "i-1")], context, rates, before=W08)

    # W08 is the current week: not accrued. The change of 17 February is not in force on
    # W07's Monday (9 February) and would only apply from W09's.
    assert [(line.week, line.hours, line.amount) for line in lines] == [
        (W06, Decimal(12), Decimal("1020.00")),
        (W07, Decimal(20), Decimal("1700.00")),
    ]
    assert [line.spend_id for line in lines] == ["a-1/2026-W06", "a-1/2026-W07"]


def test_a_team_allocation_makes_one_line_per_member_with_their_id_in_the_spend_id() -> None:
    load = AllocationLoad(
        "a-2", date(2026, 2, 9), date(2026, 2, 13), hours_per_week=Decimal(10), team_id="t"
    )
    flat = CapacitySchedule.constant(Decimal(40)).on
    context = CommitmentContext(
        capacities={"p": flat, "q": flat},
        rosters={
            "t": [TeamMember("p", 60, date(2026, 1, 1)), TeamMember("q", 40, date(2026, 1, 1))]
        },
    )
    rates = {
        "p": [rate("p", "80.00", date(2026, 1, 1), 1)],
        "q": [rate("q", "100.00", date(2026, 1, 1), 1)],
    }

    lines = labour_lines([(load, "i-1")], context, rates, before=W08)

    assert [(line.spend_id, line.hours, line.amount) for line in lines] == [
        ("a-2/2026-W07/p", Decimal("6.000"), Decimal("480.00")),
        ("a-2/2026-W07/q", Decimal("4.000"), Decimal("400.00")),
    ]


def line(initiative_id: str = "i-1", week: IsoWeek = W07, currency: str = "EUR") -> LabourLine:
    return LabourLine("a-1", initiative_id, "p", None, week, Decimal(8), Decimal(100), currency)


def funding(budget_id: str, period: str, currency: str = "EUR") -> Funding:
    return Funding(budget_id, frozenset(period_weeks(period)), currency)


def test_the_most_specific_covering_budget_in_the_rate_currency_pays() -> None:
    fundings = {
        "i-1": [
            funding("b-year", "2026"),
            funding("b-quarter", "2026-Q1"),
            funding("b-dollars", "2026-02", "USD"),
        ]
    }
    funded, unfunded = fund([line()], fundings)
    assert [(f.budget_id, f.line.spend_id) for f in funded] == [("b-quarter", "a-1/2026-W07")]
    assert unfunded == []


def test_unfunded_lines_say_why() -> None:
    fundings = {
        "i-2": [funding("b-q3", "2026-Q3")],
        "i-3": [funding("b-q1-usd", "2026-Q1", "USD")],
    }
    _, unfunded = fund([line("i-1"), line("i-2"), line("i-3")], fundings)
    assert [u.reason for u in unfunded] == [
        UnfundedReason.NO_COMMITMENT,
        UnfundedReason.PERIOD_NOT_COVERED,
        UnfundedReason.CURRENCY_MISMATCH,
    ]


def test_a_budget_records_each_members_labour_once() -> None:
    budget = Budget.open(
        "b-1", name="Payments", kind=BudgetKind.VALUE_STREAM, owner_ref="Payments",
        period="2026-Q1", amount=Decimal(10000), currency="EUR", actor="u", now=NOW,
    )  # fmt: skip
    for _ in range(2):
        for person_id in ("p", "q"):
            budget.record_labour(
                allocation_id="a-2", week=W07, initiative_id="i-1", person_id=person_id,
                hours=Decimal(5), cost_rate=Decimal(80), currency="EUR", team_allocation=True,
                actor="u", now=NOW,
            )  # fmt: skip
    assert sorted(budget.spends) == ["a-2/2026-W07/p", "a-2/2026-W07/q"]
    assert budget.spent == Decimal("800.00")
