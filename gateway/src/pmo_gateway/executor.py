"""Runs a query plan: subgraph fetches, merging their data, re-pathing their errors.

Root fetches of a query run concurrently, those of a mutation one after another. After a fetch,
its dependent ``_entities`` fetches run concurrently; each collects the representations at its
path from the data merged so far (deduplicated), sends them in one request, and merges every
returned entity into each object it represents. A subgraph that fails costs only the fields it
owns: they are null, with a ``SUBGRAPH_ERROR`` naming the subgraph and the path.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from typing import Any

import orjson
from graphql import GraphQLSchema, execute_sync

from pmo_gateway import errors as codes
from pmo_gateway.errors import JsonDict, from_graphql_error
from pmo_gateway.fetcher import SubgraphClient, SubgraphFetchError
from pmo_gateway.planner import EntityTarget, FetchNode, KeyReader, PathStep, QueryPlan
from pmo_gateway.response import Shaper

_MISSING = object()


class Executor:
    def __init__(self, client: SubgraphClient, schema: GraphQLSchema) -> None:
        self.client = client
        self.schema = schema

    async def execute(
        self, plan: QueryPlan, variables: Mapping[str, Any], headers: Mapping[str, str]
    ) -> JsonDict:
        run = _Run(self.client, variables, headers)
        if plan.sequential:
            for fetch in plan.fetches:
                await run.root(fetch)
        elif len(plan.fetches) == 1:
            await run.root(plan.fetches[0])
        else:
            await asyncio.gather(*(run.root(fetch) for fetch in plan.fetches))
        if plan.introspection is not None:
            result = execute_sync(self.schema, plan.introspection, variable_values=dict(variables))
            run.data.update(result.data or {})
            run.errors.extend(
                from_graphql_error(e, codes.INTERNAL_SERVER_ERROR) for e in result.errors or ()
            )
        data = Shaper(run.errors, run.explained).shape(plan.selection, run.data)
        response: JsonDict = {"data": data}
        if run.errors:
            response["errors"] = run.errors
        return response


class _Run:
    """The state of one execution: merged data, errors, the request's variables and headers."""

    def __init__(
        self, client: SubgraphClient, variables: Mapping[str, Any], headers: Mapping[str, str]
    ) -> None:
        self.client = client
        self.variables = variables
        self.headers = headers
        self.data: JsonDict = {}
        self.errors: list[JsonDict] = []
        # Positions a subgraph nulled wholesale (data: null, or a null entity) while reporting
        # errors elsewhere: their missing fields need no error of their own.
        self.explained: set[tuple[str | int, ...]] = set()

    async def root(self, node: FetchNode) -> None:
        try:
            response = await self._fetch(node, {})
        except SubgraphFetchError as exc:
            for key in node.fields:
                self.errors.append(_fetch_failed(exc, [key]))
            return
        for err in response.get("errors") or ():
            self.errors.append(
                _subgraph_error(err, err.get("path") if isinstance(err, dict) else None)
            )
        data = response.get("data")
        if isinstance(data, dict):
            _merge(self.data, data)
        elif response.get("errors"):
            self.explained.update((key,) for key in node.fields)
        await self._children(node)

    async def entities(self, node: FetchNode) -> None:
        target = node.entity
        assert target is not None
        representations: list[JsonDict] = []
        owners: list[list[tuple[JsonDict, list[str | int]]]] = []
        index: dict[bytes, int] = {}
        for obj, path in _collect(self.data, target.path, 0, target.type_name, []):
            representation = _representation(target, obj)
            if representation is None:
                continue
            identity = orjson.dumps(representation, option=orjson.OPT_SORT_KEYS)
            position = index.get(identity)
            if position is None:
                position = index[identity] = len(representations)
                representations.append(representation)
                owners.append([])
            owners[position].append((obj, path))
        if not representations:
            return
        try:
            response = await self._fetch(node, {target.representations_variable: representations})
        except SubgraphFetchError as exc:
            for group in owners:
                for _, path in group:
                    for key in node.fields:
                        self.errors.append(_fetch_failed(exc, [*path, key]))
            return
        data = response.get("data")
        entities = data.get("_entities") if isinstance(data, dict) else None
        if isinstance(entities, list) and len(entities) == len(representations):
            for position, entity in enumerate(entities):
                if isinstance(entity, dict):
                    for obj, _ in owners[position]:
                        _merge(obj, entity)
                elif response.get("errors"):
                    for _, path in owners[position]:
                        self.explained.update((*path, key) for key in node.fields)
        elif entities is not None:
            count = len(entities) if isinstance(entities, list) else "no list of"
            self.errors.append(
                codes.error(
                    f"subgraph {node.subgraph!r} returned {count} entities for "
                    f"{len(representations)} representations; its _entities resolver must answer "
                    "one entry per representation, in order",
                    codes.SUBGRAPH_ERROR,
                    serviceName=node.subgraph,
                )
            )
        for err in response.get("errors") or ():
            self._add_entity_error(err, owners)
        await self._children(node)

    def _add_entity_error(
        self, err: Any, owners: list[list[tuple[JsonDict, list[str | int]]]]
    ) -> None:
        path = err.get("path") if isinstance(err, dict) else None
        if (
            isinstance(path, list)
            and len(path) >= 2
            and path[0] == "_entities"
            and isinstance(path[1], int)
            and 0 <= path[1] < len(owners)
        ):
            for _, owner_path in owners[path[1]]:
                self.errors.append(_subgraph_error(err, [*owner_path, *path[2:]]))
        else:
            # No position to map it to (e.g. the whole request failed): report it without a path.
            self.errors.append(_subgraph_error(err, None))

    async def _children(self, node: FetchNode) -> None:
        if len(node.children) == 1:
            await self.entities(node.children[0])
        elif node.children:
            await asyncio.gather(*(self.entities(child) for child in node.children))

    async def _fetch(self, node: FetchNode, extra: JsonDict) -> JsonDict:
        variables = {
            name: self.variables[name] for name in node.variables if name in self.variables
        }
        variables.update(extra)
        return await self.client.fetch(
            node.subgraph, node.document, variables, self.headers, shareable=node.kind == "query"
        )


def _collect(
    value: Any, steps: tuple[PathStep, ...], depth: int, type_name: str, path: list[str | int]
) -> Iterator[tuple[JsonDict, list[str | int]]]:
    """Objects of ``type_name`` at ``steps``, with their response paths (lists are walked)."""
    if isinstance(value, list):
        for position, item in enumerate(value):
            yield from _collect(item, steps, depth, type_name, [*path, position])
        return
    if not isinstance(value, dict):
        return
    if depth == len(steps):
        if value.get("__typename") == type_name:
            yield value, path
        return
    step = steps[depth]
    if step.type_condition is not None and value.get("__typename") != step.type_condition:
        return
    yield from _collect(value.get(step.key), steps, depth + 1, type_name, [*path, step.key])


def _representation(target: EntityTarget, obj: JsonDict) -> JsonDict | None:
    representation: JsonDict = {"__typename": target.type_name}
    for reader in target.key:
        value = obj.get(reader.response_key, _MISSING)
        if value is _MISSING or value is None:
            return None  # the parent failed to return the key: nothing to look up
        representation[reader.name] = _read_key(reader, value)
    return representation


def _read_key(reader: KeyReader, value: Any) -> Any:
    if not reader.children or value is None:
        return value
    if isinstance(value, list):
        return [_read_key(reader, item) for item in value]
    return {
        child.name: _read_key(child, value.get(child.response_key)) for child in reader.children
    }


def _merge(target: JsonDict, source: JsonDict) -> None:
    for key, value in source.items():
        existing = target.get(key)
        if isinstance(existing, dict) and isinstance(value, dict):
            _merge(existing, value)
        elif isinstance(existing, list) and isinstance(value, list) and len(existing) == len(value):
            for position, (old, new) in enumerate(zip(existing, value, strict=True)):
                if isinstance(old, dict) and isinstance(new, dict):
                    _merge(old, new)
                else:
                    existing[position] = new
        else:
            target[key] = value


def _subgraph_error(err: Any, path: list[Any] | None) -> JsonDict:
    """A subgraph's error re-pathed to the client's response; its locations do not apply."""
    if not isinstance(err, dict):
        return codes.error(f"a subgraph returned a malformed error: {err!r}", codes.SUBGRAPH_ERROR)
    result: JsonDict = {"message": str(err.get("message", "subgraph error"))}
    if path:
        result["path"] = path
    extensions = err.get("extensions")
    if isinstance(extensions, dict) and extensions:
        result["extensions"] = extensions
    return result


def _fetch_failed(exc: SubgraphFetchError, path: list[str | int]) -> JsonDict:
    return codes.error(
        f"{exc}; the fields it resolves are missing. Check that subgraph (or its "
        "PMO_GATEWAY_SUBGRAPH_<NAME>_URL) and retry",
        codes.SUBGRAPH_ERROR,
        path=path,
        serviceName=exc.subgraph,
    )
