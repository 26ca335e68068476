"""What resolvers get from the running service: the repository, the caller of a command, and
per-request batched read-model look-ups."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from pmo_service.app import Runtime
from pmo_service.graphql import context_of, principal_of
from pmo_service.principal import Role
from pmo_service.telemetry import current_trace_id
from sqlalchemy.ext.asyncio import AsyncConnection
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from pmo_resources.app.context import CommandContext
from pmo_resources.app.repository import Repository

REPOSITORY = "repository"
CORRELATION_HEADER = "x-correlation-id"
# A caller-chosen correlation id is kept only if it is a plain token (it ends up in Kafka headers).
_CORRELATION_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

# Who sees every person's cost rate; anyone else sees only their own (see may_see_cost_of).
COST_READERS = frozenset({Role.RESOURCE_MANAGER, Role.PMO, Role.ADMIN})

K = TypeVar("K")
V = TypeVar("V")


def runtime(info: Info[Any, Any]) -> Runtime[Any]:
    found = context_of(info).runtime
    if found is None:
        raise RuntimeError("the resources schema runs only inside the service (create_app)")
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


def may_see_cost_of(info: Info[Any, Any], person_id: str, email: str) -> bool:
    """Cost rates are for resource managers, the PMO and admins, and for the person themself:
    a token whose subject is the person's id or e-mail (case-insensitive)."""
    principal = principal_of(info)
    if not COST_READERS.isdisjoint(principal.roles):
        return True
    subject = principal.subject
    return subject == person_id or subject.strip().lower() == email


def batched(
    info: Info[Any, Any],
    name: str,
    fetch: Callable[[AsyncConnection, list[K]], Awaitable[Mapping[K, V]]],
) -> DataLoader[K, V | None]:
    """A request-wide DataLoader over ``fetch`` (one query per batch of keys)."""
    engine = runtime(info).engine

    async def load(keys: list[K]) -> Sequence[V | None]:
        async with engine.connect() as conn:
            found = await fetch(conn, keys)
        return [found.get(key) for key in keys]

    return context_of(info).loader(name, load)


def forget_loaded(info: Info[Any, Any]) -> None:
    """Drop what this request's loaders hold: after a mutation, answers are read afresh."""
    for loader in getattr(context_of(info), "_loaders", {}).values():
        loader.clear_all()
