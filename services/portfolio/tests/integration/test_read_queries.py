"""The portfolio subgraph's queries over HTTP (in-process app, real Postgres), as a `viewer`.

One portfolio "world" is written for the module the way the repository writes: each stream's
events are projected and appended in one transaction, with the actor in the metadata. Its ids are
unique, so other tests sharing the database never show up in its lists.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from pmo_events.postgres import PostgresEventStore
from pmo_events.registry import DomainEvent
from pmo_portfolio.domain import events as e
from pmo_portfolio.domain.events import DecisionKind, Guardrail, KanbanState, RoamStatus
from pmo_portfolio.domain.prioritisation import wsjf_of
from pmo_portfolio.projections import project
from pmo_portfolio.projections.tables import READ_MODELS
from pmo_portfolio.service import definition
from pmo_portfolio.settings import PortfolioSettings
from pmo_service.app import create_app
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.platform import bearer, graphql_errors

NOW = datetime.now(UTC)
PERIOD = "2026-Q4"
FLOW = [KanbanState.FUNNEL, KanbanState.REVIEWING, KanbanState.ANALYZING, KanbanState.READY]


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


@dataclass
class World:
    """What was written, so tests can state the expected answers."""

    tag: str
    portfolio: str
    other_portfolio: str
    review: str
    ids: dict[str, str] = field(default_factory=dict)  # letter -> initiative id
    wsjf: dict[str, Decimal | None] = field(default_factory=dict)
    cost_of_delay: dict[str, int | None] = field(default_factory=dict)
    proposed_at: dict[str, datetime] = field(default_factory=dict)
    last_change: dict[str, datetime] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    decisions: list[tuple[datetime, str]] = field(default_factory=list)  # (decided_at, id)

    def letter(self, initiative_id: str) -> str:
        return next(k for k, v in self.ids.items() if v == initiative_id)


class Writer:
    def __init__(self, engine: AsyncEngine, store: PostgresEventStore) -> None:
        self.engine, self.store = engine, store

    async def write(
        self, stream_id: str, stream_type: str, events: Sequence[DomainEvent], actor: str
    ) -> None:
        version = await self.store.stream_version(stream_id)
        async with self.engine.begin() as conn:
            for offset, event in enumerate(events, start=1):
                await project(conn, event, version + offset)
            await self.store.append_in(
                conn, stream_id, stream_type, version, list(events), metadata={"actor": actor}
            )


class InitiativeScript:
    """The events of one initiative's life, in order."""

    def __init__(self, world: World, letter: str, portfolio: str) -> None:
        self.world, self.letter, self.portfolio = world, letter, portfolio
        self.id = world.ids[letter] = f"{letter}-{world.tag}"
        self.events: list[DomainEvent] = []
        self.state = KanbanState.FUNNEL
        world.wsjf[letter] = world.cost_of_delay[letter] = None

    def _add(self, event: DomainEvent, at: datetime) -> InitiativeScript:
        self.events.append(event)
        self.world.last_change[self.letter] = at
        return self

    def propose(self, title: str, days: float, themes: Sequence[str] = (), hypothesis: str = "h"):  # type: ignore[no-untyped-def]
        self.world.titles[self.letter] = title
        self.world.proposed_at[self.letter] = ago(days)
        return self._add(
            e.InitiativeProposed(
                initiative_id=self.id,
                title=title,
                hypothesis=hypothesis,
                owner="olga" if self.letter in "AB" else "oscar",
                portfolio_id=self.portfolio,
                strategic_theme_ids=list(themes),
                proposed_by="ivy",
                proposed_at=ago(days),
            ),
            ago(days),
        )

    def move(self, to: KanbanState, days: float, reason: str | None = None):  # type: ignore[no-untyped-def]
        event = e.InitiativeMoved(
            initiative_id=self.id,
            portfolio_id=self.portfolio,
            from_state=self.state,
            to_state=to,
            reason=reason,
            moved_by="paula",
            moved_at=ago(days),
        )
        self.state = to
        return self._add(event, ago(days))

    def score(self, bv: int, tc: int, rr: int, js: int, days: float):  # type: ignore[no-untyped-def]
        cost_of_delay, wsjf = wsjf_of(bv, tc, rr, js)
        self.world.wsjf[self.letter], self.world.cost_of_delay[self.letter] = wsjf, cost_of_delay
        return self._add(
            e.WsjfScored(
                initiative_id=self.id,
                business_value=bv,
                time_criticality=tc,
                risk_reduction=rr,
                job_size=js,
                cost_of_delay=cost_of_delay,
                wsjf=wsjf,
                note=f"scored {days} days ago",
                scored_by="sam",
                scored_at=ago(days),
            ),
            ago(days),
        )

    def case(self, total: int, days: float):  # type: ignore[no-untyped-def]
        return self._add(
            e.LeanBusinessCaseRecorded(
                initiative_id=self.id,
                mvp_cost=Decimal(total) / 4,
                estimated_total_cost=Decimal(total),
                currency="EUR",
                expected_benefits="fewer calls",
                leading_indicators=["sign-ups", "tickets"],
                recorded_by="carl",
                recorded_at=ago(days),
            ),
            ago(days),
        )

    def decide(  # type: ignore[no-untyped-def]
        self, kind: DecisionKind, days: float, amount: int | None = None, review: str | None = None
    ):
        decision_id = f"d-{self.letter}-{kind.value}-{self.world.tag}"
        self.world.decisions.append((ago(days), decision_id))
        approve = kind is DecisionKind.APPROVE
        return self._add(
            e.DecisionRecorded(
                initiative_id=self.id,
                decision_id=decision_id,
                portfolio_id=self.portfolio,
                decision=kind,
                rationale=f"{kind.value.lower()} {self.letter}",
                decided_by="pmo-lead",
                decided_at=ago(days),
                review_id=review,
                period=PERIOD if approve else None,
                committed_amount=Decimal(amount) if approve and amount else None,
                currency="EUR" if approve else None,
            ),
            ago(days),
        )

    def risk(  # type: ignore[no-untyped-def]
        self, risk_id: str, p: int, i: int, days: float, roam: RoamStatus | None = None
    ):
        self._add(
            e.RiskRaised(
                initiative_id=self.id,
                risk_id=f"{risk_id}-{self.world.tag}",
                title=f"risk {risk_id}",
                description="d",
                probability=p,
                impact=i,
                raised_by="rita",
                raised_at=ago(days),
            ),
            ago(days),
        )
        if roam is not None:
            self._add(
                e.RiskRoamed(
                    initiative_id=self.id,
                    risk_id=f"{risk_id}-{self.world.tag}",
                    status=roam,
                    owner="rita",
                    notes="handled",
                    roamed_by="rita",
                    roamed_at=ago(days - 0.5),
                ),
                ago(days - 0.5),
            )
        return self

    def override(self, guardrail: Guardrail, days: float):  # type: ignore[no-untyped-def]
        return self._add(
            e.GuardrailOverridden(
                stream_id=self.id,
                portfolio_id=self.portfolio,
                guardrail=guardrail,
                violation="IMPLEMENTING is at its WIP limit of 1",
                reason="regulatory deadline",
                overridden_by="pmo-lead",
                overridden_at=ago(days),
            ),
            ago(days),
        )

    def through(self, days: float, to: KanbanState = KanbanState.READY, **kw: Any):  # type: ignore[no-untyped-def]
        """FUNNEL to ``to`` one day per step, scoring in REVIEWING and approving in ANALYZING."""
        for state in FLOW[1 : FLOW.index(to) + 1] if to in FLOW else []:
            self.move(state, days)
            if state is KanbanState.REVIEWING:
                self.score(*kw["score"], days=days - 0.2)
            if state is KanbanState.ANALYZING:
                self.case(kw["cost"], days - 0.2)
                self.decide(DecisionKind.APPROVE, days - 0.4, kw["cost"], kw.get("review"))
            days -= 1
        return self


async def build_world(writer: Writer) -> World:
    tag = uuid.uuid4().hex[:8]
    world = World(tag=tag, portfolio=f"p-{tag}", other_portfolio=f"q-{tag}", review=f"r-{tag}")
    p, themes = world.portfolio, (f"t1-{tag}", f"t2-{tag}")
    await writer.write(
        p,
        "Portfolio",
        [
            e.PortfolioCreated(
                portfolio_id=p,
                name=f"Digital {tag}",
                description="customer-facing",
                owner="paula",
                created_by="paula",
                created_at=ago(200),
            ),
            e.GuardrailsChanged(
                portfolio_id=p, enabled=list(Guardrail), changed_by="paula", changed_at=ago(200)
            ),
            *[
                e.StrategicThemeAdded(
                    portfolio_id=p,
                    theme_id=theme,
                    name=name,
                    objective=f"{name} objective",
                    added_by="paula",
                    added_at=ago(199),
                )
                for theme, name in zip(themes, ("Customer", "Efficiency"), strict=True)
            ],
            e.StrategicThemeRetired(
                portfolio_id=p,
                theme_id=themes[1],
                reason="done",
                retired_by="paula",
                retired_at=ago(150),
            ),
            e.PortfolioBudgetSet(
                portfolio_id=p,
                period=PERIOD,
                amount=Decimal(1000),
                currency="EUR",
                set_by="paula",
                set_at=ago(199),
            ),
            *[
                e.WipLimitSet(
                    portfolio_id=p, state=state, limit=limit, set_by="paula", set_at=ago(199)
                )
                for state, limit in (
                    (KanbanState.READY, 2),
                    (KanbanState.IMPLEMENTING, 1),
                    (KanbanState.ANALYZING, 5),
                    (KanbanState.ANALYZING, None),
                )
            ],
        ],
        "paula",
    )
    await writer.write(
        world.other_portfolio,
        "Portfolio",
        [
            e.PortfolioCreated(
                portfolio_id=world.other_portfolio,
                name=f"Back office {tag}",
                description="",
                owner="quinn",
                created_by="quinn",
                created_at=ago(200),
            )
        ],
        "quinn",
    )
    await writer.write(
        world.review,
        "PortfolioReview",
        [
            e.PortfolioReviewScheduled(
                review_id=world.review,
                portfolio_id=p,
                title="Q4 portfolio sync",
                scheduled_for=date(2026, 10, 1),
                attendees=["paula", "pmo-lead"],
                scheduled_by="pmo-lead",
                scheduled_at=ago(40),
            )
        ],
        "pmo-lead",
    )
    r = world.review
    a = InitiativeScript(world, "A", p).propose("Alpha checkout", 40, [themes[0]])
    a.move(KanbanState.REVIEWING, 39).score(3, 3, 3, 3, 39).score(8, 5, 3, 2, 38.5)
    a.move(KanbanState.ANALYZING, 38).case(300, 37).decide(DecisionKind.APPROVE, 36, 300, r)
    a.move(KanbanState.READY, 35).risk("ra", 3, 4, 34)
    b = InitiativeScript(world, "B", p).propose("Bravo billing", 39, themes)
    b.through(34, score=(5, 3, 2, 5), cost=500, review=r)
    c = InitiativeScript(world, "C", p).propose("Charlie chat", 38, [themes[0]])
    c.through(25, score=(3, 2, 1, 1), cost=400)
    d = InitiativeScript(world, "D", p).propose("Delta data", 50)
    d.through(45, score=(13, 8, 5, 8), cost=200)
    d.override(Guardrail.WIP_LIMIT, 10.1).move(KanbanState.IMPLEMENTING, 10)
    d.risk("r1", 5, 4, 9).risk("r2", 2, 2, 8, RoamStatus.MITIGATED)
    d.risk("r3", 1, 3, 7, RoamStatus.OWNED).risk("r4", 4, 4, 6, RoamStatus.RESOLVED)
    ee = InitiativeScript(world, "E", p).propose(
        "Self-service onboarding", 5, hypothesis="For new customers who sign up online"
    )
    f = InitiativeScript(world, "F", p).propose("Legacy billing sunset", 4)
    f.decide(DecisionKind.REJECT, 3)
    g = InitiativeScript(world, "G", p).propose("Golf grid", 100)
    g.move(KanbanState.REVIEWING, 95).score(1, 1, 1, 20, 95).move(KanbanState.ANALYZING, 90)
    g.risk("rg", 5, 4, 80)
    h = InitiativeScript(world, "H", p).propose("Hotel hub", 45)
    h.through(44, to=KanbanState.ANALYZING, score=(2, 2, 2, 3), cost=100)
    h.move(KanbanState.CANCELLED, 15, reason="strategy changed")
    x = InitiativeScript(world, "X", world.other_portfolio).propose("Xray base", 60)
    x.through(59, score=(1, 1, 1, 1), cost=0).move(KanbanState.IMPLEMENTING, 50)
    x.move(KanbanState.DONE, 40)
    for script in (a, b, c, d, ee, f, g, h, x):
        await writer.write(script.id, "Initiative", script.events, "paula")
    await writer.write(
        world.review,
        "PortfolioReview",
        [
            e.PortfolioReviewConcluded(
                review_id=r,
                portfolio_id=p,
                summary="A and B approved",
                concluded_by="pmo-lead",
                concluded_at=ago(33),
            )
        ],
        "pmo-lead",
    )
    ids = world.ids
    await writer.write(
        "dependency-graph",
        "DependencyGraph",
        [
            e.DependencyDeclared(
                initiative_id=ids["C"],
                depends_on_id=ids["D"],
                note="needs the data",
                declared_by="dora",
                declared_at=ago(19),
            ),
            e.DependencyDeclared(
                initiative_id=ids["A"],
                depends_on_id=ids["X"],
                note="platform",
                declared_by="dora",
                declared_at=ago(18),
            ),
            e.DependencyDeclared(
                initiative_id=ids["B"],
                depends_on_id=ids["E"],
                note="oops",
                declared_by="dora",
                declared_at=ago(17),
            ),
            e.DependencyRemoved(
                initiative_id=ids["B"],
                depends_on_id=ids["E"],
                removed_by="dora",
                removed_at=ago(16),
            ),
        ],
        "dora",
    )
    return world


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def app(portfolio_settings: PortfolioSettings) -> AsyncIterator[FastAPI]:
    application = create_app(definition, portfolio_settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="module")
def engine(app: FastAPI) -> AsyncEngine:
    found: AsyncEngine = app.state.runtime.engine
    return found


@pytest.fixture(scope="module")
async def world(engine: AsyncEngine, portfolio_settings: PortfolioSettings) -> World:
    store = PostgresEventStore(engine, portfolio_settings.database_schema)
    return await build_world(Writer(engine, store))


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://portfolio") as http:
        yield http


@pytest.fixture
def gql(client: httpx.AsyncClient, portfolio_settings: PortfolioSettings) -> Any:
    async def run(query: str, **variables: Any) -> dict[str, Any]:
        response = await client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers=bearer(portfolio_settings, "viewer"),
        )
        body: dict[str, Any] = response.json()
        return body

    return run


async def data(gql: Any, query: str, **variables: Any) -> dict[str, Any]:
    body = await gql(query, **variables)
    assert "errors" not in body, body["errors"]
    result: dict[str, Any] = body["data"]
    return result


# --- initiatives: filters, sorts, cursors -------------------------------------------------------

LIST = """
query($first: Int, $after: String, $filter: InitiativeFilter, $order: InitiativeOrder!) {
  initiatives(first: $first, after: $after, filter: $filter, orderBy: $order) {
    edges { cursor node { id } }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def walk(gql: Any, world: World, order: str, first: int, **filters: Any) -> list[str]:
    """Every page of the portfolio's initiatives in ``order``, as letters."""
    seen: list[str] = []
    after = None
    while True:
        result = await data(
            gql,
            LIST,
            first=first,
            after=after,
            filter={"portfolioId": world.portfolio, **filters},
            order=order,
        )
        page = result["initiatives"]
        assert len(page["edges"]) <= first
        seen += [world.letter(edge["node"]["id"]) for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        after = page["pageInfo"]["endCursor"]


def expected(world: World, order: str) -> list[str]:
    letters = [letter for letter in world.ids if letter != "X"]
    by_id_desc = sorted(letters, key=lambda k: world.ids[k], reverse=True)

    def nulls_last_desc(values: dict[str, Any]) -> list[str]:
        # Stable sorts: id desc first, then the key desc; NULLs after every value.
        ranked = sorted(by_id_desc, key=lambda k: values[k] or 0, reverse=True)
        return sorted(ranked, key=lambda k: values[k] is None)

    match order:
        case "WSJF_DESC":
            return nulls_last_desc(world.wsjf)
        case "COST_OF_DELAY_DESC":
            return nulls_last_desc(world.cost_of_delay)
        case "AGE_DESC":
            return sorted(letters, key=lambda k: world.proposed_at[k])
        case "AGE_ASC":
            return sorted(letters, key=lambda k: world.proposed_at[k], reverse=True)
        case "LAST_CHANGE_DESC":
            return sorted(letters, key=lambda k: world.last_change[k], reverse=True)
        case "TITLE_ASC":
            return sorted(letters, key=lambda k: world.titles[k])
    raise AssertionError(order)


@pytest.mark.parametrize(
    "order",
    ["WSJF_DESC", "COST_OF_DELAY_DESC", "AGE_DESC", "AGE_ASC", "LAST_CHANGE_DESC", "TITLE_ASC"],
)
@pytest.mark.parametrize("first", [1, 3])
async def test_each_sort_pages_through_everything_in_order(
    gql: Any, world: World, order: str, first: int
) -> None:
    assert await walk(gql, world, order, first) == expected(world, order)


def test_the_world_has_ties_and_nulls_where_the_cursors_are_hard() -> None:
    # Guards the test data: WSJF ties (B and H at 2.00) and two unscored initiatives (E, F).
    cost_of_delay, wsjf = wsjf_of(5, 3, 2, 5)
    assert (cost_of_delay, wsjf) == (10, Decimal("2.00"))
    assert wsjf_of(2, 2, 2, 3)[1] == wsjf


@pytest.mark.parametrize(
    ("filters", "letters"),
    [
        ({"states": ["READY"]}, "ABC"),
        ({"states": ["FUNNEL", "CANCELLED"]}, "EFH"),
        ({"owner": "olga"}, "AB"),
        ({"search": "onboard"}, "E"),
        ({"search": "self-serv SIGN"}, "E"),
        ({"search": "billing"}, "BF"),
        ({"titleContains": "HUB"}, "H"),
        ({"states": ["READY"], "owner": "oscar"}, "C"),
    ],
)
async def test_filters(gql: Any, world: World, filters: dict[str, Any], letters: str) -> None:
    assert sorted(await walk(gql, world, "TITLE_ASC", 20, **filters)) == list(letters)


async def test_the_theme_filter_matches_any_initiative_serving_it(gql: Any, world: World) -> None:
    customer, efficiency = f"t1-{world.tag}", f"t2-{world.tag}"
    assert sorted(await walk(gql, world, "TITLE_ASC", 20, themeId=customer)) == ["A", "B", "C"]
    assert await walk(gql, world, "TITLE_ASC", 20, themeId=efficiency) == ["B"]


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"first": 0}, "first must be between 1 and 100"),
        ({"first": 101}, "first must be between 1 and 100"),
        ({"filter": {"search": "!?"}}, "search needs at least one word"),
        ({"after": "bm9wZQ"}, "is not valid"),
    ],
)
async def test_bad_list_arguments_are_bad_user_input(
    gql: Any, world: World, variables: dict[str, Any], message: str
) -> None:
    body = await gql(LIST, order="WSJF_DESC", **variables)
    assert graphql_errors(body) == ["BAD_USER_INPUT"]
    assert message in body["errors"][0]["message"]


async def test_a_cursor_of_another_sort_is_refused(gql: Any, world: World) -> None:
    titles = await data(
        gql, LIST, first=1, filter={"portfolioId": world.portfolio}, order="TITLE_ASC"
    )
    cursor = titles["initiatives"]["pageInfo"]["endCursor"]
    body = await gql(LIST, first=1, after=cursor, order="WSJF_DESC")
    assert graphql_errors(body) == ["BAD_USER_INPUT"]
    assert "orderBy" in body["errors"][0]["message"]


# --- one initiative ------------------------------------------------------------------------------

DETAIL = """
query($id: ID!) {
  initiative(id: $id) {
    state previousState stateReason stateEnteredAt daysInState strategicThemeIds riskExposure
    lastDecision approvedPeriod committedAmount blocked
    portfolio { id name }
    themes { name active }
    wsjf { businessValue timeCriticality riskReduction jobSize costOfDelay wsjf scoredBy }
    wsjfHistory { wsjf note }
    businessCase { mvpCost estimatedTotalCost currency leadingIndicators recordedBy }
    risks { id probability impact exposure status open owner }
    decisions { kind rationale review { id title status } }
    dependencies { initiativeId note initiative { title state } }
    dependents { initiativeId }
  }
}"""


async def test_an_initiative_with_everything_read_models_know(gql: Any, world: World) -> None:
    a = (await data(gql, DETAIL, id=world.ids["A"]))["initiative"]
    assert (a["state"], a["previousState"], a["blocked"]) == ("READY", "ANALYZING", False)
    assert a["portfolio"]["id"] == world.portfolio
    assert a["themes"] == [{"name": "Customer", "active": True}]
    assert a["wsjf"] == {
        "businessValue": 8,
        "timeCriticality": 5,
        "riskReduction": 3,
        "jobSize": 2,
        "costOfDelay": 16,
        "wsjf": "8.00",
        "scoredBy": "sam",
    }
    assert [score["wsjf"] for score in a["wsjfHistory"]] == ["3.00", "8.00"]
    assert a["businessCase"] == {
        "mvpCost": "75",
        "estimatedTotalCost": "300",
        "currency": "EUR",
        "leadingIndicators": ["sign-ups", "tickets"],
        "recordedBy": "carl",
    }
    assert (a["lastDecision"], a["approvedPeriod"], a["committedAmount"]) == (
        "APPROVE",
        PERIOD,
        "300",
    )
    assert a["decisions"] == [
        {
            "kind": "APPROVE",
            "rationale": "approve A",
            "review": {"id": world.review, "title": "Q4 portfolio sync", "status": "CONCLUDED"},
        }
    ]
    assert a["dependencies"] == [
        {
            "initiativeId": world.ids["X"],
            "note": "platform",
            "initiative": {"title": "Xray base", "state": "DONE"},
        }
    ]
    assert 34.9 < a["daysInState"] < 35.1


async def test_risks_exposure_and_blocking(gql: Any, world: World) -> None:
    d = (await data(gql, DETAIL, id=world.ids["D"]))["initiative"]
    assert [(r["exposure"], r["status"], r["open"]) for r in d["risks"]] == [
        (20, "OPEN", True),
        (4, "MITIGATED", False),
        (3, "OWNED", True),
        (16, "RESOLVED", False),
    ]
    assert d["riskExposure"] == 23  # open = OPEN or OWNED
    assert d["dependents"] == [{"initiativeId": world.ids["C"]}]
    c = (await data(gql, DETAIL, id=world.ids["C"]))["initiative"]
    assert c["blocked"] is True  # D is IMPLEMENTING, not DONE
    h = (await data(gql, DETAIL, id=world.ids["H"]))["initiative"]
    assert (h["state"], h["stateReason"], h["previousState"]) == (
        "CANCELLED",
        "strategy changed",
        "ANALYZING",
    )
    assert (h["approvedPeriod"], h["committedAmount"]) == (None, None)  # released


async def test_history_is_the_stream_in_order_with_who_and_when(gql: Any, world: World) -> None:
    query = """query($id: ID!) { initiative(id: $id) {
      history { version type eventType occurredAt actor data } } }"""
    history = (await data(gql, query, id=world.ids["D"]))["initiative"]["history"]
    assert [entry["version"] for entry in history] == list(range(1, len(history) + 1))
    types = [entry["type"] for entry in history]
    assert types[:3] == ["InitiativeProposed", "InitiativeMoved", "WsjfScored"]
    assert types.index("GuardrailOverridden") == types.index("RiskRaised") - 2
    assert history[0]["eventType"] == "pmo.portfolio.InitiativeProposed.v2"
    assert history[0]["data"]["title"] == "Delta data"
    assert {entry["actor"] for entry in history} == {"paula"}
    occurred = [datetime.fromisoformat(entry["occurredAt"]) for entry in history]
    assert occurred == sorted(occurred)
    assert occurred[0] == ago(50)


async def test_unknown_ids_are_null(gql: Any, world: World) -> None:
    query = """query($id: ID!) { initiative(id: $id) { id } portfolio(id: $id) { id }
      review(id: $id) { id } }"""
    assert await data(gql, query, id="nope") == {
        "initiative": None,
        "portfolio": None,
        "review": None,
    }


# --- portfolios ----------------------------------------------------------------------------------


async def test_portfolio_with_themes_budgets_limits_and_overrides(gql: Any, world: World) -> None:
    query = """query($id: ID!) { portfolio(id: $id) {
      name owner guardrails version
      themes { name } all: themes(includeRetired: true) { name active retiredReason }
      budgets { period amount currency committed remaining }
      wipLimits { state limit }
      guardrailOverrides { streamId guardrail reason overriddenBy }
      reviews { id status summary attendees decisions { initiativeId } } } }"""
    p = (await data(gql, query, id=world.portfolio))["portfolio"]
    assert p["guardrails"] == [g.value for g in Guardrail]
    assert p["version"] == 10
    assert p["themes"] == [{"name": "Customer"}]
    assert p["all"][1] == {"name": "Efficiency", "active": False, "retiredReason": "done"}
    # A, B, C and D stand approved (H's approval was released when it was cancelled).
    assert p["budgets"] == [
        {
            "period": PERIOD,
            "amount": "1000",
            "currency": "EUR",
            "committed": "1400",
            "remaining": "-400",
        }
    ]
    assert p["wipLimits"] == [{"state": "READY", "limit": 2}, {"state": "IMPLEMENTING", "limit": 1}]
    assert p["guardrailOverrides"] == [
        {
            "streamId": world.ids["D"],
            "guardrail": "WIP_LIMIT",
            "reason": "regulatory deadline",
            "overriddenBy": "pmo-lead",
        }
    ]
    [review] = p["reviews"]
    assert (review["status"], review["summary"], review["attendees"]) == (
        "CONCLUDED",
        "A and B approved",
        ["paula", "pmo-lead"],
    )
    assert [d["initiativeId"] for d in review["decisions"]] == [world.ids["A"], world.ids["B"]]


async def test_portfolios_page_by_name_and_resolve_as_entities(gql: Any, world: World) -> None:
    query = """query($after: String) { portfolios(first: 1, after: $after) {
      edges { node { id name } } pageInfo { hasNextPage endCursor } } }"""
    names: list[str] = []
    after = None
    while True:
        page = (await data(gql, query, after=after))["portfolios"]
        names += [edge["node"]["name"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    # By name (in the database's collation): each once, "Back office" before "Digital".
    mine = [name for name in names if name.endswith(world.tag)]
    assert mine == [f"Back office {world.tag}", f"Digital {world.tag}"]
    entities = """query($r: [_Any!]!) { _entities(representations: $r) {
      ... on Portfolio { id name } } }"""
    representations = [
        {"__typename": "Portfolio", "id": world.portfolio},
        {"__typename": "Portfolio", "id": "missing"},
    ]
    assert (await data(gql, entities, r=representations))["_entities"] == [
        {"id": world.portfolio, "name": f"Digital {world.tag}"},
        None,
    ]


async def test_kanban_counts_against_wip_limits(gql: Any, world: World) -> None:
    query = """query($id: ID!) { portfolio(id: $id) { kanban(first: 2) {
      state count wipLimit overLimit averageDaysInState oldestDaysInState
      initiatives { id } } } }"""
    columns = {
        c["state"]: c for c in (await data(gql, query, id=world.portfolio))["portfolio"]["kanban"]
    }
    assert list(columns) == [s.value for s in KanbanState]
    counts = {state: column["count"] for state, column in columns.items()}
    assert counts == {
        "FUNNEL": 2,
        "REVIEWING": 0,
        "ANALYZING": 1,
        "READY": 3,
        "IMPLEMENTING": 1,
        "DONE": 0,
        "ON_HOLD": 0,
        "CANCELLED": 1,
    }
    ready, implementing = columns["READY"], columns["IMPLEMENTING"]
    assert (ready["wipLimit"], ready["overLimit"]) == (2, True)
    assert (implementing["wipLimit"], implementing["overLimit"]) == (1, False)
    assert columns["FUNNEL"]["wipLimit"] is None
    # Two cards of three, best WSJF first.
    assert [world.letter(card["id"]) for card in ready["initiatives"]] == ["A", "C"]
    assert 9.9 < implementing["averageDaysInState"] < 10.1
    # READY since: A 35 days, B 32 (34 - 2 steps), C 23.
    assert 34.9 < ready["oldestDaysInState"] < 35.1
    assert 29.9 < ready["averageDaysInState"] < 30.1
    assert columns["REVIEWING"]["averageDaysInState"] is None


BACKLOG = """query($id: ID!) { portfolio(id: $id) { backlog(period: "2026-Q4") {
  budget committedElsewhere remainingBudget currency
  items { rank initiative { id } wsjf estimatedCost cumulativeCost funded blocked } } } }"""


def _line(world: World, items: list[dict[str, Any]]) -> list[tuple[str, str, bool]]:
    return [(world.letter(i["initiative"]["id"]), i["cumulativeCost"], i["funded"]) for i in items]


async def test_backlog_funding_line_against_budget_minus_other_commitments(
    gql: Any, world: World
) -> None:
    backlog = (await data(gql, BACKLOG, id=world.portfolio))["portfolio"]["backlog"]
    # D (IMPLEMENTING) commits 200 of 1000; the READY ones compete for the other 800.
    assert (backlog["budget"], backlog["committedElsewhere"], backlog["remainingBudget"]) == (
        "1000",
        "200",
        "800",
    )
    assert _line(world, backlog["items"]) == [
        ("A", "300", True),
        ("C", "700", True),
        ("B", "1200", False),
    ]
    assert [item["blocked"] for item in backlog["items"]] == [False, True, False]
    assert [item["rank"] for item in backlog["items"]] == [1, 2, 3]


async def test_a_period_without_budget_funds_nothing_and_a_bad_period_is_refused(
    gql: Any, world: World
) -> None:
    query = BACKLOG.replace("2026-Q4", "2027")
    backlog = (await data(gql, query, id=world.portfolio))["portfolio"]["backlog"]
    assert backlog["remainingBudget"] is None
    assert not any(item["funded"] for item in backlog["items"])
    body = await gql(BACKLOG.replace("2026-Q4", "Q4-2026"), id=world.portfolio)
    assert graphql_errors(body) == ["BAD_USER_INPUT"]
    assert "2026-Q4" in body["errors"][0]["message"]


RECOMMEND = """query($id: ID!) { portfolio(id: $id) { recommendations(period: "2026-Q4") {
  action reasons initiative { id } } } }"""


def _by_letter(world: World, found: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    return {
        world.letter(r["initiative"]["id"]): (r["action"], " | ".join(r["reasons"])) for r in found
    }


async def test_recommendations_with_their_reasons(gql: Any, world: World) -> None:
    found = _by_letter(
        world, (await data(gql, RECOMMEND, id=world.portfolio))["portfolio"]["recommendations"]
    )
    assert set(found) == {"A", "B", "C", "D", "G"}
    assert all(action == "HOLD" for action, _ in found.values())
    assert "WIP limit reached" in found["A"][1]
    assert "blocked by dependencies" in found["C"][1]
    assert "risk exposure 23" in found["D"][1]
    assert "stalled: 90 days in ANALYZING" in found["G"][1]


WHAT_IF = """query($id: ID!, $input: WhatIfInput!) { portfolio(id: $id) { whatIf(input: $input) {
  backlog { remainingBudget items { initiative { id } wsjf cumulativeCost funded } }
  recommendations { action reasons initiative { id } } } } }"""


async def _snapshot(engine: AsyncEngine) -> list[list[tuple[Any, ...]]]:
    async with engine.connect() as conn:
        return [
            [tuple(row) for row in await conn.execute(sa.select(t).order_by(*t.primary_key))]
            for t in READ_MODELS
        ]


async def test_what_if_ranks_and_funds_without_writing(
    gql: Any, world: World, engine: AsyncEngine
) -> None:
    before = await _snapshot(engine)
    rescored = {
        "period": PERIOD,
        "scores": [
            {
                "initiativeId": world.ids["B"],
                "businessValue": 20,
                "timeCriticality": 20,
                "riskReduction": 20,
                "jobSize": 1,
            }
        ],
        "budget": "900",
    }
    result = (await data(gql, WHAT_IF, id=world.portfolio, input=rescored))["portfolio"]["whatIf"]
    assert result["backlog"]["remainingBudget"] == "700"
    assert _line(world, result["backlog"]["items"]) == [
        ("B", "500", True),
        ("A", "800", False),
        ("C", "1200", False),
    ]
    assert result["backlog"]["items"][0]["wsjf"] == "60.00"

    more_wip = {"period": PERIOD, "wipLimits": [{"state": "IMPLEMENTING", "limit": 3}]}
    result = (await data(gql, WHAT_IF, id=world.portfolio, input=more_wip))["portfolio"]["whatIf"]
    found = _by_letter(world, result["recommendations"])
    assert (found["A"][0], found["B"][0], found["C"][0]) == ("PULL", "PULL", "HOLD")
    assert "2 of 3 IMPLEMENTING slots free" in found["A"][1]

    assert await _snapshot(engine) == before
    b = (await data(gql, DETAIL, id=world.ids["B"]))["initiative"]
    assert b["wsjf"]["wsjf"] == "2.00"


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        ({"scores": [{"letter": "B", "businessValue": 4}]}, "BAD_USER_INPUT", "businessValue of"),
        ({"scores": [{"letter": "D"}]}, "BAD_USER_INPUT", "is not READY"),
        ({"scores": [{"id": "nope"}]}, "NOT_FOUND", "no initiative has the id 'nope'"),
        ({"budget": "-1"}, "BAD_USER_INPUT", "budget must be at least 0"),
        ({"wipLimits": [{"state": "READY", "limit": -1}]}, "BAD_USER_INPUT", "WIP limit of READY"),
        ({"period": "soon"}, "BAD_USER_INPUT", "period"),
    ],
)
async def test_what_if_input_is_validated(
    gql: Any, world: World, change: dict[str, Any], code: str, message: str
) -> None:
    given: dict[str, Any] = {"period": PERIOD, **change}
    if "scores" in given:
        [score] = given["scores"]
        initiative = score.pop("id", None) or world.ids[score.pop("letter")]
        base = {"businessValue": 1, "timeCriticality": 1, "riskReduction": 1, "jobSize": 1}
        given["scores"] = [{**base, **score, "initiativeId": initiative}]
    body = await gql(WHAT_IF, id=world.portfolio, input=given)
    assert graphql_errors(body) == [code]
    assert message in body["errors"][0]["message"]


async def test_risk_register_and_heat_map(gql: Any, world: World) -> None:
    query = """query($id: ID!) { portfolio(id: $id) {
      open: riskRegister(openOnly: true) { exposure initiative { id } }
      all: riskRegister { exposure status }
      riskHeatMap { probability impact count } } }"""
    p = (await data(gql, query, id=world.portfolio))["portfolio"]
    # Highest exposure first; equal exposures by the time raised (G's 80 days ago, D's 9).
    assert [(r["exposure"], world.letter(r["initiative"]["id"])) for r in p["open"]] == [
        (20, "G"),
        (20, "D"),
        (12, "A"),
        (3, "D"),
    ]
    assert len(p["all"]) == 6
    cells = {(c["probability"], c["impact"]): c["count"] for c in p["riskHeatMap"]}
    assert len(cells) == 25
    assert {cell: n for cell, n in cells.items() if n} == {(5, 4): 2, (3, 4): 1, (1, 3): 1}


async def test_dependency_graph_flags_blocked_initiatives(gql: Any, world: World) -> None:
    query = """query($id: ID!) { portfolio(id: $id) { dependencyGraph {
      nodes { initiative { id state } blocked inPortfolio }
      edges { initiativeId dependsOnId note } } } }"""
    graph = (await data(gql, query, id=world.portfolio))["portfolio"]["dependencyGraph"]
    nodes = {
        world.letter(n["initiative"]["id"]): (n["blocked"], n["inPortfolio"])
        for n in graph["nodes"]
    }
    assert set(nodes) == set("ABCDEFGHX")
    assert {letter for letter, (blocked, _) in nodes.items() if blocked} == {"C"}
    assert nodes["X"] == (False, False)
    edges = {
        (world.letter(e["initiativeId"]), world.letter(e["dependsOnId"])) for e in graph["edges"]
    }
    assert edges == {("C", "D"), ("A", "X")}  # B -> E was removed


async def test_decision_log_is_newest_first_across_pages(gql: Any, world: World) -> None:
    query = """query($id: ID, $after: String) {
      decisionLog(portfolioId: $id, first: 2, after: $after) {
        edges { node { id kind decidedAt initiative { id } } }
        pageInfo { hasNextPage endCursor } } }"""
    seen: list[str] = []
    after = None
    while True:
        page = (await data(gql, query, id=world.portfolio, after=after))["decisionLog"]
        seen += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    mine = [d for d in world.decisions if not d[1].startswith("d-X")]
    assert seen == [decision for _, decision in sorted(mine, reverse=True)]
    nested = """query($id: ID!) { portfolio(id: $id) {
      decisions(first: 100) { edges { node { id } } } } }"""
    edges = (await data(gql, nested, id=world.portfolio))["portfolio"]["decisions"]["edges"]
    assert [edge["node"]["id"] for edge in edges] == seen
    missing = await gql(query, id="nope")
    assert graphql_errors(missing) == ["NOT_FOUND"]
