"""The toy service served in-process: probes, metrics, the GraphQL gate, errors, limits, workers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pmo_service import ReadinessCheck, ServiceSettings, create_app
from pmo_service.kafka import kafka_ping

pytestmark = pytest.mark.integration


async def gql(
    client: httpx.AsyncClient,
    query: str,
    token: str | None = None,
    variables: dict[str, Any] | None = None,
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


async def test_healthz_and_readyz_against_real_postgres(
    toy_app: FastAPI,
    running: Any,
) -> None:
    async with running(toy_app) as client:
        alive = await client.get("/healthz")
        ready = await client.get("/readyz")
    assert alive.status_code == 200
    assert alive.json() == {"status": "alive"}
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ready", "checks": {"database": "ok"}}


async def test_readyz_is_503_naming_the_failed_checks(
    make_settings: Callable[..., ServiceSettings],
    running: Any,
    toy_definition: Any,
    closed_port: Callable[[], int],
) -> None:
    port = closed_port()

    def checks(runtime: Any) -> list[ReadinessCheck]:
        return [ReadinessCheck("kafka", lambda: kafka_ping(f"127.0.0.1:{port}", limit_seconds=2))]

    app = create_app(toy_definition(checks=checks), make_settings())
    async with running(app) as client:
        alive = await client.get("/healthz")
        ready = await client.get("/readyz")
    assert alive.status_code == 200  # alive even when nothing it depends on answers
    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"].startswith("failed: cannot reach the database")
    assert body["checks"]["kafka"].startswith("failed:")
    assert f"127.0.0.1:{port}" in body["checks"]["kafka"]


async def test_readyz_reports_a_missing_schema(
    make_settings: Callable[..., ServiceSettings],
    toy_db_url: str,
    running: Any,
    toy_definition: Any,
) -> None:
    # The role can log in, but the schema named in the settings does not exist (not migrated).
    app = create_app(
        toy_definition(), make_settings(database_url=toy_db_url, database_schema="nope")
    )
    async with running(app) as client:
        ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert "schema does not exist" in ready.json()["checks"]["database"]


async def test_kafka_ping_succeeds_against_the_real_broker(
    kafka_bootstrap: str,
) -> None:
    await kafka_ping(kafka_bootstrap)


async def test_metrics_exposes_request_latency_by_route(
    toy_app: FastAPI,
    running: Any,
) -> None:
    async with running(toy_app) as client:
        await client.get("/healthz")
        await client.get("/no/such/page")
        scrape = await client.get("/metrics")
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain")
    text = scrape.text
    assert "pmo_http_request_duration_seconds_bucket" in text
    assert 'method="GET",route="/healthz",service="toy",status="200"' in text
    # Unknown paths share one label instead of creating a series per URL.
    assert 'route="<unmatched>",service="toy",status="404"' in text
    assert "/no/such/page" not in text


async def test_graphql_without_token_is_unauthenticated_and_runs_nothing(
    toy_app: FastAPI,
    running: Any,
) -> None:
    async with running(toy_app) as client:
        missing = await gql(client, "{ boom }")
        garbage = await gql(client, "{ whoami }", token="not-a-jwt")
        # Validation is skipped too: an anonymous caller learns nothing about the schema.
        probing = await gql(client, "{ nosuchfield }")
    assert missing["data"] is None
    assert codes(missing) == ["UNAUTHENTICATED"]
    assert "missing Authorization header" in missing["errors"][0]["message"]
    assert codes(garbage) == ["UNAUTHENTICATED"]
    assert "malformed token" in garbage["errors"][0]["message"]
    assert codes(probing) == ["UNAUTHENTICATED"]


async def test_federation_sdl_is_readable_without_token(
    toy_app: FastAPI,
    running: Any,
) -> None:
    async with running(toy_app) as client:
        body = await gql(client, "query SubgraphSdl { _service { sdl } __typename }")
        mixed = await gql(client, "{ _service { sdl } whoami }")
    assert "errors" not in body
    assert "type Query" in body["data"]["_service"]["sdl"]
    assert codes(mixed) == ["UNAUTHENTICATED"]


async def test_authenticated_query_sees_the_principal(
    toy_app: FastAPI,
    token_for: Callable[..., str],
    running: Any,
) -> None:
    async with running(toy_app) as client:
        body = await gql(client, "{ whoami }", token=token_for("viewer", subject="bob"))
    assert body == {"data": {"whoami": "bob"}}


async def test_mutation_roles(
    toy_app: FastAPI,
    token_for: Callable[..., str],
    running: Any,
) -> None:
    query = 'mutation { rename(id: "i01", title: "new") { title } }'
    async with running(toy_app) as client:
        viewer = await gql(client, query, token=token_for("viewer", "team_member"))
        manager = await gql(client, query, token=token_for("portfolio_manager"))
        admin = await gql(client, query, token=token_for("admin"))
    assert codes(viewer) == ["FORBIDDEN"]
    message = viewer["errors"][0]["message"]
    assert "pmo, portfolio_manager" in message
    assert "team_member, viewer" in message
    assert viewer["data"] is None
    assert manager["data"] == {"rename": {"title": "new"}}
    assert admin["data"] == {"rename": {"title": "new"}}


async def test_domain_errors_keep_their_code_and_message(
    toy_app: FastAPI,
    token_for: Callable[..., str],
    running: Any,
) -> None:
    async with running(toy_app) as client:
        guardrail = await gql(client, 'mutation { archive(id: "i01") }', token=token_for("pmo"))
        missing = await gql(client, '{ item(id: "zz") { id } }', token=token_for("viewer"))
    assert codes(guardrail) == ["GUARDRAIL_VIOLATION"]
    assert guardrail["errors"][0]["message"].startswith("WIP limit of 3 reached")
    assert guardrail["errors"][0]["path"] == ["archive"]
    assert codes(missing) == ["NOT_FOUND"]
    assert missing["errors"][0]["message"] == "no item 'zz': check the id"


async def test_pydantic_validation_is_bad_user_input_naming_the_field(
    toy_app: FastAPI,
    token_for: Callable[..., str],
    running: Any,
) -> None:
    query = 'mutation { rename(id: "i01", title: "") { title } }'
    async with running(toy_app) as client:
        body = await gql(client, query, token=token_for("pmo"))
    assert codes(body) == ["BAD_USER_INPUT"]
    error = body["errors"][0]
    assert error["extensions"]["fields"][0]["field"] == "newTitle"
    assert "newTitle" in error["message"]


async def test_request_errors_keep_graphql_codes(
    toy_app: FastAPI,
    token_for: Callable[..., str],
    running: Any,
) -> None:
    token = token_for("viewer")
    async with running(toy_app) as client:
        invalid = await gql(client, "{ nosuchfield }", token=token)
        syntax = await gql(client, "{ whoami", token=token)
        variable = await gql(
            client,
            "query($n: Int) { items(first: $n) { edges { cursor } } }",
            token=token,
            variables={"n": "three"},
        )
    assert codes(invalid) == ["GRAPHQL_VALIDATION_FAILED"]
    assert codes(syntax) == ["GRAPHQL_PARSE_FAILED"]
    assert codes(variable) == ["BAD_USER_INPUT"]


async def test_unexpected_exception_is_internal_without_details(
    toy_app: FastAPI,
    token_for: Callable[..., str],
    caplog: pytest.LogCaptureFixture,
    running: Any,
) -> None:
    async with running(toy_app) as client:
        body = await gql(client, "{ boom }", token=token_for("viewer"))
    assert codes(body) == ["INTERNAL_SERVER_ERROR"]
    error = body["errors"][0]
    assert "hunter2" not in str(body)
    assert "secret internal detail" not in str(body)
    trace_id = error["extensions"]["traceId"]
    assert len(trace_id) == 32
    assert trace_id in error["message"]
    # The operator finds the real exception in the log under the same trace id.
    logged = caplog.text
    assert "secret internal detail" in logged
    assert trace_id in logged


async def test_cursor_pagination(
    toy_app: FastAPI,
    token_for: Callable[..., str],
    running: Any,
) -> None:
    query = """query($after: String) { items(first: 3, after: $after) {
        edges { node { id } cursor } pageInfo { hasNextPage hasPreviousPage endCursor } } }"""
    token = token_for("viewer")
    seen: list[str] = []
    after = None
    async with running(toy_app) as client:
        for _ in range(5):
            page = (await gql(client, query, token=token, variables={"after": after}))["data"]
            seen += [edge["node"]["id"] for edge in page["items"]["edges"]]
            info = page["items"]["pageInfo"]
            assert info["hasPreviousPage"] == (after is not None)
            if not info["hasNextPage"]:
                break
            after = info["endCursor"]
        too_many = await gql(client, "{ items(first: 6) { edges { cursor } } }", token=token)
        bad = await gql(client, '{ items(after: "garbage!") { edges { cursor } } }', token=token)
    assert seen == [f"i{n:02d}" for n in range(7)]
    assert codes(too_many) == ["BAD_USER_INPUT"]
    assert "between 1 and 5" in too_many["errors"][0]["message"]
    assert codes(bad) == ["BAD_USER_INPUT"]
    assert "cursor" in bad["errors"][0]["message"]


async def test_request_over_the_size_limit_is_413(
    make_settings: Callable[..., ServiceSettings],
    token_for: Callable[..., str],
    running: Any,
    toy_definition: Any,
) -> None:
    app = create_app(toy_definition(), make_settings(max_request_bytes=2048))
    padding = "x" * 4096
    async with running(app) as client:
        declared = await client.post(
            "/graphql",
            json={"query": "{ whoami }", "variables": {"pad": padding}},
            headers={"Authorization": f"Bearer {token_for('viewer')}"},
        )

        async def chunks() -> Any:  # no Content-Length: the limit applies while streaming
            for _ in range(4):
                yield b" " * 1024

        streamed = await client.post(
            "/graphql", content=chunks(), headers={"content-type": "application/json"}
        )
        small = await gql(client, "{ whoami }", token=token_for("viewer"))
    assert declared.status_code == 413
    assert declared.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert streamed.status_code == 413
    assert small == {"data": {"whoami": "alice"}}


async def test_graphiql_only_when_enabled(
    make_settings: Callable[..., ServiceSettings],
    running: Any,
    toy_definition: Any,
) -> None:
    page = {"Accept": "text/html"}
    with_ide = create_app(toy_definition(), make_settings(graphiql=True))
    without = create_app(toy_definition(), make_settings(graphiql=False))
    async with running(with_ide) as client:
        shown = await client.get("/graphql", headers=page)
    async with running(without) as client:
        hidden = await client.get("/graphql", headers=page)
    assert shown.status_code == 200
    assert "graphiql" in shown.text.lower()
    assert hidden.status_code == 404


async def test_introspection_disabled_when_settings_say_so(
    make_settings: Callable[..., ServiceSettings],
    token_for: Callable[..., str],
    running: Any,
    toy_definition: Any,
) -> None:
    app = create_app(toy_definition(), make_settings(introspection=False))
    async with running(app) as client:
        body = await gql(client, "{ __schema { types { name } } }", token=token_for("admin"))
        sdl = await gql(client, "{ _service { sdl } }")
    assert set(codes(body)) == {"GRAPHQL_VALIDATION_FAILED"}
    assert body["data"] is None
    assert "introspection" in body["errors"][0]["message"].lower()
    assert "errors" not in sdl


async def test_crashed_worker_is_restarted_and_stopped_on_shutdown(
    make_settings: Callable[..., ServiceSettings],
    running: Any,
    toy_definition: Any,
    worker_probe: Any,
) -> None:
    probe = worker_probe
    app = create_app(toy_definition(probe=probe), make_settings())
    async with running(app) as client:
        await asyncio.wait_for(probe.second_run.wait(), timeout=30)
        scrape = (await client.get("/metrics")).text
    assert probe.runs == 2
    assert probe.stopped_cleanly
    assert 'pmo_worker_restarts_total{service="toy",worker="WorkerProbe.flaky"}' in scrape


async def test_cors_preflight_allows_configured_origins_only(
    make_settings: Callable[..., ServiceSettings],
    running: Any,
    toy_definition: Any,
) -> None:
    app = create_app(toy_definition(), make_settings(cors_origins="https://pmo.example"))
    preflight = {"Access-Control-Request-Method": "POST"}
    async with running(app) as client:
        allowed = await client.options(
            "/graphql", headers={**preflight, "Origin": "https://pmo.example"}
        )
        refused = await client.options(
            "/graphql", headers={**preflight, "Origin": "https://evil.example"}
        )
    assert allowed.headers.get("access-control-allow-origin") == "https://pmo.example"
    assert "access-control-allow-origin" not in refused.headers
