"""Reactions to the portfolio through the real Kafka: portfolio CloudEvents published on the
session's portfolio topic (as portfolio's relay publishes them) are consumed by the running
resources service, which opens and closes demand, releases allocations and funds, as events of
its own streams."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from pmo_resources.app.reactions import PROJECTOR_NAME, REACTION_ACTOR
from pmo_resources.settings import ResourcesSettings

from tests.platform import wait_for

from . import allocating, budgeting
from .conftest import Api
from .reacting import CORRELATION, decided, moved, proposed_v1, publish, settled

DEMAND = """query($id: ID!) { demand(initiativeId: $id) {
  initiativeId title portfolioId period approvedAmount currency status closure version
  staffingStatus staffedHours approvedAllocations requestedAllocations
  initiative { id } } }"""
ENTITIES = """query($r: [_Any!]!) { _entities(representations: $r) { ... on Initiative {
  id staffingStatus demand { status }
  fundsCommitted { amount currency } spendToDate { amount currency } } } }"""


@pytest.fixture(scope="module")
async def producer(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    yield producer
    await producer.stop()


@pytest.fixture
def topic(resources_settings: ResourcesSettings) -> str:
    return resources_settings.topic("portfolio")


def initiative() -> str:
    return f"initiative-{uuid.uuid4().hex[:8]}"


async def demand_of(api: Api, initiative_id: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = (await api.query(DEMAND, {"id": initiative_id}))["demand"]
    return found


async def entity(api: Api, initiative_id: str) -> dict[str, Any]:
    data = await api.query(
        ENTITIES, {"r": [{"__typename": "Initiative", "id": initiative_id}]}, role="viewer"
    )
    [found] = data["_entities"]
    assert isinstance(found, dict)
    return found


async def test_an_approval_opens_an_unstaffed_demand_line_once_even_if_delivered_twice(
    api: Api,
    producer: AIOKafkaProducer,
    topic: str,
    resources_settings: ResourcesSettings,
    resources_app: FastAPI,
) -> None:
    initiative_id = initiative()
    approval = decided(initiative_id, "APPROVE")
    await publish(producer, topic, proposed_v1(initiative_id, "Instant payments"), approval)

    async def titled() -> dict[str, Any] | None:
        found = await demand_of(api, initiative_id)
        return found if found is not None and found["title"] is not None else None

    line = await wait_for(titled, what="the demand line with its title")
    assert line == {
        "initiativeId": initiative_id,
        "title": "Instant payments",  # from a v1 proposal, upcast
        "portfolioId": "portfolio-retail",
        "period": "2030-Q1",
        "approvedAmount": "250000.00",
        "currency": "EUR",
        "status": "OPEN",
        "closure": None,
        "version": 1,
        "staffingStatus": "UNSTAFFED",
        "staffedHours": "0",  # nothing promised yet
        "approvedAllocations": 0,
        "requestedAllocations": 0,
        "initiative": {"id": initiative_id},
    }
    [opened] = await api.events(initiative_id)
    assert opened.event_type == "pmo.resources.DemandOpened.v1"
    assert opened.stream_type == "Demand"
    assert opened.data["source_event_id"] == str(approval.event_id)
    assert opened.causation_id == str(approval.event_id)
    assert opened.correlation_id == CORRELATION
    assert opened.metadata["actor"] == REACTION_ACTOR

    head = await api.head()
    await publish(producer, topic, approval)  # at-least-once: the same record again
    await settled(resources_settings)
    assert await api.head() == head
    assert len(await api.events(initiative_id)) == 1
    async with resources_app.state.runtime.engine.connect() as conn:
        tracked = await conn.scalar(
            sa.text(
                "select count(*) from projection_tracking where projector = :p and event_id = :e"
            ),
            {"p": PROJECTOR_NAME, "e": approval.event_id},
        )
    assert tracked == 1


async def test_a_cancellation_releases_the_allocations_rejects_requests_and_frees_the_funds(
    api: Api, producer: AIOKafkaProducer, topic: str, resources_settings: ResourcesSettings
) -> None:
    initiative_id = initiative()
    person = (await api.person())["id"]
    running = await allocating.approved(
        api,
        person=person,
        starts_on="2026-11-02",
        ends_on="2027-01-29",
        percent=50,
        initiative_id=initiative_id,
    )
    waiting = await allocating.request(
        api, person=person, starts_on="2027-02-01", ends_on="2027-02-26", percent=20,
        initiative_id=initiative_id,
    )  # fmt: skip
    budget = await budgeting.budget(api, period="2026", amount="500000.00")
    await budgeting.commit(api, budget["id"], initiative_id, "120000.00")
    await publish(producer, topic, decided(initiative_id, "APPROVE", period="2027"))
    await wait_for(lambda: demand_of(api, initiative_id), what="the demand line")
    assert (await entity(api, initiative_id))["staffingStatus"] == "PARTIALLY_STAFFED"

    cancel = moved(
        initiative_id, "IMPLEMENTING", "CANCELLED", datetime(2026, 12, 15, 10, tzinfo=UTC)
    )
    await publish(producer, topic, cancel)

    async def closed() -> dict[str, Any] | None:
        found = await demand_of(api, initiative_id)
        return found if found is not None and found["status"] == "CLOSED" else None

    line = await wait_for(closed, what="the demand closed")
    assert line["closure"] == "INITIATIVE_CANCELLED"
    assert line["staffingStatus"] == "RELEASED"
    released = (await api.query(allocating.ALLOCATION, {"id": running["id"]}))["allocation"]
    assert released["status"] == "RELEASED"
    assert released["releasedFrom"] == "2026-12-16"  # the day after the last day worked
    assert released["releaseCause"] == "INITIATIVE_CANCELLED"
    assert released["activeUntil"] == "2026-12-15"
    rejected = (await api.query(allocating.ALLOCATION, {"id": waiting["id"]}))["allocation"]
    assert rejected["status"] == "REJECTED"
    funds = (await api.query(budgeting.BUDGET, {"id": budget["id"]}))["budget"]
    assert funds["commitments"] == []
    assert funds["committed"] == "0"

    # Every release is an event of resources' own streams, caused by the portfolio's move.
    caused = [
        event
        for stream in (initiative_id, running["id"], waiting["id"], budget["id"])
        for event in await api.events(stream)
        if event.causation_id == str(cancel.event_id)
    ]
    assert sorted(event.event_type.split(".")[2] for event in caused) == [
        "AllocationRejected",
        "AllocationReleased",
        "DemandClosed",
        "FundsReleased",
    ]
    assert {event.correlation_id for event in caused} == {CORRELATION}
    assert (await entity(api, initiative_id)) == {
        "id": initiative_id,
        "staffingStatus": "RELEASED",
        "demand": {"status": "CLOSED"},
        "fundsCommitted": [],
        "spendToDate": [],
    }

    # A replay (a new copy of the move: the tracking table cannot recognise it) changes nothing.
    head = await api.head()
    replay = moved(
        initiative_id, "IMPLEMENTING", "CANCELLED", datetime(2026, 12, 15, 10, tzinfo=UTC)
    )
    await publish(producer, topic, cancel, replay)
    await settled(resources_settings)
    assert await api.head() == head


async def test_done_releases_the_allocations_but_keeps_the_funds(
    api: Api, producer: AIOKafkaProducer, topic: str, resources_settings: ResourcesSettings
) -> None:
    initiative_id = initiative()
    person = (await api.person())["id"]
    await allocating.approved(
        api, person=person, starts_on="2026-09-07", ends_on="2027-03-26", percent=20,
        initiative_id=initiative_id,
    )  # fmt: skip
    budget = await budgeting.budget(api, period="2026", amount="90000.00")
    await budgeting.commit(api, budget["id"], initiative_id, "40000.00")
    await publish(
        producer,
        topic,
        decided(initiative_id, "APPROVE", period="2026"),
        moved(initiative_id, "IMPLEMENTING", "DONE", datetime(2026, 11, 20, 16, tzinfo=UTC)),
    )
    await settled(resources_settings)

    line = await demand_of(api, initiative_id)
    assert line is not None
    assert (line["status"], line["closure"]) == ("CLOSED", "INITIATIVE_DONE")
    funds = await entity(api, initiative_id)
    assert funds["fundsCommitted"] == [{"amount": "40000.00", "currency": "EUR"}]
    allocations = await api.query(
        """query($f: AllocationFilter) { allocations(filter: $f) {
          edges { node { status activeUntil releaseCause } } } }""",
        {"f": {"initiativeId": initiative_id}},
    )
    [node] = [edge["node"] for edge in allocations["allocations"]["edges"]]
    assert node == {
        "status": "RELEASED",
        "activeUntil": "2026-11-20",
        "releaseCause": "INITIATIVE_DONE",
    }


async def test_a_rejection_after_approval_withdraws_the_demand_and_a_new_approval_reopens_it(
    api: Api, producer: AIOKafkaProducer, topic: str, resources_settings: ResourcesSettings
) -> None:
    initiative_id = initiative()
    first = decided(initiative_id, "APPROVE")
    await publish(producer, topic, first, decided(initiative_id, "DEFER"))
    await settled(resources_settings)
    line = await demand_of(api, initiative_id)
    assert line is not None
    assert (line["status"], line["closure"]) == ("CLOSED", "APPROVAL_WITHDRAWN")

    await publish(producer, topic, decided(initiative_id, "APPROVE", amount="300000.00"), first)
    await settled(resources_settings)
    line = await demand_of(api, initiative_id)
    assert line is not None
    # Re-opened by the new approval; the replayed old approval did not re-open it a second time.
    assert (line["status"], line["approvedAmount"], line["version"]) == ("OPEN", "300000.00", 3)


async def test_staffing_follows_the_approved_allocations_over_the_demand_period(
    api: Api, producer: AIOKafkaProducer, topic: str, resources_settings: ResourcesSettings
) -> None:
    initiative_id = initiative()
    await publish(producer, topic, decided(initiative_id, "APPROVE", period="2030-Q1"))
    await wait_for(lambda: demand_of(api, initiative_id), what="the demand line")
    person = (await api.person())["id"]
    # 2030-Q1 is ISO weeks 2030-W01 (Monday 2029-12-31) to 2030-W13 (Monday 2030-03-25).
    await allocating.approved(
        api, person=person, starts_on="2030-01-02", ends_on="2030-02-15", percent=50,
        initiative_id=initiative_id,
    )  # fmt: skip
    assert (await entity(api, initiative_id))["staffingStatus"] == "PARTIALLY_STAFFED"
    await allocating.approved(
        api, person=person, starts_on="2030-02-18", ends_on="2030-03-29", percent=50,
        initiative_id=initiative_id,
    )  # fmt: skip
    assert (await entity(api, initiative_id))["staffingStatus"] == "STAFFED"
    line = await demand_of(api, initiative_id)
    assert line is not None
    assert line["approvedAllocations"] == 2
    # 40 h at 50 %: W01 Wednesday-Friday 3 days (12 h), W02-W07 full (20 h each), then
    # W08-W13 full (20 h each): 12 + 6 x 20 + 6 x 20.
    assert Decimal(line["staffedHours"]) == 252


async def test_demand_lines_are_listed_newest_first_by_status_a_page_at_a_time(
    api: Api, producer: AIOKafkaProducer, topic: str, resources_settings: ResourcesSettings
) -> None:
    portfolio = f"portfolio-{uuid.uuid4().hex[:8]}"
    opened = [initiative() for _ in range(3)]
    for initiative_id in opened:
        approval = decided(initiative_id, "APPROVE")
        approval.data["portfolio_id"] = portfolio
        await publish(producer, topic, approval)
    await publish(producer, topic, decided(opened[0], "REJECT"))
    await settled(resources_settings)
    listing = """query($p: ID, $s: DemandStatus, $first: Int, $after: String) {
      demands(portfolioId: $p, status: $s, first: $first, after: $after) {
        edges { node { initiativeId status openedAt } } pageInfo { hasNextPage endCursor } } }"""

    first = (await api.query(listing, {"p": portfolio, "first": 2}))["demands"]
    rest = (
        await api.query(
            listing, {"p": portfolio, "first": 2, "after": first["pageInfo"]["endCursor"]}
        )
    )["demands"]
    nodes = [edge["node"] for page in (first, rest) for edge in page["edges"]]
    assert {node["initiativeId"] for node in nodes} == set(opened)
    keys = [(node["openedAt"], node["initiativeId"]) for node in nodes]
    assert keys == sorted(keys, reverse=True)  # the newest opening first
    assert [first["pageInfo"]["hasNextPage"], rest["pageInfo"]["hasNextPage"]] == [True, False]
    still_open = (await api.query(listing, {"p": portfolio, "s": "OPEN"}))["demands"]
    assert [edge["node"]["initiativeId"] for edge in still_open["edges"]] == [
        node["initiativeId"] for node in nodes if node["initiativeId"] != opened[0]
    ]
