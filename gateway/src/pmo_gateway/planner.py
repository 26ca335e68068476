"""Query planning: which subgraph fetches answer a normalized operation, and in which order.

Root fields are grouped per subgraph (one fetch each, run in parallel for queries; consecutive
groups in document order for mutations, which run one after the other). Inside a fetch, a field
the current subgraph cannot resolve becomes a dependent ``_entities`` fetch to a subgraph that can:
the parent fetch selects ``__typename`` and the entity's key, and the child fetch runs once per
plan node with every representation found at its path.

Not planned yet (a clear ``UnsupportedFeature`` instead of wrong data): ``@requires``,
``@fromContext``, ``@interfaceObject`` and interface keys. ``@provides`` is ignored, which is
always correct (the provided fields are fetched from their owner instead).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from graphql import GraphQLSchema, print_ast
from graphql.language import (
    DocumentNode,
    FragmentDefinitionNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

from pmo_gateway.errors import UnsupportedFeature
from pmo_gateway.normalize import Field, SelectionSet
from pmo_gateway.subquery import SubSelection
from pmo_gateway.supergraph import FieldSetItem, JoinType, Supergraph


@dataclass(frozen=True, slots=True)
class PathStep:
    """A response key to follow; ``type_condition`` filters the objects holding it."""

    key: str
    type_condition: str | None = None


@dataclass(frozen=True, slots=True)
class KeyReader:
    """Reads one key field of a representation from the response (where it may be aliased)."""

    name: str
    response_key: str
    children: tuple[KeyReader, ...] = ()


@dataclass(frozen=True, slots=True)
class EntityTarget:
    path: tuple[PathStep, ...]
    type_name: str
    key: tuple[KeyReader, ...]
    representations_variable: str


@dataclass(slots=True)
class FetchNode:
    subgraph: str
    kind: str
    document: str
    variables: tuple[str, ...]
    # Response keys this fetch fills at its merge point (named in errors when it fails).
    fields: tuple[str, ...]
    entity: EntityTarget | None = None
    children: list[FetchNode] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class QueryPlan:
    kind: str
    fetches: tuple[FetchNode, ...]
    sequential: bool
    selection: SelectionSet
    introspection: DocumentNode | None


class _FetchBuilder:
    def __init__(
        self, subgraph: str, kind: str, entity: tuple[tuple[PathStep, ...], str] | None
    ) -> None:
        self.subgraph = subgraph
        self.kind = kind
        self.entity = entity
        self.key: tuple[KeyReader, ...] = ()
        self.selection = SubSelection()
        self.fields: list[str] = []
        self.children: list[_FetchBuilder] = []


class Planner:
    def __init__(self, supergraph: Supergraph) -> None:
        self.supergraph = supergraph
        self.schema: GraphQLSchema = supergraph.api_schema
        self._keys: dict[tuple[str, str, str], JoinType | None] = {}

    def plan(
        self,
        operation: OperationDefinitionNode,
        root: SelectionSet,
        fragments: tuple[FragmentDefinitionNode, ...],
    ) -> QueryPlan:
        kind = operation.operation.value
        if kind == "subscription":
            raise UnsupportedFeature("subscriptions are not supported by this gateway yet")
        root_type = root.type_name
        fields = root.by_type[root_type]
        groups: list[tuple[str, list[Field]]] = []
        for root_field in fields:
            if root_field.local or root_field.name == "__typename":
                continue
            graph = self._root_graph(root_type, root_field, [g for g, _ in groups], kind)
            if kind == "mutation":
                # Mutations run in document order: only consecutive fields share a fetch.
                if groups and groups[-1][0] == graph:
                    groups[-1][1].append(root_field)
                else:
                    groups.append((graph, [root_field]))
            else:
                existing = next((g for g in groups if g[0] == graph), None)
                if existing is None:
                    groups.append((graph, [root_field]))
                else:
                    existing[1].append(root_field)
        builders = []
        for graph, group in groups:
            builder = _FetchBuilder(graph, kind, None)
            for root_field in group:
                builder.fields.append(root_field.response_key)
                self._plan_field(
                    builder,
                    builder.selection,
                    root_field,
                    graph,
                    (PathStep(root_field.response_key),),
                )
            builders.append(builder)
        counter = [0]
        fetches = tuple(self._finish(b, operation, counter) for b in builders)
        return QueryPlan(
            kind=kind,
            fetches=fetches,
            sequential=kind == "mutation",
            selection=root,
            introspection=_introspection_document(operation, fields, fragments),
        )

    # ------------------------------------------------------------------ choosing subgraphs

    def _root_graph(self, root_type: str, root_field: Field, used: list[str], kind: str) -> str:
        graphs = self.supergraph.resolving_graphs(root_type, root_field.name)
        if not graphs:
            raise UnsupportedFeature(f"no subgraph resolves {root_type}.{root_field.name}")
        if kind == "mutation" and used and used[-1] in graphs:
            return used[-1]
        return next((g for g in graphs if g in used), graphs[0])

    def _target_graph(self, type_name: str, fld: Field, source: str, preferred: list[str]) -> str:
        graphs = self.supergraph.resolving_graphs(type_name, fld.name)
        ordered = [g for g in graphs if g in preferred] + [g for g in graphs if g not in preferred]
        for graph in ordered:
            if self._key(type_name, source, graph) is not None:
                return graph
        raise UnsupportedFeature(
            f"cannot plan {type_name}.{fld.name}: subgraph {source!r} cannot resolve it and no "
            f"subgraph that can ({', '.join(graphs) or 'none'}) has an @key whose fields "
            f"{source!r} can provide"
        )

    def _key(self, type_name: str, source: str, target: str) -> JoinType | None:
        """A key of ``target`` for ``type_name`` that ``source`` can provide (shared keys first)."""
        cache_key = (type_name, source, target)
        if cache_key in self._keys:
            return self._keys[cache_key]
        candidates = self.supergraph.entity_keys(type_name, target)
        source_keys = {
            j.key_text for j in self.supergraph.type_joins.get(type_name, ()) if j.graph == source
        }
        chosen = next((j for j in candidates if j.key_text in source_keys), None)
        if chosen is None:
            chosen = next(
                (j for j in candidates if j.key and self._provides(type_name, j.key, source)), None
            )
        for join in (self.supergraph.join_type(type_name, source), chosen):
            if join is not None and join.is_interface_object:
                raise UnsupportedFeature(
                    f"{type_name} is an @interfaceObject in subgraph {join.graph!r}; "
                    "@interfaceObject is not supported yet"
                )
        self._keys[cache_key] = chosen
        return chosen

    def _provides(self, type_name: str, items: tuple[FieldSetItem, ...], graph: str) -> bool:
        for item in items:
            if graph not in self.supergraph.resolving_graphs(type_name, item.name):
                return False
            if item.children:
                child_type = self.supergraph.field_type_name(type_name, item.name)
                if child_type is None or not self._provides(child_type, item.children, graph):
                    return False
        return True

    # ------------------------------------------------------------------ building fetches

    def _plan_field(
        self,
        builder: _FetchBuilder,
        selection: SubSelection,
        fld: Field,
        graph: str,
        path: tuple[PathStep, ...],
    ) -> None:
        join = self.supergraph.join_field(fld.parent_type, fld.name, graph)
        if join is not None and join.requires:
            raise UnsupportedFeature(
                f"{fld.parent_type}.{fld.name} uses @requires({join.requires}) in subgraph "
                f"{graph!r}; @requires is not supported yet"
            )
        if join is not None and join.has_context_arguments:
            raise UnsupportedFeature(
                f"{fld.parent_type}.{fld.name} uses @fromContext; it is not supported yet"
            )
        sub = selection.add_field(fld.name, fld.arguments, fld.response_key)
        if fld.selection is not None:
            self._plan_selection(builder, sub.ensure_selection(), fld.selection, graph, path)

    def _plan_selection(
        self,
        builder: _FetchBuilder,
        selection: SubSelection,
        selection_set: SelectionSet,
        graph: str,
        path: tuple[PathStep, ...],
    ) -> None:
        if not selection_set.abstract:
            for type_name, fields in selection_set.by_type.items():
                self._plan_object(builder, selection, type_name, fields, graph, path, None)
            return
        # The runtime type decides which fields apply, so the response must name it.
        selection.add_internal("__typename")
        for type_name, fields in selection_set.by_type.items():
            if self.supergraph.is_possible_in_graph(selection_set.type_name, type_name, graph):
                target = selection.fragment(type_name)
                self._plan_object(builder, target, type_name, fields, graph, path, type_name)

    def _plan_object(
        self,
        builder: _FetchBuilder,
        selection: SubSelection,
        type_name: str,
        fields: tuple[Field, ...],
        graph: str,
        path: tuple[PathStep, ...],
        condition: str | None,
    ) -> None:
        remote: dict[str, list[Field]] = {}
        for fld in fields:
            if fld.name == "__typename":
                selection.add_field("__typename", (), fld.response_key)
            elif graph in self.supergraph.resolving_graphs(type_name, fld.name):
                step = PathStep(fld.response_key, condition)
                self._plan_field(builder, selection, fld, graph, (*path, step))
            else:
                target = self._target_graph(type_name, fld, graph, list(remote))
                remote.setdefault(target, []).append(fld)
        for target, remote_fields in remote.items():
            join = self._key(type_name, graph, target)
            # _target_graph only picks graphs with such a key.
            assert join is not None
            assert join.key is not None
            if condition is None:  # an abstract position selects __typename already
                selection.add_internal("__typename")
            child = _FetchBuilder(target, "query", (path, type_name))
            child.key = self._select_key(selection, type_name, join.key)
            for fld in remote_fields:
                child.fields.append(fld.response_key)
                step = PathStep(fld.response_key, condition)
                self._plan_field(child, child.selection, fld, target, (*path, step))
            builder.children.append(child)

    def _select_key(
        self, selection: SubSelection, type_name: str, items: tuple[FieldSetItem, ...]
    ) -> tuple[KeyReader, ...]:
        readers = []
        for item in items:
            sub = selection.add_internal(item.name)
            children: tuple[KeyReader, ...] = ()
            if item.children:
                child_type = self.supergraph.field_type_name(type_name, item.name) or ""
                children = self._select_key(sub.ensure_selection(), child_type, item.children)
            readers.append(KeyReader(item.name, sub.response_key, children))
        return tuple(readers)

    def _finish(
        self, builder: _FetchBuilder, operation: OperationDefinitionNode, counter: list[int]
    ) -> FetchNode:
        counter[0] += 1
        base = operation.name.value if operation.name else "anonymous"
        name = _safe_name(f"{base}__{builder.subgraph}__{counter[0]}")
        used = list(dict.fromkeys(builder.selection.variables()))
        definitions = {d.variable.name.value: d for d in operation.variable_definitions or ()}
        declared = [print_ast(definitions[v]) for v in used if v in definitions]
        entity: EntityTarget | None = None
        if builder.entity is None:
            header = f"({', '.join(declared)})" if declared else ""
            document = f"{builder.kind} {name}{header} {builder.selection.render()}"
        else:
            path, type_name = builder.entity
            representations = "representations"
            while representations in definitions:
                representations += "_"
            header = ", ".join([f"${representations}: [_Any!]!", *declared])
            inner = builder.selection.render()
            document = (
                f"query {name}({header}) {{ _entities(representations: ${representations}) "
                f"{{ ... on {type_name} {inner} }} }}"
            )
            entity = EntityTarget(path, type_name, builder.key, representations)
        node = FetchNode(
            subgraph=builder.subgraph,
            kind=builder.kind,
            document=document,
            variables=tuple(used),
            fields=tuple(builder.fields),
            entity=entity,
        )
        node.children = [self._finish(child, operation, counter) for child in builder.children]
        return node


def _safe_name(text: str) -> str:
    return "".join(c if c.isalnum() or c == "_" else "_" for c in text)


def _introspection_document(
    operation: OperationDefinitionNode,
    fields: tuple[Field, ...],
    fragments: tuple[FragmentDefinitionNode, ...],
) -> DocumentNode | None:
    """The root introspection fields as their own document, executed by the gateway."""
    nodes = [node for f in fields if f.local for node in f.nodes]
    if not nodes:
        return None
    local_operation = replace(operation, selection_set=SelectionSetNode(selections=tuple(nodes)))
    return DocumentNode(definitions=(local_operation, *fragments))
