"""Error shaping: every GraphQL error leaves with ``extensions.code``, and internals never leak.

- ``DomainError`` subclasses (pmo_events.errors) keep their message; ``code`` is theirs
  (BAD_USER_INPUT, NOT_FOUND, CONFLICT, FORBIDDEN, UNAUTHENTICATED, GUARDRAIL_VIOLATION).
- a pydantic ``ValidationError`` becomes BAD_USER_INPUT naming each invalid field.
- request errors found before execution keep graphql-core's message: GRAPHQL_PARSE_FAILED,
  GRAPHQL_VALIDATION_FAILED, or BAD_USER_INPUT for variables that do not fit their type.
- anything else is a bug: INTERNAL_SERVER_ERROR with a generic message and the trace id; the
  exception itself goes to the log under the same trace id.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pydantic
import structlog
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError, GraphQLSyntaxError
from pmo_events.errors import DomainError
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionResult
from strawberry.utils.str_converters import to_camel_case

from pmo_service.telemetry import current_trace_id

logger = structlog.get_logger(__name__)


def _root_cause(error: GraphQLError) -> Exception | None:
    cause: Exception | None = error.original_error
    while isinstance(cause, GraphQLError) and cause.original_error is not None:
        cause = cause.original_error
    return cause


def _rebuilt(error: GraphQLError, message: str, extensions: dict[str, Any]) -> GraphQLError:
    # original_error is dropped on purpose: serialisers must not find the exception text.
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions,
    )


def _validation_fields(error: pydantic.ValidationError) -> list[dict[str, str]]:
    fields = []
    for item in error.errors():
        path = ".".join(
            to_camel_case(part) if isinstance(part, str) else str(part) for part in item["loc"]
        )
        fields.append({"field": path or "input", "message": item["msg"]})
    return fields


def format_error(error: GraphQLError) -> GraphQLError:
    """The client-facing form of one error (see the module docstring for the rules)."""
    if error.extensions and "code" in error.extensions:
        return error
    cause = _root_cause(error)
    if isinstance(cause, DomainError):
        return _rebuilt(error, cause.message, {"code": cause.code})
    if isinstance(cause, pydantic.ValidationError):
        fields = _validation_fields(cause)
        summary = "; ".join(f"{item['field']}: {item['message']}" for item in fields)
        return _rebuilt(
            error, f"invalid input: {summary}", {"code": "BAD_USER_INPUT", "fields": fields}
        )
    graphql_own = error.original_error is None or isinstance(error.original_error, GraphQLError)
    if graphql_own and error.path is None:
        if isinstance(error, GraphQLSyntaxError):
            code = "GRAPHQL_PARSE_FAILED"
        elif error.message.startswith("Variable "):
            code = "BAD_USER_INPUT"
        else:
            code = "GRAPHQL_VALIDATION_FAILED"
        return _rebuilt(error, error.message, {"code": code})
    if error.original_error is None:
        # graphql-core's own execution errors (e.g. null for a non-null field): a server bug,
        # but the message describes the schema, not internals.
        return _rebuilt(error, error.message, {"code": "INTERNAL_SERVER_ERROR"})
    trace_id = current_trace_id()
    logger.error(
        "graphql_unexpected_error",
        path=".".join(str(part) for part in error.path or ()),
        exc_info=cause or error,
    )
    message = "internal error: the service failed unexpectedly"
    extensions: dict[str, Any] = {"code": "INTERNAL_SERVER_ERROR"}
    if trace_id:
        message += f"; quote trace id {trace_id} when reporting it"
        extensions["traceId"] = trace_id
    return _rebuilt(error, message, extensions)


class ErrorFormatter(SchemaExtension):
    """Applies ``format_error`` to the errors of every result."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if isinstance(result, GraphQLExecutionResult | ExecutionResult) and result.errors:
            result.errors = [format_error(error) for error in result.errors]
