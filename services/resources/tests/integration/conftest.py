"""Fixtures of the resources integration tests: the resources app in-process, on the real Postgres
and Kafka, and `Api`, a small GraphQL client with builders for the usual set-ups.

Every builder goes through the mutations, so the set-ups themselves exercise the write path.
Names and e-mails are fresh per call: tests sharing the session's database never see each
other's data.
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
from pmo_resources.service import definition
from pmo_resources.settings import ResourcesSettings
from pmo_service.app import create_app

from tests.platform import bearer

from .reacting import settled

START = "2026-01-05"  # a Monday

PERSON_FIELDS = (
    "id name email title homeTeamId startsOn offboarded lastDay version weeklyCapacityHours "
    "costRate { amount currency effectiveFrom } skills { skill level } "
    "teams { teamId percent joinedOn leftOn current }"
)
TEAM_FIELDS = (
    "id name topology valueStream disbanded disbandedOn version "
    "members(includeFormer: true) { personId percent joinedOn leftOn current } "
    "plannedCapacity { label startsOn endsOn capacityHours } tools { toolId }"
)

ONBOARD = f"""mutation($input: OnboardPersonInput!) {{
  onboardPerson(input: $input) {{ {PERSON_FIELDS} }} }}"""
ASSESS = f"""mutation($input: AssessSkillInput!) {{
  assessSkill(input: $input) {{ {PERSON_FIELDS} }} }}"""
CHANGE_CAPACITY = f"""mutation($input: ChangeCapacityInput!) {{
  changeCapacity(input: $input) {{ {PERSON_FIELDS}
    capacityHistory {{ effectiveFrom weeklyCapacityHours }} }} }}"""
CHANGE_RATE = f"""mutation($input: ChangeCostRateInput!) {{
  changeCostRate(input: $input) {{ {PERSON_FIELDS}
    costRateHistory {{ amount currency effectiveFrom }} }} }}"""
OFFBOARD = f"""mutation($input: OffboardPersonInput!) {{
  offboardPerson(input: $input) {{ {PERSON_FIELDS} }} }}"""
FORM_TEAM = (
    f"""mutation($input: FormTeamInput!) {{ formTeam(input: $input) {{ {TEAM_FIELDS} }} }}"""
)
ADD_MEMBER = f"""mutation($input: AddTeamMemberInput!) {{
  addTeamMember(input: $input) {{ {TEAM_FIELDS} }} }}"""
REMOVE_MEMBER = f"""mutation($input: RemoveTeamMemberInput!) {{
  removeTeamMember(input: $input) {{ {TEAM_FIELDS} }} }}"""
PLAN_CAPACITY = f"""mutation($input: PlanTeamCapacityInput!) {{
  planTeamCapacity(input: $input) {{ {TEAM_FIELDS} }} }}"""
ADOPT_TOOL = (
    f"""mutation($input: AdoptToolInput!) {{ adoptTool(input: $input) {{ {TEAM_FIELDS} }} }}"""
)
DISBAND = f"""mutation($input: DisbandTeamInput!) {{
  disbandTeam(input: $input) {{ {TEAM_FIELDS} }} }}"""


def tag() -> str:
    return uuid.uuid4().hex[:8]


class Api:
    """GraphQL calls as one role or another, plus the event store to check what was written."""

    def __init__(
        self, client: httpx.AsyncClient, settings: ResourcesSettings, store: PostgresEventStore
    ) -> None:
        self.client = client
        self.settings = settings
        self.store = store

    async def call(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        role: str = "resource_manager",
        subject: str = "test-user",
    ) -> dict[str, Any]:
        response = await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers=bearer(self.settings, role, subject=subject),
        )
        body: dict[str, Any] = response.json()
        return body

    async def ok(
        self, query: str, input: dict[str, Any], *, role: str = "resource_manager", **kw: Any
    ) -> dict[str, Any]:
        """Run a mutation with `input` that must succeed; its answer."""
        body = await self.call(query, {"input": input}, role=role, **kw)
        assert not body.get("errors"), body
        [answer] = body["data"].values()
        assert isinstance(answer, dict)
        return answer

    async def query(
        self, query: str, variables: dict[str, Any] | None = None, **kw: Any
    ) -> dict[str, Any]:
        """Run a query that must succeed; its data."""
        body = await self.call(query, variables, **kw)
        assert not body.get("errors"), body
        data: dict[str, Any] = body["data"]
        return data

    async def head(self) -> int:
        return await self.store.head_position()

    async def events(self, stream_id: str) -> list[StoredEvent]:
        return await self.store.load(stream_id)

    # --- builders --------------------------------------------------------------------------------

    async def person(
        self,
        name: str | None = None,
        *,
        email: str | None = None,
        hours: str = "40",
        rate: str = "85.00",
        starts_on: str = START,
        **extra: Any,
    ) -> dict[str, Any]:
        """A fresh person (unique name and e-mail unless given)."""
        unique = tag()
        return await self.ok(
            ONBOARD,
            {
                "name": name or f"Person {unique}",
                "email": email or f"person.{unique}@example.com",
                "title": "Engineer",
                "weeklyCapacityHours": hours,
                "costRate": rate,
                "currency": "EUR",
                "startsOn": starts_on,
                **extra,
            },
        )

    async def team(self, name: str | None = None, **extra: Any) -> dict[str, Any]:
        return await self.ok(
            FORM_TEAM,
            {
                "name": name or f"Team {tag()}",
                "topology": "STREAM_ALIGNED",
                "valueStream": "Payments",
                **extra,
            },
        )

    async def join(
        self, team_id: str, person_id: str, percent: int, joined_on: str = START
    ) -> dict[str, Any]:
        return await self.ok(
            ADD_MEMBER,
            {"teamId": team_id, "personId": person_id, "percent": percent, "joinedOn": joined_on},
        )

    async def assess(self, person_id: str, skill: str, level: int) -> dict[str, Any]:
        return await self.ok(ASSESS, {"personId": person_id, "skill": skill, "level": level})


@pytest.fixture(scope="session")
async def resources_app(resources_settings: ResourcesSettings) -> AsyncIterator[FastAPI]:
    application = create_app(definition, resources_settings)
    async with application.router.lifespan_context(application):
        # The portfolio reactions first catch up with what the session's portfolio tests
        # published: their events must not land in the middle of a test that counts events.
        await settled(resources_settings)
        yield application


@pytest.fixture
async def api(resources_app: FastAPI, resources_settings: ResourcesSettings) -> AsyncIterator[Api]:
    transport = httpx.ASGITransport(app=resources_app)
    store = PostgresEventStore(
        resources_app.state.runtime.engine, resources_settings.database_schema
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://resources") as client:
        yield Api(client, resources_settings, store)
