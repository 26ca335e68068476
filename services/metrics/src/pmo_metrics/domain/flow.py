"""Flow of an initiative through the portfolio kanban, as metrics sees it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class InitiativeFlow:
    initiative_id: str
    state: str
    proposed_at: datetime
    state_entered_at: datetime
    transitions: int

    def age_days(self, now: datetime) -> float:
        """Days since the initiative entered the funnel (never negative under clock skew)."""
        return max(0.0, (now - self.proposed_at).total_seconds() / SECONDS_PER_DAY)

    def days_in_state(self, now: datetime) -> float:
        return max(0.0, (now - self.state_entered_at).total_seconds() / SECONDS_PER_DAY)
