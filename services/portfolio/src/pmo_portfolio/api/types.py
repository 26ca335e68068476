"""GraphQL types of the portfolio subgraph."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry
from pmo_service.graphql import context_of
from strawberry.types import Info

from pmo_portfolio.api.deps import read_initiatives
from pmo_portfolio.domain.initiative import Initiative as InitiativeAggregate
from pmo_portfolio.domain.initiative import InitiativeState as DomainState
from pmo_portfolio.projections.initiatives import InitiativeOrder as DomainOrder
from pmo_portfolio.projections.initiatives import InitiativeRow

InitiativeState = strawberry.enum(
    DomainState, description="Where an initiative stands on the portfolio kanban."
)
InitiativeOrder = strawberry.enum(DomainOrder, description="Sort order of an initiative list.")


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
    updated_at: datetime
    version: int = strawberry.field(description="Version of its event stream.")

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
        )

    @classmethod
    def from_aggregate(cls, aggregate: InitiativeAggregate) -> Self:
        assert aggregate.proposed_at is not None  # every stream starts with InitiativeProposed
        return cls(
            id=strawberry.ID(aggregate.id),
            title=aggregate.title,
            hypothesis=aggregate.hypothesis,
            owner=aggregate.owner,
            portfolio_id=strawberry.ID(aggregate.portfolio_id) if aggregate.portfolio_id else None,
            state=aggregate.state,
            proposed_by=aggregate.proposed_by,
            proposed_at=aggregate.proposed_at,
            updated_at=aggregate.updated_at or aggregate.proposed_at,
            version=aggregate.version,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self | None:
        # One DataLoader per request: a gateway's batched _entities call is one SQL query.
        loader = context_of(info).loader("initiatives", read_initiatives(info))
        row: InitiativeRow | None = await loader.load(str(id))
        return cls.from_row(row) if row else None


@strawberry.input(description="Narrows an initiative list; all given conditions must hold.")
class InitiativeFilter:
    states: list[InitiativeState] | None = None  # type: ignore[valid-type]
    owner: str | None = None
    portfolio_id: strawberry.ID | None = None
    title_contains: str | None = None


@strawberry.input(description="A new idea for the portfolio funnel.")
class ProposeInitiativeInput:
    title: str = strawberry.field(description="Short name, 1 to 200 characters.")
    hypothesis: str = strawberry.field(
        default="", description="Epic hypothesis statement (for whom, what, the outcome expected)."
    )
    owner: str = strawberry.field(description="Who owns the initiative (epic owner).")
    portfolio_id: strawberry.ID | None = None
