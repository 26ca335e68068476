"""Allocations in the subgraph: the `Allocation` type, its mutations (`AllocationMutation`) and
its list query (`AllocationQuery`), merged into the schema's root types by `api/schema.py`.

Roles: requesting an allocation is open to `portfolio_manager` too (the demand side asks for
people; the resource side decides), approving, rejecting, adjusting and releasing to
`resource_manager`, `pmo` and `admin`. An `overrideReason` (approve, adjust) lets a `pmo` or
`admin` commit someone above 100 %; from anyone else it is FORBIDDEN.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Self

import strawberry
from pmo_events.errors import InvalidInput
from pmo_service.graphql import Connection, decode_cursor, encode_cursor, page_size, requires_roles
from pmo_service.principal import Role
from strawberry.types import Info

from pmo_resources.api.deps import batched, forget_loaded, runtime
from pmo_resources.api.mutations import RESOURCE_MANAGERS, _execute
from pmo_resources.api.types import Person, Team, require_person, require_team
from pmo_resources.app import handlers as h
from pmo_resources.domain.allocation import AllocationStatus as DomainStatus
from pmo_resources.domain.events import ReleaseCause as DomainCause
from pmo_resources.projections import allocations as read
from pmo_resources.projections.allocations import AllocationRow, OverrideRow

REQUESTERS = (*RESOURCE_MANAGERS, Role.PORTFOLIO_MANAGER)

AllocationStatus = strawberry.enum(
    DomainStatus,
    name="AllocationStatus",
    description="REQUESTED, then APPROVED or REJECTED; an approved one may be RELEASED.",
)
ReleaseCause = strawberry.enum(
    DomainCause, name="ReleaseCause", description="Why an allocation was released."
)

# --- types -------------------------------------------------------------------------------------


@strawberry.type(description="A pmo or admin let the allocation commit a person above 100 %.")
class OvercommitmentOverride:
    person_id: strawberry.ID
    weeks: list[str] = strawberry.field(description="The ISO weeks over capacity.")
    peak_percent: Decimal = strawberry.field(description="The highest commitment, in %.")
    reason: str
    overridden_by: str
    overridden_at: datetime

    @classmethod
    def from_row(cls, row: OverrideRow) -> Self:
        return cls(
            person_id=strawberry.ID(row.person_id),
            weeks=row.weeks,
            peak_percent=row.peak_percent,
            reason=row.reason,
            overridden_by=row.overridden_by,
            overridden_at=row.overridden_at,
        )


@strawberry.type(
    description="A person or a team on an initiative for a date range, as a percentage of "
    "capacity or hours per week."
)
class Allocation:
    id: strawberry.ID
    initiative_id: strawberry.ID = strawberry.field(description="The portfolio's initiative.")
    person_id: strawberry.ID | None
    team_id: strawberry.ID | None
    starts_on: date
    ends_on: date
    percent: int | None = strawberry.field(description="Share of the capacity, 1-100.")
    hours_per_week: Decimal | None
    note: str
    status: AllocationStatus  # type: ignore[valid-type]
    active_until: date | None = strawberry.field(
        description="The last day its capacity is promised (null while requested, rejected, or "
        "released from its first day)."
    )
    requested_by: str
    requested_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    rejection_reason: str | None
    rejected_by: str | None
    rejected_at: datetime | None
    released_from: date | None
    release_cause: ReleaseCause | None  # type: ignore[valid-type]
    release_reason: str | None
    released_by: str | None
    released_at: datetime | None
    updated_at: datetime = strawberry.field(description="When its latest event happened.")
    version: int = strawberry.field(description="Version of its event stream.")

    @classmethod
    def from_row(cls, row: AllocationRow) -> Self:
        return cls(
            id=strawberry.ID(row.id),
            initiative_id=strawberry.ID(row.initiative_id),
            person_id=strawberry.ID(row.person_id) if row.person_id else None,
            team_id=strawberry.ID(row.team_id) if row.team_id else None,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            percent=row.percent,
            hours_per_week=row.hours_per_week,
            note=row.note,
            status=row.status,
            active_until=row.active_until,
            requested_by=row.requested_by,
            requested_at=row.requested_at,
            approved_by=row.approved_by,
            approved_at=row.approved_at,
            rejection_reason=row.rejection_reason,
            rejected_by=row.rejected_by,
            rejected_at=row.rejected_at,
            released_from=row.released_from,
            release_cause=row.release_cause,
            release_reason=row.release_reason,
            released_by=row.released_by,
            released_at=row.released_at,
            updated_at=row.updated_at,
            version=row.version,
        )

    @classmethod
    async def by_id(cls, info: Info, allocation_id: str) -> Self | None:
        row: AllocationRow | None = await batched(info, "allocations", read.by_ids).load(
            allocation_id
        )
        return cls.from_row(row) if row else None

    @strawberry.field(description="The person allocated (null for a team allocation).")
    async def person(self, info: Info) -> Person | None:
        return await require_person(info, str(self.person_id)) if self.person_id else None

    @strawberry.field(description="The team allocated (null for a person allocation).")
    async def team(self, info: Info) -> Team | None:
        return await require_team(info, str(self.team_id)) if self.team_id else None

    @strawberry.field(description="Overcommitment overrides recorded with it, in order.")
    async def overrides(self, info: Info) -> list[OvercommitmentOverride]:
        rows = await batched(info, "allocation_overrides", read.overrides_of).load(str(self.id))
        return [OvercommitmentOverride.from_row(row) for row in rows or []]


async def allocations_of(
    info: Info,
    *,
    person_id: str | None = None,
    team_id: str | None = None,
    status: DomainStatus | None = None,
) -> list[Allocation]:
    """A person's or a team's own allocations (Person.allocations, Team.allocations)."""
    if person_id is not None:
        rows = await batched(info, "person_allocations", read.of_people).load(person_id)
    else:
        assert team_id is not None
        rows = await batched(info, "team_allocations", read.of_teams).load(team_id)
    return [
        Allocation.from_row(row) for row in rows or [] if status is None or row.status is status
    ]


# --- inputs ------------------------------------------------------------------------------------


@strawberry.input(
    description="Ask for a person or a team (exactly one) on an initiative, as a percentage or "
    "hours per week (exactly one)."
)
class RequestAllocationInput:
    initiative_id: strawberry.ID = strawberry.field(
        description="The portfolio's initiative (any id is accepted)."
    )
    starts_on: date
    ends_on: date = strawberry.field(description="On or after startsOn, at most two years on.")
    person_id: strawberry.ID | None = None
    team_id: strawberry.ID | None = None
    percent: int | None = strawberry.field(default=None, description="1 to 100.")
    hours_per_week: Decimal | None = strawberry.field(
        default=None, description="More than 0, at most 80."
    )
    note: str = strawberry.field(default="", description="Up to 4000 characters.")


@strawberry.input(description="Promise the capacity: refused when it commits anyone above 100 %.")
class ApproveAllocationInput:
    allocation_id: strawberry.ID
    override_reason: str | None = strawberry.field(
        default=None,
        description="pmo or admin only: approve despite an overcommitment, for this reason.",
    )


@strawberry.input(description="Turn a requested allocation down.")
class RejectAllocationInput:
    allocation_id: strawberry.ID
    reason: str


@strawberry.input(
    description="Replace the range and size (an approved allocation is checked again)."
)
class AdjustAllocationInput:
    allocation_id: strawberry.ID
    starts_on: date
    ends_on: date
    percent: int | None = strawberry.field(default=None, description="1 to 100.")
    hours_per_week: Decimal | None = strawberry.field(
        default=None, description="More than 0, at most 80."
    )
    override_reason: str | None = strawberry.field(
        default=None,
        description="pmo or admin only: adjust despite an overcommitment, for this reason.",
    )


@strawberry.input(description="Free an approved allocation's capacity from a day on.")
class ReleaseAllocationInput:
    allocation_id: strawberry.ID
    reason: str
    released_from: date | None = strawberry.field(
        default=None,
        description="Within its range; default today (or its first day if not started).",
    )


@strawberry.input(description="Narrows an allocations list; all given conditions must hold.")
class AllocationFilter:
    initiative_id: strawberry.ID | None = None
    person_id: strawberry.ID | None = strawberry.field(
        default=None, description="The person's own allocations (not their teams')."
    )
    team_id: strawberry.ID | None = strawberry.field(
        default=None, description="The team's own allocations (not its members')."
    )
    status: AllocationStatus | None = None  # type: ignore[valid-type]
    active_on_or_after: date | None = strawberry.field(
        default=None, description="Capacity promised on some day from this one on."
    )


def _optional(value: strawberry.ID | None) -> str | None:
    return str(value) if value is not None else None


async def _answer(info: Info, allocation_id: str) -> Allocation:
    forget_loaded(info)
    found = await Allocation.by_id(info, allocation_id)
    if found is None:
        raise RuntimeError(f"allocation {allocation_id} was saved but is not in the read model")
    return found


# --- root fields -------------------------------------------------------------------------------


@strawberry.type
class AllocationMutation:
    @strawberry.mutation(
        description="Request a person or a team for an initiative (AllocationRequested).",
        extensions=[requires_roles(*REQUESTERS)],
    )
    async def request_allocation(self, info: Info, input: RequestAllocationInput) -> Allocation:
        command = h.RequestAllocation(
            initiative_id=str(input.initiative_id),
            starts_on=input.starts_on,
            ends_on=input.ends_on,
            person_id=_optional(input.person_id),
            team_id=_optional(input.team_id),
            percent=input.percent,
            hours_per_week=input.hours_per_week,
            note=input.note,
        )
        allocation = await _execute(info, input, h.request_allocation, command)
        return await _answer(info, allocation.id)

    @strawberry.mutation(
        description="Approve a requested allocation (AllocationApproved); GUARDRAIL_VIOLATION "
        "naming the weeks when it commits anyone above 100 %, unless a pmo or admin gives an "
        "overrideReason (OvercommitmentOverridden).",
        extensions=[requires_roles(*RESOURCE_MANAGERS)],
    )
    async def approve_allocation(self, info: Info, input: ApproveAllocationInput) -> Allocation:
        command = h.ApproveAllocation(
            allocation_id=str(input.allocation_id), override_reason=input.override_reason
        )
        allocation = await _execute(info, input, h.approve_allocation, command)
        return await _answer(info, allocation.id)

    @strawberry.mutation(
        description="Reject a requested allocation (AllocationRejected).",
        extensions=[requires_roles(*RESOURCE_MANAGERS)],
    )
    async def reject_allocation(self, info: Info, input: RejectAllocationInput) -> Allocation:
        command = h.RejectAllocation(allocation_id=str(input.allocation_id), reason=input.reason)
        allocation = await _execute(info, input, h.reject_allocation, command)
        return await _answer(info, allocation.id)

    @strawberry.mutation(
        description="Change an allocation's range or size (AllocationAdjusted); an approved one "
        "is checked against the 100 % rule again.",
        extensions=[requires_roles(*RESOURCE_MANAGERS)],
    )
    async def adjust_allocation(self, info: Info, input: AdjustAllocationInput) -> Allocation:
        command = h.AdjustAllocation(
            allocation_id=str(input.allocation_id),
            starts_on=input.starts_on,
            ends_on=input.ends_on,
            percent=input.percent,
            hours_per_week=input.hours_per_week,
            override_reason=input.override_reason,
        )
        allocation = await _execute(info, input, h.adjust_allocation, command)
        return await _answer(info, allocation.id)

    @strawberry.mutation(
        description="Release an approved allocation from a day on (AllocationReleased).",
        extensions=[requires_roles(*RESOURCE_MANAGERS)],
    )
    async def release_allocation(self, info: Info, input: ReleaseAllocationInput) -> Allocation:
        command = h.ReleaseAllocation(
            allocation_id=str(input.allocation_id),
            reason=input.reason,
            released_from=input.released_from,
        )
        allocation = await _execute(info, input, h.release_allocation, command)
        return await _answer(info, allocation.id)


def _request_cursor(after: str | None) -> tuple[datetime, str] | None:
    if after is None:
        return None
    at, row_id = decode_cursor(after, arity=2)
    try:
        if not isinstance(at, str) or not isinstance(row_id, str):
            raise ValueError(at)
        return datetime.fromisoformat(at), row_id
    except ValueError:
        raise InvalidInput(
            "the cursor does not belong to this list: pass the endCursor of a previous page"
        ) from None


def _filter(given: AllocationFilter | None) -> read.AllocationFilter:
    given = given or AllocationFilter()
    return read.AllocationFilter(
        initiative_id=_optional(given.initiative_id),
        person_id=_optional(given.person_id),
        team_id=_optional(given.team_id),
        status=DomainStatus(given.status) if given.status is not None else None,
        active_on_or_after=given.active_on_or_after,
    )


@strawberry.type
class AllocationQuery:
    @strawberry.field(description="One allocation by id, or null if there is none.")
    async def allocation(self, info: Info, id: strawberry.ID) -> Allocation | None:
        return await Allocation.by_id(info, str(id))

    @strawberry.field(description="Allocations in request order, filtered, a page at a time.")
    async def allocations(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: AllocationFilter | None = None,
    ) -> Connection[Allocation]:
        size = page_size(first)
        where = _filter(filter)
        async with runtime(info).engine.connect() as conn:
            rows = await read.page(conn, where=where, after=_request_cursor(after), limit=size + 1)
        requested = {row.id: row.requested_at for row in rows}
        return Connection[Allocation].from_rows(
            [Allocation.from_row(row) for row in rows],
            size,
            cursor=lambda node: encode_cursor(requested[str(node.id)].isoformat(), str(node.id)),
            has_previous_page=after is not None,
        )
