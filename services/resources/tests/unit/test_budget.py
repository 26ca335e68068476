"""The Budget aggregate: commitments and overrun overrides, adjustments, spend (idempotent labour
accrual), periods and the burn-rate forecast."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pmo_events.errors import Conflict, Forbidden, GuardrailViolation, InvalidInput, NotFound
from pmo_resources.domain.budget import (
    Budget,
    forecast_spend,
    labour_cost,
    labour_spend_id,
    period_range,
    period_weeks,
)
from pmo_resources.domain.capacity import IsoWeek
from pmo_resources.domain.events import (
    BudgetAdjusted,
    BudgetKind,
    BudgetOpened,
    BudgetOverrunOverridden,
    FundsCommitted,
    FundsReleased,
    SpendKind,
    SpendRecorded,
)

D = Decimal
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
W47 = IsoWeek(2026, 47)
OVERRIDE = "board approved the overrun on 24 Nov"


def _open_args() -> dict[str, Any]:
    return {
        "name": "Digital channels",
        "kind": BudgetKind.VALUE_STREAM,
        "owner_ref": "digital",
        "period": "2026-Q4",
        "amount": D(100000),
        "currency": "EUR",
        "actor": "fiona",
        "now": NOW,
    }


def opened(**overrides: Any) -> Budget:
    """An opened budget as the repository loads it: nothing pending."""
    return Budget.from_events("b-1", Budget.open("b-1", **(_open_args() | overrides)).pending)


def committed(*commitments: tuple[str, str]) -> Budget:
    budget = Budget.open("b-1", **_open_args())
    for initiative_id, amount in commitments:
        budget.commit_funds(initiative_id, amount=D(amount), actor="fiona", now=NOW)
    return Budget.from_events("b-1", budget.pending)


def reloaded(budget: Budget) -> Budget:
    return Budget.from_events("b-1", [*Budget.open("b-1", **_open_args()).pending, *budget.pending])


def refused(budget: Budget, error: type[Exception], message: str, call: Any) -> None:
    before = (budget.version, list(budget.pending))
    with pytest.raises(error) as raised:
        call()
    assert str(raised.value) == message
    assert (budget.version, budget.pending) == before


def labour(budget: Budget, *, week: IsoWeek = W47, hours: str = "32", **overrides: Any) -> None:
    arguments: dict[str, Any] = {
        "allocation_id": "a-1",
        "week": week,
        "initiative_id": "i-1",
        "person_id": "alice",
        "hours": D(hours),
        "cost_rate": D("85.50"),
        "currency": "EUR",
        "actor": "accrual",
        "now": LATER,
    } | overrides
    budget.record_labour(**arguments)


# --- opening -------------------------------------------------------------------------------------


def test_opening_records_budget_opened() -> None:
    budget = Budget.open("b-1", **_open_args())
    assert budget.pending == [
        BudgetOpened(
            budget_id="b-1",
            name="Digital channels",
            kind=BudgetKind.VALUE_STREAM,
            owner_ref="digital",
            period="2026-Q4",
            amount=D(100000),
            currency="EUR",
            opened_by="fiona",
            opened_at=NOW,
        )
    ]
    assert (budget.committed, budget.spent, budget.remaining, budget.uncommitted) == (
        D(0),
        D(0),
        D(100000),
        D(100000),
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"kind": "DEPARTMENT"}, "kind must be one of VALUE_STREAM, COST_CENTRE; got 'DEPARTMENT'"),
        (
            {"period": "2026-Q5"},
            "period must be a year, half, quarter or month such as 2026, 2026-H2, 2026-Q4 or "
            "2026-11; got '2026-Q5'",
        ),
        ({"amount": D(-1)}, "amount must be at least 0; got -1"),
        ({"amount": D("1.005")}, "amount has more than 2 decimal places; got 1.005"),
        (
            {"currency": "eur"},
            "currency must be an ISO 4217 code of three capital letters (e.g. EUR); got 'eur'",
        ),
        ({"owner_ref": ""}, "owner_ref must not be empty"),
    ],
)
def test_bad_budgets_are_refused(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        Budget.open("b-1", **(_open_args() | overrides))
    assert str(raised.value) == message


# --- commitments ---------------------------------------------------------------------------------


def test_committing_within_the_budget() -> None:
    budget = opened()
    budget.commit_funds("i-1", amount=D(60000), actor="fiona", now=LATER)
    assert budget.pending == [
        FundsCommitted(
            budget_id="b-1",
            initiative_id="i-1",
            amount=D(60000),
            committed_by="fiona",
            committed_at=LATER,
        )
    ]
    assert (budget.committed, budget.uncommitted, budget.committed_to("i-1")) == (
        D(60000),
        D(40000),
        D(60000),
    )


def test_a_new_commitment_replaces_the_initiatives_earlier_one() -> None:
    budget = committed(("i-1", "60000"), ("i-2", "30000"))
    # i-1 goes from 60k to 70k: 100k in total, exactly the budget
    budget.commit_funds("i-1", amount=D(70000), actor="fiona", now=LATER)
    assert budget.committed == D(100000)
    # the same amount again records nothing
    budget.commit_funds("i-1", amount=D(70000), actor="fiona", now=LATER)
    assert len(budget.pending) == 1


def test_an_overrun_is_refused_naming_budget_amount_committed_and_excess() -> None:
    budget = committed(("i-1", "60000"), ("i-2", "30000"))
    refused(
        budget,
        GuardrailViolation,
        "budget 'Digital channels' (2026-Q4) has 100000.00 EUR, 90000.00 EUR of it committed to "
        "other initiatives; committing 25000.00 EUR to 'i-3' would exceed it by 15000.00 EUR; "
        "commit less, raise the budget, or a pmo/admin may override with a reason",
        lambda: budget.commit_funds("i-3", amount=D(25000), actor="fiona", now=LATER),
    )


def test_a_pmo_overrides_an_overrun_with_a_reason() -> None:
    budget = committed(("i-1", "90000"))
    budget.commit_funds(
        "i-2",
        amount=D(25000),
        override_reason=OVERRIDE,
        may_override=True,
        actor="paula",
        now=LATER,
    )
    assert budget.pending == [
        BudgetOverrunOverridden(
            budget_id="b-1",
            initiative_id="i-2",
            excess=D(15000),
            currency="EUR",
            reason=OVERRIDE,
            overridden_by="paula",
            overridden_at=LATER,
        ),
        FundsCommitted(
            budget_id="b-1",
            initiative_id="i-2",
            amount=D(25000),
            committed_by="paula",
            committed_at=LATER,
        ),
    ]
    assert (budget.uncommitted, len(budget.overrides)) == (D(-15000), 1)
    # shrinking a commitment of an overrun budget needs no override
    budget.commit_funds("i-2", amount=D(20000), actor="fiona", now=LATER)
    assert budget.uncommitted == D(-10000)


def test_an_override_reason_from_another_role_is_forbidden() -> None:
    budget = opened()
    refused(
        budget,
        Forbidden,
        "only a pmo or admin may override an invariant; send the command without "
        "override_reason, or ask a pmo or admin to send it",
        lambda: budget.commit_funds(
            "i-1", amount=D(1), override_reason=OVERRIDE, actor="fiona", now=NOW
        ),
    )


def test_releasing_an_initiatives_funds() -> None:
    budget = committed(("i-1", "60000"))
    budget.release_funds(
        "i-1", reason="initiative cancelled", source_event_id="ev-7", actor="resources", now=LATER
    )
    assert budget.pending == [
        FundsReleased(
            budget_id="b-1",
            initiative_id="i-1",
            reason="initiative cancelled",
            source_event_id="ev-7",
            released_by="resources",
            released_at=LATER,
        )
    ]
    assert (budget.committed, budget.committed_to("i-1")) == (D(0), None)
    # a reaction replayed finds nothing to release and records nothing
    budget.release_funds(
        "i-1", reason="initiative cancelled", source_event_id="ev-7", actor="resources", now=LATER
    )
    assert len(budget.pending) == 1
    refused(
        budget,
        NotFound,
        "budget 'Digital channels' (2026-Q4) has no commitment to initiative 'i-1'; list the "
        "budget's commitments for the right id",
        lambda: budget.release_funds("i-1", reason="manual", actor="fiona", now=LATER),
    )


# --- adjustments ---------------------------------------------------------------------------------


def test_adjusting_the_amount() -> None:
    budget = committed(("i-1", "60000"))
    budget.adjust(amount=D(60000), reason="mid-year cut", actor="fiona", now=LATER)
    assert budget.pending == [
        BudgetAdjusted(
            budget_id="b-1",
            amount=D(60000),
            reason="mid-year cut",
            adjusted_by="fiona",
            adjusted_at=LATER,
        )
    ]
    budget.adjust(amount=D(60000), reason="again", actor="fiona", now=LATER)
    assert len(budget.pending) == 1
    refused(
        budget,
        GuardrailViolation,
        "budget 'Digital channels' (2026-Q4) cannot go down to 59999.99 EUR: 60000.00 EUR is "
        "committed; release or reduce commitments first",
        lambda: budget.adjust(amount=D("59999.99"), reason="cut", actor="fiona", now=LATER),
    )
    refused(
        budget,
        InvalidInput,
        "reason must not be empty",
        lambda: budget.adjust(amount=D(1), reason="", actor="fiona", now=LATER),
    )


# --- spend ---------------------------------------------------------------------------------------


def test_labour_accrues_once_per_allocation_and_week() -> None:
    budget = opened()
    labour(budget)
    assert budget.pending == [
        SpendRecorded(
            budget_id="b-1",
            spend_id="a-1/2026-W47",
            kind=SpendKind.LABOUR,
            initiative_id="i-1",
            allocation_id="a-1",
            person_id="alice",
            week="2026-W47",
            hours=D(32),
            amount=D("2736.00"),
            currency="EUR",
            description="32 h in 2026-W47 at 85.50 EUR/h",
            spent_on=date(2026, 11, 20),  # the Friday of W47
            recorded_by="accrual",
            recorded_at=LATER,
        )
    ]
    # the accrual runs again (a retry, a replay): nothing new, even with other hours
    labour(budget)
    labour(budget, hours="40")
    assert len(budget.pending) == 1
    again = reloaded(budget)
    labour(again)
    assert again.pending == []
    assert again.has_spend(labour_spend_id("a-1", W47))
    # the next week is a new spend; zero hours record nothing
    labour(budget, week=W47.next(), hours="12.375")
    labour(budget, week=W47.next().next(), hours="0")
    assert [s.amount for s in budget.spends.values()] == [D("2736.00"), D("1058.06")]
    assert budget.spent == D("3794.06")
    assert budget.spent_on_initiative("i-1") == D("3794.06")
    assert budget.spent_on_initiative("i-9") == 0


def test_spend_must_be_in_the_budgets_currency() -> None:
    budget = opened()
    refused(
        budget,
        InvalidInput,
        "budget 'Digital channels' (2026-Q4) is in EUR; record the spend in EUR, not USD",
        lambda: labour(budget, currency="USD"),
    )
    refused(
        budget,
        InvalidInput,
        "budget 'Digital channels' (2026-Q4) is in EUR; record the spend in EUR, not GBP",
        lambda: budget.record_expense(
            "e-1",
            amount=D(10),
            currency="GBP",
            description="x",
            spent_on=date(2026, 11, 2),
            actor="f",
            now=NOW,
        ),
    )


def test_expenses_are_recorded_with_their_id_and_may_be_credits() -> None:
    budget = opened()
    budget.record_expense(
        "e-1",
        amount=D("1200.00"),
        currency="EUR",
        description="Figma seats, November",
        spent_on=date(2026, 11, 2),
        initiative_id="i-1",
        actor="fiona",
        now=LATER,
    )
    assert budget.pending == [
        SpendRecorded(
            budget_id="b-1",
            spend_id="e-1",
            kind=SpendKind.EXPENSE,
            initiative_id="i-1",
            allocation_id=None,
            person_id=None,
            week=None,
            hours=None,
            amount=D("1200.00"),
            currency="EUR",
            description="Figma seats, November",
            spent_on=date(2026, 11, 2),
            recorded_by="fiona",
            recorded_at=LATER,
        )
    ]
    expense: dict[str, Any] = {
        "currency": "EUR",
        "description": "credit note",
        "spent_on": date(2026, 11, 9),
        "actor": "fiona",
        "now": LATER,
    }
    budget.record_expense("e-2", amount=D(-200), **expense)
    assert budget.spent == D(1000)
    refused(
        budget,
        Conflict,
        "budget 'Digital channels' (2026-Q4) already has a spend 'e-1'; send a new id",
        lambda: budget.record_expense("e-1", amount=D(5), **expense),
    )
    refused(
        budget,
        InvalidInput,
        "amount must be a non-zero decimal amount; got Decimal('0')",
        lambda: budget.record_expense("e-3", amount=D(0), **expense),
    )
    refused(
        budget,
        InvalidInput,
        "amount has more than 2 decimal places; got 0.001",
        lambda: budget.record_expense("e-3", amount=D("-0.001"), **expense),
    )


def test_labour_cost_rounds_half_up_to_the_cent() -> None:
    assert labour_cost(D("12.375"), D("85.50")) == D("1058.06")  # 1058.0625
    assert labour_cost(D("0.001"), D("5")) == D("0.01")  # 0.005


# --- periods and forecast ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "first", "last", "first_week", "last_week", "weeks"),
    [
        ("2026", date(2026, 1, 1), date(2026, 12, 31), "2026-W01", "2026-W53", 53),
        ("2026-H1", date(2026, 1, 1), date(2026, 6, 30), "2026-W01", "2026-W26", 26),
        ("2026-H2", date(2026, 7, 1), date(2026, 12, 31), "2026-W27", "2026-W53", 27),
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31), "2026-W40", "2026-W53", 14),
        ("2026-11", date(2026, 11, 1), date(2026, 11, 30), "2026-W45", "2026-W48", 4),
        ("2028-02", date(2028, 2, 1), date(2028, 2, 29), "2028-W05", "2028-W08", 4),
        ("2027", date(2027, 1, 1), date(2027, 12, 31), "2027-W01", "2027-W52", 52),
    ],
)
def test_period_days_and_weeks(
    period: str, first: date, last: date, first_week: str, last_week: str, weeks: int
) -> None:
    assert period_range(period) == (first, last)
    found = period_weeks(period)
    assert (found[0].label, found[-1].label, len(found)) == (first_week, last_week, weeks)


def test_adjacent_periods_share_no_week() -> None:
    quarters = [period_weeks(f"2026-Q{q}") for q in range(1, 5)]
    assert sum(len(q) for q in quarters) == len(period_weeks("2026")) == 53
    assert sorted(w for q in quarters for w in q) == period_weeks("2026")


SPEND = {
    "2026-W40": D(5000),  # outside the 4-week window
    "2026-W44": D(1000),
    "2026-W45": D(2000),
    # W46: nothing
    "2026-W47": D(3000),
    "2026-W48": D(500),  # the current week: spent, not part of the burn rate
}


@pytest.mark.parametrize(
    ("as_of", "window", "burn", "window_weeks", "weeks_left", "forecast"),
    [
        # Wed of W48: window W44-W47 = 6000 / 4; W48..W53 left: 11500 + 6 * 1500
        (date(2026, 11, 25), 4, "1500.00", 4, 6, "20500.00"),
        # a 2-week window: W46, W47 = 3000 / 2
        (date(2026, 11, 25), 2, "1500.00", 2, 6, "20500.00"),
        # a 3-week window: W45-W47 = 5000 / 3, to the cent
        (date(2026, 11, 25), 3, "1666.67", 3, 6, "21500.02"),
        # early in the period: only W40 and W41 are complete (5000 / 2); W42..W53 left
        (date(2026, 10, 14), 4, "2500.00", 2, 12, "41500.00"),
        # before the period: no burn rate yet
        (date(2026, 9, 1), 4, "0", 0, 14, "11500"),
        # after it: the window is its last 4 weeks (W50-W53, nothing spent) and nothing is left
        (date(2027, 2, 1), 4, "0.00", 4, 0, "11500.00"),
    ],
)
def test_forecast_at_the_current_burn_rate(
    as_of: date, window: int, burn: str, window_weeks: int, weeks_left: int, forecast: str
) -> None:
    result = forecast_spend(
        SPEND, period="2026-Q4", amount=D(20000), as_of=as_of, window_weeks=window
    )
    assert (result.spent, result.weekly_burn, result.window_weeks, result.weeks_left) == (
        D(11500),
        D(burn),
        window_weeks,
        weeks_left,
    )
    assert result.forecast == D(forecast)
    assert result.variance == D(20000) - D(forecast)
    assert result.overrun is (D(forecast) > 20000)


def test_the_budget_forecasts_from_its_own_spend() -> None:
    budget = opened(amount=D(20000))
    labour(budget, week=IsoWeek(2026, 46), hours="40", cost_rate=D(100))  # 4000
    budget.record_expense(
        "e-1",
        amount=D(2000),
        currency="EUR",
        description="cloud",
        spent_on=date(2026, 11, 18),  # W47
        actor="fiona",
        now=NOW,
    )
    assert budget.burn_per_week() == {"2026-W46": D("4000.00"), "2026-W47": D(2000)}
    result = budget.forecast(as_of=date(2026, 11, 25), window_weeks=2)
    # burn (4000 + 2000) / 2 = 3000 a week; 6 weeks left: 6000 + 18000
    assert (result.weekly_burn, result.forecast, result.variance) == (
        D(3000),
        D(24000),
        D(-4000),
    )
    assert result.overrun
    with pytest.raises(InvalidInput, match="window_weeks must be between 1 and 52; got 0"):
        budget.forecast(as_of=date(2026, 11, 25), window_weeks=0)
