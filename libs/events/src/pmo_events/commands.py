"""Who runs a command, on behalf of which request, and the clock and id source it uses.

Handlers take a `CommandContext` instead of reading the time or generating ids themselves, so a
test can pin both; a service's API builds one per request from the authenticated principal. Its
`metadata` goes on every event the command appends.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

__all__ = ["OVERRIDERS", "CommandContext", "new_id", "utcnow"]

# The roles that may override a rule which admits overrides (a guardrail, overcommitment, an
# overrun), always with a written reason recorded as an event.
OVERRIDERS = frozenset({"pmo", "admin"})


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True, slots=True)
class CommandContext:
    """The caller of one command.

    - `actor`: the subject of the authenticated user (recorded in every event's metadata);
    - `roles`: the caller's role names;
    - `correlation_id`: the request's id, shared by every event the request causes;
    - `clock`, `ids`: where handlers get `now` and new aggregate or entity ids.
    """

    actor: str
    roles: frozenset[str] = frozenset()
    correlation_id: str = field(default_factory=new_id)
    clock: Callable[[], datetime] = utcnow
    ids: Callable[[], str] = new_id

    @classmethod
    def of(
        cls,
        actor: str,
        roles: Iterable[str] = (),
        *,
        correlation_id: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        ids: Callable[[], str] = new_id,
    ) -> CommandContext:
        # Plain names (not the chassis' Role enum): the domain and the metadata take strings.
        return cls(
            actor=actor,
            roles=frozenset(str(role) for role in roles),
            correlation_id=correlation_id or new_id(),
            clock=clock,
            ids=ids,
        )

    @property
    def may_override(self) -> bool:
        """Whether this caller may override a rule that admits overrides (`OVERRIDERS`)."""
        return not OVERRIDERS.isdisjoint(self.roles)

    @property
    def today(self) -> date:
        """The calendar date (UTC) of the command's clock."""
        return self.clock().astimezone(UTC).date()

    def metadata(self, command: str) -> dict[str, Any]:
        """What every event appended by `command` carries besides its payload."""
        return {
            "actor": self.actor,
            "roles": sorted(self.roles),
            "correlation_id": self.correlation_id,
            "command": command,
        }
