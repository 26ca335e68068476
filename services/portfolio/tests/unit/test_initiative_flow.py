"""The Initiative on the kanban: legal and illegal moves, guardrails, overrides and decisions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from pmo_events.errors import Conflict, Forbidden, GuardrailViolation, InvalidInput
from pmo_portfolio.domain.events import (
    DecisionKind,
    DecisionRecorded,
    Guardrail,
    GuardrailOverridden,
    InitiativeMoved,
    KanbanState,
)
from pmo_portfolio.domain.governance import Governance, may_override
from pmo_portfolio.domain.initiative import Commitment, Initiative
from pmo_portfolio.domain.portfolio import Portfolio
from pmo_portfolio.domain.review import PortfolioReview

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
S = KanbanState
NONE_ENFORCED = Governance(guardrails=frozenset())
ALL_ENFORCED = Governance()  # every guardrail, no WIP limit
OVERRIDE = "Board asked for it in the 2026-Q4 review"

WSJF_MESSAGE = (
    "guardrail WSJF_BEFORE_ANALYSIS: an initiative leaves REVIEWING only with a WSJF score; "
    "score it first (or a pmo or admin may override it with a written reason)"
)


def proposed() -> Initiative:
    """A new initiative with its InitiativeProposed still pending."""
    return Initiative.propose(
        "i-1",
        title="Onboarding",
        hypothesis="",
        owner="alice",
        portfolio_id="p",
        actor="a",
        now=NOW,
    )


def score(initiative: Initiative) -> None:
    initiative.score_wsjf(
        business_value=8, time_criticality=5, risk_reduction=3, job_size=5, actor="pm", now=NOW
    )


def case(initiative: Initiative, total: str = "100000", currency: str = "EUR") -> None:
    initiative.record_business_case(
        mvp_cost=Decimal(10),
        estimated_total_cost=Decimal(total),
        currency=currency,
        expected_benefits="faster onboarding",
        leading_indicators=["completion rate"],
        actor="pm",
        now=NOW,
    )


def budget(remaining: str | None = "500000", currency: str | None = "EUR") -> Governance:
    return Governance(
        remaining_budget=Decimal(remaining) if remaining is not None else None,
        budget_currency=currency,
    )


def approve(initiative: Initiative, decision_id: str = "d-1", **overrides: Any) -> None:
    arguments: dict[str, Any] = {
        "decision": DecisionKind.APPROVE,
        "rationale": "Strong fit with the CX theme",
        "period": "2026",
        "governance": budget(),
        "actor": "pmo-lead",
        "now": NOW,
    } | overrides
    initiative.record_decision(decision_id, **arguments)


def move(initiative: Initiative, to: KanbanState, **overrides: Any) -> None:
    arguments: dict[str, Any] = {"governance": NONE_ENFORCED, "actor": "pm", "now": NOW}
    initiative.move(to, **(arguments | overrides))


def at(state: KanbanState) -> Initiative:
    """An initiative that reached `state` the normal way (scored, cased and approved)."""
    initiative = proposed()
    path = {
        S.FUNNEL: [],
        S.REVIEWING: [S.REVIEWING],
        S.ANALYZING: [S.REVIEWING, S.ANALYZING],
        S.READY: [S.REVIEWING, S.ANALYZING, S.READY],
        S.IMPLEMENTING: [S.REVIEWING, S.ANALYZING, S.READY, S.IMPLEMENTING],
        S.DONE: [S.REVIEWING, S.ANALYZING, S.READY, S.IMPLEMENTING, S.DONE],
        S.ON_HOLD: [S.REVIEWING, S.ON_HOLD],
        S.CANCELLED: [S.CANCELLED],
    }[state]
    for step in path:
        if step is S.ANALYZING:
            score(initiative)
        if step is S.READY:
            case(initiative)
            approve(initiative)
        reason = "parked" if step in (S.ON_HOLD, S.CANCELLED) else None
        move(initiative, step, reason=reason)
    return Initiative.from_events("i-1", initiative.pending)


def refused(initiative: Initiative, error: type[Exception], message: str, call: Any) -> None:
    """`call` raises `error` with exactly `message` and records nothing."""
    before = (initiative.version, initiative.state, list(initiative.pending))
    with pytest.raises(error) as raised:
        call()
    assert str(raised.value) == message
    assert (initiative.version, initiative.state, initiative.pending) == before


def kinds(initiative: Initiative) -> list[str]:
    return [type(event).__name__ for event in initiative.pending]


# --- the kanban ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (S.FUNNEL, S.REVIEWING),
        (S.REVIEWING, S.ANALYZING),
        (S.ANALYZING, S.READY),
        (S.READY, S.IMPLEMENTING),
        (S.IMPLEMENTING, S.DONE),
        (S.REVIEWING, S.FUNNEL),
        (S.ANALYZING, S.REVIEWING),
        (S.READY, S.ANALYZING),
        (S.FUNNEL, S.CANCELLED),
        (S.IMPLEMENTING, S.CANCELLED),
        (S.ON_HOLD, S.CANCELLED),
        (S.ANALYZING, S.ON_HOLD),
        (S.IMPLEMENTING, S.ON_HOLD),
    ],
)
def test_legal_moves_record_initiative_moved(start: KanbanState, to: KanbanState) -> None:
    initiative = at(start)
    if start is S.REVIEWING:
        score(initiative)
    if start is S.ANALYZING:
        case(initiative)
        approve(initiative)
    initiative.pending.clear()
    move(initiative, to, reason="because", governance=ALL_ENFORCED)
    assert initiative.pending == [
        InitiativeMoved(
            initiative_id="i-1",
            portfolio_id="p",
            from_state=start,
            to_state=to,
            reason="because",
            moved_by="pm",
            moved_at=NOW,
        )
    ]
    assert initiative.state is to


@pytest.mark.parametrize(
    ("start", "to", "allowed"),
    [
        (S.FUNNEL, S.ANALYZING, "REVIEWING, ON_HOLD, CANCELLED"),
        (S.FUNNEL, S.FUNNEL, "REVIEWING, ON_HOLD, CANCELLED"),
        (S.REVIEWING, S.READY, "ANALYZING, FUNNEL, ON_HOLD, CANCELLED"),
        (S.READY, S.FUNNEL, "IMPLEMENTING, ANALYZING, ON_HOLD, CANCELLED"),
        (S.IMPLEMENTING, S.READY, "DONE, ON_HOLD, CANCELLED"),
        (S.ON_HOLD, S.ANALYZING, "REVIEWING, CANCELLED"),
        (S.DONE, S.IMPLEMENTING, "nowhere: it is closed"),
        (S.CANCELLED, S.FUNNEL, "nowhere: it is closed"),
    ],
)
def test_illegal_moves_name_from_to_and_the_allowed_targets(
    start: KanbanState, to: KanbanState, allowed: str
) -> None:
    initiative = at(start)
    refused(
        initiative,
        InvalidInput,
        f"initiative 'i-1' cannot move from {start.value} to {to.value}; "
        f"from {start.value} it can move to {allowed}",
        lambda: move(initiative, to, reason="r"),
    )


@pytest.mark.parametrize("to", [S.ON_HOLD, S.CANCELLED])
def test_hold_and_cancel_need_a_reason(to: KanbanState) -> None:
    initiative = at(S.REVIEWING)
    refused(
        initiative,
        InvalidInput,
        f"reason is required to move an initiative to {to.value}",
        lambda: move(initiative, to, reason="   "),
    )


def test_on_hold_resumes_to_the_state_it_was_held_from() -> None:
    initiative = at(S.IMPLEMENTING)
    move(initiative, S.ON_HOLD, reason="supplier strike")
    assert (initiative.state, initiative.resume_to) == (S.ON_HOLD, S.IMPLEMENTING)
    move(initiative, S.IMPLEMENTING)
    assert (initiative.state, initiative.resume_to) == (S.IMPLEMENTING, None)


def test_resuming_into_a_full_state_is_refused_by_the_wip_limit() -> None:
    initiative = at(S.ON_HOLD)  # held from REVIEWING
    full = Governance(wip_limit=2, in_state=2)
    refused(
        initiative,
        GuardrailViolation,
        "guardrail WIP_LIMIT: REVIEWING holds 2 initiatives and its WIP limit is 2; finish or "
        "move one out of REVIEWING first, or raise the limit (or a pmo or admin may override it "
        "with a written reason)",
        lambda: move(initiative, S.REVIEWING, governance=full),
    )


def test_done_needs_the_delivered_value_of_every_objective() -> None:
    initiative = at(S.IMPLEMENTING)
    for objective in ("o-1", "o-2", "o-3"):
        initiative.plan_objective(
            objective, description=objective, planned_business_value=5, actor="pm", now=NOW
        )
    initiative.record_delivered_value("o-2", actual_business_value=4, actor="pm", now=NOW)
    refused(
        initiative,
        Conflict,
        "initiative 'i-1' cannot be DONE before the actual business value of every objective is "
        "recorded; still missing for: o-1, o-3",
        lambda: move(initiative, S.DONE),
    )
    for objective in ("o-1", "o-3"):
        initiative.record_delivered_value(objective, actual_business_value=0, actor="pm", now=NOW)
    move(initiative, S.DONE)
    assert initiative.is_closed


@pytest.mark.parametrize("state", [S.DONE, S.CANCELLED])
def test_a_closed_initiative_takes_no_more_changes(state: KanbanState) -> None:
    initiative = at(state)
    refused(
        initiative,
        Conflict,
        f"initiative 'i-1' is {state.value} and can no longer be scored",
        lambda: score(initiative),
    )
    refused(
        initiative,
        Conflict,
        f"initiative 'i-1' is {state.value} and can no longer take decisions",
        lambda: initiative.record_decision(
            "d-9", decision=DecisionKind.CANCEL, rationale="r", actor="a", now=NOW
        ),
    )
    refused(
        initiative,
        Conflict,
        f"initiative 'i-1' is {state.value} and can no longer change its details",
        lambda: initiative.change_details(title="t", hypothesis="", owner="o", actor="a", now=NOW),
    )


# --- guardrails ----------------------------------------------------------------------------------


def test_leaving_reviewing_needs_a_wsjf_score() -> None:
    initiative = at(S.REVIEWING)
    refused(
        initiative,
        GuardrailViolation,
        WSJF_MESSAGE,
        lambda: move(initiative, S.ANALYZING, governance=ALL_ENFORCED),
    )
    move(initiative, S.FUNNEL, governance=ALL_ENFORCED)  # going back is never guarded
    assert initiative.state is S.FUNNEL


def test_leaving_analyzing_needs_a_business_case_and_an_approval() -> None:
    initiative = at(S.ANALYZING)
    lacks_both = (
        "guardrail CASE_AND_APPROVAL_BEFORE_READY: an initiative leaves ANALYZING only with a lean "
        "business case and an approval decision; it lacks a lean business case and an APPROVE "
        "decision; record them first (or a pmo or admin may override it with a written reason)"
    )
    refused(
        initiative,
        GuardrailViolation,
        lacks_both,
        lambda: move(initiative, S.READY, governance=ALL_ENFORCED),
    )
    case(initiative)
    approve(initiative)
    # A deferral lapses the approval: after resuming, it needs a fresh APPROVE.
    initiative.record_decision(
        "d-2", decision=DecisionKind.DEFER, rationale="next quarter", actor="a", now=NOW
    )
    move(initiative, S.ANALYZING)
    refused(
        initiative,
        GuardrailViolation,
        "guardrail CASE_AND_APPROVAL_BEFORE_READY: an initiative leaves ANALYZING only with a "
        "lean business case and an approval decision; it lacks an APPROVE decision (the latest "
        "decision is DEFER); record them first (or a pmo or admin may override it with a written "
        "reason)",
        lambda: move(initiative, S.READY, governance=ALL_ENFORCED),
    )
    approve(initiative, "d-3")
    move(initiative, S.READY, governance=ALL_ENFORCED)
    assert initiative.state is S.READY


@pytest.mark.parametrize(
    ("limit", "in_state", "allowed"), [(3, 2, True), (3, 3, False), (0, 0, False), (None, 99, True)]
)
def test_entering_a_state_respects_its_wip_limit(
    limit: int | None, in_state: int, allowed: bool
) -> None:
    initiative = at(S.READY)
    governance = Governance(wip_limit=limit, in_state=in_state)
    if allowed:
        move(initiative, S.IMPLEMENTING, governance=governance)
        assert initiative.state is S.IMPLEMENTING
    else:
        with pytest.raises(GuardrailViolation, match=r"^guardrail WIP_LIMIT: IMPLEMENTING holds"):
            move(initiative, S.IMPLEMENTING, governance=governance)
        assert initiative.pending == []


def test_the_wip_limit_comes_from_the_portfolio() -> None:
    portfolio = Portfolio.create("p", name="Digital", description="", owner="o", actor="a", now=NOW)
    portfolio.set_wip_limit(S.IMPLEMENTING, 4, actor="a", now=NOW)
    initiative = at(S.READY)
    governance = portfolio.governance_for_move(S.IMPLEMENTING, in_state=4)
    with pytest.raises(GuardrailViolation, match="its WIP limit is 4"):
        move(initiative, S.IMPLEMENTING, governance=governance)
    move(initiative, S.IMPLEMENTING, governance=portfolio.governance_for_move(S.DONE, in_state=9))


def test_only_the_guardrails_in_force_apply() -> None:
    initiative = at(S.REVIEWING)
    without_wsjf = Governance(guardrails=frozenset(Guardrail) - {Guardrail.WSJF_BEFORE_ANALYSIS})
    move(initiative, S.ANALYZING, governance=without_wsjf)
    move(
        initiative,
        S.READY,
        governance=Governance(
            guardrails=frozenset({Guardrail.WSJF_BEFORE_ANALYSIS, Guardrail.WIP_LIMIT})
        ),
    )
    assert kinds(initiative) == ["InitiativeMoved", "InitiativeMoved"]


def test_approval_cannot_commit_more_than_the_remaining_budget() -> None:
    initiative = at(S.ANALYZING)
    case(initiative, total="300000.01")
    refused(
        initiative,
        GuardrailViolation,
        "guardrail BUDGET: approving commits 300000.01 EUR in 2026 but only 300000 EUR of the "
        "period's budget remain; reduce the business case, raise the budget or approve in another "
        "period (or a pmo or admin may override it with a written reason)",
        lambda: approve(initiative, governance=budget("300000")),
    )
    case(initiative, total="300000")
    approve(initiative, governance=budget("300000"))  # an exact fit is fine
    assert initiative.commitment == Commitment("2026", Decimal("300000"), "EUR")


def test_approval_without_a_budget_for_the_period_is_refused_naming_it() -> None:
    initiative = at(S.ANALYZING)
    case(initiative)
    refused(
        initiative,
        GuardrailViolation,
        "guardrail BUDGET: the portfolio has no budget for the period 2027-Q1, so an approval "
        "cannot be checked against it; set the portfolio's budget for 2027-Q1 first (or a pmo or "
        "admin may override it with a written reason)",
        lambda: approve(initiative, period="2027-Q1", governance=budget(None, None)),
    )
    without_budget_rule = Governance(guardrails=frozenset(Guardrail) - {Guardrail.BUDGET})
    approve(initiative, period="2027-Q1", governance=without_budget_rule)
    assert kinds(initiative) == ["LeanBusinessCaseRecorded", "DecisionRecorded"]


def test_the_budget_comes_from_the_portfolio_minus_other_commitments() -> None:
    portfolio = Portfolio.create("p", name="Digital", description="", owner="o", actor="a", now=NOW)
    portfolio.set_budget("2026", amount=Decimal(250000), currency="EUR", actor="a", now=NOW)
    initiative = at(S.ANALYZING)
    case(initiative, total="100000")
    governance = portfolio.governance_for_approval("2026", committed_by_others=Decimal(150001))
    with pytest.raises(GuardrailViolation, match="only 99999 EUR of the period's budget remain"):
        approve(initiative, governance=governance)
    approve(
        initiative,
        governance=portfolio.governance_for_approval("2026", committed_by_others=Decimal(150000)),
    )


def test_an_approval_in_another_currency_than_the_budget_is_refused() -> None:
    initiative = at(S.ANALYZING)
    case(initiative, currency="USD")
    refused(
        initiative,
        InvalidInput,
        "the business case is in USD but the portfolio's budget for 2026 is in EUR; restate the "
        "business case in EUR",
        lambda: approve(initiative, governance=budget("1000000", "EUR")),
    )


# --- overrides -----------------------------------------------------------------------------------


def test_a_pmo_override_records_the_override_before_the_guarded_move() -> None:
    initiative = at(S.REVIEWING)
    move(
        initiative,
        S.ANALYZING,
        governance=ALL_ENFORCED,
        override_reason=f"  {OVERRIDE}  ",
        may_override=True,
        actor="paula",
    )
    assert initiative.pending == [
        GuardrailOverridden(
            stream_id="i-1",
            portfolio_id="p",
            guardrail=Guardrail.WSJF_BEFORE_ANALYSIS,
            violation=WSJF_MESSAGE,
            reason=OVERRIDE,
            overridden_by="paula",
            overridden_at=NOW,
        ),
        InitiativeMoved(
            initiative_id="i-1",
            portfolio_id="p",
            from_state=S.REVIEWING,
            to_state=S.ANALYZING,
            reason=None,
            moved_by="paula",
            moved_at=NOW,
        ),
    ]
    assert [o.guardrail for o in initiative.overrides] == [Guardrail.WSJF_BEFORE_ANALYSIS]


def test_every_violated_rule_is_named_and_each_override_recorded() -> None:
    initiative = at(S.REVIEWING)
    full = Governance(wip_limit=1, in_state=1)
    with pytest.raises(GuardrailViolation) as refused_move:
        move(initiative, S.ANALYZING, governance=full)
    assert refused_move.value.message.startswith(WSJF_MESSAGE + "; guardrail WIP_LIMIT: ")
    move(initiative, S.ANALYZING, governance=full, override_reason=OVERRIDE, may_override=True)
    assert kinds(initiative) == ["GuardrailOverridden", "GuardrailOverridden", "InitiativeMoved"]
    overridden = [e.guardrail for e in initiative.pending if isinstance(e, GuardrailOverridden)]
    assert overridden == [Guardrail.WSJF_BEFORE_ANALYSIS, Guardrail.WIP_LIMIT]


def test_a_budget_override_is_recorded_before_the_decision() -> None:
    initiative = at(S.ANALYZING)
    case(initiative, total="900000")
    initiative.pending.clear()
    approve(initiative, governance=budget("1"), override_reason=OVERRIDE, may_override=True)
    assert kinds(initiative) == ["GuardrailOverridden", "DecisionRecorded"]
    first = initiative.pending[0]
    assert isinstance(first, GuardrailOverridden)
    assert (first.guardrail, first.reason) == (Guardrail.BUDGET, OVERRIDE)
    assert first.violation.startswith("guardrail BUDGET: approving commits 900000 EUR")


def test_an_override_reason_without_pmo_or_admin_is_forbidden() -> None:
    initiative = at(S.REVIEWING)
    score(initiative)  # nothing would be violated: the reason alone is refused
    refused(
        initiative,
        Forbidden,
        "only a pmo or admin may override a guardrail; send the command without override_reason, "
        "or ask a pmo or admin to send it",
        lambda: move(initiative, S.ANALYZING, override_reason=OVERRIDE, may_override=False),
    )


def test_an_override_reason_with_nothing_violated_records_nothing_extra() -> None:
    initiative = at(S.REVIEWING)
    score(initiative)
    initiative.pending.clear()
    move(
        initiative,
        S.ANALYZING,
        governance=ALL_ENFORCED,
        override_reason=OVERRIDE,
        may_override=True,
    )
    assert kinds(initiative) == ["InitiativeMoved"]


def test_a_blank_override_reason_overrides_nothing() -> None:
    initiative = at(S.REVIEWING)
    refused(
        initiative,
        GuardrailViolation,
        WSJF_MESSAGE,
        lambda: move(
            initiative, S.ANALYZING, governance=ALL_ENFORCED, override_reason=" ", may_override=True
        ),
    )


@pytest.mark.parametrize(
    ("roles", "expected"),
    [({"pmo"}, True), ({"viewer", "admin"}, True), ({"portfolio_manager"}, False), (set(), False)],
)
def test_pmo_and_admin_may_override(roles: set[str], expected: bool) -> None:
    assert may_override(roles) is expected


# --- decisions -----------------------------------------------------------------------------------


def test_an_approval_commits_the_business_case_total_for_the_period() -> None:
    initiative = at(S.ANALYZING)
    case(initiative, total="120000.50")
    initiative.pending.clear()
    approve(initiative, decided_by="Portfolio board")
    assert initiative.pending == [
        DecisionRecorded(
            initiative_id="i-1",
            decision_id="d-1",
            portfolio_id="p",
            decision=DecisionKind.APPROVE,
            rationale="Strong fit with the CX theme",
            decided_by="Portfolio board",
            decided_at=NOW,
            review_id=None,
            period="2026",
            committed_amount=Decimal("120000.50"),
            currency="EUR",
        )
    ]
    assert initiative.state is S.ANALYZING  # approval does not move it
    assert initiative.commitment == Commitment("2026", Decimal("120000.50"), "EUR")


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"rationale": "  "}, InvalidInput, "rationale must not be empty"),
        (
            {"rationale": "r" * 4001},
            InvalidInput,
            "rationale is 4001 characters long; the limit is 4000, shorten it",
        ),
        (
            {"period": None},
            InvalidInput,
            "period is required to approve: the budget period it commits",
        ),
        (
            {"period": "2026-13"},
            InvalidInput,
            "period must be a year, half, quarter or month "
            "such as 2026, 2026-H2, 2026-Q4 or 2026-11; got '2026-13'",
        ),
        (
            {"decision": "MAYBE"},
            InvalidInput,
            "decision must be one of APPROVE, REJECT, DEFER, CANCEL; got 'MAYBE'",
        ),
        (
            {"decision": DecisionKind.REJECT},
            InvalidInput,
            "period is only given with APPROVE (it "
            "names the budget the approval commits); leave it out of a REJECT decision",
        ),
    ],
)
def test_invalid_decisions_are_refused(
    overrides: dict[str, Any], error: type[Exception], message: str
) -> None:
    initiative = at(S.ANALYZING)
    case(initiative)
    refused(initiative, error, message, lambda: approve(initiative, **overrides))


def test_an_approval_needs_a_business_case_and_the_right_state() -> None:
    initiative = at(S.ANALYZING)
    refused(
        initiative,
        Conflict,
        "initiative 'i-1' has no lean business case; record one first: an approval commits its "
        "estimated total cost",
        lambda: approve(initiative),
    )
    funnel = at(S.FUNNEL)
    case(funnel)
    refused(
        funnel,
        Conflict,
        "a APPROVE decision is taken on an initiative in ANALYZING, READY; 'i-1' is FUNNEL",
        lambda: approve(funnel),
    )


def test_a_decision_id_is_used_once() -> None:
    initiative = at(S.READY)  # approved as d-1
    refused(
        initiative,
        Conflict,
        "initiative 'i-1' already has a decision 'd-1'",
        lambda: approve(initiative, "d-1"),
    )


@pytest.mark.parametrize(
    ("start", "decision", "to"),
    [
        (S.ANALYZING, DecisionKind.REJECT, S.FUNNEL),
        (S.READY, DecisionKind.REJECT, S.FUNNEL),
        (S.REVIEWING, DecisionKind.DEFER, S.ON_HOLD),
        (S.IMPLEMENTING, DecisionKind.CANCEL, S.CANCELLED),
        (S.ON_HOLD, DecisionKind.CANCEL, S.CANCELLED),
    ],
)
def test_reject_defer_and_cancel_record_the_decision_then_the_move(
    start: KanbanState, decision: DecisionKind, to: KanbanState
) -> None:
    initiative = at(start)
    initiative.record_decision(
        "d-9", decision=decision, rationale="Not the best use of money", actor="board", now=NOW
    )
    assert kinds(initiative) == ["DecisionRecorded", "InitiativeMoved"]
    moved = initiative.pending[1]
    assert isinstance(moved, InitiativeMoved)
    assert (moved.from_state, moved.to_state, moved.reason) == (
        start,
        to,
        "Not the best use of money",
    )
    assert initiative.commitment is None  # any approval is released


@pytest.mark.parametrize(
    ("start", "decision", "where"),
    [
        (S.FUNNEL, DecisionKind.REJECT, "REVIEWING, ANALYZING, READY"),
        (S.READY, DecisionKind.DEFER, "FUNNEL, REVIEWING, ANALYZING"),
        (S.IMPLEMENTING, DecisionKind.APPROVE, "ANALYZING, READY"),
        (S.ON_HOLD, DecisionKind.REJECT, "REVIEWING, ANALYZING, READY"),
    ],
)
def test_decisions_outside_their_states_are_refused(
    start: KanbanState, decision: DecisionKind, where: str
) -> None:
    initiative = at(start)
    period = "2026" if decision is DecisionKind.APPROVE else None
    refused(
        initiative,
        Conflict,
        f"a {decision.value} decision is taken on an initiative in {where}; 'i-1' is {start.value}",
        lambda: initiative.record_decision(
            "d-9",
            decision=decision,
            rationale="r",
            period=period,
            governance=budget(),
            actor="a",
            now=NOW,
        ),
    )


def test_a_deferred_initiative_resumes_where_it_was() -> None:
    initiative = at(S.ANALYZING)
    initiative.record_decision(
        "d-9", decision=DecisionKind.DEFER, rationale="after the merger", actor="a", now=NOW
    )
    assert (initiative.state, initiative.resume_to) == (S.ON_HOLD, S.ANALYZING)
    move(initiative, S.ANALYZING)
    assert initiative.state is S.ANALYZING


def test_commitment_stays_when_done_and_goes_when_cancelled() -> None:
    done = at(S.DONE)
    assert done.commitment == Commitment("2026", Decimal("100000"), "EUR")
    cancelled = at(S.IMPLEMENTING)
    move(cancelled, S.CANCELLED, reason="pivot")
    assert cancelled.commitment is None


def review(*, concluded: bool = False, portfolio_id: str = "p") -> PortfolioReview:
    scheduled = PortfolioReview.schedule(
        "rev-1",
        portfolio_id=portfolio_id,
        title="Q4 portfolio sync",
        scheduled_for=date(2026, 12, 1),
        attendees=["paula", "board"],
        actor="paula",
        now=NOW,
    )
    if concluded:
        scheduled.conclude(summary="Done", actor="paula", now=NOW)
    return PortfolioReview.from_events("rev-1", scheduled.pending)


def test_a_decision_taken_in_a_review_names_it() -> None:
    initiative = at(S.ANALYZING)
    case(initiative)
    approve(initiative, review=review())
    decision = initiative.pending[-1]
    assert isinstance(decision, DecisionRecorded)
    assert decision.review_id == "rev-1"
    assert initiative.decisions[-1].review_id == "rev-1"


def test_a_concluded_review_or_another_portfolios_review_takes_no_decision() -> None:
    initiative = at(S.ANALYZING)
    case(initiative)
    refused(
        initiative,
        Conflict,
        "review 'rev-1' (Q4 portfolio sync) is concluded and takes no more decisions; record the "
        "decision without a review or in an open one",
        lambda: approve(initiative, review=review(concluded=True)),
    )
    refused(
        initiative,
        InvalidInput,
        "review 'rev-1' belongs to portfolio 'other', not to the initiative's portfolio 'p'; "
        "record the decision in a review of that portfolio",
        lambda: approve(initiative, review=review(portfolio_id="other")),
    )


def test_an_approval_without_governance_is_a_handler_bug() -> None:
    initiative = at(S.ANALYZING)
    case(initiative)
    with pytest.raises(ValueError, match="governance_for_approval"):
        approve(initiative, governance=None)
