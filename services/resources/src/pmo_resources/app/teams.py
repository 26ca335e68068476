"""Team commands: form, add and remove members, plan capacity, adopt a tool, disband.

Adding a member locks the person's row first and reads their memberships of every team under
that lock: two joins of one person (to two teams) then check the 100 % rule one after the other.
Planning capacity and adopting a tool state the wanted value whatever the team held before, so
they are retried once when another command on the team committed first; the others report
CONFLICT and let the caller decide again.

Tools: the Tool aggregate does not exist yet, so `adopt_tool` cannot check that the tool id is
registered; it records the id as given (the tools read model will flag unknown ids).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from pmo_resources.app.allocations import release_after_leaving
from pmo_resources.app.context import CommandContext
from pmo_resources.app.repository import Repository, retry_on_conflict
from pmo_resources.domain.events import TeamTopology
from pmo_resources.domain.team import Team


@dataclass(frozen=True, slots=True)
class FormTeam:
    name: str
    topology: TeamTopology
    value_stream: str


@dataclass(frozen=True, slots=True)
class AddTeamMember:
    team_id: str
    person_id: str
    percent: int
    joined_on: date | None = None  # None: today


@dataclass(frozen=True, slots=True)
class RemoveTeamMember:
    team_id: str
    person_id: str
    left_on: date | None = None  # None: today


@dataclass(frozen=True, slots=True)
class PlanTeamCapacity:
    team_id: str
    label: str
    starts_on: date
    ends_on: date
    capacity_hours: Decimal


@dataclass(frozen=True, slots=True)
class AdoptTool:
    team_id: str
    tool_id: str


@dataclass(frozen=True, slots=True)
class DisbandTeam:
    team_id: str
    reason: str
    disbanded_on: date | None = None  # None: today


async def form_team(command: FormTeam, context: CommandContext, repository: Repository) -> Team:
    team = Team.form(
        context.ids(),
        name=command.name,
        topology=command.topology,
        value_stream=command.value_stream,
        actor=context.actor,
        now=context.clock(),
    )
    await repository.save(team, metadata=context.metadata("FormTeam"))
    return team


async def add_team_member(
    command: AddTeamMember, context: CommandContext, repository: Repository
) -> Team:
    async with repository.transaction(context.metadata("AddTeamMember")) as tx:
        person = await tx.lock_person(command.person_id)
        others = await tx.memberships_of(person.id)
        team = await tx.load(Team, command.team_id)
        team.add_member(
            person,
            command.percent,
            joined_on=command.joined_on or context.today,
            other_memberships=others,
            actor=context.actor,
            now=context.clock(),
        )
        await tx.save(team)
    return team


async def remove_team_member(
    command: RemoveTeamMember, context: CommandContext, repository: Repository
) -> Team:
    left_on = command.left_on or context.today

    def change(team: Team, now: datetime) -> None:
        team.remove_member(command.person_id, left_on=left_on, actor=context.actor, now=now)

    return await _change(command.team_id, change, command, context, repository)


async def plan_team_capacity(
    command: PlanTeamCapacity, context: CommandContext, repository: Repository
) -> Team:
    def change(team: Team, now: datetime) -> None:
        team.plan_capacity(
            command.label,
            starts_on=command.starts_on,
            ends_on=command.ends_on,
            capacity_hours=command.capacity_hours,
            actor=context.actor,
            now=now,
        )

    return await _change(command.team_id, change, command, context, repository, retry=True)


async def adopt_tool(command: AdoptTool, context: CommandContext, repository: Repository) -> Team:
    def change(team: Team, now: datetime) -> None:
        team.adopt_tool(command.tool_id, actor=context.actor, now=now)

    return await _change(command.team_id, change, command, context, repository, retry=True)


async def disband_team(
    command: DisbandTeam, context: CommandContext, repository: Repository
) -> Team:
    """Disband the team and, in the same transaction, release its allocations after the day
    (`app.allocations.release_after_leaving`)."""
    disbanded_on = command.disbanded_on or context.today
    now = context.clock()
    async with repository.transaction(context.metadata("DisbandTeam")) as tx:
        team = await tx.load(Team, command.team_id)
        team.disband(reason=command.reason, disbanded_on=disbanded_on, actor=context.actor, now=now)
        await tx.save(team)
        await release_after_leaving(
            tx,
            team_id=team.id,
            last_day=disbanded_on,
            source_event_id=f"{Team.STREAM_TYPE}/{team.id}/{team.version}",
            reason=f"team {team.name} was disbanded after {disbanded_on.isoformat()}",
            actor=context.actor,
            now=now,
        )
    return team


async def _change(
    team_id: str,
    change: Callable[[Team, datetime], None],
    command: object,
    context: CommandContext,
    repository: Repository,
    *,
    retry: bool = False,
) -> Team:
    """Load the team, let the domain change it, save; once more on a clash if `retry`."""

    async def attempt() -> Team:
        team = await repository.load(Team, team_id)
        change(team, context.clock())
        await repository.save(team, metadata=context.metadata(type(command).__name__))
        return team

    return await (retry_on_conflict(attempt) if retry else attempt())
