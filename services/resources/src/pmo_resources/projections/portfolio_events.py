"""Resources' own models of the portfolio events it reads (a tolerant reader, ADR 0003).

They hold only the fields resources uses and ignore the rest, so portfolio can add fields freely.
`tests/unit/test_portfolio_contracts.py` checks them against the published JSON Schemas in
`docs/events/schemas/portfolio/`.

- `DecisionRecorded` and `InitiativeMoved`: the reactions (app/reactions.py) open and close
  demand, release allocations and funds.
- `InitiativeProposed` (v1 upcast to v2) and `InitiativeDetailsChanged`: the initiative's title
  for the demand lines (projections/demand.py, `InitiativeTitlesProjector`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pmo_events.registry import DomainEvent, EventRegistry
from pydantic import ConfigDict

from pmo_resources.domain.demand import PortfolioDecision, PortfolioMove

# Two registries, one per consumer: a projector applies exactly the types its registry resolves
# and skips the others, so the reactions never see proposals and the titles never see decisions.
reactions = EventRegistry("portfolio")
titles = EventRegistry("portfolio")


class _PortfolioEvent(DomainEvent):
    model_config = ConfigDict(frozen=True, extra="ignore")


@reactions.register()
class DecisionRecorded(_PortfolioEvent):
    """A governance decision: APPROVE opens demand, REJECT/DEFER withdraw it, CANCEL waits for
    the move to CANCELLED that follows it."""

    initiative_id: str
    portfolio_id: str | None
    decision: str  # APPROVE, REJECT, DEFER, CANCEL: unknown values are ignored, not refused
    period: str | None
    committed_amount: Decimal | None
    currency: str | None
    decided_at: datetime

    def fact(self, event_id: str) -> PortfolioDecision:
        return PortfolioDecision(
            event_id=event_id,
            initiative_id=self.initiative_id,
            portfolio_id=self.portfolio_id,
            decision=self.decision,
            period=self.period,
            committed_amount=self.committed_amount,
            currency=self.currency,
            decided_at=self.decided_at,
        )


@reactions.register()
class InitiativeMoved(_PortfolioEvent):
    """A move on the kanban: CANCELLED and DONE end the demand."""

    initiative_id: str
    to_state: str
    moved_at: datetime

    def fact(self, event_id: str) -> PortfolioMove:
        return PortfolioMove(
            event_id=event_id,
            initiative_id=self.initiative_id,
            to_state=self.to_state,
            moved_at=self.moved_at,
        )


@titles.register(version=2)
class InitiativeProposed(_PortfolioEvent):
    initiative_id: str
    title: str
    portfolio_id: str | None
    proposed_at: datetime


@titles.upcaster("pmo.portfolio.InitiativeProposed.v1", "pmo.portfolio.InitiativeProposed.v2")
def _proposed_v1(data: dict[str, Any]) -> dict[str, Any]:
    # v2 added strategic_theme_ids (none for a v1 proposal); resources does not read them, but the
    # upcast keeps the v2 shape whole for whoever reads the payload next.
    return {**data, "strategic_theme_ids": data.get("strategic_theme_ids", [])}


@titles.register()
class InitiativeDetailsChanged(_PortfolioEvent):
    initiative_id: str
    title: str
    changed_at: datetime
