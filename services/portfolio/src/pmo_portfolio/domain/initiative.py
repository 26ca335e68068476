"""The Initiative aggregate: an epic on the portfolio kanban.

Its state is the fold of its events. Command methods check invariants and record new events;
they never touch storage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from pmo_events.errors import InvalidInput

from pmo_portfolio.domain.events import InitiativeProposed, PortfolioEvent

TITLE_MAX = 200
HYPOTHESIS_MAX = 4000


class InitiativeState(StrEnum):
    FUNNEL = "FUNNEL"
    REVIEWING = "REVIEWING"
    ANALYZING = "ANALYZING"
    READY = "READY"
    IMPLEMENTING = "IMPLEMENTING"
    DONE = "DONE"
    ON_HOLD = "ON_HOLD"
    CANCELLED = "CANCELLED"


@dataclass
class Initiative:
    id: str
    version: int = 0
    title: str = ""
    hypothesis: str = ""
    owner: str = ""
    portfolio_id: str | None = None
    state: InitiativeState = InitiativeState.FUNNEL
    proposed_by: str = ""
    proposed_at: datetime | None = None
    updated_at: datetime | None = None
    pending: list[PortfolioEvent] = field(default_factory=list)

    STREAM_TYPE = "Initiative"

    @classmethod
    def propose(
        cls,
        initiative_id: str,
        *,
        title: str,
        hypothesis: str,
        owner: str,
        portfolio_id: str | None,
        proposed_by: str,
        now: datetime,
    ) -> Initiative:
        title = title.strip()
        owner = owner.strip()
        if not title:
            raise InvalidInput("title must not be empty")
        if len(title) > TITLE_MAX:
            raise InvalidInput(f"title is {len(title)} characters long; the limit is {TITLE_MAX}")
        if len(hypothesis) > HYPOTHESIS_MAX:
            raise InvalidInput(
                f"hypothesis is {len(hypothesis)} characters long; the limit is {HYPOTHESIS_MAX}"
            )
        if not owner:
            raise InvalidInput("owner must not be empty")
        initiative = cls(id=initiative_id)
        initiative._record(
            InitiativeProposed(
                initiative_id=initiative_id,
                title=title,
                hypothesis=hypothesis.strip(),
                owner=owner,
                portfolio_id=portfolio_id,
                strategic_theme_ids=[],
                proposed_by=proposed_by,
                proposed_at=now,
            )
        )
        return initiative

    @classmethod
    def from_events(cls, initiative_id: str, events: list[PortfolioEvent]) -> Initiative:
        initiative = cls(id=initiative_id)
        for event in events:
            initiative._apply(event)
        return initiative

    def _record(self, event: PortfolioEvent) -> None:
        self._apply(event)
        self.pending.append(event)

    def _apply(self, event: PortfolioEvent) -> None:
        match event:
            case InitiativeProposed():
                self.title = event.title
                self.hypothesis = event.hypothesis
                self.owner = event.owner
                self.portfolio_id = event.portfolio_id
                self.state = InitiativeState.FUNNEL
                self.proposed_by = event.proposed_by
                self.proposed_at = event.proposed_at
                self.updated_at = event.proposed_at
        self.version += 1
