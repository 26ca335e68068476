"""From request text to a validated operation, and from an operation to a normalized field tree.

``prepare`` parses, validates against the public API schema, enforces the query limits and picks
the operation (cached per document and operation name). ``normalize`` folds fragments and
``@skip``/``@include`` into a tree of fields per concrete type: the shape both the planner and the
response shaping walk.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLString,
    get_named_type,
    get_variable_values,
    is_abstract_type,
    is_composite_type,
    parse,
    validate,
)
from graphql.language import (
    ArgumentNode,
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    VariableNode,
)

from pmo_gateway import errors as codes
from pmo_gateway.errors import RequestError, from_graphql_error

INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})
_TYPENAME_TYPE = GraphQLNonNull(GraphQLString)


@dataclass(frozen=True, slots=True)
class Limits:
    max_tokens: int = 10_000
    max_depth: int = 15
    max_aliases: int = 30
    max_validation_errors: int = 50


@dataclass(frozen=True, slots=True)
class Field:
    """One response key of one concrete parent type, with its merged sub-selection."""

    response_key: str
    name: str
    parent_type: str
    return_type: GraphQLOutputType
    arguments: tuple[ArgumentNode, ...]
    nodes: tuple[FieldNode, ...]
    selection: SelectionSet | None
    # Answered by the gateway itself (introspection) and copied as is into the response.
    local: bool = False


@dataclass(frozen=True, slots=True)
class SelectionSet:
    type_name: str
    abstract: bool
    # Concrete object type name -> its fields in response order.
    by_type: Mapping[str, tuple[Field, ...]]


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


# ---------------------------------------------------------------------------- normalization


class Normalizer:
    """Collects fields per concrete type (the spec's CollectFields), once per plan."""

    def __init__(
        self,
        schema: GraphQLSchema,
        prepared: PreparedOperation,
        conditions: Mapping[str, bool],
        *,
        introspection: bool,
    ) -> None:
        self.schema = schema
        self.fragments = prepared.fragments
        self.conditions = conditions
        self.introspection = introspection
        self._memo: dict[tuple[tuple[int, ...], str], SelectionSet] = {}

    def root(self, operation: OperationDefinitionNode) -> SelectionSet:
        root_type = self.schema.get_root_type(operation.operation)
        assert root_type is not None  # validation checked the operation type exists
        return self.selection_set((operation.selection_set,), root_type.name, is_root=True)

    def selection_set(
        self, nodes: tuple[SelectionSetNode, ...], type_name: str, *, is_root: bool = False
    ) -> SelectionSet:
        memo_key = (tuple(id(n) for n in nodes), type_name)
        cached = self._memo.get(memo_key)
        if cached is not None:
            return cached
        static = self.schema.get_type(type_name)
        abstract = is_abstract_type(static)
        possible = (
            self.schema.get_possible_types(static)  # type: ignore[arg-type]
            if abstract
            else [static]
        )
        by_type: dict[str, tuple[Field, ...]] = {}
        for runtime in possible:
            assert isinstance(runtime, GraphQLObjectType)
            grouped: dict[str, list[FieldNode]] = {}
            for node in nodes:
                self._collect(node, runtime, grouped, set())
            by_type[runtime.name] = tuple(
                self._field(runtime, key, field_nodes, is_root)
                for key, field_nodes in grouped.items()
            )
        result = SelectionSet(type_name, abstract, by_type)
        self._memo[memo_key] = result
        return result

    def _field(
        self, parent: GraphQLObjectType, key: str, nodes: list[FieldNode], is_root: bool
    ) -> Field:
        name = nodes[0].name.value
        arguments = nodes[0].arguments or ()
        if name == "__typename":
            return Field(key, name, parent.name, _TYPENAME_TYPE, (), tuple(nodes), None)
        if name in INTROSPECTION_FIELDS and is_root:
            if not self.introspection:
                raise RequestError.single(
                    "introspection is disabled on this gateway: use the published schema "
                    "(gateway/supergraph.graphql) instead",
                    codes.INTROSPECTION_DISABLED,
                )
            meta_type = self.schema.get_type("__Schema" if name == "__schema" else "__Type")
            assert isinstance(meta_type, GraphQLObjectType)
            return Field(
                key, name, parent.name, meta_type, tuple(arguments), tuple(nodes), None, local=True
            )
        definition = parent.fields[name]
        named = get_named_type(definition.type)
        selection = None
        if is_composite_type(named):
            selection = self.selection_set(
                tuple(n.selection_set for n in nodes if n.selection_set), named.name
            )
        return Field(
            key, name, parent.name, definition.type, tuple(arguments), tuple(nodes), selection
        )

    def _collect(
        self,
        selection_set: SelectionSetNode,
        runtime: GraphQLObjectType,
        grouped: dict[str, list[FieldNode]],
        visited: set[str],
    ) -> None:
        for selection in selection_set.selections:
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                grouped.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or self._applies(condition.name.value, runtime):
                    self._collect(selection.selection_set, runtime, grouped, visited)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                # A fragment spread twice in one selection set adds nothing the second time.
                if name in visited:
                    continue
                visited.add(name)
                fragment = self.fragments[name]
                if self._applies(fragment.type_condition.name.value, runtime):
                    self._collect(fragment.selection_set, runtime, grouped, visited)

    def _applies(self, condition: str, runtime: GraphQLObjectType) -> bool:
        if condition == runtime.name:
            return True
        condition_type = self.schema.get_type(condition)
        return is_abstract_type(condition_type) and self.schema.is_sub_type(
            condition_type,
            runtime,
        )

    def _included(self, selection: SelectionNode) -> bool:
        for directive in selection.directives or ():
            if directive.name.value == "skip" and self._if(directive):
                return False
            if directive.name.value == "include" and not self._if(directive):
                return False
        return True

    def _if(self, directive: DirectiveNode) -> bool:
        for argument in directive.arguments or ():
            if argument.name.value == "if":
                if isinstance(argument.value, BooleanValueNode):
                    return argument.value.value
                if isinstance(argument.value, VariableNode):
                    return bool(self.conditions.get(argument.value.name.value))
        return False
