"""The Initiative aggregate's content: proposal, details, themes, WSJF, business case, risks and
objectives (the kanban, guardrails and decisions are in test_initiative_flow.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pmo_events.errors import Conflict, InvalidInput, NotFound
from pmo_portfolio.domain.events import (
    InitiativeDetailsChanged,
    InitiativeProposed,
    InitiativeThemesChanged,
    KanbanState,
    LeanBusinessCaseRecorded,
    PortfolioCreated,
    RiskRoamed,
    RoamStatus,
    WsjfScored,
    registry,
)
from pmo_portfolio.domain.governance import Governance
from pmo_portfolio.domain.initiative import TITLE_MAX, Initiative, InitiativeState

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=1)
THEMES = frozenset({"t-cx", "t-cost"})


def propose(**overrides: Any) -> Initiative:
    arguments: dict[str, Any] = {
        "title": "Self-service onboarding",
        "hypothesis": "For new customers who wait days for an account ...",
        "owner": "alice",
        "portfolio_id": "digital",
        "actor": "bob",
        "now": NOW,
    } | overrides
    return Initiative.propose("i-1", **arguments)


def loaded(**overrides: Any) -> Initiative:
    """A proposed initiative as the repository loads it: nothing pending."""
    return Initiative.from_events("i-1", propose(**overrides).pending)


def refused(initiative: Initiative, error: type[Exception], message: str, call: Any) -> None:
    """`call` raises `error` with exactly `message` and records nothing."""
    before = (initiative.version, list(initiative.pending))
    with pytest.raises(error) as raised:
        call()
    assert str(raised.value) == message
    assert (initiative.version, initiative.pending) == before


# --- proposal ------------------------------------------------------------------------------------


def test_proposing_records_initiative_proposed_in_the_funnel() -> None:
    initiative = propose(
        title="  Self-service onboarding  ",
        strategic_theme_ids=["t-cx"],
        active_theme_ids=THEMES,
    )
    assert initiative.pending == [
        InitiativeProposed(
            initiative_id="i-1",
            title="Self-service onboarding",
            hypothesis="For new customers who wait days for an account ...",
            owner="alice",
            portfolio_id="digital",
            strategic_theme_ids=["t-cx"],
            proposed_by="bob",
            proposed_at=NOW,
        )
    ]
    assert initiative.state is InitiativeState.FUNNEL is KanbanState.FUNNEL
    assert (initiative.version, initiative.loaded_version) == (1, 0)
    assert initiative.state_since == NOW


def test_state_is_the_fold_of_its_events() -> None:
    initiative = loaded()
    assert (
        initiative.title,
        initiative.owner,
        initiative.state,
        initiative.version,
        initiative.pending,
    ) == ("Self-service onboarding", "alice", KanbanState.FUNNEL, 1, [])


def test_a_v1_proposal_without_portfolio_or_themes_still_loads() -> None:
    v1 = registry.parse(
        "pmo.portfolio.InitiativeProposed.v1",
        {
            "initiative_id": "old",
            "title": "Legacy",
            "hypothesis": "",
            "owner": "olga",
            "portfolio_id": None,
            "proposed_by": "olga",
            "proposed_at": NOW.isoformat(),
        },
    )
    initiative = Initiative.from_events("old", [v1])
    assert (initiative.portfolio_id, initiative.strategic_theme_ids) == (None, ())


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": "   "}, "title must not be empty"),
        (
            {"title": "x" * (TITLE_MAX + 1)},
            "title is 201 characters long; the limit is 200, shorten it",
        ),
        ({"owner": ""}, "owner must not be empty"),
        ({"owner": "o" * 201}, "owner is 201 characters long; the limit is 200, shorten it"),
        (
            {"hypothesis": "h" * 4001},
            "hypothesis is 4001 characters long; the limit is 4000, shorten it",
        ),
        ({"portfolio_id": " "}, "portfolio_id must not be empty"),
        (
            {"strategic_theme_ids": ["t-cx", "t-gone"], "active_theme_ids": THEMES},
            "strategic_theme_ids t-gone are not active themes of portfolio 'digital'; "
            "its active themes are: t-cost, t-cx",
        ),
        (
            {"strategic_theme_ids": ["t-cx"]},
            "strategic_theme_ids t-cx are not active themes of portfolio 'digital'; "
            "its active themes are: none",
        ),
        (
            {"strategic_theme_ids": ["t-cx", "t-cx"], "active_theme_ids": THEMES},
            "strategic_theme_ids lists 't-cx' more than once; give each entry once",
        ),
        (
            {"strategic_theme_ids": [f"t{n}" for n in range(21)]},
            "strategic_theme_ids has 21 entries; the limit is 20",
        ),
    ],
)
def test_invalid_proposals_are_refused(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        propose(**overrides)
    assert raised.value.message == message


def test_an_event_of_another_stream_type_is_a_loading_bug() -> None:
    created = PortfolioCreated(
        portfolio_id="p",
        name="n",
        description="",
        owner="o",
        created_by="a",
        created_at=NOW,
    )
    with pytest.raises(TypeError, match="PortfolioCreated does not belong to a Initiative stream"):
        Initiative.from_events("i-1", [created])


# --- details and themes --------------------------------------------------------------------------


def test_changing_details_records_all_three_and_nothing_when_unchanged() -> None:
    initiative = loaded()
    initiative.change_details(
        title="Onboarding v2", hypothesis=" new ", owner="carol", actor="bob", now=LATER
    )
    initiative.change_details(
        title="Onboarding v2", hypothesis="new", owner="carol", actor="bob", now=LATER
    )
    assert initiative.pending == [
        InitiativeDetailsChanged(
            initiative_id="i-1",
            title="Onboarding v2",
            hypothesis="new",
            owner="carol",
            changed_by="bob",
            changed_at=LATER,
        )
    ]
    assert (initiative.title, initiative.owner, initiative.updated_at) == (
        "Onboarding v2",
        "carol",
        LATER,
    )


def test_changing_details_checks_them() -> None:
    initiative = loaded()
    refused(
        initiative,
        InvalidInput,
        "title must not be empty",
        lambda: initiative.change_details(title="", hypothesis="", owner="x", actor="b", now=NOW),
    )


def test_themes_change_to_active_ones_and_a_retired_theme_may_stay() -> None:
    initiative = loaded(strategic_theme_ids=["t-old"], active_theme_ids={"t-old"})
    # t-old has been retired since: it may stay, t-cx is added.
    initiative.change_themes(["t-old", "t-cx"], active_theme_ids=THEMES, actor="bob", now=LATER)
    initiative.change_themes(["t-cx", "t-old"], active_theme_ids=THEMES, actor="bob", now=LATER)
    assert initiative.pending == [
        InitiativeThemesChanged(
            initiative_id="i-1",
            strategic_theme_ids=["t-old", "t-cx"],
            changed_by="bob",
            changed_at=LATER,
        )
    ]
    assert list(initiative.strategic_theme_ids) == ["t-old", "t-cx"]
    initiative.change_themes([], active_theme_ids=THEMES, actor="bob", now=LATER)
    assert initiative.strategic_theme_ids == ()
    refused(
        initiative,
        InvalidInput,
        "strategic_theme_ids t-old are not active themes of portfolio 'digital'; "
        "its active themes are: t-cost, t-cx",
        lambda: initiative.change_themes(
            ["t-old"], active_theme_ids=THEMES, actor="bob", now=LATER
        ),
    )


# --- WSJF ----------------------------------------------------------------------------------------


def test_scoring_records_cost_of_delay_and_wsjf_and_rescoring_keeps_the_history() -> None:
    initiative = loaded()
    initiative.score_wsjf(
        business_value=8,
        time_criticality=5,
        risk_reduction=3,
        job_size=5,
        note="first pass",
        actor="pm",
        now=NOW,
    )
    initiative.score_wsjf(
        business_value=13, time_criticality=8, risk_reduction=5, job_size=3, actor="pm", now=LATER
    )
    assert initiative.pending[0] == WsjfScored(
        initiative_id="i-1",
        business_value=8,
        time_criticality=5,
        risk_reduction=3,
        job_size=5,
        cost_of_delay=16,
        wsjf=Decimal("3.20"),
        note="first pass",
        scored_by="pm",
        scored_at=NOW,
    )
    assert [(s.cost_of_delay, s.wsjf) for s in initiative.scores] == [
        (16, Decimal("3.20")),
        (26, Decimal("8.67")),
    ]
    assert initiative.score is not None
    assert initiative.score.wsjf == Decimal("8.67")


def test_an_off_scale_score_names_the_field_and_records_nothing() -> None:
    initiative = loaded()
    refused(
        initiative,
        InvalidInput,
        "time_criticality must be on the modified Fibonacci scale (1, 2, 3, 5, 8, 13, 20); got 4",
        lambda: initiative.score_wsjf(
            business_value=8, time_criticality=4, risk_reduction=3, job_size=5, actor="a", now=NOW
        ),
    )
    assert initiative.score is None


# --- lean business case --------------------------------------------------------------------------


def record_case(initiative: Initiative, **overrides: Any) -> None:
    arguments: dict[str, Any] = {
        "mvp_cost": Decimal("40000"),
        "estimated_total_cost": Decimal("120000.50"),
        "currency": "EUR",
        "expected_benefits": "Onboarding in minutes; 20% fewer drop-outs",
        "leading_indicators": ["sign-up completion rate", "time to first login"],
        "actor": "pm",
        "now": NOW,
    } | overrides
    initiative.record_business_case(**arguments)


def test_a_business_case_is_recorded_and_replaced() -> None:
    initiative = loaded()
    record_case(initiative)
    record_case(initiative, estimated_total_cost=Decimal("150000"), leading_indicators=[])
    assert initiative.pending[0] == LeanBusinessCaseRecorded(
        initiative_id="i-1",
        mvp_cost=Decimal("40000"),
        estimated_total_cost=Decimal("120000.50"),
        currency="EUR",
        expected_benefits="Onboarding in minutes; 20% fewer drop-outs",
        leading_indicators=["sign-up completion rate", "time to first login"],
        recorded_by="pm",
        recorded_at=NOW,
    )
    assert initiative.business_case is not None
    assert initiative.business_case.estimated_total_cost == Decimal("150000")
    assert initiative.business_case.leading_indicators == ()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"mvp_cost": Decimal("200000")},
            "mvp_cost (200000) must not exceed estimated_total_cost (120000.50): "
            "the MVP is part of the whole",
        ),
        ({"mvp_cost": Decimal("-1")}, "mvp_cost must be at least 0; got -1"),
        (
            {"estimated_total_cost": Decimal("1.005")},
            "estimated_total_cost has more than 2 decimal places; got 1.005",
        ),
        (
            {"estimated_total_cost": Decimal("1e15")},
            "estimated_total_cost must be at most 999999999999.99; got 1E+15",
        ),
        (
            {"mvp_cost": Decimal("NaN")},
            "mvp_cost must be a finite decimal amount; got Decimal('NaN')",
        ),
        (
            {"currency": "eur"},
            "currency must be an ISO 4217 code of three capital letters (e.g. EUR); got 'eur'",
        ),
        ({"expected_benefits": " "}, "expected_benefits must not be empty"),
        (
            {"leading_indicators": [f"indicator {n}" for n in range(21)]},
            "leading_indicators has 21 entries; the limit is 20",
        ),
        ({"leading_indicators": ["ok", ""]}, "leading_indicators entry 2 must not be empty"),
        (
            {"leading_indicators": ["NPS", "nps"]},
            "leading_indicators lists 'nps' more than once; give each entry once",
        ),
    ],
)
def test_an_invalid_business_case_is_refused(overrides: dict[str, Any], message: str) -> None:
    initiative = loaded()
    refused(initiative, InvalidInput, message, lambda: record_case(initiative, **overrides))


# --- risks ---------------------------------------------------------------------------------------


def raise_risk(initiative: Initiative, risk_id: str = "r-1", **overrides: Any) -> None:
    arguments: dict[str, Any] = {
        "title": "Identity provider contract",
        "description": "The IdP contract may not be renewed in time",
        "probability": 4,
        "impact": 4,
        "actor": "pm",
        "now": NOW,
    } | overrides
    initiative.raise_risk(risk_id, **arguments)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"probability": 0}, "probability must be between 1 and 5; got 0"),
        ({"impact": 6}, "impact must be between 1 and 5; got 6"),
        ({"impact": True}, "impact must be a whole number between 1 and 5; got True"),
        ({"title": "t" * 201}, "title is 201 characters long; the limit is 200, shorten it"),
    ],
)
def test_risk_probability_and_impact_are_1_to_5(overrides: dict[str, Any], message: str) -> None:
    initiative = loaded()
    refused(initiative, InvalidInput, message, lambda: raise_risk(initiative, **overrides))


def test_risks_are_roamed_until_resolved_and_exposure_counts_open_ones() -> None:
    initiative = loaded()
    raise_risk(initiative, "r-1", probability=4, impact=4)
    raise_risk(initiative, "r-2", probability=2, impact=3)
    assert initiative.risk_exposure == 22
    initiative.roam_risk("r-1", status=RoamStatus.OWNED, owner="erin", actor="pm", now=NOW)
    initiative.roam_risk(
        "r-1", status=RoamStatus.MITIGATED, owner="erin", notes="second IdP", actor="pm", now=NOW
    )
    assert initiative.risk_exposure == 6  # a mitigation is in place: no longer live exposure
    initiative.roam_risk("r-2", status=RoamStatus.ACCEPTED, owner="erin", actor="pm", now=LATER)
    assert initiative.risk_exposure == 6  # accepted as it is: still live
    initiative.roam_risk("r-2", status=RoamStatus.RESOLVED, owner="erin", actor="pm", now=LATER)
    assert initiative.risk_exposure == 0
    assert initiative.pending[-1] == RiskRoamed(
        initiative_id="i-1",
        risk_id="r-2",
        status=RoamStatus.RESOLVED,
        owner="erin",
        notes="",
        roamed_by="pm",
        roamed_at=LATER,
    )
    assert initiative.risks["r-1"].status is RoamStatus.MITIGATED
    assert initiative.risks["r-1"].notes == "second IdP"

    refused(
        initiative,
        Conflict,
        "risk 'r-2' (Identity provider contract) is already RESOLVED; raise a new risk if it "
        "came back",
        lambda: initiative.roam_risk(
            "r-2", status=RoamStatus.ACCEPTED, owner="erin", actor="pm", now=LATER
        ),
    )
    refused(
        initiative,
        NotFound,
        "initiative 'i-1' has no risk with the id 'r-9'; list its risks for the right id",
        lambda: initiative.roam_risk(
            "r-9", status=RoamStatus.OWNED, owner="erin", actor="pm", now=LATER
        ),
    )
    refused(
        initiative,
        Conflict,
        "initiative 'i-1' already has a risk with the id 'r-1'",
        lambda: raise_risk(initiative, "r-1"),
    )
    refused(
        initiative,
        InvalidInput,
        "status must be one of RESOLVED, OWNED, ACCEPTED, MITIGATED; got 'GONE'",
        lambda: initiative.roam_risk(
            "r-1",
            status="GONE",  # type: ignore[arg-type]
            owner="erin",
            actor="pm",
            now=LATER,
        ),
    )


# --- objectives ----------------------------------------------------------------------------------


def test_objectives_are_planned_then_their_delivered_value_recorded() -> None:
    initiative = loaded()
    initiative.plan_objective(
        "o-1", description="Self sign-up live", planned_business_value=8, actor="pm", now=NOW
    )
    initiative.record_delivered_value("o-1", actual_business_value=6, actor="pm", now=LATER)
    initiative.record_delivered_value("o-1", actual_business_value=7, actor="pm", now=LATER)
    objective = initiative.objectives["o-1"]
    assert (objective.planned_business_value, objective.actual_business_value) == (8, 7)

    refused(
        initiative,
        InvalidInput,
        "planned_business_value must be between 0 and 10; got 11",
        lambda: initiative.plan_objective(
            "o-2", description="x", planned_business_value=11, actor="pm", now=NOW
        ),
    )
    refused(
        initiative,
        NotFound,
        "initiative 'i-1' has no objective with the id 'o-9'; list its objectives for the right id",
        lambda: initiative.record_delivered_value(
            "o-9", actual_business_value=5, actor="pm", now=NOW
        ),
    )
    refused(
        initiative,
        Conflict,
        "initiative 'i-1' already has an objective with the id 'o-1'",
        lambda: initiative.plan_objective(
            "o-1", description="again", planned_business_value=1, actor="pm", now=NOW
        ),
    )


# --- the whole history folds back ----------------------------------------------------------------


def test_a_rich_history_folds_back_into_the_same_state() -> None:
    initiative = propose(strategic_theme_ids=["t-cx"], active_theme_ids=THEMES)
    initiative.score_wsjf(
        business_value=8, time_criticality=5, risk_reduction=3, job_size=5, actor="pm", now=NOW
    )
    record_case(initiative)
    raise_risk(initiative)
    initiative.roam_risk("r-1", status=RoamStatus.OWNED, owner="erin", actor="pm", now=NOW)
    initiative.plan_objective(
        "o-1", description="Self sign-up live", planned_business_value=8, actor="pm", now=NOW
    )
    initiative.move(KanbanState.REVIEWING, governance=Governance(), actor="pm", now=LATER)
    initiative.move(
        KanbanState.ON_HOLD, governance=Governance(), reason="waiting", actor="pm", now=LATER
    )
    replayed = Initiative.from_events("i-1", initiative.pending)
    assert replayed == initiative
    assert replayed.resume_to is KanbanState.REVIEWING
    assert replayed.pending == []
    assert replayed.version == initiative.version == 8
