"""Demand from the portfolio's decisions: the aggregate's idempotency and the reaction rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pmo_resources.domain.allocation import Allocation
from pmo_resources.domain.budget import Budget
from pmo_resources.domain.capacity import CommitmentContext
from pmo_resources.domain.demand import (
    Demand,
    DemandOpening,
    PortfolioDecision,
    PortfolioMove,
    Reaction,
    apply_reaction,
    react_to_portfolio,
)
from pmo_resources.domain.events import (
    AllocationRejected,
    AllocationReleased,
    BudgetKind,
    DemandClosed,
    DemandClosure,
    DemandOpened,
    FundsReleased,
    ReleaseCause,
)

D = Decimal
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=1)
OPENING = DemandOpening("digital", "2026-Q4", D(250000), "EUR")


def decision(kind: str, event_id: str = "ev-approve", **overrides: Any) -> PortfolioDecision:
    arguments: dict[str, Any] = {
        "event_id": event_id,
        "initiative_id": "i-1",
        "portfolio_id": "digital",
        "decision": kind,
        "period": "2026-Q4" if kind == "APPROVE" else None,
        "committed_amount": D(250000) if kind == "APPROVE" else None,
        "currency": "EUR" if kind == "APPROVE" else None,
        "decided_at": NOW,
    } | overrides
    return PortfolioDecision(**arguments)


def move(to_state: str, event_id: str = "ev-move", at: datetime = NOW) -> PortfolioMove:
    return PortfolioMove(event_id=event_id, initiative_id="i-1", to_state=to_state, moved_at=at)


def open_demand(source: str = "ev-approve", opening: DemandOpening = OPENING) -> Demand:
    demand = Demand(id="i-1")
    demand.open(opening, source_event_id=source, now=NOW)
    return Demand.from_events("i-1", demand.pending)


def allocation(
    allocation_id: str,
    *,
    status: str = "APPROVED",
    starts_on: date = date(2026, 11, 2),
    ends_on: date = date(2026, 12, 31),
    initiative_id: str = "i-1",
) -> Allocation:
    requested = Allocation.request(
        allocation_id,
        initiative_id=initiative_id,
        person_id="alice",
        starts_on=starts_on,
        ends_on=ends_on,
        percent=10,
        actor="rita",
        now=NOW,
    ).pending
    loaded = Allocation.from_events(allocation_id, requested)
    if status == "APPROVED":
        loaded.approve(
            context=CommitmentContext(capacities={"alice": lambda day: D(40)}),
            actor="rita",
            now=NOW,
        )
    elif status == "REJECTED":
        loaded.reject(reason="no", actor="rita", now=NOW)
    return Allocation.from_events(allocation_id, [*requested, *loaded.pending])


def budget_committed_to(initiative_id: str) -> Budget:
    budget = Budget.open(
        "b-1",
        name="Digital",
        kind=BudgetKind.VALUE_STREAM,
        owner_ref="digital",
        period="2026-Q4",
        amount=D(100000),
        currency="EUR",
        actor="fiona",
        now=NOW,
    )
    budget.commit_funds(initiative_id, amount=D(50000), actor="fiona", now=NOW)
    return Budget.from_events("b-1", budget.pending)


# --- the aggregate -------------------------------------------------------------------------------


def test_opening_records_demand_opened_with_the_approval() -> None:
    demand = Demand(id="i-1")
    demand.open(OPENING, source_event_id="ev-approve", now=NOW)
    assert demand.pending == [
        DemandOpened(
            initiative_id="i-1",
            portfolio_id="digital",
            period="2026-Q4",
            approved_amount=D(250000),
            currency="EUR",
            source_event_id="ev-approve",
            opened_at=NOW,
        )
    ]
    assert (demand.is_open, demand.opening, demand.initiative_id) == (True, OPENING, "i-1")


def test_opening_again_with_the_same_source_event_is_a_no_op() -> None:
    demand = open_demand()
    demand.open(OPENING, source_event_id="ev-approve", now=LATER)
    # a new approval with the same figures changes nothing either
    demand.open(OPENING, source_event_id="ev-approve-2", now=LATER)
    assert demand.pending == []


def test_a_re_approval_with_new_figures_records_them() -> None:
    demand = open_demand()
    bigger = DemandOpening("digital", "2027-Q1", D(300000), "EUR")
    demand.open(bigger, source_event_id="ev-approve-2", now=LATER)
    assert [type(e).__name__ for e in demand.pending] == ["DemandOpened"]
    assert demand.opening == bigger


def test_closing_and_re_opening_after_a_withdrawal() -> None:
    demand = open_demand()
    demand.close(DemandClosure.APPROVAL_WITHDRAWN, source_event_id="ev-defer", now=LATER)
    demand.close(DemandClosure.APPROVAL_WITHDRAWN, source_event_id="ev-defer", now=LATER)
    demand.close(DemandClosure.INITIATIVE_CANCELLED, source_event_id="ev-other", now=LATER)
    assert demand.pending == [
        DemandClosed(
            initiative_id="i-1",
            closure=DemandClosure.APPROVAL_WITHDRAWN,
            source_event_id="ev-defer",
            closed_at=LATER,
        )
    ]
    assert (demand.is_open, demand.closure) == (False, DemandClosure.APPROVAL_WITHDRAWN)
    # a new approval re-opens it; replaying the old one does not
    demand.open(OPENING, source_event_id="ev-approve", now=LATER)
    assert len(demand.pending) == 1
    demand.open(OPENING, source_event_id="ev-approve-2", now=LATER)
    assert (len(demand.pending), demand.is_open, demand.closure) == (2, True, None)


def test_closing_a_demand_never_opened_records_nothing() -> None:
    demand = Demand(id="i-1")
    demand.close(DemandClosure.INITIATIVE_DONE, source_event_id="ev-done", now=NOW)
    assert (demand.pending, demand.version) == ([], 0)


# --- reaction decisions --------------------------------------------------------------------------


def test_an_approval_opens_demand() -> None:
    reaction = react_to_portfolio(decision("APPROVE"), demand=Demand(id="i-1"), allocations=[])
    assert reaction == Reaction("ev-approve", "i-1", open_demand=OPENING)
    assert not reaction.is_nothing
    # the same approval again (a replay) or an identical re-approval: nothing
    replay = react_to_portfolio(decision("APPROVE"), demand=open_demand(), allocations=[])
    assert replay.is_nothing
    same = react_to_portfolio(decision("APPROVE", "ev-2"), demand=open_demand(), allocations=[])
    assert same.is_nothing


@pytest.mark.parametrize("kind", ["REJECT", "DEFER"])
def test_a_reject_or_defer_withdraws_the_approval_and_keeps_the_allocations(kind: str) -> None:
    staffed = [allocation("a-1")]
    reaction = react_to_portfolio(decision(kind, "ev-w"), demand=open_demand(), allocations=staffed)
    assert reaction == Reaction(
        "ev-w",
        "i-1",
        close_demand=DemandClosure.APPROVAL_WITHDRAWN,
        release_funds=True,
        reason=f"the approval of initiative i-1 was withdrawn ({kind}) in the portfolio",
    )
    # without an open demand there is nothing to withdraw
    nothing = react_to_portfolio(decision(kind, "ev-w"), demand=Demand(id="i-1"), allocations=[])
    assert nothing.is_nothing


def test_a_cancel_decision_leaves_the_work_to_the_move_that_follows() -> None:
    reaction = react_to_portfolio(
        decision("CANCEL", "ev-c"), demand=open_demand(), allocations=[allocation("a-1")]
    )
    assert reaction.is_nothing


@pytest.mark.parametrize(
    ("to_state", "closure", "cause", "verb"),
    [
        (
            "CANCELLED",
            DemandClosure.INITIATIVE_CANCELLED,
            ReleaseCause.INITIATIVE_CANCELLED,
            "cancelled",
        ),
        ("DONE", DemandClosure.INITIATIVE_DONE, ReleaseCause.INITIATIVE_DONE, "done"),
    ],
)
def test_cancelled_or_done_closes_demand_and_releases_what_is_still_promised(
    to_state: str, closure: DemandClosure, cause: ReleaseCause, verb: str
) -> None:
    allocations = [
        allocation("a-3"),  # active across the date: released from the day after
        allocation("a-1", starts_on=date(2027, 1, 4), ends_on=date(2027, 2, 26)),  # future
        allocation("a-2", ends_on=date(2026, 11, 20)),  # over before it: nothing to free
        allocation("a-4", status="REQUESTED"),  # only requested: rejected
        allocation("a-5", status="REJECTED"),
        allocation("a-6", initiative_id="i-2"),  # another initiative's
    ]
    # 23:30 in New York on the 24th is the 25th in UTC: the 25th is the last day worked
    at = datetime(2026, 11, 25, 4, 30, tzinfo=UTC)
    reaction = react_to_portfolio(
        move(to_state, at=at), demand=open_demand(), allocations=allocations
    )
    assert reaction == Reaction(
        source_event_id="ev-move",
        initiative_id="i-1",
        close_demand=closure,
        release=("a-1", "a-3"),
        reject=("a-4",),
        release_cause=cause,
        released_from=date(2026, 11, 26),
        # a cancelled initiative needs no money; a done one spent it
        release_funds=to_state == "CANCELLED",
        reason=f"initiative i-1 was {verb} in the portfolio on 2026-11-25",
    )


@pytest.mark.parametrize("to_state", ["FUNNEL", "ON_HOLD", "IMPLEMENTING", "READY"])
def test_other_moves_change_nothing(to_state: str) -> None:
    reaction = react_to_portfolio(
        move(to_state), demand=open_demand(), allocations=[allocation("a-1")]
    )
    assert reaction.is_nothing


def test_a_cancellation_without_demand_still_releases_allocations() -> None:
    reaction = react_to_portfolio(
        move("CANCELLED"), demand=Demand(id="i-1"), allocations=[allocation("a-1")]
    )
    assert (reaction.close_demand, reaction.release, reaction.release_funds) == (
        None,
        ("a-1",),
        True,
    )


def test_unknown_decisions_are_ignored() -> None:
    reaction = react_to_portfolio(decision("ESCALATE"), demand=open_demand(), allocations=[])
    assert reaction.is_nothing


# --- carrying reactions out ----------------------------------------------------------------------


def test_applying_a_cancellation_then_replaying_it_records_nothing_more() -> None:
    demand = open_demand()
    allocations = {"a-1": allocation("a-1"), "a-4": allocation("a-4", status="REQUESTED")}
    reaction = react_to_portfolio(
        move("CANCELLED"), demand=demand, allocations=allocations.values()
    )
    funded, unfunded = budget_committed_to("i-1"), budget_committed_to("i-2")
    apply_reaction(
        reaction,
        demand=demand,
        allocations=allocations,
        budgets=[funded, unfunded],
        actor="resources",
        now=LATER,
    )
    assert demand.pending == [
        DemandClosed(
            initiative_id="i-1",
            closure=DemandClosure.INITIATIVE_CANCELLED,
            source_event_id="ev-move",
            closed_at=LATER,
        )
    ]
    reason = "initiative i-1 was cancelled in the portfolio on 2026-11-25"
    assert allocations["a-1"].pending == [
        AllocationReleased(
            allocation_id="a-1",
            released_from=date(2026, 11, 26),
            cause=ReleaseCause.INITIATIVE_CANCELLED,
            reason=reason,
            source_event_id="ev-move",
            released_by="resources",
            released_at=LATER,
        )
    ]
    assert allocations["a-4"].pending == [
        AllocationRejected(
            allocation_id="a-4", reason=reason, rejected_by="resources", rejected_at=LATER
        )
    ]
    assert funded.pending == [
        FundsReleased(
            budget_id="b-1",
            initiative_id="i-1",
            reason=reason,
            source_event_id="ev-move",
            released_by="resources",
            released_at=LATER,
        )
    ]
    assert unfunded.pending == []
    # the same event again, decided on the new state: nothing to do
    replay = react_to_portfolio(move("CANCELLED"), demand=demand, allocations=allocations.values())
    assert replay.is_nothing
    # and replaying the approval that came before does not re-open the demand
    assert react_to_portfolio(decision("APPROVE"), demand=demand, allocations=[]).is_nothing


def test_applying_an_approval_opens_the_demand() -> None:
    demand = Demand(id="i-1")
    reaction = react_to_portfolio(decision("APPROVE"), demand=demand, allocations=[])
    apply_reaction(reaction, demand=demand, allocations={}, actor="resources", now=LATER)
    assert [type(e).__name__ for e in demand.pending] == ["DemandOpened"]
    assert demand.has_handled("ev-approve")
