"""Rebuild the portfolio service's own read models from its event store (`rebuild-projections`)."""

from __future__ import annotations

from pmo_events.replay import replay_read_models
from sqlalchemy.ext.asyncio import AsyncEngine

from pmo_portfolio.domain.events import registry
from pmo_portfolio.projections import project, reset_all


async def rebuild_read_models(engine: AsyncEngine, schema: str, *, progress: bool = True) -> int:
    """Empty the read models and re-apply every stored event; returns the events applied."""
    return await replay_read_models(
        engine, schema, registry=registry, project=project, reset=reset_all, progress=progress
    )
