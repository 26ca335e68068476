"""From request text to a validated operation (parse, validate, limits, operation, variables).

``prepare`` parses, validates against the public API schema, enforces the query limits and picks
the operation; the gateway caches the result per document and operation name. ``normalize.py``
then turns the operation into the field tree the planner and the response shaping walk.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLError, GraphQLSchema, get_variable_values, parse, validate
from graphql.language import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)

from pmo_gateway import errors as codes
from pmo_gateway.errors import RequestError, from_graphql_error


@dataclass(frozen=True, slots=True)
class Limits:
    max_tokens: int = 10_000
    max_depth: int = 15
    max_aliases: int = 30
    max_validation_errors: int = 50


@dataclass(slots=True)
class PreparedOperation:
    """A parsed and validated operation; plans are cached on it per @skip/@include outcome."""

    document: DocumentNode
    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    condition_variables: tuple[str, ...]
    plans: dict[tuple[bool, ...], Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return self.operation.operation.value

    @property
    def name(self) -> str | None:
        return self.operation.name.value if self.operation.name else None


def prepare(
    schema: GraphQLSchema, query: str, operation_name: str | None, limits: Limits
) -> PreparedOperation:
    try:
        document = parse(query, max_lexical_tokens=limits.max_tokens)
    except GraphQLError as exc:
        code = codes.MAX_TOKENS_EXCEEDED if "Parsing aborted" in exc.message else codes.PARSE_FAILED
        raise RequestError([from_graphql_error(exc, code)]) from None
    validation_errors = validate(schema, document, max_errors=limits.max_validation_errors)
    if validation_errors:
        raise RequestError(
            [from_graphql_error(e, codes.VALIDATION_FAILED) for e in validation_errors]
        )
    operation = _select_operation(document, operation_name)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    _check_limits(operation, fragments, limits)
    return PreparedOperation(document, operation, fragments, _condition_variables(document))


def _select_operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name:
        for operation in operations:
            if operation.name and operation.name.value == name:
                return operation
        known = ", ".join(o.name.value for o in operations if o.name) or "none"
        raise RequestError.single(
            f"unknown operation {name!r}: the document defines {known}",
            codes.OPERATION_RESOLUTION_FAILURE,
        )
    if len(operations) != 1:
        raise RequestError.single(
            "the document has several operations: send operationName to pick one",
            codes.OPERATION_RESOLUTION_FAILURE,
        )
    return operations[0]


def _check_limits(
    operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode], limits: Limits
) -> None:
    """Depth and alias count, each fragment measured once (validation has ruled out cycles)."""
    memo: dict[str, tuple[int, int]] = {}

    def measure(selection_set: SelectionSetNode) -> tuple[int, int]:
        depth = aliases = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.alias and selection.alias.value.startswith("__"):
                    raise RequestError.single(
                        f"alias {selection.alias.value!r} is reserved (names starting with __ "
                        "belong to GraphQL): choose another alias",
                        codes.VALIDATION_FAILED,
                        locations=[_location(selection)],
                    )
                sub_depth, sub_aliases = (
                    measure(selection.selection_set) if selection.selection_set else (0, 0)
                )
                depth = max(depth, sub_depth + 1)
                aliases += sub_aliases + (1 if selection.alias else 0)
            elif isinstance(selection, InlineFragmentNode):
                sub_depth, sub_aliases = measure(selection.selection_set)
                depth, aliases = max(depth, sub_depth), aliases + sub_aliases
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in memo:
                    memo[name] = measure(fragments[name].selection_set)
                depth, aliases = max(depth, memo[name][0]), aliases + memo[name][1]
        return depth, aliases

    depth, aliases = measure(operation.selection_set)
    if depth > limits.max_depth:
        raise RequestError.single(
            f"the query is {depth} levels deep; the limit is {limits.max_depth}: "
            "split it or select fewer nested fields",
            codes.MAX_DEPTH_EXCEEDED,
        )
    if aliases > limits.max_aliases:
        raise RequestError.single(
            f"the query uses {aliases} aliases; the limit is {limits.max_aliases}: "
            "send several requests instead",
            codes.MAX_ALIASES_EXCEEDED,
        )


def _location(node: FieldNode) -> dict[str, int]:
    if node.loc is None:
        return {"line": 0, "column": 0}
    source_location = node.loc.source.get_location(node.loc.start)
    return {"line": source_location.line, "column": source_location.column}


def _condition_variables(document: DocumentNode) -> tuple[str, ...]:
    """Variables used by @skip/@include anywhere in the document (they select the plan)."""
    found: dict[str, None] = {}

    def walk(selection_set: SelectionSetNode | None) -> None:
        for selection in selection_set.selections if selection_set else ():
            for directive in selection.directives or ():
                if directive.name.value in ("skip", "include"):
                    for argument in directive.arguments or ():
                        if isinstance(argument.value, VariableNode):
                            found[argument.value.name.value] = None
            walk(getattr(selection, "selection_set", None))

    for definition in document.definitions:
        walk(getattr(definition, "selection_set", None))
    return tuple(found)


def coerce_variables(
    schema: GraphQLSchema, prepared: PreparedOperation, raw: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Coerced values (to check them and to decide @skip/@include); errors are BAD_USER_INPUT."""
    result = get_variable_values(
        schema, prepared.operation.variable_definitions or (), dict(raw or {}), max_errors=50
    )
    if isinstance(result, list):
        raise RequestError([from_graphql_error(e, codes.BAD_USER_INPUT) for e in result])
    return result.coerced


def conditions_key(prepared: PreparedOperation, coerced: Mapping[str, Any]) -> tuple[bool, ...]:
    """The @skip/@include outcome the plan depends on (part of the plan cache key)."""
    values = []
    for name in prepared.condition_variables:
        value = coerced.get(name)
        if name in coerced and not isinstance(value, bool):
            raise RequestError.single(
                f"variable ${name} decides @skip/@include and must be true or false, not null",
                codes.BAD_USER_INPUT,
            )
        values.append(bool(value))
    return tuple(values)
