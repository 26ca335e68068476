"""The Team aggregate: a long-lived team (Team Topologies' type, the value stream it serves), its
members with their share of capacity, its planned capacity per iteration or period and the tools
it works with.

Memberships are dated: a member belongs to the team from `joined_on` to `left_on` (both days
included; open-ended until they leave). Leaving "the day before joining" means the membership
never took effect.

**A person's shares across teams never exceed 100 %.** The Team stream alone cannot see the
person's other teams, so `add_member` takes them (`other_memberships`): the handler reads them
from the `team_members` read model under a lock on the person's row, so two joins of one person
to two teams decide one after the other (see app/teams.py). The check is dated: only the
memberships that overlap the new one count, at the day where their sum peaks (`peak_share`).

Disbanding ends every open membership (one TeamMemberLeft each, on the disband day) before
`TeamDisbanded`; a disbanded team refuses every further command (CONFLICT).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import ClassVar

from pmo_events.aggregate import Aggregate
from pmo_events.errors import Conflict, InvalidInput, NotFound

from pmo_resources.domain import validation as check
from pmo_resources.domain.events import (
    ResourcesEvent,
    TeamCapacityPlanned,
    TeamDisbanded,
    TeamFormed,
    TeamMemberJoined,
    TeamMemberLeft,
    TeamToolAdopted,
    TeamTopology,
)
from pmo_resources.domain.person import Person

MEMBERS_MAX = 150  # Dunbar's number: a bigger "team" is an organisation
PLANS_MAX = 500  # planned iterations/periods kept per team
TOOLS_MAX = 200
FULL_SHARE = 100


@dataclass(frozen=True, slots=True)
class Membership:
    """A person's share (percent of their capacity) of one team, from `joined_on` to `left_on`
    (both included; None: until they leave)."""

    team_id: str
    person_id: str
    percent: int
    joined_on: date
    left_on: date | None = None

    def active_on(self, day: date) -> bool:
        return self.joined_on <= day and (self.left_on is None or day <= self.left_on)

    @property
    def open(self) -> bool:
        """Not left (nor leaving on a set date)."""
        return self.left_on is None


@dataclass(frozen=True, slots=True)
class PeakShare:
    """The highest sum of shares from some day on, the day it is reached and who makes it up."""

    percent: int
    day: date
    memberships: tuple[Membership, ...]


def peak_share(memberships: Iterable[Membership], from_day: date) -> PeakShare:
    """The busiest day on or after `from_day` for the given memberships.

    Sums only rise when a membership starts, so the peak is on `from_day` or on a later join
    day: those are the only days to look at. The earliest peak day wins a tie.
    """
    given = list(memberships)
    days = sorted({from_day, *(m.joined_on for m in given if m.joined_on > from_day)})
    best = PeakShare(0, from_day, ())
    for day in days:
        active = tuple(m for m in given if m.active_on(day))
        total = sum(m.percent for m in active)
        if total > best.percent:
            best = PeakShare(total, day, active)
    return best


@dataclass(frozen=True, slots=True)
class CapacityPlan:
    label: str
    starts_on: date
    ends_on: date
    capacity_hours: Decimal


@dataclass(kw_only=True)
class Team(Aggregate):
    STREAM_TYPE: ClassVar[str] = "Team"

    name: str = ""
    topology: TeamTopology | None = None
    value_stream: str = ""
    formed_by: str = ""
    formed_at: datetime | None = None
    updated_at: datetime | None = None
    # The latest membership of each person who ever joined (open or ended).
    members: dict[str, Membership] = field(default_factory=dict)
    plans: dict[str, CapacityPlan] = field(default_factory=dict)
    tool_ids: list[str] = field(default_factory=list)
    disbanded_on: date | None = None
    disband_reason: str | None = None

    # --- commands ------------------------------------------------------------------------------

    @classmethod
    def form(
        cls,
        team_id: str,
        *,
        name: str,
        topology: TeamTopology,
        value_stream: str,
        actor: str,
        now: datetime,
    ) -> Team:
        team_id = check.text("team_id", team_id)
        team = cls(id=team_id)
        team._record(
            TeamFormed(
                team_id=team_id,
                name=check.text("name", name),
                topology=check.choice("topology", topology, TeamTopology),
                value_stream=check.text("value_stream", value_stream),
                formed_by=actor,
                formed_at=now,
            )
        )
        return team

    def add_member(
        self,
        person: Person,
        percent: int,
        *,
        joined_on: date,
        other_memberships: Sequence[Membership],
        actor: str,
        now: datetime,
    ) -> None:
        """`person` joins for `percent` of their capacity from `joined_on` on.

        `other_memberships`: the person's memberships of other teams (of this one they are
        ignored: the team knows its own). Refused when the person is offboarded, already a
        member, or when their shares would exceed 100 % on some day.
        """
        self._ensure_active("take new members")
        percent = check.integer("allocation_percent", percent, low=1, high=FULL_SHARE)
        if person.offboarded:
            assert person.last_day is not None
            raise Conflict(
                f"person {person.id!r} ({person.name}) was offboarded (last day "
                f"{person.last_day.isoformat()}) and cannot join a team"
            )
        assert person.starts_on is not None
        if joined_on < person.starts_on:
            raise InvalidInput(
                f"joined_on ({joined_on.isoformat()}) is before person {person.id!r} starts "
                f"({person.starts_on.isoformat()}); give a date on or after their start date"
            )
        previous = self.members.get(person.id)
        if previous is not None and previous.open:
            raise Conflict(
                f"person {person.id!r} ({person.name}) is already a member of team {self.id!r} "
                f"with {previous.percent} % since {previous.joined_on.isoformat()}; to change "
                "the share, remove them and add them again"
            )
        if previous is not None and previous.left_on is not None and joined_on <= previous.left_on:
            raise InvalidInput(
                f"person {person.id!r} is a member of team {self.id!r} until "
                f"{previous.left_on.isoformat()}; rejoin on "
                f"{(previous.left_on + timedelta(days=1)).isoformat()} or later"
            )
        if len(self.open_members) >= MEMBERS_MAX:
            raise InvalidInput(
                f"team {self.id!r} already has {MEMBERS_MAX} members, the limit; split the team"
            )
        others = [m for m in other_memberships if m.team_id != self.id]
        peak = peak_share(others, joined_on)
        if peak.percent + percent > FULL_SHARE:
            shares = ", ".join(f"team {m.team_id!r} {m.percent} %" for m in peak.memberships)
            free = FULL_SHARE - peak.percent
            raise InvalidInput(
                f"person {person.id!r} ({person.name}) is already in other teams for "
                f"{peak.percent} % on {peak.day.isoformat()} ({shares}); {percent} % more would "
                f"make {peak.percent + percent} %, above 100 %. Give at most {free} % or reduce "
                "another membership first"
                if free > 0
                else f"person {person.id!r} ({person.name}) is already in other teams for "
                f"{peak.percent} % on {peak.day.isoformat()} ({shares}): no share is free; "
                "remove them from another team first"
            )
        self._record(
            TeamMemberJoined(
                team_id=self.id,
                person_id=person.id,
                allocation_percent=percent,
                joined_on=joined_on,
                joined_by=actor,
                joined_at=now,
            )
        )

    def remove_member(self, person_id: str, *, left_on: date, actor: str, now: datetime) -> None:
        """The member leaves after `left_on` (the day before they joined: never took effect)."""
        self._ensure_active("change its members")
        self._leave(person_id, left_on, actor, now)

    def plan_capacity(
        self,
        label: str,
        *,
        starts_on: date,
        ends_on: date,
        capacity_hours: Decimal,
        actor: str,
        now: datetime,
    ) -> None:
        """The team's capacity in hours for one iteration or period; it replaces the plan with
        the same label. Records nothing when that plan is already exactly this."""
        self._ensure_active("plan capacity")
        label = check.text("label", label)
        check.date_range("starts_on", starts_on, "ends_on", ends_on)
        hours = check.hours("capacity_hours", capacity_hours, high=check.PLANNED_HOURS_MAX)
        plan = CapacityPlan(label, starts_on, ends_on, hours)
        if self.plans.get(label) == plan:
            return
        if label not in self.plans and len(self.plans) >= PLANS_MAX:
            raise InvalidInput(
                f"team {self.id!r} already has {PLANS_MAX} capacity plans, the limit; "
                "replace an existing label"
            )
        self._record(
            TeamCapacityPlanned(
                team_id=self.id,
                label=label,
                starts_on=starts_on,
                ends_on=ends_on,
                capacity_hours=hours,
                planned_by=actor,
                planned_at=now,
            )
        )

    def adopt_tool(self, tool_id: str, *, actor: str, now: datetime) -> None:
        """The team works with the tool (its members should hold a licence); records nothing
        when it already does. Whether the tool exists is the handler's concern."""
        self._ensure_active("adopt tools")
        tool_id = check.text("tool_id", tool_id)
        if tool_id in self.tool_ids:
            return
        if len(self.tool_ids) >= TOOLS_MAX:
            raise InvalidInput(f"team {self.id!r} already uses {TOOLS_MAX} tools, the limit")
        self._record(
            TeamToolAdopted(team_id=self.id, tool_id=tool_id, adopted_by=actor, adopted_at=now)
        )

    def disband(self, *, reason: str, disbanded_on: date, actor: str, now: datetime) -> None:
        """Disband the team after `disbanded_on`: every open membership ends that day first."""
        self._ensure_active("be disbanded again")
        reason = check.text("reason", reason, max_length=check.TEXT_MAX)
        assert self.formed_at is not None
        formed_on = self.formed_at.date()
        if disbanded_on < formed_on:
            raise InvalidInput(
                f"disbanded_on ({disbanded_on.isoformat()}) is before team {self.id!r} was "
                f"formed ({formed_on.isoformat()}); give a date on or after it"
            )
        for member in self.open_members:
            left_on = max(disbanded_on, member.joined_on - timedelta(days=1))
            self._leave(member.person_id, left_on, actor, now)
        self._record(
            TeamDisbanded(
                team_id=self.id,
                reason=reason,
                disbanded_on=disbanded_on,
                disbanded_by=actor,
                disbanded_at=now,
            )
        )

    # --- queries -------------------------------------------------------------------------------

    @property
    def disbanded(self) -> bool:
        return self.disbanded_on is not None

    @property
    def open_members(self) -> list[Membership]:
        return [m for m in self.members.values() if m.open]

    def members_on(self, day: date) -> list[Membership]:
        return [m for m in self.members.values() if m.active_on(day)]

    # --- helpers -------------------------------------------------------------------------------

    def _ensure_active(self, action: str) -> None:
        if self.disbanded_on is not None:
            raise Conflict(
                f"team {self.id!r} ({self.name}) was disbanded on "
                f"{self.disbanded_on.isoformat()} and cannot {action}; form a new team"
            )

    def _leave(self, person_id: str, left_on: date, actor: str, now: datetime) -> None:
        member = self.members.get(person_id)
        if member is None or not member.open:
            raise NotFound(
                f"person {person_id!r} is not a member of team {self.id!r} ({self.name}); "
                "list the team's members for the right person id"
            )
        if left_on < member.joined_on - timedelta(days=1):
            raise InvalidInput(
                f"left_on ({left_on.isoformat()}) is before person {person_id!r} joined team "
                f"{self.id!r} ({member.joined_on.isoformat()}); give a date on or after "
                f"{(member.joined_on - timedelta(days=1)).isoformat()}"
            )
        self._record(
            TeamMemberLeft(
                team_id=self.id, person_id=person_id, left_on=left_on, left_by=actor, left_at=now
            )
        )

    # --- fold ----------------------------------------------------------------------------------

    def _when(self, event: ResourcesEvent) -> None:
        match event:
            case TeamFormed():
                self.name = event.name
                self.topology = event.topology
                self.value_stream = event.value_stream
                self.formed_by = event.formed_by
                self.formed_at = event.formed_at
                self.updated_at = event.formed_at
            case TeamMemberJoined():
                self.members[event.person_id] = Membership(
                    self.id, event.person_id, event.allocation_percent, event.joined_on
                )
                self.updated_at = event.joined_at
            case TeamMemberLeft():
                member = self.members[event.person_id]
                self.members[event.person_id] = replace(member, left_on=event.left_on)
                self.updated_at = event.left_at
            case TeamCapacityPlanned():
                self.plans[event.label] = CapacityPlan(
                    event.label, event.starts_on, event.ends_on, event.capacity_hours
                )
                self.updated_at = event.planned_at
            case TeamToolAdopted():
                self.tool_ids.append(event.tool_id)
                self.updated_at = event.adopted_at
            case TeamDisbanded():
                self.disbanded_on = event.disbanded_on
                self.disband_reason = event.reason
                self.updated_at = event.disbanded_at
            case _:
                self._unexpected(event)
