"""The subgraph's mutations: one per command, each naming the roles that may run it.

People and teams are managed by resource managers, the PMO and admins. Each mutation answers with
the changed entity as the read model has it after the commit, i.e. exactly what a query returns
next.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry
from pmo_events.errors import DomainError
from pmo_service.graphql import requires_roles
from pmo_service.principal import Role
from strawberry.types import Info
from strawberry.utils.str_converters import to_camel_case

from pmo_resources.api import inputs as i
from pmo_resources.api.deps import command_context, forget_loaded, repository
from pmo_resources.api.types import Person, Team
from pmo_resources.app import handlers as h
from pmo_resources.app.context import CommandContext
from pmo_resources.app.repository import Repository
from pmo_resources.domain.events import TeamTopology

RESOURCE_MANAGERS = (Role.RESOURCE_MANAGER, Role.PMO, Role.ADMIN)

C = TypeVar("C")
R = TypeVar("R")


async def _execute(
    info: Info[Any, Any],
    input: object,
    handler: Callable[[C, CommandContext, Repository], Awaitable[R]],
    command: C,
) -> R:
    """Run the command's handler as the request's caller; refusals name GraphQL fields."""
    try:
        return await handler(command, command_context(info), repository(info))
    except DomainError as error:
        _use_graphql_names(error, input)
        raise


def _use_graphql_names(error: DomainError, input: object) -> None:
    # The domain names fields as Python does (weekly_capacity_hours); the client sent
    # weeklyCapacityHours. The domain's allocation_percent is the input's percent.
    message = error.message.replace("allocation_percent", "percent")
    for field in dataclasses.fields(input) if dataclasses.is_dataclass(input) else ():
        if "_" in field.name:
            message = re.sub(rf"\b{field.name}\b", to_camel_case(field.name), message)
    error.message = message
    error.args = (message,)


async def _person(info: Info[Any, Any], person_id: str) -> Person:
    forget_loaded(info)
    found = await Person.by_id(info, person_id)
    if found is None:
        raise RuntimeError(f"person {person_id} was saved but is not in the read model")
    return found


async def _team(info: Info[Any, Any], team_id: str) -> Team:
    forget_loaded(info)
    found = await Team.by_id(info, team_id)
    if found is None:
        raise RuntimeError(f"team {team_id} was saved but is not in the read model")
    return found


def _optional(value: strawberry.ID | None) -> str | None:
    return str(value) if value is not None else None


@strawberry.type
class Mutation:
    # --- people ----------------------------------------------------------------------------------

    @strawberry.mutation(
        description="Onboard a person (PersonOnboarded); the e-mail must be free among active "
        "people.",
        extensions=[requires_roles(*RESOURCE_MANAGERS)],
    )
    async def onboard_person(self, info: Info, input: i.OnboardPersonInput) -> Person:
        command = h.OnboardPerson(
            name=input.name,
            email=input.email,
            title=input.title,
            weekly_capacity_hours=input.weekly_capacity_hours,
            cost_rate=input.cost_rate,
            currency=input.currency,
            home_team_id=_optional(input.home_team_id),
            starts_on=input.starts_on,
        )
        person = await _execute(info, input, h.onboard_person, command)
        return await _person(info, person.id)

    @strawberry.mutation(
        description="Assess a person's level in a skill (SkillAssessed).",
        extensions=[requires_roles(*RESOURCE_MANAGERS)],
    )
    async def assess_skill(self, info: Info, input: i.AssessSkillInput) -> Person:
        command = h.AssessSkill(
            person_id=str(input.person_id), skill=input.skill, level=input.level
        )
        person = await _execute(info, input, h.assess_skill, command)
        return await _person(info, person.id)

    @strawberry.mutation(
        description="Change a person's weekly capacity from a date on (CapacityChanged).",
        extensions=[requires_roles(*RESOURCE_MANAGERS)],
    )
    async def change_capacity(self, info: Info, input: i.ChangeCapacityInput) -> Person:
        command = h.ChangeCapacity(
            person_id=str(input.person_id),
            weekly_capacity_hours=input.weekly_capacity_hours,
            effective_from=input.effective_from,
        )
        person = await _execute(info, input, h.change_capacity, command)
        return await _person(info, person.id)

    @strawberry.mutation(
        description="Change a person's hourly cost rate from a date on (CostRateChanged).",
        extensions=[requires_roles(*RESOURCE_MANAGERS)],
    )
    async def change_cost_rate(self, info: Info, input: i.ChangeCostRateInput) -> Person:
        command = h.ChangeCostRate(
            person_id=str(input.person_id),
            cost_rate=input.cost_rate,
            currency=input.currency,
            effective_from=input.effective_from,
        )
        person = await _execute(info, input, h.change_cost_rate, command)
        return await _person(info, person.id)

    @strawberry.mutation(
        description="Offboard a person (PersonOffboarded); their open team memberships end on "
        "their last day (TeamMemberLeft).",
        extensions=[requires_roles(*RESOURCE_MANAGERS)],
    )
    async def offboard_person(self, info: Info, input: i.OffboardPersonInput) -> Person:
        command = h.OffboardPerson(
            person_id=str(input.person_id), reason=input.reason, last_day=input.last_day
        )
        person = await _execute(info, input, h.offboard_person, command)
        return await _person(info, person.id)

    # --- teams -----------------------------------------------------------------------------------

    @strawberry.mutation(
        description="Form a team (TeamFormed).", extensions=[requires_roles(*RESOURCE_MANAGERS)]
    )
    async def form_team(self, info: Info, input: i.FormTeamInput) -> Team:
        command = h.FormTeam(
            name=input.name, topology=TeamTopology(input.topology), value_stream=input.value_stream
        )
        team = await _execute(info, input, h.form_team, command)
        return await _team(info, team.id)

    @strawberry.mutation(
        description="Add a person to a team for a share of their capacity (TeamMemberJoined); "
        "their shares across teams may not exceed 100 %.",
        extensions=[requires_roles(*RESOURCE_MANAGERS)],
    )
    async def add_team_member(self, info: Info, input: i.AddTeamMemberInput) -> Team:
        command = h.AddTeamMember(
            team_id=str(input.team_id),
            person_id=str(input.person_id),
            percent=input.percent,
            joined_on=input.joined_on,
        )
        team = await _execute(info, input, h.add_team_member, command)
        return await _team(info, team.id)

    @strawberry.mutation(
        description="Remove a member from a team (TeamMemberLeft).",
        extensions=[requires_roles(*RESOURCE_MANAGERS)],
    )
    async def remove_team_member(self, info: Info, input: i.RemoveTeamMemberInput) -> Team:
        command = h.RemoveTeamMember(
            team_id=str(input.team_id), person_id=str(input.person_id), left_on=input.left_on
        )
        team = await _execute(info, input, h.remove_team_member, command)
        return await _team(info, team.id)

    @strawberry.mutation(
        description="Plan a team's capacity for an iteration or period (TeamCapacityPlanned).",
        extensions=[requires_roles(*RESOURCE_MANAGERS)],
    )
    async def plan_team_capacity(self, info: Info, input: i.PlanTeamCapacityInput) -> Team:
        command = h.PlanTeamCapacity(
            team_id=str(input.team_id),
            label=input.label,
            starts_on=input.starts_on,
            ends_on=input.ends_on,
            capacity_hours=input.capacity_hours,
        )
        team = await _execute(info, input, h.plan_team_capacity, command)
        return await _team(info, team.id)

    @strawberry.mutation(
        description="A team adopts a tool (TeamToolAdopted); the tool id is not checked yet.",
        extensions=[requires_roles(*RESOURCE_MANAGERS)],
    )
    async def adopt_tool(self, info: Info, input: i.AdoptToolInput) -> Team:
        command = h.AdoptTool(team_id=str(input.team_id), tool_id=str(input.tool_id))
        team = await _execute(info, input, h.adopt_tool, command)
        return await _team(info, team.id)

    @strawberry.mutation(
        description="Disband a team: its members leave (TeamMemberLeft), then TeamDisbanded.",
        extensions=[requires_roles(*RESOURCE_MANAGERS)],
    )
    async def disband_team(self, info: Info, input: i.DisbandTeamInput) -> Team:
        command = h.DisbandTeam(
            team_id=str(input.team_id), reason=input.reason, disbanded_on=input.disbanded_on
        )
        team = await _execute(info, input, h.disband_team, command)
        return await _team(info, team.id)
