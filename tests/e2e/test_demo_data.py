"""The demo data of `make up`, loaded through the gateway into an in-process platform.

The loader runs against the session's fresh database and Kafka namespace (portfolio and metrics
apps served on real ports, the gateway over the checked-in supergraph), then the board, funding
line, risk heat map, dependency graph, decision log and overrides are read back through the
gateway, and a second run must write nothing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sys
from collections import Counter
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from pmo_events.postgres import PostgresEventStore
from pmo_metrics.service import definition as metrics
from pmo_metrics.settings import MetricsSettings
from pmo_portfolio.service import definition as portfolio
from pmo_portfolio.settings import PortfolioSettings
from pmo_resources.service import definition as resources
from pmo_resources.settings import ResourcesSettings

from deploy.local.demo import HalfLoaded, Summary, _check_complete, load
from deploy.local.demo.gateway import Actor, DemoDataError, Gateway
from deploy.local.demo.loader import DECISION_STATES, LOADING, MOVE_STATES
from deploy.local.demo.model import FLOW, Initiative, State
from deploy.local.demo.portfolios import PORTFOLIOS
from deploy.local.demo.resources import ALLOCATIONS, PEOPLE, TEAMS
from tests.platform import bearer, free_port, running_platform

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 25)  # budget periods 2026-Q4 (current) and 2027-Q1 (next)
CURRENT, NEXT = "2026-Q4", "2027-Q1"


@pytest.fixture(scope="module")
async def platform(
    portfolio_settings: PortfolioSettings,
    metrics_settings: MetricsSettings,
    resources_settings: ResourcesSettings,
) -> AsyncIterator[dict[str, Any]]:
    services = {
        "portfolio": (portfolio, portfolio_settings),
        "metrics": (metrics, metrics_settings),
        "resources": (resources, resources_settings),
    }
    async with running_platform(services) as running:
        engine = running.apps["portfolio"].state.runtime.engine
        store = PostgresEventStore(engine, portfolio_settings.database_schema)
        yield {"graphql": f"{running.gateway}/graphql", "store": store}


@pytest.fixture(scope="module")
async def loaded(platform: dict[str, Any], portfolio_settings: PortfolioSettings) -> Summary:
    return await load(platform["graphql"], token_settings=portfolio_settings, today=TODAY)


async def query(
    platform: dict[str, Any], settings: PortfolioSettings, text: str, **variables: Any
) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            platform["graphql"],
            json={"query": text, "variables": variables},
            headers=bearer(settings, "viewer", subject="vera.viewer"),
        )
    body = response.json()
    assert not body.get("errors"), body
    data: dict[str, Any] = body["data"]
    return data


async def demo_portfolio(platform: dict[str, Any], settings: PortfolioSettings, name: str) -> str:
    """The id of the demo portfolio `name` (pages through every portfolio of the session)."""
    after = None
    while True:
        data = await query(
            platform,
            settings,
            """query($after: String) { portfolios(first: 100, after: $after) {
                 edges { node { id name } } pageInfo { hasNextPage endCursor } } }""",
            after=after,
        )
        for edge in data["portfolios"]["edges"]:
            if edge["node"]["name"] == name:
                found: str = edge["node"]["id"]
                return found
        assert data["portfolios"]["pageInfo"]["hasNextPage"], f"no portfolio named {name}"
        after = data["portfolios"]["pageInfo"]["endCursor"]


def final_state(initiative: Initiative) -> State:
    """Where the data says an initiative ends up: its last way off the flow, or where it got."""
    if not initiative.outcomes:
        return State(initiative.reaches)
    return {**DECISION_STATES, **MOVE_STATES}[initiative.outcomes[-1].exit]


def test_the_data_covers_every_state_and_kind_of_decision() -> None:
    """The definition itself: a realistic spread, before any of it is loaded."""
    initiatives = [i for p in PORTFOLIOS for i in p.initiatives]
    assert 30 <= len(initiatives) <= 40
    assert set(Counter(final_state(i) for i in initiatives)) == set(State)
    assert len({i.key for i in initiatives}) == len(initiatives)
    assert len({i.title for i in initiatives}) == len(initiatives)
    keys = {i.key for i in initiatives}
    assert {d.on for i in initiatives for d in i.depends_on} <= keys
    for p in PORTFOLIOS:
        assert 2 <= len(p.themes) <= 4
        themes = {t.name for t in p.themes}
        assert all(set(i.themes) <= themes for i in p.initiatives), p.name
    # Every DONE initiative has delivered value on every objective (else it cannot be DONE).
    done = [i for i in initiatives if i.reaches is State.DONE]
    assert done
    assert all(o.delivered is not None for i in done for o in i.objectives)
    assert any(len(i.scores) > 1 for i in initiatives), "some initiatives are rescored"
    assert FLOW[0] is State.FUNNEL


async def test_the_loaded_board_has_initiatives_in_every_state(
    loaded: Summary, platform: dict[str, Any], portfolio_settings: PortfolioSettings
) -> None:
    expected = Counter(final_state(i).value for p in PORTFOLIOS for i in p.initiatives)
    assert loaded.loaded
    assert loaded.portfolios == 3
    assert loaded.initiatives == {state.value: expected[state.value] for state in State}
    assert all(count > 0 for count in loaded.initiatives.values())

    digital = await demo_portfolio(platform, portfolio_settings, "Digital Channels")
    data = await query(
        platform,
        portfolio_settings,
        """query($id: ID!) { portfolio(id: $id) {
             description budgets { period amount currency committed remaining }
             themes { name objective }
             kanban { state count wipLimit overLimit initiatives { title } } } }""",
        id=digital,
    )
    board = {column["state"]: column for column in data["portfolio"]["kanban"]}
    assert list(board) == [state.value for state in State]
    # The PMO lead let a fourth initiative into IMPLEMENTING (limit 3) with an override.
    assert (board["IMPLEMENTING"]["count"], board["IMPLEMENTING"]["wipLimit"]) == (4, 3)
    assert board["IMPLEMENTING"]["overLimit"] is True
    assert {c["title"] for c in board["DONE"]["initiatives"]} == {"Self-service account opening"}
    assert data["portfolio"]["description"] != LOADING, "the load marks itself complete"
    budgets = {b["period"]: b for b in data["portfolio"]["budgets"]}
    assert budgets[CURRENT]["currency"] == "EUR"
    assert budgets[CURRENT]["committed"] == "1760000.00"
    assert budgets[NEXT]["committed"] == "900000.00"


async def test_the_funding_line_of_the_backlog(
    loaded: Summary, platform: dict[str, Any], portfolio_settings: PortfolioSettings
) -> None:
    digital = await demo_portfolio(platform, portfolio_settings, "Digital Channels")
    data = await query(
        platform,
        portfolio_settings,
        """query($id: ID!, $period: String!) { portfolio(id: $id) { backlog(period: $period) {
             budget remainingBudget items { rank wsjf estimatedCost cumulativeCost funded blocked
               initiative { title } } } } }""",
        id=digital,
        period=CURRENT,
    )
    backlog = data["portfolio"]["backlog"]
    assert (backlog["budget"], backlog["remainingBudget"]) == ("1800000.00", "150000.00")
    assert [
        (i["rank"], i["initiative"]["title"], i["funded"], i["blocked"]) for i in backlog["items"]
    ] == [
        (1, "Card controls in the app", True, False),
        (2, "Digital mortgage application", False, True),
    ]
    assert [i["cumulativeCost"] for i in backlog["items"]] == ["110000.00", "1010000.00"]


async def test_risks_heat_map_and_dependency_graph(
    loaded: Summary, platform: dict[str, Any], portfolio_settings: PortfolioSettings
) -> None:
    risks = [r for p in PORTFOLIOS for i in p.initiatives for r in i.risks]
    assert (loaded.risks, loaded.roamed_risks) == (
        len(risks),
        sum(r.roam is not None for r in risks),
    )
    edges = [(i.key, d.on) for p in PORTFOLIOS for i in p.initiatives for d in i.depends_on]
    assert loaded.dependencies == len(edges)
    assert loaded.blocked >= 3

    platform_id = await demo_portfolio(platform, portfolio_settings, "Platform & Infrastructure")
    data = await query(
        platform,
        portfolio_settings,
        """query($id: ID!) { portfolio(id: $id) {
             riskHeatMap { probability impact count }
             riskRegister { title status exposure }
             dependencyGraph { nodes { blocked inPortfolio initiative { title state } }
                               edges { initiativeId dependsOnId } } } }""",
        id=platform_id,
    )
    found = data["portfolio"]
    cells = {(c["probability"], c["impact"]): c["count"] for c in found["riskHeatMap"]}
    assert len(cells) == 25
    open_risks = [r for r in found["riskRegister"] if r["status"] in ("OPEN", "OWNED")]
    assert sum(cells.values()) == len(open_risks)
    assert cells[(5, 4)] == 1  # hidden dependencies of the mainframe batch
    statuses: set[str] = set()
    for demo in PORTFOLIOS:
        register = await query(
            platform,
            portfolio_settings,
            "query($id: ID!) { portfolio(id: $id) { riskRegister { status } } }",
            id=await demo_portfolio(platform, portfolio_settings, demo.name),
        )
        statuses |= {risk["status"] for risk in register["portfolio"]["riskRegister"]}
    assert statuses == {"OPEN", "RESOLVED", "OWNED", "ACCEPTED", "MITIGATED"}
    assert found["riskRegister"][0]["exposure"] == 20  # highest exposure first

    nodes = {n["initiative"]["title"]: n for n in found["dependencyGraph"]["nodes"]}
    assert nodes["Mainframe batch offloading to the cloud"]["blocked"] is True
    assert nodes["Service mesh"]["blocked"] is True
    assert nodes["Kubernetes internal developer platform"]["blocked"] is False
    # A chain: the data centre exit waits for the offloading, which waits for the platform.
    assert nodes["Data centre exit Frankfurt-2"]["blocked"] is True
    # Initiatives of other portfolios linked to this one's appear, flagged as outside it.
    outside = {title for title, n in nodes.items() if not n["inPortfolio"]}
    assert outside == {
        "Real-time payment notifications",
        "Real-time fraud scoring",
        "Self-service BI platform rollout",
    }
    assert nodes["Real-time payment notifications"]["blocked"] is False  # streaming is DONE


async def test_decision_log_reviews_and_guardrail_overrides(
    loaded: Summary, platform: dict[str, Any], portfolio_settings: PortfolioSettings
) -> None:
    assert set(loaded.decisions) == {"APPROVE", "REJECT", "DEFER", "CANCEL"}
    approvals = [i for p in PORTFOLIOS for i in p.initiatives if i.approval]
    assert loaded.decisions["APPROVE"] == len(approvals)
    assert loaded.reviews == {"CONCLUDED": 3, "SCHEDULED": 3}
    assert loaded.overrides == 2

    data_id = await demo_portfolio(platform, portfolio_settings, "Data & Analytics")
    data = await query(
        platform,
        portfolio_settings,
        """query($id: ID!) { portfolio(id: $id) {
             reviews { title status scheduledFor summary decisions { kind decidedBy } }
             guardrailOverrides { streamId guardrail reason overriddenBy }
             budgets { period amount committed remaining } } }""",
        id=data_id,
    )
    found = data["portfolio"]
    concluded, scheduled = (
        next(r for r in found["reviews"] if r["status"] == status)
        for status in ("CONCLUDED", "SCHEDULED")
    )
    assert concluded["title"] == f"Data & Analytics quarterly portfolio review {CURRENT}"
    assert concluded["scheduledFor"] == "2026-11-13"
    assert {d["decidedBy"] for d in concluded["decisions"]} == {"jonas.weber"}
    assert Counter(d["kind"] for d in concluded["decisions"]) == {"APPROVE": 5}
    assert (scheduled["decisions"], scheduled["summary"]) == ([], None)
    assert scheduled["scheduledFor"] == "2026-12-18"

    # The PMO lead approved the BCBS 239 lineage over the quarter's remaining budget.
    [override] = found["guardrailOverrides"]
    assert (override["guardrail"], override["overriddenBy"]) == ("BUDGET", "jonas.weber")
    assert "regulatory reserve" in override["reason"]
    current = next(b for b in found["budgets"] if b["period"] == CURRENT)
    assert (current["amount"], current["committed"], current["remaining"]) == (
        "1200000.00",
        "1220000.00",
        "-20000.00",
    )
    history = await query(
        platform,
        portfolio_settings,
        "query($id: ID!) { initiative(id: $id) { title history { type actor data } } }",
        id=override["streamId"],
    )
    initiative = history["initiative"]
    assert initiative["title"] == "Regulatory reporting data lineage (BCBS 239)"
    types = [(e["type"], e["actor"]) for e in initiative["history"]]
    at = types.index(("GuardrailOverridden", "jonas.weber"))
    assert types[at + 1] == ("DecisionRecorded", "jonas.weber")


async def test_a_second_run_changes_nothing(
    loaded: Summary, platform: dict[str, Any], portfolio_settings: PortfolioSettings
) -> None:
    head = await platform["store"].head_position()
    again = await load(platform["graphql"], token_settings=portfolio_settings, today=TODAY)
    assert again.loaded is False
    assert loaded.resources is not None
    assert again == dataclasses.replace(
        loaded, loaded=False, resources=dataclasses.replace(loaded.resources, loaded=False)
    )
    assert await platform["store"].head_position() == head
    assert again.line().startswith("already there: 3 portfolios; 39 initiatives (FUNNEL 5,")


async def test_a_refused_call_reports_operation_variables_error_and_a_hint(
    platform: dict[str, Any], portfolio_settings: PortfolioSettings
) -> None:
    async with httpx.AsyncClient() as client:
        gateway = Gateway(client, platform["graphql"], portfolio_settings)
        with pytest.raises(DemoDataError) as refused:
            await gateway.call(
                "creating a portfolio",
                "mutation($input: CreatePortfolioInput!) { createPortfolio(input: $input) { id } }",
                {"input": {"name": "", "owner": "maria.keller"}},
                Actor("maria.keller", "portfolio_manager"),
            )
    report = refused.value.report()
    assert "demo data: creating a portfolio failed" in report
    assert "createPortfolio(input: $input)" in report
    assert '"owner": "maria.keller"' in report
    assert "BAD_USER_INPUT" in report
    assert "hint: is `make up` running?" in report


def test_a_half_finished_load_is_refused_with_what_to_do() -> None:
    names = [p.name for p in PORTFOLIOS]
    with pytest.raises(HalfLoaded, match="unfinished: Digital Channels; missing: none"):
        _check_complete(
            names,
            [
                {"name": names[0], "description": LOADING},
                {"name": names[1], "description": "done"},
                {"name": names[2], "description": "done"},
            ],
        )
    with pytest.raises(HalfLoaded, match="missing: Data & Analytics, Platform"):
        _check_complete(names, [{"name": names[0], "description": "done"}])


async def test_the_script_exits_1_with_a_hint_when_the_gateway_is_down() -> None:
    environment = {**os.environ, "PMO_GATEWAY_URL": f"http://127.0.0.1:{free_port()}/graphql"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "deploy" / "local" / "demo_data.py"),
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await process.communicate()
    assert process.returncode == 1
    assert "cannot reach the gateway" in stderr.decode()
    assert "hint: is `make up` running? see .local/log/gateway.log" in stderr.decode()


async def test_resources_people_heat_map_overrides_and_licence_gap(
    loaded: Summary, platform: dict[str, Any], portfolio_settings: PortfolioSettings
) -> None:
    """The resources demo: 36 people in six teams, over 100 % only where the PMO overrode it."""
    assert loaded.resources is not None
    found = loaded.resources
    assert (found.loaded, found.teams, found.people) == (True, 6, len(PEOPLE))
    assert (found.overrides, found.budgets, found.tools, found.licence_gaps) == (2, 3, 4, 1)
    assert found.allocations == len(ALLOCATIONS)
    assert found.spent > Decimal("93200"), "labour accrued on top of the expenses"

    teams = await query(
        platform, portfolio_settings, "{ teams(first: 100) { edges { node { id name } } } }"
    )
    mobile = next(e["node"]["id"] for e in teams["teams"]["edges"]
                  if e["node"]["name"] == "Mobile & Web Banking")  # fmt: skip
    data = await query(
        platform,
        portfolio_settings,
        """query($team: ID!, $from: Date!) {
             capacityHeatMap(from: $from, weeks: 13, teamId: $team) {
               people { person { name allocations(status: APPROVED) { overrides { reason } } }
                        cells { overallocated } }
               teams { team { name } cells { overallocated overallocatedMembers } } }
             licenceGaps { person { name } tool { name } team { name } } }""",
        team=mobile,
        **{"from": "2026-10-01"},
    )
    heat = data["capacityHeatMap"]
    over = {
        row["person"]["name"]
        for row in heat["people"]
        if any(c["overallocated"] for c in row["cells"])
    }
    overridden = {
        row["person"]["name"]
        for row in heat["people"]
        if any(a["overrides"] for a in row["person"]["allocations"])
    }
    assert over == overridden == {"Ben Okafor"}
    [team] = heat["teams"]
    # Ben's partial first week (Thursday and Friday) is within the week's capacity.
    assert max(c["overallocatedMembers"] for c in team["cells"]) == 1
    # Other tests of the session share the resources schema: look at the demo's teams only.
    demo_teams = {team.name for team in TEAMS}
    gaps = [g for g in data["licenceGaps"] if g["team"]["name"] in demo_teams]
    assert [(g["person"]["name"], g["tool"]["name"], g["team"]["name"]) for g in gaps] == [
        ("Rosa Jimenez", "Databricks", "Data Products")
    ]
