"""Errors: request errors, null propagation, error paths, failing subgraphs, limits."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from gateway_test_support import GRAPHQL_RESPONSE, Post, SubgraphServer


def _codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body["errors"]]


def _no_subgraph_calls(servers: dict[str, SubgraphServer]) -> bool:
    return all(not s.requests for s in servers.values())


async def test_validation_errors_have_locations_and_reach_no_subgraph(
    post: Post, servers: dict[str, SubgraphServer]
) -> None:
    response = await post("{ product(id: 1) { name nope } }")

    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    assert _codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert body["errors"][0]["locations"] == [{"line": 1, "column": 25}]
    assert "nope" in body["errors"][0]["message"]
    assert _no_subgraph_calls(servers)


async def test_plain_json_clients_get_status_200_for_graphql_errors(router: Any) -> None:
    response = await router.post("/graphql", json={"query": "{ nope }"})

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert _codes(response.json()) == ["GRAPHQL_VALIDATION_FAILED"]


async def test_syntax_errors(post: Post) -> None:
    response = await post("{ product(id: ")

    assert response.status_code == 400
    assert _codes(response.json()) == ["GRAPHQL_PARSE_FAILED"]


async def test_variables_that_do_not_coerce_are_bad_user_input(
    post: Post, servers: dict[str, SubgraphServer]
) -> None:
    response = await post("query($n: Int!) { products(first: $n) { pageInfo { hasNextPage } } }")

    assert response.status_code == 400
    body = response.json()
    assert _codes(body) == ["BAD_USER_INPUT"]
    assert "$n" in body["errors"][0]["message"]
    assert _no_subgraph_calls(servers)


async def test_operation_selection(post: Post) -> None:
    document = "query A { catalogVersion } query B { warehouses { code } }"

    assert (await post(document, operation_name="B")).json() == {
        "data": {"warehouses": [{"code": "W1"}, {"code": "W2"}]}
    }
    missing = await post(document)
    assert _codes(missing.json()) == ["OPERATION_RESOLUTION_FAILURE"]
    unknown = await post(document, operation_name="C")
    assert _codes(unknown.json()) == ["OPERATION_RESOLUTION_FAILURE"]
    assert "A, B" in unknown.json()["errors"][0]["message"]


async def test_an_entity_field_error_nulls_the_nullable_parent_with_the_client_path(
    post: Post,
) -> None:
    response = await post('{ catalogVersion item: product(id: "p-bad") { name rating } }')

    body = response.json()
    assert body["data"] == {"catalogVersion": "catalog-1", "item": None}
    (error,) = body["errors"]
    assert error["path"] == ["item", "rating"]
    assert error["message"] == "rating unavailable for p-bad"


async def test_errors_in_a_list_are_mapped_to_their_index(
    post: Post, servers: dict[str, SubgraphServer]
) -> None:
    response = await post('{ productsByIds(ids: ["p-1", "p-bad", "p-2", "p-bad"]) { id rating } }')

    body = response.json()
    assert body["data"] == {
        "productsByIds": [{"id": "p-1", "rating": 2.5}, None, {"id": "p-2", "rating": 3.0}, None]
    }
    assert sorted(e["path"] for e in body["errors"]) == [
        ["productsByIds", 1, "rating"],
        ["productsByIds", 3, "rating"],
    ]
    (call,) = servers["reviews"].requests
    assert len(call.body["variables"]["representations"]) == 3


async def test_a_failing_non_null_root_field_nulls_data(post: Post) -> None:
    response = await post("{ catalogVersion brokenRequired warehouses { code } }")

    body = response.json()
    assert body["data"] is None
    assert [e["path"] for e in body["errors"]] == [["brokenRequired"]]


async def test_nulls_propagate_through_non_null_lists_up_to_data(post: Post) -> None:
    # search: [SearchResult!]!, and rating is Float!: one failing rating nulls everything.
    response = await post('{ search(term: "Broken") { ... on Product { id rating } } }')

    body = response.json()
    assert body["data"] is None
    assert [e["path"] for e in body["errors"]] == [["search", 0, "rating"]]


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/graphql"


async def test_a_subgraph_that_is_down_costs_only_its_fields(make_router: Any) -> None:
    async with make_router(url_overrides={"INVENTORY": _closed_port_url()}) as router:
        response = await router.post(
            "/graphql",
            json={
                "query": '{ catalogVersion product(id: "p-1") { name } '
                'other: product(id: "p-2") { stock } }'
            },
        )

    body = response.json()
    assert response.status_code == 200
    assert body["data"] == {
        "catalogVersion": "catalog-1",
        "product": {"name": "Product 1"},
        "other": None,
    }
    (error,) = body["errors"]
    assert error["path"] == ["other", "stock"]
    assert error["extensions"]["code"] == "SUBGRAPH_ERROR"
    assert error["extensions"]["serviceName"] == "inventory"
    assert "inventory" in error["message"]


async def test_a_root_fetch_to_a_subgraph_that_is_down(make_router: Any) -> None:
    async with make_router(url_overrides={"catalog": _closed_port_url()}) as router:
        response = await router.post(
            "/graphql", json={"query": '{ warehouses { code } product(id: "p-1") { name } }'}
        )

    body = response.json()
    assert body["data"] == {"warehouses": [{"code": "W1"}, {"code": "W2"}], "product": None}
    assert [(e["path"], e["extensions"]["serviceName"]) for e in body["errors"]] == [
        (["product"], "catalog")
    ]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        (
            "{ product(id: 1) { reviews { product { reviews { product { name } } } } } }",
            "MAX_DEPTH_EXCEEDED",
        ),
        ("{ a: catalogVersion b: catalogVersion c: catalogVersion }", "MAX_ALIASES_EXCEEDED"),
        ("{ " + "catalogVersion " * 200 + "}", "MAX_TOKENS_EXCEEDED"),
        ("{ __typename: catalogVersion }", "GRAPHQL_VALIDATION_FAILED"),
    ],
)
async def test_limits(
    make_router: Any, servers: dict[str, SubgraphServer], query: str, code: str
) -> None:
    async with make_router(max_depth=4, max_aliases=2, max_tokens=100) as router:
        response = await router.post(
            "/graphql", json={"query": query}, headers={"accept": GRAPHQL_RESPONSE}
        )

    assert response.status_code == 400
    assert _codes(response.json()) == [code]
    assert _no_subgraph_calls(servers)


async def test_limits_count_fragments_where_they_are_spread(make_router: Any) -> None:
    query = "{ ...A x: catalogVersion } fragment A on Query { a: catalogVersion b: catalogVersion }"
    async with make_router(max_aliases=2) as router:
        response = await router.post("/graphql", json={"query": query})

    assert _codes(response.json()) == ["MAX_ALIASES_EXCEEDED"]


async def test_mutations_are_refused_over_get(
    router: Any, servers: dict[str, SubgraphServer]
) -> None:
    response = await router.get(
        "/graphql", params={"query": 'mutation { renameProduct(id: "p-1", name: "x") { name } }'}
    )

    assert response.status_code == 405
    assert _codes(response.json()) == ["METHOD_NOT_ALLOWED"]
    assert _no_subgraph_calls(servers)


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"[1]", "application/json"),
        (b'{"query": 5}', "application/json"),
    ],
)
async def test_malformed_requests_are_bad_requests(
    router: Any, content: bytes, content_type: str
) -> None:
    response = await router.post(
        "/graphql", content=content, headers={"content-type": content_type}
    )

    assert response.status_code == 400
    assert _codes(response.json()) == ["BAD_REQUEST"]


async def test_request_bodies_over_the_limit_are_refused(make_router: Any) -> None:
    async with make_router(max_request_bytes=2048) as router:
        response = await router.post(
            "/graphql", json={"query": "{ catalogVersion }", "pad": "x" * 4096}
        )

    assert response.status_code == 413
    assert _codes(response.json()) == ["PAYLOAD_TOO_LARGE"]
