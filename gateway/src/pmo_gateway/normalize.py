"""Normalization: an operation as a tree of fields per concrete type (the spec's CollectFields).

Fragments are folded and ``@skip``/``@include`` decided (the plan cache key holds the variables
they use), and fields with the same response key are merged. Abstract types get one field list per
possible object type, since the runtime type decides which fields apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from graphql import (
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLString,
    get_named_type,
    is_abstract_type,
    is_composite_type,
)
from graphql.language import (
    ArgumentNode,
    BooleanValueNode,
    DirectiveNode,
    FieldNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    VariableNode,
)

from pmo_gateway import errors as codes
from pmo_gateway.errors import RequestError
from pmo_gateway.operation import PreparedOperation

INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})
_TYPENAME_TYPE = GraphQLNonNull(GraphQLString)


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
