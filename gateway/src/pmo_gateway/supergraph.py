"""The supergraph: which subgraph resolves which type and field, and the public API schema.

Everything the router knows about the graph comes from the supergraph SDL a standard composer
wrote: ``@link`` tells which specs are in use, ``@join__graph`` names the subgraphs and their URLs,
``@join__type`` / ``@join__field`` / ``@join__implements`` / ``@join__unionMember`` say where each
element lives, and ``@inaccessible`` hides elements from clients. No type of the platform is known
here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from graphql import (
    DocumentNode,
    GraphQLSchema,
    build_ast_schema,
    parse,
    print_schema,
    value_from_ast_untyped,
)
from graphql.language import (
    ConstDirectiveNode,
    EnumTypeDefinitionNode,
    FieldNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    UnionTypeDefinitionNode,
)

from pmo_gateway.api_schema import build_api_document
from pmo_gateway.errors import UnsupportedFeature
from pmo_gateway.links import LinkedSpec, read_links

# Spec versions this router understands. A supergraph that needs any other spec for SECURITY or
# EXECUTION is refused, because routing without honouring it could leak or corrupt data.
SUPPORTED_JOIN_VERSIONS = ("v0.3", "v0.4", "v0.5")
UNDERSTOOD_SPECS = {"link", "join", "inaccessible", "tag"}


class SupergraphError(Exception):
    """The supergraph SDL cannot be used; the message says what to fix."""


@dataclass(frozen=True, slots=True)
class Subgraph:
    name: str
    enum_value: str
    url: str


@dataclass(frozen=True, slots=True)
class FieldSetItem:
    """One field of a ``join__FieldSet`` (an entity key), with its nested selection."""

    name: str
    children: tuple[FieldSetItem, ...] = ()


@dataclass(frozen=True, slots=True)
class JoinType:
    graph: str
    key: tuple[FieldSetItem, ...] | None
    key_text: str | None
    extension: bool
    resolvable: bool
    is_interface_object: bool


@dataclass(frozen=True, slots=True)
class JoinField:
    graph: str | None
    requires: str | None
    provides: str | None
    external: bool
    override: str | None
    used_overridden: bool
    override_label: str | None
    has_context_arguments: bool


def parse_field_set(text: str) -> tuple[FieldSetItem, ...]:
    """Parses ``"id org { id }"``; keys with type conditions are not supported yet."""
    document = parse("{" + text + "}", no_location=True)
    operation = document.definitions[0]

    def convert(selections: object) -> tuple[FieldSetItem, ...]:
        items = []
        for selection in selections:  # type: ignore[attr-defined]
            if not isinstance(selection, FieldNode):
                raise UnsupportedFeature(
                    f"field set {text!r} uses a fragment; interface keys are not supported yet"
                )
            children = (
                convert(selection.selection_set.selections) if selection.selection_set else ()
            )
            items.append(FieldSetItem(selection.name.value, children))
        return tuple(items)

    return convert(operation.selection_set.selections)  # type: ignore[attr-defined]


class Supergraph:
    """Routing metadata and the public API schema of one supergraph SDL."""

    def __init__(self, sdl: str, url_overrides: Mapping[str, str] | None = None) -> None:
        try:
            self.document: DocumentNode = parse(sdl)
        except Exception as exc:
            raise SupergraphError(f"the supergraph SDL does not parse: {exc}") from exc
        self.links: list[LinkedSpec] = read_links(self.document)
        self._check_links()
        join = self._spec("join")
        self._join_type = join.local_directive("type")
        self._join_field = join.local_directive("field")
        self._join_graph = join.local_directive("graph")
        self._join_implements = join.local_directive("implements")
        self._join_union_member = join.local_directive("unionMember")
        inaccessible = self._optional_spec("inaccessible")
        self.inaccessible_directive = (
            inaccessible.local_directive("inaccessible") if inaccessible else None
        )

        self.subgraphs: dict[str, Subgraph] = {}
        self._graph_by_enum: dict[str, str] = {}
        self.type_joins: dict[str, tuple[JoinType, ...]] = {}
        self.field_joins: dict[tuple[str, str], tuple[JoinField, ...]] = {}
        self.implements: dict[tuple[str, str], frozenset[str]] = {}  # (graph, type) -> interfaces
        self.union_members: dict[tuple[str, str], frozenset[str]] = {}  # (graph, union) -> members
        self.field_type_names: dict[tuple[str, str], str] = {}
        self._read_graphs(join.prefix)
        self._apply_url_overrides(url_overrides or {})
        self._read_types()

        self.api_document = build_api_document(
            self.document, self.links, self.inaccessible_directive
        )
        try:
            self.api_schema: GraphQLSchema = build_ast_schema(self.api_document)
        except Exception as exc:
            raise SupergraphError(f"the public API schema cannot be built: {exc}") from exc
        self._resolving: dict[tuple[str, str], tuple[str, ...]] = {}

    @classmethod
    def load(cls, path: Path, url_overrides: Mapping[str, str] | None = None) -> Supergraph:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise SupergraphError(
                f"cannot read the supergraph {path}: {exc}; compose it with "
                "`uv run python -m pmo_gateway.compose` or pass --supergraph PATH"
            ) from exc
        return cls(text, url_overrides)

    @cached_property
    def api_sdl(self) -> str:
        return print_schema(self.api_schema)

    # ------------------------------------------------------------------ routing questions

    def graphs_of_type(self, type_name: str) -> tuple[str, ...]:
        joins = self.type_joins.get(type_name)
        if not joins:
            # A type without join__type (e.g. a built-in scalar) is available everywhere.
            return tuple(self.subgraphs)
        return tuple(dict.fromkeys(j.graph for j in joins))

    def resolving_graphs(self, type_name: str, field_name: str) -> tuple[str, ...]:
        """The subgraphs that can resolve ``type.field`` locally, in supergraph order."""
        cache_key = (type_name, field_name)
        cached = self._resolving.get(cache_key)
        if cached is not None:
            return cached
        joins = self.field_joins.get(cache_key)
        graphs: tuple[str, ...]
        if not joins:
            # Fed 2: a field without @join__field belongs to every subgraph defining the type.
            graphs = self.graphs_of_type(type_name)
        elif any(j.graph is None for j in joins):
            graphs = self.graphs_of_type(type_name)
        else:
            graphs = tuple(
                dict.fromkeys(
                    j.graph for j in joins if j.graph and not j.external and not j.used_overridden
                )
            )
        # A subgraph can always return the key fields of the keys it declares: they are what it
        # sends and receives as the entity's representation.
        key_graphs = [
            j.graph
            for j in self.type_joins.get(type_name, ())
            if j.key and any(item.name == field_name for item in j.key) and j.graph not in graphs
        ]
        if key_graphs:
            graphs = tuple(dict.fromkeys((*graphs, *key_graphs)))
        self._resolving[cache_key] = graphs
        return graphs

    def join_field(self, type_name: str, field_name: str, graph: str) -> JoinField | None:
        for join in self.field_joins.get((type_name, field_name), ()):
            if join.graph == graph:
                return join
        return None

    def join_type(self, type_name: str, graph: str) -> JoinType | None:
        for join in self.type_joins.get(type_name, ()):
            if join.graph == graph:
                return join
        return None

    def entity_keys(self, type_name: str, graph: str) -> list[JoinType]:
        """Keys by which ``graph`` can look up ``type_name`` through ``_entities``."""
        return [
            j
            for j in self.type_joins.get(type_name, ())
            if j.graph == graph and j.key is not None and j.resolvable
        ]

    def is_possible_in_graph(self, abstract: str, concrete: str, graph: str) -> bool:
        """Whether ``graph`` may return ``concrete`` where ``abstract`` is expected."""
        if graph not in self.graphs_of_type(concrete) or graph not in self.graphs_of_type(abstract):
            return False
        members = self.union_members.get((graph, abstract))
        if members is not None:
            return concrete in members
        interfaces = self.implements.get((graph, concrete))
        if interfaces is not None and abstract in self.interface_names:
            return abstract in interfaces
        return True

    @cached_property
    def interface_names(self) -> frozenset[str]:
        from graphql import GraphQLInterfaceType

        return frozenset(
            name
            for name, t in self.api_schema.type_map.items()
            if isinstance(t, GraphQLInterfaceType)
        )

    def field_type_name(self, type_name: str, field_name: str) -> str | None:
        """The named return type of a field, including fields hidden by @inaccessible."""
        return self.field_type_names.get((type_name, field_name))

    # ------------------------------------------------------------------ loading

    def _spec(self, name: str) -> LinkedSpec:
        spec = self._optional_spec(name)
        if spec is None:
            raise SupergraphError(
                f"the supergraph has no @link to the {name} spec; is it a Federation v2 supergraph "
                "written by a composer? Recompose it with `python -m pmo_gateway.compose`"
            )
        return spec

    def _optional_spec(self, name: str) -> LinkedSpec | None:
        return next((s for s in self.links if s.name == name), None)

    def _check_links(self) -> None:
        for spec in self.links:
            if spec.name not in UNDERSTOOD_SPECS and spec.purpose in ("SECURITY", "EXECUTION"):
                raise SupergraphError(
                    f"the supergraph needs {spec.url} for {spec.purpose}, which this router does "
                    "not implement; remove that feature from the subgraphs or use another router"
                )
            if spec.name == "join" and spec.version not in SUPPORTED_JOIN_VERSIONS:
                raise SupergraphError(
                    f"join spec {spec.version} is not supported (supported: "
                    f"{', '.join(SUPPORTED_JOIN_VERSIONS)}); compose with Federation v2"
                )

    def _read_graphs(self, join_prefix: str) -> None:
        enum_name = f"{join_prefix}__Graph"
        for definition in self.document.definitions:
            if (
                isinstance(definition, EnumTypeDefinitionNode)
                and definition.name.value == enum_name
            ):
                for value in definition.values or ():
                    args = _directive_args(value.directives, self._join_graph)
                    if not args:
                        raise SupergraphError(
                            f"{enum_name}.{value.name.value} has no @{self._join_graph}"
                        )
                    for arg in args:
                        subgraph = Subgraph(str(arg["name"]), value.name.value, str(arg["url"]))
                        self.subgraphs[subgraph.name] = subgraph
                        self._graph_by_enum[subgraph.enum_value] = subgraph.name
        if not self.subgraphs:
            raise SupergraphError(f"the supergraph declares no subgraphs (no {enum_name} values)")

    def _apply_url_overrides(self, overrides: Mapping[str, str]) -> None:
        by_normalized = {_normalize(name): name for name in self.subgraphs}
        for key, url in overrides.items():
            name = by_normalized.get(_normalize(key))
            if name is None:
                raise SupergraphError(
                    f"a URL override names subgraph {key!r}, which the supergraph does not have; "
                    f"known subgraphs: {', '.join(self.subgraphs)}"
                )
            old = self.subgraphs[name]
            self.subgraphs[name] = Subgraph(old.name, old.enum_value, url)

    def _graph(self, enum_value: object) -> str:
        name = self._graph_by_enum.get(str(enum_value))
        if name is None:
            raise SupergraphError(
                f"a join directive names graph {enum_value!r}, which is not declared"
            )
        return name

    def _read_types(self) -> None:
        for definition in self.document.definitions:
            if not isinstance(definition, TypeDefinitionNode | TypeExtensionNode):
                continue
            type_name = definition.name.value
            directives = definition.directives or ()
            joins = [
                self._to_join_type(args) for args in _directive_args(directives, self._join_type)
            ]
            if joins:
                self.type_joins[type_name] = self.type_joins.get(type_name, ()) + tuple(joins)
            for args in _directive_args(directives, self._join_implements):
                key = (self._graph(args["graph"]), type_name)
                self.implements[key] = self.implements.get(key, frozenset()) | {
                    str(args["interface"])
                }
            if isinstance(definition, UnionTypeDefinitionNode):
                for args in _directive_args(directives, self._join_union_member):
                    key = (self._graph(args["graph"]), type_name)
                    self.union_members[key] = self.union_members.get(key, frozenset()) | {
                        str(args["member"])
                    }
            for field in getattr(definition, "fields", None) or ():
                named = field.type
                while not hasattr(named, "name"):
                    named = named.type
                self.field_type_names[(type_name, field.name.value)] = named.name.value
                field_joins = tuple(
                    self._to_join_field(args)
                    for args in _directive_args(field.directives, self._join_field)
                )
                if field_joins:
                    self.field_joins[(type_name, field.name.value)] = field_joins

    def _to_join_type(self, args: dict[str, object]) -> JoinType:
        key_text = args.get("key")
        return JoinType(
            graph=self._graph(args["graph"]),
            key=parse_field_set(str(key_text)) if key_text is not None else None,
            key_text=str(key_text) if key_text is not None else None,
            extension=bool(args.get("extension", False)),
            resolvable=bool(args.get("resolvable", True)),
            is_interface_object=bool(args.get("isInterfaceObject", False)),
        )

    def _to_join_field(self, args: dict[str, object]) -> JoinField:
        graph = args.get("graph")
        return JoinField(
            graph=self._graph(graph) if graph is not None else None,
            requires=_opt_str(args.get("requires")),
            provides=_opt_str(args.get("provides")),
            external=bool(args.get("external", False)),
            override=_opt_str(args.get("override")),
            used_overridden=bool(args.get("usedOverridden", False)),
            override_label=_opt_str(args.get("overrideLabel")),
            has_context_arguments=bool(args.get("contextArguments")),
        )


def _normalize(name: str) -> str:
    return name.upper().replace("-", "_")


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)


def _directive_args(
    directives: tuple[ConstDirectiveNode, ...] | None, name: str
) -> list[dict[str, object]]:
    return [
        {arg.name.value: value_from_ast_untyped(arg.value) for arg in d.arguments or ()}
        for d in directives or ()
        if d.name.value == name
    ]


__all__ = [
    "FieldSetItem",
    "JoinField",
    "JoinType",
    "Subgraph",
    "Supergraph",
    "SupergraphError",
    "parse_field_set",
]
