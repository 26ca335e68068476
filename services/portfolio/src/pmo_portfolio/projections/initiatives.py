"""The `initiatives` read model (one row per initiative) and its details: WSJF history, risks and
objectives. Queried by the subgraph; written in the append's transaction (read-your-writes) and
rebuilt from the event store at any time (`pmo-portfolio rebuild-projections`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pmo_events.errors import InvalidInput
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from pmo_portfolio.domain.events import (
    DecisionKind,
    DecisionRecorded,
    InitiativeDetailsChanged,
    InitiativeMoved,
    InitiativeProposed,
    InitiativeThemesChanged,
    KanbanState,
    LeanBusinessCaseRecorded,
    ObjectivePlanned,
    ObjectiveValueDelivered,
    RiskRaised,
    RiskRoamed,
    WsjfScored,
)
from pmo_portfolio.projections.tables import (
    OPEN_RISK_STATUSES,
    initiative_wsjf_history,
    initiatives,
    objectives,
    risks,
)

__all__ = ["InitiativeFilter", "InitiativeOrder", "InitiativeRow", "initiatives"]

# Everything but the search document (a tsvector is for matching, not for reading).
COLUMNS = [column for column in initiatives.c if column.name != "search"]


@dataclass(frozen=True, slots=True)
class InitiativeRow:
    id: str
    title: str
    hypothesis: str
    owner: str
    portfolio_id: str | None
    state: KanbanState
    proposed_by: str
    proposed_at: datetime
    updated_at: datetime
    version: int
    strategic_theme_ids: tuple[str, ...]
    state_entered_at: datetime
    previous_state: KanbanState | None
    state_reason: str | None
    business_value: int | None
    time_criticality: int | None
    risk_reduction: int | None
    job_size: int | None
    cost_of_delay: int | None
    wsjf: Decimal | None
    wsjf_scored_at: datetime | None
    mvp_cost: Decimal | None
    estimated_total_cost: Decimal | None
    currency: str | None
    expected_benefits: str | None
    leading_indicators: tuple[str, ...] | None
    business_case_recorded_by: str | None
    business_case_recorded_at: datetime | None
    last_decision: DecisionKind | None
    last_decision_at: datetime | None
    approved_period: str | None
    committed_amount: Decimal | None
    committed_currency: str | None
    risk_exposure: int

    def days_in_state(self, now: datetime) -> float:
        return max((now - self.state_entered_at).total_seconds(), 0.0) / 86400


def row_of(row: sa.Row[Any]) -> InitiativeRow:
    values = dict(row._mapping)
    previous, decision = values["previous_state"], values["last_decision"]
    indicators = values["leading_indicators"]
    values.update(
        state=KanbanState(values["state"]),
        previous_state=KanbanState(previous) if previous else None,
        last_decision=DecisionKind(decision) if decision else None,
        strategic_theme_ids=tuple(values["strategic_theme_ids"]),
        leading_indicators=tuple(indicators) if indicators is not None else None,
    )
    return InitiativeRow(**{field.name: values[field.name] for field in fields(InitiativeRow)})


# --- sorting and filtering ---------------------------------------------------------------------


class InitiativeOrder(StrEnum):
    """Sort orders of initiative lists. Ties are broken by id, in the same direction.

    AGE_DESC lists the oldest (earliest proposed) first, AGE_ASC the newest first. WSJF and cost
    of delay put unscored initiatives last. LAST_CHANGE is the time of the latest event of the
    initiative's own stream.
    """

    PROPOSED_AT_ASC = "PROPOSED_AT_ASC"
    PROPOSED_AT_DESC = "PROPOSED_AT_DESC"
    TITLE_ASC = "TITLE_ASC"
    TITLE_DESC = "TITLE_DESC"
    WSJF_DESC = "WSJF_DESC"
    COST_OF_DELAY_DESC = "COST_OF_DELAY_DESC"
    AGE_DESC = "AGE_DESC"
    AGE_ASC = "AGE_ASC"
    LAST_CHANGE_DESC = "LAST_CHANGE_DESC"

    @property
    def column(self) -> sa.Column[Any]:
        return initiatives.c[_SORTS[self][0]]

    @property
    def descending(self) -> bool:
        return _SORTS[self][1]

    @property
    def nullable(self) -> bool:
        return bool(self.column.nullable)

    def key(self, row: InitiativeRow) -> str | int | None:
        """The row's sort key as cursor JSON (the id is the tie-breaker)."""
        value = getattr(row, self.column.name)
        if value is None or isinstance(value, str | int):
            return value
        if isinstance(value, datetime):
            return value.isoformat()
        return str(value)  # Decimal: exact as text

    def parse_key(self, value: object) -> object:
        """A cursor's sort key back as a column value; BAD_USER_INPUT if it does not fit."""
        try:
            if value is None and self.nullable:
                return None
            python_type = self.column.type.python_type
            if python_type is datetime and isinstance(value, str):
                return datetime.fromisoformat(value)
            if python_type is Decimal and isinstance(value, str):
                return Decimal(value)
            if python_type is int and isinstance(value, int) and not isinstance(value, bool):
                return value
            if python_type is str and isinstance(value, str):
                return value
        except (ValueError, InvalidOperation):
            pass
        raise InvalidInput(
            f"the cursor does not belong to a list sorted by {self.value}: pass the endCursor "
            "of a previous page with the same orderBy"
        )


# order -> (column, descending)
_SORTS: dict[InitiativeOrder, tuple[str, bool]] = {
    InitiativeOrder.PROPOSED_AT_ASC: ("proposed_at", False),
    InitiativeOrder.PROPOSED_AT_DESC: ("proposed_at", True),
    InitiativeOrder.TITLE_ASC: ("title", False),
    InitiativeOrder.TITLE_DESC: ("title", True),
    InitiativeOrder.WSJF_DESC: ("wsjf", True),
    InitiativeOrder.COST_OF_DELAY_DESC: ("cost_of_delay", True),
    InitiativeOrder.AGE_DESC: ("proposed_at", False),
    InitiativeOrder.AGE_ASC: ("proposed_at", True),
    InitiativeOrder.LAST_CHANGE_DESC: ("updated_at", True),
}


@dataclass(frozen=True, slots=True)
class InitiativeFilter:
    states: Sequence[KanbanState] | None = None
    owner: str | None = None
    portfolio_id: str | None = None
    theme_id: str | None = None
    title_contains: str | None = None
    search: str | None = None


_WORD = re.compile(r"\w+", re.UNICODE)


def search_query(text: str) -> str | None:
    """A prefix tsquery matching every word of ``text`` ("self-serv onb" finds
    "Self-service onboarding"); None when the text has no word. Words are \\w+ only, so the
    user's text can never inject tsquery syntax."""
    words = _WORD.findall(text.lower())
    return " & ".join(f"{word}:*" for word in words) if words else None


def _filtered(query: sa.Select[Any], where: InitiativeFilter) -> sa.Select[Any]:
    c = initiatives.c
    if where.states:
        query = query.where(c.state.in_([state.value for state in where.states]))
    if where.owner is not None:
        query = query.where(c.owner == where.owner)
    if where.portfolio_id is not None:
        query = query.where(c.portfolio_id == where.portfolio_id)
    if where.theme_id is not None:
        query = query.where(c.strategic_theme_ids.contains([where.theme_id]))
    if where.title_contains:
        escaped = where.title_contains.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(c.title.ilike(f"%{escaped}%", escape="\\"))
    if where.search is not None:
        tsquery = search_query(where.search)
        if tsquery is None:
            raise InvalidInput("search needs at least one word (letters or digits)")
        query = query.where(c.search.op("@@")(sa.func.to_tsquery("simple", tsquery)))
    return query


def _after(order: InitiativeOrder, key: object, last_id: str) -> sa.ColumnElement[bool]:
    """Rows strictly after (key, last_id) in ``order``; nullable keys sort last.

    A row-value comparison is NULL (so false) whenever a key is NULL, hence the explicit cases:
    after a non-null key come the smaller keys, the equal keys with a further id, and every NULL;
    after a NULL key only the NULLs with a further id.
    """
    column, tie = order.column, initiatives.c.id
    further_id = tie < last_id if order.descending else tie > last_id
    if key is None:
        return sa.and_(column.is_(None), further_id)
    bound = sa.literal(key, column.type)
    if not order.nullable:
        position = sa.tuple_(column, tie)
        edge = sa.tuple_(bound, sa.literal(last_id))
        return position < edge if order.descending else position > edge
    further_key = column < bound if order.descending else column > bound
    return sa.or_(further_key, sa.and_(column == bound, further_id), column.is_(None))


async def page(
    conn: AsyncConnection,
    *,
    order: InitiativeOrder,
    where: InitiativeFilter,
    after: tuple[object, str] | None,
    limit: int,
) -> list[InitiativeRow]:
    """Keyset pagination on (sort key, id): stable while initiatives are added or change.

    ``after`` is the decoded cursor (sort key as cursor JSON, id)."""
    column, tie = order.column, initiatives.c.id
    query = _filtered(sa.select(*COLUMNS), where)
    if after is not None:
        query = query.where(_after(order, order.parse_key(after[0]), after[1]))
    if order.descending:
        query = query.order_by(column.desc().nulls_last(), tie.desc())
    else:
        query = query.order_by(column.asc().nulls_last(), tie.asc())
    rows = await conn.execute(query.limit(limit))
    return [row_of(row) for row in rows]


# Built once: a statement built per call costs more Python than its execution (34 columns to
# construct and to walk for SQLAlchemy's cache key); a module-level one memoises its cache key.
_BY_IDS = sa.select(*COLUMNS).where(initiatives.c.id.in_(sa.bindparam("ids", expanding=True)))


async def by_ids(conn: AsyncConnection, ids: Sequence[str]) -> dict[str, InitiativeRow]:
    rows = await conn.execute(_BY_IDS, {"ids": list(ids)})
    return {row.id: row_of(row) for row in rows}


async def in_portfolio(
    conn: AsyncConnection, portfolio_id: str, states: Sequence[KanbanState] | None = None
) -> list[InitiativeRow]:
    """A portfolio's initiatives (optionally in ``states``), best WSJF first."""
    query = _filtered(
        sa.select(*COLUMNS), InitiativeFilter(portfolio_id=portfolio_id, states=states)
    )
    query = query.order_by(initiatives.c.wsjf.desc().nulls_last(), initiatives.c.id)
    return [row_of(row) for row in await conn.execute(query)]


# --- details ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WsjfRow:
    initiative_id: str
    version: int
    business_value: int
    time_criticality: int
    risk_reduction: int
    job_size: int
    cost_of_delay: int
    wsjf: Decimal
    note: str
    scored_by: str
    scored_at: datetime


@dataclass(frozen=True, slots=True)
class RiskRow:
    initiative_id: str
    risk_id: str
    title: str
    description: str
    probability: int
    impact: int
    status: str
    owner: str | None
    notes: str | None
    raised_by: str
    raised_at: datetime
    roamed_by: str | None
    roamed_at: datetime | None

    @property
    def exposure(self) -> int:
        return self.probability * self.impact

    @property
    def open(self) -> bool:
        return self.status in OPEN_RISK_STATUSES


@dataclass(frozen=True, slots=True)
class ObjectiveRow:
    initiative_id: str
    objective_id: str
    description: str
    planned_business_value: int
    actual_business_value: int | None
    planned_by: str
    planned_at: datetime
    delivered_by: str | None
    delivered_at: datetime | None


async def wsjf_histories(
    conn: AsyncConnection, initiative_ids: Sequence[str]
) -> dict[str, list[WsjfRow]]:
    """Each initiative's scores, oldest first (the last one is its current score)."""
    table = initiative_wsjf_history
    rows = await conn.execute(
        sa.select(table)
        .where(table.c.initiative_id.in_(list(initiative_ids)))
        .order_by(table.c.initiative_id, table.c.version)
    )
    found: dict[str, list[WsjfRow]] = {}
    for row in rows:
        found.setdefault(row.initiative_id, []).append(WsjfRow(**row._mapping))
    return found


async def risks_of(
    conn: AsyncConnection, initiative_ids: Sequence[str]
) -> dict[str, list[RiskRow]]:
    """Each initiative's risks, in the order they were raised."""
    rows = await conn.execute(
        sa.select(risks)
        .where(risks.c.initiative_id.in_(list(initiative_ids)))
        .order_by(risks.c.initiative_id, risks.c.raised_at, risks.c.risk_id)
    )
    found: dict[str, list[RiskRow]] = {}
    for row in rows:
        found.setdefault(row.initiative_id, []).append(RiskRow(**row._mapping))
    return found


async def objectives_of(
    conn: AsyncConnection, initiative_ids: Sequence[str]
) -> dict[str, list[ObjectiveRow]]:
    rows = await conn.execute(
        sa.select(objectives)
        .where(objectives.c.initiative_id.in_(list(initiative_ids)))
        .order_by(objectives.c.initiative_id, objectives.c.planned_at, objectives.c.objective_id)
    )
    found: dict[str, list[ObjectiveRow]] = {}
    for row in rows:
        found.setdefault(row.initiative_id, []).append(ObjectiveRow(**row._mapping))
    return found


async def risk_register(
    conn: AsyncConnection, portfolio_id: str, *, open_only: bool
) -> list[RiskRow]:
    """A portfolio's risks, highest exposure (probability * impact) first."""
    query = (
        sa.select(risks)
        .join(initiatives, initiatives.c.id == risks.c.initiative_id)
        .where(initiatives.c.portfolio_id == portfolio_id)
    )
    if open_only:
        query = query.where(risks.c.status.in_(OPEN_RISK_STATUSES))
    query = query.order_by(
        (risks.c.probability * risks.c.impact).desc(), risks.c.raised_at, risks.c.risk_id
    )
    return [RiskRow(**row._mapping) for row in await conn.execute(query)]


async def heat_map(conn: AsyncConnection, portfolio_id: str) -> dict[tuple[int, int], int]:
    """Open risks of a portfolio's initiatives counted per (probability, impact)."""
    rows = await conn.execute(
        sa.select(risks.c.probability, risks.c.impact, sa.func.count())
        .join(initiatives, initiatives.c.id == risks.c.initiative_id)
        .where(
            initiatives.c.portfolio_id == portfolio_id,
            risks.c.status.in_(OPEN_RISK_STATUSES),
        )
        .group_by(risks.c.probability, risks.c.impact)
    )
    return {(probability, impact): count for probability, impact, count in rows}


# --- projection ------------------------------------------------------------------------------


def _touch(initiative_id: str, at: datetime, version: int) -> sa.Update:
    """An update of the initiative's row that also records the event as its last change."""
    return (
        sa.update(initiatives)
        .where(initiatives.c.id == initiative_id)
        .values(updated_at=at, version=version)
    )


# Built once (see _BY_IDS); the VALUES come from the parameters, one per column given.
_INSERT_PROPOSED = insert(initiatives).on_conflict_do_nothing(index_elements=[initiatives.c.id])


async def proposed(conn: AsyncConnection, event: InitiativeProposed, version: int) -> None:
    await conn.execute(
        _INSERT_PROPOSED,
        {
            "id": event.initiative_id,
            "title": event.title,
            "hypothesis": event.hypothesis,
            "owner": event.owner,
            "portfolio_id": event.portfolio_id,
            "strategic_theme_ids": list(event.strategic_theme_ids),
            "state": KanbanState.FUNNEL.value,
            "state_entered_at": event.proposed_at,
            "proposed_by": event.proposed_by,
            "proposed_at": event.proposed_at,
            "updated_at": event.proposed_at,
            "version": version,
        },
    )


async def details_changed(
    conn: AsyncConnection, event: InitiativeDetailsChanged, version: int
) -> None:
    await conn.execute(
        _touch(event.initiative_id, event.changed_at, version).values(
            title=event.title, hypothesis=event.hypothesis, owner=event.owner
        )
    )


async def themes_changed(
    conn: AsyncConnection, event: InitiativeThemesChanged, version: int
) -> None:
    await conn.execute(
        _touch(event.initiative_id, event.changed_at, version).values(
            strategic_theme_ids=list(event.strategic_theme_ids)
        )
    )


async def moved(conn: AsyncConnection, event: InitiativeMoved, version: int) -> None:
    values: dict[str, Any] = {
        "state": event.to_state.value,
        "previous_state": event.from_state.value,
        "state_reason": event.reason,
        "state_entered_at": event.moved_at,
        # v1 initiatives may have had no portfolio; a move names the one it happens in.
        "portfolio_id": sa.func.coalesce(initiatives.c.portfolio_id, event.portfolio_id),
    }
    if event.to_state is KanbanState.CANCELLED:
        # Cancelled work no longer draws on the budget: its commitment is released.
        values.update(approved_period=None, committed_amount=None, committed_currency=None)
    await conn.execute(_touch(event.initiative_id, event.moved_at, version).values(**values))


async def wsjf_scored(conn: AsyncConnection, event: WsjfScored, version: int) -> None:
    score = {
        "business_value": event.business_value,
        "time_criticality": event.time_criticality,
        "risk_reduction": event.risk_reduction,
        "job_size": event.job_size,
        "cost_of_delay": event.cost_of_delay,
        "wsjf": event.wsjf,
    }
    await conn.execute(
        _touch(event.initiative_id, event.scored_at, version).values(
            **score, wsjf_scored_at=event.scored_at
        )
    )
    await conn.execute(
        insert(initiative_wsjf_history)
        .values(
            initiative_id=event.initiative_id,
            version=version,
            **score,
            note=event.note,
            scored_by=event.scored_by,
            scored_at=event.scored_at,
        )
        .on_conflict_do_nothing()
    )


async def business_case_recorded(
    conn: AsyncConnection, event: LeanBusinessCaseRecorded, version: int
) -> None:
    await conn.execute(
        _touch(event.initiative_id, event.recorded_at, version).values(
            mvp_cost=event.mvp_cost,
            estimated_total_cost=event.estimated_total_cost,
            currency=event.currency,
            expected_benefits=event.expected_benefits,
            leading_indicators=list(event.leading_indicators),
            business_case_recorded_by=event.recorded_by,
            business_case_recorded_at=event.recorded_at,
        )
    )


async def decision_recorded(conn: AsyncConnection, event: DecisionRecorded, version: int) -> None:
    """The latest decision stands: an approval commits its amount for its period; a later
    rejection, deferral or cancellation releases it (so does moving to CANCELLED)."""
    values: dict[str, Any] = {
        "last_decision": event.decision.value,
        "last_decision_at": event.decided_at,
        "portfolio_id": sa.func.coalesce(initiatives.c.portfolio_id, event.portfolio_id),
        "approved_period": None,
        "committed_amount": None,
        "committed_currency": None,
    }
    if event.decision is DecisionKind.APPROVE and event.committed_amount is not None:
        values.update(
            approved_period=event.period,
            committed_amount=event.committed_amount,
            committed_currency=event.currency,
        )
    await conn.execute(_touch(event.initiative_id, event.decided_at, version).values(**values))


async def _refresh_exposure(conn: AsyncConnection, initiative_id: str) -> None:
    exposure = (
        sa.select(sa.func.coalesce(sa.func.sum(risks.c.probability * risks.c.impact), 0))
        .where(
            risks.c.initiative_id == initiative_id,
            risks.c.status.in_(OPEN_RISK_STATUSES),
        )
        .scalar_subquery()
    )
    await conn.execute(
        sa.update(initiatives)
        .where(initiatives.c.id == initiative_id)
        .values(risk_exposure=exposure)
    )


async def risk_raised(conn: AsyncConnection, event: RiskRaised, version: int) -> None:
    await conn.execute(
        insert(risks)
        .values(
            initiative_id=event.initiative_id,
            risk_id=event.risk_id,
            title=event.title,
            description=event.description,
            probability=event.probability,
            impact=event.impact,
            status="OPEN",
            raised_by=event.raised_by,
            raised_at=event.raised_at,
        )
        .on_conflict_do_nothing()
    )
    await conn.execute(_touch(event.initiative_id, event.raised_at, version))
    await _refresh_exposure(conn, event.initiative_id)


async def risk_roamed(conn: AsyncConnection, event: RiskRoamed, version: int) -> None:
    await conn.execute(
        sa.update(risks)
        .where(risks.c.initiative_id == event.initiative_id, risks.c.risk_id == event.risk_id)
        .values(
            status=event.status.value,
            owner=event.owner,
            notes=event.notes,
            roamed_by=event.roamed_by,
            roamed_at=event.roamed_at,
        )
    )
    await conn.execute(_touch(event.initiative_id, event.roamed_at, version))
    await _refresh_exposure(conn, event.initiative_id)


async def objective_planned(conn: AsyncConnection, event: ObjectivePlanned, version: int) -> None:
    planned = {
        "description": event.description,
        "planned_business_value": event.planned_business_value,
        "planned_by": event.planned_by,
        "planned_at": event.planned_at,
    }
    await conn.execute(
        insert(objectives)
        .values(initiative_id=event.initiative_id, objective_id=event.objective_id, **planned)
        .on_conflict_do_update(index_elements=["initiative_id", "objective_id"], set_=planned)
    )
    await conn.execute(_touch(event.initiative_id, event.planned_at, version))


async def objective_delivered(
    conn: AsyncConnection, event: ObjectiveValueDelivered, version: int
) -> None:
    await conn.execute(
        sa.update(objectives)
        .where(
            objectives.c.initiative_id == event.initiative_id,
            objectives.c.objective_id == event.objective_id,
        )
        .values(
            actual_business_value=event.actual_business_value,
            delivered_by=event.recorded_by,
            delivered_at=event.recorded_at,
        )
    )
    await conn.execute(_touch(event.initiative_id, event.recorded_at, version))


async def touched(conn: AsyncConnection, stream_id: str, at: datetime, version: int) -> None:
    """An event of the initiative's stream that changes no other column (e.g. an override)."""
    await conn.execute(_touch(stream_id, at, version))
