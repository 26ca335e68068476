"""Metrics' own models of the portfolio events it reads (a tolerant reader, ADR 0003).

They hold only the fields metrics uses and ignore the rest, so portfolio can add fields freely.
`tests/unit/test_event_contracts.py` checks them against the published JSON Schemas.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pmo_events.registry import DomainEvent, EventRegistry
from pydantic import ConfigDict

portfolio = EventRegistry("portfolio")


class _PortfolioEvent(DomainEvent):
    model_config = ConfigDict(frozen=True, extra="ignore")


@portfolio.register(version=2)
class InitiativeProposed(_PortfolioEvent):
    initiative_id: str
    proposed_at: datetime


@portfolio.upcaster("pmo.portfolio.InitiativeProposed.v1", "pmo.portfolio.InitiativeProposed.v2")
def _proposed_v1(data: dict[str, Any]) -> dict[str, Any]:
    return data  # v2 only added strategic_theme_ids, which metrics does not read


@portfolio.register()
class InitiativeMoved(_PortfolioEvent):
    initiative_id: str
    to_state: str
    moved_at: datetime
