"""Command handlers: load, decide (in the domain), save. Nothing else."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from pmo_events.errors import InvalidInput

from pmo_portfolio.app.repository import InitiativeRepository
from pmo_portfolio.domain.initiative import Initiative


@dataclass(frozen=True, slots=True)
class ProposeInitiative:
    title: str
    hypothesis: str
    owner: str
    portfolio_id: str | None = None


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return str(uuid.uuid4())


async def propose_initiative(
    command: ProposeInitiative,
    *,
    actor: str,
    initiatives: InitiativeRepository,
    now: Callable[[], datetime] = _utcnow,
    new_id: Callable[[], str] = _new_id,
) -> Initiative:
    if command.portfolio_id is None:
        raise InvalidInput("portfolio_id is required: an initiative is proposed into a portfolio")
    # TODO(issue 4 handlers): load the Portfolio (NotFound when missing) and pass its
    # active_theme_ids with the command's strategic_theme_ids.
    initiative = Initiative.propose(
        new_id(),
        title=command.title,
        hypothesis=command.hypothesis,
        owner=command.owner,
        portfolio_id=command.portfolio_id,
        actor=actor,
        now=now(),
    )
    await initiatives.save(initiative, metadata={"actor": actor})
    return initiative
