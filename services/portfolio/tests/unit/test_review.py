"""The PortfolioReview aggregate: scheduling, concluding and accepting decisions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from pmo_events.errors import Conflict, InvalidInput
from pmo_portfolio.domain.events import PortfolioReviewConcluded, PortfolioReviewScheduled
from pmo_portfolio.domain.review import PortfolioReview

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
DAY = date(2026, 12, 1)


def schedule(**overrides: Any) -> PortfolioReview:
    arguments: dict[str, Any] = {
        "portfolio_id": "p-1",
        "title": "Q4 portfolio sync",
        "scheduled_for": DAY,
        "attendees": [" paula ", "olivia", "board"],
        "actor": "paula",
        "now": NOW,
    } | overrides
    return PortfolioReview.schedule("rev-1", **arguments)


def test_a_review_is_scheduled_with_its_attendees() -> None:
    review = schedule()
    assert review.pending == [
        PortfolioReviewScheduled(
            review_id="rev-1",
            portfolio_id="p-1",
            title="Q4 portfolio sync",
            scheduled_for=DAY,
            attendees=["paula", "olivia", "board"],
            scheduled_by="paula",
            scheduled_at=NOW,
        )
    ]
    review.accepts_decisions_for("p-1")  # open and of that portfolio: no error


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"attendees": []}, "attendees must list at least one person"),
        ({"attendees": ["ann", " "]}, "attendees entry 2 must not be empty"),
        (
            {"attendees": ["Ann", "ann"]},
            "attendees lists 'ann' more than once; give each entry once",
        ),
        (
            {"attendees": [f"person {n}" for n in range(51)]},
            "attendees has 51 entries; the limit is 50",
        ),
        ({"title": ""}, "title must not be empty"),
        ({"title": "t" * 201}, "title is 201 characters long; the limit is 200, shorten it"),
        ({"portfolio_id": ""}, "portfolio_id must not be empty"),
        (
            {"scheduled_for": datetime(2026, 12, 1, 10, tzinfo=UTC)},
            "scheduled_for must be a calendar date such as 2026-12-01; got "
            "datetime.datetime(2026, 12, 1, 10, 0, tzinfo=datetime.timezone.utc)",
        ),
    ],
)
def test_invalid_reviews_are_refused(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        schedule(**overrides)
    assert raised.value.message == message


def test_fifty_attendees_are_fine() -> None:
    review = schedule(attendees=[f"person {n}" for n in range(50)])
    assert len(review.attendees) == 50


def test_a_concluded_review_takes_no_more_decisions_and_concludes_once() -> None:
    review = PortfolioReview.from_events("rev-1", schedule().pending)
    review.conclude(summary=" Approved two, deferred one ", actor="paula", now=NOW)
    assert review.pending == [
        PortfolioReviewConcluded(
            review_id="rev-1",
            portfolio_id="p-1",
            summary="Approved two, deferred one",
            concluded_by="paula",
            concluded_at=NOW,
        )
    ]
    assert review.concluded
    with pytest.raises(Conflict, match="is concluded and takes no more decisions"):
        review.accepts_decisions_for("p-1")
    with pytest.raises(Conflict) as twice:
        review.conclude(summary="again", actor="paula", now=NOW)
    assert twice.value.message == (
        "review 'rev-1' (Q4 portfolio sync) is already concluded; schedule a new review for "
        "further decisions"
    )
    assert len(review.pending) == 1
    replayed = PortfolioReview.from_events("rev-1", [*schedule().pending, *review.pending])
    assert replayed == review


def test_a_summary_is_required() -> None:
    review = schedule()
    with pytest.raises(InvalidInput, match=r"^summary must not be empty$"):
        review.conclude(summary="", actor="paula", now=NOW)


def test_a_review_accepts_decisions_only_for_its_own_portfolio() -> None:
    with pytest.raises(InvalidInput) as raised:
        schedule().accepts_decisions_for("p-2")
    assert raised.value.message == (
        "review 'rev-1' belongs to portfolio 'p-1', not to the initiative's portfolio 'p-2'; "
        "record the decision in a review of that portfolio"
    )
