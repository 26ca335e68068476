"""Demand and the portfolio's `Initiative` entity in the resources subgraph.

- `Demand`: the line an approval in the portfolio opened here, with how far it is staffed;
  `demand(initiativeId)` and `demands(status, portfolioId)` (`DemandQuery`).
- `Initiative` (`@key(fields: "id")`, owned by portfolio) gets from resources its demand, its
  staffing status, the hours its approved allocations promise (`allocatedHours`,
  `allocatedCapacity`), its spend to date and the funds committed to it. Every field reads
  through per-request DataLoaders, so a gateway's batched `_entities` call costs one query per
  kind of data, whatever the number of initiatives.

Reads are open to every authenticated role.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Self

import strawberry
from pmo_events.errors import InvalidInput
from pmo_service.graphql import Connection, decode_cursor, encode_cursor, page_size
from strawberry.types import Info

from pmo_resources.api.budgets import Money
from pmo_resources.api.deps import batched, runtime
from pmo_resources.api.types import today
from pmo_resources.domain.allocation import AllocationStatus
from pmo_resources.domain.events import DemandClosure as DomainClosure
from pmo_resources.projections import budgets as read_budgets
from pmo_resources.projections import demand as read
from pmo_resources.projections.demand import CLOSED, OPEN, AllocatedHours, DemandRow, Staffing

StaffingStatus = strawberry.enum(
    read.StaffingStatus,
    name="StaffingStatus",
    description="UNSTAFFED: no approved allocation runs from today on; PARTIALLY_STAFFED: some "
    "of the demand period's remaining weeks are covered by approved allocations, not all; "
    "STAFFED: all of them are (or, without a period, some approved allocation runs); RELEASED: "
    "the demand is closed (initiative cancelled or done, approval withdrawn).",
)
DemandClosure = strawberry.enum(
    DomainClosure, name="DemandClosure", description="Why a demand line was closed."
)


@strawberry.enum(description="Whether a demand line is open.")
class DemandStatus(StrEnum):
    OPEN = OPEN
    CLOSED = CLOSED


FromDay = Annotated[
    date | None, strawberry.argument(name="from", description="First day (default: unbounded).")
]
ToDay = Annotated[
    date | None, strawberry.argument(name="to", description="Last day (default: unbounded).")
]

# --- loading -------------------------------------------------------------------------------------


async def _demand(info: Info, initiative_id: str) -> DemandRow | None:
    row: DemandRow | None = await batched(info, "demand", read.by_ids).load(initiative_id)
    return row


async def _staffing(info: Info, initiative_id: str) -> Staffing | None:
    found: Staffing | None = await batched(info, "staffing", read.staffing_of).load(initiative_id)
    return found


def _horizon(starts_on: date | None, ends_on: date | None) -> None:
    if starts_on is not None and ends_on is not None and starts_on > ends_on:
        raise InvalidInput(f"from ({starts_on}) must be on or before to ({ends_on})")


async def _hours(
    info: Info, initiative_id: str, starts_on: date | None, ends_on: date | None
) -> AllocatedHours:
    _horizon(starts_on, ends_on)
    staffing = await _staffing(info, initiative_id)
    if staffing is None:
        return AllocatedHours(starts_on, ends_on, Decimal(0), {}, 0, 0)
    return staffing.hours(starts_on, ends_on)


# --- types ---------------------------------------------------------------------------------------


@strawberry.type(description="Promised hours in one ISO week.")
class InitiativeWeekHours:
    week: str
    hours: Decimal


@strawberry.type(description="The hours approved allocations promise an initiative in a horizon.")
class AllocatedCapacity:
    from_: date | None = strawberry.field(name="from")
    to: date | None
    hours: Decimal = strawberry.field(description="Working days inside the horizon only.")
    allocations: int = strawberry.field(description="Allocations contributing hours.")
    people: int = strawberry.field(description="People carrying them.")
    weeks: list[InitiativeWeekHours] = strawberry.field(description="In week order.")

    @classmethod
    def of(cls, found: AllocatedHours) -> Self:
        return cls(
            from_=found.starts_on,
            to=found.ends_on,
            hours=found.hours,
            allocations=found.allocations,
            people=found.people,
            weeks=[InitiativeWeekHours(week=w, hours=h) for w, h in found.by_week.items()],
        )


@strawberry.type(description="What an approved initiative asks of resources: a demand line.")
class Demand:
    initiative_id: strawberry.ID
    title: str | None = strawberry.field(
        description="The initiative's title, once the portfolio's proposal has been read."
    )
    portfolio_id: strawberry.ID | None
    period: str | None = strawberry.field(description="The period the approval funds.")
    approved_amount: Decimal | None
    currency: str | None
    status: DemandStatus
    closure: DemandClosure | None  # type: ignore[valid-type]
    opened_at: datetime
    closed_at: datetime | None
    version: int = strawberry.field(description="Version of its event stream.")
    row: strawberry.Private[DemandRow]

    @classmethod
    def from_row(cls, row: DemandRow) -> Self:
        return cls(
            initiative_id=strawberry.ID(row.initiative_id),
            title=row.title,
            portfolio_id=strawberry.ID(row.portfolio_id) if row.portfolio_id else None,
            period=row.period,
            approved_amount=row.approved_amount,
            currency=row.currency,
            status=DemandStatus(row.status),
            closure=row.closure,
            opened_at=row.opened_at,
            closed_at=row.closed_at,
            version=row.version,
            row=row,
        )

    @strawberry.field(description="The initiative (owned by portfolio).")
    def initiative(self) -> Initiative:
        return Initiative(id=self.initiative_id)

    @strawberry.field(description="How far it is staffed.")
    async def staffing_status(self, info: Info) -> StaffingStatus:  # type: ignore[valid-type]
        staffing = await _staffing(info, self.row.initiative_id)
        status = read.staffing_status(self.row, staffing, today())
        assert status is not None  # a demand row exists
        return status

    @strawberry.field(description="Hours its approved allocations promise, over their ranges.")
    async def staffed_hours(self, info: Info) -> Decimal:
        return (await _hours(info, self.row.initiative_id, None, None)).hours

    @strawberry.field(description="Its approved allocations (released ones included).")
    async def approved_allocations(self, info: Info) -> int:
        staffing = await _staffing(info, self.row.initiative_id)
        if staffing is None:
            return 0
        return staffing.count(AllocationStatus.APPROVED) + staffing.count(AllocationStatus.RELEASED)

    @strawberry.field(description="Its allocations still awaiting approval.")
    async def requested_allocations(self, info: Info) -> int:
        staffing = await _staffing(info, self.row.initiative_id)
        return staffing.count(AllocationStatus.REQUESTED) if staffing is not None else 0


@strawberry.federation.type(keys=["id"], description="An initiative (owned by portfolio).")
class Initiative:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Self:
        return cls(id=id)

    @strawberry.field(description="Its demand line in resources, if it was approved.")
    async def demand(self, info: Info) -> Demand | None:
        row = await _demand(info, str(self.id))
        return Demand.from_row(row) if row else None

    @strawberry.field(description="How far it is staffed; null when resources knows nothing of it.")
    async def staffing_status(self, info: Info) -> StaffingStatus | None:  # type: ignore[valid-type]
        row = await _demand(info, str(self.id))
        staffing = await _staffing(info, str(self.id))
        return read.staffing_status(row, staffing, today())

    @strawberry.field(description="Hours its approved allocations promise within from..to.")
    async def allocated_hours(self, info: Info, from_: FromDay = None, to: ToDay = None) -> Decimal:
        return (await _hours(info, str(self.id), from_, to)).hours

    @strawberry.field(
        description="The capacity its approved allocations promise within from..to, by week."
    )
    async def allocated_capacity(
        self, info: Info, from_: FromDay = None, to: ToDay = None
    ) -> AllocatedCapacity:
        return AllocatedCapacity.of(await _hours(info, str(self.id), from_, to))

    async def _money(self, info: Info) -> list[read_budgets.InitiativeMoney]:
        loader = batched(info, "initiative_money", read_budgets.money_of_initiatives)
        return await loader.load(str(self.id)) or []

    @strawberry.field(
        description="Spend recorded against it (labour and expenses) across budgets, one entry "
        "per currency (empty when none)."
    )
    async def spend_to_date(self, info: Info) -> list[Money]:
        money = await self._money(info)
        return [Money(amount=m.spent, currency=m.currency) for m in money if m.spent != 0]

    @strawberry.field(
        description="Funds budgets have committed to it, one entry per currency (empty when none)."
    )
    async def funds_committed(self, info: Info) -> list[Money]:
        money = await self._money(info)
        return [Money(amount=m.committed, currency=m.currency) for m in money if m.committed != 0]


def _demand_cursor(after: str | None) -> tuple[str, str] | None:
    if after is None:
        return None
    opened_at, initiative_id = decode_cursor(after, arity=2)
    if not isinstance(opened_at, str) or not isinstance(initiative_id, str):
        raise InvalidInput(
            "the cursor does not belong to this list: pass the endCursor of a previous page"
        )
    return opened_at, initiative_id


@strawberry.type
class DemandQuery:
    @strawberry.field(description="The demand line of an initiative, or null if there is none.")
    async def demand(self, info: Info, initiative_id: strawberry.ID) -> Demand | None:
        row = await _demand(info, str(initiative_id))
        return Demand.from_row(row) if row else None

    @strawberry.field(description="Demand lines, the newest first, a page at a time.")
    async def demands(
        self,
        info: Info,
        status: DemandStatus | None = None,
        portfolio_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Demand]:
        size = page_size(first)
        async with runtime(info).engine.connect() as conn:
            rows = await read.page(
                conn,
                status=status.value if status is not None else None,
                portfolio_id=str(portfolio_id) if portfolio_id is not None else None,
                after=_demand_cursor(after),
                limit=size + 1,
            )
        keys = {row.initiative_id: row.opened_at.isoformat() for row in rows}
        return Connection[Demand].from_rows(
            [Demand.from_row(row) for row in rows],
            size,
            cursor=lambda node: encode_cursor(
                keys[str(node.initiative_id)], str(node.initiative_id)
            ),
            has_previous_page=after is not None,
        )
