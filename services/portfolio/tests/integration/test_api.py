"""The portfolio subgraph over HTTP (in-process ASGI), on the real Postgres and Kafka."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from pmo_events.postgres import PostgresEventStore
from pmo_portfolio.service import definition
from pmo_portfolio.settings import PortfolioSettings
from pmo_service.app import create_app

from tests.platform import bearer, graphql_errors

PROPOSE = """
mutation Propose($input: ProposeInitiativeInput!) {
  proposeInitiative(input: $input) { id title owner state version hypothesis }
}"""
LIST = """
query List($first: Int, $after: String, $owner: String, $order: InitiativeOrder!) {
  initiatives(first: $first, after: $after, filter: {owner: $owner}, orderBy: $order) {
    edges { cursor node { id title } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}"""


@pytest.fixture(scope="module")
async def app(portfolio_settings: PortfolioSettings) -> AsyncIterator[FastAPI]:
    application = create_app(definition, portfolio_settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://portfolio") as http:
        yield http


CREATE_PORTFOLIO = """
mutation Create($input: CreatePortfolioInput!) { createPortfolio(input: $input) { id } }"""
PORTFOLIO = "<the module's portfolio>"  # replaced by the id of `portfolio_id` in each test


@pytest.fixture(scope="module")
async def portfolio_id(app: FastAPI, portfolio_settings: PortfolioSettings) -> str:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://portfolio") as http:
        body = await gql(
            http,
            portfolio_settings,
            CREATE_PORTFOLIO,
            {"input": {"name": f"API tests {uuid.uuid4().hex[:6]}", "owner": "paula"}},
        )
    created: str = body["data"]["createPortfolio"]["id"]
    return created


async def gql(
    client: httpx.AsyncClient,
    settings: PortfolioSettings,
    query: str,
    variables: dict[str, Any] | None = None,
    *roles: str,
) -> dict[str, Any]:
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers=bearer(settings, *(roles or ("portfolio_manager",))),
    )
    body: dict[str, Any] = response.json()
    return body


def _input(
    owner: str, title: str = "Self-service onboarding", portfolio_id: str = PORTFOLIO
) -> dict[str, Any]:
    return {
        "input": {
            "title": title,
            "owner": owner,
            "hypothesis": "For new customers ...",
            "portfolioId": portfolio_id,
        }
    }


def _in(portfolio_id: str, variables: dict[str, Any]) -> dict[str, Any]:
    """`variables` with the placeholder portfolio id replaced by the module's portfolio."""
    given = variables["input"]
    if given.get("portfolioId") == PORTFOLIO:
        given = {**given, "portfolioId": portfolio_id}
    return {"input": given}


async def _head(settings: PortfolioSettings, app: FastAPI) -> int:
    return await PostgresEventStore(
        app.state.runtime.engine, settings.database_schema
    ).head_position()


async def test_propose_stores_the_event_and_reads_back(
    client: httpx.AsyncClient,
    portfolio_settings: PortfolioSettings,
    app: FastAPI,
    portfolio_id: str,
) -> None:
    owner = f"owner-{uuid.uuid4().hex[:6]}"
    body = await gql(client, portfolio_settings, PROPOSE, _input(owner, portfolio_id=portfolio_id))
    proposed = body["data"]["proposeInitiative"]
    assert (proposed["owner"], proposed["state"], proposed["version"]) == (owner, "FUNNEL", 1)

    read = await gql(
        client,
        portfolio_settings,
        "query($id: ID!) { initiative(id: $id) { id owner state } }",
        {"id": proposed["id"]},
    )
    assert read["data"]["initiative"] == {"id": proposed["id"], "owner": owner, "state": "FUNNEL"}

    store = PostgresEventStore(app.state.runtime.engine, portfolio_settings.database_schema)
    [event] = await store.load(proposed["id"])
    assert event.event_type == "pmo.portfolio.InitiativeProposed.v2"
    assert event.data["owner"] == owner
    assert event.metadata["actor"] == "test-user"
    assert event.traceparent is not None
    assert event.traceparent.startswith("00-")


async def test_initiatives_paginate_with_cursors(
    client: httpx.AsyncClient, portfolio_settings: PortfolioSettings, portfolio_id: str
) -> None:
    owner = f"owner-{uuid.uuid4().hex[:6]}"
    titles = ["Alpha", "Bravo", "Charlie"]
    for title in titles:
        await gql(client, portfolio_settings, PROPOSE, _input(owner, title, portfolio_id))

    seen: list[str] = []
    after = None
    while True:
        variables = {"first": 2, "after": after, "owner": owner, "order": "TITLE_ASC"}
        page = (await gql(client, portfolio_settings, LIST, variables))["data"]["initiatives"]
        seen += [edge["node"]["title"] for edge in page["edges"]]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == titles

    newest_first = await gql(
        client, portfolio_settings, LIST, {"first": 5, "owner": owner, "order": "PROPOSED_AT_DESC"}
    )
    assert [e["node"]["title"] for e in newest_first["data"]["initiatives"]["edges"]] == titles[
        ::-1
    ]


@pytest.mark.parametrize(
    ("variables", "roles", "code"),
    [
        (_input("o", title="  "), ("portfolio_manager",), "BAD_USER_INPUT"),
        (_input("o", title="x" * 201), ("pmo",), "BAD_USER_INPUT"),
        ({"input": {"title": "no owner"}}, ("pmo",), "BAD_USER_INPUT"),
        (_input("o", portfolio_id="no-such-portfolio"), ("pmo",), "NOT_FOUND"),
        (_input("o"), ("viewer",), "FORBIDDEN"),
        (_input("o"), ("team_member",), "FORBIDDEN"),
    ],
)
async def test_refused_proposals_write_nothing(
    client: httpx.AsyncClient,
    portfolio_settings: PortfolioSettings,
    app: FastAPI,
    portfolio_id: str,
    variables: dict[str, Any],
    roles: tuple[str, ...],
    code: str,
) -> None:
    before = await _head(portfolio_settings, app)
    body = await gql(client, portfolio_settings, PROPOSE, _in(portfolio_id, variables), *roles)
    assert body.get("data") is None or body["data"].get("proposeInitiative") is None
    assert code in graphql_errors(body)
    assert await _head(portfolio_settings, app) == before


async def test_requests_without_a_valid_token_are_unauthenticated(
    client: httpx.AsyncClient, portfolio_settings: PortfolioSettings, app: FastAPI
) -> None:
    before = await _head(portfolio_settings, app)
    for headers in ({}, {"Authorization": "Bearer not-a-jwt"}):
        response = await client.post(
            "/graphql", json={"query": PROPOSE, "variables": _input("o")}, headers=headers
        )
        assert graphql_errors(response.json()) == ["UNAUTHENTICATED"]
    assert await _head(portfolio_settings, app) == before


async def test_a_foreign_cursor_is_bad_user_input(
    client: httpx.AsyncClient, portfolio_settings: PortfolioSettings
) -> None:
    body = await gql(
        client, portfolio_settings, LIST, {"first": 2, "after": "bm9wZQ", "order": "TITLE_ASC"}
    )
    assert graphql_errors(body) == ["BAD_USER_INPUT"]


async def test_entities_are_resolved_in_one_batch(
    client: httpx.AsyncClient, portfolio_settings: PortfolioSettings, portfolio_id: str
) -> None:
    owner = f"owner-{uuid.uuid4().hex[:6]}"
    ids = [
        (await gql(client, portfolio_settings, PROPOSE, _input(owner, t, portfolio_id)))["data"][
            "proposeInitiative"
        ]["id"]
        for t in ("One", "Two")
    ]
    query = (
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Initiative { id title } } }"
    )
    representations = [{"__typename": "Initiative", "id": i} for i in [*ids, "missing"]]
    body = await gql(client, portfolio_settings, query, {"r": representations})
    assert body["data"]["_entities"] == [
        {"id": ids[0], "title": "One"},
        {"id": ids[1], "title": "Two"},
        None,
    ]


async def test_schema_tables_live_in_the_service_schema(
    app: FastAPI, portfolio_settings: PortfolioSettings
) -> None:
    async with app.state.runtime.engine.connect() as conn:
        tables = set(
            (
                await conn.execute(
                    sa.text(
                        "select table_name from information_schema.tables where table_schema = :s"
                    ),
                    {"s": portfolio_settings.database_schema},
                )
            ).scalars()
        )
    assert {
        "events",
        "relay_tracking",
        "projection_tracking",
        "initiatives",
        "alembic_version",
    } <= tables


def test_every_mutation_names_its_roles() -> None:
    from pmo_portfolio.api.schema import schema
    from pmo_service.graphql import field_roles

    unguarded = [name for name, roles in field_roles(schema).items() if roles is None]
    assert not unguarded, f"mutations without requires_roles: {unguarded}"
