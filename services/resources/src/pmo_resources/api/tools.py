"""Tools and licences in the subgraph: the `Tool` type (seats, assigned, free, monthly cost,
utilisation), `Licence`, licence gaps, the mutations (`ToolMutation`) and queries (`ToolQuery`),
merged into the root types by `api/schema.py`. `Person.licences` (api/types.py) lists a
person's licences with the `Licence` type defined here.

Roles: every tool mutation is for `resource_manager`, `pmo` and `admin`; reads are open to every
authenticated role. A seat beyond the seats bought is CONFLICT ("no free seat: 25 of 25
assigned"), and so is cutting the seats below what is assigned.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Self

import strawberry
from pmo_events.errors import InvalidInput, NotFound
from pmo_service.graphql import Connection, decode_cursor, encode_cursor, page_size, requires_roles
from strawberry.types import Info

from pmo_resources.api.deps import batched, forget_loaded, runtime
from pmo_resources.api.mutations import RESOURCE_MANAGERS, _execute
from pmo_resources.api.types import Person, Team, require_person, require_team, today
from pmo_resources.app import tools as commands
from pmo_resources.projections import teams as read_teams
from pmo_resources.projections import tools as read
from pmo_resources.projections.tools import LicenceGap as GapRow
from pmo_resources.projections.tools import LicenceRow, ToolRow

# --- types ---------------------------------------------------------------------------------------


@strawberry.type(description="A seat of a tool assigned to a person.")
class Licence:
    tool_id: strawberry.ID
    person_id: strawberry.ID
    assigned_by: str
    assigned_at: datetime

    @classmethod
    def from_row(cls, row: LicenceRow) -> Self:
        return cls(
            tool_id=strawberry.ID(row.tool_id),
            person_id=strawberry.ID(row.person_id),
            assigned_by=row.assigned_by,
            assigned_at=row.assigned_at,
        )

    @strawberry.field(description="The tool.")
    async def tool(self, info: Info) -> Tool:
        found = await Tool.by_id(info, str(self.tool_id))
        if found is None:
            raise NotFound(
                f"tool {self.tool_id!r} is referenced but missing from the read model: "
                "run `pmo-resources rebuild-projections`"
            )
        return found

    @strawberry.field(description="The holder.")
    async def person(self, info: Info) -> Person:
        return await require_person(info, str(self.person_id))


@strawberry.type(description="A tool the organisation pays for per seat and month.")
class Tool:
    id: strawberry.ID
    name: str
    vendor: str
    seats: int = strawberry.field(description="Seats bought.")
    assigned: int = strawberry.field(description="Seats assigned (never more than seats).")
    free: int = strawberry.field(description="Seats nobody holds.")
    cost_per_seat: Decimal = strawberry.field(description="Per seat and month.")
    currency: str
    monthly_cost: Decimal = strawberry.field(description="seats * costPerSeat: the bill.")
    idle_cost: Decimal = strawberry.field(description="What the free seats cost each month.")
    utilisation_percent: Decimal | None = strawberry.field(
        description="assigned / seats in % (null without seats)."
    )
    registered_by: str
    registered_at: datetime
    updated_at: datetime = strawberry.field(description="When its latest event happened.")
    version: int = strawberry.field(description="Version of its event stream.")
    row: strawberry.Private[ToolRow]

    @classmethod
    def from_row(cls, row: ToolRow) -> Self:
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            vendor=row.vendor,
            seats=row.seats,
            assigned=row.assigned,
            free=row.free,
            cost_per_seat=row.cost_per_seat,
            currency=row.currency,
            monthly_cost=row.monthly_cost,
            idle_cost=row.idle_cost,
            utilisation_percent=row.utilisation_percent,
            registered_by=row.registered_by,
            registered_at=row.registered_at,
            updated_at=row.updated_at,
            version=row.version,
            row=row,
        )

    @classmethod
    async def by_id(cls, info: Info, tool_id: str) -> Self | None:
        row = await batched(info, "tools", read.by_ids).load(tool_id)
        return cls.from_row(row) if row else None

    @strawberry.field(description="Who holds a seat, in assignment order.")
    async def licences(self, info: Info) -> list[Licence]:
        rows = await batched(info, "tool_licences", read.licences_of_tools).load(self.row.id)
        return [Licence.from_row(row) for row in rows or []]


@strawberry.type(
    description="A current member of a team without a licence of a tool the team adopted."
)
class LicenceGap:
    team_id: strawberry.ID
    person_id: strawberry.ID
    tool_id: strawberry.ID
    tool_name: str | None = strawberry.field(
        description="Null when the team adopted an id that no registered tool has."
    )

    @classmethod
    def from_row(cls, row: GapRow) -> Self:
        return cls(
            team_id=strawberry.ID(row.team_id),
            person_id=strawberry.ID(row.person_id),
            tool_id=strawberry.ID(row.tool_id),
            tool_name=row.tool_name,
        )

    @strawberry.field(description="The team.")
    async def team(self, info: Info) -> Team:
        return await require_team(info, str(self.team_id))

    @strawberry.field(description="The member without the licence.")
    async def person(self, info: Info) -> Person:
        return await require_person(info, str(self.person_id))

    @strawberry.field(description="The tool (null when no registered tool has the id).")
    async def tool(self, info: Info) -> Tool | None:
        return await Tool.by_id(info, str(self.tool_id))


async def licences_of_person(info: Info, person_id: str) -> list[Licence]:
    """A person's licences, in assignment order (`Person.licences`)."""
    rows = await batched(info, "person_licences", read.licences_of_people).load(person_id)
    return [Licence.from_row(row) for row in rows or []]


# --- inputs --------------------------------------------------------------------------------------


@strawberry.input(description="A new tool with the seats bought.")
class RegisterToolInput:
    name: str
    vendor: str
    seats: int = strawberry.field(description="0 or more.")
    cost_per_seat: Decimal = strawberry.field(description="Per seat and month, at least 0.")
    currency: str = strawberry.field(description="ISO 4217, e.g. EUR.")


@strawberry.input(description="The seats bought (never below the licences assigned).")
class ChangeToolSeatsInput:
    tool_id: strawberry.ID
    seats: int


@strawberry.input(description="Give a person (who still works here) a seat.")
class AssignLicenceInput:
    tool_id: strawberry.ID
    person_id: strawberry.ID


@strawberry.input(description="Take a person's seat back.")
class RevokeLicenceInput:
    tool_id: strawberry.ID
    person_id: strawberry.ID
    reason: str = strawberry.field(default="", description="Why (optional).")


# --- root fields ---------------------------------------------------------------------------------


async def _answer(info: Info, tool_id: str) -> Tool:
    forget_loaded(info)
    found = await Tool.by_id(info, tool_id)
    if found is None:
        raise RuntimeError(f"tool {tool_id} was saved but is not in the read model")
    return found


@strawberry.type
class ToolMutation:
    @strawberry.mutation(
        description="Register a tool with its seats and cost per seat (ToolRegistered).",
        extensions=[requires_roles(*RESOURCE_MANAGERS)],
    )
    async def register_tool(self, info: Info, input: RegisterToolInput) -> Tool:
        command = commands.RegisterTool(
            name=input.name,
            vendor=input.vendor,
            seats=input.seats,
            cost_per_seat=input.cost_per_seat,
            currency=input.currency,
        )
        tool = await _execute(info, input, commands.register_tool, command)
        return await _answer(info, tool.id)

    @strawberry.mutation(
        description="Change the seats bought (ToolSeatsChanged); CONFLICT below those assigned.",
        extensions=[requires_roles(*RESOURCE_MANAGERS)],
    )
    async def change_tool_seats(self, info: Info, input: ChangeToolSeatsInput) -> Tool:
        command = commands.ChangeToolSeats(tool_id=str(input.tool_id), seats=input.seats)
        tool = await _execute(info, input, commands.change_tool_seats, command)
        return await _answer(info, tool.id)

    @strawberry.mutation(
        description="Assign a seat to a person (LicenceAssigned); CONFLICT without a free seat "
        "or for someone past their last day.",
        extensions=[requires_roles(*RESOURCE_MANAGERS)],
    )
    async def assign_licence(self, info: Info, input: AssignLicenceInput) -> Tool:
        command = commands.AssignLicence(tool_id=str(input.tool_id), person_id=str(input.person_id))
        tool = await _execute(info, input, commands.assign_licence, command)
        return await _answer(info, tool.id)

    @strawberry.mutation(
        description="Revoke a person's licence (LicenceRevoked): the seat is free again.",
        extensions=[requires_roles(*RESOURCE_MANAGERS)],
    )
    async def revoke_licence(self, info: Info, input: RevokeLicenceInput) -> Tool:
        command = commands.RevokeLicence(
            tool_id=str(input.tool_id), person_id=str(input.person_id), reason=input.reason
        )
        tool = await _execute(info, input, commands.revoke_licence, command)
        return await _answer(info, tool.id)


def _name_cursor(after: str | None) -> tuple[str, str] | None:
    if after is None:
        return None
    name, tool_id = decode_cursor(after, arity=2)
    if not isinstance(name, str) or not isinstance(tool_id, str):
        raise InvalidInput(
            "the cursor does not belong to this list: pass the endCursor of a previous page"
        )
    return name, tool_id


@strawberry.type
class ToolQuery:
    @strawberry.field(description="One tool by id, or null if there is none.")
    async def tool(self, info: Info, id: strawberry.ID) -> Tool | None:
        return await Tool.by_id(info, str(id))

    @strawberry.field(description="Tools by name, a page at a time.")
    async def tools(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Tool]:
        size = page_size(first)
        async with runtime(info).engine.connect() as conn:
            rows = await read.page(conn, after=_name_cursor(after), limit=size + 1)
        names = {row.id: row.name for row in rows}
        return Connection[Tool].from_rows(
            [Tool.from_row(row) for row in rows],
            size,
            cursor=lambda node: encode_cursor(names[str(node.id)], str(node.id)),
            has_previous_page=after is not None,
        )

    @strawberry.field(
        description="Current members of teams (of one team if given) without a licence of a "
        "tool their team adopted, by team, person and tool name."
    )
    async def licence_gaps(
        self, info: Info, team_id: strawberry.ID | None = None
    ) -> list[LicenceGap]:
        wanted = str(team_id) if team_id is not None else None
        async with runtime(info).engine.connect() as conn:
            if wanted is not None and not await read_teams.by_ids(conn, [wanted]):
                raise NotFound(f"no team has the id {wanted!r}; list teams to find it")
            rows = await read.licence_gaps(conn, team_id=wanted, today=today())
        return [LicenceGap.from_row(row) for row in rows]
