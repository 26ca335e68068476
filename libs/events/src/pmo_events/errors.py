"""Errors every layer understands.

Domain code raises these; the service chassis maps ``code`` to GraphQL ``extensions.code`` and
HTTP status. They live here, not in the chassis, because domain code imports no framework.
"""

from __future__ import annotations


class DomainError(Exception):
    """A command was refused. ``code`` is the GraphQL ``extensions.code`` clients receive."""

    code = "BAD_USER_INPUT"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):
    code = "BAD_USER_INPUT"


class NotFound(DomainError):
    code = "NOT_FOUND"


class Conflict(DomainError):
    code = "CONFLICT"


class GuardrailViolation(DomainError):
    """A governance rule refused the command; the message names the rule."""

    code = "GUARDRAIL_VIOLATION"


class Forbidden(DomainError):
    code = "FORBIDDEN"


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"


class ConcurrencyError(Conflict):
    """The stream moved on since it was loaded: expected version no longer matches."""

    def __init__(self, stream_id: str, expected: int, actual: int) -> None:
        super().__init__(
            f"stream {stream_id!r} is at version {actual}, not the expected {expected}; "
            "reload and retry the command"
        )
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual
