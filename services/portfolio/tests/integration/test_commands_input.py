"""Bad input gets a precise error (code and a message naming the thing at fault) and writes
nothing: unknown ids, values off the scale, illegal transitions, oversized text, wrong states."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.platform import graphql_errors

from .conftest import (
    BUSINESS_CASE,
    CREATE_PORTFOLIO,
    DECIDE,
    MOVE,
    PERIOD,
    PROPOSE,
    SCHEDULE_REVIEW,
    SCORE,
    SET_BUDGET,
    Api,
)

CONCLUDE = """mutation($input: ConcludePortfolioReviewInput!) {
  concludePortfolioReview(input: $input) { id status } }"""
DECLARE = (
    """mutation($input: DeclareDependencyInput!) { declareDependency(input: $input) { id } }"""
)
RETIRE = """mutation($input: RetireStrategicThemeInput!) {
  retireStrategicTheme(input: $input) { id } }"""


async def refused(
    api: Api, query: str, input: dict[str, Any], code: str, *, role: str = "pmo"
) -> str:
    """Run a command that must be refused with `code` and write nothing; its message."""
    before = await api.head()
    body = await api.call(query, {"input": input}, role=role)
    assert list(graphql_errors(body)) == [code], body
    assert body["data"] is None
    assert await api.head() == before
    message: str = body["errors"][0]["message"]
    return message


# --- unknown ids ---------------------------------------------------------------------------------

Case = Callable[[Api], Awaitable[tuple[str, dict[str, Any]]]]


async def _move_unknown(api: Api) -> tuple[str, dict[str, Any]]:
    return MOVE, {"initiativeId": "no-such-id", "toState": "REVIEWING"}


async def _propose_unknown_portfolio(api: Api) -> tuple[str, dict[str, Any]]:
    return PROPOSE, {"portfolioId": "no-such-id", "title": "t", "owner": "o"}


async def _budget_unknown_portfolio(api: Api) -> tuple[str, dict[str, Any]]:
    return SET_BUDGET, {
        "portfolioId": "no-such-id",
        "period": PERIOD,
        "amount": "1.00",
        "currency": "EUR",
    }


async def _decide_in_unknown_review(api: Api) -> tuple[str, dict[str, Any]]:
    portfolio = await api.portfolio()
    initiative = await api.initiative(portfolio["id"])
    return DECIDE, {
        "initiativeId": initiative,
        "decision": "DEFER",
        "rationale": "r",
        "reviewId": "no-such-id",
    }


async def _depend_on_unknown(api: Api) -> tuple[str, dict[str, Any]]:
    portfolio = await api.portfolio()
    return DECLARE, {
        "initiativeId": await api.initiative(portfolio["id"]),
        "dependsOnId": "no-such-id",
    }


async def _conclude_unknown(api: Api) -> tuple[str, dict[str, Any]]:
    return CONCLUDE, {"reviewId": "no-such-id", "summary": "s"}


async def _schedule_in_unknown_portfolio(api: Api) -> tuple[str, dict[str, Any]]:
    return SCHEDULE_REVIEW, {
        "portfolioId": "no-such-id",
        "title": "t",
        "scheduledFor": "2026-12-01",
        "attendees": ["olga"],
    }


async def _retire_unknown_theme(api: Api) -> tuple[str, dict[str, Any]]:
    portfolio = await api.portfolio()
    return RETIRE, {"portfolioId": portfolio["id"], "themeId": "no-such-id", "reason": "r"}


@pytest.mark.parametrize(
    ("case", "message"),
    [
        (_move_unknown, "no initiative has the id 'no-such-id'"),
        (_propose_unknown_portfolio, "no portfolio has the id 'no-such-id'"),
        (_budget_unknown_portfolio, "no portfolio has the id 'no-such-id'"),
        (_decide_in_unknown_review, "no portfolio review has the id 'no-such-id'"),
        (_depend_on_unknown, "no initiative has the id 'no-such-id'"),
        (_conclude_unknown, "no portfolio review has the id 'no-such-id'"),
        (_schedule_in_unknown_portfolio, "no portfolio has the id 'no-such-id'"),
        (_retire_unknown_theme, "has no theme with the id 'no-such-id'"),
    ],
)
async def test_unknown_ids_are_not_found(api: Api, case: Case, message: str) -> None:
    query, input = await case(api)
    assert message in await refused(api, query, input, "NOT_FOUND")


async def test_an_id_of_another_kind_is_not_found_and_says_what_it_is(api: Api) -> None:
    portfolio = await api.portfolio()
    message = await refused(
        api, MOVE, {"initiativeId": portfolio["id"], "toState": "REVIEWING"}, "NOT_FOUND"
    )
    assert "belongs to a portfolio" in message


async def test_an_oversized_id_is_bad_input(api: Api) -> None:
    message = await refused(
        api, MOVE, {"initiativeId": "x" * 300, "toState": "REVIEWING"}, "BAD_USER_INPUT"
    )
    assert "300 characters" in message


# --- values --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("businessValue", 4, "businessValue must be on the modified Fibonacci scale"),
        ("timeCriticality", 21, "timeCriticality must be on the modified Fibonacci scale"),
        ("riskReduction", 0, "riskReduction must be on the modified Fibonacci scale"),
        ("jobSize", -1, "jobSize must be on the modified Fibonacci scale"),
    ],
)
async def test_wsjf_off_the_scale_names_the_field(
    api: Api, field: str, value: int, named: str
) -> None:
    portfolio = await api.portfolio()
    initiative = await api.initiative(portfolio["id"])
    scores = {"businessValue": 8, "timeCriticality": 5, "riskReduction": 3, "jobSize": 5}
    message = await refused(
        api, SCORE, {"initiativeId": initiative, **scores, field: value}, "BAD_USER_INPUT"
    )
    assert named in message
    assert "(1, 2, 3, 5, 8, 13, 20)" in message


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"amount": "10.001"}, "amount has more than 2 decimal places"),
        ({"amount": "-5"}, "amount must be at least 0"),
        ({"amount": "NaN"}, "amount must be a finite decimal amount"),
        ({"currency": "eur"}, "currency must be an ISO 4217 code"),
        ({"period": "2026-Q5"}, "period must be a year, half, quarter or month"),
    ],
)
async def test_bad_money_and_periods_are_named(
    api: Api, change: dict[str, str], named: str
) -> None:
    portfolio = await api.portfolio()
    input = {"portfolioId": portfolio["id"], "period": PERIOD, "amount": "1.00", "currency": "EUR"}
    assert named in await refused(api, SET_BUDGET, {**input, **change}, "BAD_USER_INPUT")


async def test_an_mvp_dearer_than_the_whole_is_refused(api: Api) -> None:
    portfolio = await api.portfolio()
    initiative = await api.initiative(portfolio["id"])
    message = await refused(
        api,
        BUSINESS_CASE,
        {
            "initiativeId": initiative,
            "mvpCost": "500.00",
            "estimatedTotalCost": "400.00",
            "currency": "EUR",
            "expectedBenefits": "b",
        },
        "BAD_USER_INPUT",
    )
    assert "mvpCost (500.00) must not exceed estimatedTotalCost (400.00)" in message


async def test_a_malformed_decimal_is_refused_before_anything_runs(api: Api) -> None:
    portfolio = await api.portfolio()
    input = {"portfolioId": portfolio["id"], "period": PERIOD, "amount": "lots", "currency": "EUR"}
    before = await api.head()
    body = await api.call(SET_BUDGET, {"input": input})
    assert list(graphql_errors(body)) == ["BAD_USER_INPUT"]
    assert "amount" in body["errors"][0]["message"]
    assert await api.head() == before


# --- text ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"title": "x" * 201}, "title is 201 characters long; the limit is 200"),
        ({"hypothesis": "x" * 4001}, "hypothesis is 4001 characters long; the limit is 4000"),
        ({"owner": "   "}, "owner must not be empty"),
        ({"strategicThemeIds": ["nope"]}, "strategicThemeIds nope are not active themes"),
    ],
)
async def test_bad_proposals_name_the_field(api: Api, change: dict[str, Any], named: str) -> None:
    portfolio = await api.portfolio()
    input = {"portfolioId": portfolio["id"], "title": "t", "owner": "o", **change}
    assert named in await refused(api, PROPOSE, input, "BAD_USER_INPUT")


async def test_an_oversized_portfolio_name_is_refused(api: Api) -> None:
    input = {"name": "n" * 201, "owner": "o"}
    message = await refused(api, CREATE_PORTFOLIO, input, "BAD_USER_INPUT")
    assert "name is 201 characters long" in message


async def test_a_theme_of_another_portfolio_is_refused(api: Api) -> None:
    mine, other = await api.portfolio(), await api.portfolio(themes=1)
    theme = other["themes"][0]["id"]
    input = {"portfolioId": mine["id"], "title": "t", "owner": "o", "strategicThemeIds": [theme]}
    message = await refused(api, PROPOSE, input, "BAD_USER_INPUT")
    assert f"not active themes of portfolio '{mine['id']}'" in message


# --- transitions and states ----------------------------------------------------------------------


async def test_an_illegal_transition_names_from_and_to(api: Api) -> None:
    portfolio = await api.portfolio()
    initiative = await api.initiative(portfolio["id"])
    message = await refused(
        api, MOVE, {"initiativeId": initiative, "toState": "READY"}, "BAD_USER_INPUT"
    )
    assert "cannot move from FUNNEL to READY" in message
    assert "from FUNNEL it can move to REVIEWING, ON_HOLD, CANCELLED" in message


async def test_holding_needs_a_reason(api: Api) -> None:
    portfolio = await api.portfolio()
    initiative = await api.initiative(portfolio["id"])
    message = await refused(
        api, MOVE, {"initiativeId": initiative, "toState": "ON_HOLD"}, "BAD_USER_INPUT"
    )
    assert "reason is required to move an initiative to ON_HOLD" in message


async def test_a_cancelled_initiative_takes_no_more_commands(api: Api) -> None:
    portfolio = await api.portfolio()
    initiative = await api.initiative(portfolio["id"])
    await api.move(initiative, "CANCELLED", reason="Duplicate of another idea")
    message = await refused(
        api,
        SCORE,
        {
            "initiativeId": initiative,
            "businessValue": 8,
            "timeCriticality": 5,
            "riskReduction": 3,
            "jobSize": 5,
        },
        "CONFLICT",
    )
    assert "is CANCELLED and can no longer be scored" in message


async def test_an_approval_needs_a_period(api: Api) -> None:
    portfolio = await api.portfolio(budget="1000.00")
    initiative = await api.analyzing(portfolio["id"])
    input = {"initiativeId": initiative, "decision": "APPROVE", "rationale": "Go"}
    assert "period is required to approve" in await refused(api, DECIDE, input, "BAD_USER_INPUT")


async def test_no_decision_goes_into_a_concluded_review(api: Api) -> None:
    portfolio = await api.portfolio()
    initiative = await api.initiative(portfolio["id"])
    review = await api.review(portfolio["id"])
    await api.ok(CONCLUDE, {"reviewId": review, "summary": "Done"}, role="pmo")
    input = {"initiativeId": initiative, "decision": "DEFER", "rationale": "r", "reviewId": review}
    assert "is concluded and takes no more decisions" in await refused(
        api, DECIDE, input, "CONFLICT"
    )


async def test_no_decision_goes_into_a_review_of_another_portfolio(api: Api) -> None:
    mine, other = await api.portfolio(), await api.portfolio()
    initiative = await api.initiative(mine["id"])
    review = await api.review(other["id"])
    input = {"initiativeId": initiative, "decision": "DEFER", "rationale": "r", "reviewId": review}
    message = await refused(api, DECIDE, input, "BAD_USER_INPUT")
    assert f"belongs to portfolio '{other['id']}'" in message


async def test_a_concluded_review_cannot_be_concluded_again(api: Api) -> None:
    portfolio = await api.portfolio()
    review = await api.review(portfolio["id"])
    await api.ok(CONCLUDE, {"reviewId": review, "summary": "Done"}, role="pmo")
    message = await refused(api, CONCLUDE, {"reviewId": review, "summary": "Again"}, "CONFLICT")
    assert "is already concluded" in message


async def test_a_dependency_on_itself_or_twice_is_refused(api: Api) -> None:
    portfolio = await api.portfolio()
    first = await api.initiative(portfolio["id"])
    second = await api.initiative(portfolio["id"])
    message = await refused(
        api, DECLARE, {"initiativeId": first, "dependsOnId": first}, "BAD_USER_INPUT"
    )
    assert "cannot depend on itself" in message
    await api.ok(DECLARE, {"initiativeId": first, "dependsOnId": second})
    message = await refused(
        api, DECLARE, {"initiativeId": first, "dependsOnId": second}, "CONFLICT"
    )
    assert "already depends on" in message
