"""Commands racing each other through the app: the guardrails hold under concurrency.

The requests run concurrently in the test's event loop, each on its own database connection, so
they really overlap in Postgres; the assertions hold for any interleaving.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from tests.platform import graphql_errors

from .conftest import DECIDE, MOVE, PERIOD, SET_BUDGET, Api

KANBAN = """query($id: ID!) { portfolio(id: $id) { kanban { state count wipLimit } } }"""
BUDGETS = """query($id: ID!) { portfolio(id: $id) {
  budgets { period amount committed remaining } } }"""
DECLARE = """mutation($input: DeclareDependencyInput!) {
  declareDependency(input: $input) { id dependencies { initiativeId } } }"""


def outcome(body: dict[str, Any]) -> str:
    codes = list(graphql_errors(body))
    return "OK" if not codes else "/".join(codes)


async def test_ten_concurrent_moves_into_a_state_with_wip_limit_two_let_two_in(api: Api) -> None:
    portfolio = await api.portfolio(wip_limits={"REVIEWING": 2})
    initiatives = [await api.initiative(portfolio["id"], f"Racer {n}") for n in range(10)]
    before = await api.head()

    bodies = await asyncio.gather(
        *(
            api.call(MOVE, {"input": {"initiativeId": i, "toState": "REVIEWING"}})
            for i in initiatives
        )
    )

    outcomes = [outcome(body) for body in bodies]
    assert outcomes.count("OK") == 2, outcomes
    assert set(outcomes) <= {"OK", "GUARDRAIL_VIOLATION", "CONFLICT"}, outcomes
    refusals = [body["errors"][0]["message"] for body in bodies if body.get("errors")]
    assert all("WIP_LIMIT" in m or "reload and retry" in m for m in refusals), refusals
    assert await api.head() == before + 2  # one InitiativeMoved per winner, nothing else

    board = await api.call(KANBAN, {"id": portfolio["id"]}, role="viewer")
    columns = {c["state"]: c for c in board["data"]["portfolio"]["kanban"]}
    assert (columns["REVIEWING"]["count"], columns["REVIEWING"]["wipLimit"]) == (2, 2)
    assert columns["FUNNEL"]["count"] == 8


async def test_concurrent_approvals_never_overcommit_the_budget(api: Api) -> None:
    portfolio = await api.portfolio(budget="1000.00")
    initiatives = [await api.analyzing(portfolio["id"], total="400.00") for _ in range(5)]

    bodies = await asyncio.gather(
        *(
            api.call(
                DECIDE,
                {
                    "input": {
                        "initiativeId": i,
                        "decision": "APPROVE",
                        "rationale": "Race",
                        "period": PERIOD,
                    }
                },
                role="pmo",
            )
            for i in initiatives
        )
    )

    outcomes = [outcome(body) for body in bodies]
    assert outcomes.count("OK") == 2, outcomes  # 2 x 400 fit in 1000, a third does not
    assert set(outcomes) <= {"OK", "GUARDRAIL_VIOLATION", "CONFLICT"}, outcomes
    body = await api.call(BUDGETS, {"id": portfolio["id"]}, role="viewer")
    [budget] = body["data"]["portfolio"]["budgets"]
    assert Decimal(budget["committed"]) == Decimal("800.00")
    assert Decimal(budget["remaining"]) == Decimal("200.00")


async def test_concurrent_budget_settings_on_one_portfolio_all_land(api: Api) -> None:
    """Setting a budget is retried once after a clash: two at once both succeed."""
    portfolio = await api.portfolio()
    periods = ["2027-Q1", "2027-Q2"]
    bodies = await asyncio.gather(
        *(
            api.call(
                SET_BUDGET,
                {
                    "input": {
                        "portfolioId": portfolio["id"],
                        "period": period,
                        "amount": "100.00",
                        "currency": "EUR",
                    }
                },
            )
            for period in periods
        )
    )
    assert [outcome(body) for body in bodies] == ["OK", "OK"], bodies
    body = await api.call(BUDGETS, {"id": portfolio["id"]}, role="viewer")
    assert sorted(b["period"] for b in body["data"]["portfolio"]["budgets"]) == periods


async def test_two_declarations_closing_a_cycle_cannot_both_pass(api: Api) -> None:
    portfolio = await api.portfolio()
    first = await api.initiative(portfolio["id"], "First")
    second = await api.initiative(portfolio["id"], "Second")

    bodies = await asyncio.gather(
        api.call(DECLARE, {"input": {"initiativeId": first, "dependsOnId": second}}),
        api.call(DECLARE, {"input": {"initiativeId": second, "dependsOnId": first}}),
    )

    outcomes = sorted(outcome(body) for body in bodies)
    assert outcomes == ["CONFLICT", "OK"], bodies
    [loser] = [body for body in bodies if body.get("errors")]
    assert "would create a cycle" in loser["errors"][0]["message"]


async def test_unrelated_concurrent_declarations_all_land(api: Api) -> None:
    """The graph is one stream, but declarations queue for it instead of clashing."""
    portfolio = await api.portfolio()
    hub = await api.initiative(portfolio["id"], "Hub")
    spokes = [await api.initiative(portfolio["id"], f"Spoke {n}") for n in range(5)]

    bodies = await asyncio.gather(
        *(api.call(DECLARE, {"input": {"initiativeId": s, "dependsOnId": hub}}) for s in spokes)
    )

    assert [outcome(body) for body in bodies] == ["OK"] * 5, bodies
