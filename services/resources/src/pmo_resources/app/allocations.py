"""Allocation commands: request, approve, reject, adjust, release; and the releases that
offboarding a person or disbanding a team cause.

**The 100 % rule under locks.** Approving (or adjusting an approved allocation) checks that nobody
it touches ends up above their capacity in any week. The Allocation stream cannot see the others,
so the handler locks the `people` row of every person the allocation touches (the person, or
every member the team ever had) in id order, then reads their capacities, their teams' rosters and
the active allocations from the read models, and lets the domain decide. Two approvals that
touch one person therefore decide one after the other, and the second sees the first's hours.
The allocation itself is refreshed after the locks, so a concurrent change of it is seen (or
makes the append CONFLICT).

A team's roster can grow while the locks are being taken (a join locks only the joining person):
the roster is read again after locking, and a newcomer makes the approval CONFLICT (send it
again) rather than be locked out of id order, which could deadlock with another approval.

**Initiatives** belong to the portfolio: any initiative id is accepted here (the demand read
model, fed by the portfolio's approvals, may not have caught up yet).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from pmo_events.errors import Conflict, InvalidInput, NotFound

from pmo_resources.app.context import CommandContext
from pmo_resources.app.repository import Repository, ResourcesTransaction
from pmo_resources.domain.allocation import Allocation, AllocationStatus, Shape
from pmo_resources.domain.capacity import CommitmentContext
from pmo_resources.domain.events import ReleaseCause
from pmo_resources.projections import allocations as read_allocations
from pmo_resources.projections import people as read_people
from pmo_resources.projections import teams as read_teams
from pmo_resources.projections.capacity import commitment_context


@dataclass(frozen=True, slots=True)
class RequestAllocation:
    initiative_id: str
    starts_on: date
    ends_on: date
    person_id: str | None = None
    team_id: str | None = None
    percent: int | None = None
    hours_per_week: Decimal | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class ApproveAllocation:
    allocation_id: str
    override_reason: str | None = None


@dataclass(frozen=True, slots=True)
class RejectAllocation:
    allocation_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class AdjustAllocation:
    allocation_id: str
    starts_on: date
    ends_on: date
    percent: int | None = None
    hours_per_week: Decimal | None = None
    override_reason: str | None = None


@dataclass(frozen=True, slots=True)
class ReleaseAllocation:
    allocation_id: str
    reason: str
    released_from: date | None = None  # None: from today


async def request_allocation(
    command: RequestAllocation, context: CommandContext, repository: Repository
) -> Allocation:
    allocation = Allocation.request(
        context.ids(),
        initiative_id=command.initiative_id,
        person_id=command.person_id,
        team_id=command.team_id,
        starts_on=command.starts_on,
        ends_on=command.ends_on,
        percent=command.percent,
        hours_per_week=command.hours_per_week,
        note=command.note,
        actor=context.actor,
        now=context.clock(),
    )
    async with repository.transaction(context.metadata("RequestAllocation")) as tx:
        if allocation.person_id is not None:
            await _check_person(tx, allocation.person_id, allocation.ends_on)
        if allocation.team_id is not None:
            await _check_team(tx, allocation.team_id, allocation.ends_on)
        await tx.save(allocation)
    return allocation


async def approve_allocation(
    command: ApproveAllocation, context: CommandContext, repository: Repository
) -> Allocation:
    async with repository.transaction(context.metadata("ApproveAllocation")) as tx:
        allocation = await tx.load(Allocation, command.allocation_id)
        await _lock_people_of(tx, allocation)
        allocation = await tx.refreshed(allocation)
        allocation.approve(
            context=await _context(tx, allocation, allocation.shape),
            override_reason=command.override_reason,
            may_override=context.may_override,
            actor=context.actor,
            now=context.clock(),
        )
        await tx.save(allocation)
    return allocation


async def reject_allocation(
    command: RejectAllocation, context: CommandContext, repository: Repository
) -> Allocation:
    allocation = await repository.load(Allocation, command.allocation_id)
    allocation.reject(reason=command.reason, actor=context.actor, now=context.clock())
    await repository.save(allocation, metadata=context.metadata("RejectAllocation"))
    return allocation


async def adjust_allocation(
    command: AdjustAllocation, context: CommandContext, repository: Repository
) -> Allocation:
    # Check the new shape before any lock: bad input is refused without touching the database.
    shape = Shape.checked(
        command.starts_on, command.ends_on, command.percent, command.hours_per_week
    )
    async with repository.transaction(context.metadata("AdjustAllocation")) as tx:
        allocation = await tx.load(Allocation, command.allocation_id)
        commitment: CommitmentContext | None = None
        if allocation.status is AllocationStatus.APPROVED:
            await _lock_people_of(tx, allocation)
            allocation = await tx.refreshed(allocation)
            if allocation.status is AllocationStatus.APPROVED:
                commitment = await _context(tx, allocation, shape)
        allocation.adjust(
            starts_on=shape.starts_on,
            ends_on=shape.ends_on,
            percent=shape.percent,
            hours_per_week=shape.hours_per_week,
            context=commitment,
            override_reason=command.override_reason,
            may_override=context.may_override,
            actor=context.actor,
            now=context.clock(),
        )
        await tx.save(allocation)
    return allocation


async def release_allocation(
    command: ReleaseAllocation, context: CommandContext, repository: Repository
) -> Allocation:
    allocation = await repository.load(Allocation, command.allocation_id)
    allocation.release(
        reason=command.reason,
        released_from=command.released_from,
        today=context.today,
        actor=context.actor,
        now=context.clock(),
    )
    await repository.save(allocation, metadata=context.metadata("ReleaseAllocation"))
    return allocation


async def release_after_leaving(
    tx: ResourcesTransaction,
    *,
    person_id: str | None = None,
    team_id: str | None = None,
    last_day: date,
    source_event_id: str,
    reason: str,
    actor: str,
    now: datetime,
) -> list[Allocation]:
    """In an offboarding's or a disbanding's transaction: release the person's (or the team's)
    own allocations still promised after `last_day` (cause PERSON_OFFBOARDED or TEAM_DISBANDED)
    and reject those only requested that start after it; the allocations changed.

    `source_event_id` names the event that caused it (``Person/<id>/<version>`` or
    ``Team/<id>/<version>``: its stream and version, as the event's own id is only given when it
    is appended). Idempotent: an allocation already free after `last_day` records nothing.
    """
    cause = ReleaseCause.PERSON_OFFBOARDED if person_id is not None else ReleaseCause.TEAM_DISBANDED
    release, reject = await read_allocations.to_release(
        tx.conn, person_id=person_id, team_id=team_id, after=last_day
    )
    changed: list[Allocation] = []
    for allocation_id in release:
        allocation = await tx.load(Allocation, allocation_id)
        allocation.release(
            reason=reason,
            released_from=last_day + timedelta(days=1),
            cause=cause,
            source_event_id=source_event_id,
            actor=actor,
            now=now,
        )
        changed.append(allocation)
    for allocation_id in reject:
        allocation = await tx.load(Allocation, allocation_id)
        allocation.reject(reason=reason, actor=actor, now=now)
        changed.append(allocation)
    for allocation in changed:
        await tx.save(allocation)
    return changed


# --- helpers -----------------------------------------------------------------------------------


async def _check_person(tx: ResourcesTransaction, person_id: str, ends_on: date) -> None:
    person = (await read_people.by_ids(tx.conn, [person_id])).get(person_id)
    if person is None:
        raise NotFound(f"no person has the id {person_id!r}; check the id (list people to find it)")
    if person.last_day is not None and ends_on > person.last_day:
        raise InvalidInput(
            f"person {person_id!r} ({person.name}) leaves after {person.last_day.isoformat()}; "
            f"end the allocation on or before that day"
        )


async def _check_team(tx: ResourcesTransaction, team_id: str, ends_on: date) -> None:
    team = (await read_teams.by_ids(tx.conn, [team_id])).get(team_id)
    if team is None:
        raise NotFound(f"no team has the id {team_id!r}; check the id (list teams to find it)")
    if team.disbanded_on is not None and ends_on > team.disbanded_on:
        raise InvalidInput(
            f"team {team_id!r} ({team.name}) was disbanded after "
            f"{team.disbanded_on.isoformat()}; end the allocation on or before that day, or "
            "allocate another team"
        )


class ConflictingRoster(Conflict):
    """The team's roster kept changing while its members were being locked."""

    def __init__(self, team_id: str) -> None:
        super().__init__(
            f"the members of team {team_id!r} kept changing while the approval was checking "
            "them; send the command again"
        )


async def _roster_ids(tx: ResourcesTransaction, team_id: str) -> set[str]:
    rows = (await read_teams.members_of(tx.conn, [team_id])).get(team_id, [])
    return {row.person_id for row in rows}


async def _lock_people_of(tx: ResourcesTransaction, allocation: Allocation) -> None:
    """Lock every person the allocation can put hours on (see the module docstring)."""
    if allocation.person_id is not None:
        await tx.lock_people([allocation.person_id])
        return
    assert allocation.team_id is not None
    roster = await _roster_ids(tx, allocation.team_id)
    await tx.lock_people(roster)
    if not await _roster_ids(tx, allocation.team_id) <= roster:
        raise ConflictingRoster(allocation.team_id)


async def _context(
    tx: ResourcesTransaction, allocation: Allocation, shape: Shape
) -> CommitmentContext:
    """The commitment context of the people `allocation` touches over `shape`'s range (after
    their locks)."""
    if allocation.person_id is not None:
        person_ids = [allocation.person_id]
        team_ids: list[str] = []
    else:
        assert allocation.team_id is not None
        person_ids = sorted(await _roster_ids(tx, allocation.team_id))
        team_ids = [allocation.team_id]
    return await commitment_context(
        tx.conn,
        person_ids=person_ids,
        team_ids=team_ids,
        starts_on=shape.starts_on,
        ends_on=shape.ends_on,
    )
