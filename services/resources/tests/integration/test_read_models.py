"""The people and teams read models against their events: a rebuild from the event store gives
back exactly the rows the commands wrote, for every event type `project()` routes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from pmo_events.registry import event_type_of
from pmo_resources.projections import ROUTES
from pmo_resources.projections.rebuild import rebuild_read_models
from pmo_resources.projections.tables import READ_MODELS, people, team_members, teams
from pmo_resources.settings import ResourcesSettings
from pmo_service.database import create_engine
from sqlalchemy.ext.asyncio import AsyncEngine

from .conftest import (
    ADOPT_TOOL,
    CHANGE_CAPACITY,
    CHANGE_RATE,
    DISBAND,
    OFFBOARD,
    PLAN_CAPACITY,
    REMOVE_MEMBER,
    START,
    Api,
)


@pytest.fixture(scope="module")
async def engine(resources_settings: ResourcesSettings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(resources_settings, application_name="resources-read-model-tests")
    yield engine
    await engine.dispose()


async def snapshot(engine: AsyncEngine) -> list[list[tuple[object, ...]]]:
    async with engine.connect() as conn:
        return [
            [tuple(row) for row in await conn.execute(sa.select(t).order_by(*t.primary_key))]
            for t in READ_MODELS
        ]


async def every_kind_of_event(api: Api) -> list[str]:
    """Streams whose events, together, cover every event type of people and teams."""
    team = (await api.team())["id"]
    other = (await api.team())["id"]
    person = (await api.person(homeTeamId=team))["id"]
    leaver = (await api.person())["id"]
    await api.assess(person, "Python", 4)
    await api.ok(
        CHANGE_CAPACITY,
        {"personId": person, "weeklyCapacityHours": "30", "effectiveFrom": "2026-03-02"},
    )
    await api.ok(
        CHANGE_RATE,
        {"personId": person, "costRate": "91.25", "currency": "EUR", "effectiveFrom": START},
    )
    await api.join(team, person, 60)
    await api.join(other, person, 40)
    await api.ok(REMOVE_MEMBER, {"teamId": other, "personId": person, "leftOn": "2026-05-29"})
    await api.join(other, person, 40, joined_on="2026-06-01")  # rejoins: a second row
    await api.join(team, leaver, 100)
    await api.ok(OFFBOARD, {"personId": leaver, "reason": "Left", "lastDay": "2026-04-30"})
    await api.ok(
        PLAN_CAPACITY,
        {
            "teamId": team,
            "label": "I1",
            "startsOn": START,
            "endsOn": "2026-01-16",
            "capacityHours": "300",
        },
    )
    await api.ok(ADOPT_TOOL, {"teamId": team, "toolId": "tool-git"})
    await api.ok(DISBAND, {"teamId": other, "reason": "Merged", "disbandedOn": "2030-01-01"})
    return [team, other, person, leaver]


async def test_rebuild_gives_identical_read_models(
    api: Api, engine: AsyncEngine, resources_settings: ResourcesSettings
) -> None:
    streams = await every_kind_of_event(api)
    written = {event.event_type for stream in streams for event in await api.events(stream)}
    # Every event type the people and teams read models project (each slice's own rebuild test,
    # e.g. test_allocations_rebuild.py, covers its events).
    people_and_teams = {
        event_type_of(kind)
        for kind, handlers in ROUTES.items()
        if any(handler.__module__.endswith((".people", ".teams")) for handler in handlers)
    }
    assert written == people_and_teams, "cover every event type of people and teams"
    inline = await snapshot(engine)
    team, other, person, _ = streams
    # Damage the read models: the rebuild must put every row back as it was.
    async with engine.begin() as conn:
        await conn.execute(sa.delete(people).where(people.c.id == person))
        await conn.execute(sa.update(teams).where(teams.c.id == team).values(name="damaged"))
        await conn.execute(sa.delete(team_members).where(team_members.c.team_id == other))
    assert await snapshot(engine) != inline

    applied = await rebuild_read_models(engine, resources_settings.database_schema, progress=False)

    async with engine.connect() as conn:
        stored = await conn.scalar(sa.select(sa.func.count()).select_from(api.store.tables.events))
    assert applied == stored
    assert await snapshot(engine) == inline


async def test_membership_rows_keep_every_joining(api: Api, engine: AsyncEngine) -> None:
    team = (await api.team())["id"]
    person = (await api.person())["id"]
    await api.join(team, person, 50)
    await api.ok(REMOVE_MEMBER, {"teamId": team, "personId": person, "leftOn": "2026-02-27"})
    await api.join(team, person, 30, joined_on="2026-03-02")
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.select(team_members.c.joined_on, team_members.c.percent, team_members.c.left_on)
            .where(team_members.c.team_id == team)
            .order_by(team_members.c.joined_on)
        )
        found = [
            (str(joined), percent, str(left) if left else None) for joined, percent, left in rows
        ]
    assert found == [(START, 50, "2026-02-27"), ("2026-03-02", 30, None)]
