"""The Allocation aggregate: a person or a team on an initiative for a date range.

Life cycle::

    request → REQUESTED ─ approve → APPROVED ─ release → RELEASED
                        └ reject  → REJECTED

- **request**: exactly one of person/team and exactly one of percent (1-100) / hours per week
  (more than 0, at most 80); ``starts_on ≤ ends_on``, at most two years apart.
- **approve** (REQUESTED only) checks the invariant: nobody is committed above 100 % of their
  capacity in any week (`capacity`). A refusal (`GuardrailViolation`) names each person, each
  week and the overcommitment. A `pmo` or `admin` may approve anyway with a written reason: one
  `OvercommitmentOverridden` per overcommitted person (person id order), then
  `AllocationApproved`. An override reason from anyone else is `Forbidden`, even when nothing
  would be overcommitted (as in the portfolio's guardrails: the client asked for a power it does
  not hold).
- **reject** (REQUESTED only) needs a reason.
- **adjust** (REQUESTED or APPROVED) replaces range and size; an APPROVED one re-checks the
  invariant for its new shape, with the same override rule. An adjustment that changes nothing
  records nothing.
- **release** (APPROVED): capacity from `released_from` on is free again; the allocation stays
  active before it (its range shrinks; from its first day, it is dropped entirely).
  - MANUAL: `released_from` must lie within the range; without one it ends the allocation from
    `today` (from its first day if it has not started). Releasing a RELEASED allocation again is
    a Conflict; so is releasing one already over.
  - Reactions (initiative cancelled or done, person offboarded, team disbanded) carry the
    source event id; `released_from` is moved up to the first day when earlier. They are
    idempotent: one that would free nothing (already released at or before that date, or over
    before it) records nothing; one from an earlier date than an earlier release releases again.
  - A REQUESTED allocation promises nothing, so there is nothing to release: reject it instead.

State queries: `hours_in(week, capacity)`, `active_range`, `load()` (the promised capacity for
the arithmetic), `requested_load()` (its shape whatever the status), `needs_release_from(day)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from pmo_events.aggregate import Aggregate
from pmo_events.errors import Conflict, Forbidden, GuardrailViolation, InvalidInput
from pmo_events.registry import DomainEvent

from pmo_resources.domain import validation as check
from pmo_resources.domain.capacity import (
    AllocationLoad,
    CommitmentContext,
    IsoWeek,
    describe_overcommitment,
    overcommitments,
    peak_percent,
)
from pmo_resources.domain.events import (
    AllocationAdjusted,
    AllocationApproved,
    AllocationRejected,
    AllocationReleased,
    AllocationRequested,
    OvercommitmentOverridden,
    ReleaseCause,
)

RANGE_MAX = timedelta(days=731)  # an allocation covers at most two years (a leap day included)
_OVERRIDE_HINT = "reduce the allocation or a pmo/admin may override with a reason"


class AllocationStatus(StrEnum):
    REQUESTED = "REQUESTED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    RELEASED = "RELEASED"


@dataclass(frozen=True)
class Shape:
    """An allocation's range and size: exactly one of `percent` and `hours_per_week`."""

    starts_on: date
    ends_on: date
    percent: int | None
    hours_per_week: Decimal | None

    @classmethod
    def checked(
        cls,
        starts_on: date,
        ends_on: date,
        percent: int | None,
        hours_per_week: Decimal | None,
    ) -> Shape:
        check.date_range("starts_on", starts_on, "ends_on", ends_on, max_span=RANGE_MAX)
        if (percent is None) == (hours_per_week is None):
            raise InvalidInput(
                "give exactly one of percent (1-100 % of the capacity) and hours_per_week "
                f"(hours each week); got percent={percent!r}, hours_per_week={hours_per_week!r}"
            )
        if percent is not None:
            percent = check.integer("percent", percent, low=1, high=100)
        if hours_per_week is not None:
            hours_per_week = check.weekly_hours("hours_per_week", hours_per_week)
        return cls(starts_on, ends_on, percent, hours_per_week)

    def describe(self) -> str:
        size = f"{self.percent} %" if self.percent is not None else f"{self.hours_per_week} h/week"
        return f"{size} from {self.starts_on} to {self.ends_on}"


def override_reason_of(reason: str | None, *, may_override: bool) -> str | None:
    """The cleaned override reason (None when absent); Forbidden without pmo or admin."""
    cleaned = check.optional_text("override_reason", reason)
    if cleaned is not None and not may_override:
        raise Forbidden(
            "only a pmo or admin may override an invariant; send the command without "
            "override_reason, or ask a pmo or admin to send it"
        )
    return cleaned


@dataclass(kw_only=True)
class Allocation(Aggregate):
    STREAM_TYPE: ClassVar[str] = "Allocation"

    initiative_id: str = ""
    person_id: str | None = None
    team_id: str | None = None
    starts_on: date = date.min
    ends_on: date = date.min
    percent: int | None = None
    hours_per_week: Decimal | None = None
    note: str = ""
    status: AllocationStatus | None = None  # None: no AllocationRequested yet
    requested_by: str = ""
    requested_at: datetime | None = None
    approved_by: str | None = None
    approved_at: datetime | None = None
    rejection_reason: str | None = None
    released_from: date | None = None
    release_cause: ReleaseCause | None = None
    release_source_event_id: str | None = None
    overrides: list[OvercommitmentOverridden] = field(default_factory=list)

    # --- queries -------------------------------------------------------------------------------

    @property
    def shape(self) -> Shape:
        return Shape(self.starts_on, self.ends_on, self.percent, self.hours_per_week)

    @property
    def last_active_day(self) -> date:
        """`ends_on`, or the day before `released_from` after a release."""
        if self.released_from is None:
            return self.ends_on
        return min(self.ends_on, self.released_from - timedelta(days=1))

    @property
    def active_range(self) -> tuple[date, date] | None:
        """The days its capacity is promised on: None while REQUESTED, once REJECTED, or when a
        release dropped it entirely."""
        if self.status not in (AllocationStatus.APPROVED, AllocationStatus.RELEASED):
            return None
        if self.last_active_day < self.starts_on:
            return None
        return self.starts_on, self.last_active_day

    def load(self) -> AllocationLoad | None:
        """The promised capacity for the arithmetic (None when nothing is promised)."""
        active = self.active_range
        if active is None:
            return None
        return self._load_of(Shape(active[0], active[1], self.percent, self.hours_per_week))

    def requested_load(self) -> AllocationLoad:
        """Its current shape as a load, whatever its status (for what-ifs on a request)."""
        return self._load_of(self.shape)

    def hours_in(self, week: IsoWeek, capacity: Decimal) -> Decimal:
        """A person allocation's promised hours in `week`, the person's weekly capacity that week
        being `capacity` (0 outside its active range). Team allocations spread over the roster:
        use `capacity.person_hours` with the team's `CommitmentContext`."""
        if self.team_id is not None:
            raise ValueError(f"allocation {self.id!r} is a team allocation; use person_hours")
        load = self.load()
        return Decimal(0) if load is None else load.hours_in(week, capacity)

    def needs_release_from(self, day: date) -> bool:
        """Whether a release from `day` would free promised capacity (some active day ≥ `day`)."""
        active = self.active_range
        return active is not None and active[1] >= day

    # --- commands ------------------------------------------------------------------------------

    @classmethod
    def request(
        cls,
        allocation_id: str,
        *,
        initiative_id: str,
        person_id: str | None = None,
        team_id: str | None = None,
        starts_on: date,
        ends_on: date,
        percent: int | None = None,
        hours_per_week: Decimal | None = None,
        note: str = "",
        actor: str,
        now: datetime,
    ) -> Allocation:
        """A new REQUESTED allocation (the handler checked that the person or team exists)."""
        allocation_id = check.text("allocation_id", allocation_id)
        initiative_id = check.text("initiative_id", initiative_id)
        person_id = check.optional_text("person_id", person_id, max_length=check.NAME_MAX)
        team_id = check.optional_text("team_id", team_id, max_length=check.NAME_MAX)
        if (person_id is None) == (team_id is None):
            raise InvalidInput(
                "give exactly one of person_id and team_id: an allocation is for a person or for "
                "a team"
            )
        shape = Shape.checked(starts_on, ends_on, percent, hours_per_week)
        note = check.text("note", note, max_length=check.TEXT_MAX, required=False)
        allocation = cls(id=allocation_id)
        allocation._record(
            AllocationRequested(
                allocation_id=allocation_id,
                initiative_id=initiative_id,
                person_id=person_id,
                team_id=team_id,
                starts_on=shape.starts_on,
                ends_on=shape.ends_on,
                percent=shape.percent,
                hours_per_week=shape.hours_per_week,
                note=note,
                requested_by=actor,
                requested_at=now,
            )
        )
        return allocation

    def approve(
        self,
        *,
        context: CommitmentContext,
        override_reason: str | None = None,
        may_override: bool = False,
        actor: str,
        now: datetime,
    ) -> None:
        """Promise the capacity, if nobody ends up above 100 % (or a pmo/admin overrides).

        `context`: the capacities and rosters of the people it touches and the approved
        allocations that touch them over its range (`CommitmentContext`).
        """
        override = override_reason_of(override_reason, may_override=may_override)
        self._ensure(AllocationStatus.REQUESTED, "be approved")
        for overridden in self._check_commitment(self.shape, context, override, actor, now):
            self._record(overridden)
        self._record(AllocationApproved(allocation_id=self.id, approved_by=actor, approved_at=now))

    def reject(self, *, reason: str, actor: str, now: datetime) -> None:
        reason = check.text("reason", reason, max_length=check.TEXT_MAX)
        self._ensure(AllocationStatus.REQUESTED, "be rejected")
        self._record(
            AllocationRejected(
                allocation_id=self.id, reason=reason, rejected_by=actor, rejected_at=now
            )
        )

    def adjust(
        self,
        *,
        starts_on: date,
        ends_on: date,
        percent: int | None = None,
        hours_per_week: Decimal | None = None,
        context: CommitmentContext | None = None,
        override_reason: str | None = None,
        may_override: bool = False,
        actor: str,
        now: datetime,
    ) -> None:
        """Replace range and size. An APPROVED allocation needs `context` (as for `approve`) and
        is re-checked; records nothing when the shape does not change."""
        shape = Shape.checked(starts_on, ends_on, percent, hours_per_week)
        override = override_reason_of(override_reason, may_override=may_override)
        if self.status not in (AllocationStatus.REQUESTED, AllocationStatus.APPROVED):
            raise Conflict(
                f"allocation {self.id!r} is {self._status_text()} and can no longer be adjusted; "
                "request a new allocation instead"
            )
        if shape == self.shape:
            return
        overrides: list[OvercommitmentOverridden] = []
        if self.status is AllocationStatus.APPROVED:
            if context is None:
                raise ValueError("adjusting an approved allocation needs its CommitmentContext")
            overrides = self._check_commitment(shape, context, override, actor, now)
        for overridden in overrides:
            self._record(overridden)
        self._record(
            AllocationAdjusted(
                allocation_id=self.id,
                starts_on=shape.starts_on,
                ends_on=shape.ends_on,
                percent=shape.percent,
                hours_per_week=shape.hours_per_week,
                adjusted_by=actor,
                adjusted_at=now,
            )
        )

    def release(
        self,
        *,
        reason: str,
        released_from: date | None = None,
        cause: ReleaseCause = ReleaseCause.MANUAL,
        source_event_id: str | None = None,
        today: date | None = None,
        actor: str,
        now: datetime,
    ) -> None:
        """Free the capacity from `released_from` on (see the module docstring for the rules).

        `today`: the command's calendar date, used when a MANUAL release gives no
        `released_from` (defaults to `now`'s date).
        """
        cause = check.choice("cause", cause, ReleaseCause)
        reason = check.text("reason", reason, max_length=check.TEXT_MAX)
        source_event_id = check.optional_text(
            "source_event_id", source_event_id, max_length=check.NAME_MAX
        )
        if cause is ReleaseCause.MANUAL:
            day = self._manual_release_day(released_from, today or now.date())
        else:
            if source_event_id is None:
                raise InvalidInput(
                    f"a release caused by {cause.value} reacts to an event: give its "
                    "source_event_id"
                )
            if released_from is None:
                raise InvalidInput(
                    f"a release caused by {cause.value} needs released_from: the day after the "
                    "last day worked"
                )
            self._ensure_releasable()
            day = max(released_from, self.starts_on)
            if not self.needs_release_from(day):
                return  # already free from that day on: a replay or an earlier release
        self._record(
            AllocationReleased(
                allocation_id=self.id,
                released_from=day,
                cause=cause,
                reason=reason,
                source_event_id=source_event_id,
                released_by=actor,
                released_at=now,
            )
        )

    # --- invariants ----------------------------------------------------------------------------

    def _check_commitment(
        self,
        shape: Shape,
        context: CommitmentContext,
        override: str | None,
        actor: str,
        now: datetime,
    ) -> list[OvercommitmentOverridden]:
        """Nothing when nobody is overcommitted; the overrides when a reason was given;
        GuardrailViolation otherwise."""
        found = overcommitments(self._load_of(shape), context)
        if not found:
            return []
        if override is None:
            described = "; ".join(
                describe_overcommitment(context.name_of(person_id), weeks)
                for person_id, weeks in found.items()
            )
            raise GuardrailViolation(f"{described}; {_OVERRIDE_HINT}")
        return [
            OvercommitmentOverridden(
                allocation_id=self.id,
                person_id=person_id,
                weeks=[load.week for load in weeks],
                peak_percent=peak_percent(weeks),
                reason=override,
                overridden_by=actor,
                overridden_at=now,
            )
            for person_id, weeks in found.items()
        ]

    def _manual_release_day(self, released_from: date | None, today: date) -> date:
        self._ensure_releasable()
        if self.status is AllocationStatus.RELEASED:
            raise Conflict(
                f"allocation {self.id!r} was already released from {self.released_from}; "
                "nothing more to release"
            )
        if released_from is None:
            if today > self.ends_on:
                raise Conflict(
                    f"allocation {self.id!r} ended on {self.ends_on}; there is nothing left to "
                    "release"
                )
            return max(today, self.starts_on)
        if not self.starts_on <= released_from <= self.ends_on:
            raise InvalidInput(
                f"released_from ({released_from}) must lie within the allocation's range "
                f"{self.starts_on}..{self.ends_on}; leave it out to release from today"
            )
        return released_from

    def _ensure_releasable(self) -> None:
        if self.status is AllocationStatus.REQUESTED:
            raise Conflict(
                f"allocation {self.id!r} is only requested, so it promises no capacity to "
                "release; reject it instead (with a reason)"
            )
        if self.status not in (AllocationStatus.APPROVED, AllocationStatus.RELEASED):
            raise Conflict(
                f"allocation {self.id!r} is {self._status_text()}; only an approved allocation "
                "can be released"
            )

    def _ensure(self, status: AllocationStatus, action: str) -> None:
        if self.status is not status:
            raise Conflict(
                f"allocation {self.id!r} is {self._status_text()}; only a {status.value} "
                f"allocation can {action}"
            )

    def _status_text(self) -> str:
        return "not requested" if self.status is None else self.status.value

    def _load_of(self, shape: Shape) -> AllocationLoad:
        return AllocationLoad(
            allocation_id=self.id,
            starts_on=shape.starts_on,
            ends_on=shape.ends_on,
            percent=shape.percent,
            hours_per_week=shape.hours_per_week,
            person_id=self.person_id,
            team_id=self.team_id,
        )

    # --- state ---------------------------------------------------------------------------------

    def _when(self, event: DomainEvent) -> None:
        match event:
            case AllocationRequested():
                self.initiative_id = event.initiative_id
                self.person_id = event.person_id
                self.team_id = event.team_id
                self._reshape(event.starts_on, event.ends_on, event.percent, event.hours_per_week)
                self.note = event.note
                self.status = AllocationStatus.REQUESTED
                self.requested_by = event.requested_by
                self.requested_at = event.requested_at
            case AllocationApproved():
                self.status = AllocationStatus.APPROVED
                self.approved_by = event.approved_by
                self.approved_at = event.approved_at
            case AllocationRejected():
                self.status = AllocationStatus.REJECTED
                self.rejection_reason = event.reason
            case AllocationAdjusted():
                self._reshape(event.starts_on, event.ends_on, event.percent, event.hours_per_week)
            case AllocationReleased():
                self.status = AllocationStatus.RELEASED
                self.released_from = event.released_from
                self.release_cause = event.cause
                self.release_source_event_id = event.source_event_id
            case OvercommitmentOverridden():
                self.overrides.append(event)
            case _:
                self._unexpected(event)

    def _reshape(
        self, starts_on: date, ends_on: date, percent: int | None, hours: Decimal | None
    ) -> None:
        self.starts_on, self.ends_on = starts_on, ends_on
        self.percent, self.hours_per_week = percent, hours
