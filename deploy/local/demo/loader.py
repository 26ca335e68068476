"""Turn the demo data (`demo.portfolios`) into the commands that would have produced it, and run
them through the gateway as a portfolio manager and a PMO lead would.

The plan is a flat list of steps, one GraphQL mutation each, built before anything runs (so the
progress bar knows its total); ids the gateway hands out (portfolios, themes, initiatives,
reviews, risks, objectives) are kept by key and looked up when a later step runs.

Idempotent: each demo portfolio is created with a "loading" description that the very last
steps replace, so a rerun tells a finished load (skip) from one that stopped half-way (refuse,
with what to do).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from . import operations as op
from .gateway import Actor, DemoDataError, Gateway
from .model import FLOW, Exit, Initiative, Period, Portfolio, State, Wsjf
from .portfolios import PORTFOLIOS

PMO_LEAD = Actor("jonas.weber", "pmo")
"""Takes the decisions in reviews, schedules and concludes them, and overrides guardrails."""

LOADING = "Demo data is being loaded into this portfolio (deploy/local/demo_data.py)."
DECISION_STATES = {
    Exit.REJECT: State.FUNNEL,
    Exit.DEFER: State.ON_HOLD,
    Exit.CANCEL: State.CANCELLED,
}
MOVE_STATES = {Exit.HOLD: State.ON_HOLD, Exit.ABANDON: State.CANCELLED}


class HalfLoaded(Exception):
    """Some demo portfolios exist but the load that created them did not finish."""


@dataclass(frozen=True)
class Ref:
    """In a step's variables: the id the gateway gave `key`, known once an earlier step ran."""

    key: str


@dataclass(frozen=True)
class Step:
    label: str
    run: Callable[[], Awaitable[None]]


def quarter(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def next_quarter(day: date) -> str:
    year, q = day.year, (day.month - 1) // 3 + 1
    return f"{year + 1}-Q1" if q == 4 else f"{year}-Q{q + 1}"


class Loader:
    """Plans and runs the demo data's commands against one gateway."""

    def __init__(self, gateway: Gateway, today: date) -> None:
        self.gateway = gateway
        self.today = today
        self.periods = {Period.CURRENT: quarter(today), Period.NEXT: next_quarter(today)}
        self.ids: dict[str, str] = {}  # key -> id the gateway gave it

    # --- the plan --------------------------------------------------------------------------------

    def plan(self) -> list[Step]:
        steps = [step for portfolio in PORTFOLIOS for step in self._portfolio(portfolio)]
        for portfolio in PORTFOLIOS:
            manager = Actor(portfolio.manager, "portfolio_manager")
            for initiative in portfolio.initiatives:
                for dependency in initiative.depends_on:
                    steps.append(
                        self._step(
                            f"{initiative.title}: depends on {dependency.on}",
                            op.DECLARE_DEPENDENCY,
                            manager,
                            {
                                "initiativeId": Ref(initiative.key),
                                "dependsOnId": Ref(dependency.on),
                                "note": dependency.note,
                            },
                        )
                    )
        # Last: the real descriptions mark each portfolio as completely loaded.
        for portfolio in PORTFOLIOS:
            steps.append(
                self._step(
                    f"{portfolio.name}: loaded",
                    op.CHANGE_PORTFOLIO,
                    Actor(portfolio.manager, "portfolio_manager"),
                    {
                        "portfolioId": Ref(portfolio.name),
                        "name": portfolio.name,
                        "description": portfolio.description,
                        "owner": portfolio.owner,
                    },
                )
            )
        return steps

    def _step(
        self,
        label: str,
        operation: str,
        actor: Actor,
        variables: dict[str, Any],
        then: Callable[[dict[str, Any]], None] | None = None,
        expect_state: State | None = None,
    ) -> Step:
        """One mutation with `{"input": variables}`, its Refs resolved when it runs."""

        async def run() -> None:
            given = {"input": self._resolve(variables)}
            data = await self.gateway.call(label, operation, given, actor)
            [answer] = data.values()
            if expect_state is not None and answer.get("state") != expect_state.value:
                raise DemoDataError(
                    label,
                    operation,
                    given,
                    f"the initiative is {answer.get('state')}, the demo data expects "
                    f"{expect_state.value}: the portfolio service's kanban rules changed; "
                    "adapt deploy/local/demo/loader.py",
                )
            if then is not None:
                then(answer)

        return Step(label, run)

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, Ref):
            return self.ids[value.key]
        if isinstance(value, list):
            return [self._resolve(item) for item in value]
        if isinstance(value, dict):
            return {name: self._resolve(item) for name, item in value.items()}
        return value

    def _portfolio(self, portfolio: Portfolio) -> Iterator[Step]:
        manager = Actor(portfolio.manager, "portfolio_manager")
        name = portfolio.name

        def created(answer: dict[str, Any]) -> None:
            self.ids[name] = answer["id"]
            for theme in answer["themes"]:
                self.ids[f"{name}/theme/{theme['name']}"] = theme["id"]

        yield self._step(
            f"{name}: created",
            op.CREATE_PORTFOLIO,
            manager,
            {
                "name": name,
                "owner": portfolio.owner,
                "description": LOADING,
                "themes": [{"name": t.name, "objective": t.objective} for t in portfolio.themes],
            },
            then=created,
        )
        for period, amount in portfolio.budgets.items():
            yield self._step(
                f"{name}: budget {self.periods[period]}",
                op.SET_BUDGET,
                manager,
                {
                    "portfolioId": Ref(name),
                    "period": self.periods[period],
                    "amount": amount,
                    "currency": "EUR",
                },
            )
        for state, limit in portfolio.wip_limits.items():
            yield self._step(
                f"{name}: WIP limit {state.value}",
                op.SET_WIP_LIMIT,
                manager,
                {"portfolioId": Ref(name), "state": state.value, "limit": limit},
            )
        past, upcoming = portfolio.past_review, portfolio.next_review
        yield self._schedule(name, past.title, past.days_from_today, past.attendees, "past")
        for initiative in portfolio.initiatives:
            yield from self._initiative(portfolio, initiative, manager)
        yield self._step(
            f"{name}: review concluded",
            op.CONCLUDE_REVIEW,
            PMO_LEAD,
            {
                "reviewId": Ref(f"{name}/review/past"),
                "summary": self._text(past.summary or ""),
            },
        )
        yield self._schedule(
            name, upcoming.title, upcoming.days_from_today, upcoming.attendees, "next"
        )

    def _schedule(
        self, name: str, title: str, days: int, attendees: tuple[str, ...], which: str
    ) -> Step:
        def scheduled(answer: dict[str, Any]) -> None:
            self.ids[f"{name}/review/{which}"] = answer["id"]

        return self._step(
            f"{name}: review scheduled",
            op.SCHEDULE_REVIEW,
            PMO_LEAD,
            {
                "portfolioId": Ref(name),
                "title": self._text(title),
                "scheduledFor": (self.today + timedelta(days=days)).isoformat(),
                "attendees": list(attendees),
            },
            then=scheduled,
        )

    def _text(self, template: str) -> str:
        return template.format(current=self.periods[Period.CURRENT], next=self.periods[Period.NEXT])

    def _initiative(
        self, portfolio: Portfolio, initiative: Initiative, manager: Actor
    ) -> Iterator[Step]:
        """Its life in order: proposed, then each state of the flow up to where it got (with
        the work done there), then off the flow (rejected, deferred, held, cancelled)."""
        key, title = initiative.key, initiative.title

        def proposed(answer: dict[str, Any]) -> None:
            self.ids[key] = answer["id"]

        yield self._step(
            f"{title}: proposed",
            op.PROPOSE,
            manager,
            {
                "portfolioId": Ref(portfolio.name),
                "title": title,
                "owner": initiative.owner,
                "hypothesis": initiative.hypothesis,
                "strategicThemeIds": [
                    Ref(f"{portfolio.name}/theme/{theme}") for theme in initiative.themes
                ],
            },
            then=proposed,
            expect_state=State.FUNNEL,
        )
        path = FLOW[: FLOW.index(initiative.reaches) + 1]
        for state in path:
            if state is not State.FUNNEL:
                override = initiative.wip_override if state is initiative.reaches else None
                yield self._move(initiative, state, manager, override=override)
            yield from self._work_in(state, portfolio, initiative, manager)
        for outcome in initiative.outcomes:
            if outcome.exit in MOVE_STATES:
                yield self._move(initiative, MOVE_STATES[outcome.exit], manager, outcome.reason)
            else:
                review = f"{portfolio.name}/review/past" if outcome.in_review else None
                yield self._step(
                    f"{title}: {outcome.exit.value}",
                    op.DECIDE,
                    PMO_LEAD,
                    {
                        "initiativeId": Ref(key),
                        "decision": outcome.exit.value,
                        "rationale": outcome.reason,
                        "reviewId": Ref(review) if review else None,
                    },
                    expect_state=DECISION_STATES[outcome.exit],
                )

    def _move(
        self,
        initiative: Initiative,
        state: State,
        manager: Actor,
        reason: str | None = None,
        override: str | None = None,
    ) -> Step:
        # A guardrail override is the PMO lead's to give, so the PMO lead makes that move.
        return self._step(
            f"{initiative.title}: to {state.value}",
            op.MOVE,
            PMO_LEAD if override else manager,
            {
                "initiativeId": Ref(initiative.key),
                "toState": state.value,
                "reason": reason,
                "overrideReason": override,
            },
            expect_state=state,
        )

    def _work_in(
        self, state: State, portfolio: Portfolio, initiative: Initiative, manager: Actor
    ) -> Iterator[Step]:
        """What is done to the initiative while it is in `state`."""
        reaches = FLOW.index(initiative.reaches)
        first, *rescores = initiative.scores or (None,)
        # Rescoring happens in analysis, or in review for those that got no further.
        rescore_in = State.ANALYZING if reaches >= FLOW.index(State.ANALYZING) else State.REVIEWING
        plan_in = State.READY if reaches >= FLOW.index(State.READY) else initiative.reaches
        # Risks are raised while it is open: at the furthest state, or while implementing.
        risks_in = State.IMPLEMENTING if initiative.reaches is State.DONE else initiative.reaches

        if state is State.REVIEWING and first is not None:
            yield self._score(initiative, first, manager)
        if state is rescore_in:
            yield from (self._score(initiative, score, manager) for score in rescores)
        if state is State.ANALYZING:
            yield from self._business_case_and_approval(portfolio, initiative, manager)
        if state is plan_in:
            yield from (
                self._plan(initiative, o.description, o.planned, manager)
                for o in initiative.objectives
            )
        if state is risks_in:
            yield from self._risks(initiative, manager)
        if state is State.IMPLEMENTING and initiative.reaches is State.DONE:
            for objective in initiative.objectives:
                if objective.delivered is not None:
                    yield self._deliver(
                        initiative, objective.description, objective.delivered, manager
                    )

    def _score(self, initiative: Initiative, score: Wsjf, manager: Actor) -> Step:
        return self._step(
            f"{initiative.title}: WSJF scored",
            op.SCORE,
            manager,
            {
                "initiativeId": Ref(initiative.key),
                "businessValue": score.business_value,
                "timeCriticality": score.time_criticality,
                "riskReduction": score.risk_reduction,
                "jobSize": score.job_size,
                "note": score.note,
            },
        )

    def _business_case_and_approval(
        self, portfolio: Portfolio, initiative: Initiative, manager: Actor
    ) -> Iterator[Step]:
        key, case, approval = initiative.key, initiative.case, initiative.approval
        if case is not None:
            yield self._step(
                f"{initiative.title}: business case",
                op.BUSINESS_CASE,
                manager,
                {
                    "initiativeId": Ref(key),
                    "mvpCost": case.mvp_cost,
                    "estimatedTotalCost": case.total_cost,
                    "currency": "EUR",
                    "expectedBenefits": case.benefits,
                    "leadingIndicators": list(case.indicators),
                },
            )
        if approval is not None:
            review = f"{portfolio.name}/review/past" if approval.in_review else None
            yield self._step(
                f"{initiative.title}: APPROVE",
                op.DECIDE,
                PMO_LEAD,
                {
                    "initiativeId": Ref(key),
                    "decision": "APPROVE",
                    "rationale": approval.rationale,
                    "period": self.periods[approval.period],
                    "reviewId": Ref(review) if review else None,
                    "overrideReason": approval.override,
                },
                expect_state=State.ANALYZING,
            )

    def _plan(self, initiative: Initiative, description: str, value: int, who: Actor) -> Step:
        def planned(answer: dict[str, Any]) -> None:
            [found] = [o for o in answer["objectives"] if o["description"] == description]
            self.ids[f"{initiative.key}/objective/{description}"] = found["id"]

        return self._step(
            f"{initiative.title}: objective planned",
            op.PLAN_OBJECTIVE,
            who,
            {
                "initiativeId": Ref(initiative.key),
                "description": description,
                "plannedBusinessValue": value,
            },
            then=planned,
        )

    def _deliver(self, initiative: Initiative, description: str, value: int, who: Actor) -> Step:
        return self._step(
            f"{initiative.title}: value delivered",
            op.DELIVER_VALUE,
            who,
            {
                "initiativeId": Ref(initiative.key),
                "objectiveId": Ref(f"{initiative.key}/objective/{description}"),
                "actualBusinessValue": value,
            },
        )

    def _risks(self, initiative: Initiative, manager: Actor) -> Iterator[Step]:
        key = initiative.key
        for risk in initiative.risks:

            def raised(answer: dict[str, Any], title: str = risk.title) -> None:
                # Risks are listed in the order they were raised: the newest of that title.
                same = [found for found in answer["risks"] if found["title"] == title]
                self.ids[f"{key}/risk/{title}"] = same[-1]["id"]

            yield self._step(
                f"{initiative.title}: risk raised",
                op.RAISE_RISK,
                manager,
                {
                    "initiativeId": Ref(key),
                    "title": risk.title,
                    "probability": risk.probability,
                    "impact": risk.impact,
                    "description": risk.description,
                },
                then=raised,
            )
            if risk.roam is not None:
                yield self._step(
                    f"{initiative.title}: risk {risk.roam.status}",
                    op.ROAM_RISK,
                    manager,
                    {
                        "initiativeId": Ref(key),
                        "riskId": Ref(f"{key}/risk/{risk.title}"),
                        "status": risk.roam.status,
                        "owner": risk.roam.owner,
                        "notes": risk.roam.notes,
                    },
                )
