"""Budgets in the subgraph: the `Budget` type (commitments, spend lines, burn per week and the
forecast at the current burn rate), its mutations (`BudgetMutation`) and queries
(`BudgetQuery`), and labour accrual (`accrueLabour`, `unfundedLabour`), merged into the root
types by `api/schema.py`.

Roles: every budget mutation is for `resource_manager`, `pmo` and `admin`; an `overrideReason`
on `commitFunds` (committing beyond the budget) only for `pmo` and `admin` (FORBIDDEN for
others). Reads are open to every authenticated role, except what would disclose a person's cost
rate: a LABOUR spend line's person, hours and description are null unless the caller may see
that person's cost rate (resource managers, the PMO, admins, the person themself), and
`unfundedLabour` is for resource managers, the PMO and admins only.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Self

import strawberry
from pmo_events.errors import InvalidInput
from pmo_service.graphql import Connection, decode_cursor, encode_cursor, page_size, requires_roles
from strawberry.types import Info

from pmo_resources.api.deps import batched, forget_loaded, may_see_cost_of, runtime
from pmo_resources.api.mutations import RESOURCE_MANAGERS, _execute
from pmo_resources.api.types import Person, load_person, require_person, today
from pmo_resources.app import accrual
from pmo_resources.app import budgets as commands
from pmo_resources.app.accrual import UnfundedLine
from pmo_resources.domain import validation as check
from pmo_resources.domain.budget import DEFAULT_WINDOW_WEEKS, forecast_spend, period_range
from pmo_resources.domain.events import BudgetKind as DomainKind
from pmo_resources.domain.events import SpendKind as DomainSpendKind
from pmo_resources.domain.events import SpendRecorded
from pmo_resources.projections import budgets as read
from pmo_resources.projections.budgets import (
    AdjustmentRow,
    BudgetRow,
    CommitmentRow,
    OverrideRow,
    SpendRow,
)

BudgetKind = strawberry.enum(
    DomainKind, name="BudgetKind", description="A value stream's budget or a cost centre's."
)
SpendKind = strawberry.enum(
    DomainSpendKind,
    name="SpendKind",
    description="LABOUR (accrued from approved allocations) or EXPENSE (recorded directly).",
)
UnfundedReason = strawberry.enum(
    accrual.UnfundedReason,
    name="UnfundedReason",
    description="Why no budget can take a labour line: NO_COMMITMENT (no budget holds a "
    "commitment to the initiative), PERIOD_NOT_COVERED (none of those budgets' periods holds "
    "the week), CURRENCY_MISMATCH (those that do are in another currency than the rate).",
)

# --- value types ---------------------------------------------------------------------------------


@strawberry.type(description="An amount of money in an ISO 4217 currency.")
class Money:
    amount: Decimal
    currency: str


@strawberry.type(description="Funds of a budget committed to an initiative.")
class BudgetCommitment:
    initiative_id: strawberry.ID = strawberry.field(description="The portfolio's initiative.")
    amount: Decimal
    committed_by: str
    committed_at: datetime

    @classmethod
    def from_row(cls, row: CommitmentRow) -> Self:
        return cls(
            initiative_id=strawberry.ID(row.initiative_id),
            amount=row.amount,
            committed_by=row.committed_by,
            committed_at=row.committed_at,
        )


@strawberry.type(description="Money spent from a budget: accrued labour or a recorded expense.")
class SpendLine:
    spend_id: str = strawberry.field(
        description="LABOUR: '<allocation id>/<ISO week>' ('/<person id>' for a team's member)."
    )
    kind: SpendKind  # type: ignore[valid-type]
    initiative_id: strawberry.ID | None
    allocation_id: strawberry.ID | None
    week: str = strawberry.field(description="The ISO week it counts in (of spentOn).")
    amount: Decimal = strawberry.field(description="Negative for a credit note.")
    currency: str
    spent_on: date
    recorded_by: str
    recorded_at: datetime
    row: strawberry.Private[SpendRow]

    @classmethod
    def from_row(cls, row: SpendRow) -> Self:
        return cls(
            spend_id=row.spend_id,
            kind=row.kind,
            initiative_id=strawberry.ID(row.initiative_id) if row.initiative_id else None,
            allocation_id=strawberry.ID(row.allocation_id) if row.allocation_id else None,
            week=row.week,
            amount=row.amount,
            currency=row.currency,
            spent_on=row.spent_on,
            recorded_by=row.recorded_by,
            recorded_at=row.recorded_at,
            row=row,
        )

    async def _visible(self, info: Info) -> bool:
        """Labour detail discloses the person's cost rate: shown to those who may see it."""
        if self.row.person_id is None:
            return True
        person = await load_person(info, self.row.person_id)
        return person is not None and may_see_cost_of(info, person.id, person.email)

    @strawberry.field(description="LABOUR: whose hours (null unless you may see their cost).")
    async def person(self, info: Info) -> Person | None:
        if self.row.person_id is None or not await self._visible(info):
            return None
        return await require_person(info, self.row.person_id)

    @strawberry.field(description="LABOUR: the hours (null unless you may see the cost rate).")
    async def hours(self, info: Info) -> Decimal | None:
        return self.row.hours if await self._visible(info) else None

    @strawberry.field(
        description="What it was (null for LABOUR unless you may see the person's cost rate)."
    )
    async def description(self, info: Info) -> str | None:
        return self.row.description if await self._visible(info) else None


@strawberry.type(description="A budget's amount was changed.")
class BudgetAdjustment:
    amount: Decimal = strawberry.field(description="The new amount.")
    reason: str
    adjusted_by: str
    adjusted_at: datetime

    @classmethod
    def from_row(cls, row: AdjustmentRow) -> Self:
        return cls(
            amount=row.amount,
            reason=row.reason,
            adjusted_by=row.adjusted_by,
            adjusted_at=row.adjusted_at,
        )


@strawberry.type(description="A pmo or admin let the commitments exceed the budget.")
class BudgetOverride:
    initiative_id: strawberry.ID
    excess: Decimal = strawberry.field(description="By how much the budget was exceeded.")
    currency: str
    reason: str
    overridden_by: str
    overridden_at: datetime

    @classmethod
    def from_row(cls, row: OverrideRow) -> Self:
        return cls(
            initiative_id=strawberry.ID(row.initiative_id),
            excess=row.excess,
            currency=row.currency,
            reason=row.reason,
            overridden_by=row.overridden_by,
            overridden_at=row.overridden_at,
        )


@strawberry.type(description="The spend recorded in one ISO week.")
class BurnWeek:
    week: str
    amount: Decimal


@strawberry.type(
    description="Where the money goes at the current burn rate: the weekly burn is the average "
    "spend of the last complete weeks of the period before asOf's week; the forecast adds it for "
    "every week of the period from asOf's week on."
)
class BudgetForecast:
    as_of: date
    weekly_burn: Decimal = strawberry.field(description="Average spend per complete week.")
    window_weeks: int = strawberry.field(description="Complete weeks the average was taken over.")
    weeks_left: int = strawberry.field(description="Weeks of the period from asOf's week on.")
    spent: Decimal
    forecast: Decimal = strawberry.field(description="spent + weeklyBurn * weeksLeft.")
    variance: Decimal = strawberry.field(description="amount - forecast; negative: an overrun.")
    overrun: bool


# --- the budget ----------------------------------------------------------------------------------


@strawberry.type(description="A value stream's or cost centre's money for one period.")
class Budget:
    id: strawberry.ID
    name: str
    kind: BudgetKind  # type: ignore[valid-type]
    owner_ref: str = strawberry.field(description="The value stream or cost-centre code.")
    period: str = strawberry.field(description="2026, 2026-H2, 2026-Q4 or 2026-11.")
    period_starts_on: date
    period_ends_on: date
    amount: Decimal
    currency: str
    committed: Decimal = strawberry.field(description="Sum of the live commitments.")
    uncommitted: Decimal = strawberry.field(
        description="amount - committed: room for commitments (negative after an override)."
    )
    spent: Decimal
    remaining: Decimal = strawberry.field(description="amount - spent: money left to spend.")
    opened_by: str
    opened_at: datetime
    updated_at: datetime = strawberry.field(description="When its latest event happened.")
    version: int = strawberry.field(description="Version of its event stream.")
    row: strawberry.Private[BudgetRow]

    @classmethod
    def from_row(cls, row: BudgetRow) -> Self:
        starts_on, ends_on = period_range(row.period)
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            kind=row.kind,
            owner_ref=row.owner_ref,
            period=row.period,
            period_starts_on=starts_on,
            period_ends_on=ends_on,
            amount=row.amount,
            currency=row.currency,
            committed=row.committed,
            uncommitted=row.amount - row.committed,
            spent=row.spent,
            remaining=row.amount - row.spent,
            opened_by=row.opened_by,
            opened_at=row.opened_at,
            updated_at=row.updated_at,
            version=row.version,
            row=row,
        )

    @classmethod
    async def by_id(cls, info: Info, budget_id: str) -> Self | None:
        row = await batched(info, "budgets", read.by_ids).load(budget_id)
        return cls.from_row(row) if row else None

    @strawberry.field(description="Live commitments, by initiative id.")
    async def commitments(self, info: Info) -> list[BudgetCommitment]:
        rows = await batched(info, "budget_commitments", read.commitments_of).load(self.row.id)
        return [BudgetCommitment.from_row(row) for row in rows or []]

    @strawberry.field(description="Spend lines in recording order (of one kind if given).")
    async def spend(self, info: Info, kind: SpendKind | None = None) -> list[SpendLine]:  # type: ignore[valid-type]
        rows = await batched(info, "budget_spend", read.spend_of).load(self.row.id) or []
        return [SpendLine.from_row(row) for row in rows if kind is None or row.kind is kind]

    @strawberry.field(description="Spend per ISO week, in week order.")
    async def burn_per_week(self, info: Info) -> list[BurnWeek]:
        burn = await batched(info, "budget_burn", read.burn_by_week).load(self.row.id) or {}
        return [BurnWeek(week=week, amount=amount) for week, amount in burn.items()]

    @strawberry.field(description="The forecast at the current burn rate.")
    async def forecast(
        self,
        info: Info,
        as_of: Annotated[
            date | None, strawberry.argument(description="Default today (UTC).")
        ] = None,
        window_weeks: Annotated[
            int, strawberry.argument(description="Complete weeks averaged, 1-52.")
        ] = DEFAULT_WINDOW_WEEKS,
    ) -> BudgetForecast:
        day = as_of or today()
        burn = await batched(info, "budget_burn", read.burn_by_week).load(self.row.id) or {}
        found = forecast_spend(
            burn, period=self.row.period, amount=self.row.amount, as_of=day,
            window_weeks=window_weeks,
        )  # fmt: skip
        return BudgetForecast(
            as_of=day,
            weekly_burn=found.weekly_burn,
            window_weeks=found.window_weeks,
            weeks_left=found.weeks_left,
            spent=found.spent,
            forecast=found.forecast,
            variance=found.variance,
            overrun=found.overrun,
        )

    @strawberry.field(description="Amount changes, oldest first.")
    async def adjustments(self, info: Info) -> list[BudgetAdjustment]:
        rows = await batched(info, "budget_adjustments", read.adjustments_of).load(self.row.id)
        return [BudgetAdjustment.from_row(row) for row in rows or []]

    @strawberry.field(description="Overrun overrides by a pmo or admin, oldest first.")
    async def overrides(self, info: Info) -> list[BudgetOverride]:
        rows = await batched(info, "budget_overrides", read.overrides_of).load(self.row.id)
        return [BudgetOverride.from_row(row) for row in rows or []]


# --- labour accrual ------------------------------------------------------------------------------


@strawberry.type(description="Labour no budget can take yet: commit funds, then accrue again.")
class UnfundedLabour:
    initiative_id: strawberry.ID
    allocation_id: strawberry.ID
    person_id: strawberry.ID
    team_id: strawberry.ID | None = strawberry.field(description="Set for a team allocation.")
    week: str
    hours: Decimal
    amount: Decimal = strawberry.field(description="Hours at the rate in force that Monday.")
    currency: str
    reason: UnfundedReason  # type: ignore[valid-type]

    @classmethod
    def of(cls, unfunded: UnfundedLine) -> Self:
        line = unfunded.line
        return cls(
            initiative_id=strawberry.ID(line.initiative_id),
            allocation_id=strawberry.ID(line.allocation_id),
            person_id=strawberry.ID(line.person_id),
            team_id=strawberry.ID(line.team_id) if line.team_id else None,
            week=line.week.label,
            hours=line.hours,
            amount=line.amount,
            currency=line.currency,
            reason=unfunded.reason,
        )


@strawberry.type(description="What one labour accrual run recorded, and what it could not fund.")
class LabourAccrual:
    id: strawberry.ID = strawberry.field(
        description="The run's correlation id: every SpendRecorded it appended carries it."
    )
    as_of: date
    recorded: int = strawberry.field(description="Spend lines recorded by this run.")
    amount: Decimal = strawberry.field(description="Their total (in their currencies, summed).")
    budget_ids: list[strawberry.ID] = strawberry.field(description="The budgets charged.")
    unfunded: list[UnfundedLabour]

    @classmethod
    def of(cls, result: accrual.AccrualResult) -> Self:
        spent: list[SpendRecorded] = result.recorded
        return cls(
            id=strawberry.ID(result.run_id),
            as_of=result.as_of,
            recorded=len(spent),
            amount=sum((event.amount for event in spent), Decimal(0)),
            budget_ids=[strawberry.ID(b) for b in sorted({event.budget_id for event in spent})],
            unfunded=[UnfundedLabour.of(line) for line in result.unfunded],
        )


# --- inputs --------------------------------------------------------------------------------------


@strawberry.input(description="A new budget for one period.")
class OpenBudgetInput:
    name: str
    kind: BudgetKind  # type: ignore[valid-type]
    owner_ref: str = strawberry.field(description="The value stream's name or cost-centre code.")
    period: str = strawberry.field(description="2026, 2026-H2, 2026-Q4 or 2026-11.")
    amount: Decimal = strawberry.field(description="At least 0, at most 2 decimal places.")
    currency: str = strawberry.field(description="ISO 4217, e.g. EUR.")


@strawberry.input(description="Change a budget's amount (never below what is committed).")
class AdjustBudgetInput:
    budget_id: strawberry.ID
    amount: Decimal
    reason: str


@strawberry.input(description="Commit funds to an initiative (replacing its commitment).")
class CommitFundsInput:
    budget_id: strawberry.ID
    initiative_id: strawberry.ID = strawberry.field(description="The portfolio's initiative.")
    amount: Decimal
    override_reason: str | None = strawberry.field(
        default=None, description="pmo/admin only: commit beyond the budget, saying why."
    )


@strawberry.input(description="Release an initiative's commitment on a budget.")
class ReleaseFundsInput:
    budget_id: strawberry.ID
    initiative_id: strawberry.ID
    reason: str


@strawberry.input(description="An expense (tools, services); negative for a credit note.")
class RecordExpenseInput:
    budget_id: strawberry.ID
    amount: Decimal = strawberry.field(description="Non-zero, in the budget's currency.")
    currency: str
    description: str
    spent_on: date | None = strawberry.field(default=None, description="Default today.")
    initiative_id: strawberry.ID | None = strawberry.field(
        default=None, description="The initiative it was for, if any."
    )


@strawberry.input(description="Accrue labour for the complete weeks before asOf's week.")
class AccrueLabourInput:
    as_of: date | None = strawberry.field(default=None, description="Default today (UTC).")


# --- root fields ---------------------------------------------------------------------------------


async def _answer(info: Info, budget_id: str) -> Budget:
    forget_loaded(info)
    found = await Budget.by_id(info, budget_id)
    if found is None:
        raise RuntimeError(f"budget {budget_id} was saved but is not in the read model")
    return found


def _optional(value: strawberry.ID | None) -> str | None:
    return str(value) if value is not None else None


@strawberry.type
class BudgetMutation:
    @strawberry.mutation(
        description="Open a budget for a period (BudgetOpened).",
        extensions=[requires_roles(*RESOURCE_MANAGERS)],
    )
    async def open_budget(self, info: Info, input: OpenBudgetInput) -> Budget:
        command = commands.OpenBudget(
            name=input.name,
            kind=DomainKind(input.kind),
            owner_ref=input.owner_ref,
            period=input.period,
            amount=input.amount,
            currency=input.currency,
        )
        budget = await _execute(info, input, commands.open_budget, command)
        return await _answer(info, budget.id)

    @strawberry.mutation(
        description="Change a budget's amount (BudgetAdjusted); it cannot go below what is "
        "committed.",
        extensions=[requires_roles(*RESOURCE_MANAGERS)],
    )
    async def adjust_budget(self, info: Info, input: AdjustBudgetInput) -> Budget:
        command = commands.AdjustBudget(
            budget_id=str(input.budget_id), amount=input.amount, reason=input.reason
        )
        budget = await _execute(info, input, commands.adjust_budget, command)
        return await _answer(info, budget.id)

    @strawberry.mutation(
        description="Commit funds to an initiative (FundsCommitted). Beyond the budget it is "
        "GUARDRAIL_VIOLATION, unless a pmo or admin gives overrideReason "
        "(BudgetOverrunOverridden).",
        extensions=[requires_roles(*RESOURCE_MANAGERS)],
    )
    async def commit_funds(self, info: Info, input: CommitFundsInput) -> Budget:
        command = commands.CommitFunds(
            budget_id=str(input.budget_id),
            initiative_id=str(input.initiative_id),
            amount=input.amount,
            override_reason=input.override_reason,
        )
        budget = await _execute(info, input, commands.commit_funds, command)
        return await _answer(info, budget.id)

    @strawberry.mutation(
        description="Release an initiative's commitment (FundsReleased).",
        extensions=[requires_roles(*RESOURCE_MANAGERS)],
    )
    async def release_funds(self, info: Info, input: ReleaseFundsInput) -> Budget:
        command = commands.ReleaseFunds(
            budget_id=str(input.budget_id),
            initiative_id=str(input.initiative_id),
            reason=input.reason,
        )
        budget = await _execute(info, input, commands.release_funds, command)
        return await _answer(info, budget.id)

    @strawberry.mutation(
        description="Record an expense on a budget (SpendRecorded, kind EXPENSE).",
        extensions=[requires_roles(*RESOURCE_MANAGERS)],
    )
    async def record_expense(self, info: Info, input: RecordExpenseInput) -> Budget:
        command = commands.RecordExpense(
            budget_id=str(input.budget_id),
            amount=input.amount,
            currency=input.currency,
            description=input.description,
            spent_on=input.spent_on,
            initiative_id=_optional(input.initiative_id),
        )
        budget = await _execute(info, input, commands.record_expense, command)
        return await _answer(info, budget.id)

    @strawberry.mutation(
        description="Accrue labour (SpendRecorded, kind LABOUR) for every complete week before "
        "asOf's week not yet accrued; idempotent. The service also runs it daily.",
        extensions=[requires_roles(*RESOURCE_MANAGERS)],
    )
    async def accrue_labour(self, info: Info, input: AccrueLabourInput) -> LabourAccrual:
        command = accrual.AccrueLabour(as_of=input.as_of)
        result = await _execute(info, input, accrual.accrue_labour, command)
        forget_loaded(info)
        return LabourAccrual.of(result)


def _budget_cursor(after: str | None) -> tuple[str, str, str] | None:
    if after is None:
        return None
    values = decode_cursor(after, arity=3)
    if not all(isinstance(value, str) for value in values):
        raise InvalidInput(
            "the cursor does not belong to this list: pass the endCursor of a previous page"
        )
    period, name, budget_id = (str(value) for value in values)
    return period, name, budget_id


@strawberry.type
class BudgetQuery:
    @strawberry.field(description="One budget by id, or null if there is none.")
    async def budget(self, info: Info, id: strawberry.ID) -> Budget | None:
        return await Budget.by_id(info, str(id))

    @strawberry.field(description="Budgets by period, then name, a page at a time.")
    async def budgets(
        self,
        info: Info,
        period: str | None = None,
        kind: BudgetKind | None = None,  # type: ignore[valid-type]
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Budget]:
        size = page_size(first)
        wanted = check.period("period", period) if period is not None else None
        async with runtime(info).engine.connect() as conn:
            rows = await read.page(
                conn,
                period=wanted,
                kind=DomainKind(kind) if kind is not None else None,
                after=_budget_cursor(after),
                limit=size + 1,
            )
        keys = {row.id: (row.period, row.name, row.id) for row in rows}
        return Connection[Budget].from_rows(
            [Budget.from_row(row) for row in rows],
            size,
            cursor=lambda node: encode_cursor(*keys[str(node.id)]),
            has_previous_page=after is not None,
        )

    @strawberry.field(
        description="Labour of complete weeks before asOf's week that no budget can take (for "
        "one initiative if given), by initiative, week and allocation. Resource managers, the "
        "PMO and admins only.",
        extensions=[requires_roles(*RESOURCE_MANAGERS)],
    )
    async def unfunded_labour(
        self,
        info: Info,
        as_of: date | None = None,
        initiative_id: strawberry.ID | None = None,
    ) -> list[UnfundedLabour]:
        ids = [str(initiative_id)] if initiative_id is not None else None
        async with runtime(info).engine.connect() as conn:
            plan = await accrual.plan_accrual(conn, as_of=as_of or today(), initiative_ids=ids)
        ordered = sorted(
            plan.unfunded,
            key=lambda u: (
                u.line.initiative_id,
                u.line.week,
                u.line.allocation_id,
                u.line.person_id,
            ),
        )
        return [UnfundedLabour.of(line) for line in ordered]
