"""What resolvers get from the running service: the repository and read-model look-ups."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from pmo_service.app import Runtime
from pmo_service.graphql import context_of
from strawberry.types import Info

from pmo_portfolio.app.repository import InitiativeRepository
from pmo_portfolio.projections import initiatives
from pmo_portfolio.projections.initiatives import InitiativeRow

REPOSITORY = "initiative_repository"


def runtime(info: Info[Any, Any]) -> Runtime[Any]:
    found = context_of(info).runtime
    if found is None:
        raise RuntimeError("the portfolio schema runs only inside the service (create_app)")
    return found


def repository(info: Info[Any, Any]) -> InitiativeRepository:
    found: InitiativeRepository = runtime(info).state[REPOSITORY]
    return found


def read_initiatives(
    info: Info[Any, Any],
) -> Callable[[list[str]], Awaitable[Sequence[InitiativeRow | None]]]:
    engine = runtime(info).engine

    async def load(ids: list[str]) -> Sequence[InitiativeRow | None]:
        async with engine.connect() as conn:
            found = await initiatives.by_ids(conn, ids)
        return [found.get(initiative_id) for initiative_id in ids]

    return load
