"""Resources' models of the portfolio events must accept what portfolio's JSON Schemas promise.

A consumer model may read fewer fields than published (ADR 0003), but every field it requires must
be published as required with a compatible type, or a real message would land in the DLQ. The
InitiativeProposed v1 upcaster must turn every valid v1 payload into a valid v2 one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pmo_events.registry import DomainEvent
from pmo_resources.projections.portfolio_events import (
    InitiativeProposed,
    reactions,
    titles,
)

SCHEMAS = Path(__file__).resolve().parents[4] / "docs" / "events" / "schemas" / "portfolio"
CONSUMED = [*reactions, *titles]


def _types(schema: dict[str, Any]) -> set[str]:
    if "anyOf" in schema:
        return {t for option in schema["anyOf"] for t in _types(option)}
    kind = schema.get("type")
    text = {kind} if isinstance(kind, str) else set(kind or [])
    return {f"string:{schema['format']}" if "format" in schema else t for t in text}


def _published(type_name: str) -> dict[str, Any]:
    path = SCHEMAS / f"{type_name}.json"
    assert path.exists(), f"{type_name} is consumed but not published ({path})"
    found: dict[str, Any] = json.loads(path.read_text())
    return found


def test_resources_reads_the_decisions_moves_and_proposals() -> None:
    assert [name for name, _ in CONSUMED] == [
        "pmo.portfolio.DecisionRecorded.v1",
        "pmo.portfolio.InitiativeMoved.v1",
        "pmo.portfolio.InitiativeDetailsChanged.v1",
        "pmo.portfolio.InitiativeProposed.v2",
    ]


@pytest.mark.parametrize(("type_name", "model"), CONSUMED, ids=[name for name, _ in CONSUMED])
def test_consumer_model_matches_the_published_schema(
    type_name: str, model: type[DomainEvent]
) -> None:
    published = _published(type_name)
    consumer = model.model_json_schema()
    for field in consumer.get("required", []):
        assert field in published.get("required", []), f"{field} is not required by the publisher"
        wanted = _types(consumer["properties"][field])
        offered = _types(published["properties"][field])
        assert offered <= wanted, f"{field}: publisher sends {offered}, consumer accepts {wanted}"


def test_a_v1_proposal_upcasts_to_the_v2_shape_and_parses() -> None:
    v1 = _published("pmo.portfolio.InitiativeProposed.v1")
    v2 = _published("pmo.portfolio.InitiativeProposed.v2")
    payload = {
        "initiative_id": "i-1",
        "title": "Instant payments",
        "hypothesis": "",
        "owner": "o",
        "portfolio_id": None,
        "proposed_by": "u",
        "proposed_at": "2026-10-01T00:00:00+00:00",
    }
    assert set(payload) == set(v1["required"])
    type_name, upcast = titles.upcast("pmo.portfolio.InitiativeProposed.v1", payload)
    assert type_name == "pmo.portfolio.InitiativeProposed.v2"
    assert set(upcast) == set(v2["required"])  # the whole v2 shape, themes empty
    assert upcast["strategic_theme_ids"] == []
    parsed = titles.parse("pmo.portfolio.InitiativeProposed.v1", payload)
    assert isinstance(parsed, InitiativeProposed)
    assert parsed.title == "Instant payments"


def test_unknown_decisions_and_extra_fields_are_read_not_refused() -> None:
    parsed = reactions.parse(
        "pmo.portfolio.DecisionRecorded.v1",
        {
            "initiative_id": "i-1",
            "decision_id": "d-1",
            "portfolio_id": "p-1",
            "decision": "ESCALATE",  # a later decision kind: the reactions ignore it
            "rationale": "",
            "decided_by": "u",
            "decided_at": "2026-11-02T09:00:00+00:00",
            "review_id": None,
            "period": None,
            "committed_amount": None,
            "currency": None,
            "a_field_added_later": 1,
        },
    )
    assert parsed.model_dump()["decision"] == "ESCALATE"
