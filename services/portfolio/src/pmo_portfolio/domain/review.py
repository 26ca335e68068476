"""The PortfolioReview aggregate: a scheduled governance meeting in which decisions are taken.

Decisions are recorded on the initiatives' streams (`DecisionRecorded.review_id`), not here; the
review only says whether it still accepts them (`accepts_decisions_for`): it must be open (not
concluded) and belong to the initiative's portfolio.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar

from pmo_events.aggregate import Aggregate
from pmo_events.errors import Conflict, InvalidInput

from pmo_portfolio.domain import validation as check
from pmo_portfolio.domain.events import (
    PortfolioEvent,
    PortfolioReviewConcluded,
    PortfolioReviewScheduled,
)

ATTENDEES_MAX = 50


@dataclass(kw_only=True)
class PortfolioReview(Aggregate):
    STREAM_TYPE: ClassVar[str] = "PortfolioReview"

    portfolio_id: str = ""
    title: str = ""
    scheduled_for: date | None = None
    attendees: tuple[str, ...] = ()
    scheduled_by: str = ""
    scheduled_at: datetime | None = None
    summary: str | None = None
    concluded_by: str | None = None
    concluded_at: datetime | None = None

    @property
    def concluded(self) -> bool:
        return self.concluded_at is not None

    @classmethod
    def schedule(
        cls,
        review_id: str,
        *,
        portfolio_id: str,
        title: str,
        scheduled_for: date,
        attendees: Sequence[str],
        actor: str,
        now: datetime,
    ) -> PortfolioReview:
        review_id = check.text("review_id", review_id)
        portfolio_id = check.text("portfolio_id", portfolio_id)
        title = check.text("title", title)
        # datetime is a date subclass; a time of day would be silently dropped, so refuse it.
        if not isinstance(scheduled_for, date) or isinstance(scheduled_for, datetime):
            raise InvalidInput(
                f"scheduled_for must be a calendar date such as 2026-12-01; got {scheduled_for!r}"
            )
        people = check.unique_texts("attendees", attendees, max_items=ATTENDEES_MAX)
        if not people:
            raise InvalidInput("attendees must list at least one person")
        review = cls(id=review_id)
        review._record(
            PortfolioReviewScheduled(
                review_id=review_id,
                portfolio_id=portfolio_id,
                title=title,
                scheduled_for=scheduled_for,
                attendees=people,
                scheduled_by=actor,
                scheduled_at=now,
            )
        )
        return review

    def conclude(self, *, summary: str, actor: str, now: datetime) -> None:
        summary = check.text("summary", summary, max_length=check.TEXT_MAX)
        if self.concluded:
            raise Conflict(
                f"review {self.id!r} ({self.title}) is already concluded; schedule a new review "
                "for further decisions"
            )
        self._record(
            PortfolioReviewConcluded(
                review_id=self.id,
                portfolio_id=self.portfolio_id,
                summary=summary,
                concluded_by=actor,
                concluded_at=now,
            )
        )

    def accepts_decisions_for(self, portfolio_id: str | None) -> None:
        """Raise unless a decision on an initiative of `portfolio_id` may be recorded in it."""
        if portfolio_id != self.portfolio_id:
            raise InvalidInput(
                f"review {self.id!r} belongs to portfolio {self.portfolio_id!r}, not to the "
                f"initiative's portfolio {portfolio_id!r}; record the decision in a review of "
                "that portfolio"
            )
        if self.concluded:
            raise Conflict(
                f"review {self.id!r} ({self.title}) is concluded and takes no more decisions; "
                "record the decision without a review or in an open one"
            )

    def _when(self, event: PortfolioEvent) -> None:
        match event:
            case PortfolioReviewScheduled():
                self.portfolio_id = event.portfolio_id
                self.title = event.title
                self.scheduled_for = event.scheduled_for
                self.attendees = tuple(event.attendees)
                self.scheduled_by = event.scheduled_by
                self.scheduled_at = event.scheduled_at
            case PortfolioReviewConcluded():
                self.summary = event.summary
                self.concluded_by = event.concluded_by
                self.concluded_at = event.concluded_at
            case _:
                self._unexpected(event)
