"""The Person aggregate: onboarding checks, skills, dated capacity and cost rate, offboarding."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pmo_events.errors import Conflict, InvalidInput
from pmo_resources.domain import events as e
from pmo_resources.domain.person import (
    SKILLS_MAX,
    CapacityChange,
    Person,
    Rate,
    RateChange,
    normalise_skill,
)

NOW = datetime(2026, 1, 2, 9, 0, tzinfo=UTC)
START = date(2026, 1, 5)


def onboard(**changes: Any) -> Person:
    values: dict[str, Any] = {
        "name": "Ada Lovelace",
        "email": "Ada.Lovelace@Example.com",
        "title": "Staff engineer",
        "home_team_id": None,
        "weekly_capacity_hours": Decimal(40),
        "cost_rate": Decimal("95.50"),
        "currency": "EUR",
        "starts_on": START,
        "actor": "rita",
        "now": NOW,
    }
    values.update(changes)
    return Person.onboard("p-1", **values)


def replayed(person: Person) -> Person:
    """The person as loaded from its stream: the fold must give the same state."""
    return Person.from_events(person.id, list(person.pending))


# --- onboarding ----------------------------------------------------------------------------------


def test_onboarding_records_the_cleaned_values() -> None:
    person = onboard(name="  Ada Lovelace ", home_team_id=" t-1 ")
    [event] = person.pending
    assert isinstance(event, e.PersonOnboarded)
    assert event.name == "Ada Lovelace"
    assert event.email == "ada.lovelace@example.com"  # lower-cased: uniqueness ignores case
    assert event.home_team_id == "t-1"
    assert (event.weekly_capacity_hours, event.cost_rate, event.currency) == (
        Decimal(40),
        Decimal("95.50"),
        "EUR",
    )
    assert person.version == 1
    assert replayed(person) == person


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": " "}, "name must not be empty"),
        ({"name": "x" * 201}, "name is 201 characters long; the limit is 200"),
        ({"title": ""}, "title must not be empty"),
        ({"email": "ada"}, "email must be an e-mail address"),
        ({"email": "ada@example"}, "email must be an e-mail address"),
        ({"email": "a da@example.com"}, "email must be an e-mail address"),
        ({"weekly_capacity_hours": Decimal(-1)}, "weekly_capacity_hours must be between 0 and 80"),
        ({"weekly_capacity_hours": Decimal("80.5")}, "weekly_capacity_hours must be between"),
        ({"weekly_capacity_hours": Decimal("37.555")}, "more than 2 decimal places"),
        ({"cost_rate": Decimal("-0.01")}, "cost_rate must be at least 0"),
        ({"currency": "eur"}, "currency must be an ISO 4217 code"),
        ({"home_team_id": "t" * 201}, "home_team_id is 201 characters long"),
    ],
)
def test_onboarding_refuses_bad_input(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        onboard(**changes)


def test_capacity_bounds_are_inclusive() -> None:
    assert onboard(weekly_capacity_hours=Decimal(0)).capacity_on(START) == 0
    assert onboard(weekly_capacity_hours=Decimal(80)).capacity_on(START) == 80


# --- skills --------------------------------------------------------------------------------------


def test_a_skill_is_normalised_and_its_last_assessment_wins() -> None:
    person = onboard()
    person.assess_skill("  Domain-Driven   Design ", 2, actor="rita", now=NOW)
    person.assess_skill("domain-driven design", 4, actor="sam", now=NOW + timedelta(days=1))
    assert list(person.skills) == ["domain-driven design"]
    assert person.skills["domain-driven design"].level == 4
    assert person.skills["domain-driven design"].assessed_by == "sam"
    assert normalise_skill("skill", "PYTHON") == "python"
    assert replayed(person) == person


@pytest.mark.parametrize("level", [0, 6, -1])
def test_a_level_is_1_to_5(level: int) -> None:
    with pytest.raises(InvalidInput, match="level must be between 1 and 5"):
        onboard().assess_skill("python", level, actor="rita", now=NOW)


def test_a_skill_name_is_required_and_bounded() -> None:
    person = onboard()
    with pytest.raises(InvalidInput, match="skill must not be empty"):
        person.assess_skill("  ", 3, actor="rita", now=NOW)
    with pytest.raises(InvalidInput, match="skill is 101 characters long"):
        person.assess_skill("s" * 101, 3, actor="rita", now=NOW)


def test_a_person_has_at_most_so_many_skills_but_may_be_reassessed() -> None:
    person = onboard()
    for n in range(SKILLS_MAX):
        person.assess_skill(f"skill {n}", 3, actor="rita", now=NOW)
    with pytest.raises(InvalidInput, match=f"already has {SKILLS_MAX} assessed skills"):
        person.assess_skill("one more", 3, actor="rita", now=NOW)
    person.assess_skill("skill 7", 5, actor="rita", now=NOW)
    assert person.skills["skill 7"].level == 5


# --- dated capacity and cost rate ----------------------------------------------------------------


def test_capacity_is_dated_and_the_past_keeps_its_value() -> None:
    person = onboard()
    person.change_capacity(Decimal(32), effective_from=date(2026, 3, 2), actor="r", now=NOW)
    person.change_capacity(Decimal(20), effective_from=date(2026, 6, 1), actor="r", now=NOW)
    assert person.capacity_on(date(2026, 3, 1)) == 40
    assert person.capacity_on(date(2026, 3, 2)) == 32
    assert person.capacity_on(date(2026, 5, 31)) == 32
    assert person.capacity_on(date(2026, 6, 1)) == 20
    assert person.capacity_on(date(2030, 1, 1)) == 20
    assert replayed(person).capacity_on(date(2026, 4, 1)) == 32


def test_a_change_dated_between_two_others_applies_only_until_the_later_one() -> None:
    person = onboard()
    person.change_capacity(Decimal(20), effective_from=date(2026, 6, 1), actor="r", now=NOW)
    # Recorded later but effective earlier: it does not override the June change.
    person.change_capacity(Decimal(30), effective_from=date(2026, 3, 2), actor="r", now=NOW)
    assert person.capacity_on(date(2026, 4, 1)) == 30
    assert person.capacity_on(date(2026, 7, 1)) == 20
    assert person.capacity_history == [
        CapacityChange(START, Decimal(40)),
        CapacityChange(date(2026, 3, 2), Decimal(30)),
        CapacityChange(date(2026, 6, 1), Decimal(20)),
    ]


def test_a_same_day_change_corrects_the_earlier_one() -> None:
    person = onboard()
    day = date(2026, 3, 2)
    person.change_capacity(Decimal(30), effective_from=day, actor="r", now=NOW)
    person.change_capacity(Decimal(35), effective_from=day, actor="r", now=NOW)
    assert person.capacity_on(day) == 35
    assert person.capacity_history[-1] == CapacityChange(day, Decimal(35))
    assert len(person.capacity_history) == 2


def test_the_same_change_again_records_nothing() -> None:
    person = onboard()
    person.change_capacity(Decimal(30), effective_from=date(2026, 3, 2), actor="r", now=NOW)
    before = len(person.pending)
    person.change_capacity(Decimal(30), effective_from=date(2026, 3, 2), actor="r", now=NOW)
    person.change_cost_rate(Decimal("95.50"), "EUR", effective_from=START, actor="r", now=NOW)
    assert len(person.pending) == before


def test_capacity_is_zero_before_the_start_and_after_the_last_day() -> None:
    person = onboard()
    assert person.capacity_on(START - timedelta(days=1)) == 0
    assert person.capacity_on(START) == 40
    person.offboard(last_day=date(2026, 6, 30), reason="Moved on", actor="r", now=NOW)
    assert person.capacity_on(date(2026, 6, 30)) == 40
    assert person.capacity_on(date(2026, 7, 1)) == 0
    assert not person.employed_on(date(2026, 7, 1))


def test_rate_is_dated_with_its_currency() -> None:
    person = onboard()
    person.change_cost_rate(
        Decimal("100.00"), "EUR", effective_from=date(2026, 4, 1), actor="r", now=NOW
    )
    person.change_cost_rate(
        Decimal("110"), "CHF", effective_from=date(2026, 9, 1), actor="r", now=NOW
    )
    assert person.rate_on(date(2026, 3, 31)) == Rate(Decimal("95.50"), "EUR")
    assert person.rate_on(date(2026, 4, 1)) == Rate(Decimal("100.00"), "EUR")
    assert person.rate_on(date(2026, 9, 1)) == Rate(Decimal("110"), "CHF")
    # Before the start the onboarding rate applies: a price is defined on every day.
    assert person.rate_on(date(2025, 1, 1)) == Rate(Decimal("95.50"), "EUR")
    assert person.rate_history == [
        RateChange(START, Rate(Decimal("95.50"), "EUR")),
        RateChange(date(2026, 4, 1), Rate(Decimal("100.00"), "EUR")),
        RateChange(date(2026, 9, 1), Rate(Decimal("110"), "CHF")),
    ]
    assert replayed(person).rate_on(date(2026, 5, 1)) == Rate(Decimal("100.00"), "EUR")


def test_changes_before_the_start_date_are_refused() -> None:
    person = onboard()
    with pytest.raises(InvalidInput, match=r"effective_from \(2026-01-04\) is before"):
        person.change_capacity(Decimal(30), effective_from=date(2026, 1, 4), actor="r", now=NOW)
    with pytest.raises(InvalidInput, match=r"effective_from \(2026-01-04\) is before"):
        person.change_cost_rate(
            Decimal(1), "EUR", effective_from=date(2026, 1, 4), actor="r", now=NOW
        )


@pytest.mark.parametrize("hours", [Decimal(-1), Decimal(81), Decimal("1.001")])
def test_capacity_changes_are_checked(hours: Decimal) -> None:
    with pytest.raises(InvalidInput, match="weekly_capacity_hours"):
        onboard().change_capacity(hours, effective_from=START, actor="r", now=NOW)


def test_rate_changes_are_checked() -> None:
    person = onboard()
    with pytest.raises(InvalidInput, match="cost_rate must be at least 0"):
        person.change_cost_rate(Decimal(-5), "EUR", effective_from=START, actor="r", now=NOW)
    with pytest.raises(InvalidInput, match="currency"):
        person.change_cost_rate(Decimal(5), "Euro", effective_from=START, actor="r", now=NOW)


# --- offboarding ---------------------------------------------------------------------------------


def test_offboarding_records_the_last_day_and_then_refuses_every_command() -> None:
    person = onboard()
    person.offboard(last_day=date(2026, 6, 30), reason="  Moved on ", actor="r", now=NOW)
    event = person.pending[-1]
    assert isinstance(event, e.PersonOffboarded)
    assert (event.last_day, event.reason) == (date(2026, 6, 30), "Moved on")
    assert person.offboarded
    assert replayed(person) == person
    refusals = [
        lambda: person.assess_skill("python", 3, actor="r", now=NOW),
        lambda: person.change_capacity(Decimal(1), effective_from=START, actor="r", now=NOW),
        lambda: person.change_cost_rate(
            Decimal(1), "EUR", effective_from=START, actor="r", now=NOW
        ),
        lambda: person.offboard(last_day=date(2026, 7, 1), reason="again", actor="r", now=NOW),
    ]
    for refused in refusals:
        with pytest.raises(Conflict, match=r"was offboarded \(last day 2026-06-30\)"):
            refused()


def test_the_last_day_may_be_the_day_before_the_start_but_not_earlier() -> None:
    onboard().offboard(last_day=START - timedelta(days=1), reason="Never came", actor="r", now=NOW)
    with pytest.raises(InvalidInput, match=r"last_day \(2026-01-03\) is before"):
        onboard().offboard(last_day=date(2026, 1, 3), reason="r", actor="r", now=NOW)


def test_offboarding_needs_a_reason() -> None:
    with pytest.raises(InvalidInput, match="reason must not be empty"):
        onboard().offboard(last_day=START, reason=" ", actor="r", now=NOW)
    with pytest.raises(InvalidInput, match="reason is 4001 characters long"):
        onboard().offboard(last_day=START, reason="r" * 4001, actor="r", now=NOW)


def test_a_foreign_event_in_the_stream_fails_loudly() -> None:
    formed = e.TeamFormed(
        team_id="t",
        name="T",
        topology=e.TeamTopology.PLATFORM,
        value_stream="v",
        formed_by="r",
        formed_at=NOW,
    )
    with pytest.raises(TypeError, match="does not belong to a Person stream"):
        Person.from_events("p-1", [formed])
