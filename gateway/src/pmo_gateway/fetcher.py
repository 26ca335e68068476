"""HTTP calls to subgraphs: one shared keep-alive pool, forwarded headers, trace context.

Identical queries in flight at the same time (same subgraph, document, variables and forwarded
headers) share one HTTP request. Mutations are never shared.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

import httpx
import orjson
import structlog
from opentelemetry import propagate
from prometheus_client import Counter, Histogram

from pmo_gateway.errors import JsonDict
from pmo_gateway.supergraph import Subgraph

SUBGRAPH_FETCH_SECONDS = Histogram(
    "pmo_gateway_subgraph_fetch_seconds",
    "Latency of the gateway's subgraph fetches",
    ["subgraph", "outcome"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
SUBGRAPH_FETCHES_SHARED = Counter(
    "pmo_gateway_subgraph_fetches_deduplicated_total",
    "Subgraph fetches answered by an identical request already in flight",
    ["subgraph"],
)

logger = structlog.get_logger(__name__)

_ACCEPT = "application/graphql-response+json, application/json;q=0.9"
_GRAPHQL_MEDIA_TYPES = ("application/graphql-response+json", "application/json")


class SubgraphFetchError(Exception):
    """The subgraph did not give a GraphQL response (network failure, HTTP error, bad JSON)."""

    def __init__(self, subgraph: str, reason: str) -> None:
        super().__init__(f"subgraph {subgraph!r} {reason}")
        self.subgraph = subgraph
        self.reason = reason


class SubgraphClient:
    def __init__(
        self,
        subgraphs: Mapping[str, Subgraph],
        *,
        timeout_seconds: float = 30.0,
        max_connections: int = 200,
        dedupe: bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.subgraphs = dict(subgraphs)
        self.dedupe = dedupe
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_seconds),
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            transport=transport,
        )
        self._in_flight: dict[tuple[Any, ...], asyncio.Task[JsonDict]] = {}

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(
        self,
        subgraph: str,
        document: str,
        variables: Mapping[str, Any],
        headers: Mapping[str, str],
        *,
        shareable: bool,
    ) -> JsonDict:
        """The subgraph's GraphQL response (``data`` and/or ``errors``)."""
        body = orjson.dumps({"query": document, "variables": variables})
        if not (shareable and self.dedupe):
            return await self._post(subgraph, body, headers)
        key = (subgraph, body, tuple(sorted(headers.items())))
        task = self._in_flight.get(key)
        if task is None:
            # A task of its own, so a caller that goes away does not cancel the others' request.
            task = asyncio.create_task(self._post(subgraph, body, headers))
            self._in_flight[key] = task
            task.add_done_callback(lambda done: self._forget(key, done))
        else:
            SUBGRAPH_FETCHES_SHARED.labels(subgraph).inc()
        return await asyncio.shield(task)

    def _forget(self, key: tuple[Any, ...], task: asyncio.Task[JsonDict]) -> None:
        self._in_flight.pop(key, None)
        if not task.cancelled():
            task.exception()  # retrieved here, so an unawaited failure is not logged as lost

    async def probe(self, subgraph: str) -> None:
        """Raises unless the subgraph answers a trivial query with a GraphQL response."""
        body = orjson.dumps({"query": "query __GatewayReadinessProbe__ { __typename }"})
        await self._post(subgraph, body, {})

    async def _post(self, subgraph: str, body: bytes, headers: Mapping[str, str]) -> JsonDict:
        url = self.subgraphs[subgraph].url
        request_headers = {"content-type": "application/json", "accept": _ACCEPT, **headers}
        # Carry the trace into the subgraph even when httpx is not instrumented.
        propagate.inject(request_headers)
        started = time.perf_counter()
        outcome = "error"
        try:
            try:
                response = await self._client.post(url, content=body, headers=request_headers)
            except httpx.TimeoutException:
                raise SubgraphFetchError(subgraph, f"did not answer in time ({url})") from None
            except httpx.HTTPError as exc:
                raise SubgraphFetchError(
                    subgraph, f"is unreachable at {url}: {type(exc).__name__} {exc}".rstrip()
                ) from None
            result = _graphql_body(subgraph, response)
            outcome = "ok" if not result.get("errors") else "graphql_errors"
            return result
        except SubgraphFetchError as exc:
            logger.warning("subgraph_fetch_failed", subgraph=subgraph, reason=exc.reason)
            raise
        finally:
            SUBGRAPH_FETCH_SECONDS.labels(subgraph, outcome).observe(time.perf_counter() - started)


def _graphql_body(subgraph: str, response: httpx.Response) -> JsonDict:
    media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    parsed: Any = None
    if media_type in _GRAPHQL_MEDIA_TYPES or response.is_success:
        try:
            parsed = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            parsed = None
    if isinstance(parsed, dict) and ("data" in parsed or "errors" in parsed):
        return parsed
    reason = f"answered HTTP {response.status_code}"
    if response.is_success:
        reason += " without a GraphQL response body"
    raise SubgraphFetchError(subgraph, reason)
