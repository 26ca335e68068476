"""Person commands: onboard, assess a skill, change capacity or cost rate, offboard.

Onboarding checks the home team (it must exist and not be disbanded) and saves through
`save_onboarded`, where the read model's unique index refuses an e-mail an active person has.
Offboarding locks the person's row and ends their open team memberships in the same transaction
(one TeamMemberLeft per team, on the last day), so no join can slip in between; in that
transaction too, their allocations after the last day are released (requested ones starting
after it are rejected): `app.allocations.release_after_leaving`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from pmo_events.errors import InvalidInput

from pmo_resources.app.allocations import release_after_leaving
from pmo_resources.app.context import CommandContext
from pmo_resources.app.repository import Repository
from pmo_resources.domain.person import Person
from pmo_resources.domain.team import Team


@dataclass(frozen=True, slots=True)
class OnboardPerson:
    name: str
    email: str
    title: str
    weekly_capacity_hours: Decimal
    cost_rate: Decimal
    currency: str
    home_team_id: str | None = None
    starts_on: date | None = None  # None: today


@dataclass(frozen=True, slots=True)
class AssessSkill:
    person_id: str
    skill: str
    level: int


@dataclass(frozen=True, slots=True)
class ChangeCapacity:
    person_id: str
    weekly_capacity_hours: Decimal
    effective_from: date | None = None  # None: today


@dataclass(frozen=True, slots=True)
class ChangeCostRate:
    person_id: str
    cost_rate: Decimal
    currency: str
    effective_from: date | None = None  # None: today


@dataclass(frozen=True, slots=True)
class OffboardPerson:
    person_id: str
    reason: str
    last_day: date | None = None  # None: today


async def onboard_person(
    command: OnboardPerson, context: CommandContext, repository: Repository
) -> Person:
    person = Person.onboard(
        context.ids(),
        name=command.name,
        email=command.email,
        title=command.title,
        home_team_id=command.home_team_id,
        weekly_capacity_hours=command.weekly_capacity_hours,
        cost_rate=command.cost_rate,
        currency=command.currency,
        starts_on=command.starts_on or context.today,
        actor=context.actor,
        now=context.clock(),
    )
    async with repository.transaction(context.metadata("OnboardPerson")) as tx:
        if person.home_team_id is not None:
            team = await tx.load(Team, person.home_team_id)
            if team.disbanded:
                assert team.disbanded_on is not None
                raise InvalidInput(
                    f"home_team_id {team.id!r} ({team.name}) was disbanded on "
                    f"{team.disbanded_on.isoformat()}; choose a team that still exists"
                )
        await tx.save_onboarded(person)
    return person


async def assess_skill(
    command: AssessSkill, context: CommandContext, repository: Repository
) -> Person:
    def change(person: Person, now: datetime) -> None:
        person.assess_skill(command.skill, command.level, actor=context.actor, now=now)

    return await _change(command.person_id, change, command, context, repository)


async def change_capacity(
    command: ChangeCapacity, context: CommandContext, repository: Repository
) -> Person:
    effective_from = command.effective_from or context.today

    def change(person: Person, now: datetime) -> None:
        person.change_capacity(
            command.weekly_capacity_hours,
            effective_from=effective_from,
            actor=context.actor,
            now=now,
        )

    return await _change(command.person_id, change, command, context, repository)


async def change_cost_rate(
    command: ChangeCostRate, context: CommandContext, repository: Repository
) -> Person:
    effective_from = command.effective_from or context.today

    def change(person: Person, now: datetime) -> None:
        person.change_cost_rate(
            command.cost_rate,
            command.currency,
            effective_from=effective_from,
            actor=context.actor,
            now=now,
        )

    return await _change(command.person_id, change, command, context, repository)


async def offboard_person(
    command: OffboardPerson, context: CommandContext, repository: Repository
) -> Person:
    last_day = command.last_day or context.today
    now = context.clock()
    async with repository.transaction(context.metadata("OffboardPerson")) as tx:
        person = await tx.lock_person(command.person_id)
        person.offboard(last_day=last_day, reason=command.reason, actor=context.actor, now=now)
        await tx.save(person)
        for membership in await tx.memberships_of(person.id):
            if not membership.open:
                continue
            team = await tx.load(Team, membership.team_id)
            # A membership that starts after the last day never takes effect.
            left_on = max(last_day, membership.joined_on - timedelta(days=1))
            team.remove_member(person.id, left_on=left_on, actor=context.actor, now=now)
            await tx.save(team)
        await release_after_leaving(
            tx,
            person_id=person.id,
            last_day=last_day,
            source_event_id=f"{Person.STREAM_TYPE}/{person.id}/{person.version}",
            reason=f"{person.name} was offboarded after {last_day.isoformat()}",
            actor=context.actor,
            now=now,
        )
    return person


async def _change(
    person_id: str,
    change: Callable[[Person, datetime], None],
    command: object,
    context: CommandContext,
    repository: Repository,
) -> Person:
    """Load the person, let the domain change them, save (CONFLICT if the stream moved on)."""
    person = await repository.load(Person, person_id)
    change(person, context.clock())
    await repository.save(person, metadata=context.metadata(type(command).__name__))
    return person
