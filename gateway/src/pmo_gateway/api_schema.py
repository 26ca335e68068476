"""Derives the public API schema (what clients validate and introspect) from the supergraph.

Removed: the machinery of every linked spec (``join__*``, ``link__*``, ``@link``,
``@inaccessible``, ``@tag``, ...) and every element marked ``@inaccessible``. Kept: everything
else, descriptions and ``@deprecated`` included.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any, TypeVar

from graphql import DocumentNode
from graphql.language import (
    ConstDirectiveNode,
    DefinitionNode,
    DirectiveDefinitionNode,
    Node,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    TypeDefinitionNode,
    TypeExtensionNode,
)

from pmo_gateway.links import LinkedSpec

N = TypeVar("N", bound=Node)


def build_api_document(
    document: DocumentNode, links: list[LinkedSpec], inaccessible: str | None
) -> DocumentNode:
    def is_machinery(name: str) -> bool:
        return any(spec.owns(name) for spec in links)

    def hidden(node: Node) -> bool:
        return inaccessible is not None and any(
            d.name.value == inaccessible for d in getattr(node, "directives", None) or ()
        )

    hidden_types = {
        d.name.value
        for d in document.definitions
        if isinstance(d, TypeDefinitionNode | TypeExtensionNode)
        and (hidden(d) or is_machinery(d.name.value))
    }

    def public_directives(
        directives: Iterable[ConstDirectiveNode] | None,
    ) -> tuple[ConstDirectiveNode, ...]:
        return tuple(d for d in directives or () if not is_machinery(d.name.value))

    def visible(nodes: Iterable[N] | None) -> tuple[N, ...]:
        return tuple(clean(n) for n in nodes or () if not hidden(n))

    def clean(node: N) -> N:
        changes: dict[str, Any] = {}
        directives = getattr(node, "directives", None)
        if directives is not None:
            changes["directives"] = public_directives(directives)
        for attr in ("fields", "values", "arguments"):
            if getattr(node, attr, None) is not None:
                changes[attr] = visible(getattr(node, attr))
        for attr in ("interfaces", "types"):  # implemented interfaces, union members
            named_types = getattr(node, attr, None)
            if named_types is not None:
                changes[attr] = tuple(t for t in named_types if t.name.value not in hidden_types)
        return replace(node, **changes)

    definitions: list[DefinitionNode] = []
    for definition in document.definitions:
        if isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
            definitions.append(
                replace(definition, directives=public_directives(definition.directives))
            )
        elif isinstance(definition, DirectiveDefinitionNode):
            if not is_machinery(definition.name.value):
                definitions.append(replace(definition, arguments=visible(definition.arguments)))
        elif isinstance(definition, TypeDefinitionNode | TypeExtensionNode):
            if definition.name.value not in hidden_types:
                definitions.append(clean(definition))
        else:
            definitions.append(definition)
    return DocumentNode(definitions=tuple(definitions))
