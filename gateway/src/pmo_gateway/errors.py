"""GraphQL errors the gateway produces, and their ``extensions.code`` values.

Every error a client sees is a plain JSON-ready dict (``message``, optional ``locations`` and
``path``, ``extensions.code``). Request-level failures (nothing was executed) raise
:class:`RequestError`, which carries the HTTP status the GraphQL-over-HTTP spec asks for when the
client accepts ``application/graphql-response+json``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from graphql import GraphQLError

JsonDict = dict[str, Any]
Path = Sequence[str | int]

# Request errors: nothing was sent to any subgraph.
PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
BAD_USER_INPUT = "BAD_USER_INPUT"
BAD_REQUEST = "BAD_REQUEST"
OPERATION_RESOLUTION_FAILURE = "OPERATION_RESOLUTION_FAILURE"
METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
UNAUTHENTICATED = "UNAUTHENTICATED"
PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
MAX_TOKENS_EXCEEDED = "MAX_TOKENS_EXCEEDED"
MAX_DEPTH_EXCEEDED = "MAX_DEPTH_EXCEEDED"
MAX_ALIASES_EXCEEDED = "MAX_ALIASES_EXCEEDED"
INTROSPECTION_DISABLED = "INTROSPECTION_DISABLED"
QUERY_PLANNING_FAILED = "QUERY_PLANNING_FAILED"
# Execution errors: part of the data may still be returned.
SUBGRAPH_ERROR = "SUBGRAPH_ERROR"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


def error(
    message: str,
    code: str,
    *,
    path: Path | None = None,
    locations: Iterable[JsonDict] | None = None,
    **extensions: Any,
) -> JsonDict:
    """A client-facing GraphQL error as a JSON-ready dict."""
    result: JsonDict = {"message": message}
    if locations:
        result["locations"] = list(locations)
    if path is not None:
        result["path"] = list(path)
    result["extensions"] = {"code": code, **extensions}
    return result


def from_graphql_error(err: GraphQLError, code: str) -> JsonDict:
    """Converts a graphql-core error (parse, validation, coercion) keeping its locations."""
    locations = [{"line": loc.line, "column": loc.column} for loc in err.locations or ()]
    extensions = dict(err.extensions or {})
    extensions.setdefault("code", code)
    result: JsonDict = {"message": err.message}
    if locations:
        result["locations"] = locations
    if err.path:
        result["path"] = list(err.path)
    result["extensions"] = extensions
    return result


class RequestError(Exception):
    """The request was refused before execution; the response has ``errors`` and no ``data``."""

    def __init__(self, errors: list[JsonDict], status: int = 400) -> None:
        super().__init__("; ".join(str(e.get("message")) for e in errors))
        self.errors = errors
        self.status = status

    @classmethod
    def single(cls, message: str, code: str, status: int = 400, **extensions: Any) -> RequestError:
        return cls([error(message, code, **extensions)], status)


class UnsupportedFeature(Exception):
    """The supergraph or the operation uses a federation feature this router cannot plan yet.

    Raised instead of guessing, so a client never receives wrong data.
    """
