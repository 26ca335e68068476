"""HTTP surface: authentication, forwarded headers, introspection, probes and metrics."""

from __future__ import annotations

from typing import Any

from gateway_test_support import GRAPHQL_RESPONSE, Post, SubgraphServer
from pmo_service.auth import issue_dev_token

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


async def test_authorization_and_trace_context_are_forwarded_to_subgraphs(
    post: Post, servers: dict[str, SubgraphServer]
) -> None:
    response = await post(
        '{ whoami product(id: "p-1") { rating } }',
        headers={"authorization": "Bearer abc", "traceparent": TRACEPARENT, "cookie": "secret=1"},
    )

    assert response.json()["data"]["whoami"] == "Bearer abc"
    for name in ("catalog", "reviews"):
        (request,) = servers[name].requests
        assert request.headers["authorization"] == "Bearer abc"
        # Same trace as the client's request (the parent span id may differ).
        assert request.headers["traceparent"].split("-")[1] == TRACEPARENT.split("-")[1]
        assert "cookie" not in request.headers


async def test_with_auth_enabled_requests_without_a_valid_token_reach_no_subgraph(
    make_router: Any, servers: dict[str, SubgraphServer]
) -> None:
    async with make_router(auth_enabled=True) as router:
        missing = await router.post("/graphql", json={"query": "{ catalogVersion }"})
        forged = await router.post(
            "/graphql",
            json={"query": "{ catalogVersion }"},
            headers={"authorization": "Bearer not.a.token", "accept": GRAPHQL_RESPONSE},
        )

    for response in (missing, forged):
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        (error,) = response.json()["errors"]
        assert error["extensions"]["code"] == "UNAUTHENTICATED"
        assert "data" not in response.json()
    assert "Authorization" in missing.json()["errors"][0]["message"]
    assert all(not s.requests for s in servers.values())


async def test_with_auth_enabled_a_valid_token_passes_and_is_forwarded(
    make_router: Any, servers: dict[str, SubgraphServer]
) -> None:
    async with make_router(auth_enabled=True) as router:
        token = issue_dev_token(router.settings, "alice", ["viewer"])
        response = await router.post(
            "/graphql",
            json={"query": "{ whoami }"},
            headers={"authorization": f"Bearer {token}"},
        )

    assert response.json() == {"data": {"whoami": f"Bearer {token}"}}


async def test_introspection_answers_from_the_public_schema(
    post: Post, servers: dict[str, SubgraphServer]
) -> None:
    response = await post(
        """query($name: String!) {
             __schema { queryType { name } types { name } directives { name } }
             product: __type(name: $name) { fields { name description } }
             catalogVersion
           }""",
        {"name": "Product"},
    )

    data = response.json()["data"]
    type_names = {t["name"] for t in data["__schema"]["types"]}
    assert {"Product", "Review", "Warehouse", "SearchResult"} <= type_names
    machinery = {n for n in type_names if n.startswith(("join__", "link__", "_")) and n[1] != "_"}
    assert not machinery
    assert not {n for n in type_names if n.startswith(("join__", "link__"))}
    assert {d["name"] for d in data["__schema"]["directives"]} == {
        "include",
        "skip",
        "deprecated",
        "specifiedBy",
        "oneOf",
    }
    fields = {f["name"]: f["description"] for f in data["product"]["fields"]}
    assert fields["name"] == "Display name."
    assert set(fields) == {
        "id",
        "name",
        "price",
        "category",
        "stock",
        "warehouse",
        "reviews",
        "rating",
    }
    assert data["catalogVersion"] == "catalog-1"
    assert [len(s.requests) for s in servers.values()] == [1, 0, 0]


async def test_the_standard_introspection_query_fits_the_default_limits(post: Post) -> None:
    from graphql import get_introspection_query

    response = await post(get_introspection_query(descriptions=True))

    body = response.json()
    assert "errors" not in body
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_introspection_can_be_disabled(make_router: Any) -> None:
    async with make_router(introspection=False) as router:
        response = await router.post("/graphql", json={"query": "{ __schema { types { name } } }"})

    assert response.json()["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"


async def test_probes(make_router: Any, router: Any) -> None:
    assert (await router.get("/healthz")).json() == {"status": "alive"}
    ready = await router.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {
        "subgraph:catalog": "ok",
        "subgraph:inventory": "ok",
        "subgraph:reviews": "ok",
    }
    async with make_router(url_overrides={"reviews": "http://127.0.0.1:9/graphql"}) as broken:
        not_ready = await broken.get("/readyz")
    assert not_ready.status_code == 503
    assert not_ready.json()["checks"]["subgraph:reviews"].startswith("failed: subgraph 'reviews'")


async def test_metrics_count_subgraph_fetches(router: Any, post: Post) -> None:
    await post("{ catalogVersion }")

    text = (await router.get("/metrics")).text
    assert 'pmo_gateway_subgraph_fetch_seconds_count{outcome="ok",subgraph="catalog"}' in text
    assert "pmo_gateway_plan_cache_total" in text


async def test_a_gateway_bug_is_answered_as_a_graphql_internal_error(router: Any) -> None:
    async def explode(*_: Any, **__: Any) -> Any:
        raise RuntimeError("boom")

    router.app.state.gateway.executor.execute = explode
    response = await router.post("/graphql", json={"query": "{ catalogVersion }"})

    assert response.status_code == 500
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "boom" not in error["message"]
