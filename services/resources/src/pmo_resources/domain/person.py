"""The Person aggregate: someone in the organisation's resource pool.

A person is onboarded with a name, an e-mail (unique among active people: the read model's
partial unique index enforces it inside the onboarding transaction, see app/people.py), a title,
an optional home team, a weekly capacity in hours and an hourly cost rate. Skills are assessed on
a 1-5 scale; the latest assessment of a skill replaces the earlier ones.

Capacity and cost rate are dated: each change applies from its `effective_from` day on, so the
past keeps the values it had (labour already accrued is not repriced). `capacity_on(day)` and
`rate_on(day)` answer "what was in force that day". When two changes share a date, the one
recorded later wins (a correction).

Offboarding records the last day; from then on every command on the person is refused (CONFLICT)
and their e-mail is free for someone else. Their allocations after the last day are released by
the allocation side, and their team memberships end by the offboarding handler (TeamMemberLeft).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import ClassVar, TypeVar

from pmo_events.aggregate import Aggregate
from pmo_events.errors import Conflict, InvalidInput

from pmo_resources.domain import validation as check
from pmo_resources.domain.events import (
    CapacityChanged,
    CostRateChanged,
    PersonOffboarded,
    PersonOnboarded,
    ResourcesEvent,
    SkillAssessed,
)

SKILLS_MAX = 200  # assessed skills per person: a profile, not a dictionary
SKILL_LEVELS = (1, 2, 3, 4, 5)  # novice .. expert


@dataclass(frozen=True, slots=True)
class CapacityChange:
    """Weekly capacity in hours from `effective_from` on (until a later-dated change)."""

    effective_from: date
    weekly_hours: Decimal


@dataclass(frozen=True, slots=True)
class Rate:
    """An hourly cost rate in a currency."""

    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class RateChange:
    """Hourly cost rate from `effective_from` on (until a later-dated change)."""

    effective_from: date
    rate: Rate


@dataclass(frozen=True, slots=True)
class SkillLevel:
    skill: str
    level: int
    assessed_by: str
    assessed_at: datetime


C = TypeVar("C", CapacityChange, RateChange)


def normalise_skill(field: str, name: str) -> str:
    """A skill name in its one spelling: trimmed, inner spaces collapsed, lower-cased
    ("  Domain-Driven   Design " is "domain-driven design"). Everything that compares skills
    (assessments, filters, demand's needs) goes through this."""
    return check.skill(field, name).casefold()


@dataclass(kw_only=True)
class Person(Aggregate):
    STREAM_TYPE: ClassVar[str] = "Person"

    name: str = ""
    email: str = ""
    title: str = ""
    home_team_id: str | None = None
    starts_on: date | None = None
    last_day: date | None = None
    offboard_reason: str | None = None
    onboarded_by: str = ""
    onboarded_at: datetime | None = None
    updated_at: datetime | None = None
    skills: dict[str, SkillLevel] = field(default_factory=dict)
    # In recording order; `_in_force` picks the latest-dated (then latest-recorded) entry.
    capacity_changes: list[CapacityChange] = field(default_factory=list)
    rate_changes: list[RateChange] = field(default_factory=list)

    # --- commands ------------------------------------------------------------------------------

    @classmethod
    def onboard(
        cls,
        person_id: str,
        *,
        name: str,
        email: str,
        title: str,
        home_team_id: str | None,
        weekly_capacity_hours: Decimal,
        cost_rate: Decimal,
        currency: str,
        starts_on: date,
        actor: str,
        now: datetime,
    ) -> Person:
        """A new person (the handler checks that the home team exists and the e-mail is free)."""
        person_id = check.text("person_id", person_id)
        person = cls(id=person_id)
        person._record(
            PersonOnboarded(
                person_id=person_id,
                name=check.text("name", name),
                email=check.email("email", email),
                title=check.text("title", title),
                home_team_id=check.optional_text(
                    "home_team_id", home_team_id, max_length=check.NAME_MAX
                ),
                weekly_capacity_hours=check.hours("weekly_capacity_hours", weekly_capacity_hours),
                cost_rate=check.money("cost_rate", cost_rate),
                currency=check.currency("currency", currency),
                starts_on=starts_on,
                onboarded_by=actor,
                onboarded_at=now,
            )
        )
        return person

    def assess_skill(self, skill: str, level: int, *, actor: str, now: datetime) -> None:
        """Record a skill's level (1 novice .. 5 expert); it replaces the skill's last level."""
        self._ensure_active("have a skill assessed")
        skill = normalise_skill("skill", skill)
        level = check.integer("level", level, low=SKILL_LEVELS[0], high=SKILL_LEVELS[-1])
        if skill not in self.skills and len(self.skills) >= SKILLS_MAX:
            raise InvalidInput(
                f"person {self.id!r} already has {SKILLS_MAX} assessed skills, the limit; "
                "reassess an existing skill instead"
            )
        self._record(
            SkillAssessed(
                person_id=self.id, skill=skill, level=level, assessed_by=actor, assessed_at=now
            )
        )

    def change_capacity(
        self, weekly_hours: Decimal, *, effective_from: date, actor: str, now: datetime
    ) -> None:
        """Weekly capacity from `effective_from` on; records nothing if exactly that is in force
        from exactly that day already."""
        self._ensure_active("change their capacity")
        weekly_hours = check.hours("weekly_capacity_hours", weekly_hours)
        self._ensure_employed_from(effective_from)
        if self._latest_dated(self.capacity_changes, effective_from) == CapacityChange(
            effective_from, weekly_hours
        ):
            return
        self._record(
            CapacityChanged(
                person_id=self.id,
                weekly_capacity_hours=weekly_hours,
                effective_from=effective_from,
                changed_by=actor,
                changed_at=now,
            )
        )

    def change_cost_rate(
        self,
        cost_rate: Decimal,
        currency: str,
        *,
        effective_from: date,
        actor: str,
        now: datetime,
    ) -> None:
        """Hourly cost rate from `effective_from` on; records nothing if exactly that is in force
        from exactly that day already."""
        self._ensure_active("change their cost rate")
        rate = Rate(check.money("cost_rate", cost_rate), check.currency("currency", currency))
        self._ensure_employed_from(effective_from)
        if self._latest_dated(self.rate_changes, effective_from) == RateChange(
            effective_from, rate
        ):
            return
        self._record(
            CostRateChanged(
                person_id=self.id,
                cost_rate=rate.amount,
                currency=rate.currency,
                effective_from=effective_from,
                changed_by=actor,
                changed_at=now,
            )
        )

    def offboard(self, *, last_day: date, reason: str, actor: str, now: datetime) -> None:
        """The person leaves after `last_day` (the day before their start: they never started)."""
        self._ensure_active("be offboarded")
        reason = check.text("reason", reason, max_length=check.TEXT_MAX)
        assert self.starts_on is not None
        if last_day < self.starts_on - timedelta(days=1):
            raise InvalidInput(
                f"last_day ({last_day.isoformat()}) is before person {self.id!r} started "
                f"({self.starts_on.isoformat()}); give a last day on or after "
                f"{(self.starts_on - timedelta(days=1)).isoformat()}"
            )
        self._record(
            PersonOffboarded(
                person_id=self.id,
                last_day=last_day,
                reason=reason,
                offboarded_by=actor,
                offboarded_at=now,
            )
        )

    # --- queries -------------------------------------------------------------------------------

    @property
    def offboarded(self) -> bool:
        return self.last_day is not None

    def employed_on(self, day: date) -> bool:
        """Whether `day` lies between the start date and the last day (both included)."""
        if self.starts_on is None or day < self.starts_on:
            return False
        return self.last_day is None or day <= self.last_day

    def capacity_on(self, day: date) -> Decimal:
        """The weekly capacity in hours in force on `day`; 0 before the start date and after
        the last day (the person is not available then)."""
        if not self.employed_on(day):
            return Decimal(0)
        change = self._in_force(self.capacity_changes, day)
        return change.weekly_hours if change is not None else Decimal(0)

    def rate_on(self, day: date) -> Rate:
        """The hourly cost rate in force on `day`. Before the first change (i.e. before the
        start date) it is the onboarding rate: a price is defined on every day, whether or not
        the person works then (capacity_on says that)."""
        if not self.rate_changes:
            raise LookupError(f"person {self.id!r} has no cost rate: it was never onboarded")
        change = self._in_force(self.rate_changes, day)
        return (change or self.rate_changes[0]).rate

    @property
    def capacity_history(self) -> list[CapacityChange]:
        """Every capacity change by effective date (same-day corrections: the later one only)."""
        return self._history(self.capacity_changes)

    @property
    def rate_history(self) -> list[RateChange]:
        """Every cost-rate change by effective date (same-day corrections: the later one only)."""
        return self._history(self.rate_changes)

    # --- helpers -------------------------------------------------------------------------------

    def _ensure_active(self, action: str) -> None:
        if self.last_day is not None:
            raise Conflict(
                f"person {self.id!r} ({self.name}) was offboarded (last day "
                f"{self.last_day.isoformat()}) and cannot {action}; onboard them again as a new "
                "person if they come back"
            )

    def _ensure_employed_from(self, effective_from: date) -> None:
        assert self.starts_on is not None
        if effective_from < self.starts_on:
            raise InvalidInput(
                f"effective_from ({effective_from.isoformat()}) is before person {self.id!r} "
                f"started ({self.starts_on.isoformat()}); give a date on or after the start date"
            )

    @staticmethod
    def _in_force(changes: list[C], day: date) -> C | None:
        found: C | None = None
        for change in changes:  # recording order: on equal dates the later one wins
            if change.effective_from <= day and (
                found is None or change.effective_from >= found.effective_from
            ):
                found = change
        return found

    @staticmethod
    def _latest_dated(changes: list[C], day: date) -> C | None:
        """The change recorded last for exactly `day` (the one in force from that day)."""
        same_day = [change for change in changes if change.effective_from == day]
        return same_day[-1] if same_day else None

    @staticmethod
    def _history(changes: list[C]) -> list[C]:
        latest: dict[date, C] = {}
        for change in changes:
            latest[change.effective_from] = change
        return [latest[day] for day in sorted(latest)]

    # --- fold ----------------------------------------------------------------------------------

    def _when(self, event: ResourcesEvent) -> None:
        match event:
            case PersonOnboarded():
                self.name = event.name
                self.email = event.email
                self.title = event.title
                self.home_team_id = event.home_team_id
                self.starts_on = event.starts_on
                self.onboarded_by = event.onboarded_by
                self.onboarded_at = event.onboarded_at
                self.updated_at = event.onboarded_at
                self.capacity_changes.append(
                    CapacityChange(event.starts_on, event.weekly_capacity_hours)
                )
                self.rate_changes.append(
                    RateChange(event.starts_on, Rate(event.cost_rate, event.currency))
                )
            case SkillAssessed():
                self.skills[event.skill] = SkillLevel(
                    event.skill, event.level, event.assessed_by, event.assessed_at
                )
                self.updated_at = event.assessed_at
            case CapacityChanged():
                self.capacity_changes.append(
                    CapacityChange(event.effective_from, event.weekly_capacity_hours)
                )
                self.updated_at = event.changed_at
            case CostRateChanged():
                self.rate_changes.append(
                    RateChange(event.effective_from, Rate(event.cost_rate, event.currency))
                )
                self.updated_at = event.changed_at
            case PersonOffboarded():
                self.last_day = event.last_day
                self.offboard_reason = event.reason
                self.updated_at = event.offboarded_at
            case _:
                self._unexpected(event)
