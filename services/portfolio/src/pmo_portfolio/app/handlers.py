"""Command handlers: load, decide (in the domain), save. Nothing else."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

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
    initiative = Initiative.propose(
        new_id(),
        title=command.title,
        hypothesis=command.hypothesis,
        owner=command.owner,
        portfolio_id=command.portfolio_id,
        proposed_by=actor,
        now=now(),
    )
    await initiatives.save(initiative, metadata={"actor": actor})
    return initiative
