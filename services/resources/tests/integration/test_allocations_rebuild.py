"""The allocations read models against their events: a rebuild from the event store gives back
exactly the rows the commands wrote, for every allocation event type `project()` routes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from pmo_events.registry import event_type_of
from pmo_resources.projections import ROUTES
from pmo_resources.projections.rebuild import rebuild_read_models
from pmo_resources.projections.tables import READ_MODELS, allocation_overrides, allocations
from pmo_resources.settings import ResourcesSettings
from pmo_service.database import create_engine
from sqlalchemy.ext.asyncio import AsyncEngine

from . import allocating as a
from .conftest import OFFBOARD, Api


@pytest.fixture(scope="module")
async def engine(resources_settings: ResourcesSettings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(resources_settings, application_name="resources-allocation-rebuild")
    yield engine
    await engine.dispose()


async def snapshot(engine: AsyncEngine) -> list[list[tuple[object, ...]]]:
    async with engine.connect() as conn:
        return [
            [tuple(row) for row in await conn.execute(sa.select(t).order_by(*t.primary_key))]
            for t in READ_MODELS
        ]


async def every_kind_of_allocation_event(api: Api) -> list[str]:
    team = (await api.team())["id"]
    person = (await api.person())["id"]
    leaver = (await api.person())["id"]
    await api.join(team, person, 100)
    whole = await a.approved(
        api, team=team, starts_on="2026-02-02", ends_on="2026-03-27", percent=60
    )
    over = await a.request(
        api, person=person, starts_on="2026-02-02", ends_on="2026-02-27", percent=60
    )
    await a.approve(api, over["id"], role="admin", override="Migration weekend")
    await api.ok(
        a.ADJUST,
        {
            "allocationId": whole["id"],
            "startsOn": "2026-02-09",
            "endsOn": "2026-03-27",
            "hoursPerWeek": "10",
        },
    )
    await api.ok(
        a.RELEASE, {"allocationId": whole["id"], "reason": "Done", "releasedFrom": "2026-03-02"}
    )
    turned_down = await a.request(
        api, person=person, starts_on="2026-04-06", ends_on="2026-04-10", percent=5
    )
    await api.ok(a.REJECT, {"allocationId": turned_down["id"], "reason": "Later"})
    leaving = await a.approved(
        api, person=leaver, starts_on="2026-02-02", ends_on="2026-06-26", percent=50
    )
    await api.ok(OFFBOARD, {"personId": leaver, "reason": "Left", "lastDay": "2026-03-31"})
    return [whole["id"], over["id"], turned_down["id"], leaving["id"]]


async def test_rebuild_gives_identical_allocation_read_models(
    api: Api, engine: AsyncEngine, resources_settings: ResourcesSettings
) -> None:
    streams = await every_kind_of_allocation_event(api)
    written = {event.event_type for stream in streams for event in await api.events(stream)}
    routed = {
        event_type_of(kind)
        for kind, handlers in ROUTES.items()
        if any(handler.__module__.endswith(".allocations") for handler in handlers)
    }
    assert written == routed, "cover every allocation event type"
    inline = await snapshot(engine)
    whole, over, *_ = streams
    async with engine.begin() as conn:
        await conn.execute(
            sa.delete(allocation_overrides).where(allocation_overrides.c.allocation_id == over)
        )
        await conn.execute(
            sa.update(allocations).where(allocations.c.id == whole).values(active_until=None)
        )
    assert await snapshot(engine) != inline

    await rebuild_read_models(engine, resources_settings.database_schema, progress=False)

    assert await snapshot(engine) == inline
    async with engine.connect() as conn:
        row = (await conn.execute(sa.select(allocations).where(allocations.c.id == whole))).one()
    assert (row.status, str(row.active_until), row.hours_per_week) == ("RELEASED", "2026-03-01", 10)
