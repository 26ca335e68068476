"""The Allocation aggregate: request, approve (overcommitment and overrides), reject, adjust,
release."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pmo_events.errors import Conflict, Forbidden, GuardrailViolation, InvalidInput
from pmo_resources.domain.allocation import Allocation, AllocationStatus
from pmo_resources.domain.capacity import (
    AllocationLoad,
    CommitmentContext,
    IsoWeek,
    TeamMember,
)
from pmo_resources.domain.events import (
    AllocationAdjusted,
    AllocationApproved,
    AllocationRejected,
    AllocationReleased,
    AllocationRequested,
    OvercommitmentOverridden,
    ReleaseCause,
    TeamFormed,
    TeamTopology,
)

D = Decimal
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
START, END = date(2026, 11, 30), date(2026, 12, 13)  # W49 and W50, whole weeks
OVERRIDE = "launch week; alice agreed to the overtime"


def forty(_: date) -> Decimal:
    return D(40)


def context(*approved: AllocationLoad, **kwargs: Any) -> CommitmentContext:
    return CommitmentContext(
        capacities={"alice": forty, "bob": forty},
        approved=list(approved),
        names={"alice": "Alice Martin"},
        **kwargs,
    )


def busy(percent: int, starts_on: date = START, ends_on: date = END) -> AllocationLoad:
    """Another approved allocation of alice."""
    return AllocationLoad("other", starts_on, ends_on, percent=percent, person_id="alice")


def request(**overrides: Any) -> Allocation:
    arguments: dict[str, Any] = {
        "initiative_id": "i-1",
        "person_id": "alice",
        "starts_on": START,
        "ends_on": END,
        "percent": 50,
        "note": "backend work",
        "actor": "rita",
        "now": NOW,
    } | overrides
    return Allocation.request("a-1", **arguments)


def loaded(**overrides: Any) -> Allocation:
    return Allocation.from_events("a-1", request(**overrides).pending)


def approved(ctx: CommitmentContext | None = None, **overrides: Any) -> Allocation:
    """An approved allocation as the repository loads it: nothing pending."""
    requested = request(**overrides).pending
    allocation = Allocation.from_events("a-1", requested)
    allocation.approve(context=ctx or context(), actor="rita", now=NOW)
    return Allocation.from_events("a-1", [*requested, *allocation.pending])


ROSTER = {
    "t-1": [TeamMember("alice", 100, date(2026, 1, 1)), TeamMember("bob", 100, date(2026, 1, 1))]
}


def refused(allocation: Allocation, error: type[Exception], message: str, call: Any) -> None:
    """`call` raises `error` with exactly `message` and records nothing."""
    before = (allocation.version, list(allocation.pending), allocation.status)
    with pytest.raises(error) as raised:
        call()
    assert str(raised.value) == message
    assert (allocation.version, allocation.pending, allocation.status) == before


# --- request -------------------------------------------------------------------------------------


def test_requesting_records_allocation_requested() -> None:
    allocation = request(note="  backend work  ")
    assert allocation.pending == [
        AllocationRequested(
            allocation_id="a-1",
            initiative_id="i-1",
            person_id="alice",
            team_id=None,
            starts_on=START,
            ends_on=END,
            percent=50,
            hours_per_week=None,
            note="backend work",
            requested_by="rita",
            requested_at=NOW,
        )
    ]
    assert allocation.status is AllocationStatus.REQUESTED
    assert allocation.active_range is None  # nothing promised yet
    assert allocation.load() is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"person_id": None},
            "give exactly one of person_id and team_id: an allocation is for a person or for a "
            "team",
        ),
        (
            {"team_id": "t-1"},
            "give exactly one of person_id and team_id: an allocation is for a person or for a "
            "team",
        ),
        (
            {"hours_per_week": D(10)},
            "give exactly one of percent (1-100 % of the capacity) and hours_per_week (hours each "
            "week); got percent=50, hours_per_week=Decimal('10')",
        ),
        (
            {"percent": None},
            "give exactly one of percent (1-100 % of the capacity) and hours_per_week (hours each "
            "week); got percent=None, hours_per_week=None",
        ),
        ({"percent": 0}, "percent must be between 1 and 100; got 0"),
        ({"percent": 101}, "percent must be between 1 and 100; got 101"),
        ({"percent": True}, "percent must be a whole number between 1 and 100; got True"),
        (
            {"percent": None, "hours_per_week": D(0)},
            "hours_per_week must be more than 0 and at most 80; got 0",
        ),
        (
            {"percent": None, "hours_per_week": D(-4)},
            "hours_per_week must be more than 0 and at most 80; got -4",
        ),
        (
            {"percent": None, "hours_per_week": D("80.5")},
            "hours_per_week must be more than 0 and at most 80; got 80.5",
        ),
        (
            {"percent": None, "hours_per_week": D("7.125")},
            "hours_per_week has more than 2 decimal places; got 7.125",
        ),
        (
            {"starts_on": date(2026, 12, 14)},
            "starts_on (2026-12-14) is after ends_on (2026-12-13); give the earlier date first",
        ),
        (
            {"ends_on": date(2028, 12, 1)},
            "starts_on..ends_on (2026-11-30..2028-12-01) spans more than 731 days; split it into "
            "shorter ranges",
        ),
        ({"initiative_id": " "}, "initiative_id must not be empty"),
    ],
)
def test_bad_requests_are_refused(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        request(**overrides)
    assert str(raised.value) == message


def test_a_range_of_exactly_two_years_and_hours_per_week_are_accepted() -> None:
    allocation = request(
        ends_on=date(2028, 11, 30),
        percent=None,
        hours_per_week=D("12.5"),
        person_id=None,
        team_id="t-1",
    )
    assert (allocation.team_id, allocation.hours_per_week) == ("t-1", D("12.5"))


# --- approve -------------------------------------------------------------------------------------


def test_approving_within_capacity_records_allocation_approved() -> None:
    allocation = loaded()
    allocation.approve(context=context(busy(50)), actor="rita", now=LATER)
    assert allocation.pending == [
        AllocationApproved(allocation_id="a-1", approved_by="rita", approved_at=LATER)
    ]
    assert allocation.status is AllocationStatus.APPROVED
    assert allocation.active_range == (START, END)


def test_overcommitment_is_refused_naming_each_week_and_by_how_much() -> None:
    allocation = loaded(ends_on=date(2026, 12, 16))  # into W51 (Mon-Wed)
    refused(
        allocation,
        GuardrailViolation,
        "Alice Martin would be committed 130 % in 2026-W49 (52 of 40 h, 12 h over), "
        "130 % in 2026-W50 (52 of 40 h, 12 h over); reduce the allocation or a pmo/admin may "
        "override with a reason",
        lambda: allocation.approve(context=context(busy(80)), actor="rita", now=NOW),
    )


def test_a_pmo_overrides_overcommitment_with_a_reason() -> None:
    allocation = loaded()
    allocation.approve(
        context=context(busy(70)),
        override_reason=f"  {OVERRIDE}  ",
        may_override=True,
        actor="paula",
        now=LATER,
    )
    assert allocation.pending == [
        OvercommitmentOverridden(
            allocation_id="a-1",
            person_id="alice",
            weeks=["2026-W49", "2026-W50"],
            peak_percent=D("120.00"),
            reason=OVERRIDE,
            overridden_by="paula",
            overridden_at=LATER,
        ),
        AllocationApproved(allocation_id="a-1", approved_by="paula", approved_at=LATER),
    ]
    assert len(allocation.overrides) == 1


def test_an_override_reason_from_another_role_is_forbidden_even_without_overcommitment() -> None:
    allocation = loaded()
    message = (
        "only a pmo or admin may override an invariant; send the command without "
        "override_reason, or ask a pmo or admin to send it"
    )
    refused(
        allocation,
        Forbidden,
        message,
        lambda: allocation.approve(
            context=context(busy(70)), override_reason=OVERRIDE, actor="rita", now=NOW
        ),
    )
    refused(
        allocation,
        Forbidden,
        message,
        lambda: allocation.approve(context=context(), override_reason=OVERRIDE, actor="r", now=NOW),
    )


def test_a_pmo_reason_without_overcommitment_records_no_override() -> None:
    allocation = loaded()
    allocation.approve(
        context=context(), override_reason=OVERRIDE, may_override=True, actor="paula", now=NOW
    )
    assert [type(e) for e in allocation.pending] == [AllocationApproved]


def test_a_team_allocation_names_every_overcommitted_member_and_overrides_each() -> None:
    bob_busy = AllocationLoad("b", START, END, percent=60, person_id="bob")
    allocation = loaded(person_id=None, team_id="t-1", percent=50)
    ctx = context(busy(60), bob_busy, rosters=ROSTER)
    with pytest.raises(GuardrailViolation) as raised:
        allocation.approve(context=ctx, actor="rita", now=NOW)
    assert str(raised.value) == (
        "Alice Martin would be committed 110 % in 2026-W49 (44 of 40 h, 4 h over), 110 % in "
        "2026-W50 (44 of 40 h, 4 h over); bob would be committed 110 % in 2026-W49 (44 of 40 h, "
        "4 h over), 110 % in 2026-W50 (44 of 40 h, 4 h over); reduce the allocation or a "
        "pmo/admin may override with a reason"
    )
    allocation.approve(
        context=ctx, override_reason=OVERRIDE, may_override=True, actor="paula", now=NOW
    )
    assert [(type(e).__name__, getattr(e, "person_id", None)) for e in allocation.pending] == [
        ("OvercommitmentOverridden", "alice"),
        ("OvercommitmentOverridden", "bob"),
        ("AllocationApproved", None),
    ]


def test_only_a_requested_allocation_is_approved_or_rejected() -> None:
    allocation = approved()
    refused(
        allocation,
        Conflict,
        "allocation 'a-1' is APPROVED; only a REQUESTED allocation can be approved",
        lambda: allocation.approve(context=context(), actor="rita", now=NOW),
    )
    refused(
        allocation,
        Conflict,
        "allocation 'a-1' is APPROVED; only a REQUESTED allocation can be rejected",
        lambda: allocation.reject(reason="no", actor="rita", now=NOW),
    )


# --- reject --------------------------------------------------------------------------------------


def test_rejecting_needs_a_reason() -> None:
    allocation = loaded()
    refused(
        allocation,
        InvalidInput,
        "reason must not be empty",
        lambda: allocation.reject(reason="  ", actor="rita", now=NOW),
    )
    allocation.reject(reason="alice is needed elsewhere", actor="rita", now=LATER)
    assert allocation.pending == [
        AllocationRejected(
            allocation_id="a-1",
            reason="alice is needed elsewhere",
            rejected_by="rita",
            rejected_at=LATER,
        )
    ]
    assert (allocation.status, allocation.rejection_reason, allocation.active_range) == (
        AllocationStatus.REJECTED,
        "alice is needed elsewhere",
        None,
    )
    refused(
        allocation,
        Conflict,
        "allocation 'a-1' is REJECTED and can no longer be adjusted; request a new allocation "
        "instead",
        lambda: allocation.adjust(starts_on=START, ends_on=END, percent=10, actor="r", now=NOW),
    )


# --- adjust --------------------------------------------------------------------------------------


def test_adjusting_a_request_is_not_checked_until_approval() -> None:
    allocation = loaded()
    allocation.adjust(starts_on=START, ends_on=END, hours_per_week=D(60), actor="rita", now=LATER)
    assert allocation.pending == [
        AllocationAdjusted(
            allocation_id="a-1",
            starts_on=START,
            ends_on=END,
            percent=None,
            hours_per_week=D(60),
            adjusted_by="rita",
            adjusted_at=LATER,
        )
    ]
    assert (allocation.percent, allocation.hours_per_week) == (None, D(60))


def test_an_adjustment_that_changes_nothing_records_nothing() -> None:
    allocation = loaded()
    allocation.adjust(starts_on=START, ends_on=END, percent=50, actor="rita", now=LATER)
    assert allocation.pending == []


def test_adjusting_an_approved_allocation_rechecks_overcommitment() -> None:
    allocation = approved()
    # the approved list holds this allocation's current shape too: it is replaced, not added
    ctx = context(busy(60), allocation.load())  # type: ignore[arg-type]
    allocation.adjust(starts_on=START, ends_on=END, percent=40, context=ctx, actor="r", now=NOW)
    assert [type(e) for e in allocation.pending] == [AllocationAdjusted]
    refused(
        allocation,
        GuardrailViolation,
        "Alice Martin would be committed 110 % in 2026-W50 (44 of 40 h, 4 h over); reduce the "
        "allocation or a pmo/admin may override with a reason",
        lambda: allocation.adjust(
            starts_on=date(2026, 12, 7), ends_on=END, percent=50, context=ctx, actor="r", now=NOW
        ),
    )
    allocation.adjust(
        starts_on=date(2026, 12, 7),
        ends_on=END,
        percent=50,
        context=ctx,
        override_reason=OVERRIDE,
        may_override=True,
        actor="paula",
        now=LATER,
    )
    assert [type(e).__name__ for e in allocation.pending] == [
        "AllocationAdjusted",
        "OvercommitmentOverridden",
        "AllocationAdjusted",
    ]
    assert allocation.overrides[0].weeks == ["2026-W50"]
    assert allocation.active_range == (date(2026, 12, 7), END)


def test_adjusting_an_approved_allocation_needs_its_context() -> None:
    allocation = approved()
    with pytest.raises(ValueError, match="needs its CommitmentContext"):
        allocation.adjust(starts_on=START, ends_on=END, percent=10, actor="r", now=NOW)


# --- release -------------------------------------------------------------------------------------


def test_a_manual_release_from_a_day_in_the_range() -> None:
    allocation = approved()
    allocation.release(
        reason="moved to the payments squad",
        released_from=date(2026, 12, 9),
        actor="rita",
        now=LATER,
    )
    assert allocation.pending == [
        AllocationReleased(
            allocation_id="a-1",
            released_from=date(2026, 12, 9),
            cause=ReleaseCause.MANUAL,
            reason="moved to the payments squad",
            source_event_id=None,
            released_by="rita",
            released_at=LATER,
        )
    ]
    assert allocation.status is AllocationStatus.RELEASED
    assert allocation.active_range == (START, date(2026, 12, 8))
    # W50 keeps Monday and Tuesday: 2/5 of 50 % of 40 h
    assert allocation.hours_in(IsoWeek(2026, 50), D(40)) == D(8)
    assert allocation.hours_in(IsoWeek(2026, 49), D(40)) == D(20)
    assert allocation.hours_in(IsoWeek(2026, 51), D(40)) == D(0)
    load = allocation.load()
    assert load is not None
    assert (load.starts_on, load.ends_on) == (START, date(2026, 12, 8))


def test_releasing_twice_is_a_conflict() -> None:
    allocation = approved()
    allocation.release(reason="done early", released_from=date(2026, 12, 9), actor="r", now=NOW)
    refused(
        allocation,
        Conflict,
        "allocation 'a-1' was already released from 2026-12-09; nothing more to release",
        lambda: allocation.release(reason="again", actor="r", now=NOW),
    )


@pytest.mark.parametrize("day", [date(2026, 11, 29), date(2026, 12, 14)])
def test_a_manual_release_date_outside_the_range_is_refused(day: date) -> None:
    allocation = approved()
    refused(
        allocation,
        InvalidInput,
        f"released_from ({day}) must lie within the allocation's range 2026-11-30..2026-12-13; "
        "leave it out to release from today",
        lambda: allocation.release(reason="x", released_from=day, actor="r", now=NOW),
    )


def test_without_a_date_a_manual_release_ends_it_today() -> None:
    ongoing = approved()
    ongoing.release(reason="stop", today=date(2026, 12, 3), actor="r", now=NOW)
    assert ongoing.released_from == date(2026, 12, 3)
    not_started = approved()
    not_started.release(reason="stop", actor="r", now=NOW)  # NOW is 2026-11-25
    assert not_started.released_from == START
    assert not_started.active_range is None
    assert not_started.load() is None
    over = approved()
    refused(
        over,
        Conflict,
        "allocation 'a-1' ended on 2026-12-13; there is nothing left to release",
        lambda: over.release(reason="stop", today=date(2026, 12, 14), actor="r", now=NOW),
    )


def test_a_requested_allocation_is_rejected_instead_of_released() -> None:
    allocation = loaded()
    refused(
        allocation,
        Conflict,
        "allocation 'a-1' is only requested, so it promises no capacity to release; reject it "
        "instead (with a reason)",
        lambda: allocation.release(reason="x", actor="r", now=NOW),
    )


def test_a_reaction_release_is_clamped_and_idempotent() -> None:
    allocation = approved()
    release: dict[str, Any] = {
        "reason": "initiative i-1 was cancelled",
        "cause": ReleaseCause.INITIATIVE_CANCELLED,
        "source_event_id": "ev-9",
        "actor": "resources",
        "now": LATER,
    }
    # before the allocation starts: dropped from its first day
    allocation.release(released_from=date(2026, 11, 20), **release)
    assert allocation.pending == [
        AllocationReleased(
            allocation_id="a-1",
            released_from=START,
            cause=ReleaseCause.INITIATIVE_CANCELLED,
            reason="initiative i-1 was cancelled",
            source_event_id="ev-9",
            released_by="resources",
            released_at=LATER,
        )
    ]
    # the same event again (a replay) or a later date frees nothing: nothing recorded
    allocation.release(released_from=date(2026, 11, 20), **release)
    allocation.release(released_from=date(2026, 12, 5), **release)
    assert len(allocation.pending) == 1


def test_a_reaction_release_from_earlier_than_a_manual_one_releases_again() -> None:
    allocation = approved()
    allocation.release(reason="x", released_from=date(2026, 12, 10), actor="r", now=NOW)
    allocation.release(
        reason="person offboarded",
        released_from=date(2026, 12, 5),
        cause=ReleaseCause.PERSON_OFFBOARDED,
        source_event_id="ev-off",
        actor="resources",
        now=LATER,
    )
    assert allocation.released_from == date(2026, 12, 5)
    assert allocation.active_range == (START, date(2026, 12, 4))
    # an allocation over before the date needs no release
    assert not allocation.needs_release_from(date(2026, 12, 5))
    assert allocation.needs_release_from(date(2026, 12, 4))


def test_a_reaction_release_names_its_source_event() -> None:
    allocation = approved()
    refused(
        allocation,
        InvalidInput,
        "a release caused by INITIATIVE_DONE reacts to an event: give its source_event_id",
        lambda: allocation.release(
            reason="x",
            released_from=START,
            cause=ReleaseCause.INITIATIVE_DONE,
            actor="r",
            now=NOW,
        ),
    )
    refused(
        allocation,
        InvalidInput,
        "cause must be one of MANUAL, INITIATIVE_CANCELLED, INITIATIVE_DONE, PERSON_OFFBOARDED, "
        "TEAM_DISBANDED; got 'LATER'",
        lambda: allocation.release(reason="x", cause="LATER", actor="r", now=NOW),  # type: ignore[arg-type]
    )


def test_state_is_the_fold_of_its_events_and_foreign_events_fail_loudly() -> None:
    allocation = approved()
    assert (allocation.initiative_id, allocation.person_id, allocation.version) == (
        "i-1",
        "alice",
        2,
    )
    assert allocation.pending == []
    with pytest.raises(TypeError, match="does not belong to a Allocation stream"):
        Allocation.from_events(
            "a-1",
            [
                TeamFormed(
                    team_id="t",
                    name="t",
                    topology=TeamTopology.PLATFORM,
                    value_stream="v",
                    formed_by="x",
                    formed_at=NOW,
                )
            ],
        )


def test_hours_in_is_for_person_allocations() -> None:
    allocation = approved(context(rosters=ROSTER), person_id=None, team_id="t-1")
    with pytest.raises(ValueError, match="is a team allocation; use person_hours"):
        allocation.hours_in(IsoWeek(2026, 49), D(40))
