"""Budgets through the subgraph on the real Postgres: the overrun guardrail and its override,
adjustments, releases, expenses, the burn and its forecast, lists, and refusals that write
nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.platform import graphql_errors

from . import budgeting
from .budgeting import ADJUST_BUDGET, BUDGET, COMMIT_FUNDS, RECORD_EXPENSE, RELEASE_FUNDS
from .conftest import Api, tag

BUDGETS = """query($period: String, $kind: BudgetKind, $first: Int, $after: String) {
  budgets(period: $period, kind: $kind, first: $first, after: $after) {
    edges { node { id name period kind } } pageInfo { hasNextPage endCursor } } }"""
FORECAST = """query($id: ID!, $asOf: Date, $window: Int!) { budget(id: $id) {
  forecast(asOf: $asOf, windowWeeks: $window) {
    asOf weeklyBurn windowWeeks weeksLeft spent forecast variance overrun } } }"""


async def refused(api: Api, query: str, input: dict[str, Any], code: str, **kw: Any) -> str:
    """Run a mutation that must be refused with `code` and write nothing; its message."""
    before = await api.head()
    body = await api.call(query, {"input": input}, **kw)
    assert list(graphql_errors(body)) == [code], body
    assert await api.head() == before
    message: str = body["errors"][0]["message"]
    return message


async def test_a_budget_opens_with_its_period_and_nothing_committed_or_spent(api: Api) -> None:
    opened = await budgeting.budget(api, amount="80000.00", period="2026-Q4", kind="COST_CENTRE")
    assert {k: opened[k] for k in ("kind", "period", "amount", "currency", "version")} == {
        "kind": "COST_CENTRE",
        "period": "2026-Q4",
        "amount": "80000.00",
        "currency": "EUR",
        "version": 1,
    }
    assert (opened["periodStartsOn"], opened["periodEndsOn"]) == ("2026-10-01", "2026-12-31")
    assert (opened["committed"], opened["uncommitted"]) == ("0", "80000.00")
    assert (opened["spent"], opened["remaining"]) == ("0", "80000.00")
    assert (await api.query(BUDGET, {"id": opened["id"]}))["budget"] == opened


async def test_commitments_beyond_the_budget_are_refused_naming_the_numbers(api: Api) -> None:
    budget = await budgeting.budget(api, amount="100000.00")
    await budgeting.commit(api, budget["id"], "initiative-a", "70000.00")

    message = await refused(
        api,
        COMMIT_FUNDS,
        {"budgetId": budget["id"], "initiativeId": "initiative-b", "amount": "45000.00"},
        "GUARDRAIL_VIOLATION",
    )
    assert f"budget '{budget['name']}' (2026-Q1) has 100000.00 EUR" in message
    assert "70000.00 EUR of it committed" in message
    assert "committing 45000.00 EUR to 'initiative-b'" in message
    assert "exceed it by 15000.00 EUR" in message
    assert "a pmo/admin may override with a reason" in message
    # A resource manager cannot override (FORBIDDEN), and writes nothing either.
    await refused(
        api,
        COMMIT_FUNDS,
        {
            "budgetId": budget["id"],
            "initiativeId": "initiative-b",
            "amount": "45000.00",
            "overrideReason": "Board approved",
        },
        "FORBIDDEN",
    )
    # Replacing a commitment counts the new amount only: 70k -> 100k fits exactly.
    replaced = await budgeting.commit(api, budget["id"], "initiative-a", "100000.00")
    assert replaced["committed"] == "100000.00"
    assert replaced["uncommitted"] == "0.00"


async def test_a_pmo_overrides_an_overrun_with_a_reason_on_record(api: Api) -> None:
    budget = await budgeting.budget(api, amount="50000.00")
    await budgeting.commit(api, budget["id"], "initiative-a", "40000.00")

    answer = await budgeting.commit(
        api, budget["id"], "initiative-b", "25000.00", role="pmo", override="Board approved Q1"
    )
    assert answer["committed"] == "65000.00"
    assert answer["uncommitted"] == "-15000.00"
    assert answer["overrides"] == [
        {
            "initiativeId": "initiative-b",
            "excess": "15000.00",
            "currency": "EUR",
            "reason": "Board approved Q1",
            "overriddenBy": "test-user",
        }
    ]
    events = [event.event_type.split(".")[2] for event in await api.events(budget["id"])]
    assert events[-2:] == ["BudgetOverrunOverridden", "FundsCommitted"]


async def test_adjustments_never_go_below_what_is_committed(api: Api) -> None:
    budget = await budgeting.budget(api, amount="60000.00")
    await budgeting.commit(api, budget["id"], "initiative-a", "45000.00")
    message = await refused(
        api,
        ADJUST_BUDGET,
        {"budgetId": budget["id"], "amount": "40000.00", "reason": "Cut"},
        "GUARDRAIL_VIOLATION",
    )
    assert "cannot go down to 40000.00 EUR: 45000.00 EUR is committed" in message
    lowered = await api.ok(
        ADJUST_BUDGET, {"budgetId": budget["id"], "amount": "45000.00", "reason": "Cut"}
    )
    assert lowered["amount"] == "45000.00"
    assert lowered["adjustments"] == [
        {"amount": "45000.00", "reason": "Cut", "adjustedBy": "test-user"}
    ]


async def test_releasing_funds_frees_the_room_and_an_unknown_commitment_is_not_found(
    api: Api,
) -> None:
    budget = await budgeting.budget(api, amount="10000.00")
    await budgeting.commit(api, budget["id"], "initiative-a", "6000.00")
    released = await api.ok(
        RELEASE_FUNDS,
        {"budgetId": budget["id"], "initiativeId": "initiative-a", "reason": "Descoped"},
    )
    assert (released["committed"], released["commitments"]) == ("0", [])
    message = await refused(
        api,
        RELEASE_FUNDS,
        {"budgetId": budget["id"], "initiativeId": "initiative-a", "reason": "Again"},
        "NOT_FOUND",
    )
    assert "has no commitment to initiative 'initiative-a'" in message


async def test_expenses_are_spent_in_the_budget_currency_and_credits_are_negative(
    api: Api,
) -> None:
    budget = await budgeting.budget(api, amount="20000.00")
    given = {"budgetId": budget["id"], "currency": "EUR", "spentOn": "2026-02-10"}
    await api.ok(RECORD_EXPENSE, {**given, "amount": "1200.00", "description": "Licences"})
    after = await api.ok(
        RECORD_EXPENSE,
        {**given, "amount": "-200.00", "description": "Credit note", "initiativeId": "i-9"},
    )
    assert (after["spent"], after["remaining"]) == ("1000.00", "19000.00")
    assert [(line["kind"], line["amount"], line["week"]) for line in after["spend"]] == [
        ("EXPENSE", "1200.00", "2026-W07"),
        ("EXPENSE", "-200.00", "2026-W07"),
    ]
    assert after["spend"][1]["initiativeId"] == "i-9"
    assert after["burnPerWeek"] == [{"week": "2026-W07", "amount": "1000.00"}]
    message = await refused(
        api,
        RECORD_EXPENSE,
        {**given, "currency": "USD", "amount": "10.00", "description": "Coffee"},
        "BAD_USER_INPUT",
    )
    assert "record the spend in EUR, not USD" in message
    await refused(
        api,
        RECORD_EXPENSE,
        {**given, "amount": "0", "description": "Nothing"},
        "BAD_USER_INPUT",
    )


async def test_the_forecast_extends_the_current_burn_rate_to_the_end_of_the_period(
    api: Api,
) -> None:
    budget = await budgeting.budget(api, amount="10000.00", period="2026-Q1")
    for spent_on, amount in (("2026-02-03", "600.00"), ("2026-02-17", "1000.00")):
        await api.ok(
            RECORD_EXPENSE,
            {
                "budgetId": budget["id"],
                "amount": amount,
                "currency": "EUR",
                "description": "Services",
                "spentOn": spent_on,
            },
        )
    data = await api.query(
        FORECAST, {"id": budget["id"], "asOf": "2026-03-04", "window": 4}, role="viewer"
    )
    # As of 2026-W10: the window is W06-W09 (600 + 0 + 1000 + 0) / 4 = 400 a week; the weeks
    # left are W10-W13 (2026-W14's Thursday is 2 April): 1600 + 4 x 400 = 3200.
    assert data["budget"]["forecast"] == {
        "asOf": "2026-03-04",
        "weeklyBurn": "400.00",
        "windowWeeks": 4,
        "weeksLeft": 4,
        "spent": "1600.00",
        "forecast": "3200.00",
        "variance": "6800.00",
        "overrun": False,
    }
    tight = await api.query(
        FORECAST, {"id": budget["id"], "asOf": "2026-03-04", "window": 1}, role="viewer"
    )
    assert tight["budget"]["forecast"]["weeklyBurn"] == "0.00"  # W09 alone spent nothing


async def test_budgets_are_listed_by_period_and_name_with_filters_and_pages(api: Api) -> None:
    period = "2031-Q2"  # a period only this test uses
    made = [await budgeting.budget(api, period=period) for _ in range(3)]
    other = await budgeting.budget(api, period=period, kind="COST_CENTRE")
    value_streams = sorted((budget["name"], budget["id"]) for budget in made)  # by name, then id

    first = await api.query(BUDGETS, {"period": period, "kind": "VALUE_STREAM", "first": 2})
    second = await api.query(
        BUDGETS,
        {
            "period": period,
            "kind": "VALUE_STREAM",
            "first": 2,
            "after": first["budgets"]["pageInfo"]["endCursor"],
        },
    )
    pages = [first["budgets"], second["budgets"]]
    assert [page["pageInfo"]["hasNextPage"] for page in pages] == [True, False]
    listed = [edge["node"] for page in pages for edge in page["edges"]]
    assert [(node["name"], node["id"]) for node in listed] == value_streams
    everything = await api.query(BUDGETS, {"period": period, "first": 10})
    assert other["id"] in {edge["node"]["id"] for edge in everything["budgets"]["edges"]}
    body = await api.call(BUDGETS, {"period": "2031-Q5"})
    assert list(graphql_errors(body)) == ["BAD_USER_INPUT"]


async def test_bad_input_gets_a_precise_error_and_writes_nothing(api: Api) -> None:
    budget = await budgeting.budget(api)
    good = {
        "name": f"Budget {tag()}",
        "kind": "VALUE_STREAM",
        "ownerRef": "Payments",
        "period": "2026-Q1",
        "amount": "100.00",
        "currency": "EUR",
    }
    assert "period" in await refused(
        api, budgeting.OPEN_BUDGET, {**good, "period": "2026-Q7"}, "BAD_USER_INPUT"
    )
    assert "amount" in await refused(
        api, budgeting.OPEN_BUDGET, {**good, "amount": "-1.00"}, "BAD_USER_INPUT"
    )
    assert "amount" in await refused(
        api, budgeting.OPEN_BUDGET, {**good, "amount": "1.001"}, "BAD_USER_INPUT"
    )
    assert "no budget has the id" in await refused(
        api,
        COMMIT_FUNDS,
        {"budgetId": "no-such-budget", "initiativeId": "i", "amount": "1.00"},
        "NOT_FOUND",
    )
    assert "overrideReason" in await refused(
        api,
        COMMIT_FUNDS,
        {
            "budgetId": budget["id"],
            "initiativeId": "i",
            "amount": "1.00",
            "overrideReason": "x" * 5000,
        },
        "BAD_USER_INPUT",
    )
    assert Decimal((await api.query(BUDGET, {"id": budget["id"]}))["budget"]["committed"]) == 0
