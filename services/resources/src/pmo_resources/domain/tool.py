"""The Tool aggregate: a tool the organisation pays for per seat, and who holds its licences.

**Invariant**: the licences assigned never exceed the seats bought. Assigning beyond the last
free seat is refused ("no free seat: 25 of 25 assigned"), and so is cutting the seats below what
is assigned (revoke licences first). Assigning a licence the person already holds, or setting
the seats they already are, records nothing.

Cost: `monthly_cost` is what the seats bought cost each month (the bill), `idle_cost` the part
paid for free seats. `utilisation_percent` is assigned / seats in % (None without seats).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import ClassVar

from pmo_events.aggregate import Aggregate
from pmo_events.errors import Conflict, NotFound
from pmo_events.registry import DomainEvent

from pmo_resources.domain import validation as check
from pmo_resources.domain.events import (
    LicenceAssigned,
    LicenceRevoked,
    ToolRegistered,
    ToolSeatsChanged,
)

SEATS_MAX = 1_000_000


@dataclass(kw_only=True)
class Tool(Aggregate):
    STREAM_TYPE: ClassVar[str] = "Tool"

    name: str = ""
    vendor: str = ""
    seats: int = 0
    cost_per_seat: Decimal = Decimal(0)  # per seat and month
    currency: str = ""
    registered: bool = False
    licences: dict[str, datetime] = field(default_factory=dict)  # person id → assigned at

    # --- queries -------------------------------------------------------------------------------

    @property
    def assigned(self) -> int:
        return len(self.licences)

    @property
    def free_seats(self) -> int:
        return max(self.seats - self.assigned, 0)

    @property
    def monthly_cost(self) -> Decimal:
        return self.cost_per_seat * self.seats

    @property
    def idle_cost(self) -> Decimal:
        """What the free seats cost each month."""
        return self.cost_per_seat * self.free_seats

    @property
    def utilisation_percent(self) -> Decimal | None:
        if self.seats == 0:
            return None
        return (Decimal(self.assigned) * 100 / self.seats).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )

    def holds_licence(self, person_id: str) -> bool:
        return person_id in self.licences

    # --- commands ------------------------------------------------------------------------------

    @classmethod
    def register(
        cls,
        tool_id: str,
        *,
        name: str,
        vendor: str,
        seats: int,
        cost_per_seat: Decimal,
        currency: str,
        actor: str,
        now: datetime,
    ) -> Tool:
        tool_id = check.text("tool_id", tool_id)
        tool = cls(id=tool_id)
        tool._record(
            ToolRegistered(
                tool_id=tool_id,
                name=check.text("name", name),
                vendor=check.text("vendor", vendor),
                seats=check.integer("seats", seats, low=0, high=SEATS_MAX),
                cost_per_seat=check.money("cost_per_seat", cost_per_seat),
                currency=check.currency("currency", currency),
                registered_by=actor,
                registered_at=now,
            )
        )
        return tool

    def change_seats(self, seats: int, *, actor: str, now: datetime) -> None:
        seats = check.integer("seats", seats, low=0, high=SEATS_MAX)
        if seats == self.seats:
            return
        if seats < self.assigned:
            raise Conflict(
                f"tool {self.name!r} has {self.assigned} licences assigned; it cannot go down to "
                f"{seats} seats: revoke {self.assigned - seats} licences first"
            )
        self._record(
            ToolSeatsChanged(tool_id=self.id, seats=seats, changed_by=actor, changed_at=now)
        )

    def assign(self, person_id: str, *, actor: str, now: datetime) -> None:
        """Give the person a seat (the handler checked they exist)."""
        person_id = check.text("person_id", person_id)
        if person_id in self.licences:
            return
        if self.assigned >= self.seats:
            raise Conflict(
                f"tool {self.name!r} has no free seat: {self.assigned} of {self.seats} assigned; "
                "add seats or revoke a licence first"
            )
        self._record(
            LicenceAssigned(
                tool_id=self.id, person_id=person_id, assigned_by=actor, assigned_at=now
            )
        )

    def revoke(self, person_id: str, *, reason: str = "", actor: str, now: datetime) -> None:
        person_id = check.text("person_id", person_id)
        reason = check.text("reason", reason, max_length=check.TEXT_MAX, required=False)
        if person_id not in self.licences:
            raise NotFound(
                f"person {person_id!r} holds no licence of tool {self.name!r}; list the tool's "
                "licences for the right person"
            )
        self._record(
            LicenceRevoked(
                tool_id=self.id,
                person_id=person_id,
                reason=reason,
                revoked_by=actor,
                revoked_at=now,
            )
        )

    # --- state ---------------------------------------------------------------------------------

    def _when(self, event: DomainEvent) -> None:
        match event:
            case ToolRegistered():
                self.name = event.name
                self.vendor = event.vendor
                self.seats = event.seats
                self.cost_per_seat = event.cost_per_seat
                self.currency = event.currency
                self.registered = True
            case ToolSeatsChanged():
                self.seats = event.seats
            case LicenceAssigned():
                self.licences[event.person_id] = event.assigned_at
            case LicenceRevoked():
                self.licences.pop(event.person_id, None)
            case _:
                self._unexpected(event)
