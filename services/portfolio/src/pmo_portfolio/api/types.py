"""GraphQL types of the portfolio subgraph. Everything is read from the read models
(pmo_portfolio.projections), except an initiative's `history`, which is its event stream.

Missing things: a root look-up by id answers null; a list scoped by an id that does not exist
(`decisionLog(portfolioId:)`) and a what-if naming an unknown initiative answer NOT_FOUND; a
non-null reference whose row is missing (a read model behind its events) is NOT_FOUND too, with
the fix (rebuild the read models) in the message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Self, TypeVar

import strawberry
from pmo_events.errors import InvalidInput, NotFound
from pmo_events.postgres import PostgresEventStore
from pmo_events.registry import parse_type_name
from pmo_events.store import StoredEvent
from pmo_service.graphql import (
    Connection,
    context_of,
    decode_cursor,
    encode_cursor,
    page_size,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from strawberry.dataloader import DataLoader
from strawberry.scalars import JSON
from strawberry.types import Info

from pmo_portfolio.api.deps import read_initiatives, runtime
from pmo_portfolio.domain.events import DecisionKind as DomainDecisionKind
from pmo_portfolio.domain.events import Guardrail as DomainGuardrail
from pmo_portfolio.domain.events import KanbanState, registry
from pmo_portfolio.domain.prioritisation import FundedItem
from pmo_portfolio.domain.prioritisation import Recommendation as DomainRecommendation
from pmo_portfolio.projections import boards, dependencies, governance, portfolios
from pmo_portfolio.projections import initiatives as initiative_model
from pmo_portfolio.projections.dependencies import DependencyRow
from pmo_portfolio.projections.governance import DecisionRow, OverrideRow, ReviewRow
from pmo_portfolio.projections.initiatives import InitiativeOrder as DomainOrder
from pmo_portfolio.projections.initiatives import (
    InitiativeRow,
    ObjectiveRow,
    RiskRow,
    WsjfRow,
)
from pmo_portfolio.projections.portfolios import BudgetRow, PortfolioRow, ThemeRow

InitiativeState = strawberry.enum(
    KanbanState, name="InitiativeState", description="Where an initiative stands on the kanban."
)
InitiativeOrder = strawberry.enum(
    DomainOrder,
    name="InitiativeOrder",
    description=(
        "Sort order of an initiative list. AGE_DESC: oldest first; AGE_ASC: newest first; "
        "WSJF and cost of delay: unscored initiatives last; LAST_CHANGE: its latest event."
    ),
)
Guardrail = strawberry.enum(
    DomainGuardrail, name="Guardrail", description="A governance rule the portfolio enforces."
)
DecisionKind = strawberry.enum(
    DomainDecisionKind, name="DecisionKind", description="What a governance decision decided."
)


@strawberry.enum(description="A risk's status: OPEN until ROAMed, then how it was dealt with.")
class RiskStatus(StrEnum):
    OPEN = "OPEN"
    RESOLVED = "RESOLVED"
    OWNED = "OWNED"
    ACCEPTED = "ACCEPTED"
    MITIGATED = "MITIGATED"


@strawberry.enum(description="SCHEDULED until the review is concluded.")
class ReviewStatus(StrEnum):
    SCHEDULED = "SCHEDULED"
    CONCLUDED = "CONCLUDED"


@strawberry.enum(description="What a recommendation suggests for the next portfolio review.")
class RecommendationAction(StrEnum):
    PULL = "PULL"
    HOLD = "HOLD"
    STOP = "STOP"


# --- per-request batching --------------------------------------------------------------------

K = TypeVar("K")
V = TypeVar("V")


def batched(
    info: Info[Any, Any],
    name: str,
    fetch: Callable[[AsyncConnection, list[K]], Awaitable[Mapping[K, V]]],
) -> DataLoader[K, V | None]:
    """A request-wide DataLoader over ``fetch`` (one query per batch of keys)."""
    engine = runtime(info).engine

    async def load(keys: list[K]) -> Sequence[V | None]:
        async with engine.connect() as conn:
            found = await fetch(conn, keys)
        return [found.get(key) for key in keys]

    return context_of(info).loader(name, load)


async def load_initiative(info: Info[Any, Any], initiative_id: str) -> InitiativeRow | None:
    row: InitiativeRow | None = (
        await context_of(info).loader("initiatives", read_initiatives(info)).load(initiative_id)
    )
    return row


async def require_initiative(info: Info[Any, Any], initiative_id: str) -> Initiative:
    row = await load_initiative(info, initiative_id)
    if row is None:
        raise NotFound(
            f"initiative {initiative_id!r} is referenced but missing from the read model: "
            "run `pmo-portfolio rebuild-projections`"
        )
    return Initiative.from_row(row)


def _now() -> datetime:
    return datetime.now(UTC)


def _days(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None


# --- small value types -------------------------------------------------------------------------


@strawberry.type(description="A strategic theme of a portfolio and its measurable objective.")
class StrategicTheme:
    id: strawberry.ID
    portfolio_id: strawberry.ID
    name: str
    objective: str
    active: bool
    added_by: str
    added_at: datetime
    retired_at: datetime | None
    retired_reason: str | None

    @classmethod
    def from_row(cls, row: ThemeRow) -> Self:
        return cls(
            id=strawberry.ID(row.theme_id),
            portfolio_id=strawberry.ID(row.portfolio_id),
            name=row.name,
            objective=row.objective,
            active=row.active,
            added_by=row.added_by,
            added_at=row.added_at,
            retired_at=row.retired_at,
            retired_reason=row.retired_reason,
        )


@strawberry.type(description="A portfolio's budget for one period and what approvals commit.")
class PortfolioBudget:
    period: str
    amount: Decimal
    currency: str
    committed: Decimal = strawberry.field(
        description="What standing approvals commit against this period."
    )
    remaining: Decimal = strawberry.field(description="amount - committed (may be negative).")
    set_by: str
    set_at: datetime

    @classmethod
    def from_row(cls, row: BudgetRow, committed: Decimal) -> Self:
        return cls(
            period=row.period,
            amount=row.amount,
            currency=row.currency,
            committed=committed,
            remaining=row.amount - committed,
            set_by=row.set_by,
            set_at=row.set_at,
        )


@strawberry.type(description="The WIP limit of one kanban state (a state not listed has none).")
class WipLimit:
    state: InitiativeState  # type: ignore[valid-type]
    limit: int


@strawberry.type(description="One WSJF scoring of an initiative.")
class WsjfScore:
    business_value: int
    time_criticality: int
    risk_reduction: int = strawberry.field(description="Risk reduction / opportunity enablement.")
    job_size: int
    cost_of_delay: int = strawberry.field(
        description="business value + time criticality + risk reduction"
    )
    wsjf: Decimal = strawberry.field(description="cost of delay / job size")
    note: str
    scored_by: str
    scored_at: datetime

    @classmethod
    def from_row(cls, row: WsjfRow) -> Self:
        return cls(
            business_value=row.business_value,
            time_criticality=row.time_criticality,
            risk_reduction=row.risk_reduction,
            job_size=row.job_size,
            cost_of_delay=row.cost_of_delay,
            wsjf=row.wsjf,
            note=row.note,
            scored_by=row.scored_by,
            scored_at=row.scored_at,
        )


@strawberry.type(description="An initiative's lean business case (the latest recorded).")
class LeanBusinessCase:
    mvp_cost: Decimal
    estimated_total_cost: Decimal
    currency: str
    expected_benefits: str
    leading_indicators: list[str]
    recorded_by: str
    recorded_at: datetime


@strawberry.type(description="A risk to an initiative: probability and impact from 1 to 5.")
class Risk:
    id: strawberry.ID
    initiative_id: strawberry.ID
    title: str
    description: str
    probability: int
    impact: int
    exposure: int = strawberry.field(description="probability * impact")
    status: RiskStatus
    open: bool = strawberry.field(
        description="OPEN or OWNED: not yet resolved, accepted or mitigated (counts in exposure)."
    )
    owner: str | None
    notes: str | None
    raised_by: str
    raised_at: datetime
    roamed_by: str | None
    roamed_at: datetime | None

    @strawberry.field(description="The initiative at risk.")
    async def initiative(self, info: Info) -> Initiative:
        return await require_initiative(info, str(self.initiative_id))

    @classmethod
    def from_row(cls, row: RiskRow) -> Self:
        return cls(
            id=strawberry.ID(row.risk_id),
            initiative_id=strawberry.ID(row.initiative_id),
            title=row.title,
            description=row.description,
            probability=row.probability,
            impact=row.impact,
            exposure=row.exposure,
            status=RiskStatus(row.status),
            open=row.open,
            owner=row.owner,
            notes=row.notes,
            raised_by=row.raised_by,
            raised_at=row.raised_at,
            roamed_by=row.roamed_by,
            roamed_at=row.roamed_at,
        )


@strawberry.type(description="An objective of an initiative: planned and delivered value.")
class InitiativeObjective:
    id: strawberry.ID
    description: str
    planned_business_value: int
    actual_business_value: int | None
    planned_by: str
    planned_at: datetime
    delivered_by: str | None
    delivered_at: datetime | None

    @classmethod
    def from_row(cls, row: ObjectiveRow) -> Self:
        return cls(
            id=strawberry.ID(row.objective_id),
            description=row.description,
            planned_business_value=row.planned_business_value,
            actual_business_value=row.actual_business_value,
            planned_by=row.planned_by,
            planned_at=row.planned_at,
            delivered_by=row.delivered_by,
            delivered_at=row.delivered_at,
        )


@strawberry.type(
    description="A dependency seen from one initiative: the initiative at the other end."
)
class Dependency:
    initiative_id: strawberry.ID = strawberry.field(description="The initiative at the other end.")
    note: str
    declared_by: str
    declared_at: datetime

    @strawberry.field(description="The initiative at the other end.")
    async def initiative(self, info: Info) -> Initiative:
        return await require_initiative(info, str(self.initiative_id))

    @classmethod
    def towards(cls, row: DependencyRow, other_id: str) -> Self:
        return cls(
            initiative_id=strawberry.ID(other_id),
            note=row.note,
            declared_by=row.declared_by,
            declared_at=row.declared_at,
        )


@strawberry.type(description="A governance decision on an initiative (the decision log).")
class Decision:
    id: strawberry.ID
    kind: DecisionKind  # type: ignore[valid-type]
    initiative_id: strawberry.ID
    portfolio_id: strawberry.ID | None
    rationale: str
    decided_by: str
    decided_at: datetime
    review_id: strawberry.ID | None
    period: str | None = strawberry.field(description="The budget period an approval commits to.")
    committed_amount: Decimal | None
    currency: str | None

    @strawberry.field(description="The initiative decided on.")
    async def initiative(self, info: Info) -> Initiative:
        return await require_initiative(info, str(self.initiative_id))

    @strawberry.field(description="The review it was taken in, if any.")
    async def review(self, info: Info) -> PortfolioReview | None:
        if self.review_id is None:
            return None
        row = await batched(info, "reviews", governance.reviews_by_ids).load(str(self.review_id))
        return PortfolioReview.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: DecisionRow) -> Self:
        return cls(
            id=strawberry.ID(row.decision_id),
            kind=row.kind,
            initiative_id=strawberry.ID(row.initiative_id),
            portfolio_id=strawberry.ID(row.portfolio_id) if row.portfolio_id else None,
            rationale=row.rationale,
            decided_by=row.decided_by,
            decided_at=row.decided_at,
            review_id=strawberry.ID(row.review_id) if row.review_id else None,
            period=row.period,
            committed_amount=row.committed_amount,
            currency=row.currency,
        )


@strawberry.type(description="A portfolio review: scheduled with attendees, decisions taken in it.")
class PortfolioReview:
    id: strawberry.ID
    portfolio_id: strawberry.ID
    title: str
    scheduled_for: date
    attendees: list[str]
    status: ReviewStatus
    summary: str | None
    scheduled_by: str
    scheduled_at: datetime
    concluded_by: str | None
    concluded_at: datetime | None

    @strawberry.field(description="The decisions recorded in this review, oldest first.")
    async def decisions(self, info: Info) -> list[Decision]:
        loader = batched(
            info, "decisions_by_review", lambda c, k: governance.decisions_by(c, "review_id", k)
        )
        return [Decision.from_row(row) for row in await loader.load(str(self.id)) or []]

    @classmethod
    def from_row(cls, row: ReviewRow) -> Self:
        return cls(
            id=strawberry.ID(row.review_id),
            portfolio_id=strawberry.ID(row.portfolio_id),
            title=row.title,
            scheduled_for=row.scheduled_for,
            attendees=list(row.attendees),
            status=ReviewStatus(row.status),
            summary=row.summary,
            scheduled_by=row.scheduled_by,
            scheduled_at=row.scheduled_at,
            concluded_by=row.concluded_by,
            concluded_at=row.concluded_at,
        )


@strawberry.type(description="A guardrail a pmo or admin overrode for one command, and why.")
class GuardrailOverride:
    stream_id: strawberry.ID = strawberry.field(description="The initiative or portfolio.")
    guardrail: Guardrail  # type: ignore[valid-type]
    violation: str = strawberry.field(description="What the guardrail would have refused.")
    reason: str
    overridden_by: str
    overridden_at: datetime

    @classmethod
    def from_row(cls, row: OverrideRow) -> Self:
        return cls(
            stream_id=strawberry.ID(row.stream_id),
            guardrail=row.guardrail,
            violation=row.violation,
            reason=row.reason,
            overridden_by=row.overridden_by,
            overridden_at=row.overridden_at,
        )


@strawberry.type(description="One event of an initiative's stream: the audit trail.")
class InitiativeEvent:
    position: int = strawberry.field(description="Global position in the service's event log.")
    version: int = strawberry.field(description="Version of the initiative's stream.")
    event_id: strawberry.ID
    type: str = strawberry.field(description="The event's name, e.g. WsjfScored.")
    event_type: str = strawberry.field(description="Full type, e.g. pmo.portfolio.WsjfScored.v1.")
    occurred_at: datetime = strawberry.field(description="When it happened (from the event).")
    recorded_at: datetime = strawberry.field(description="When the event store recorded it.")
    actor: str | None = strawberry.field(description="Who did it (subject of the user).")
    data: JSON = strawberry.field(description="The payload as recorded.")

    @classmethod
    def from_stored(cls, stored: StoredEvent) -> Self:
        _, name, _ = parse_type_name(stored.event_type)
        occurred, actor = stored.recorded_at, stored.metadata.get("actor")
        try:
            event = registry.parse(stored.event_type, stored.data)
        except (LookupError, ValueError):
            event = None  # a type this build does not know: the stored facts still show
        if event is not None:
            values = [getattr(event, name) for name in type(event).model_fields]
            occurred = next((v for v in values if isinstance(v, datetime)), occurred)
            if not isinstance(actor, str):
                # Events name their actor too (proposed_by, moved_by, ...).
                actor = next(
                    (getattr(event, f) for f in type(event).model_fields if f.endswith("_by")),
                    None,
                )
        return cls(
            position=stored.position,
            version=stored.version,
            event_id=strawberry.ID(str(stored.event_id)),
            type=name,
            event_type=stored.event_type,
            occurred_at=occurred,
            recorded_at=stored.recorded_at,
            actor=actor if isinstance(actor, str) else None,
            data=JSON(stored.data),
        )


# --- initiative --------------------------------------------------------------------------------


@strawberry.federation.type(keys=["id"], description="An initiative (epic) in the portfolio.")
class Initiative:
    id: strawberry.ID
    title: str
    hypothesis: str = strawberry.field(description="The epic hypothesis statement.")
    owner: str
    portfolio_id: strawberry.ID | None
    state: InitiativeState  # type: ignore[valid-type]
    proposed_by: str
    proposed_at: datetime
    updated_at: datetime = strawberry.field(description="When its latest event happened.")
    version: int = strawberry.field(description="Version of its event stream.")
    strategic_theme_ids: list[strawberry.ID]
    state_entered_at: datetime
    previous_state: InitiativeState | None = strawberry.field(  # type: ignore[valid-type]
        description="The state it came from (where an ON_HOLD initiative resumes)."
    )
    state_reason: str | None = strawberry.field(description="Why it was put on hold/cancelled.")
    last_decision: DecisionKind | None  # type: ignore[valid-type]
    last_decision_at: datetime | None
    approved_period: str | None = strawberry.field(
        description="The budget period its standing approval commits to."
    )
    committed_amount: Decimal | None = strawberry.field(
        description="What its standing approval commits (released by reject/defer/cancel)."
    )
    risk_exposure: int = strawberry.field(
        description="Sum of probability * impact of its open (OPEN or OWNED) risks."
    )
    row: strawberry.Private[InitiativeRow]

    @classmethod
    def from_row(cls, row: InitiativeRow) -> Self:
        return cls(
            id=strawberry.ID(row.id),
            title=row.title,
            hypothesis=row.hypothesis,
            owner=row.owner,
            portfolio_id=strawberry.ID(row.portfolio_id) if row.portfolio_id else None,
            state=row.state,
            proposed_by=row.proposed_by,
            proposed_at=row.proposed_at,
            updated_at=row.updated_at,
            version=row.version,
            strategic_theme_ids=[strawberry.ID(theme) for theme in row.strategic_theme_ids],
            state_entered_at=row.state_entered_at,
            previous_state=row.previous_state,
            state_reason=row.state_reason,
            last_decision=row.last_decision,
            last_decision_at=row.last_decision_at,
            approved_period=row.approved_period,
            committed_amount=row.committed_amount,
            risk_exposure=row.risk_exposure,
            row=row,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self | None:
        # One DataLoader per request: a gateway's batched _entities call is one SQL query.
        row = await load_initiative(info, str(id))
        return cls.from_row(row) if row else None

    @classmethod
    async def by_id(cls, info: Info, initiative_id: str) -> Self | None:
        """The initiative as the read model has it now (mutations answer with this)."""
        row = await load_initiative(info, initiative_id)
        return cls.from_row(row) if row else None

    @strawberry.field(description="Days since it entered its current state.")
    def days_in_state(self) -> float:
        return round(self.row.days_in_state(_now()), 4)

    @strawberry.field(description="Its portfolio.")
    async def portfolio(self, info: Info) -> Portfolio | None:
        if self.row.portfolio_id is None:
            return None
        return await Portfolio.by_id(info, self.row.portfolio_id)

    @strawberry.field(description="The strategic themes it serves (its portfolio's themes).")
    async def themes(self, info: Info) -> list[StrategicTheme]:
        if self.row.portfolio_id is None or not self.row.strategic_theme_ids:
            return []
        loader = batched(info, "themes_by_key", portfolios.themes_by_key)
        keys = [(self.row.portfolio_id, theme) for theme in self.row.strategic_theme_ids]
        found = await loader.load_many(keys)
        return [StrategicTheme.from_row(theme) for theme in found if theme is not None]

    async def _scores(self, info: Info) -> list[WsjfRow]:
        loader = batched(info, "wsjf_history", initiative_model.wsjf_histories)
        return await loader.load(self.row.id) or []

    @strawberry.field(description="Its latest WSJF score, or null while unscored.")
    async def wsjf(self, info: Info) -> WsjfScore | None:
        scores = await self._scores(info)
        return WsjfScore.from_row(scores[-1]) if scores else None

    @strawberry.field(description="Every WSJF scoring, oldest first.")
    async def wsjf_history(self, info: Info) -> list[WsjfScore]:
        return [WsjfScore.from_row(row) for row in await self._scores(info)]

    @strawberry.field(description="Its lean business case, or null until one is recorded.")
    def business_case(self) -> LeanBusinessCase | None:
        row = self.row
        if (
            row.business_case_recorded_at is None
            or row.mvp_cost is None
            or row.estimated_total_cost is None
        ):
            return None
        return LeanBusinessCase(
            mvp_cost=row.mvp_cost,
            estimated_total_cost=row.estimated_total_cost,
            currency=row.currency or "",
            expected_benefits=row.expected_benefits or "",
            leading_indicators=list(row.leading_indicators or ()),
            recorded_by=row.business_case_recorded_by or "",
            recorded_at=row.business_case_recorded_at,
        )

    @strawberry.field(description="Its risks, in the order they were raised.")
    async def risks(self, info: Info) -> list[Risk]:
        loader = batched(info, "risks", initiative_model.risks_of)
        return [Risk.from_row(row) for row in await loader.load(self.row.id) or []]

    @strawberry.field(description="Its objectives: planned and delivered business value.")
    async def objectives(self, info: Info) -> list[InitiativeObjective]:
        loader = batched(info, "objectives", initiative_model.objectives_of)
        return [InitiativeObjective.from_row(row) for row in await loader.load(self.row.id) or []]

    @strawberry.field(description="Governance decisions on it, oldest first.")
    async def decisions(self, info: Info) -> list[Decision]:
        loader = batched(
            info,
            "decisions_by_initiative",
            lambda c, k: governance.decisions_by(c, "initiative_id", k),
        )
        return [Decision.from_row(row) for row in await loader.load(self.row.id) or []]

    @strawberry.field(description="The initiatives it depends on.")
    async def dependencies(self, info: Info) -> list[Dependency]:
        loader = batched(
            info, "depends_on", lambda c, k: dependencies.by_column(c, "initiative_id", k)
        )
        rows = await loader.load(self.row.id) or []
        return [Dependency.towards(row, row.depends_on_id) for row in rows]

    @strawberry.field(description="The initiatives that depend on it.")
    async def dependents(self, info: Info) -> list[Dependency]:
        loader = batched(
            info, "dependents", lambda c, k: dependencies.by_column(c, "depends_on_id", k)
        )
        rows = await loader.load(self.row.id) or []
        return [Dependency.towards(row, row.initiative_id) for row in rows]

    @strawberry.field(description="Open, and depending on an initiative that is not DONE.")
    async def blocked(self, info: Info) -> bool:
        async def fetch(conn: AsyncConnection, ids: list[str]) -> dict[str, bool]:
            blocked = await dependencies.blocked_among(conn, ids)
            return {initiative_id: initiative_id in blocked for initiative_id in ids}

        return bool(await batched(info, "blocked", fetch).load(self.row.id))

    @strawberry.field(
        description="The audit trail: every event of its stream in order, with who and when."
    )
    async def history(self, info: Info) -> list[InitiativeEvent]:
        service = runtime(info)
        store = PostgresEventStore(service.engine, service.settings.database_schema)
        return [InitiativeEvent.from_stored(event) for event in await store.load(self.row.id)]


# --- portfolio views ---------------------------------------------------------------------------


@strawberry.type(description="One column of the portfolio kanban.")
class KanbanColumn:
    state: InitiativeState  # type: ignore[valid-type]
    count: int
    wip_limit: int | None
    over_limit: bool = strawberry.field(description="More initiatives than the WIP limit.")
    average_days_in_state: float | None
    oldest_days_in_state: float | None
    initiatives: list[Initiative] = strawberry.field(
        description="The first ones (best WSJF, then longest in the state)."
    )


@strawberry.type(description="A ranked initiative and where it falls against the funding line.")
class BacklogItem:
    rank: int
    initiative: Initiative
    wsjf: Decimal | None
    cost_of_delay: int | None
    job_size: int | None
    estimated_cost: Decimal | None = strawberry.field(
        description="Its approved amount for the period, else its business case's total cost."
    )
    cumulative_cost: Decimal
    funded: bool = strawberry.field(description="Within the remaining budget.")
    blocked: bool

    @classmethod
    def of(cls, item: FundedItem, rows: Mapping[str, InitiativeRow]) -> Self:
        candidate = item.candidate
        return cls(
            rank=item.rank,
            initiative=Initiative.from_row(rows[candidate.initiative_id]),
            wsjf=candidate.wsjf,
            cost_of_delay=candidate.cost_of_delay,
            job_size=candidate.job_size,
            estimated_cost=candidate.estimated_cost,
            cumulative_cost=item.cumulative_cost,
            funded=item.funded,
            blocked=candidate.blocked,
        )


@strawberry.type(description="READY initiatives by WSJF with the funding line of a period.")
class PrioritisedBacklog:
    period: str
    budget: Decimal | None = strawberry.field(description="The period's budget (null: none).")
    currency: str | None
    committed_elsewhere: Decimal = strawberry.field(
        description="What initiatives outside the backlog commit to the period."
    )
    remaining_budget: Decimal | None = strawberry.field(
        description="budget - committedElsewhere: what the backlog competes for."
    )
    items: list[BacklogItem]

    @classmethod
    def of(cls, backlog: boards.Backlog) -> Self:
        return cls(
            period=backlog.period,
            budget=backlog.budget,
            currency=backlog.currency,
            committed_elsewhere=backlog.committed_elsewhere,
            remaining_budget=backlog.remaining_budget,
            items=[BacklogItem.of(item, backlog.rows) for item in backlog.items],
        )


@strawberry.type(description="A suggestion for the next portfolio review, with its reasons.")
class Recommendation:
    action: RecommendationAction
    reasons: list[str]
    initiative: Initiative

    @classmethod
    def of(cls, found: DomainRecommendation, rows: Mapping[str, InitiativeRow]) -> Self:
        return cls(
            action=RecommendationAction(found.action),
            reasons=list(found.reasons),
            initiative=Initiative.from_row(rows[found.initiative_id]),
        )


@strawberry.type(description="Open risks with one probability and impact (a heat map cell).")
class RiskHeatMapCell:
    probability: int
    impact: int
    count: int


@strawberry.type(description="An initiative in a dependency graph.")
class DependencyNode:
    initiative: Initiative
    blocked: bool = strawberry.field(description="Open and depending on one not DONE.")
    in_portfolio: bool = strawberry.field(
        description="False for an initiative of another portfolio linked to this one's."
    )


@strawberry.type(description="initiativeId depends on dependsOnId.")
class DependencyEdge:
    initiative_id: strawberry.ID
    depends_on_id: strawberry.ID
    note: str
    declared_by: str
    declared_at: datetime


@strawberry.type(description="A portfolio's initiatives and the dependencies between them.")
class DependencyGraph:
    nodes: list[DependencyNode]
    edges: list[DependencyEdge]


@strawberry.type(description="The result of a what-if: nothing was changed to compute it.")
class WhatIfResult:
    backlog: PrioritisedBacklog
    recommendations: list[Recommendation]


@strawberry.input(description="WSJF inputs to try for one READY initiative (1,2,3,5,8,13,20).")
class WhatIfScoreInput:
    initiative_id: strawberry.ID
    business_value: int
    time_criticality: int
    risk_reduction: int
    job_size: int


@strawberry.input(description="A WIP limit to try for one state (null: no limit).")
class WhatIfWipLimitInput:
    state: InitiativeState  # type: ignore[valid-type]
    limit: int | None


@strawberry.input(description="Changes to try: nothing is written.")
class WhatIfInput:
    period: str = strawberry.field(description="Budget period, e.g. 2026-Q4.")
    scores: list[WhatIfScoreInput] = strawberry.field(default_factory=list)
    budget: Decimal | None = strawberry.field(
        default=None, description="The period's budget amount to try instead of the one set."
    )
    wip_limits: list[WhatIfWipLimitInput] = strawberry.field(default_factory=list)


# --- portfolio ---------------------------------------------------------------------------------


async def decision_page(
    info: Info, portfolio_id: str | None, first: int | None, after: str | None
) -> Connection[Decision]:
    """The decision log, newest first; of one portfolio or of every portfolio."""
    size = page_size(first)
    cursor = decode_cursor(after, arity=2) if after else None
    after_key = None
    if cursor is not None:
        try:
            after_key = (datetime.fromisoformat(str(cursor[0])), str(cursor[1]))
        except ValueError:
            raise InvalidInput(
                "the cursor does not belong to a decision log: pass the endCursor of a previous "
                "page of the same list"
            ) from None
    async with runtime(info).engine.connect() as conn:
        rows = await governance.decision_log(
            conn, portfolio_id=portfolio_id, after=after_key, limit=size + 1
        )
    return Connection[Decision].from_rows(
        [Decision.from_row(row) for row in rows],
        size,
        cursor=lambda node: encode_cursor(node.decided_at.isoformat(), str(node.id)),
        has_previous_page=after is not None,
    )


@strawberry.federation.type(
    keys=["id"], description="A portfolio: the scope in which initiatives are ranked and funded."
)
class Portfolio:
    id: strawberry.ID
    name: str
    description: str
    owner: str
    guardrails: list[Guardrail] = strawberry.field(  # type: ignore[valid-type]
        description="The guardrails in force."
    )
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int = strawberry.field(description="Version of its event stream.")

    @classmethod
    def from_row(cls, row: PortfolioRow) -> Self:
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            description=row.description,
            owner=row.owner,
            guardrails=list(row.guardrails),
            created_by=row.created_by,
            created_at=row.created_at,
            updated_at=row.updated_at,
            version=row.version,
        )

    @classmethod
    async def by_id(cls, info: Info, portfolio_id: str) -> Self | None:
        row = await batched(info, "portfolios", portfolios.by_ids).load(portfolio_id)
        return cls.from_row(row) if row else None

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self | None:
        return await cls.by_id(info, str(id))

    @strawberry.field(description="Its strategic themes, in the order they were added.")
    async def themes(self, info: Info, include_retired: bool = False) -> list[StrategicTheme]:
        rows = await batched(info, "themes", portfolios.themes_of).load(str(self.id)) or []
        return [StrategicTheme.from_row(r) for r in rows if include_retired or r.active]

    @strawberry.field(description="Its budget per period, with what approvals commit.")
    async def budgets(self, info: Info) -> list[PortfolioBudget]:
        async with runtime(info).engine.connect() as conn:
            rows = (await portfolios.budgets_of(conn, [str(self.id)])).get(str(self.id), [])
            spent = await governance.commitments_by_period(conn, str(self.id))
        return [PortfolioBudget.from_row(row, spent.get(row.period, Decimal(0))) for row in rows]

    @strawberry.field(description="The WIP limit of each limited kanban state.")
    async def wip_limits(self, info: Info) -> list[WipLimit]:
        async with runtime(info).engine.connect() as conn:
            limits = await portfolios.wip_limits(conn, str(self.id))
        return [WipLimit(state=s, limit=limits[s]) for s in KanbanState if s in limits]

    @strawberry.field(description="The kanban board: every state, with counts against WIP limits.")
    async def kanban(
        self,
        info: Info,
        first: Annotated[
            int | None,
            strawberry.argument(description="Initiatives listed per state (1-100, default 20)."),
        ] = None,
    ) -> list[KanbanColumn]:
        per_state = page_size(first)
        async with runtime(info).engine.connect() as conn:
            stats, cards = await boards.kanban(conn, str(self.id), per_state=per_state, now=_now())
            limits = await portfolios.wip_limits(conn, str(self.id))
        columns = []
        for state in KanbanState:
            column = stats.get(state)
            count, limit = (column.count if column else 0), limits.get(state)
            columns.append(
                KanbanColumn(
                    state=state,
                    count=count,
                    wip_limit=limit,
                    over_limit=limit is not None and count > limit,
                    average_days_in_state=_days(column.average_days_in_state if column else None),
                    oldest_days_in_state=_days(column.oldest_days_in_state if column else None),
                    initiatives=[Initiative.from_row(row) for row in cards.get(state, [])],
                )
            )
        return columns

    @strawberry.field(description="READY initiatives by WSJF with the period's funding line.")
    async def backlog(self, info: Info, period: str) -> PrioritisedBacklog:
        async with runtime(info).engine.connect() as conn:
            found = await boards.backlog(conn, str(self.id), period, now=_now())
        return PrioritisedBacklog.of(found)

    @strawberry.field(description="What to pull, hold and stop at the next review, and why.")
    async def recommendations(self, info: Info, period: str) -> list[Recommendation]:
        async with runtime(info).engine.connect() as conn:
            found, rows = await boards.recommendations(conn, str(self.id), period, now=_now())
        return [Recommendation.of(item, rows) for item in found]

    @strawberry.field(
        description="The backlog and recommendations with changed scores, budget or WIP limits "
        "(nothing is written)."
    )
    async def what_if(self, info: Info, input: WhatIfInput) -> WhatIfResult:
        scenario = boards.Scenario(
            scores={
                str(score.initiative_id): (
                    score.business_value,
                    score.time_criticality,
                    score.risk_reduction,
                    score.job_size,
                )
                for score in input.scores
            },
            budget=input.budget,
            wip_limits={limit.state: limit.limit for limit in input.wip_limits},
        )
        async with runtime(info).engine.connect() as conn:
            # A read-only transaction: a what-if cannot write, whatever the code below does.
            await conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            await boards.check_known(conn, list(scenario.scores))
            now = _now()
            backlog = await boards.backlog(
                conn, str(self.id), input.period, now=now, scenario=scenario
            )
            found, rows = await boards.recommendations(
                conn, str(self.id), input.period, now=now, scenario=scenario
            )
            await conn.rollback()
        return WhatIfResult(
            backlog=PrioritisedBacklog.of(backlog),
            recommendations=[Recommendation.of(item, rows) for item in found],
        )

    @strawberry.field(description="Its initiatives' risks, highest exposure first.")
    async def risk_register(self, info: Info, open_only: bool = False) -> list[Risk]:
        async with runtime(info).engine.connect() as conn:
            rows = await initiative_model.risk_register(conn, str(self.id), open_only=open_only)
        return [Risk.from_row(row) for row in rows]

    @strawberry.field(description="Open risks per probability x impact: all 25 cells.")
    async def risk_heat_map(self, info: Info) -> list[RiskHeatMapCell]:
        async with runtime(info).engine.connect() as conn:
            counts = await initiative_model.heat_map(conn, str(self.id))
        return [
            RiskHeatMapCell(probability=p, impact=i, count=counts.get((p, i), 0))
            for p in range(5, 0, -1)
            for i in range(1, 6)
        ]

    @strawberry.field(description="Its initiatives and their dependencies, blocked ones flagged.")
    async def dependency_graph(self, info: Info) -> DependencyGraph:
        async with runtime(info).engine.connect() as conn:
            members = await initiative_model.in_portfolio(conn, str(self.id))
            edges = await dependencies.of_portfolio(conn, str(self.id))
            inside = {row.id for row in members}
            linked = {e.initiative_id for e in edges} | {e.depends_on_id for e in edges}
            outside = await initiative_model.by_ids(conn, sorted(linked - inside))
            nodes = [*members, *outside.values()]
            blocked = await dependencies.blocked_among(conn, [row.id for row in nodes])
        return DependencyGraph(
            nodes=[
                DependencyNode(
                    initiative=Initiative.from_row(row),
                    blocked=row.id in blocked,
                    in_portfolio=row.id in inside,
                )
                for row in nodes
            ],
            edges=[
                DependencyEdge(
                    initiative_id=strawberry.ID(edge.initiative_id),
                    depends_on_id=strawberry.ID(edge.depends_on_id),
                    note=edge.note,
                    declared_by=edge.declared_by,
                    declared_at=edge.declared_at,
                )
                for edge in edges
            ],
        )

    @strawberry.field(description="Its decision log, newest first.")
    async def decisions(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Decision]:
        return await decision_page(info, str(self.id), first, after)

    @strawberry.field(description="Its reviews, the latest scheduled first.")
    async def reviews(self, info: Info) -> list[PortfolioReview]:
        async with runtime(info).engine.connect() as conn:
            rows = await governance.reviews_of(conn, str(self.id))
        return [PortfolioReview.from_row(row) for row in rows]

    @strawberry.field(description="Guardrails overridden in it, newest first.")
    async def guardrail_overrides(self, info: Info) -> list[GuardrailOverride]:
        async with runtime(info).engine.connect() as conn:
            rows = await governance.overrides_of(conn, str(self.id))
        return [GuardrailOverride.from_row(row) for row in rows]


# --- list arguments ----------------------------------------------------------------------------


@strawberry.input(description="Narrows an initiative list; all given conditions must hold.")
class InitiativeFilter:
    states: list[InitiativeState] | None = None  # type: ignore[valid-type]
    owner: str | None = None
    portfolio_id: strawberry.ID | None = None
    theme_id: strawberry.ID | None = strawberry.field(
        default=None, description="Serves this strategic theme."
    )
    search: str | None = strawberry.field(
        default=None,
        description="Words (or word beginnings) that must all occur in title or hypothesis.",
    )
    title_contains: str | None = strawberry.field(
        default=None, description="Case-insensitive substring of the title."
    )
