"""The read models as `project()` builds them, on the real database.

Most tests project hand-made events inside a transaction that is rolled back at the end, so they
leave nothing behind. The guardrail helpers' lock and the rebuild need committed rows.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from pmo_events.postgres import PostgresEventStore
from pmo_events.registry import DomainEvent
from pmo_portfolio.domain import events as e
from pmo_portfolio.domain.events import (
    DecisionKind,
    Guardrail,
    KanbanState,
    RoamStatus,
    registry,
)
from pmo_portfolio.projections import ROUTES, governance, initiatives, portfolios, project
from pmo_portfolio.projections.rebuild import rebuild_read_models
from pmo_portfolio.projections.tables import READ_MODELS, portfolio_budgets, portfolio_wip_limits
from pmo_portfolio.projections.tables import initiatives as initiative_table
from pmo_portfolio.projections.tables import portfolios as portfolio_table
from pmo_portfolio.settings import PortfolioSettings
from pmo_service.database import create_engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

T0 = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
Q4 = "2026-Q4"


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


@pytest.fixture(scope="module")
async def engine(portfolio_settings: PortfolioSettings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(portfolio_settings, application_name="portfolio-read-model-tests")
    yield engine
    await engine.dispose()


@pytest.fixture
async def conn(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection in a transaction that is rolled back: the test leaves nothing behind."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            yield connection
        finally:
            await transaction.rollback()


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


# --- event factories ---------------------------------------------------------------------------


def created(portfolio_id: str) -> list[DomainEvent]:
    return [
        e.PortfolioCreated(
            portfolio_id=portfolio_id,
            name="Growth",
            description="",
            owner="paula",
            created_by="paula",
            created_at=at(0),
        ),
        e.GuardrailsChanged(
            portfolio_id=portfolio_id,
            enabled=[Guardrail.WIP_LIMIT, Guardrail.BUDGET],
            changed_by="paula",
            changed_at=at(0),
        ),
    ]


def proposed(initiative_id: str, portfolio_id: str | None, hours: float = 1) -> DomainEvent:
    return e.InitiativeProposed(
        initiative_id=initiative_id,
        title="Mobile wallet",
        hypothesis="For commuters",
        owner="olga",
        portfolio_id=portfolio_id,
        strategic_theme_ids=["t1"],
        proposed_by="ivy",
        proposed_at=at(hours),
    )


def moved(
    initiative_id: str,
    portfolio_id: str | None,
    from_state: KanbanState,
    to_state: KanbanState,
    hours: float,
    reason: str | None = None,
) -> DomainEvent:
    return e.InitiativeMoved(
        initiative_id=initiative_id,
        portfolio_id=portfolio_id,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        moved_by="paula",
        moved_at=at(hours),
    )


def decided(
    initiative_id: str,
    kind: DecisionKind,
    hours: float,
    amount: int | None = None,
    portfolio_id: str | None = None,
) -> DomainEvent:
    approve = kind is DecisionKind.APPROVE
    return e.DecisionRecorded(
        initiative_id=initiative_id,
        decision_id=new_id("d"),
        portfolio_id=portfolio_id,
        decision=kind,
        rationale="because",
        decided_by="pmo-lead",
        decided_at=at(hours),
        review_id=None,
        period=Q4 if approve else None,
        committed_amount=Decimal(amount) if approve and amount is not None else None,
        currency="EUR" if approve else None,
    )


def risk(initiative_id: str, risk_id: str, p: int, i: int, hours: float) -> DomainEvent:
    return e.RiskRaised(
        initiative_id=initiative_id,
        risk_id=risk_id,
        title="vendor",
        description="",
        probability=p,
        impact=i,
        raised_by="rita",
        raised_at=at(hours),
    )


def roamed(initiative_id: str, risk_id: str, status: RoamStatus, hours: float) -> DomainEvent:
    return e.RiskRoamed(
        initiative_id=initiative_id,
        risk_id=risk_id,
        status=status,
        owner="rita",
        notes="n",
        roamed_by="rita",
        roamed_at=at(hours),
    )


async def run(conn: AsyncConnection, *events: DomainEvent, version: int = 1) -> None:
    """Project ``events`` as consecutive versions (starting at ``version``) of their stream."""
    for offset, event in enumerate(events):
        await project(conn, event, version + offset)


async def row(conn: AsyncConnection, initiative_id: str) -> initiatives.InitiativeRow:
    return (await initiatives.by_ids(conn, [initiative_id]))[initiative_id]


# --- routing -----------------------------------------------------------------------------------


def test_every_portfolio_event_has_a_route() -> None:
    assert {cls for _, cls in registry} == set(ROUTES)


async def test_an_event_without_a_route_is_refused(conn: AsyncConnection) -> None:
    class Stray(DomainEvent):
        pass

    with pytest.raises(LookupError, match=r"add it to pmo_portfolio\.projections\.ROUTES"):
        await project(conn, Stray(), 1)


# --- initiatives ---------------------------------------------------------------------------------


async def test_a_v1_proposal_is_upcast_and_a_move_names_its_portfolio(
    conn: AsyncConnection,
) -> None:
    iid, pid = new_id("i"), new_id("p")
    v1 = {
        "initiative_id": iid,
        "title": "Old idea",
        "hypothesis": "",
        "owner": "olga",
        "portfolio_id": None,
        "proposed_by": "ivy",
        "proposed_at": at(1).isoformat(),
    }
    await run(conn, registry.parse("pmo.portfolio.InitiativeProposed.v1", v1))
    first = await row(conn, iid)
    assert (first.portfolio_id, first.strategic_theme_ids, first.state) == (
        None,
        (),
        KanbanState.FUNNEL,
    )
    await run(conn, moved(iid, pid, KanbanState.FUNNEL, KanbanState.REVIEWING, 5), version=2)
    after = await row(conn, iid)
    assert (after.portfolio_id, after.state, after.version) == (pid, KanbanState.REVIEWING, 2)
    assert (after.state_entered_at, after.updated_at, after.proposed_at) == (at(5), at(5), at(1))


async def test_on_hold_remembers_where_to_resume(conn: AsyncConnection) -> None:
    iid, pid = new_id("i"), new_id("p")
    await run(
        conn,
        proposed(iid, pid),
        moved(iid, pid, KanbanState.FUNNEL, KanbanState.REVIEWING, 2),
        moved(iid, pid, KanbanState.REVIEWING, KanbanState.ON_HOLD, 3, reason="waiting for legal"),
    )
    held = await row(conn, iid)
    assert (held.state, held.previous_state, held.state_reason) == (
        KanbanState.ON_HOLD,
        KanbanState.REVIEWING,
        "waiting for legal",
    )
    assert held.state_entered_at == at(3)


async def test_details_themes_scores_and_case(conn: AsyncConnection) -> None:
    iid, pid = new_id("i"), new_id("p")
    score = {"business_value": 8, "time_criticality": 3, "risk_reduction": 2, "job_size": 5}
    await run(
        conn,
        proposed(iid, pid),
        e.InitiativeDetailsChanged(
            initiative_id=iid,
            title="Wallet v2",
            hypothesis="For everyone",
            owner="omar",
            changed_by="paula",
            changed_at=at(2),
        ),
        e.InitiativeThemesChanged(
            initiative_id=iid, strategic_theme_ids=["t2", "t3"], changed_by="p", changed_at=at(3)
        ),
        e.WsjfScored(
            initiative_id=iid,
            **score,
            cost_of_delay=13,
            wsjf=Decimal("2.60"),
            note="first",
            scored_by="sam",
            scored_at=at(4),
        ),
        e.WsjfScored(
            initiative_id=iid,
            **{**score, "job_size": 1},
            cost_of_delay=13,
            wsjf=Decimal("13.00"),
            note="smaller",
            scored_by="sam",
            scored_at=at(5),
        ),
        e.LeanBusinessCaseRecorded(
            initiative_id=iid,
            mvp_cost=Decimal("1250.50"),
            estimated_total_cost=Decimal("9000"),
            currency="EUR",
            expected_benefits="more",
            leading_indicators=["a"],
            recorded_by="carl",
            recorded_at=at(6),
        ),
    )
    found = await row(conn, iid)
    assert (found.title, found.owner, found.strategic_theme_ids) == (
        "Wallet v2",
        "omar",
        ("t2", "t3"),
    )
    assert (found.wsjf, found.cost_of_delay, found.job_size) == (Decimal("13.00"), 13, 1)
    assert (found.mvp_cost, found.estimated_total_cost) == (Decimal("1250.50"), Decimal(9000))
    assert (found.version, found.updated_at) == (6, at(6))
    history = (await initiatives.wsjf_histories(conn, [iid]))[iid]
    assert [(h.version, h.wsjf, h.note) for h in history] == [
        (4, Decimal("2.60"), "first"),
        (5, Decimal("13.00"), "smaller"),
    ]
    # The generated search document follows the title change.
    where = initiatives.InitiativeFilter(portfolio_id=pid, search="wallet ever")
    hits = await initiatives.page(
        conn, order=initiatives.InitiativeOrder.TITLE_ASC, where=where, after=None, limit=5
    )
    assert [hit.id for hit in hits] == [iid]


async def test_risk_exposure_counts_open_owned_and_accepted_risks(conn: AsyncConnection) -> None:
    iid = new_id("i")
    await run(conn, proposed(iid, None), risk(iid, "r1", 4, 5, 2), risk(iid, "r2", 1, 2, 3))
    assert (await row(conn, iid)).risk_exposure == 22
    exposures = []
    for version, status in enumerate(
        [RoamStatus.OWNED, RoamStatus.MITIGATED, RoamStatus.ACCEPTED, RoamStatus.RESOLVED], 4
    ):
        await run(conn, roamed(iid, "r1", status, version), version=version)
        exposures.append((await row(conn, iid)).risk_exposure)
    assert exposures == [22, 2, 22, 2]
    [r1, _] = (await initiatives.risks_of(conn, [iid]))[iid]
    assert (r1.status, r1.owner, r1.roamed_at, r1.open) == ("RESOLVED", "rita", at(7), False)


async def test_objectives_planned_then_delivered(conn: AsyncConnection) -> None:
    iid = new_id("i")
    await run(
        conn,
        proposed(iid, None),
        e.ObjectivePlanned(
            initiative_id=iid,
            objective_id="o1",
            description="cut churn",
            planned_business_value=8,
            planned_by="olga",
            planned_at=at(2),
        ),
        e.ObjectiveValueDelivered(
            initiative_id=iid,
            objective_id="o1",
            actual_business_value=6,
            recorded_by="olga",
            recorded_at=at(3),
        ),
    )
    [objective] = (await initiatives.objectives_of(conn, [iid]))[iid]
    assert (objective.planned_business_value, objective.actual_business_value) == (8, 6)
    assert (objective.delivered_by, objective.delivered_at) == ("olga", at(3))


# --- governance ----------------------------------------------------------------------------------


async def test_the_latest_decision_stands_for_commitments(conn: AsyncConnection) -> None:
    pid, one, two = new_id("p"), new_id("i"), new_id("i")
    await run(conn, *created(pid))
    await run(conn, proposed(one, pid), decided(one, DecisionKind.APPROVE, 2, 300))
    await run(conn, proposed(two, pid), decided(two, DecisionKind.APPROVE, 2, 200))
    assert await governance.committed(conn, pid, Q4) == Decimal(500)
    assert await governance.committed(conn, pid, "2027") == Decimal(0)
    assert await governance.committed(conn, pid, Q4, excluding_initiative=one) == Decimal(200)

    await run(conn, decided(one, DecisionKind.APPROVE, 3, 350), version=3)  # replaces 300
    assert await governance.committed(conn, pid, Q4) == Decimal(550)
    await run(conn, decided(one, DecisionKind.DEFER, 4), version=4)  # releases
    assert await governance.committed(conn, pid, Q4) == Decimal(200)
    assert (await row(conn, one)).last_decision is DecisionKind.DEFER
    await run(
        conn,
        moved(two, pid, KanbanState.FUNNEL, KanbanState.CANCELLED, 5, reason="no longer needed"),
        version=3,
    )
    assert await governance.committed(conn, pid, Q4) == Decimal(0)
    assert await governance.commitments_by_period(conn, pid) == {}


async def test_a_decision_without_portfolio_is_logged_under_its_initiatives(
    conn: AsyncConnection,
) -> None:
    pid, iid = new_id("p"), new_id("i")
    await run(conn, proposed(iid, pid), decided(iid, DecisionKind.REJECT, 2, portfolio_id=None))
    [decision] = await governance.decision_log(conn, portfolio_id=pid, after=None, limit=5)
    assert (decision.initiative_id, decision.kind, decision.committed_amount) == (
        iid,
        DecisionKind.REJECT,
        None,
    )


async def test_count_in_state(conn: AsyncConnection) -> None:
    pid = new_id("p")
    ids = [new_id("i") for _ in range(3)]
    for iid in ids:
        await run(conn, proposed(iid, pid))
    await run(conn, moved(ids[0], pid, KanbanState.FUNNEL, KanbanState.REVIEWING, 3), version=2)
    assert await governance.count_in_state(conn, pid, KanbanState.FUNNEL) == 2
    assert await governance.count_in_state(conn, pid, KanbanState.REVIEWING) == 1
    assert await governance.count_in_state(conn, new_id("p"), KanbanState.FUNNEL) == 0


async def test_an_override_is_logged_and_moves_its_streams_version(conn: AsyncConnection) -> None:
    pid, iid = new_id("p"), new_id("i")
    await run(conn, proposed(iid, pid))
    override = e.GuardrailOverridden(
        stream_id=iid,
        portfolio_id=pid,
        guardrail=Guardrail.WIP_LIMIT,
        violation="READY is full",
        reason="exec ask",
        overridden_by="pmo-lead",
        overridden_at=at(9),
    )
    await run(conn, override, version=2)
    [logged] = await governance.overrides_of(conn, pid)
    assert (logged.stream_id, logged.version, logged.guardrail) == (iid, 2, Guardrail.WIP_LIMIT)
    assert ((await row(conn, iid)).version, (await row(conn, iid)).updated_at) == (2, at(9))


# --- portfolios ----------------------------------------------------------------------------------


async def test_portfolio_budgets_and_wip_limits_replace_and_remove(conn: AsyncConnection) -> None:
    pid = new_id("p")

    def budget(amount: int, hours: float) -> DomainEvent:
        return e.PortfolioBudgetSet(
            portfolio_id=pid,
            period=Q4,
            amount=Decimal(amount),
            currency="EUR",
            set_by="p",
            set_at=at(hours),
        )

    def limit(value: int | None, hours: float) -> DomainEvent:
        return e.WipLimitSet(
            portfolio_id=pid, state=KanbanState.READY, limit=value, set_by="p", set_at=at(hours)
        )

    await run(conn, *created(pid), budget(100, 1), budget(250, 2), limit(3, 3))
    amounts = await conn.execute(
        sa.select(portfolio_budgets.c.amount).where(portfolio_budgets.c.portfolio_id == pid)
    )
    assert list(amounts.scalars()) == [Decimal(250)]
    limits = sa.select(portfolio_wip_limits.c.limit).where(
        portfolio_wip_limits.c.portfolio_id == pid
    )
    assert list((await conn.execute(limits)).scalars()) == [3]
    await run(conn, limit(None, 4), version=6)
    assert list((await conn.execute(limits)).scalars()) == []
    [portfolio] = (await portfolios.by_ids(conn, [pid])).values()
    assert (portfolio.version, portfolio.updated_at) == (6, at(4))
    assert portfolio.guardrails == (Guardrail.WIP_LIMIT, Guardrail.BUDGET)


async def test_lock_portfolio_serialises_guardrail_checks(engine: AsyncEngine) -> None:
    pid = new_id("p")
    async with engine.begin() as setup:
        await run(setup, *created(pid))
    try:
        async with engine.connect() as first, engine.connect() as second:
            await first.begin()
            assert await governance.lock_portfolio(first, pid) is True
            await second.begin()
            # Not waiting forever: the second command finds the row locked.
            await second.exec_driver_sql("SET LOCAL lock_timeout = '100ms'")
            with pytest.raises(DBAPIError, match="lock timeout"):
                await governance.lock_portfolio(second, pid)
            await second.rollback()
            await first.commit()
            await second.begin()
            assert await governance.lock_portfolio(second, pid) is True
            assert await governance.lock_portfolio(second, new_id("p")) is False
            await second.rollback()
    finally:
        async with engine.begin() as cleanup:
            await cleanup.execute(sa.delete(portfolio_table).where(portfolio_table.c.id == pid))


# --- rebuild -------------------------------------------------------------------------------------


def every_kind_of_event(
    pid: str, one: str, two: str, review: str
) -> list[tuple[str, str, list[DomainEvent]]]:
    """(stream id, stream type, events) covering every event type of the contract."""
    return [
        (
            pid,
            "Portfolio",
            [
                *created(pid),
                e.PortfolioDetailsChanged(
                    portfolio_id=pid,
                    name="Growth+",
                    description="d",
                    owner="pia",
                    changed_by="p",
                    changed_at=at(1),
                ),
                e.StrategicThemeAdded(
                    portfolio_id=pid,
                    theme_id="t1",
                    name="CX",
                    objective="NPS",
                    added_by="p",
                    added_at=at(1),
                ),
                e.StrategicThemeRetired(
                    portfolio_id=pid, theme_id="t1", reason="r", retired_by="p", retired_at=at(2)
                ),
                e.PortfolioBudgetSet(
                    portfolio_id=pid,
                    period=Q4,
                    amount=Decimal(900),
                    currency="EUR",
                    set_by="p",
                    set_at=at(1),
                ),
                e.WipLimitSet(
                    portfolio_id=pid, state=KanbanState.READY, limit=2, set_by="p", set_at=at(1)
                ),
            ],
        ),
        (
            review,
            "PortfolioReview",
            [
                e.PortfolioReviewScheduled(
                    review_id=review,
                    portfolio_id=pid,
                    title="Sync",
                    scheduled_for=at(30).date(),
                    attendees=["p"],
                    scheduled_by="p",
                    scheduled_at=at(2),
                )
            ],
        ),
        (
            one,
            "Initiative",
            [
                proposed(one, pid),
                e.InitiativeDetailsChanged(
                    initiative_id=one,
                    title="T",
                    hypothesis="H",
                    owner="o",
                    changed_by="p",
                    changed_at=at(2),
                ),
                e.InitiativeThemesChanged(
                    initiative_id=one, strategic_theme_ids=["t1"], changed_by="p", changed_at=at(2)
                ),
                moved(one, pid, KanbanState.FUNNEL, KanbanState.REVIEWING, 3),
                e.WsjfScored(
                    initiative_id=one,
                    business_value=5,
                    time_criticality=5,
                    risk_reduction=5,
                    job_size=3,
                    cost_of_delay=15,
                    wsjf=Decimal("5.00"),
                    note="",
                    scored_by="s",
                    scored_at=at(3),
                ),
                e.LeanBusinessCaseRecorded(
                    initiative_id=one,
                    mvp_cost=Decimal(10),
                    estimated_total_cost=Decimal(40),
                    currency="EUR",
                    expected_benefits="b",
                    leading_indicators=[],
                    recorded_by="c",
                    recorded_at=at(4),
                ),
                risk(one, "r1", 3, 3, 4),
                roamed(one, "r1", RoamStatus.OWNED, 5),
                e.ObjectivePlanned(
                    initiative_id=one,
                    objective_id="o1",
                    description="d",
                    planned_business_value=5,
                    planned_by="o",
                    planned_at=at(5),
                ),
                e.ObjectiveValueDelivered(
                    initiative_id=one,
                    objective_id="o1",
                    actual_business_value=4,
                    recorded_by="o",
                    recorded_at=at(6),
                ),
                decided(one, DecisionKind.APPROVE, 6, 40, pid),
                e.GuardrailOverridden(
                    stream_id=one,
                    portfolio_id=pid,
                    guardrail=Guardrail.WIP_LIMIT,
                    violation="v",
                    reason="r",
                    overridden_by="pmo",
                    overridden_at=at(7),
                ),
            ],
        ),
        (two, "Initiative", [proposed(two, pid)]),
        (
            f"graph-{pid}",
            "DependencyGraph",
            [
                e.DependencyDeclared(
                    initiative_id=one,
                    depends_on_id=two,
                    note="n",
                    declared_by="d",
                    declared_at=at(8),
                ),
                e.DependencyDeclared(
                    initiative_id=two,
                    depends_on_id=one,
                    note="n",
                    declared_by="d",
                    declared_at=at(8),
                ),
                e.DependencyRemoved(
                    initiative_id=two, depends_on_id=one, removed_by="d", removed_at=at(9)
                ),
            ],
        ),
        (
            review,
            "PortfolioReview",
            [
                e.PortfolioReviewConcluded(
                    review_id=review,
                    portfolio_id=pid,
                    summary="s",
                    concluded_by="p",
                    concluded_at=at(10),
                )
            ],
        ),
    ]


async def snapshot(engine: AsyncEngine) -> list[list[tuple[object, ...]]]:
    async with engine.connect() as conn:
        return [
            [tuple(r) for r in await conn.execute(sa.select(t).order_by(*t.primary_key))]
            for t in READ_MODELS
        ]


async def test_rebuild_gives_identical_read_models(
    engine: AsyncEngine, portfolio_settings: PortfolioSettings
) -> None:
    store = PostgresEventStore(engine, portfolio_settings.database_schema)
    pid, one, two, review = new_id("p"), new_id("i"), new_id("i"), new_id("r")
    streams = every_kind_of_event(pid, one, two, review)
    written = {type(event) for _, _, events in streams for event in events}
    assert written == set(ROUTES), "the rebuild test should cover every event type"
    for stream_id, stream_type, events in streams:
        version = await store.stream_version(stream_id)
        async with engine.begin() as conn:
            await run(conn, *events, version=version + 1)
            await store.append_in(conn, stream_id, stream_type, version, events)
    inline = await snapshot(engine)
    # Damage the read models: the rebuild must put every row back as it was.
    async with engine.begin() as conn:
        await conn.execute(sa.delete(portfolio_table).where(portfolio_table.c.id == pid))
        await conn.execute(
            sa.update(initiative_table).where(initiative_table.c.id == one).values(title="damaged")
        )
    assert await snapshot(engine) != inline

    applied = await rebuild_read_models(engine, portfolio_settings.database_schema, progress=False)
    assert applied == await store.head_position()
    assert await snapshot(engine) == inline
