"""What resolvers get from the running service: the repository, the caller of a command, and
read-model look-ups."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from pmo_service.app import Runtime
from pmo_service.graphql import context_of, principal_of
from pmo_service.telemetry import current_trace_id
from strawberry.types import Info

from pmo_portfolio.app.context import CommandContext
from pmo_portfolio.app.repository import Repository
from pmo_portfolio.projections import initiatives
from pmo_portfolio.projections.initiatives import InitiativeRow

REPOSITORY = "repository"
CORRELATION_HEADER = "x-correlation-id"
# A caller-chosen correlation id is kept only if it is a plain token (it ends up in Kafka headers).
_CORRELATION_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def runtime(info: Info[Any, Any]) -> Runtime[Any]:
    found = context_of(info).runtime
    if found is None:
        raise RuntimeError("the portfolio schema runs only inside the service (create_app)")
    return found


def repository(info: Info[Any, Any]) -> Repository:
    found: Repository = runtime(info).state[REPOSITORY]
    return found


def command_context(info: Info[Any, Any]) -> CommandContext:
    """The authenticated caller of this request's command, with the request's correlation id."""
    principal = principal_of(info)
    return CommandContext.of(
        principal.subject, principal.roles, correlation_id=correlation_id(info)
    )


def correlation_id(info: Info[Any, Any]) -> str | None:
    """The request's correlation id: the client's X-Correlation-Id if it sent a plain one,
    else the trace id (shared by the gateway and every subgraph call of the request), else
    None (the context then makes a fresh one)."""
    request = context_of(info).request
    given = request.headers.get(CORRELATION_HEADER) if request is not None else None
    if given is not None and _CORRELATION_ID.fullmatch(given):
        return given
    return current_trace_id()


def read_initiatives(
    info: Info[Any, Any],
) -> Callable[[list[str]], Awaitable[Sequence[InitiativeRow | None]]]:
    engine = runtime(info).engine

    async def load(ids: list[str]) -> Sequence[InitiativeRow | None]:
        async with engine.connect() as conn:
            found = await initiatives.by_ids(conn, ids)
        return [found.get(initiative_id) for initiative_id in ids]

    return load
