"""Queries read the read model; mutations run commands. Each mutation names its roles."""

from __future__ import annotations

from typing import Any

import strawberry
from pmo_service.app import Runtime
from pmo_service.graphql import (
    Connection,
    ServiceSchema,
    decode_cursor,
    encode_cursor,
    page_size,
    principal_of,
    requires_roles,
)
from pmo_service.principal import Role
from strawberry.types import Info

from pmo_portfolio.api.deps import read_initiatives, repository, runtime
from pmo_portfolio.api.types import (
    Initiative,
    InitiativeFilter,
    InitiativeOrder,
    ProposeInitiativeInput,
)
from pmo_portfolio.app.handlers import ProposeInitiative, propose_initiative
from pmo_portfolio.projections import initiatives
from pmo_portfolio.projections.initiatives import InitiativeOrder as DomainOrder

# Intake is open: anyone who works here may put an idea into the funnel; viewers only read.
PROPOSERS = (
    Role.PMO,
    Role.PORTFOLIO_MANAGER,
    Role.RESOURCE_MANAGER,
    Role.COACH,
    Role.TEAM_MEMBER,
)


@strawberry.type
class Query:
    @strawberry.field(description="One initiative by id, or null if there is none.")
    async def initiative(self, info: Info, id: strawberry.ID) -> Initiative | None:
        rows = await read_initiatives(info)([str(id)])
        return Initiative.from_row(rows[0]) if rows[0] else None

    @strawberry.field(description="Initiatives, a page at a time.")
    async def initiatives(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: InitiativeFilter | None = None,
        order_by: InitiativeOrder = DomainOrder.PROPOSED_AT_DESC,  # type: ignore[valid-type]
    ) -> Connection[Initiative]:
        size = page_size(first)
        order = DomainOrder(order_by)
        after_key = decode_cursor(after, arity=2) if after else None
        where = initiatives.InitiativeFilter(
            states=filter.states if filter else None,
            owner=filter.owner if filter else None,
            portfolio_id=str(filter.portfolio_id) if filter and filter.portfolio_id else None,
            title_contains=filter.title_contains if filter else None,
        )
        async with runtime(info).engine.connect() as conn:
            rows = await initiatives.page(
                conn,
                order=order,
                where=where,
                after=(str(after_key[0]), str(after_key[1])) if after_key else None,
                limit=size + 1,
            )
        nodes = [Initiative.from_row(row) for row in rows]
        keys = {row.id: order.key(row) for row in rows}
        return Connection[Initiative].from_rows(
            nodes,
            size,
            cursor=lambda node: encode_cursor(keys[str(node.id)], str(node.id)),
            has_previous_page=after is not None,
        )


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Put a new idea into the portfolio funnel (event InitiativeProposed).",
        extensions=[requires_roles(*PROPOSERS)],
    )
    async def propose_initiative(self, info: Info, input: ProposeInitiativeInput) -> Initiative:
        initiative = await propose_initiative(
            ProposeInitiative(
                title=input.title,
                hypothesis=input.hypothesis,
                owner=input.owner,
                portfolio_id=str(input.portfolio_id) if input.portfolio_id else None,
            ),
            actor=principal_of(info).subject,
            initiatives=repository(info),
        )
        return Initiative.from_aggregate(initiative)


def build_schema(_: Runtime[Any] | None = None) -> ServiceSchema:
    return ServiceSchema(query=Query, mutation=Mutation)


schema = build_schema()
