"""The gateway's HTTP server: ``/graphql``, ``/healthz``, ``/readyz`` and ``/metrics``.

POST takes a JSON body ``{"query", "variables", "operationName"}``; GET takes the same as query
parameters and runs queries only. Responses use ``application/graphql-response+json`` when the
client accepts it (with 4xx statuses for requests that could not run) and ``application/json``
otherwise (status 200 for every well-formed request), as the GraphQL-over-HTTP spec asks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import orjson
import structlog
from fastapi import FastAPI
from pmo_service.auth import JwtVerifier
from pmo_service.http import ReadinessCheck, install_http_basics
from pmo_service.telemetry import instrument_app
from starlette.requests import Request
from starlette.responses import Response

from pmo_gateway import errors as codes
from pmo_gateway.auth import Authenticator, JwtAuthenticator, Unauthenticated
from pmo_gateway.errors import RequestError
from pmo_gateway.fetcher import SubgraphClient
from pmo_gateway.gateway import Gateway, GraphQLRequest
from pmo_gateway.settings import GatewaySettings, subgraph_url_overrides
from pmo_gateway.supergraph import Supergraph

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
# Statuses kept even for application/json clients: the request itself was not acceptable.
_HTTP_LEVEL = {
    codes.BAD_REQUEST,
    codes.METHOD_NOT_ALLOWED,
    codes.UNAUTHENTICATED,
    codes.PAYLOAD_TOO_LARGE,
}

logger = structlog.get_logger(__name__)


def create_app(
    settings: GatewaySettings,
    *,
    supergraph: Supergraph | None = None,
    authenticator: Authenticator | None = None,
    client: SubgraphClient | None = None,
) -> FastAPI:
    """The ASGI app. ``authenticator`` defaults to JWT verification when auth is enabled."""
    if supergraph is None:
        supergraph = Supergraph.load(settings.supergraph, subgraph_url_overrides())
    if client is None:
        client = SubgraphClient(
            supergraph.subgraphs,
            timeout_seconds=settings.subgraph_timeout_seconds,
            max_connections=settings.max_connections,
            dedupe=settings.dedupe_subgraph_requests,
        )
    if authenticator is None and settings.auth_enabled:
        authenticator = JwtAuthenticator(JwtVerifier.from_settings(settings))
    gateway = Gateway(
        supergraph,
        client,
        limits=settings.limits,
        introspection=bool(settings.introspection),
        plan_cache_size=settings.plan_cache_size,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        logger.info(
            "gateway_ready", subgraphs={s.name: s.url for s in supergraph.subgraphs.values()}
        )
        yield
        await client.aclose()

    app = FastAPI(
        title="PMO GraphQL gateway",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.gateway = gateway
    handler = partial(_graphql, gateway, authenticator, settings.forward_headers)
    app.add_route("/graphql", handler, methods=["GET", "POST"])

    def readiness() -> list[ReadinessCheck]:
        return [
            ReadinessCheck(f"subgraph:{name}", partial(client.probe, name))
            for name in supergraph.subgraphs
        ]

    install_http_basics(app, settings, "pmo-gateway", readiness)
    instrument_app(app)
    return app


async def _graphql(
    gateway: Gateway,
    authenticator: Authenticator | None,
    forward_headers: list[str],
    request: Request,
) -> Response:
    media_type = _response_media_type(request.headers.get("accept"))
    try:
        if authenticator is not None:
            try:
                await authenticator.authenticate(request.headers.get("authorization"))
            except Unauthenticated as exc:
                raise RequestError.single(exc.message, codes.UNAUTHENTICATED, status=401) from None
        graphql_request = await _read_request(request)
        headers = {
            name: request.headers[name] for name in forward_headers if name in request.headers
        }
        body = await gateway.execute(graphql_request, headers, read_only=request.method == "GET")
        status = 200
    except RequestError as exc:
        body = {"errors": exc.errors}
        code = exc.errors[0].get("extensions", {}).get("code") if exc.errors else None
        keep = media_type == GRAPHQL_RESPONSE or code in _HTTP_LEVEL or exc.status >= 500
        status = exc.status if keep else 200
    except Exception:
        # A bug in the gateway: log it with its traceback, answer in GraphQL terms.
        logger.exception("gateway_request_failed")
        body = {
            "errors": [
                codes.error(
                    "the gateway failed to run this request; retry, and report it if it persists",
                    codes.INTERNAL_SERVER_ERROR,
                )
            ]
        }
        status = 500
    response = Response(orjson.dumps(body), status_code=status, media_type=media_type)
    if status == 401:
        response.headers["www-authenticate"] = 'Bearer realm="pmo"'
    return response


def _response_media_type(accept: str | None) -> str:
    """graphql-response+json when the client lists it (or accepts anything); JSON otherwise."""
    if not accept:
        return JSON
    types = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    if GRAPHQL_RESPONSE in types:
        return GRAPHQL_RESPONSE
    return JSON


async def _read_request(request: Request) -> GraphQLRequest:
    if request.method == "GET":
        params = request.query_params
        variables = (
            _decode_json(params["variables"], "variables") if params.get("variables") else None
        )
        return GraphQLRequest(params.get("query"), variables, params.get("operationName") or None)
    content_type = request.headers.get("content-type", JSON).split(";")[0].strip().lower()
    if content_type not in (JSON, GRAPHQL_RESPONSE):
        raise RequestError.single(
            f"unsupported content type {content_type!r}: POST a JSON body with content-type "
            "application/json",
            codes.BAD_REQUEST,
            status=415,
        )
    payload = _decode_json(await request.body(), "request body")
    if not isinstance(payload, Mapping):
        raise RequestError.single(
            'the body must be a JSON object: {"query": "...", "variables": {...}}',
            codes.BAD_REQUEST,
        )
    name = payload.get("operationName")
    if name is not None and not isinstance(name, str):
        raise RequestError.single("operationName must be a string", codes.BAD_REQUEST)
    return GraphQLRequest(payload.get("query"), payload.get("variables"), name or None)


def _decode_json(raw: str | bytes, what: str) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise RequestError.single(
            f"the {what} is not valid JSON: {exc}", codes.BAD_REQUEST
        ) from None
