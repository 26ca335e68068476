"""The Initiative aggregate: an epic on the portfolio kanban (see `kanban` for the legal moves).

Its state is the fold of its events. Command methods check their input, the invariants and the
guardrails in force (`governance`), then record events; they never touch storage or the clock.

Governance decisions (SAFe-like semantics):

- APPROVE (in ANALYZING, or in READY to re-approve after the business case changed): the "go" of
  the portfolio review. It needs a lean business case and a budget period, and commits the case's
  estimated total cost against the portfolio's budget for that period (guardrail BUDGET). The
  state does not change: the initiative then moves on to READY.
- REJECT (in REVIEWING, ANALYZING or READY): "not this one": it goes back to the FUNNEL, where
  it can be reworked or cancelled later. Records DecisionRecorded, then InitiativeMoved.
- DEFER (in FUNNEL, REVIEWING or ANALYZING, i.e. before the funding decision took effect): "not
  now": it goes ON_HOLD and resumes later where it was; an approval given in ANALYZING lapses,
  so it needs a fresh APPROVE before READY. (An approved READY or IMPLEMENTING initiative is paused
  with a plain move to ON_HOLD instead, which keeps its funding.)
- CANCEL (in any state but DONE and CANCELLED): "stop for good": it goes to CANCELLED.

An approval is in force while the latest decision is APPROVE and the initiative is not CANCELLED
(`commitment`); a later REJECT, DEFER or CANCEL releases the money. A DONE initiative keeps its
commitment: the money was spent.

Guardrails checked here: leaving REVIEWING forward needs a WSJF score (WSJF_BEFORE_ANALYSIS);
leaving ANALYZING for READY needs a lean business case and an approval in force
(CASE_AND_APPROVAL_BEFORE_READY); entering a WIP-limited state needs a free slot (WIP_LIMIT,
resuming from ON_HOLD included); an approval cannot commit more than what remains of the period's
budget (BUDGET). Moving back a step or to ON_HOLD/CANCELLED is never guarded, and keeps
the decisions taken (READY → ANALYZING → READY needs no new approval).

DONE requires every planned objective to have its actual business value recorded: an epic is
finished when its outcome has been measured.

DONE and CANCELLED initiatives are closed: every command on them is refused (Conflict).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from pmo_events.aggregate import Aggregate
from pmo_events.errors import Conflict, InvalidInput, NotFound

from pmo_portfolio.domain import validation as check
from pmo_portfolio.domain.events import (
    DecisionKind,
    DecisionRecorded,
    Guardrail,
    GuardrailOverridden,
    InitiativeDetailsChanged,
    InitiativeMoved,
    InitiativeProposed,
    InitiativeThemesChanged,
    KanbanState,
    LeanBusinessCaseRecorded,
    ObjectivePlanned,
    ObjectiveValueDelivered,
    PortfolioEvent,
    RiskRaised,
    RiskRoamed,
    RoamStatus,
    WsjfScored,
)
from pmo_portfolio.domain.governance import (
    Governance,
    Violation,
    override_reason_of,
    resolve,
)
from pmo_portfolio.domain.kanban import (
    ACTIVE,
    REASON_REQUIRED,
    TERMINAL,
    WIP_LIMITED,
    allowed_targets,
)
from pmo_portfolio.domain.prioritisation import format_money, wsjf_of

if TYPE_CHECKING:
    from pmo_portfolio.domain.review import PortfolioReview

InitiativeState = KanbanState
"""The earlier name of the kanban states, kept for the read side and the API."""

TITLE_MAX = check.NAME_MAX
HYPOTHESIS_MAX = check.TEXT_MAX
THEMES_MAX = 20  # themes one initiative serves
INDICATORS_MAX = 20  # leading indicators of a business case
RISKS_MAX = 100
OBJECTIVES_MAX = 50

# Where each decision may be taken (see the module docstring).
DECISION_STATES: dict[DecisionKind, frozenset[KanbanState]] = {
    DecisionKind.APPROVE: frozenset({KanbanState.ANALYZING, KanbanState.READY}),
    DecisionKind.REJECT: frozenset(
        {KanbanState.REVIEWING, KanbanState.ANALYZING, KanbanState.READY}
    ),
    DecisionKind.DEFER: frozenset(
        {KanbanState.FUNNEL, KanbanState.REVIEWING, KanbanState.ANALYZING}
    ),
    DecisionKind.CANCEL: ACTIVE | {KanbanState.ON_HOLD},
}
# Where REJECT, DEFER and CANCEL put the initiative.
DECISION_MOVES: dict[DecisionKind, KanbanState] = {
    DecisionKind.REJECT: KanbanState.FUNNEL,
    DecisionKind.DEFER: KanbanState.ON_HOLD,
    DecisionKind.CANCEL: KanbanState.CANCELLED,
}


@dataclass(frozen=True)
class WsjfScore:
    business_value: int
    time_criticality: int
    risk_reduction: int
    job_size: int
    cost_of_delay: int
    wsjf: Decimal
    note: str
    scored_by: str
    scored_at: datetime


@dataclass(frozen=True)
class BusinessCase:
    mvp_cost: Decimal
    estimated_total_cost: Decimal
    currency: str
    expected_benefits: str
    leading_indicators: tuple[str, ...]


@dataclass(frozen=True)
class Risk:
    id: str
    title: str
    description: str
    probability: int
    impact: int
    status: RoamStatus | None = None  # None: raised, not ROAMed yet
    owner: str | None = None
    notes: str = ""

    @property
    def exposure(self) -> int:
        return self.probability * self.impact

    @property
    def is_open(self) -> bool:
        """Exposure still live: not ROAMed yet, OWNED or ACCEPTED.

        RESOLVED risks are gone and MITIGATED ones have a mitigation in place; the read models
        count open risks the same way (projections/tables.py OPEN_RISK_STATUSES).
        """
        return self.status not in (RoamStatus.RESOLVED, RoamStatus.MITIGATED)


@dataclass(frozen=True)
class Objective:
    id: str
    description: str
    planned_business_value: int
    actual_business_value: int | None = None


@dataclass(frozen=True)
class Decision:
    id: str
    kind: DecisionKind
    rationale: str
    decided_by: str
    decided_at: datetime
    review_id: str | None
    period: str | None
    committed_amount: Decimal | None
    currency: str | None


@dataclass(frozen=True)
class Commitment:
    """What an approval in force commits against the portfolio's budget."""

    period: str
    amount: Decimal
    currency: str


@dataclass(kw_only=True)
class Initiative(Aggregate):
    STREAM_TYPE: ClassVar[str] = "Initiative"

    title: str = ""
    hypothesis: str = ""
    owner: str = ""
    portfolio_id: str | None = None  # None only for streams begun by InitiativeProposed v1
    strategic_theme_ids: tuple[str, ...] = ()
    state: KanbanState = KanbanState.FUNNEL
    resume_to: KanbanState | None = None  # while ON_HOLD: the state it was put on hold from
    state_since: datetime | None = None
    proposed_by: str = ""
    proposed_at: datetime | None = None
    updated_at: datetime | None = None
    scores: list[WsjfScore] = field(default_factory=list)  # oldest first
    business_case: BusinessCase | None = None
    risks: dict[str, Risk] = field(default_factory=dict)
    objectives: dict[str, Objective] = field(default_factory=dict)
    decisions: list[Decision] = field(default_factory=list)  # oldest first
    overrides: list[GuardrailOverridden] = field(default_factory=list)

    # --- queries -------------------------------------------------------------------------------

    @property
    def score(self) -> WsjfScore | None:
        """The latest WSJF score (earlier ones stay in `scores`)."""
        return self.scores[-1] if self.scores else None

    @property
    def latest_decision(self) -> Decision | None:
        return self.decisions[-1] if self.decisions else None

    @property
    def commitment(self) -> Commitment | None:
        """The approval in force: the latest decision is APPROVE and it is not CANCELLED."""
        latest = self.latest_decision
        if latest is None or latest.kind is not DecisionKind.APPROVE:
            return None
        if self.state is KanbanState.CANCELLED:
            return None
        if latest.period is None or latest.committed_amount is None or latest.currency is None:
            return None  # cannot happen: record_decision gives every approval all three
        return Commitment(latest.period, latest.committed_amount, latest.currency)

    @property
    def risk_exposure(self) -> int:
        """Sum of probability * impact over the open risks (Risk.is_open)."""
        return sum(risk.exposure for risk in self.risks.values() if risk.is_open)

    @property
    def is_closed(self) -> bool:
        return self.state in TERMINAL

    # --- commands: identity --------------------------------------------------------------------

    @classmethod
    def propose(
        cls,
        initiative_id: str,
        *,
        title: str,
        hypothesis: str,
        owner: str,
        portfolio_id: str,
        strategic_theme_ids: Iterable[str] = (),
        active_theme_ids: Collection[str] = frozenset(),
        actor: str,
        now: datetime,
    ) -> Initiative:
        """A new initiative in the FUNNEL of `portfolio_id` (which the handler checked exists).

        `active_theme_ids`: the portfolio's active themes; every one of `strategic_theme_ids`
        must be among them.
        """
        initiative_id = check.text("initiative_id", initiative_id)
        title = check.text("title", title, max_length=TITLE_MAX)
        hypothesis = check.text("hypothesis", hypothesis, max_length=HYPOTHESIS_MAX, required=False)
        owner = check.text("owner", owner)
        portfolio_id = check.text("portfolio_id", portfolio_id)
        themes = _themes(strategic_theme_ids, portfolio_id, active_theme_ids, kept=())
        initiative = cls(id=initiative_id)
        initiative._record(
            InitiativeProposed(
                initiative_id=initiative_id,
                title=title,
                hypothesis=hypothesis,
                owner=owner,
                portfolio_id=portfolio_id,
                strategic_theme_ids=themes,
                proposed_by=actor,
                proposed_at=now,
            )
        )
        return initiative

    def change_details(
        self, *, title: str, hypothesis: str, owner: str, actor: str, now: datetime
    ) -> None:
        """Replace title, hypothesis and owner; records nothing when none of them changes."""
        title = check.text("title", title, max_length=TITLE_MAX)
        hypothesis = check.text("hypothesis", hypothesis, max_length=HYPOTHESIS_MAX, required=False)
        owner = check.text("owner", owner)
        self._ensure_open("change its details")
        if (title, hypothesis, owner) == (self.title, self.hypothesis, self.owner):
            return
        self._record(
            InitiativeDetailsChanged(
                initiative_id=self.id,
                title=title,
                hypothesis=hypothesis,
                owner=owner,
                changed_by=actor,
                changed_at=now,
            )
        )

    def change_themes(
        self,
        strategic_theme_ids: Iterable[str],
        *,
        active_theme_ids: Collection[str],
        actor: str,
        now: datetime,
    ) -> None:
        """Replace the themes it serves. A theme it already serves may stay after retirement;
        every theme added must be active. Records nothing when the set does not change."""
        themes = _themes(
            strategic_theme_ids,
            self.portfolio_id,
            active_theme_ids,
            kept=self.strategic_theme_ids,
        )
        self._ensure_open("change its themes")
        if set(themes) == set(self.strategic_theme_ids):
            return
        self._record(
            InitiativeThemesChanged(
                initiative_id=self.id, strategic_theme_ids=themes, changed_by=actor, changed_at=now
            )
        )

    # --- commands: economics -------------------------------------------------------------------

    def score_wsjf(
        self,
        *,
        business_value: int,
        time_criticality: int,
        risk_reduction: int,
        job_size: int,
        note: str = "",
        actor: str,
        now: datetime,
    ) -> None:
        """(Re)score it; each score is kept, the latest counts."""
        cost_of_delay, wsjf = wsjf_of(business_value, time_criticality, risk_reduction, job_size)
        note = check.text("note", note, max_length=check.TEXT_MAX, required=False)
        self._ensure_open("be scored")
        self._record(
            WsjfScored(
                initiative_id=self.id,
                business_value=business_value,
                time_criticality=time_criticality,
                risk_reduction=risk_reduction,
                job_size=job_size,
                cost_of_delay=cost_of_delay,
                wsjf=wsjf,
                note=note,
                scored_by=actor,
                scored_at=now,
            )
        )

    def record_business_case(
        self,
        *,
        mvp_cost: Decimal,
        estimated_total_cost: Decimal,
        currency: str,
        expected_benefits: str,
        leading_indicators: Iterable[str],
        actor: str,
        now: datetime,
    ) -> None:
        """Record (or replace) the lean business case."""
        mvp_cost = check.money("mvp_cost", mvp_cost)
        estimated_total_cost = check.money("estimated_total_cost", estimated_total_cost)
        if mvp_cost > estimated_total_cost:
            raise InvalidInput(
                f"mvp_cost ({mvp_cost}) must not exceed estimated_total_cost "
                f"({estimated_total_cost}): the MVP is part of the whole"
            )
        currency = check.currency("currency", currency)
        expected_benefits = check.text(
            "expected_benefits", expected_benefits, max_length=check.TEXT_MAX
        )
        indicators = check.unique_texts(
            "leading_indicators", leading_indicators, max_items=INDICATORS_MAX
        )
        self._ensure_open("take a business case")
        self._record(
            LeanBusinessCaseRecorded(
                initiative_id=self.id,
                mvp_cost=mvp_cost,
                estimated_total_cost=estimated_total_cost,
                currency=currency,
                expected_benefits=expected_benefits,
                leading_indicators=indicators,
                recorded_by=actor,
                recorded_at=now,
            )
        )

    # --- commands: risks and objectives --------------------------------------------------------

    def raise_risk(
        self,
        risk_id: str,
        *,
        title: str,
        description: str,
        probability: int,
        impact: int,
        actor: str,
        now: datetime,
    ) -> None:
        risk_id = check.text("risk_id", risk_id)
        title = check.text("title", title)
        description = check.text(
            "description", description, max_length=check.TEXT_MAX, required=False
        )
        probability = check.integer("probability", probability, low=1, high=5)
        impact = check.integer("impact", impact, low=1, high=5)
        self._ensure_open("take new risks")
        if risk_id in self.risks:
            raise Conflict(f"initiative {self.id!r} already has a risk with the id {risk_id!r}")
        if len(self.risks) >= RISKS_MAX:
            raise InvalidInput(
                f"initiative {self.id!r} already has {RISKS_MAX} risks, the limit; resolve and "
                "consolidate risks rather than adding more"
            )
        self._record(
            RiskRaised(
                initiative_id=self.id,
                risk_id=risk_id,
                title=title,
                description=description,
                probability=probability,
                impact=impact,
                raised_by=actor,
                raised_at=now,
            )
        )

    def roam_risk(
        self,
        risk_id: str,
        *,
        status: RoamStatus,
        owner: str,
        notes: str = "",
        actor: str,
        now: datetime,
    ) -> None:
        """ROAM a risk; it may be ROAMed again (e.g. OWNED, then MITIGATED) until RESOLVED."""
        try:
            status = RoamStatus(status)
        except ValueError:
            allowed = ", ".join(s.value for s in RoamStatus)
            raise InvalidInput(f"status must be one of {allowed}; got {status!r}") from None
        owner = check.text("owner", owner)
        notes = check.text("notes", notes, max_length=check.TEXT_MAX, required=False)
        self._ensure_open("ROAM its risks")
        risk = self.risks.get(risk_id)
        if risk is None:
            raise NotFound(
                f"initiative {self.id!r} has no risk with the id {risk_id!r}; "
                "list its risks for the right id"
            )
        if risk.status is RoamStatus.RESOLVED:
            raise Conflict(
                f"risk {risk_id!r} ({risk.title}) is already RESOLVED; raise a new risk if it "
                "came back"
            )
        self._record(
            RiskRoamed(
                initiative_id=self.id,
                risk_id=risk_id,
                status=status,
                owner=owner,
                notes=notes,
                roamed_by=actor,
                roamed_at=now,
            )
        )

    def plan_objective(
        self,
        objective_id: str,
        *,
        description: str,
        planned_business_value: int,
        actor: str,
        now: datetime,
    ) -> None:
        objective_id = check.text("objective_id", objective_id)
        description = check.text("description", description, max_length=check.TEXT_MAX)
        planned = check.integer("planned_business_value", planned_business_value, low=0, high=10)
        self._ensure_open("take new objectives")
        if objective_id in self.objectives:
            raise Conflict(
                f"initiative {self.id!r} already has an objective with the id {objective_id!r}"
            )
        if len(self.objectives) >= OBJECTIVES_MAX:
            raise InvalidInput(
                f"initiative {self.id!r} already has {OBJECTIVES_MAX} objectives, the limit"
            )
        self._record(
            ObjectivePlanned(
                initiative_id=self.id,
                objective_id=objective_id,
                description=description,
                planned_business_value=planned,
                planned_by=actor,
                planned_at=now,
            )
        )

    def record_delivered_value(
        self, objective_id: str, *, actual_business_value: int, actor: str, now: datetime
    ) -> None:
        """Record (or correct) the business value an objective actually delivered."""
        actual = check.integer("actual_business_value", actual_business_value, low=0, high=10)
        self._ensure_open("record delivered value")
        if objective_id not in self.objectives:
            raise NotFound(
                f"initiative {self.id!r} has no objective with the id {objective_id!r}; "
                "list its objectives for the right id"
            )
        self._record(
            ObjectiveValueDelivered(
                initiative_id=self.id,
                objective_id=objective_id,
                actual_business_value=actual,
                recorded_by=actor,
                recorded_at=now,
            )
        )

    # --- commands: flow and governance ---------------------------------------------------------

    def move(
        self,
        to_state: KanbanState,
        *,
        governance: Governance,
        reason: str | None = None,
        override_reason: str | None = None,
        may_override: bool = False,
        actor: str,
        now: datetime,
    ) -> None:
        """Move on the kanban (see `kanban`); guarded moves may be overridden by a pmo/admin.

        `governance`: from `Portfolio.governance_for_move(to_state, in_state=<count in it>)`.
        """
        try:
            to_state = KanbanState(to_state)
        except ValueError:
            allowed = ", ".join(s.value for s in KanbanState)
            raise InvalidInput(f"to_state must be one of {allowed}; got {to_state!r}") from None
        reason = check.optional_text("reason", reason)
        override = override_reason_of(override_reason, may_override=may_override)
        targets = allowed_targets(self.state, self.resume_to)
        if to_state not in targets:
            can = ", ".join(t.value for t in targets) or "nowhere: it is closed"
            raise InvalidInput(
                f"initiative {self.id!r} cannot move from {self.state.value} to "
                f"{to_state.value}; from {self.state.value} it can move to {can}"
            )
        if to_state in REASON_REQUIRED and reason is None:
            raise InvalidInput(f"reason is required to move an initiative to {to_state.value}")
        if to_state is KanbanState.DONE:
            self._ensure_value_measured()
        overrides = resolve(
            self._move_violations(to_state, governance),
            override_reason=override,
            stream_id=self.id,
            portfolio_id=self.portfolio_id,
            actor=actor,
            now=now,
        )
        for overridden in overrides:
            self._record(overridden)
        self._record_move(to_state, reason, actor, now)

    def record_decision(
        self,
        decision_id: str,
        *,
        decision: DecisionKind,
        rationale: str,
        actor: str,
        now: datetime,
        decided_by: str | None = None,
        review: PortfolioReview | None = None,
        period: str | None = None,
        governance: Governance | None = None,
        override_reason: str | None = None,
        may_override: bool = False,
    ) -> None:
        """Record a governance decision (see the module docstring for what each one does).

        - `decided_by`: who took it (e.g. "Portfolio board"); defaults to `actor`.
        - `review`: the open review of this initiative's portfolio it was taken in, if any.
        - APPROVE only: `period` (the budget period it commits to) and `governance` from
          `Portfolio.governance_for_approval(period, committed_by_others=...)`.
        """
        try:
            kind = DecisionKind(decision)
        except ValueError:
            allowed = ", ".join(k.value for k in DecisionKind)
            raise InvalidInput(f"decision must be one of {allowed}; got {decision!r}") from None
        decision_id = check.text("decision_id", decision_id)
        rationale = check.text("rationale", rationale, max_length=check.TEXT_MAX)
        decider = check.text("decided_by", decided_by if decided_by is not None else actor)
        if kind is DecisionKind.APPROVE:
            if period is None:
                raise InvalidInput("period is required to approve: the budget period it commits")
            period = check.period("period", period)
        elif period is not None:
            raise InvalidInput(
                f"period is only given with APPROVE (it names the budget the approval commits); "
                f"leave it out of a {kind.value} decision"
            )
        override = override_reason_of(override_reason, may_override=may_override)
        self._ensure_open("take decisions")
        if any(existing.id == decision_id for existing in self.decisions):
            raise Conflict(f"initiative {self.id!r} already has a decision {decision_id!r}")
        if self.state not in DECISION_STATES[kind]:
            where = ", ".join(s.value for s in KanbanState if s in DECISION_STATES[kind])
            raise Conflict(
                f"a {kind.value} decision is taken on an initiative in {where}; "
                f"{self.id!r} is {self.state.value}"
            )
        if review is not None:
            review.accepts_decisions_for(self.portfolio_id)

        committed: Decimal | None = None
        currency: str | None = None
        overrides: list[GuardrailOverridden] = []
        if kind is DecisionKind.APPROVE:
            assert period is not None  # checked above
            if governance is None:
                raise ValueError(
                    "an approval needs governance=Portfolio.governance_for_approval(period, ...)"
                )
            case = self.business_case
            if case is None:
                raise Conflict(
                    f"initiative {self.id!r} has no lean business case; record one first: an "
                    "approval commits its estimated total cost"
                )
            committed, currency = case.estimated_total_cost, case.currency
            if governance.budget_currency is not None and governance.budget_currency != currency:
                raise InvalidInput(
                    f"the business case is in {currency} but the portfolio's budget for {period} "
                    f"is in {governance.budget_currency}; restate the business case in "
                    f"{governance.budget_currency}"
                )
            overrides = resolve(
                self._budget_violations(period, committed, currency, governance),
                override_reason=override,
                stream_id=self.id,
                portfolio_id=self.portfolio_id,
                actor=actor,
                now=now,
            )

        for overridden in overrides:
            self._record(overridden)
        self._record(
            DecisionRecorded(
                initiative_id=self.id,
                decision_id=decision_id,
                portfolio_id=self.portfolio_id,
                decision=kind,
                rationale=rationale,
                decided_by=decider,
                decided_at=now,
                review_id=review.id if review is not None else None,
                period=period,
                committed_amount=committed,
                currency=currency,
            )
        )
        if kind in DECISION_MOVES:
            self._record_move(DECISION_MOVES[kind], rationale, actor, now)

    # --- invariants and guardrails -------------------------------------------------------------

    def _ensure_open(self, action: str) -> None:
        if self.state in TERMINAL:
            raise Conflict(
                f"initiative {self.id!r} is {self.state.value} and can no longer {action}"
            )

    def _ensure_value_measured(self) -> None:
        missing = [o.id for o in self.objectives.values() if o.actual_business_value is None]
        if missing:
            raise Conflict(
                f"initiative {self.id!r} cannot be DONE before the actual business value of "
                f"every objective is recorded; still missing for: {', '.join(missing)}"
            )

    def _move_violations(self, to_state: KanbanState, governance: Governance) -> list[Violation]:
        violations: list[Violation] = []
        leaving_review = self.state is KanbanState.REVIEWING and to_state is KanbanState.ANALYZING
        if (
            leaving_review
            and self.score is None
            and governance.enforces(Guardrail.WSJF_BEFORE_ANALYSIS)
        ):
            violations.append(
                Violation.of(
                    Guardrail.WSJF_BEFORE_ANALYSIS,
                    "an initiative leaves REVIEWING only with a WSJF score",
                    "score it first",
                )
            )
        leaving_analysis = self.state is KanbanState.ANALYZING and to_state is KanbanState.READY
        if leaving_analysis and governance.enforces(Guardrail.CASE_AND_APPROVAL_BEFORE_READY):
            missing = []
            if self.business_case is None:
                missing.append("a lean business case")
            if self.commitment is None:
                latest = self.latest_decision
                since = f" (the latest decision is {latest.kind.value})" if latest else ""
                missing.append(f"an APPROVE decision{since}")
            if missing:
                violations.append(
                    Violation.of(
                        Guardrail.CASE_AND_APPROVAL_BEFORE_READY,
                        "an initiative leaves ANALYZING only with a lean business case and an "
                        f"approval decision; it lacks {' and '.join(missing)}",
                        "record them first",
                    )
                )
        if (
            to_state in WIP_LIMITED
            and governance.wip_limit is not None
            and governance.in_state >= governance.wip_limit
            and governance.enforces(Guardrail.WIP_LIMIT)
        ):
            violations.append(
                Violation.of(
                    Guardrail.WIP_LIMIT,
                    f"{to_state.value} holds {governance.in_state} initiatives and its WIP limit "
                    f"is {governance.wip_limit}",
                    f"finish or move one out of {to_state.value} first, or raise the limit",
                )
            )
        return violations

    def _budget_violations(
        self, period: str, amount: Decimal, currency: str, governance: Governance
    ) -> list[Violation]:
        if not governance.enforces(Guardrail.BUDGET):
            return []
        remaining = governance.remaining_budget
        if remaining is None:
            return [
                Violation.of(
                    Guardrail.BUDGET,
                    f"the portfolio has no budget for the period {period}, so an approval "
                    "cannot be checked against it",
                    f"set the portfolio's budget for {period} first",
                )
            ]
        if amount > remaining:
            return [
                Violation.of(
                    Guardrail.BUDGET,
                    f"approving commits {format_money(amount, currency)} in {period} but only "
                    f"{format_money(remaining, currency)} of the period's budget remain",
                    "reduce the business case, raise the budget or approve in another period",
                )
            ]
        return []

    def _record_move(
        self, to_state: KanbanState, reason: str | None, actor: str, now: datetime
    ) -> None:
        self._record(
            InitiativeMoved(
                initiative_id=self.id,
                portfolio_id=self.portfolio_id,
                from_state=self.state,
                to_state=to_state,
                reason=reason,
                moved_by=actor,
                moved_at=now,
            )
        )

    # --- fold ----------------------------------------------------------------------------------

    def _when(self, event: PortfolioEvent) -> None:
        match event:
            case InitiativeProposed():
                self.title = event.title
                self.hypothesis = event.hypothesis
                self.owner = event.owner
                self.portfolio_id = event.portfolio_id
                self.strategic_theme_ids = tuple(event.strategic_theme_ids)
                self.state = KanbanState.FUNNEL
                self.state_since = event.proposed_at
                self.proposed_by = event.proposed_by
                self.proposed_at = event.proposed_at
                self.updated_at = event.proposed_at
            case InitiativeDetailsChanged():
                self.title = event.title
                self.hypothesis = event.hypothesis
                self.owner = event.owner
                self.updated_at = event.changed_at
            case InitiativeThemesChanged():
                self.strategic_theme_ids = tuple(event.strategic_theme_ids)
                self.updated_at = event.changed_at
            case InitiativeMoved():
                if event.to_state is KanbanState.ON_HOLD:
                    self.resume_to = event.from_state
                elif event.from_state is KanbanState.ON_HOLD:
                    self.resume_to = None
                self.state = event.to_state
                self.state_since = event.moved_at
                self.updated_at = event.moved_at
            case WsjfScored():
                self.scores.append(
                    WsjfScore(
                        event.business_value,
                        event.time_criticality,
                        event.risk_reduction,
                        event.job_size,
                        event.cost_of_delay,
                        event.wsjf,
                        event.note,
                        event.scored_by,
                        event.scored_at,
                    )
                )
                self.updated_at = event.scored_at
            case LeanBusinessCaseRecorded():
                self.business_case = BusinessCase(
                    event.mvp_cost,
                    event.estimated_total_cost,
                    event.currency,
                    event.expected_benefits,
                    tuple(event.leading_indicators),
                )
                self.updated_at = event.recorded_at
            case RiskRaised():
                self.risks[event.risk_id] = Risk(
                    event.risk_id, event.title, event.description, event.probability, event.impact
                )
                self.updated_at = event.raised_at
            case RiskRoamed():
                self.risks[event.risk_id] = replace(
                    self.risks[event.risk_id],
                    status=event.status,
                    owner=event.owner,
                    notes=event.notes,
                )
                self.updated_at = event.roamed_at
            case ObjectivePlanned():
                self.objectives[event.objective_id] = Objective(
                    event.objective_id, event.description, event.planned_business_value
                )
                self.updated_at = event.planned_at
            case ObjectiveValueDelivered():
                self.objectives[event.objective_id] = replace(
                    self.objectives[event.objective_id],
                    actual_business_value=event.actual_business_value,
                )
                self.updated_at = event.recorded_at
            case DecisionRecorded():
                self.decisions.append(
                    Decision(
                        event.decision_id,
                        event.decision,
                        event.rationale,
                        event.decided_by,
                        event.decided_at,
                        event.review_id,
                        event.period,
                        event.committed_amount,
                        event.currency,
                    )
                )
                self.updated_at = event.decided_at
            case GuardrailOverridden():
                self.overrides.append(event)
                self.updated_at = event.overridden_at
            case _:
                self._unexpected(event)


def _themes(
    theme_ids: Iterable[str],
    portfolio_id: str | None,
    active_theme_ids: Collection[str],
    *,
    kept: Collection[str],
) -> list[str]:
    """The cleaned theme ids; each must be an active theme of the portfolio or already `kept`."""
    themes = check.unique_texts("strategic_theme_ids", theme_ids, max_items=THEMES_MAX)
    unknown = [theme for theme in themes if theme not in active_theme_ids and theme not in kept]
    if unknown:
        active = ", ".join(sorted(active_theme_ids)) or "none"
        raise InvalidInput(
            f"strategic_theme_ids {', '.join(unknown)} are not active themes of portfolio "
            f"{portfolio_id!r}; its active themes are: {active}"
        )
    return themes
