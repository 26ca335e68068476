"""The metrics subgraph: adds `flowMetrics` to the portfolio's `Initiative` entity."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Self

import strawberry
from pmo_service.app import Runtime
from pmo_service.graphql import ServiceSchema, context_of
from strawberry.types import Info

from pmo_metrics.domain.flow import InitiativeFlow
from pmo_metrics.projections import initiative_flow


def _runtime(info: Info[Any, Any]) -> Runtime[Any]:
    found = context_of(info).runtime
    if found is None:
        raise RuntimeError("the metrics schema runs only inside the service (create_app)")
    return found


@strawberry.type(description="How an initiative flows through the portfolio kanban.")
class InitiativeFlowMetrics:
    state: str = strawberry.field(description="Its current kanban state, as metrics last saw it.")
    proposed_at: datetime
    state_entered_at: datetime
    transitions: int = strawberry.field(description="State changes since it was proposed.")
    age_in_days: float = strawberry.field(description="Days since it entered the funnel.")
    days_in_state: float = strawberry.field(description="Days in its current state.")

    @classmethod
    def of(cls, flow: InitiativeFlow, now: datetime) -> Self:
        return cls(
            state=flow.state,
            proposed_at=flow.proposed_at,
            state_entered_at=flow.state_entered_at,
            transitions=flow.transitions,
            age_in_days=round(flow.age_days(now), 4),
            days_in_state=round(flow.days_in_state(now), 4),
        )


@strawberry.federation.type(keys=["id"], description="An initiative (owned by portfolio).")
class Initiative:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Self:
        return cls(id=id)

    @strawberry.field(
        description="Flow metrics, or null until metrics has seen the initiative's events."
    )
    async def flow_metrics(self, info: Info) -> InitiativeFlowMetrics | None:
        engine = _runtime(info).engine

        async def load(ids: list[str]) -> Sequence[InitiativeFlow | None]:
            async with engine.connect() as conn:
                found = await initiative_flow.by_ids(conn, ids)
            return [found.get(initiative_id) for initiative_id in ids]

        # One DataLoader per request: a batched _entities call is one SQL query.
        flow: InitiativeFlow | None = (
            await context_of(info).loader("initiative_flow", load).load(str(self.id))
        )
        return InitiativeFlowMetrics.of(flow, datetime.now(UTC)) if flow else None


@strawberry.type(description="How many initiatives are in one kanban state.")
class StateCount:
    state: str
    count: int


@strawberry.type
class Query:
    @strawberry.field(description="Initiatives per portfolio kanban state (flow load).")
    async def initiatives_by_state(self, info: Info) -> list[StateCount]:
        async with _runtime(info).engine.connect() as conn:
            counts = await initiative_flow.count_by_state(conn)
        return [StateCount(state=state, count=count) for state, count in counts.items()]


def build_schema(_: Runtime[Any] | None = None) -> ServiceSchema:
    # Initiative is only extended here and returned by no root field: list it explicitly,
    # or strawberry leaves it out of the SDL and composition drops flowMetrics.
    return ServiceSchema(query=Query, types=[Initiative])


schema = build_schema()
