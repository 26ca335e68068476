"""Labour accrual on the real Postgres: approved allocations become LABOUR spend week by week,
numbers checked by hand (partial weeks, a mid-period rate change, a team's members at their own
rates), idempotent runs, unfunded labour and its reasons, who may see labour detail, the
Initiative entity's money and hours, the daily worker, and rebuild equality of the budget, tool
and demand read models."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from pmo_events.registry import event_type_of
from pmo_resources.api.deps import REPOSITORY
from pmo_resources.app.accrual import LabourAccrualWorker
from pmo_resources.projections import ROUTES, budgets, demand, tools
from pmo_resources.projections.rebuild import rebuild_read_models
from pmo_resources.settings import ResourcesSettings

from tests.platform import graphql_errors, wait_for

from . import allocating, budgeting
from .budgeting import BUDGET, RECORD_EXPENSE
from .conftest import CHANGE_RATE, Api
from .reacting import decided, moved, publish, settled

MODULES = {budgets.__name__, tools.__name__, demand.__name__}

UNFUNDED = """query($asOf: Date, $initiative: ID) {
  unfundedLabour(asOf: $asOf, initiativeId: $initiative) {
    initiativeId allocationId personId teamId week hours amount currency reason } }"""
SPEND = """query($id: ID!) { budget(id: $id) {
  spend { spendId kind hours description person { id } amount } } }"""
ENTITY = """query($r: [_Any!]!) { _entities(representations: $r) { ... on Initiative {
  id spendToDate { amount currency } fundsCommitted { amount currency }
  allocatedHours(from: "2026-02-09", to: "2026-02-17")
  allocatedCapacity(from: "2026-02-09", to: "2026-02-17") {
    from to hours allocations people weeks { week hours } }
  allHours: allocatedHours } } }"""


def labour(budget: dict[str, Any]) -> list[tuple[str, Decimal, str]]:
    """(spend id, hours, amount) of a budget's labour lines, in recording order."""
    return [
        (line["spendId"], Decimal(line["hours"]), line["amount"])
        for line in budget["spend"]
        if line["kind"] == "LABOUR"
    ]


async def funded_allocation(api: Api) -> tuple[dict[str, Any], str, str, str]:
    """A 40 h person at 85 EUR/h (90 from 2026-02-16) at 50 % from Wednesday 2026-02-04 to
    Friday 2026-02-20, their initiative funded by a Q1 budget: (budget, initiative, person,
    allocation)."""
    person = (await api.person(hours="40", rate="85.00"))["id"]
    await api.ok(
        CHANGE_RATE,
        {"personId": person, "costRate": "90.00", "currency": "EUR", "effectiveFrom": "2026-02-16"},
    )
    initiative = allocating.initiative()
    allocation = await allocating.approved(
        api, person=person, starts_on="2026-02-04", ends_on="2026-02-20", percent=50,
        initiative_id=initiative,
    )  # fmt: skip
    budget = await budgeting.budget(api, amount="50000.00", period="2026-Q1")
    await budgeting.commit(api, budget["id"], initiative, "10000.00")
    return budget, initiative, person, allocation["id"]


async def test_labour_accrues_for_complete_weeks_at_the_rate_of_each_week_and_only_once(
    api: Api,
) -> None:
    budget, _, _, allocation = await funded_allocation(api)

    await budgeting.accrue(api, "2026-02-18")  # a Wednesday: 2026-W08 is not over yet
    after_two = (await api.query(BUDGET, {"id": budget["id"]}))["budget"]
    # W06: Wednesday-Friday, 3/5 of 50 % of 40 h = 12 h at 85 = 1020.00;
    # W07: 20 h at 85 = 1700.00.
    assert labour(after_two) == [
        (f"{allocation}/2026-W06", Decimal(12), "1020.00"),
        (f"{allocation}/2026-W07", Decimal(20), "1700.00"),
    ]
    assert after_two["spent"] == "2720.00"
    assert [line["spentOn"] for line in after_two["spend"]] == ["2026-02-06", "2026-02-13"]

    head = await api.head()
    again = await budgeting.accrue(api, "2026-02-18")
    assert (again["recorded"], again["amount"]) == (0, "0")
    assert await api.head() == head

    run = await budgeting.accrue(api, "2026-03-02")
    assert budget["id"] in run["budgetIds"]
    after_three = (await api.query(BUDGET, {"id": budget["id"]}))["budget"]
    # W08 at the rate in force on its Monday (90 from 2026-02-16): 20 h = 1800.00.
    assert labour(after_three)[2] == (f"{allocation}/2026-W08", Decimal(20), "1800.00")
    assert (after_three["spent"], after_three["remaining"]) == ("4520.00", "45480.00")
    assert after_three["burnPerWeek"] == [
        {"week": "2026-W06", "amount": "1020.00"},
        {"week": "2026-W07", "amount": "1700.00"},
        {"week": "2026-W08", "amount": "1800.00"},
    ]
    events = [
        e for e in await api.events(budget["id"]) if e.event_type.endswith("SpendRecorded.v1")
    ]
    assert len(events) == 3
    assert {e.metadata["command"] for e in events} == {"AccrueLabour"}
    assert events[2].correlation_id == run["id"]  # the run's id names its events


async def test_a_team_allocation_accrues_per_member_at_their_own_rates(api: Api) -> None:
    team = (await api.team())["id"]
    low = (await api.person(rate="80.00"))["id"]
    high = (await api.person(rate="100.00"))["id"]
    await api.join(team, low, 50)
    await api.join(team, high, 50)
    initiative = allocating.initiative()
    allocation = await allocating.approved(
        api, team=team, starts_on="2026-03-02", ends_on="2026-03-06", hours="10",
        initiative_id=initiative,
    )  # fmt: skip
    budget = await budgeting.budget(api, period="2026-03")
    await budgeting.commit(api, budget["id"], initiative, "5000.00")

    await budgeting.accrue(api, "2026-03-09")
    found = (await api.query(BUDGET, {"id": budget["id"]}))["budget"]
    # 10 h a week is 2 h a day split by the members' team shares (50/50): 5 h each that week.
    assert sorted(labour(found)) == sorted(
        [
            (f"{allocation['id']}/2026-W10/{low}", Decimal(5), "400.00"),
            (f"{allocation['id']}/2026-W10/{high}", Decimal(5), "500.00"),
        ]
    )
    assert found["spent"] == "900.00"


async def test_unfunded_labour_is_reported_with_its_reason_until_a_budget_can_take_it(
    api: Api,
) -> None:
    person = (await api.person(rate="85.00"))["id"]
    initiative = allocating.initiative()
    allocation = await allocating.approved(
        api, person=person, starts_on="2026-04-06", ends_on="2026-04-10", percent=20,
        initiative_id=initiative,
    )  # fmt: skip

    async def reasons() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = (
            await api.query(UNFUNDED, {"asOf": "2026-04-13", "initiative": initiative})
        )["unfundedLabour"]
        return found

    # 20 % of 40 h = 8 h in 2026-W15 at 85 = 680.00.
    line = {
        "initiativeId": initiative,
        "allocationId": allocation["id"],
        "personId": person,
        "teamId": None,
        "week": "2026-W15",
        "hours": "8.00",
        "amount": "680.00",
        "currency": "EUR",
    }
    assert [{**found, "hours": f"{Decimal(found['hours']):.2f}"} for found in await reasons()] == [
        {**line, "reason": "NO_COMMITMENT"}
    ]
    run = await budgeting.accrue(api, "2026-04-13")
    assert allocation["id"] in {found["allocationId"] for found in run["unfunded"]}

    first_quarter = await budgeting.budget(api, period="2026-Q1")
    await budgeting.commit(api, first_quarter["id"], initiative, "1000.00")
    assert [found["reason"] for found in await reasons()] == ["PERIOD_NOT_COVERED"]
    dollars = await budgeting.budget(api, period="2026-Q2", currency="USD")
    await budgeting.commit(api, dollars["id"], initiative, "1000.00")
    assert [found["reason"] for found in await reasons()] == ["CURRENCY_MISMATCH"]
    euros = await budgeting.budget(api, period="2026-04")
    await budgeting.commit(api, euros["id"], initiative, "1000.00")
    assert await reasons() == []

    await budgeting.accrue(api, "2026-04-13")
    charged = (await api.query(BUDGET, {"id": euros["id"]}))["budget"]
    assert labour(charged) == [(f"{allocation['id']}/2026-W15", Decimal(8), "680.00")]
    for other in (first_quarter, dollars):
        assert (await api.query(BUDGET, {"id": other["id"]}))["budget"]["spent"] == "0"
    body = await api.call(UNFUNDED, {"asOf": "2026-04-13"}, role="viewer")
    assert list(graphql_errors(body)) == ["FORBIDDEN"]


async def test_labour_detail_is_shown_only_to_those_who_may_see_the_cost_rate(api: Api) -> None:
    budget, _, person, _ = await funded_allocation(api)
    await budgeting.accrue(api, "2026-03-02")
    await api.ok(
        RECORD_EXPENSE,
        {
            "budgetId": budget["id"],
            "amount": "300.00",
            "currency": "EUR",
            "description": "Training",
            "spentOn": "2026-02-20",
        },
    )
    as_viewer = (await api.query(SPEND, {"id": budget["id"]}, role="viewer"))["budget"]["spend"]
    labour_lines = [line for line in as_viewer if line["kind"] == "LABOUR"]
    assert len(labour_lines) == 3
    assert all(
        (line["hours"], line["description"], line["person"]) == (None, None, None)
        for line in labour_lines
    )
    [expense] = [line for line in as_viewer if line["kind"] == "EXPENSE"]
    assert expense["description"] == "Training"
    as_themself = await api.query(SPEND, {"id": budget["id"]}, role="team_member", subject=person)
    first = as_themself["budget"]["spend"][0]
    assert (Decimal(first["hours"]), first["person"]) == (12, {"id": person})
    assert first["description"] == "12 h in 2026-W06 at 85.00 EUR/h"


async def test_the_initiative_shows_its_spend_funds_and_allocated_hours(api: Api) -> None:
    budget, initiative, _, _ = await funded_allocation(api)
    await budgeting.accrue(api, "2026-03-02")
    await api.ok(
        RECORD_EXPENSE,
        {
            "budgetId": budget["id"],
            "amount": "480.00",
            "currency": "EUR",
            "description": "Cloud",
            "spentOn": "2026-02-25",
            "initiativeId": initiative,
        },
    )
    data = await api.query(
        ENTITY, {"r": [{"__typename": "Initiative", "id": initiative}]}, role="viewer"
    )
    [found] = data["_entities"]
    assert found["spendToDate"] == [{"amount": "5000.00", "currency": "EUR"}]  # 4520 + 480
    assert found["fundsCommitted"] == [{"amount": "10000.00", "currency": "EUR"}]
    # 2026-02-09..17: W07 whole (20 h) and W08 Monday-Tuesday (2/5 of 20 h = 8 h).
    assert Decimal(found["allocatedHours"]) == 28
    capacity = found["allocatedCapacity"]
    assert (capacity["from"], capacity["to"], capacity["allocations"], capacity["people"]) == (
        "2026-02-09",
        "2026-02-17",
        1,
        1,
    )
    assert [(week["week"], Decimal(week["hours"])) for week in capacity["weeks"]] == [
        ("2026-W07", Decimal(20)),
        ("2026-W08", Decimal(8)),
    ]
    assert Decimal(found["allHours"]) == 52  # 12 + 20 + 20 over the whole allocation
    unknown = await api.query(
        ENTITY, {"r": [{"__typename": "Initiative", "id": "initiative-unknown-here"}]}
    )
    assert unknown["_entities"][0]["spendToDate"] == []
    assert Decimal(unknown["_entities"][0]["allHours"]) == 0


async def test_the_worker_accrues_as_of_its_clock_and_stops_when_asked(
    api: Api, resources_app: FastAPI
) -> None:
    budget, _, _, allocation = await funded_allocation(api)
    repository = resources_app.state.runtime.state[REPOSITORY]
    worker = LabourAccrualWorker(
        repository,
        every=timedelta(hours=24),
        clock=lambda: datetime(2026, 2, 11, 8, tzinfo=UTC),  # in W07: only W06 is over
    )
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))

    async def ran() -> bool:
        return worker.runs > 0

    await wait_for(ran, what="one accrual run")
    stop.set()
    await asyncio.wait_for(task, timeout=10)
    found = (await api.query(BUDGET, {"id": budget["id"]}))["budget"]
    assert labour(found) == [(f"{allocation}/2026-W06", Decimal(12), "1020.00")]


async def test_rebuild_gives_identical_budget_tool_and_demand_read_models(
    api: Api, resources_settings: ResourcesSettings, resources_app: FastAPI, kafka_bootstrap: str
) -> None:
    budget, initiative, person, _ = await funded_allocation(api)
    await budgeting.accrue(api, "2026-03-02")  # before the cancellation releases the funds
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        at = datetime(2026, 3, 20, 12, tzinfo=UTC)
        await publish(
            producer,
            resources_settings.topic("portfolio"),
            decided(initiative, "APPROVE", period="2026"),
            moved(initiative, "IMPLEMENTING", "CANCELLED", at),
        )
    finally:
        await producer.stop()
    await settled(resources_settings)
    await budgeting.commit(api, budget["id"], "initiative-other", "55000.00", role="admin",
                           override="Year-end push")  # fmt: skip
    # (the cancellation above released the initiative's own funds: FundsReleased)
    await api.ok(
        budgeting.ADJUST_BUDGET, {"budgetId": budget["id"], "amount": "60000.00", "reason": "Up"}
    )
    tool = await budgeting.tool(api, seats=2)
    leaver = (await api.person())["id"]
    await budgeting.assign(api, tool["id"], person)
    await budgeting.assign(api, tool["id"], leaver)
    await api.ok(budgeting.CHANGE_SEATS, {"toolId": tool["id"], "seats": 3})
    await api.ok(budgeting.REVOKE, {"toolId": tool["id"], "personId": leaver, "reason": ""})
    engine = resources_app.state.runtime.engine
    tables = (*budgets.TABLES, *tools.TABLES, *demand.TABLES)

    async def snapshot() -> list[list[tuple[object, ...]]]:
        async with engine.connect() as conn:
            return [
                [tuple(row) for row in await conn.execute(sa.select(t).order_by(*t.primary_key))]
                for t in tables
            ]

    mine = {
        kind
        for kind, handlers in ROUTES.items()
        if any(handler.__module__ in MODULES for handler in handlers)
    }
    streams = (budget["id"], tool["id"], initiative)
    written = {event.event_type for stream in streams for event in await api.events(stream)}
    assert written == {event_type_of(kind) for kind in mine}, "cover every event type"
    inline = await snapshot()
    assert all(inline), "every table has rows"
    async with engine.begin() as conn:
        await conn.execute(sa.delete(budgets.budget_spend))
        await conn.execute(sa.update(tools.tools).values(assigned=99))
    assert await snapshot() != inline
    await rebuild_read_models(engine, resources_settings.database_schema, progress=False)
    assert await snapshot() == inline
