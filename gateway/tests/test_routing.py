"""Routing: root fields, batched and deduplicated entity fetches, fragments, variables."""

from __future__ import annotations

import asyncio
from typing import Any

import gateway_test_subgraphs as subgraphs
from gateway_test_support import Post, SubgraphServer
from prometheus_client import REGISTRY


def _entities_calls(server: SubgraphServer) -> list[dict[str, Any]]:
    return [r.body for r in server.requests if "_entities" in r.body["query"]]


async def test_root_fields_of_three_subgraphs_in_one_query(
    post: Post, servers: dict[str, SubgraphServer]
) -> None:
    response = await post("{ catalogVersion warehouses { code } topReviews(first: 1) { body } }")

    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "catalogVersion": "catalog-1",
            "warehouses": [{"code": "W1"}, {"code": "W2"}],
            "topReviews": [{"body": "Review 1 of p-1"}],
        }
    }
    assert [len(s.requests) for s in servers.values()] == [1, 1, 1]


async def test_root_fetches_of_a_query_run_concurrently(post: Post) -> None:
    # Each resolver waits until the other has started: sequential fetches would time out.
    subgraphs.RENDEZVOUS = asyncio.Barrier(2)

    response = await post("{ catalogRendezvous inventoryRendezvous }")

    assert response.json() == {"data": {"catalogRendezvous": True, "inventoryRendezvous": True}}


async def test_entity_fields_for_a_list_use_one_batched_entities_call_per_subgraph(
    post: Post, servers: dict[str, SubgraphServer]
) -> None:
    response = await post(
        "{ products(first: 6) { edges { node { id name rating stock } } pageInfo { hasNextPage } }}"
    )

    body = response.json()
    assert "errors" not in body
    nodes = [edge["node"] for edge in body["data"]["products"]["edges"]]
    assert [n["id"] for n in nodes] == [f"p-{n}" for n in range(1, 7)]
    assert nodes[0] == {"id": "p-1", "name": "Product 1", "rating": 2.5, "stock": 21}
    assert all(isinstance(n["rating"], float) and n["stock"] == 21 for n in nodes)
    assert len(servers["catalog"].requests) == 1
    for name in ("reviews", "inventory"):
        calls = _entities_calls(servers[name])
        assert len(servers[name].requests) == len(calls) == 1
        representations = calls[0]["variables"]["representations"]
        assert representations == [{"__typename": "Product", "id": f"p-{n}"} for n in range(1, 7)]


async def test_representations_are_deduplicated_and_results_merged_into_every_position(
    post: Post, servers: dict[str, SubgraphServer]
) -> None:
    response = await post('{ productsByIds(ids: ["p-1", "p-2", "p-1", "p-1"]) { id rating } }')

    assert response.json() == {
        "data": {
            "productsByIds": [
                {"id": "p-1", "rating": 2.5},
                {"id": "p-2", "rating": 3.0},
                {"id": "p-1", "rating": 2.5},
                {"id": "p-1", "rating": 2.5},
            ]
        }
    }
    (call,) = _entities_calls(servers["reviews"])
    assert call["variables"]["representations"] == [
        {"__typename": "Product", "id": "p-1"},
        {"__typename": "Product", "id": "p-2"},
    ]


async def test_nested_entities_jump_back_and_forth_between_subgraphs(
    post: Post, servers: dict[str, SubgraphServer]
) -> None:
    response = await post(
        '{ product(id: "p-2") { name reviews { id stars product { name price stock } } } }'
    )

    product = response.json()["data"]["product"]
    assert product["name"] == "Product 2"
    assert [r["id"] for r in product["reviews"]] == ["r-p-2-1", "r-p-2-2", "r-p-2-3"]
    assert all(
        r["product"] == {"name": "Product 2", "price": 20.0, "stock": 21}
        for r in product["reviews"]
    )
    # catalog: the root field, then one _entities call for the reviews' products (deduplicated).
    assert len(servers["catalog"].requests) == 2
    (back,) = _entities_calls(servers["catalog"])
    assert back["variables"]["representations"] == [{"__typename": "Product", "id": "p-2"}]
    assert len(servers["reviews"].requests) == 1
    assert len(servers["inventory"].requests) == 1


async def test_aliases_fragments_variables_and_directives(
    post: Post, servers: dict[str, SubgraphServer]
) -> None:
    query = """
        query Pick($id: ID!, $other: ID!, $withStock: Boolean!, $skipRating: Boolean = false) {
          first: product(id: $id) { ...Bits label: name stock @include(if: $withStock) }
          second: product(id: $other) {
            ... on Product { id rating @skip(if: $skipRating) }
            stock @include(if: $withStock)
          }
        }
        fragment Bits on Product { id cost: price rating @skip(if: $skipRating) }
    """
    variables = {"id": "p-1", "other": "p-3", "withStock": False}

    response = await post(query, variables, "Pick")

    assert response.json() == {
        "data": {
            "first": {"id": "p-1", "cost": 10.0, "rating": 2.5, "label": "Product 1"},
            "second": {"id": "p-3", "rating": 2.0},
        }
    }
    assert servers["inventory"].requests == []  # @include(if: false) removed its only fields
    (catalog_call,) = servers["catalog"].requests
    assert set(catalog_call.body["variables"]) == {"id", "other"}  # only what the fetch uses
    # One _entities call per plan node (here: one per aliased root field).
    assert [set(r.body["variables"]) for r in servers["reviews"].requests] == [
        {"representations"}
    ] * 2

    again = await post(query, {**variables, "withStock": True, "skipRating": True}, "Pick")

    assert again.json()["data"] == {
        "first": {"id": "p-1", "cost": 10.0, "label": "Product 1", "stock": 21},
        "second": {"id": "p-3", "stock": 21},
    }


async def test_typename_everywhere_and_entities_inside_a_union(post: Post) -> None:
    response = await post(
        """{ __typename
             search(term: "Odd") { __typename ... on Category { title } ... on Product { rating } }
             hits: search(term: "Product 2") {
               kind: __typename ... on Product { id rating stock } ... on Category { id }
             } }"""
    )

    assert response.json() == {
        "data": {
            "__typename": "Query",
            "search": [{"__typename": "Category", "title": "Odd things"}],
            "hits": [{"kind": "Product", "id": "p-2", "rating": 3.0, "stock": 21}],
        }
    }


async def test_mutations_run_in_document_order_then_their_entity_fields(
    post: Post, servers: dict[str, SubgraphServer]
) -> None:
    response = await post(
        """mutation Rename($id: ID!) {
             a: renameProduct(id: $id, name: "First") { name }
             b: renameProduct(id: $id, name: "Second") { name rating }
           }""",
        {"id": "p-5"},
    )

    assert response.json() == {
        "data": {"a": {"name": "First"}, "b": {"name": "Second", "rating": 3.0}}
    }
    (mutation_call,) = servers["catalog"].requests
    assert mutation_call.body["query"].startswith("mutation Rename__catalog__")
    assert len(servers["reviews"].requests) == 1


async def test_get_runs_queries(router: Any) -> None:
    response = await router.get(
        "/graphql",
        params={
            "query": "query($id: ID!) { product(id: $id) { name } }",
            "variables": '{"id": "p-4"}',
        },
    )

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"data": {"product": {"name": "Product 4"}}}


async def test_plans_are_cached_per_document_and_operation(router: Any, post: Post) -> None:
    gateway = router.app.state.gateway
    query = 'query Cached { product(id: "p-1") { name } }'

    await post(query)
    await post(query)
    await post(query, operation_name="Cached")

    assert list(gateway._cache) == [(query, None), (query, "Cached")]


def _shared_fetches(subgraph: str) -> float:
    value = REGISTRY.get_sample_value(
        "pmo_gateway_subgraph_fetches_deduplicated_total", {"subgraph": subgraph}
    )
    return value or 0.0


async def test_identical_queries_in_flight_share_one_subgraph_request(
    router: Any, servers: dict[str, SubgraphServer]
) -> None:
    subgraphs.GATE = asyncio.Event()
    shared_before = _shared_fetches("catalog")

    def send(token: str) -> Any:
        return asyncio.create_task(
            router.post("/graphql", json={"query": "{ gated }"}, headers={"authorization": token})
        )

    tasks = [send("Bearer a"), send("Bearer a"), send("Bearer a"), send("Bearer b")]
    async with asyncio.timeout(5):
        # Hold the subgraph until the two repeats of "Bearer a" joined the request in flight
        # (a metric has no event to wait on, so poll it).
        while _shared_fetches("catalog") < shared_before + 2:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    subgraphs.GATE.set()
    responses = await asyncio.gather(*tasks)

    assert [r.json() for r in responses] == [{"data": {"gated": "open"}}] * 4
    # One request per distinct forwarded Authorization header.
    assert sorted(r.headers["authorization"] for r in servers["catalog"].requests) == [
        "Bearer a",
        "Bearer b",
    ]
