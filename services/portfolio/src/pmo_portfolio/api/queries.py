"""The subgraph's root queries. They read the read models only; every authenticated role may
call them (the authentication gate refuses anonymous calls before they run).

Missing ids: `initiative`, `portfolio` and `review` answer null; `decisionLog(portfolioId:)`
with an unknown portfolio is NOT_FOUND. Off-range `first` and foreign cursors are BAD_USER_INPUT.
"""

from __future__ import annotations

import strawberry
from pmo_events.errors import NotFound
from pmo_service.graphql import Connection, decode_cursor, encode_cursor, page_size
from strawberry.types import Info

from pmo_portfolio.api.deps import runtime
from pmo_portfolio.api.types import (
    Decision,
    Initiative,
    InitiativeFilter,
    InitiativeOrder,
    Portfolio,
    PortfolioReview,
    batched,
    decision_page,
)
from pmo_portfolio.projections import governance, portfolios
from pmo_portfolio.projections import initiatives as initiative_model
from pmo_portfolio.projections.initiatives import InitiativeOrder as DomainOrder


@strawberry.type
class Query:
    @strawberry.field(description="One initiative by id, or null if there is none.")
    async def initiative(self, info: Info, id: strawberry.ID) -> Initiative | None:
        return await Initiative.by_id(info, str(id))

    @strawberry.field(description="Initiatives, filtered and sorted, a page at a time.")
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
        cursor = decode_cursor(after, arity=2) if after else None
        given = filter or InitiativeFilter()
        where = initiative_model.InitiativeFilter(
            states=given.states,
            owner=given.owner,
            portfolio_id=str(given.portfolio_id) if given.portfolio_id else None,
            theme_id=str(given.theme_id) if given.theme_id else None,
            title_contains=given.title_contains,
            search=given.search,
        )
        async with runtime(info).engine.connect() as conn:
            rows = await initiative_model.page(
                conn,
                order=order,
                where=where,
                after=(cursor[0], str(cursor[1])) if cursor else None,
                limit=size + 1,
            )
        keys = {row.id: order.key(row) for row in rows}
        return Connection[Initiative].from_rows(
            [Initiative.from_row(row) for row in rows],
            size,
            cursor=lambda node: encode_cursor(keys[str(node.id)], str(node.id)),
            has_previous_page=after is not None,
        )

    @strawberry.field(description="One portfolio by id, or null if there is none.")
    async def portfolio(self, info: Info, id: strawberry.ID) -> Portfolio | None:
        return await Portfolio.by_id(info, str(id))

    @strawberry.field(description="Portfolios by name, a page at a time.")
    async def portfolios(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Portfolio]:
        size = page_size(first)
        cursor = decode_cursor(after, arity=2) if after else None
        async with runtime(info).engine.connect() as conn:
            rows = await portfolios.page(
                conn,
                after=(str(cursor[0]), str(cursor[1])) if cursor else None,
                limit=size + 1,
            )
        names = {row.id: row.name for row in rows}
        return Connection[Portfolio].from_rows(
            [Portfolio.from_row(row) for row in rows],
            size,
            cursor=lambda node: encode_cursor(names[str(node.id)], str(node.id)),
            has_previous_page=after is not None,
        )

    @strawberry.field(
        description="Governance decisions newest first, of one portfolio or (no id) of all."
    )
    async def decision_log(
        self,
        info: Info,
        portfolio_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Decision]:
        if portfolio_id is not None and await Portfolio.by_id(info, str(portfolio_id)) is None:
            raise NotFound(f"no portfolio has the id {str(portfolio_id)!r}")
        return await decision_page(
            info, str(portfolio_id) if portfolio_id is not None else None, first, after
        )

    @strawberry.field(description="One portfolio review by id, or null if there is none.")
    async def review(self, info: Info, id: strawberry.ID) -> PortfolioReview | None:
        row = await batched(info, "reviews", governance.reviews_by_ids).load(str(id))
        return PortfolioReview.from_row(row) if row else None
