"""The router's entry point: a GraphQL request in, a GraphQL response out.

Parsing, validation and limits are cached per (document, operation name) in an LRU; each cached
operation keeps its plans per @skip/@include outcome, since those decide which fields are fetched.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from opentelemetry import trace
from prometheus_client import Counter

from pmo_gateway import errors as codes
from pmo_gateway.errors import JsonDict, RequestError, UnsupportedFeature
from pmo_gateway.executor import Executor
from pmo_gateway.fetcher import SubgraphClient
from pmo_gateway.normalize import Normalizer
from pmo_gateway.operation import (
    Limits,
    PreparedOperation,
    coerce_variables,
    conditions_key,
    prepare,
)
from pmo_gateway.planner import Planner, QueryPlan
from pmo_gateway.supergraph import Supergraph

PLAN_CACHE = Counter("pmo_gateway_plan_cache_total", "Operation cache lookups", ["result"])
# Each @skip/@include variable doubles the possible plans; beyond this many, plan per request.
_MAX_PLANS_PER_OPERATION = 16

tracer = trace.get_tracer("pmo_gateway")


@dataclass(frozen=True, slots=True)
class GraphQLRequest:
    query: str | None
    variables: Mapping[str, Any] | None = None
    operation_name: str | None = None


class Gateway:
    def __init__(
        self,
        supergraph: Supergraph,
        client: SubgraphClient,
        *,
        limits: Limits | None = None,
        introspection: bool = True,
        plan_cache_size: int = 1000,
    ) -> None:
        self.supergraph = supergraph
        self.client = client
        self.limits = limits or Limits()
        self.introspection = introspection
        self.plan_cache_size = plan_cache_size
        self.planner = Planner(supergraph)
        self.executor = Executor(client, supergraph.api_schema)
        self._cache: OrderedDict[tuple[str, str | None], PreparedOperation] = OrderedDict()

    async def execute(
        self, request: GraphQLRequest, headers: Mapping[str, str], *, read_only: bool = False
    ) -> JsonDict:
        """Runs the request. Raises ``RequestError`` when nothing could be executed."""
        if not isinstance(request.query, str) or not request.query.strip():
            raise RequestError.single(
                'the request has no query: send {"query": "..."}', codes.BAD_REQUEST
            )
        if request.variables is not None and not isinstance(request.variables, Mapping):
            raise RequestError.single("variables must be a JSON object", codes.BAD_REQUEST)
        prepared = self._prepare(request.query, request.operation_name)
        if read_only and prepared.kind != "query":
            raise RequestError.single(
                f"a {prepared.kind} cannot be sent with GET: use POST",
                codes.METHOD_NOT_ALLOWED,
                status=405,
            )
        schema = self.supergraph.api_schema
        coerced = coerce_variables(schema, prepared, request.variables)
        plan = self._plan(prepared, coerced)
        with tracer.start_as_current_span(
            f"graphql.{prepared.kind}",
            attributes={
                "graphql.operation.type": prepared.kind,
                "graphql.operation.name": prepared.name or "",
            },
        ):
            return await self.executor.execute(plan, request.variables or {}, headers)

    def plan_for(
        self,
        query: str,
        operation_name: str | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> QueryPlan:
        """The plan a request would run (for tests and debugging)."""
        prepared = self._prepare(query, operation_name)
        return self._plan(
            prepared, coerce_variables(self.supergraph.api_schema, prepared, variables)
        )

    def _prepare(self, query: str, operation_name: str | None) -> PreparedOperation:
        key = (query, operation_name or None)
        prepared = self._cache.get(key)
        if prepared is not None:
            PLAN_CACHE.labels("hit").inc()
            self._cache.move_to_end(key)
            return prepared
        PLAN_CACHE.labels("miss").inc()
        prepared = prepare(self.supergraph.api_schema, query, operation_name, self.limits)
        if self.plan_cache_size > 0:
            self._cache[key] = prepared
            while len(self._cache) > self.plan_cache_size:
                self._cache.popitem(last=False)
        return prepared

    def _plan(self, prepared: PreparedOperation, coerced: Mapping[str, Any]) -> QueryPlan:
        key = conditions_key(prepared, coerced)
        plan = prepared.plans.get(key)
        if plan is not None:
            return plan  # type: ignore[no-any-return]
        conditions = dict(zip(prepared.condition_variables, key, strict=True))
        normalizer = Normalizer(
            self.supergraph.api_schema, prepared, conditions, introspection=self.introspection
        )
        root = normalizer.root(prepared.operation)
        try:
            plan = self.planner.plan(prepared.operation, root, tuple(prepared.fragments.values()))
        except UnsupportedFeature as exc:
            raise RequestError.single(
                f"the gateway cannot plan this operation: {exc}. See gateway/README.md for what is "
                "supported",
                codes.QUERY_PLANNING_FAILED,
                status=500,
            ) from None
        if len(prepared.plans) < _MAX_PLANS_PER_OPERATION:
            prepared.plans[key] = plan
        return plan
