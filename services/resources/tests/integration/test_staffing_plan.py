"""The staffing plan through the API: open demand in approval order, matched week by week against
free capacity; requested allocations and stated needs; skills; whole lines or nothing; the
demand's period; reasons.

Demand lines are opened with the Demand aggregate through the service's repository (the path
from the portfolio's approvals through Kafka is the reaction tests'). The horizon is 2027-W01 ..
2027-W08 (2027-01-04 is a Monday).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from pmo_resources.api.deps import REPOSITORY
from pmo_resources.app.repository import Repository
from pmo_resources.domain.demand import Demand, DemandOpening

from tests.platform import graphql_errors

from . import allocating as a
from .conftest import Api, tag

PLAN = """query($needs: [StaffingNeedInput!]) {
  staffingPlan(from: "2027-01-06", weeks: 8, needs: $needs) {
    horizon
    lines { rank initiativeId period status staffedFrom
      needs { key source allocationId personId teamId skill minLevel weeks earliestWeek placed
              assignedTeam { id } assignedPerson { id } firstWeek lastWeek reason } } } }"""


async def open_demand(app: FastAPI, period: str | None = None) -> str:
    repository: Repository = app.state.runtime.state[REPOSITORY]
    initiative_id = f"initiative-{uuid.uuid4().hex[:8]}"
    demand = Demand(id=initiative_id)
    demand.open(
        DemandOpening("portfolio-staffing", period, None, None),
        source_event_id=str(uuid.uuid4()),
        now=datetime.now(UTC),
    )
    await repository.save(demand, metadata={"actor": "test", "command": "OpenDemand"})
    return initiative_id


def lines_of(plan: dict[str, Any], *initiatives: str) -> list[dict[str, Any]]:
    by_id = {line["initiativeId"]: line for line in plan["lines"]}
    return [by_id[initiative] for initiative in initiatives]


async def test_demand_is_planned_in_approval_order_against_free_capacity(
    api: Api, resources_app: FastAPI
) -> None:
    skill = f"kotlin {tag()}"
    t1 = (await api.team(name=f"Alpha squad {tag()}"))["id"]
    t2 = (await api.team())["id"]
    ann = (await api.person(name=f"Ann {tag()}"))["id"]
    bob = (await api.person())["id"]
    await api.join(t1, ann, 100)
    await api.join(t2, bob, 100)
    await api.assess(ann, skill, 4)
    await api.assess(bob, skill, 2)
    # Ann is half taken in W01 and W02.
    await a.approved(api, person=ann, starts_on="2027-01-04", ends_on="2027-01-15", percent=50)

    d1 = await open_demand(resources_app)
    d2 = await open_demand(resources_app)
    d3 = await open_demand(resources_app, period="2027-Q1")
    d4 = await open_demand(resources_app, period="2027-02")
    d5 = await open_demand(resources_app)
    bob_ask = await a.request(
        api, person=bob, starts_on="2027-01-04", ends_on="2027-01-29", percent=50, initiative_id=d2
    )
    needs = [
        # D1: 30 h/week for 3 weeks with the skill at 3+: only T1 (Ann, level 4); Ann has 20 h
        # free in W01-W02, so W03-W05.
        {
            "initiativeId": d1,
            "weeks": 3,
            "hoursPerWeek": "30",
            "skill": skill.upper(),
            "minLevel": 3,
        },
        # D2: level 5 exists nowhere: the whole line fails and keeps nothing (Bob stays free).
        {"initiativeId": d2, "weeks": 1, "percent": 10, "skill": skill, "minLevel": 5},
        # D3: T1 at 20 h/week for 2 weeks fits in W01-W02 (Ann's 20 h free), before D1's weeks.
        {"initiativeId": d3, "weeks": 2, "hoursPerWeek": "20", "teamId": t1},
        # D4: all of Bob for 2 weeks, not before its period (February 2027: from W05).
        {"initiativeId": d4, "weeks": 2, "percent": 100, "teamId": t2},
    ]
    plan = (await api.query(PLAN, {"needs": needs}))["staffingPlan"]

    assert plan["horizon"][0] == "2027-W01"
    assert plan["horizon"][-1] == "2027-W08"
    first, second, third, fourth, fifth = lines_of(plan, d1, d2, d3, d4, d5)
    assert first["rank"] < second["rank"] < third["rank"] < fourth["rank"] < fifth["rank"]

    assert (first["status"], first["staffedFrom"]) == ("STAFFABLE", "2027-W03")
    [need] = first["needs"]
    assert (need["source"], need["skill"], need["minLevel"]) == ("STATED", skill, 3)
    assert need["assignedTeam"] == {"id": t1}
    assert (need["firstWeek"], need["lastWeek"]) == ("2027-W03", "2027-W05")

    assert (second["status"], second["staffedFrom"]) == ("NOT_STAFFABLE", None)
    requested, stated = second["needs"]
    assert (requested["source"], requested["allocationId"]) == (
        "REQUESTED_ALLOCATION",
        bob_ask["id"],
    )
    assert (requested["personId"], requested["weeks"], requested["placed"]) == (bob, 4, False)
    assert requested["reason"] == "not reserved: another need of this initiative cannot be staffed"
    assert stated["reason"].startswith(
        f"no team has a member with skill '{skill}' at level 5 or above (the best is level 4 in "
        "Alpha squad"
    )

    assert (third["status"], third["staffedFrom"], third["period"]) == (
        "STAFFABLE",
        "2027-W01",
        "2027-Q1",
    )
    assert fourth["needs"][0]["earliestWeek"] == "2027-W05"
    assert fourth["needs"][0]["assignedTeam"] == {"id": t2}
    assert (fourth["status"], fourth["staffedFrom"]) == ("STAFFABLE", "2027-W05")
    assert (fifth["status"], fifth["needs"]) == ("NOTHING_TO_PLAN", [])


async def test_a_requested_allocation_is_placed_on_its_person_and_reasons_name_the_shortfall(
    api: Api, resources_app: FastAPI
) -> None:
    cara = await api.person(name=f"Cara {tag()}", hours="32")
    await a.approved(
        api, person=cara["id"], starts_on="2027-01-04", ends_on="2027-02-05", percent=75
    )
    fits = await open_demand(resources_app)
    never = await open_demand(resources_app)
    # 25 % of 32 h is 8 h: Cara has 8 h free in W01-W05 -> placed where asked.
    await a.request(
        api,
        person=cara["id"],
        starts_on="2027-01-04",
        ends_on="2027-01-15",
        percent=25,
        initiative_id=fits,
    )
    # 8 weeks at 50 % (16 h) from W01: `fits` took her last 8 h of W01 (and W02).
    await a.request(
        api,
        person=cara["id"],
        starts_on="2027-01-04",
        ends_on="2027-02-26",
        percent=50,
        initiative_id=never,
    )
    plan = (await api.query(PLAN, {"needs": []}))["staffingPlan"]
    placed, refused = lines_of(plan, fits, never)
    assert placed["status"] == "STAFFABLE"
    assert placed["needs"][0]["assignedPerson"] == {"id": cara["id"]}
    assert (placed["needs"][0]["firstWeek"], placed["needs"][0]["lastWeek"]) == (
        "2027-W01",
        "2027-W02",
    )
    assert refused["status"] == "NOT_STAFFABLE"
    assert refused["needs"][0]["reason"] == (
        "not free for 8 consecutive weeks between 2027-W01 and 2027-W08: in 2027-W01, "
        f"{cara['name']} would ask 16 h of {cara['name']}, who has 0 h free"
    )


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"weeks": 0}, "weeks must be between 1 and 104"),
        ({"percent": 120}, "percent"),
        ({"percent": None}, "exactly one of percent"),
        ({"skill": "go", "teamId": "t"}, "give a skill or a teamId, not both"),
        ({"minLevel": 3}, "minLevel needs a skill"),
        ({"initiativeId": "never-approved"}, "has no open demand"),
    ],
)
async def test_bad_needs(
    api: Api, resources_app: FastAPI, change: dict[str, Any], fragment: str
) -> None:
    initiative = await open_demand(resources_app)
    need = {"initiativeId": initiative, "weeks": 2, "percent": 50, **change}
    body = await api.call(PLAN, {"needs": [{k: v for k, v in need.items() if v is not None}]})
    assert list(graphql_errors(body)) == ["BAD_USER_INPUT"], body
    assert fragment in body["errors"][0]["message"]
