"""Demand: what the portfolio's decisions ask of the resources context (choreography, no calls).

The **Demand** aggregate (stream id = the initiative id) is the unstaffed demand line an approval
creates. It is opened and closed only by reactions to `pmo.portfolio.events`, so every command is
idempotent and survives replays: the stream remembers every portfolio event it reacted to, and a
source event seen before records nothing, whatever happened since (replaying an old approval
after the cancellation does not re-open the demand).

- open: records `DemandOpened` unless the demand is open with the same figures (portfolio,
  period, amount, currency); an approval while open with new figures (a re-approval after the
  business case changed) records `DemandOpened` again with them. A closed demand re-opens on a
  new approval (after a REJECT or DEFER withdrew the earlier one).
- close: records `DemandClosed` when open; closing a demand that is closed or was never opened
  records nothing.

**Reactions** (`react_to_portfolio`) decide, from the consumer-side view of a portfolio event,
what to do; `apply_reaction` does it on the loaded aggregates. Rules:

- `DecisionRecorded` APPROVE: open the demand with the decision's period, amount and currency.
- `DecisionRecorded` REJECT or DEFER: close an open demand (APPROVAL_WITHDRAWN) and release the
  funds budgets here committed to the initiative (as the portfolio releases its own commitment).
  Allocations stay: a deferred initiative may resume, and the resource manager releases what is
  no longer needed.
- `DecisionRecorded` CANCEL: nothing; the `InitiativeMoved` to CANCELLED that follows it in the
  same stream does the work (a cancellation by a plain move has only that event).
- `InitiativeMoved` to CANCELLED: close the demand (INITIATIVE_CANCELLED), release every approved
  allocation of the initiative still active after that day (cause INITIATIVE_CANCELLED), reject
  every allocation still only requested, and release the funds budgets committed to it.
- `InitiativeMoved` to DONE: the same with INITIATIVE_DONE, except the funds: a finished
  initiative keeps its commitments (the money was spent, as in the portfolio).
- anything else: nothing.

The day of the event (its UTC date) is the last day worked: allocations are released from the
day after (or from their first day if they start later).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import ClassVar

from pmo_events.aggregate import Aggregate
from pmo_events.registry import DomainEvent

from pmo_resources.domain import validation as check
from pmo_resources.domain.allocation import Allocation, AllocationStatus
from pmo_resources.domain.budget import Budget
from pmo_resources.domain.events import (
    DemandClosed,
    DemandClosure,
    DemandOpened,
    ReleaseCause,
)

# --- the aggregate -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemandOpening:
    """What an approval asks for: the figures `DemandOpened` records."""

    portfolio_id: str | None
    period: str | None
    approved_amount: Decimal | None
    currency: str | None


@dataclass(kw_only=True)
class Demand(Aggregate):
    STREAM_TYPE: ClassVar[str] = "Demand"

    is_open: bool = False
    opening: DemandOpening | None = None  # the latest approval's figures
    opened_at: datetime | None = None
    closure: DemandClosure | None = None
    closed_at: datetime | None = None
    handled: set[str] = field(default_factory=set)  # source event ids reacted to

    @property
    def initiative_id(self) -> str:
        return self.id

    def has_handled(self, source_event_id: str) -> bool:
        return source_event_id in self.handled

    def open(self, opening: DemandOpening, *, source_event_id: str, now: datetime) -> None:
        source_event_id = check.text("source_event_id", source_event_id)
        if opening.period is not None:
            check.period("period", opening.period)
        if opening.currency is not None:
            check.currency("currency", opening.currency)
        if self.has_handled(source_event_id):
            return
        if self.is_open and self.opening == opening:
            return
        self._record(
            DemandOpened(
                initiative_id=self.id,
                portfolio_id=opening.portfolio_id,
                period=opening.period,
                approved_amount=opening.approved_amount,
                currency=opening.currency,
                source_event_id=source_event_id,
                opened_at=now,
            )
        )

    def close(self, closure: DemandClosure, *, source_event_id: str, now: datetime) -> None:
        closure = check.choice("closure", closure, DemandClosure)
        source_event_id = check.text("source_event_id", source_event_id)
        if self.has_handled(source_event_id) or not self.is_open:
            return
        self._record(
            DemandClosed(
                initiative_id=self.id,
                closure=closure,
                source_event_id=source_event_id,
                closed_at=now,
            )
        )

    def _when(self, event: DomainEvent) -> None:
        match event:
            case DemandOpened():
                self.is_open = True
                self.opening = DemandOpening(
                    event.portfolio_id, event.period, event.approved_amount, event.currency
                )
                self.opened_at = event.opened_at
                self.closure = None
                self.closed_at = None
                self.handled.add(event.source_event_id)
            case DemandClosed():
                self.is_open = False
                self.closure = event.closure
                self.closed_at = event.closed_at
                self.handled.add(event.source_event_id)
            case _:
                self._unexpected(event)


# --- reactions to the portfolio ------------------------------------------------------------------


@dataclass(frozen=True)
class PortfolioDecision:
    """The consumer-side view of ``pmo.portfolio.DecisionRecorded`` (plus the envelope's id)."""

    event_id: str  # ce_id
    initiative_id: str
    portfolio_id: str | None
    decision: str  # APPROVE, REJECT, DEFER or CANCEL
    period: str | None
    committed_amount: Decimal | None
    currency: str | None
    decided_at: datetime


@dataclass(frozen=True)
class PortfolioMove:
    """The consumer-side view of ``pmo.portfolio.InitiativeMoved`` (plus the envelope's id)."""

    event_id: str  # ce_id
    initiative_id: str
    to_state: str
    moved_at: datetime


PortfolioFact = PortfolioDecision | PortfolioMove


@dataclass(frozen=True)
class Reaction:
    """What to do about one portfolio event; empty when nothing."""

    source_event_id: str
    initiative_id: str
    open_demand: DemandOpening | None = None
    close_demand: DemandClosure | None = None
    release: tuple[str, ...] = ()  # approved allocations to release, in id order
    reject: tuple[str, ...] = ()  # requested allocations to reject, in id order
    release_cause: ReleaseCause | None = None
    released_from: date | None = None
    release_funds: bool = False  # release every budget commitment to the initiative
    reason: str = ""

    @property
    def is_nothing(self) -> bool:
        return (
            self.open_demand is None
            and self.close_demand is None
            and not self.release
            and not self.reject
            and not self.release_funds
        )


_ENDINGS: dict[str, tuple[DemandClosure, ReleaseCause, str]] = {
    "CANCELLED": (
        DemandClosure.INITIATIVE_CANCELLED,
        ReleaseCause.INITIATIVE_CANCELLED,
        "cancelled",
    ),
    "DONE": (DemandClosure.INITIATIVE_DONE, ReleaseCause.INITIATIVE_DONE, "done"),
}


def react_to_portfolio(
    fact: PortfolioFact, *, demand: Demand, allocations: Iterable[Allocation]
) -> Reaction:
    """Decide the reaction to a portfolio event (see the module docstring's table).

    `demand`: the initiative's Demand as loaded (possibly empty); `allocations`: the
    initiative's allocations as loaded (the handler finds them in its read model).
    """
    nothing = Reaction(source_event_id=fact.event_id, initiative_id=fact.initiative_id)
    if isinstance(fact, PortfolioDecision):
        if demand.has_handled(fact.event_id):
            return nothing
        if fact.decision == "APPROVE":
            opening = DemandOpening(
                fact.portfolio_id, fact.period, fact.committed_amount, fact.currency
            )
            if demand.is_open and demand.opening == opening:
                return nothing
            return Reaction(fact.event_id, fact.initiative_id, open_demand=opening)
        if fact.decision in ("REJECT", "DEFER") and demand.is_open:
            return Reaction(
                fact.event_id,
                fact.initiative_id,
                close_demand=DemandClosure.APPROVAL_WITHDRAWN,
                release_funds=True,
                reason=f"the approval of initiative {fact.initiative_id} was withdrawn "
                f"({fact.decision}) in the portfolio",
            )
        return nothing

    ending = _ENDINGS.get(fact.to_state)
    if ending is None or demand.has_handled(fact.event_id):
        return nothing  # handled: its releases were appended in the same transaction
    closure, cause, verb = ending
    last_day = fact.moved_at.astimezone(UTC).date()
    released_from = last_day + timedelta(days=1)
    mine = [a for a in allocations if a.initiative_id == fact.initiative_id]
    release = sorted(a.id for a in mine if a.needs_release_from(released_from))
    reject = sorted(a.id for a in mine if a.status is AllocationStatus.REQUESTED)
    close = closure if demand.is_open else None
    return Reaction(
        source_event_id=fact.event_id,
        initiative_id=fact.initiative_id,
        close_demand=close,
        release=tuple(release),
        reject=tuple(reject),
        release_cause=cause if release else None,
        released_from=released_from if release else None,
        release_funds=cause is ReleaseCause.INITIATIVE_CANCELLED,
        reason=f"initiative {fact.initiative_id} was {verb} in the portfolio on {last_day}",
    )


def apply_reaction(
    reaction: Reaction,
    *,
    demand: Demand,
    allocations: Mapping[str, Allocation],
    budgets: Iterable[Budget] = (),
    actor: str,
    now: datetime,
) -> None:
    """Carry out a reaction on the loaded aggregates; the handler then appends their pending
    events in one transaction. `allocations`: by id, at least those the reaction names;
    `budgets`: when `release_funds`, the budgets with a commitment to the initiative (a budget
    without one records nothing)."""
    if reaction.open_demand is not None:
        demand.open(reaction.open_demand, source_event_id=reaction.source_event_id, now=now)
    if reaction.close_demand is not None:
        demand.close(reaction.close_demand, source_event_id=reaction.source_event_id, now=now)
    for allocation_id in reaction.release:
        assert reaction.release_cause is not None
        allocations[allocation_id].release(
            reason=reaction.reason,
            released_from=reaction.released_from,
            cause=reaction.release_cause,
            source_event_id=reaction.source_event_id,
            actor=actor,
            now=now,
        )
    for allocation_id in reaction.reject:
        allocations[allocation_id].reject(reason=reaction.reason, actor=actor, now=now)
    if reaction.release_funds:
        for budget in budgets:
            budget.release_funds(
                reaction.initiative_id,
                reason=reaction.reason,
                source_event_id=reaction.source_event_id,
                actor=actor,
                now=now,
            )
