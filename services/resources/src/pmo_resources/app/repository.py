"""The resources context's unit of work: `pmo_events.unit_of_work` plus its locks and the reads
its invariants need inside a command's transaction.

    async with repository.transaction(context.metadata("AddTeamMember")) as tx:
        person = await tx.lock_person(person_id)          # serialises the person's commands
        others = await tx.memberships_of(person_id)       # every team, under that lock
        team = await tx.load(Team, team_id)
        team.add_member(person, 50, joined_on=..., other_memberships=others, ...)
        await tx.save(team)
    # committed here; a refusal raised inside the block rolls everything back

Reads of the read models are only trustworthy under the matching lock: `lock_person` locks the
person's row in `people` and (re)loads the person after the lock, so two commands that check the
person's shares across teams (joins, offboarding) check and write one after the other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from pmo_events.errors import InvalidInput, NotFound
from pmo_events.postgres import PostgresEventStore
from pmo_events.unit_of_work import StreamKinds, Transaction, UnitOfWork, retry_on_conflict
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from pmo_resources.domain import validation as check
from pmo_resources.domain.events import registry
from pmo_resources.domain.person import Person
from pmo_resources.domain.team import Membership, Team
from pmo_resources.projections import people as read_people
from pmo_resources.projections import project
from pmo_resources.projections import teams as read_teams
from pmo_resources.projections.tables import ACTIVE_EMAIL_INDEX, people

__all__ = ["Repository", "ResourcesTransaction", "retry_on_conflict"]

# Stream types as messages name them. The allocation, demand, budget and tool streams join this
# map as their aggregates arrive (a missing entry is named by its stream type).
KINDS = StreamKinds(
    {
        Person.STREAM_TYPE: "person",
        Team.STREAM_TYPE: "team",
        "Allocation": "allocation",
        "Demand": "demand",
        "Budget": "budget",
        "Tool": "tool",
    },
    # A Demand stream starts with the first reaction to its initiative: loading it before then
    # gives the empty aggregate (reactions decide on it) instead of NotFound.
    always_there=frozenset({"Demand"}),
)

UNIQUE_VIOLATION = "23505"


class ResourcesTransaction(Transaction):
    """A resources command's transaction (see the module docstring)."""

    async def lock_person(self, person_id: str) -> Person:
        """Lock the person's row until commit, then load the person (NotFound if none)."""
        check.text("person_id", person_id)
        if not await read_people.lock(self.conn, person_id):
            raise NotFound(
                f"no person has the id {person_id!r}; check the id (list people to find it)"
            )
        return await self.load(Person, person_id)

    async def lock_people(self, person_ids: Iterable[str]) -> list[str]:
        """Lock the rows of every given person that exists until commit, in id order (every
        command locking several people does so in this order, so two never deadlock); the ids
        locked. Commands deciding on the people's commitment (allocation approvals) take it."""
        locked = await self.conn.scalars(
            sa.select(people.c.id)
            .where(people.c.id.in_(sorted(set(person_ids))))
            .order_by(people.c.id)
            .with_for_update()
        )
        return list(locked)

    async def memberships_of(self, person_id: str) -> list[Membership]:
        """The person's memberships of every team (take `lock_person` first)."""
        return await read_teams.memberships_of_person(self.conn, person_id)

    async def save_onboarded(self, person: Person) -> None:
        """Save a newly onboarded person; BAD_USER_INPUT if an active person has the e-mail.

        The partial unique index on active e-mails decides, inside this transaction: a rival
        onboarding with the same e-mail waits for this one and then fails (or the other way
        round), so no check-then-insert race exists. The savepoint keeps the transaction usable
        to name the holder; the caller's block then rolls everything back.
        """
        try:
            async with self.conn.begin_nested():
                await self.save(person)
        except IntegrityError as error:
            if not _violates(error, ACTIVE_EMAIL_INDEX):
                raise
            holder = await read_people.active_with_email(self.conn, person.email)
            raise InvalidInput(
                f"e-mail {person.email!r} is already used by {holder or 'an active person'}; "
                "give another e-mail, or offboard that person first"
            ) from None


def _violates(error: IntegrityError, index: str) -> bool:
    """Whether `error` is a unique violation of `index` (asyncpg names the constraint)."""
    original = error.orig
    if getattr(original, "sqlstate", None) != UNIQUE_VIOLATION:
        return False
    cause = getattr(original, "__cause__", None)
    return getattr(cause, "constraint_name", None) == index or index in str(original)


class Repository(UnitOfWork[ResourcesTransaction]):
    """Every aggregate of the resources context, over one service's event store."""

    def __init__(self, engine: AsyncEngine, store: PostgresEventStore) -> None:
        super().__init__(
            engine,
            store,
            registry=registry,
            project=project,
            kinds=KINDS,
            transaction_type=ResourcesTransaction,
        )

    def transaction_on(
        self, conn: AsyncConnection, metadata: Mapping[str, Any]
    ) -> ResourcesTransaction:
        """A unit of work inside a transaction the caller owns (a projector runner's, so its
        tracking row commits with the events): save, then `append_saved()`; the caller commits."""
        return ResourcesTransaction(
            conn,
            self.store,
            metadata,
            registry=self.registry,
            project=project,
            kinds=self.kinds,
        )
