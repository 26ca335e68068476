"""Builds the client's response from the merged subgraph data, following the client's operation.

Only requested fields are returned, in the requested order, under the requested aliases; fields
the planner added (keys, ``__typename``) are dropped. Nulls propagate by the GraphQL rules: a null
in a non-null position nulls the nearest nullable parent, up to ``data: null``. A null without an
error explaining it gets one, so clients always learn why data is missing.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLList, GraphQLNonNull, GraphQLOutputType, is_leaf_type

from pmo_gateway import errors as codes
from pmo_gateway.errors import JsonDict
from pmo_gateway.normalize import Field, SelectionSet


class _Bubble:
    """Marker: a non-null position got null; the nearest nullable parent becomes null."""


BUBBLE = _Bubble()


class Shaper:
    def __init__(
        self, errors: list[JsonDict], explained: set[tuple[str | int, ...]] | None = None
    ) -> None:
        self.errors = errors
        self._explained = explained or set()
        self._error_paths: set[tuple[str | int, ...]] = set()
        self._error_prefixes: set[tuple[str | int, ...]] = set()
        for error in errors:
            path = error.get("path")
            if isinstance(path, list):
                self._error_paths.add(tuple(path))
                for end in range(len(path) + 1):
                    self._error_prefixes.add(tuple(path[:end]))

    def shape(self, selection: SelectionSet, data: JsonDict | None) -> JsonDict | None:
        result = self._object(selection, data or {}, [])
        return None if result is BUBBLE else result

    def _object(self, selection: SelectionSet, raw: JsonDict, path: list[str | int]) -> Any:
        type_name = raw.get("__typename") if selection.abstract else selection.type_name
        fields = selection.by_type.get(type_name) if isinstance(type_name, str) else None
        if fields is None:
            self._report(
                f"a subgraph returned an object of type {type_name!r} where {selection.type_name} "
                "is expected; the gateway cannot tell which fields apply",
                path,
            )
            return None
        out: JsonDict = {}
        for fld in fields:
            key = fld.response_key
            if fld.name == "__typename":
                out[key] = type_name
                continue
            if fld.local:
                out[key] = raw.get(key)
                continue
            value = self._complete(fld.return_type, fld, raw.get(key), [*path, key])
            if value is BUBBLE:
                return BUBBLE
            out[key] = value
        return out

    def _complete(
        self, type_: GraphQLOutputType, fld: Field, value: Any, path: list[str | int]
    ) -> Any:
        if isinstance(type_, GraphQLNonNull):
            result = self._complete(type_.of_type, fld, value, path)
            if result is None or result is BUBBLE:
                if result is None:
                    self._report_null(fld, path)
                return BUBBLE
            return result
        if value is None:
            return None
        if isinstance(type_, GraphQLList):
            if not isinstance(value, list):
                self._report(
                    f"a subgraph returned a non-list for {fld.parent_type}.{fld.name}", path
                )
                return None
            items = []
            for index, item in enumerate(value):
                completed = self._complete(type_.of_type, fld, item, [*path, index])
                if completed is BUBBLE:
                    return None
                items.append(completed)
            return items
        if is_leaf_type(type_):
            return value
        if not isinstance(value, dict) or fld.selection is None:
            self._report(f"a subgraph returned a non-object for {fld.parent_type}.{fld.name}", path)
            return None
        result = self._object(fld.selection, value, path)
        return None if result is BUBBLE else result

    def _report_null(self, fld: Field, path: list[str | int]) -> None:
        key = tuple(path)
        if key in self._explained:
            return  # the subgraph nulled this object wholesale and reported why elsewhere
        if key in self._error_prefixes:
            return  # an error at or below this position already explains the null
        if any(key[:end] in self._error_paths for end in range(len(key))):
            return  # an error at an enclosing position (e.g. the entity) explains it
        self._report(
            f"Cannot return null for non-nullable field {fld.parent_type}.{fld.name}.", path
        )

    def _report(self, message: str, path: list[str | int]) -> None:
        error = codes.error(message, codes.SUBGRAPH_ERROR, path=path)
        self.errors.append(error)
        key = tuple(path)
        self._error_paths.add(key)
        for end in range(len(key) + 1):
            self._error_prefixes.add(key[:end])
