"""The Budget aggregate: a value stream's or cost centre's money for one period.

- **Commitments**: funds committed to an initiative; a new commitment to the same initiative
  replaces the earlier one. **Invariant**: the commitments never add up to more than the amount,
  unless a `pmo` or `admin` overrides with a written reason (`BudgetOverrunOverridden`, then
  `FundsCommitted`). The refusal names the budget, its amount, what is committed and the excess.
  An override reason from anyone else is `Forbidden`.
- **Adjustments** change the amount. Raising it is always fine; lowering it below what is
  committed is refused (release or reduce commitments first), so an overrun only ever comes from
  an explicit override.
- **Spend**: LABOUR is accrued from approved allocations week by week with the deterministic
  spend id ``<allocation id>/<ISO week>`` (a team allocation's per member, with
  ``/<person id>`` appended): recording the same labour spend twice records nothing,
  so accrual jobs and replays may run as often as they like. EXPENSE (tools, services) comes with
  an id the handler generated; a clash is a Conflict. Spend is in the budget's currency; an
  expense may be negative (a credit note or correction), labour never is.
- **Queries**: `committed`, `spent`, `remaining` (amount - spent: money left to spend),
  `uncommitted` (amount - committed: room for new commitments), `burn_per_week`, `forecast`.

**Periods** (`period_range`, `period_weeks`): a label is a year (``2026``), a half (``2026-H2``),
a quarter (``2026-Q4``) or a month (``2026-11``). A period's weeks are the ISO weeks whose
Thursday falls in it (the ISO rule that gives a week to a year), so every week belongs to exactly
one month, quarter, half and year, and adjacent periods never share one.

**Forecast at the current burn rate** (`forecast_spend`): the weekly burn is the average spend of
the last `window_weeks` complete weeks before the week of `as_of` that lie in the period (fewer
at a period's start; 0 when there are none). The forecast is what has been spent plus that burn
for each week of the period from the week of `as_of` on: the current week counts as remaining,
because its labour accrues only once it is over.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import ClassVar

from pmo_events.aggregate import Aggregate
from pmo_events.errors import Conflict, GuardrailViolation, InvalidInput, NotFound
from pmo_events.registry import DomainEvent

from pmo_resources.domain import validation as check
from pmo_resources.domain.allocation import override_reason_of
from pmo_resources.domain.capacity import IsoWeek, hours_text
from pmo_resources.domain.events import (
    BudgetAdjusted,
    BudgetKind,
    BudgetOpened,
    BudgetOverrunOverridden,
    FundsCommitted,
    FundsReleased,
    SpendKind,
    SpendRecorded,
)

_CENTS = Decimal("0.01")
_PERIOD_PARTS = re.compile(r"^(\d{4})(?:-(?:H([12])|Q([1-4])|(\d{2})))?$")
DEFAULT_WINDOW_WEEKS = 4


# --- periods and forecasts -----------------------------------------------------------------------


def period_range(period: str) -> tuple[date, date]:
    """The first and last day of a period label (year, half, quarter or month)."""
    check.period("period", period)
    matched = _PERIOD_PARTS.fullmatch(period)
    assert matched is not None  # check.period accepted it
    year = int(matched[1])
    if matched[2] is not None:
        first_month, months = (int(matched[2]) - 1) * 6 + 1, 6
    elif matched[3] is not None:
        first_month, months = (int(matched[3]) - 1) * 3 + 1, 3
    elif matched[4] is not None:
        first_month, months = int(matched[4]), 1
    else:
        first_month, months = 1, 12
    last_month = first_month + months - 1
    following = date(year + 1, 1, 1) if last_month == 12 else date(year, last_month + 1, 1)
    return date(year, first_month, 1), date.fromordinal(following.toordinal() - 1)


def period_weeks(period: str) -> list[IsoWeek]:
    """The ISO weeks of a period: those whose Thursday falls in it."""
    first, last = period_range(period)
    week = IsoWeek.of(first)
    weeks: list[IsoWeek] = []
    while week.monday <= last:
        thursday = date.fromisocalendar(week.year, week.week, 4)
        if first <= thursday <= last:
            weeks.append(week)
        week = week.next()
    return weeks


@dataclass(frozen=True)
class BurnForecast:
    """Where the money goes at the current burn rate (amounts in the budget's currency)."""

    amount: Decimal
    spent: Decimal
    weekly_burn: Decimal  # average over the window, to the cent
    window_weeks: int  # complete weeks of the period the average was taken over
    weeks_left: int  # weeks of the period from the current one on
    forecast: Decimal  # spent + weekly_burn * weeks_left
    variance: Decimal  # amount - forecast: negative means an overrun is coming

    @property
    def overrun(self) -> bool:
        return self.variance < 0


def forecast_spend(
    spend_by_week: Mapping[str, Decimal],
    *,
    period: str,
    amount: Decimal,
    as_of: date,
    window_weeks: int = DEFAULT_WINDOW_WEEKS,
) -> BurnForecast:
    """Forecast a period's spend at the current burn rate (see the module docstring).

    `spend_by_week`: ISO week label → spend recorded in that week (any weeks; the total counts
    as spent, only the window's weeks make the burn rate).
    """
    window_weeks = check.integer("window_weeks", window_weeks, low=1, high=52)
    weeks = period_weeks(period)
    current = IsoWeek.of(as_of)
    complete = [week for week in weeks if week < current]
    window = complete[-window_weeks:]
    burn = Decimal(0)
    if window:
        window_spend = sum((spend_by_week.get(w.label, Decimal(0)) for w in window), Decimal(0))
        burn = (window_spend / len(window)).quantize(_CENTS, rounding=ROUND_HALF_UP)
    spent = sum(spend_by_week.values(), Decimal(0))
    weeks_left = sum(1 for week in weeks if week >= current)
    forecast = spent + burn * weeks_left
    return BurnForecast(
        amount=amount,
        spent=spent,
        weekly_burn=burn,
        window_weeks=len(window),
        weeks_left=weeks_left,
        forecast=forecast,
        variance=amount - forecast,
    )


def labour_spend_id(allocation_id: str, week: IsoWeek, member_id: str | None = None) -> str:
    """The deterministic id of an allocation's labour in a week: ``<allocation id>/<ISO week>``.

    A team allocation puts hours on several people in one week, each at their own rate: its
    labour accrues per member, ``<allocation id>/<ISO week>/<person id>`` (`member_id`).
    """
    week_id = f"{allocation_id}/{week.label}"
    return week_id if member_id is None else f"{week_id}/{member_id}"


def labour_cost(hours: Decimal, cost_rate: Decimal) -> Decimal:
    """Hours at an hourly rate, to the cent (half up)."""
    return (hours * cost_rate).quantize(_CENTS, rounding=ROUND_HALF_UP)


# --- the aggregate -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spend:
    spend_id: str
    kind: SpendKind
    amount: Decimal
    week: str  # the ISO week of spent_on
    spent_on: date
    initiative_id: str | None
    allocation_id: str | None
    person_id: str | None
    hours: Decimal | None
    description: str


@dataclass(kw_only=True)
class Budget(Aggregate):
    STREAM_TYPE: ClassVar[str] = "Budget"

    name: str = ""
    kind: BudgetKind = BudgetKind.VALUE_STREAM
    owner_ref: str = ""
    period: str = ""
    amount: Decimal = Decimal(0)
    currency: str = ""
    opened: bool = False
    commitments: dict[str, Decimal] = field(default_factory=dict)  # initiative id → amount
    spends: dict[str, Spend] = field(default_factory=dict)  # spend id → spend, in order
    overrides: list[BudgetOverrunOverridden] = field(default_factory=list)

    # --- queries -------------------------------------------------------------------------------

    @property
    def committed(self) -> Decimal:
        return sum(self.commitments.values(), Decimal(0))

    @property
    def uncommitted(self) -> Decimal:
        """Room left for commitments (negative after an overridden overrun)."""
        return self.amount - self.committed

    @property
    def spent(self) -> Decimal:
        return sum((spend.amount for spend in self.spends.values()), Decimal(0))

    @property
    def remaining(self) -> Decimal:
        """Money left to spend: amount - spent."""
        return self.amount - self.spent

    def committed_to(self, initiative_id: str) -> Decimal | None:
        return self.commitments.get(initiative_id)

    def spent_on_initiative(self, initiative_id: str) -> Decimal:
        return sum(
            (s.amount for s in self.spends.values() if s.initiative_id == initiative_id),
            Decimal(0),
        )

    def burn_per_week(self) -> dict[str, Decimal]:
        """ISO week label → spend recorded in it, in week order."""
        burn: dict[str, Decimal] = {}
        for spend in sorted(self.spends.values(), key=lambda s: s.week):
            burn[spend.week] = burn.get(spend.week, Decimal(0)) + spend.amount
        return burn

    def has_spend(self, spend_id: str) -> bool:
        return spend_id in self.spends

    def forecast(self, *, as_of: date, window_weeks: int = DEFAULT_WINDOW_WEEKS) -> BurnForecast:
        return forecast_spend(
            self.burn_per_week(),
            period=self.period,
            amount=self.amount,
            as_of=as_of,
            window_weeks=window_weeks,
        )

    # --- commands ------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        budget_id: str,
        *,
        name: str,
        kind: BudgetKind,
        owner_ref: str,
        period: str,
        amount: Decimal,
        currency: str,
        actor: str,
        now: datetime,
    ) -> Budget:
        budget_id = check.text("budget_id", budget_id)
        budget = cls(id=budget_id)
        budget._record(
            BudgetOpened(
                budget_id=budget_id,
                name=check.text("name", name),
                kind=check.choice("kind", kind, BudgetKind),
                owner_ref=check.text("owner_ref", owner_ref),
                period=check.period("period", period),
                amount=check.money("amount", amount),
                currency=check.currency("currency", currency),
                opened_by=actor,
                opened_at=now,
            )
        )
        return budget

    def adjust(self, *, amount: Decimal, reason: str, actor: str, now: datetime) -> None:
        """Change the amount; records nothing when it is already that."""
        amount = check.money("amount", amount)
        reason = check.text("reason", reason, max_length=check.TEXT_MAX)
        if amount == self.amount:
            return
        if amount < self.amount and amount < self.committed:
            raise GuardrailViolation(
                f"budget {self._name()} cannot go down to {self._money(amount)}: "
                f"{self._money(self.committed)} is committed; release or reduce commitments "
                "first"
            )
        self._record(
            BudgetAdjusted(
                budget_id=self.id, amount=amount, reason=reason, adjusted_by=actor, adjusted_at=now
            )
        )

    def commit_funds(
        self,
        initiative_id: str,
        *,
        amount: Decimal,
        override_reason: str | None = None,
        may_override: bool = False,
        actor: str,
        now: datetime,
    ) -> None:
        """Commit `amount` to the initiative, replacing its earlier commitment (records nothing
        when it is the same amount)."""
        initiative_id = check.text("initiative_id", initiative_id)
        amount = check.money("amount", amount)
        override = override_reason_of(override_reason, may_override=may_override)
        if self.commitments.get(initiative_id) == amount:
            return
        others = self.committed - self.commitments.get(initiative_id, Decimal(0))
        excess = others + amount - self.amount
        # Shrinking a commitment never needs an override, even while the budget is overrun.
        shrinking = amount < self.commitments.get(initiative_id, Decimal(0))
        if excess > 0 and not shrinking:
            if override is None:
                raise GuardrailViolation(
                    f"budget {self._name()} has {self._money(self.amount)}, "
                    f"{self._money(others)} of it committed to other initiatives; committing "
                    f"{self._money(amount)} to {initiative_id!r} would exceed it by "
                    f"{self._money(excess)}; commit less, raise the budget, or a pmo/admin may "
                    "override with a reason"
                )
            self._record(
                BudgetOverrunOverridden(
                    budget_id=self.id,
                    initiative_id=initiative_id,
                    excess=excess,
                    currency=self.currency,
                    reason=override,
                    overridden_by=actor,
                    overridden_at=now,
                )
            )
        self._record(
            FundsCommitted(
                budget_id=self.id,
                initiative_id=initiative_id,
                amount=amount,
                committed_by=actor,
                committed_at=now,
            )
        )

    def release_funds(
        self,
        initiative_id: str,
        *,
        reason: str,
        source_event_id: str | None = None,
        actor: str,
        now: datetime,
    ) -> None:
        """Release the initiative's commitment. Without one: NotFound, or nothing at all for a
        reaction (`source_event_id` given), which may be a replay."""
        initiative_id = check.text("initiative_id", initiative_id)
        reason = check.text("reason", reason, max_length=check.TEXT_MAX)
        if initiative_id not in self.commitments:
            if source_event_id is not None:
                return
            raise NotFound(
                f"budget {self._name()} has no commitment to initiative {initiative_id!r}; "
                "list the budget's commitments for the right id"
            )
        self._record(
            FundsReleased(
                budget_id=self.id,
                initiative_id=initiative_id,
                reason=reason,
                source_event_id=source_event_id,
                released_by=actor,
                released_at=now,
            )
        )

    def record_labour(
        self,
        *,
        allocation_id: str,
        week: IsoWeek,
        initiative_id: str,
        person_id: str,
        hours: Decimal,
        cost_rate: Decimal,
        currency: str,
        team_allocation: bool = False,
        actor: str,
        now: datetime,
    ) -> None:
        """Accrue a person's hours on an allocation in a (past) week at their hourly rate.

        Idempotent: a week already accrued for the allocation (same spend id) records nothing,
        and so do 0 hours. `spent_on` is the week's Friday, its last working day. For a
        `team_allocation` the person is one member and the spend id names them
        (`labour_spend_id`).
        """
        allocation_id = check.text("allocation_id", allocation_id)
        initiative_id = check.text("initiative_id", initiative_id)
        person_id = check.text("person_id", person_id)
        hours = _non_negative("hours", hours)
        cost_rate = check.money("cost_rate", cost_rate)
        self._ensure_currency(check.currency("currency", currency))
        spend_id = labour_spend_id(allocation_id, week, person_id if team_allocation else None)
        if spend_id in self.spends or hours == 0:
            return
        self._record(
            SpendRecorded(
                budget_id=self.id,
                spend_id=spend_id,
                kind=SpendKind.LABOUR,
                initiative_id=initiative_id,
                allocation_id=allocation_id,
                person_id=person_id,
                week=week.label,
                hours=hours,
                amount=labour_cost(hours, cost_rate),
                currency=currency,
                description=f"{hours_text(hours)} h in {week.label} at {cost_rate} {currency}/h",
                spent_on=week.friday,
                recorded_by=actor,
                recorded_at=now,
            )
        )

    def record_expense(
        self,
        spend_id: str,
        *,
        amount: Decimal,
        currency: str,
        description: str,
        spent_on: date,
        initiative_id: str | None = None,
        actor: str,
        now: datetime,
    ) -> None:
        """An expense (tools, services); negative for a credit note. `spend_id` is generated by
        the handler: one already recorded is a Conflict."""
        spend_id = check.text("spend_id", spend_id)
        amount = _signed_money("amount", amount)
        self._ensure_currency(check.currency("currency", currency))
        description = check.text("description", description, max_length=check.TEXT_MAX)
        initiative_id = check.optional_text(
            "initiative_id", initiative_id, max_length=check.NAME_MAX
        )
        if not isinstance(spent_on, date):
            raise InvalidInput(f"spent_on must be a calendar date (YYYY-MM-DD); got {spent_on!r}")
        if spend_id in self.spends:
            raise Conflict(f"budget {self._name()} already has a spend {spend_id!r}; send a new id")
        self._record(
            SpendRecorded(
                budget_id=self.id,
                spend_id=spend_id,
                kind=SpendKind.EXPENSE,
                initiative_id=initiative_id,
                allocation_id=None,
                person_id=None,
                week=None,
                hours=None,
                amount=amount,
                currency=currency,
                description=description,
                spent_on=spent_on,
                recorded_by=actor,
                recorded_at=now,
            )
        )

    # --- helpers -------------------------------------------------------------------------------

    def _ensure_currency(self, currency: str) -> None:
        if currency != self.currency:
            raise InvalidInput(
                f"budget {self._name()} is in {self.currency}; record the spend in "
                f"{self.currency}, not {currency}"
            )

    def _name(self) -> str:
        return f"{self.name!r} ({self.period})"

    def _money(self, amount: Decimal) -> str:
        return f"{amount:.2f} {self.currency}"

    # --- state ---------------------------------------------------------------------------------

    def _when(self, event: DomainEvent) -> None:
        match event:
            case BudgetOpened():
                self.name = event.name
                self.kind = event.kind
                self.owner_ref = event.owner_ref
                self.period = event.period
                self.amount = event.amount
                self.currency = event.currency
                self.opened = True
            case BudgetAdjusted():
                self.amount = event.amount
            case FundsCommitted():
                self.commitments[event.initiative_id] = event.amount
            case FundsReleased():
                self.commitments.pop(event.initiative_id, None)
            case SpendRecorded():
                self.spends[event.spend_id] = Spend(
                    spend_id=event.spend_id,
                    kind=event.kind,
                    amount=event.amount,
                    week=IsoWeek.of(event.spent_on).label,
                    spent_on=event.spent_on,
                    initiative_id=event.initiative_id,
                    allocation_id=event.allocation_id,
                    person_id=event.person_id,
                    hours=event.hours,
                    description=event.description,
                )
            case BudgetOverrunOverridden():
                self.overrides.append(event)
            case _:
                self._unexpected(event)


def _non_negative(field: str, value: Decimal) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise InvalidInput(f"{field} must be a decimal number of at least 0; got {value!r}")
    return value


def _signed_money(field: str, value: Decimal) -> Decimal:
    """A non-zero amount, negative for a credit, with at most two decimal places."""
    if not isinstance(value, Decimal) or not value.is_finite() or value == 0:
        raise InvalidInput(f"{field} must be a non-zero decimal amount; got {value!r}")
    return -check.money(field, -value) if value < 0 else check.money(field, value)
