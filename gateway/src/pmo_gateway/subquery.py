"""Selection sets being built for one subgraph fetch, and their rendering to GraphQL text.

Client fields keep the client's response keys, so a subgraph's answer can be merged into the
response by key. Fields the planner adds (``__typename``, entity keys) reuse a client field when it
is the same field, and otherwise get an alias no client field uses.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import print_ast
from graphql.language import ArgumentNode, ListValueNode, ObjectValueNode, ValueNode, VariableNode


def _arguments_text(arguments: tuple[ArgumentNode, ...]) -> str:
    if not arguments:
        return ""
    return "(" + ", ".join(print_ast(a) for a in arguments) + ")"


class SubField:
    __slots__ = ("arguments", "arguments_text", "name", "response_key", "selection")

    def __init__(self, response_key: str, name: str, arguments: tuple[ArgumentNode, ...]) -> None:
        self.response_key = response_key
        self.name = name
        self.arguments = arguments
        self.arguments_text = _arguments_text(arguments)
        self.selection: SubSelection | None = None

    def ensure_selection(self) -> SubSelection:
        if self.selection is None:
            self.selection = SubSelection()
        return self.selection


class SubSelection:
    __slots__ = ("fields", "fragments")

    def __init__(self) -> None:
        self.fields: dict[str, SubField] = {}
        self.fragments: dict[str, SubSelection] = {}

    def add_field(
        self, name: str, arguments: tuple[ArgumentNode, ...], response_key: str
    ) -> SubField:
        """Adds a client field (validation guarantees its response key is consistent)."""
        existing = self.fields.get(response_key)
        if existing is not None:
            return existing
        created = SubField(response_key, name, arguments)
        self.fields[response_key] = created
        return created

    def add_internal(self, name: str) -> SubField:
        """Adds an argument-less field the planner needs, reusing an identical client field."""
        existing = self.fields.get(name)
        if existing is None or (existing.name == name and not existing.arguments):
            return self.add_field(name, (), name)
        for candidate in self.fields.values():
            if candidate.name == name and not candidate.arguments:
                return candidate
        suffix = 0
        while f"_pmo_{name}{suffix}" in self.fields:
            suffix += 1
        return self.add_field(name, (), f"_pmo_{name}{suffix}")

    def fragment(self, type_name: str) -> SubSelection:
        selection = self.fragments.get(type_name)
        if selection is None:
            selection = self.fragments[type_name] = SubSelection()
        return selection

    def render(self) -> str:
        parts: list[str] = []
        for sub in self.fields.values():
            alias = f"{sub.response_key}: " if sub.response_key != sub.name else ""
            nested = f" {sub.selection.render()}" if sub.selection is not None else ""
            parts.append(f"{alias}{sub.name}{sub.arguments_text}{nested}")
        for type_name, selection in self.fragments.items():
            if selection.fields or selection.fragments:
                parts.append(f"... on {type_name} {selection.render()}")
        # A selection set must not be empty; __typename is valid on every composite type.
        return "{ " + " ".join(parts or ["__typename"]) + " }"

    def variables(self) -> Iterator[str]:
        """Names of the variables the arguments of this selection use, in order of appearance."""
        for sub in self.fields.values():
            for argument in sub.arguments:
                yield from _variables_in(argument.value)
            if sub.selection is not None:
                yield from sub.selection.variables()
        for selection in self.fragments.values():
            yield from selection.variables()


def _variables_in(value: ValueNode) -> Iterator[str]:
    if isinstance(value, VariableNode):
        yield value.name.value
    elif isinstance(value, ListValueNode):
        for item in value.values:
            yield from _variables_in(item)
    elif isinstance(value, ObjectValueNode):
        for object_field in value.fields:
            yield from _variables_in(object_field.value)
