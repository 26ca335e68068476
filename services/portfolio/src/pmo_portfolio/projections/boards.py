"""Portfolio-wide views computed from the read models: the kanban board and the candidates that
prioritisation (backlog, what-if, recommendations) ranks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from pmo_events.errors import InvalidInput, NotFound
from sqlalchemy.ext.asyncio import AsyncConnection

from pmo_portfolio.domain import validation as check
from pmo_portfolio.domain.events import KanbanState
from pmo_portfolio.domain.portfolio import WIP_LIMIT_MAX
from pmo_portfolio.domain.prioritisation import (
    Candidate,
    FundedItem,
    Recommendation,
    check_scale,
    funding_line,
    rank,
    recommend,
    wsjf_of,
)
from pmo_portfolio.projections import dependencies, governance, portfolios
from pmo_portfolio.projections.initiatives import (
    COLUMNS,
    InitiativeRow,
    by_ids,
    in_portfolio,
    row_of,
)
from pmo_portfolio.projections.tables import initiatives

SECONDS_PER_DAY = 86400
# As the what-if input names them.
WSJF_INPUTS = ("businessValue", "timeCriticality", "riskReduction", "jobSize")
CLOSED_STATES = frozenset({KanbanState.DONE, KanbanState.CANCELLED})


@dataclass(frozen=True, slots=True)
class ColumnStats:
    state: KanbanState
    count: int
    average_days_in_state: float | None
    oldest_days_in_state: float | None


async def kanban(
    conn: AsyncConnection, portfolio_id: str, *, per_state: int, now: datetime
) -> tuple[dict[KanbanState, ColumnStats], dict[KanbanState, list[InitiativeRow]]]:
    """Per state: count and time in state of the portfolio's initiatives, and the first
    ``per_state`` of them (best WSJF first, then the longest in the state)."""
    c = initiatives.c
    seconds = sa.func.extract(
        "epoch", sa.literal(now, c.state_entered_at.type) - c.state_entered_at
    )
    stats = await conn.execute(
        sa.select(c.state, sa.func.count(), sa.func.avg(seconds), sa.func.max(seconds))
        .where(c.portfolio_id == portfolio_id)
        .group_by(c.state)
    )
    by_state: dict[KanbanState, ColumnStats] = {}
    for state, count, average, oldest in stats:
        by_state[KanbanState(state)] = ColumnStats(
            state=KanbanState(state),
            count=count,
            average_days_in_state=max(float(average), 0.0) / SECONDS_PER_DAY,
            oldest_days_in_state=max(float(oldest), 0.0) / SECONDS_PER_DAY,
        )
    position = (
        sa.func.row_number()
        .over(
            partition_by=c.state,
            order_by=(c.wsjf.desc().nulls_last(), c.state_entered_at, c.id),
        )
        .label("position")
    )
    ranked = sa.select(*COLUMNS, position).where(c.portfolio_id == portfolio_id).subquery()
    rows = await conn.execute(
        sa.select(*[ranked.c[column.name] for column in COLUMNS])
        .where(ranked.c.position <= per_state)
        .order_by(ranked.c.state, ranked.c.position)
    )
    cards: dict[KanbanState, list[InitiativeRow]] = {}
    for row in rows:
        card = row_of(row)
        cards.setdefault(card.state, []).append(card)
    return by_state, cards


def candidate_of(
    row: InitiativeRow, *, now: datetime, blocked: bool, estimated_cost: Decimal | None = None
) -> Candidate:
    return Candidate(
        initiative_id=row.id,
        title=row.title,
        state=row.state,
        wsjf=row.wsjf,
        cost_of_delay=row.cost_of_delay,
        job_size=row.job_size,
        estimated_cost=estimated_cost if estimated_cost is not None else row.estimated_total_cost,
        risk_exposure=row.risk_exposure,
        days_in_state=row.days_in_state(now),
        # Spend is reported by the resources context (issue 5); until it exists no initiative
        # can be over its business case.
        over_business_case=False,
        blocked=blocked,
    )


async def candidates(
    conn: AsyncConnection,
    portfolio_id: str,
    *,
    states: Sequence[KanbanState],
    now: datetime,
) -> tuple[list[InitiativeRow], list[Candidate]]:
    """The portfolio's initiatives in ``states`` and their prioritisation snapshots."""
    rows = await in_portfolio(conn, portfolio_id, states)
    blocked = await dependencies.blocked_among(conn, [row.id for row in rows])
    return rows, [candidate_of(row, now=now, blocked=row.id in blocked) for row in rows]


# --- prioritisation: backlog, recommendations, what-if -----------------------------------------


@dataclass(frozen=True, slots=True)
class Scenario:
    """Changes a what-if applies on top of the read models (nothing is written).

    ``scores``: initiative id -> (business value, time criticality, risk reduction, job size);
    ``budget``: the period's budget amount instead of the one set; ``wip_limits``: per state,
    a limit instead of the one set (None: no limit).
    """

    scores: Mapping[str, tuple[int, int, int, int]] = field(default_factory=dict)
    budget: Decimal | None = None
    wip_limits: Mapping[KanbanState, int | None] = field(default_factory=dict)


NO_CHANGE = Scenario()


@dataclass(frozen=True, slots=True)
class Backlog:
    """The READY initiatives ranked, with the funding line against the period's budget.

    ``remaining_budget`` = budget - what initiatives *outside* the backlog commit to the period:
    the backlog's own initiatives were approved before they became READY, and counting their
    commitments again would fund each of them twice. None when no budget is set.
    """

    period: str
    budget: Decimal | None
    currency: str | None
    committed_elsewhere: Decimal
    remaining_budget: Decimal | None
    items: list[FundedItem]
    rows: dict[str, InitiativeRow]


async def backlog(
    conn: AsyncConnection,
    portfolio_id: str,
    period: str,
    *,
    now: datetime,
    scenario: Scenario = NO_CHANGE,
) -> Backlog:
    check.period("period", period)
    rows = await in_portfolio(conn, portfolio_id, [KanbanState.READY])
    _check_scenario(scenario, {row.id for row in rows})
    blocked = await dependencies.blocked_among(conn, [row.id for row in rows])
    set_budget = await portfolios.budget(conn, portfolio_id, period)
    amount = (
        scenario.budget
        if scenario.budget is not None
        else (set_budget.amount if set_budget else None)
    )
    elsewhere = await governance.committed_excluding_states(
        conn, portfolio_id, period, [KanbanState.READY]
    )
    remaining = amount - elsewhere if amount is not None else None
    ranked = rank(
        _rescored(
            candidate_of(
                row,
                now=now,
                blocked=row.id in blocked,
                # An approval for this period commits a figure: that is what it will cost.
                estimated_cost=row.committed_amount if row.approved_period == period else None,
            ),
            scenario,
        )
        for row in rows
    )
    return Backlog(
        period=period,
        budget=amount,
        currency=set_budget.currency if set_budget else None,
        committed_elsewhere=elsewhere,
        remaining_budget=remaining,
        items=funding_line(ranked, remaining),
        rows={row.id: row for row in rows},
    )


async def recommendations(
    conn: AsyncConnection,
    portfolio_id: str,
    period: str,
    *,
    now: datetime,
    scenario: Scenario = NO_CHANGE,
) -> tuple[list[Recommendation], dict[str, InitiativeRow]]:
    """What to pull, hold and stop at the next review (READY ones against the backlog's
    remaining budget and the IMPLEMENTING WIP limit; open ones for stalls and risk)."""
    ranked = await backlog(conn, portfolio_id, period, now=now, scenario=scenario)
    open_states = [state for state in KanbanState if state not in CLOSED_STATES]
    others = [state for state in open_states if state is not KanbanState.READY]
    rows, in_flight = await candidates(conn, portfolio_id, states=others, now=now)
    limits: dict[KanbanState, int | None] = dict(await portfolios.wip_limits(conn, portfolio_id))
    limits.update(scenario.wip_limits)
    found = recommend(
        [item.candidate for item in ranked.items] + in_flight,
        remaining_budget=ranked.remaining_budget,
        wip_limit_implementing=limits.get(KanbanState.IMPLEMENTING),
        implementing_count=await governance.count_in_state(
            conn, portfolio_id, KanbanState.IMPLEMENTING
        ),
        # Capacity comes from the resources context (issue 5): None ignores it until then.
        capacity_available=None,
        currency=ranked.currency,
    )
    return found, {**ranked.rows, **{row.id: row for row in rows}}


async def check_known(conn: AsyncConnection, initiative_ids: Sequence[str]) -> None:
    """NOT_FOUND naming the first of ``initiative_ids`` that is no initiative at all."""
    found = await by_ids(conn, initiative_ids)
    for initiative_id in initiative_ids:
        if initiative_id not in found:
            raise NotFound(f"no initiative has the id {initiative_id!r}")


def _check_scenario(scenario: Scenario, backlog_ids: set[str]) -> None:
    for initiative_id, inputs in scenario.scores.items():
        if initiative_id not in backlog_ids:
            raise InvalidInput(
                f"initiative {initiative_id!r} is not READY in this portfolio: a what-if "
                "rescores only the initiatives of its backlog"
            )
        for name, value in zip(WSJF_INPUTS, inputs, strict=True):
            check_scale(f"{name} of initiative {initiative_id!r}", value)
    if scenario.budget is not None:
        check.money("budget", scenario.budget)
    for state, limit in scenario.wip_limits.items():
        if limit is not None:
            check.integer(f"WIP limit of {state.value}", limit, low=0, high=WIP_LIMIT_MAX)


def _rescored(candidate: Candidate, scenario: Scenario) -> Candidate:
    inputs = scenario.scores.get(candidate.initiative_id)
    if inputs is None:
        return candidate
    cost_of_delay, wsjf = wsjf_of(*inputs)
    return replace(candidate, wsjf=wsjf, cost_of_delay=cost_of_delay, job_size=inputs[3])
