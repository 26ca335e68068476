"""The people read models: `people` (one row per person), `person_skills` and the dated histories
`person_capacity_changes` and `person_cost_rates`. Written in the append's transaction
(read-your-writes) and rebuilt from the event store at any time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import sqlalchemy as sa
from pmo_events.errors import InvalidInput
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from pmo_resources.domain.events import (
    CapacityChanged,
    CostRateChanged,
    PersonOffboarded,
    PersonOnboarded,
    SkillAssessed,
)
from pmo_resources.projections.tables import (
    people,
    person_capacity_changes,
    person_cost_rates,
    person_skills,
    team_members,
)

# --- rows --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PersonRow:
    id: str
    name: str
    email: str
    title: str
    home_team_id: str | None
    starts_on: date
    offboarded: bool
    last_day: date | None
    offboard_reason: str | None
    offboarded_by: str | None
    offboarded_at: datetime | None
    onboarded_by: str
    onboarded_at: datetime
    updated_at: datetime
    version: int

    def employed_on(self, day: date) -> bool:
        return self.starts_on <= day and (self.last_day is None or day <= self.last_day)


@dataclass(frozen=True, slots=True)
class SkillRow:
    person_id: str
    skill: str
    level: int
    assessed_by: str
    assessed_at: datetime


@dataclass(frozen=True, slots=True)
class CapacityRow:
    person_id: str
    version: int
    effective_from: date
    weekly_capacity_hours: Decimal
    changed_by: str
    changed_at: datetime


@dataclass(frozen=True, slots=True)
class RateRow:
    person_id: str
    version: int
    effective_from: date
    cost_rate: Decimal
    currency: str
    changed_by: str
    changed_at: datetime


def _person(row: sa.Row[Any]) -> PersonRow:
    values = row._mapping
    return PersonRow(**{field.name: values[field.name] for field in fields(PersonRow)})


D = TypeVar("D", CapacityRow, RateRow)


def in_force(history: Sequence[D], day: date) -> D | None:
    """The change in force on `day`: the latest effective date on or before it, the later
    version on equal dates (the Person aggregate's rule)."""
    found: D | None = None
    for change in history:
        if change.effective_from <= day and (
            found is None
            or (change.effective_from, change.version) > (found.effective_from, found.version)
        ):
            found = change
    return found


def effective_history(history: Sequence[D]) -> list[D]:
    """One change per effective date (the later version of a same-day correction), by date."""
    latest: dict[date, D] = {}
    for change in sorted(history, key=lambda c: (c.effective_from, c.version)):
        latest[change.effective_from] = change
    return list(latest.values())


def capacity_on(person: PersonRow, history: Sequence[CapacityRow], day: date) -> Decimal:
    """Weekly hours in force on `day`; 0 outside the person's employment."""
    if not person.employed_on(day):
        return Decimal(0)
    change = in_force(history, day)
    return change.weekly_capacity_hours if change is not None else Decimal(0)


def rate_on(history: Sequence[RateRow], day: date) -> RateRow | None:
    """The cost rate in force on `day` (the onboarding rate before the start date)."""
    return in_force(history, day) or min(history, key=lambda c: c.version, default=None)


# --- projection --------------------------------------------------------------------------------


def _touch(person_id: str, at: datetime, version: int) -> sa.Update:
    return sa.update(people).where(people.c.id == person_id).values(updated_at=at, version=version)


async def onboarded(conn: AsyncConnection, event: PersonOnboarded, version: int) -> None:
    # A plain INSERT: the partial unique index on active e-mails must be able to refuse it.
    await conn.execute(
        sa.insert(people).values(
            id=event.person_id,
            name=event.name,
            email=event.email,
            title=event.title,
            home_team_id=event.home_team_id,
            starts_on=event.starts_on,
            offboarded=False,
            onboarded_by=event.onboarded_by,
            onboarded_at=event.onboarded_at,
            updated_at=event.onboarded_at,
            version=version,
        )
    )
    common = {
        "person_id": event.person_id,
        "version": version,
        "effective_from": event.starts_on,
        "changed_by": event.onboarded_by,
        "changed_at": event.onboarded_at,
    }
    await conn.execute(
        sa.insert(person_capacity_changes).values(
            **common, weekly_capacity_hours=event.weekly_capacity_hours
        )
    )
    await conn.execute(
        sa.insert(person_cost_rates).values(
            **common, cost_rate=event.cost_rate, currency=event.currency
        )
    )


async def skill_assessed(conn: AsyncConnection, event: SkillAssessed, version: int) -> None:
    values = {
        "level": event.level,
        "assessed_by": event.assessed_by,
        "assessed_at": event.assessed_at,
    }
    await conn.execute(
        insert(person_skills)
        .values(person_id=event.person_id, skill=event.skill, **values)
        .on_conflict_do_update(index_elements=["person_id", "skill"], set_=values)
    )
    await conn.execute(_touch(event.person_id, event.assessed_at, version))


async def capacity_changed(conn: AsyncConnection, event: CapacityChanged, version: int) -> None:
    await conn.execute(
        sa.insert(person_capacity_changes).values(
            person_id=event.person_id,
            version=version,
            effective_from=event.effective_from,
            weekly_capacity_hours=event.weekly_capacity_hours,
            changed_by=event.changed_by,
            changed_at=event.changed_at,
        )
    )
    await conn.execute(_touch(event.person_id, event.changed_at, version))


async def cost_rate_changed(conn: AsyncConnection, event: CostRateChanged, version: int) -> None:
    await conn.execute(
        sa.insert(person_cost_rates).values(
            person_id=event.person_id,
            version=version,
            effective_from=event.effective_from,
            cost_rate=event.cost_rate,
            currency=event.currency,
            changed_by=event.changed_by,
            changed_at=event.changed_at,
        )
    )
    await conn.execute(_touch(event.person_id, event.changed_at, version))


async def offboarded(conn: AsyncConnection, event: PersonOffboarded, version: int) -> None:
    await conn.execute(
        _touch(event.person_id, event.offboarded_at, version).values(
            offboarded=True,
            last_day=event.last_day,
            offboard_reason=event.reason,
            offboarded_by=event.offboarded_by,
            offboarded_at=event.offboarded_at,
        )
    )


# --- helpers for the command side --------------------------------------------------------------


async def lock(conn: AsyncConnection, person_id: str) -> bool:
    """Lock the person's row until the transaction ends (SELECT … FOR UPDATE); False (nothing
    locked) when there is no such person. Commands that read the person's memberships take it
    first, so two of them on one person decide one after the other."""
    found = await conn.execute(
        sa.select(people.c.id).where(people.c.id == person_id).with_for_update()
    )
    return found.first() is not None


async def active_with_email(conn: AsyncConnection, email: str) -> str | None:
    """The id of the active person who has `email` (lower-cased), if any."""
    found = await conn.scalar(
        sa.select(people.c.id).where(people.c.email == email, sa.not_(people.c.offboarded))
    )
    return str(found) if found is not None else None


# --- reads -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PersonFilter:
    """Narrows a people list; every condition given must hold.

    - `team_id`: a member of the team now or from a later date (a membership not ended before
      `today`);
    - `skill`/`min_level`: assessed in the (normalised) skill at `min_level` or above;
    - `search`: case-insensitive substring of the name, e-mail or title;
    - `include_offboarded`: offboarded people are left out unless this is set.
    """

    today: date
    team_id: str | None = None
    skill: str | None = None
    min_level: int = 1
    search: str | None = None
    include_offboarded: bool = False


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def current_member_of(team_id: str, today: date) -> sa.ColumnElement[bool]:
    """People with a membership of the team that has not ended before `today`."""
    return sa.exists(
        sa.select(team_members.c.person_id).where(
            team_members.c.person_id == people.c.id,
            team_members.c.team_id == team_id,
            sa.or_(team_members.c.left_on.is_(None), team_members.c.left_on >= today),
        )
    )


def _filtered(query: sa.Select[Any], where: PersonFilter) -> sa.Select[Any]:
    if not where.include_offboarded:
        query = query.where(sa.not_(people.c.offboarded))
    if where.team_id is not None:
        query = query.where(current_member_of(where.team_id, where.today))
    if where.skill is not None:
        query = query.where(
            sa.exists(
                sa.select(person_skills.c.person_id).where(
                    person_skills.c.person_id == people.c.id,
                    person_skills.c.skill == where.skill,
                    person_skills.c.level >= where.min_level,
                )
            )
        )
    if where.search is not None:
        text = where.search.strip()
        if not text:
            raise InvalidInput("search must not be blank; leave it out to list everyone")
        pattern = _like(text)
        query = query.where(
            sa.or_(
                people.c.name.ilike(pattern, escape="\\"),
                people.c.email.ilike(pattern, escape="\\"),
                people.c.title.ilike(pattern, escape="\\"),
            )
        )
    return query


async def page(
    conn: AsyncConnection, *, where: PersonFilter, after: tuple[str, str] | None, limit: int
) -> list[PersonRow]:
    """People by name (then id), keyset-paginated on (name, id)."""
    query = _filtered(sa.select(people), where)
    if after is not None:
        query = query.where(
            sa.tuple_(people.c.name, people.c.id)
            > sa.tuple_(sa.literal(after[0]), sa.literal(after[1]))
        )
    rows = await conn.execute(query.order_by(people.c.name, people.c.id).limit(limit))
    return [_person(row) for row in rows]


async def by_ids(conn: AsyncConnection, ids: Sequence[str]) -> dict[str, PersonRow]:
    rows = await conn.execute(sa.select(people).where(people.c.id.in_(list(ids))))
    return {row.id: _person(row) for row in rows}


async def active(conn: AsyncConnection, *, team_id: str | None, today: date) -> list[PersonRow]:
    """Active people by name, optionally only the team's current members."""
    query = _filtered(sa.select(people), PersonFilter(today=today, team_id=team_id))
    rows = await conn.execute(query.order_by(people.c.name, people.c.id))
    return [_person(row) for row in rows]


async def skills_of(conn: AsyncConnection, person_ids: Sequence[str]) -> dict[str, list[SkillRow]]:
    """Each person's assessed skills, by skill name."""
    rows = await conn.execute(
        sa.select(person_skills)
        .where(person_skills.c.person_id.in_(list(person_ids)))
        .order_by(person_skills.c.person_id, person_skills.c.skill)
    )
    found: dict[str, list[SkillRow]] = {}
    for row in rows:
        found.setdefault(row.person_id, []).append(SkillRow(**row._mapping))
    return found


async def capacity_histories(
    conn: AsyncConnection, person_ids: Sequence[str]
) -> dict[str, list[CapacityRow]]:
    """Each person's capacity changes, in stream order."""
    table = person_capacity_changes
    rows = await conn.execute(
        sa.select(table)
        .where(table.c.person_id.in_(list(person_ids)))
        .order_by(table.c.person_id, table.c.version)
    )
    found: dict[str, list[CapacityRow]] = {}
    for row in rows:
        found.setdefault(row.person_id, []).append(CapacityRow(**row._mapping))
    return found


async def rate_histories(
    conn: AsyncConnection, person_ids: Sequence[str]
) -> dict[str, list[RateRow]]:
    """Each person's cost-rate changes, in stream order."""
    table = person_cost_rates
    rows = await conn.execute(
        sa.select(table)
        .where(table.c.person_id.in_(list(person_ids)))
        .order_by(table.c.person_id, table.c.version)
    )
    found: dict[str, list[RateRow]] = {}
    for row in rows:
        found.setdefault(row.person_id, []).append(RateRow(**row._mapping))
    return found
