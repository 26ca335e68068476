"""GraphQL types of the resources subgraph, read from the read models (pmo_resources.projections).

It owns the `Person` and `Team` entities (`@key(fields: "id")`). Dates default to today (UTC)
where a value depends on the day (`weeklyCapacityHours(on:)`, `costRate(on:)`, current members).

Cost rates are visible to resource managers, the PMO and admins, and to the person themself (a
token whose subject is their id or e-mail); for anyone else `costRate` and `costRateHistory` are
null. A non-null reference whose row is missing (a read model behind its events) is NOT_FOUND,
with the fix (rebuild the read models) in the message.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Self

import strawberry
from pmo_events.errors import NotFound
from strawberry.types import Info

from pmo_resources.api.deps import batched, may_see_cost_of
from pmo_resources.domain.events import TeamTopology as DomainTopology
from pmo_resources.projections import people, teams
from pmo_resources.projections.people import CapacityRow, PersonRow, RateRow, SkillRow
from pmo_resources.projections.teams import MemberRow, PlanRow, TeamRow, ToolRow

if TYPE_CHECKING:
    from pmo_resources.api.allocations import Allocation
    from pmo_resources.api.tools import Licence
    from pmo_resources.domain.allocation import AllocationStatus  # as the GraphQL enum wraps it

# api/allocations.py imports this module: its types are referenced lazily.
AllocationRef = Annotated["Allocation", strawberry.lazy("pmo_resources.api.allocations")]
AllocationStatusRef = Annotated[
    "AllocationStatus", strawberry.lazy("pmo_resources.api.allocations")
]
LicenceRef = Annotated["Licence", strawberry.lazy("pmo_resources.api.tools")]

TeamTopology = strawberry.enum(
    DomainTopology,
    name="TeamTopology",
    description="Team Topologies' four team types.",
)


def today() -> date:
    return datetime.now(UTC).date()


# --- loading -----------------------------------------------------------------------------------


async def load_person(info: Info, person_id: str) -> PersonRow | None:
    row: PersonRow | None = await batched(info, "people", people.by_ids).load(person_id)
    return row


async def load_team(info: Info, team_id: str) -> TeamRow | None:
    row: TeamRow | None = await batched(info, "teams", teams.by_ids).load(team_id)
    return row


async def require_person(info: Info, person_id: str) -> Person:
    row = await load_person(info, person_id)
    if row is None:
        raise NotFound(
            f"person {person_id!r} is referenced but missing from the read model: "
            "run `pmo-resources rebuild-projections`"
        )
    return Person.from_row(row)


async def require_team(info: Info, team_id: str) -> Team:
    row = await load_team(info, team_id)
    if row is None:
        raise NotFound(
            f"team {team_id!r} is referenced but missing from the read model: "
            "run `pmo-resources rebuild-projections`"
        )
    return Team.from_row(row)


# --- small value types -------------------------------------------------------------------------


@strawberry.type(description="A person's assessed level in a skill (1 novice .. 5 expert).")
class SkillLevel:
    skill: str = strawberry.field(description="The skill's name, normalised (lower case).")
    level: int
    assessed_by: str
    assessed_at: datetime

    @classmethod
    def from_row(cls, row: SkillRow) -> Self:
        return cls(
            skill=row.skill,
            level=row.level,
            assessed_by=row.assessed_by,
            assessed_at=row.assessed_at,
        )


@strawberry.type(description="A person's weekly capacity from a date on.")
class CapacityChange:
    effective_from: date
    weekly_capacity_hours: Decimal
    changed_by: str
    changed_at: datetime

    @classmethod
    def from_row(cls, row: CapacityRow) -> Self:
        return cls(
            effective_from=row.effective_from,
            weekly_capacity_hours=row.weekly_capacity_hours,
            changed_by=row.changed_by,
            changed_at=row.changed_at,
        )


@strawberry.type(description="A person's hourly cost rate from a date on.")
class CostRate:
    amount: Decimal = strawberry.field(description="Cost per hour.")
    currency: str
    effective_from: date
    changed_by: str
    changed_at: datetime

    @classmethod
    def from_row(cls, row: RateRow) -> Self:
        return cls(
            amount=row.cost_rate,
            currency=row.currency,
            effective_from=row.effective_from,
            changed_by=row.changed_by,
            changed_at=row.changed_at,
        )


@strawberry.type(description="A person's share of a team, from joinedOn to leftOn (included).")
class TeamMembership:
    team_id: strawberry.ID
    person_id: strawberry.ID
    percent: int = strawberry.field(description="The share of the person's capacity, in %.")
    joined_on: date
    left_on: date | None = strawberry.field(description="Their last day in the team, if set.")
    current: bool = strawberry.field(description="Not ended before today.")
    joined_by: str
    joined_at: datetime

    @classmethod
    def from_row(cls, row: MemberRow, on: date) -> Self:
        return cls(
            team_id=strawberry.ID(row.team_id),
            person_id=strawberry.ID(row.person_id),
            percent=row.percent,
            joined_on=row.joined_on,
            left_on=row.left_on,
            current=row.current(on),
            joined_by=row.joined_by,
            joined_at=row.joined_at,
        )

    @strawberry.field(description="The team.")
    async def team(self, info: Info) -> Team:
        return await require_team(info, str(self.team_id))

    @strawberry.field(description="The member.")
    async def person(self, info: Info) -> Person:
        return await require_person(info, str(self.person_id))


@strawberry.type(description="A team's planned capacity for one iteration or period.")
class CapacityPlan:
    label: str
    starts_on: date
    ends_on: date
    capacity_hours: Decimal
    planned_by: str
    planned_at: datetime

    @classmethod
    def from_row(cls, row: PlanRow) -> Self:
        return cls(
            label=row.label,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            capacity_hours=row.capacity_hours,
            planned_by=row.planned_by,
            planned_at=row.planned_at,
        )


@strawberry.type(description="A tool the team works with (its members should hold a licence).")
class TeamTool:
    tool_id: strawberry.ID
    adopted_by: str
    adopted_at: datetime

    @classmethod
    def from_row(cls, row: ToolRow) -> Self:
        return cls(
            tool_id=strawberry.ID(row.tool_id), adopted_by=row.adopted_by, adopted_at=row.adopted_at
        )


# --- entities ----------------------------------------------------------------------------------


@strawberry.federation.type(keys=["id"], description="Someone in the resource pool.")
class Person:
    id: strawberry.ID
    name: str
    email: str = strawberry.field(description="Lower-cased; unique among active people.")
    title: str
    home_team_id: strawberry.ID | None
    starts_on: date
    offboarded: bool
    last_day: date | None = strawberry.field(description="Set when offboarded.")
    offboard_reason: str | None
    onboarded_by: str
    onboarded_at: datetime
    updated_at: datetime = strawberry.field(description="When its latest event happened.")
    version: int = strawberry.field(description="Version of its event stream.")
    row: strawberry.Private[PersonRow]

    @classmethod
    def from_row(cls, row: PersonRow) -> Self:
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            email=row.email,
            title=row.title,
            home_team_id=strawberry.ID(row.home_team_id) if row.home_team_id else None,
            starts_on=row.starts_on,
            offboarded=row.offboarded,
            last_day=row.last_day,
            offboard_reason=row.offboard_reason,
            onboarded_by=row.onboarded_by,
            onboarded_at=row.onboarded_at,
            updated_at=row.updated_at,
            version=row.version,
            row=row,
        )

    @classmethod
    async def by_id(cls, info: Info, person_id: str) -> Self | None:
        """The person as the read model has it now (mutations answer with this)."""
        row = await load_person(info, person_id)
        return cls.from_row(row) if row else None

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self | None:
        # One DataLoader per request: a gateway's batched _entities call is one SQL query.
        return await cls.by_id(info, str(id))

    @strawberry.field(description="Their home team, if they have one.")
    async def home_team(self, info: Info) -> Team | None:
        if self.row.home_team_id is None:
            return None
        return await require_team(info, self.row.home_team_id)

    async def _capacity(self, info: Info) -> list[CapacityRow]:
        loader = batched(info, "capacity", people.capacity_histories)
        return await loader.load(self.row.id) or []

    async def _rates(self, info: Info) -> list[RateRow]:
        return await batched(info, "rates", people.rate_histories).load(self.row.id) or []

    @strawberry.field(
        description="Weekly capacity in hours on a day (default today); 0 before their start "
        "date and after their last day."
    )
    async def weekly_capacity_hours(
        self,
        info: Info,
        on: Annotated[
            date | None, strawberry.argument(description="The day (default today).")
        ] = None,
    ) -> Decimal:
        return people.capacity_on(self.row, await self._capacity(info), on or today())

    @strawberry.field(description="Every capacity change by effective date.")
    async def capacity_history(self, info: Info) -> list[CapacityChange]:
        history = people.effective_history(await self._capacity(info))
        return [CapacityChange.from_row(row) for row in history]

    @strawberry.field(
        description="Hourly cost rate on a day (default today). Null unless the caller is a "
        "resource_manager, pmo or admin, or this person."
    )
    async def cost_rate(
        self,
        info: Info,
        on: Annotated[
            date | None, strawberry.argument(description="The day (default today).")
        ] = None,
    ) -> CostRate | None:
        if not may_see_cost_of(info, self.row.id, self.row.email):
            return None
        found = people.rate_on(await self._rates(info), on or today())
        return CostRate.from_row(found) if found else None

    @strawberry.field(
        description="Every cost-rate change by effective date; null for the same callers as "
        "costRate."
    )
    async def cost_rate_history(self, info: Info) -> list[CostRate] | None:
        if not may_see_cost_of(info, self.row.id, self.row.email):
            return None
        history = people.effective_history(await self._rates(info))
        return [CostRate.from_row(row) for row in history]

    @strawberry.field(description="Their assessed skills, by name.")
    async def skills(self, info: Info) -> list[SkillLevel]:
        rows = await batched(info, "skills", people.skills_of).load(self.row.id) or []
        return [SkillLevel.from_row(row) for row in rows]

    @strawberry.field(description="Their own allocations (not their teams'), by start date.")
    async def allocations(
        self, info: Info, status: AllocationStatusRef | None = None
    ) -> list[AllocationRef]:
        from pmo_resources.api.allocations import allocations_of  # the module imports this one

        return await allocations_of(info, person_id=self.row.id, status=status)

    @strawberry.field(description="Their team memberships (current ones unless includeFormer).")
    async def teams(self, info: Info, include_former: bool = False) -> list[TeamMembership]:
        rows = await batched(info, "memberships", teams.memberships_of).load(self.row.id) or []
        on = today()
        return [
            TeamMembership.from_row(row, on) for row in rows if include_former or row.current(on)
        ]

    @strawberry.field(description="The tool licences they hold, in assignment order.")
    async def licences(self, info: Info) -> list[LicenceRef]:
        from pmo_resources.api.tools import licences_of_person  # api/tools.py imports this module

        return await licences_of_person(info, self.row.id)


@strawberry.federation.type(keys=["id"], description="A long-lived team.")
class Team:
    id: strawberry.ID
    name: str
    topology: TeamTopology  # type: ignore[valid-type]
    value_stream: str
    formed_by: str
    formed_at: datetime
    disbanded: bool
    disbanded_on: date | None
    disband_reason: str | None
    updated_at: datetime = strawberry.field(description="When its latest event happened.")
    version: int = strawberry.field(description="Version of its event stream.")
    row: strawberry.Private[TeamRow]

    @classmethod
    def from_row(cls, row: TeamRow) -> Self:
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            topology=row.topology,
            value_stream=row.value_stream,
            formed_by=row.formed_by,
            formed_at=row.formed_at,
            disbanded=row.disbanded,
            disbanded_on=row.disbanded_on,
            disband_reason=row.disband_reason,
            updated_at=row.updated_at,
            version=row.version,
            row=row,
        )

    @classmethod
    async def by_id(cls, info: Info, team_id: str) -> Self | None:
        row = await load_team(info, team_id)
        return cls.from_row(row) if row else None

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self | None:
        return await cls.by_id(info, str(id))

    @strawberry.field(description="Its members (current ones unless includeFormer), by join date.")
    async def members(self, info: Info, include_former: bool = False) -> list[TeamMembership]:
        rows = await batched(info, "members", teams.members_of).load(self.row.id) or []
        on = today()
        return [
            TeamMembership.from_row(row, on) for row in rows if include_former or row.current(on)
        ]

    @strawberry.field(description="Its own allocations (not its members'), by start date.")
    async def allocations(
        self, info: Info, status: AllocationStatusRef | None = None
    ) -> list[AllocationRef]:
        from pmo_resources.api.allocations import allocations_of  # the module imports this one

        return await allocations_of(info, team_id=self.row.id, status=status)

    @strawberry.field(description="Its planned capacity per iteration or period, by start date.")
    async def planned_capacity(self, info: Info) -> list[CapacityPlan]:
        rows = await batched(info, "plans", teams.plans_of).load(self.row.id) or []
        return [CapacityPlan.from_row(row) for row in rows]

    @strawberry.field(description="The tools it works with, in adoption order.")
    async def tools(self, info: Info) -> list[TeamTool]:
        rows = await batched(info, "tools", teams.tools_of).load(self.row.id) or []
        return [TeamTool.from_row(row) for row in rows]


# --- views -------------------------------------------------------------------------------------


@strawberry.type(description="One person's row of the skills matrix.")
class SkillsMatrixRow:
    person: Person
    levels: list[int | None] = strawberry.field(
        description="Their level in each of the matrix's skills, in its order (null: not assessed)."
    )


@strawberry.type(description="People (rows) by skills (columns), with the assessed levels.")
class SkillsMatrix:
    skills: list[str] = strawberry.field(description="Every skill anyone listed has, by name.")
    rows: list[SkillsMatrixRow] = strawberry.field(description="Active people, by name.")


# --- list arguments ----------------------------------------------------------------------------


@strawberry.input(description="Narrows a people list; all given conditions must hold.")
class PersonFilter:
    team_id: strawberry.ID | None = strawberry.field(
        default=None, description="A current member of this team (or joining it later)."
    )
    skill: str | None = strawberry.field(
        default=None, description="Has this skill (any spelling: it is normalised)."
    )
    min_level: int | None = strawberry.field(
        default=None, description="With skill: at this level (1-5) or above (default 1)."
    )
    search: str | None = strawberry.field(
        default=None, description="Case-insensitive part of the name, e-mail or title."
    )
    include_offboarded: bool = strawberry.field(
        default=False, description="Offboarded people are left out unless this is true."
    )
