"""Labour accrual: approved allocations turn into LABOUR spend on budgets as weeks pass.

For every allocation that promised capacity (APPROVED, or RELEASED for the days before its
release: `allocations.active_until`) and every **complete** week before the week of `as_of`, the
hours it put on each person (`domain.capacity`: working-day fractions, the capacity in force on
the week's Monday, team allocations spread over the members present) are priced at the person's
cost rate **in force on that Monday** (as capacity is) and recorded with `Budget.record_labour`.

**Which budget pays.** The budgets holding a commitment to the allocation's initiative whose
period contains the week (`period_weeks`: the ISO week's Thursday lies in the period) and whose
currency is the rate's; among several, the one with the shortest period (the most specific, e.g.
a quarter before a year), then the lowest budget id. When there is none, the line is **unfunded
labour**: it is not recorded anywhere, and `plan_accrual` reports it with the reason
(NO_COMMITMENT, PERIOD_NOT_COVERED, CURRENCY_MISMATCH), so the PMO can commit funds; the next run
then accrues it (nothing is lost, as the weeks stay unaccrued until a budget can take them).

**Idempotent.** A line's spend id is ``<allocation id>/<ISO week>`` (``/<person id>`` appended for
a team allocation's member); a spend id recorded on any budget is never recorded again, and the
Budget aggregate refuses a duplicate on its own stream, so runs may overlap, repeat or be
replayed: a second run records nothing. Labour already recorded is never repriced (a later rate
or capacity change, an adjusted allocation, apply to the weeks not yet accrued).

Each budget's lines are recorded in one transaction (retried once if the budget moved on).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncConnection

from pmo_resources.app.context import CommandContext, utcnow
from pmo_resources.app.repository import Repository, retry_on_conflict
from pmo_resources.domain.budget import Budget, labour_cost, labour_spend_id, period_weeks
from pmo_resources.domain.capacity import (
    AllocationLoad,
    CommitmentContext,
    IsoWeek,
    people_of,
    person_hours,
)
from pmo_resources.domain.events import SpendRecorded
from pmo_resources.projections import allocations as read_allocations
from pmo_resources.projections import budgets as read_budgets
from pmo_resources.projections import demand as read_demand
from pmo_resources.projections import people as read_people

log = logging.getLogger(__name__)

ACCRUAL_ACTOR = "system:labour-accrual"
_EARLIEST = date(1970, 1, 1)


class UnfundedReason(StrEnum):
    NO_COMMITMENT = "NO_COMMITMENT"  # no budget holds a commitment to the initiative
    PERIOD_NOT_COVERED = "PERIOD_NOT_COVERED"  # none of those budgets' periods holds the week
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"  # those that do are in another currency than the rate


@dataclass(frozen=True, slots=True)
class LabourLine:
    """A person's hours on an allocation in one complete week, priced at their rate."""

    allocation_id: str
    initiative_id: str
    person_id: str
    team_id: str | None  # set for a team allocation
    week: IsoWeek
    hours: Decimal
    cost_rate: Decimal
    currency: str

    @property
    def spend_id(self) -> str:
        member = self.person_id if self.team_id is not None else None
        return labour_spend_id(self.allocation_id, self.week, member)

    @property
    def amount(self) -> Decimal:
        return labour_cost(self.hours, self.cost_rate)


@dataclass(frozen=True, slots=True)
class FundedLine:
    line: LabourLine
    budget_id: str


@dataclass(frozen=True, slots=True)
class UnfundedLine:
    line: LabourLine
    reason: UnfundedReason


@dataclass(frozen=True, slots=True)
class AccrualPlan:
    """What is still to accrue as of a day: lines a budget can take, and unfunded ones."""

    as_of: date
    funded: list[FundedLine]
    unfunded: list[UnfundedLine]


# --- the plan (pure) -----------------------------------------------------------------------------


def labour_lines(
    loads: Iterable[tuple[AllocationLoad, str]],
    context: CommitmentContext,
    rates: Mapping[str, Sequence[read_people.RateRow]],
    *,
    before: IsoWeek,
) -> list[LabourLine]:
    """The lines of every (load, initiative id) in the weeks before `before`, with hours > 0.

    `context`: capacities of every person the loads touch and rosters of their teams;
    `rates`: each person's cost-rate history.
    """
    lines: list[LabourLine] = []
    for load, initiative_id in loads:
        for week in load.weeks:
            if week >= before:
                break
            for person_id in people_of(load, context):
                hours = person_hours(person_id, load, week, context)
                rate = read_people.rate_on(rates.get(person_id, []), week.monday)
                if hours <= 0 or rate is None:
                    continue
                lines.append(
                    LabourLine(
                        allocation_id=load.allocation_id,
                        initiative_id=initiative_id,
                        person_id=person_id,
                        team_id=load.team_id,
                        week=week,
                        hours=hours,
                        cost_rate=rate.cost_rate,
                        currency=rate.currency,
                    )
                )
    return lines


@dataclass(frozen=True, slots=True)
class Funding:
    """A budget that may pay an initiative's labour: its id, period weeks and currency."""

    budget_id: str
    weeks: frozenset[IsoWeek]
    currency: str


def fund(
    lines: Iterable[LabourLine], fundings: Mapping[str, Sequence[Funding]]
) -> tuple[list[FundedLine], list[UnfundedLine]]:
    """Match each line to the budget that pays it (see the module docstring)."""
    funded: list[FundedLine] = []
    unfunded: list[UnfundedLine] = []
    for line in lines:
        candidates = fundings.get(line.initiative_id, ())
        covering = [f for f in candidates if line.week in f.weeks]
        paying = sorted(
            (f for f in covering if f.currency == line.currency),
            key=lambda f: (len(f.weeks), f.budget_id),
        )
        if paying:
            funded.append(FundedLine(line, paying[0].budget_id))
        elif not candidates:
            unfunded.append(UnfundedLine(line, UnfundedReason.NO_COMMITMENT))
        elif not covering:
            unfunded.append(UnfundedLine(line, UnfundedReason.PERIOD_NOT_COVERED))
        else:
            unfunded.append(UnfundedLine(line, UnfundedReason.CURRENCY_MISMATCH))
    return funded, unfunded


# --- reading the plan --------------------------------------------------------------------------


async def plan_accrual(
    conn: AsyncConnection, *, as_of: date, initiative_ids: Sequence[str] | None = None
) -> AccrualPlan:
    """What remains to accrue for the complete weeks before the week of `as_of` (of the given
    initiatives, or all)."""
    current = IsoWeek.of(as_of)
    last_day = current.monday - timedelta(days=1)
    rows = await read_allocations.active_between(conn, starts_on=_EARLIEST, ends_on=last_day)
    if initiative_ids is not None:
        wanted = set(initiative_ids)
        rows = [row for row in rows if row.initiative_id in wanted]
    loads = [(load, row.initiative_id) for row in rows if (load := row.load()) is not None]
    context = await read_demand.hours_context(conn, [load for load, _ in loads])
    rates = await read_people.rate_histories(conn, sorted(context.capacities))
    lines = labour_lines(loads, context, rates, before=current)
    recorded = await read_budgets.recorded_spend_ids(conn, [line.spend_id for line in lines])
    pending = [line for line in lines if line.spend_id not in recorded]
    fundings = await _fundings(conn, {line.initiative_id for line in pending})
    funded, unfunded = fund(pending, fundings)
    return AccrualPlan(as_of=as_of, funded=funded, unfunded=unfunded)


async def _fundings(
    conn: AsyncConnection, initiative_ids: Iterable[str]
) -> dict[str, list[Funding]]:
    commitments = await read_budgets.commitments_to(conn, sorted(initiative_ids))
    budget_ids = sorted({c.budget_id for rows in commitments.values() for c in rows})
    found = await read_budgets.by_ids(conn, budget_ids)
    weeks = {budget_id: frozenset(period_weeks(row.period)) for budget_id, row in found.items()}
    return {
        initiative_id: [
            Funding(c.budget_id, weeks[c.budget_id], found[c.budget_id].currency)
            for c in rows
            if c.budget_id in found
        ]
        for initiative_id, rows in commitments.items()
    }


# --- the command ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccrueLabour:
    as_of: date | None = None  # None: today (UTC)


@dataclass(frozen=True, slots=True)
class AccrualResult:
    """What one run recorded (by budget, then spend id) and what it could not fund."""

    run_id: str  # the run's correlation id: every SpendRecorded it appended carries it
    as_of: date
    recorded: list[SpendRecorded]
    unfunded: list[UnfundedLine]


async def accrue_labour(
    command: AccrueLabour, context: CommandContext, repository: Repository
) -> AccrualResult:
    """Record every pending funded labour line; report the unfunded ones."""
    as_of = command.as_of or context.today
    async with repository.engine.connect() as conn:
        plan = await plan_accrual(conn, as_of=as_of)
    by_budget: dict[str, list[LabourLine]] = defaultdict(list)
    for funded in plan.funded:
        by_budget[funded.budget_id].append(funded.line)
    recorded: list[SpendRecorded] = []
    for budget_id in sorted(by_budget):
        recorded += await _record(budget_id, by_budget[budget_id], context, repository)
    return AccrualResult(
        run_id=context.correlation_id, as_of=as_of, recorded=recorded, unfunded=plan.unfunded
    )


async def _record(
    budget_id: str, lines: Sequence[LabourLine], context: CommandContext, repository: Repository
) -> list[SpendRecorded]:
    async def attempt() -> list[SpendRecorded]:
        async with repository.transaction(context.metadata("AccrueLabour")) as tx:
            budget = await tx.load(Budget, budget_id)
            now = context.clock()
            for line in sorted(lines, key=lambda line: line.spend_id):
                budget.record_labour(
                    allocation_id=line.allocation_id,
                    week=line.week,
                    initiative_id=line.initiative_id,
                    person_id=line.person_id,
                    hours=line.hours,
                    cost_rate=line.cost_rate,
                    currency=line.currency,
                    team_allocation=line.team_id is not None,
                    actor=context.actor,
                    now=now,
                )
            spent = [event for event in budget.pending if isinstance(event, SpendRecorded)]
            await tx.save(budget)
        return spent

    return await retry_on_conflict(attempt)


# --- the daily worker ----------------------------------------------------------------------------


class LabourAccrualWorker:
    """Runs `accrue_labour` as of today at start-up and then every `every` (a supervised worker:
    ``await worker.run(stop)``). A failed run is logged and retried at the next tick; the runs
    are idempotent, so a week missed while the service was down is accrued by the next one."""

    def __init__(
        self,
        repository: Repository,
        *,
        every: timedelta,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if every <= timedelta(0):
            raise ValueError("the accrual interval must be positive; disable the worker instead")
        self.repository = repository
        self.every = every
        self.clock = clock
        self.runs = 0  # completed runs (tests and health checks read it)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            context = CommandContext.of(ACCRUAL_ACTOR, clock=self.clock)
            try:
                result = await accrue_labour(AccrueLabour(), context, self.repository)
            except Exception:
                log.exception("labour accrual as of %s failed; retrying at the next tick",
                              self.clock().astimezone(UTC).date())  # fmt: skip
            else:
                self.runs += 1
                log.info(
                    "labour accrual as of %s: %d spend lines recorded, %d unfunded",
                    result.as_of, len(result.recorded), len(result.unfunded),
                )  # fmt: skip
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.every.total_seconds())
