"""The Initiative aggregate, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pmo_events.errors import InvalidInput
from pmo_portfolio.domain.events import InitiativeProposed
from pmo_portfolio.domain.initiative import TITLE_MAX, Initiative, InitiativeState

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def propose(**overrides: object) -> Initiative:
    arguments: dict[str, object] = {
        "title": "Self-service onboarding",
        "hypothesis": "For new customers who wait days for an account ...",
        "owner": "alice",
        "portfolio_id": "digital",
        "actor": "bob",
        "now": NOW,
    } | overrides
    return Initiative.propose("i-1", **arguments)  # type: ignore[arg-type]


def test_proposing_records_initiative_proposed_in_the_funnel() -> None:
    initiative = propose(title="  Self-service onboarding  ")
    assert initiative.pending == [
        InitiativeProposed(
            initiative_id="i-1",
            title="Self-service onboarding",
            hypothesis="For new customers who wait days for an account ...",
            owner="alice",
            portfolio_id="digital",
            strategic_theme_ids=[],
            proposed_by="bob",
            proposed_at=NOW,
        )
    ]
    assert initiative.state is InitiativeState.FUNNEL
    assert initiative.version == 1


def test_state_is_the_fold_of_its_events() -> None:
    proposed = propose()
    loaded = Initiative.from_events("i-1", proposed.pending)
    assert (loaded.title, loaded.owner, loaded.state, loaded.version, loaded.pending) == (
        "Self-service onboarding",
        "alice",
        InitiativeState.FUNNEL,
        1,
        [],
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": "   "}, "title must not be empty"),
        ({"title": "x" * (TITLE_MAX + 1)}, f"the limit is {TITLE_MAX}"),
        ({"owner": ""}, "owner must not be empty"),
        ({"hypothesis": "h" * 4001}, "hypothesis is 4001 characters long"),
    ],
)
def test_invalid_proposals_are_refused(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        propose(**overrides)
