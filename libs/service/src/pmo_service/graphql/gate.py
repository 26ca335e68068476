"""The authentication gate: no resolver runs for a caller without a valid token.

The one exception is the federation SDL query (``{ _service { sdl } }``, optionally with
``__typename``): composition tools read it without credentials, and it reveals only the schema
that is published in the supergraph anyway. Unauthenticated operations are refused before
validation, so even validation messages ("did you mean ...") tell an anonymous caller nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    NoSchemaIntrospectionCustomRule,
    OperationType,
    get_operation_ast,
)
from strawberry.extensions import SchemaExtension

from pmo_service.graphql.context import RequestContext

_PUBLIC_FIELDS = frozenset({"_service", "__typename"})


def is_sdl_query(document: DocumentNode, operation_name: str | None) -> bool:
    """True when the selected operation only asks for the federation SDL."""
    operation = get_operation_ast(document, operation_name)
    if operation is None or operation.operation != OperationType.QUERY:
        return False
    names = [
        selection.name.value if isinstance(selection, FieldNode) else None
        for selection in operation.selection_set.selections
    ]
    return "_service" in names and all(name in _PUBLIC_FIELDS for name in names)


class AuthenticationGate(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        context = self.execution_context.context
        document = self.execution_context.graphql_document
        # In-process execution (schema.execute in unit tests) has no HTTP request to check.
        if isinstance(context, RequestContext) and document is not None:
            if context.principal is None and not is_sdl_query(
                document, self.execution_context.operation_name
            ):
                reason = context.auth_error.message if context.auth_error else "no token"
                # Setting the errors before validation makes strawberry skip validation and
                # execution and answer with these errors only.
                self.execution_context.pre_execution_errors = [
                    GraphQLError(reason, extensions={"code": "UNAUTHENTICATED"})
                ]
            elif not context.introspection:
                self.execution_context.validation_rules = (
                    *self.execution_context.validation_rules,
                    NoSchemaIntrospectionCustomRule,
                )
        yield
