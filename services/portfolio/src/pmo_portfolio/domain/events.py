"""The portfolio context's domain events: the facts it publishes on `pmo.portfolio.events`.

Each event is versioned (`pmo.portfolio.<Name>.v<N>`); a shape change adds a new version and an
upcaster, never an edit of a published one. Their JSON Schemas are checked in under
`docs/events/schemas/`.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pmo_events.registry import DomainEvent, EventRegistry
from pydantic import Field

registry = EventRegistry("portfolio")


@registry.register()
class InitiativeProposed(DomainEvent):
    """An idea entered the portfolio funnel as a new initiative (epic)."""

    version: ClassVar[int] = 1

    initiative_id: str = Field(description="The initiative's id; also the stream id.")
    title: str = Field(description="Short name of the initiative.")
    hypothesis: str = Field(description="The epic hypothesis statement.")
    owner: str = Field(description="Who owns the initiative (epic owner).")
    portfolio_id: str | None = Field(description="The portfolio it belongs to, if known yet.")
    proposed_by: str = Field(description="Subject of the user who proposed it.")
    proposed_at: datetime = Field(description="When it was proposed (UTC).")


PortfolioEvent = InitiativeProposed
