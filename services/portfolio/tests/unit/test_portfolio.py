"""The Portfolio aggregate: details, themes, budgets, WIP limits, guardrails and governance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pmo_events.errors import Conflict, InvalidInput, NotFound
from pmo_portfolio.domain.events import (
    Guardrail,
    GuardrailsChanged,
    KanbanState,
    PortfolioBudgetSet,
    PortfolioCreated,
    StrategicThemeAdded,
    StrategicThemeRetired,
    WipLimitSet,
)
from pmo_portfolio.domain.governance import Governance
from pmo_portfolio.domain.portfolio import Budget, Portfolio

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=2)


def created() -> Portfolio:
    return Portfolio.create(
        "p-1",
        name=" Digital channels ",
        description="Everything customers touch",
        owner="olivia",
        actor="admin-1",
        now=NOW,
    )


def loaded() -> Portfolio:
    return Portfolio.from_events("p-1", created().pending)


def refused(portfolio: Portfolio, error: type[Exception], message: str, call: Any) -> None:
    before = (portfolio.version, list(portfolio.pending))
    with pytest.raises(error) as raised:
        call()
    assert str(raised.value) == message
    assert (portfolio.version, portfolio.pending) == before


def test_a_new_portfolio_starts_with_every_guardrail_in_force() -> None:
    portfolio = created()
    assert portfolio.pending == [
        PortfolioCreated(
            portfolio_id="p-1",
            name="Digital channels",
            description="Everything customers touch",
            owner="olivia",
            created_by="admin-1",
            created_at=NOW,
        ),
        GuardrailsChanged(
            portfolio_id="p-1",
            enabled=[
                Guardrail.BUDGET,
                Guardrail.CASE_AND_APPROVAL_BEFORE_READY,
                Guardrail.WIP_LIMIT,
                Guardrail.WSJF_BEFORE_ANALYSIS,
            ],
            changed_by="admin-1",
            changed_at=NOW,
        ),
    ]
    assert loaded().guardrails == frozenset(Guardrail)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": ""}, "name must not be empty"),
        ({"name": "n" * 201}, "name is 201 characters long; the limit is 200, shorten it"),
        (
            {"description": "d" * 4001},
            "description is 4001 characters long; the limit is 4000, shorten it",
        ),
        ({"owner": " "}, "owner must not be empty"),
    ],
)
def test_invalid_portfolios_are_refused(overrides: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {
        "name": "Digital",
        "description": "",
        "owner": "olivia",
        "actor": "a",
        "now": NOW,
    } | overrides
    with pytest.raises(InvalidInput) as raised:
        Portfolio.create("p-1", **arguments)
    assert raised.value.message == message


def test_details_change_only_when_they_differ() -> None:
    portfolio = loaded()
    portfolio.change_details(
        name="Digital channels",
        description="Everything customers touch",
        owner="olivia",
        actor="a",
        now=LATER,
    )
    assert portfolio.pending == []
    portfolio.change_details(name="Digital", description="", owner="oscar", actor="a", now=LATER)
    assert (portfolio.name, portfolio.description, portfolio.owner, portfolio.updated_at) == (
        "Digital",
        "",
        "oscar",
        LATER,
    )


def test_themes_are_added_and_retired() -> None:
    portfolio = loaded()
    portfolio.add_theme(
        "t-cx", name="Customer experience", objective="NPS +10 by 2027-Q2", actor="a", now=NOW
    )
    portfolio.add_theme(
        "t-cost", name="Cost to serve", objective="-15% by 2027", actor="a", now=NOW
    )
    portfolio.retire_theme("t-cost", reason="merged into CX", actor="a", now=LATER)
    assert portfolio.pending == [
        StrategicThemeAdded(
            portfolio_id="p-1",
            theme_id="t-cx",
            name="Customer experience",
            objective="NPS +10 by 2027-Q2",
            added_by="a",
            added_at=NOW,
        ),
        StrategicThemeAdded(
            portfolio_id="p-1",
            theme_id="t-cost",
            name="Cost to serve",
            objective="-15% by 2027",
            added_by="a",
            added_at=NOW,
        ),
        StrategicThemeRetired(
            portfolio_id="p-1",
            theme_id="t-cost",
            reason="merged into CX",
            retired_by="a",
            retired_at=LATER,
        ),
    ]
    assert [t.id for t in portfolio.active_themes] == ["t-cx"]
    assert portfolio.active_theme_ids == frozenset({"t-cx"})
    assert portfolio.themes["t-cost"].retired_reason == "merged into CX"
    # A retired theme's name is free again.
    portfolio.add_theme("t-cost-2", name="cost to serve", objective="again", actor="a", now=LATER)
    assert portfolio.active_theme_ids == frozenset({"t-cx", "t-cost-2"})


def test_theme_rules() -> None:
    portfolio = loaded()
    portfolio.add_theme("t-cx", name="Customer experience", objective="NPS", actor="a", now=NOW)
    portfolio.retire_theme("t-cx", reason="done", actor="a", now=NOW)
    portfolio.add_theme("t-cx2", name="Customer experience", objective="NPS", actor="a", now=NOW)
    refused(
        portfolio,
        Conflict,
        "portfolio 'p-1' already has an active theme named 'Customer experience' (id 't-cx2'); "
        "choose another name or retire that theme first",
        lambda: portfolio.add_theme(
            "t-3", name="CUSTOMER EXPERIENCE", objective="x", actor="a", now=NOW
        ),
    )
    refused(
        portfolio,
        Conflict,
        "portfolio 'p-1' already has a theme with the id 't-cx'",
        lambda: portfolio.add_theme("t-cx", name="Other", objective="x", actor="a", now=NOW),
    )
    refused(
        portfolio,
        InvalidInput,
        "objective must not be empty",
        lambda: portfolio.add_theme("t-4", name="Other", objective=" ", actor="a", now=NOW),
    )
    refused(
        portfolio,
        NotFound,
        "portfolio 'p-1' has no theme with the id 't-9'; list its themes for the right id",
        lambda: portfolio.retire_theme("t-9", reason="r", actor="a", now=NOW),
    )
    refused(
        portfolio,
        Conflict,
        "theme 't-cx' (Customer experience) is already retired",
        lambda: portfolio.retire_theme("t-cx", reason="r", actor="a", now=NOW),
    )
    refused(
        portfolio,
        InvalidInput,
        "reason must not be empty",
        lambda: portfolio.retire_theme("t-cx2", reason="", actor="a", now=NOW),
    )


def test_active_themes_are_bounded() -> None:
    portfolio = loaded()
    for n in range(50):
        portfolio.add_theme(f"t{n}", name=f"Theme {n}", objective="o", actor="a", now=NOW)
    refused(
        portfolio,
        InvalidInput,
        "portfolio 'p-1' already has 50 active themes, the limit; retire one first",
        lambda: portfolio.add_theme("t50", name="Theme 50", objective="o", actor="a", now=NOW),
    )


def test_budgets_are_set_per_period_and_replaced() -> None:
    portfolio = loaded()
    portfolio.set_budget("2026", amount=Decimal("1000000"), currency="EUR", actor="a", now=NOW)
    portfolio.set_budget("2026-Q4", amount=Decimal("0"), currency="EUR", actor="a", now=NOW)
    portfolio.set_budget("2026", amount=Decimal("1250000.50"), currency="EUR", actor="a", now=NOW)
    assert portfolio.pending[0] == PortfolioBudgetSet(
        portfolio_id="p-1",
        period="2026",
        amount=Decimal("1000000"),
        currency="EUR",
        set_by="a",
        set_at=NOW,
    )
    assert portfolio.budget("2026") == Budget("2026", Decimal("1250000.50"), "EUR")
    assert portfolio.budget("2026-Q4") == Budget("2026-Q4", Decimal(0), "EUR")
    assert portfolio.budget("2027") is None


@pytest.mark.parametrize(
    ("period", "amount", "currency", "message"),
    [
        (
            "2026-Q5",
            "1",
            "EUR",
            "period must be a year, half, quarter or month such as 2026, 2026-H2, 2026-Q4 or "
            "2026-11; got '2026-Q5'",
        ),
        ("2026", "-0.01", "EUR", "amount must be at least 0; got -0.01"),
        (
            "2026",
            "1",
            "EU",
            "currency must be an ISO 4217 code of three capital letters (e.g. EUR); got 'EU'",
        ),
    ],
)
def test_invalid_budgets_are_refused(period: str, amount: str, currency: str, message: str) -> None:
    portfolio = loaded()
    refused(
        portfolio,
        InvalidInput,
        message,
        lambda: portfolio.set_budget(
            period, amount=Decimal(amount), currency=currency, actor="a", now=NOW
        ),
    )


def test_wip_limits_are_set_changed_and_removed() -> None:
    portfolio = loaded()
    portfolio.set_wip_limit(KanbanState.IMPLEMENTING, 5, actor="a", now=NOW)
    portfolio.set_wip_limit(KanbanState.IMPLEMENTING, 5, actor="a", now=NOW)  # unchanged
    portfolio.set_wip_limit(KanbanState.ANALYZING, 0, actor="a", now=NOW)  # frozen
    portfolio.remove_wip_limit(KanbanState.ANALYZING, actor="a", now=LATER)
    portfolio.remove_wip_limit(KanbanState.READY, actor="a", now=LATER)  # none to remove
    assert portfolio.pending == [
        WipLimitSet(
            portfolio_id="p-1", state=KanbanState.IMPLEMENTING, limit=5, set_by="a", set_at=NOW
        ),
        WipLimitSet(
            portfolio_id="p-1", state=KanbanState.ANALYZING, limit=0, set_by="a", set_at=NOW
        ),
        WipLimitSet(
            portfolio_id="p-1", state=KanbanState.ANALYZING, limit=None, set_by="a", set_at=LATER
        ),
    ]
    assert portfolio.wip_limit(KanbanState.IMPLEMENTING) == 5
    assert portfolio.wip_limit(KanbanState.ANALYZING) is None


@pytest.mark.parametrize(
    "state", [KanbanState.FUNNEL, KanbanState.ON_HOLD, KanbanState.DONE, KanbanState.CANCELLED]
)
def test_wip_limits_only_apply_to_the_working_states(state: KanbanState) -> None:
    portfolio = loaded()
    refused(
        portfolio,
        InvalidInput,
        f"a WIP limit can only be set on REVIEWING, ANALYZING, READY, IMPLEMENTING; {state.value} "
        "is not limited (intake, hold and the end states take any number of initiatives)",
        lambda: portfolio.set_wip_limit(state, 3, actor="a", now=NOW),
    )


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        (-1, "limit must be between 0 and 1000; got -1"),
        (1001, "limit must be between 0 and 1000; got 1001"),
    ],
)
def test_wip_limits_are_bounded(limit: int, message: str) -> None:
    portfolio = loaded()
    refused(
        portfolio,
        InvalidInput,
        message,
        lambda: portfolio.set_wip_limit(KanbanState.READY, limit, actor="a", now=NOW),
    )


def test_guardrails_in_force_are_replaced_as_a_set() -> None:
    portfolio = loaded()
    portfolio.set_guardrails([Guardrail.WIP_LIMIT, Guardrail.BUDGET], actor="pmo", now=LATER)
    portfolio.set_guardrails({Guardrail.BUDGET, Guardrail.WIP_LIMIT}, actor="pmo", now=LATER)
    portfolio.set_guardrails([], actor="pmo", now=LATER)
    assert portfolio.pending == [
        GuardrailsChanged(
            portfolio_id="p-1",
            enabled=[Guardrail.BUDGET, Guardrail.WIP_LIMIT],
            changed_by="pmo",
            changed_at=LATER,
        ),
        GuardrailsChanged(portfolio_id="p-1", enabled=[], changed_by="pmo", changed_at=LATER),
    ]
    assert portfolio.guardrails == frozenset()
    refused(
        portfolio,
        InvalidInput,
        "'NO_FUN' is not a guardrail; the guardrails are WSJF_BEFORE_ANALYSIS, "
        "CASE_AND_APPROVAL_BEFORE_READY, WIP_LIMIT, BUDGET",
        lambda: portfolio.set_guardrails(["NO_FUN"], actor="pmo", now=LATER),  # type: ignore[list-item]
    )


def test_governance_snapshots_come_from_the_portfolio() -> None:
    portfolio = loaded()
    portfolio.set_wip_limit(KanbanState.READY, 4, actor="a", now=NOW)
    portfolio.set_budget("2026", amount=Decimal(1000), currency="CHF", actor="a", now=NOW)
    portfolio.set_guardrails([Guardrail.BUDGET], actor="a", now=NOW)
    assert portfolio.governance_for_move(KanbanState.READY, in_state=3) == Governance(
        guardrails=frozenset({Guardrail.BUDGET}), wip_limit=4, in_state=3
    )
    assert portfolio.governance_for_approval(
        "2026", committed_by_others=Decimal(1200)
    ) == Governance(
        guardrails=frozenset({Guardrail.BUDGET}),
        remaining_budget=Decimal(-200),
        budget_currency="CHF",
    )
    assert portfolio.governance_for_approval("2027", committed_by_others=Decimal(0)) == Governance(
        guardrails=frozenset({Guardrail.BUDGET})
    )


def test_the_portfolio_folds_back_from_its_events() -> None:
    portfolio = created()
    portfolio.add_theme("t-1", name="CX", objective="NPS", actor="a", now=NOW)
    portfolio.retire_theme("t-1", reason="done", actor="a", now=NOW)
    portfolio.set_budget("2026", amount=Decimal(5), currency="EUR", actor="a", now=NOW)
    portfolio.set_wip_limit(KanbanState.REVIEWING, 2, actor="a", now=NOW)
    portfolio.set_guardrails([Guardrail.WIP_LIMIT], actor="a", now=NOW)
    portfolio.change_details(name="D", description="", owner="o", actor="a", now=LATER)
    replayed = Portfolio.from_events("p-1", portfolio.pending)
    assert replayed == portfolio
    assert (replayed.version, replayed.loaded_version) == (8, 8)
