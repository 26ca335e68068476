"""``@link`` (core schema) handling: which specs a supergraph uses, and their local names.

A spec's elements are renamed in the document that links it: the directive named like the spec is
``@<as>``, every other element ``<as>__<name>``, and ``import:`` brings elements in under their own
(or an aliased) name. See https://specs.apollo.dev/link/v1.0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import DocumentNode, value_from_ast_untyped
from graphql.language import SchemaDefinitionNode, SchemaExtensionNode


@dataclass(frozen=True, slots=True)
class LinkedSpec:
    url: str
    name: str
    version: str
    prefix: str
    purpose: str | None
    # Local element name ("@key", "Purpose") -> the spec's own element name.
    imports: dict[str, str] = field(default_factory=dict)

    def local_directive(self, element: str) -> str:
        """The name (without ``@``) the document uses for the spec's directive ``element``."""
        for local, original in self.imports.items():
            if original == f"@{element}":
                return local.removeprefix("@")
        return self.prefix if element == self.name else f"{self.prefix}__{element}"

    def owns(self, name: str) -> bool:
        """Whether a definition named ``name`` (no ``@``) belongs to this spec's machinery."""
        if name == self.prefix or name.startswith(f"{self.prefix}__"):
            return True
        return any(local.removeprefix("@") == name for local in self.imports)


def parse_url(url: str) -> tuple[str, str]:
    """``https://specs.apollo.dev/join/v0.5`` -> ``("join", "v0.5")``."""
    parts = [p for p in url.split("?")[0].split("/") if p]
    if len(parts) >= 2 and parts[-1].startswith("v"):
        return parts[-2], parts[-1]
    return parts[-1] if parts else url, ""


def read_links(document: DocumentNode) -> list[LinkedSpec]:
    """Every ``@link`` on the schema definition.

    The link spec links itself: the directive whose ``url`` is the link spec tells which name the
    other ``@link`` applications use (``link`` unless it was renamed with ``as:``).
    """
    applications: list[tuple[str, dict[str, Any]]] = []
    for definition in document.definitions:
        if isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
            for directive in definition.directives or ():
                args = {
                    a.name.value: value_from_ast_untyped(a.value) for a in directive.arguments or ()
                }
                if isinstance(args.get("url"), str):
                    applications.append((directive.name.value, args))
    link_directive = "link"
    for directive_name, args in applications:
        if parse_url(args["url"])[0] == "link":
            link_directive = str(args.get("as") or directive_name)
    specs: list[LinkedSpec] = []
    for directive_name, args in applications:
        if directive_name != link_directive:
            continue
        url = str(args["url"])
        name, version = parse_url(url)
        imports: dict[str, str] = {}
        for item in args.get("import") or ():
            if isinstance(item, str):
                imports[item] = item
            elif isinstance(item, dict) and "name" in item:
                imports[str(item.get("as", item["name"]))] = str(item["name"])
        purpose = args.get("for")
        specs.append(
            LinkedSpec(
                url,
                name,
                version,
                str(args.get("as") or name),
                str(purpose) if purpose else None,
                imports,
            )
        )
    return specs
