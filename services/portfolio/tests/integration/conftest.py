"""Fixtures of the command tests (test_commands_*.py): the portfolio app in-process, on the real
Postgres and Kafka, and `Api`, a small GraphQL client with builders for the usual set-ups.

Every builder goes through the mutations, so the set-ups themselves exercise the write path.
Ids are fresh per call: tests sharing the session's database never see each other's data.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pmo_events.postgres import PostgresEventStore
from pmo_events.store import StoredEvent
from pmo_portfolio.service import definition
from pmo_portfolio.settings import PortfolioSettings
from pmo_service.app import create_app

from tests.platform import bearer

PERIOD = "2026-Q4"

PORTFOLIO_FIELDS = "id name owner version guardrails themes { id name active }"
INITIATIVE_FIELDS = (
    "id title state version portfolioId previousState stateReason lastDecision "
    "approvedPeriod committedAmount riskExposure"
)

CREATE_PORTFOLIO = f"""mutation($input: CreatePortfolioInput!) {{
  createPortfolio(input: $input) {{ {PORTFOLIO_FIELDS} }} }}"""
SET_BUDGET = f"""mutation($input: SetPortfolioBudgetInput!) {{
  setPortfolioBudget(input: $input) {{ {PORTFOLIO_FIELDS}
    budgets {{ period amount currency committed remaining }} }} }}"""
SET_WIP_LIMIT = f"""mutation($input: SetWipLimitInput!) {{
  setWipLimit(input: $input) {{ {PORTFOLIO_FIELDS} wipLimits {{ state limit }} }} }}"""
SET_GUARDRAILS = f"""mutation($input: SetGuardrailsInput!) {{
  setGuardrails(input: $input) {{ {PORTFOLIO_FIELDS} }} }}"""
PROPOSE = f"""mutation($input: ProposeInitiativeInput!) {{
  proposeInitiative(input: $input) {{ {INITIATIVE_FIELDS} }} }}"""
MOVE = f"""mutation($input: MoveInitiativeInput!) {{
  moveInitiative(input: $input) {{ {INITIATIVE_FIELDS} }} }}"""
SCORE = f"""mutation($input: ScoreInitiativeInput!) {{
  scoreInitiative(input: $input) {{ {INITIATIVE_FIELDS} wsjf {{ costOfDelay wsjf }} }} }}"""
BUSINESS_CASE = f"""mutation($input: RecordBusinessCaseInput!) {{
  recordBusinessCase(input: $input) {{ {INITIATIVE_FIELDS}
    businessCase {{ mvpCost estimatedTotalCost currency }} }} }}"""
DECIDE = f"""mutation($input: RecordDecisionInput!) {{
  recordDecision(input: $input) {{ {INITIATIVE_FIELDS} }} }}"""
RAISE_RISK = f"""mutation($input: RaiseRiskInput!) {{
  raiseRisk(input: $input) {{ {INITIATIVE_FIELDS} risks {{ id status exposure }} }} }}"""
PLAN_OBJECTIVE = f"""mutation($input: PlanObjectiveInput!) {{
  planObjective(input: $input) {{ {INITIATIVE_FIELDS}
    objectives {{ id plannedBusinessValue actualBusinessValue }} }} }}"""
SCHEDULE_REVIEW = """mutation($input: SchedulePortfolioReviewInput!) {
  schedulePortfolioReview(input: $input) { id portfolioId title status attendees } }"""
DECLARE_DEPENDENCY = f"""mutation($input: DeclareDependencyInput!) {{
  declareDependency(input: $input) {{ {INITIATIVE_FIELDS} dependencies {{ initiativeId }} }} }}"""
HISTORY = """query($id: ID!) { initiative(id: $id) {
  history { version type eventType actor data } } }"""


class Api:
    """GraphQL calls as one role or another, plus the event store to check what was written."""

    def __init__(
        self, client: httpx.AsyncClient, settings: PortfolioSettings, store: PostgresEventStore
    ) -> None:
        self.client = client
        self.settings = settings
        self.store = store

    async def call(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        role: str = "portfolio_manager",
        subject: str = "test-user",
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        response = await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={**bearer(self.settings, role, subject=subject), **(headers or {})},
        )
        body: dict[str, Any] = response.json()
        return body

    async def ok(
        self, query: str, input: dict[str, Any], *, role: str = "portfolio_manager", **kw: Any
    ) -> dict[str, Any]:
        """Run a mutation with `input` that must succeed; its answer."""
        body = await self.call(query, {"input": input}, role=role, **kw)
        assert not body.get("errors"), body
        [answer] = body["data"].values()
        assert isinstance(answer, dict)
        return answer

    async def head(self) -> int:
        return await self.store.head_position()

    async def events(self, stream_id: str) -> list[StoredEvent]:
        return await self.store.load(stream_id)

    # --- builders --------------------------------------------------------------------------------

    async def portfolio(
        self,
        *,
        themes: int = 1,
        budget: str | None = None,
        wip_limits: dict[str, int] | None = None,
    ) -> dict[str, Any]:
        """A fresh portfolio with `themes` themes, optionally a PERIOD budget (EUR) and limits."""
        tag = uuid.uuid4().hex[:8]
        created = await self.ok(
            CREATE_PORTFOLIO,
            {
                "name": f"Portfolio {tag}",
                "owner": "paula",
                "description": "Test portfolio",
                "themes": [
                    {"name": f"Theme {n} {tag}", "objective": f"Objective {n}"}
                    for n in range(themes)
                ],
            },
        )
        if budget is not None:
            await self.ok(
                SET_BUDGET,
                {
                    "portfolioId": created["id"],
                    "period": PERIOD,
                    "amount": budget,
                    "currency": "EUR",
                },
            )
        for state, limit in (wip_limits or {}).items():
            await self.ok(
                SET_WIP_LIMIT, {"portfolioId": created["id"], "state": state, "limit": limit}
            )
        return created

    async def initiative(self, portfolio_id: str, title: str = "An initiative") -> str:
        proposed = await self.ok(
            PROPOSE,
            {"portfolioId": portfolio_id, "title": title, "owner": "olive", "hypothesis": "h"},
        )
        initiative_id: str = proposed["id"]
        return initiative_id

    async def move(
        self, initiative_id: str, to_state: str, *, role: str = "portfolio_manager", **extra: Any
    ) -> dict[str, Any]:
        """Move it; `extra` goes into the input (reason, overrideReason)."""
        return await self.ok(
            MOVE, {"initiativeId": initiative_id, "toState": to_state, **extra}, role=role
        )

    async def score(self, initiative_id: str, value: int = 8) -> None:
        await self.ok(
            SCORE,
            {
                "initiativeId": initiative_id,
                "businessValue": value,
                "timeCriticality": 5,
                "riskReduction": 3,
                "jobSize": 5,
            },
        )

    async def business_case(self, initiative_id: str, total: str = "400.00") -> None:
        await self.ok(
            BUSINESS_CASE,
            {
                "initiativeId": initiative_id,
                "mvpCost": "100.00",
                "estimatedTotalCost": total,
                "currency": "EUR",
                "expectedBenefits": "Faster onboarding",
                "leadingIndicators": ["sign-ups per week"],
            },
        )

    async def approve(self, initiative_id: str, **extra: Any) -> dict[str, Any]:
        return await self.ok(
            DECIDE,
            {
                "initiativeId": initiative_id,
                "decision": "APPROVE",
                "rationale": "Worth it",
                "period": PERIOD,
                **extra,
            },
            role="pmo",
        )

    async def analyzing(self, portfolio_id: str, *, total: str = "400.00") -> str:
        """An initiative in ANALYZING, scored and with a business case (not approved)."""
        initiative_id = await self.initiative(portfolio_id)
        await self.move(initiative_id, "REVIEWING")
        await self.score(initiative_id)
        await self.move(initiative_id, "ANALYZING")
        await self.business_case(initiative_id, total)
        return initiative_id

    async def ready(self, portfolio_id: str, *, total: str = "400.00") -> str:
        """An approved initiative in READY (the portfolio needs a PERIOD budget for it)."""
        initiative_id = await self.analyzing(portfolio_id, total=total)
        await self.approve(initiative_id)
        await self.move(initiative_id, "READY")
        return initiative_id

    async def review(self, portfolio_id: str) -> str:
        scheduled = await self.ok(
            SCHEDULE_REVIEW,
            {
                "portfolioId": portfolio_id,
                "title": "Quarterly portfolio review",
                "scheduledFor": "2026-12-01",
                "attendees": ["olga", "paula"],
            },
            role="pmo",
        )
        review_id: str = scheduled["id"]
        return review_id

    async def history(self, initiative_id: str) -> list[dict[str, Any]]:
        body = await self.call(HISTORY, {"id": initiative_id}, role="viewer")
        assert not body.get("errors"), body
        events: list[dict[str, Any]] = body["data"]["initiative"]["history"]
        return events


@pytest.fixture(scope="session")
async def portfolio_app(portfolio_settings: PortfolioSettings) -> AsyncIterator[FastAPI]:
    application = create_app(definition, portfolio_settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def api(portfolio_app: FastAPI, portfolio_settings: PortfolioSettings) -> AsyncIterator[Api]:
    transport = httpx.ASGITransport(app=portfolio_app)
    store = PostgresEventStore(
        portfolio_app.state.runtime.engine, portfolio_settings.database_schema
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://portfolio") as client:
        yield Api(client, portfolio_settings, store)
