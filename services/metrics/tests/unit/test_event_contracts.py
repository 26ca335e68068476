"""Metrics' models of foreign events must accept what the publishers' JSON Schemas promise.

A consumer model may read fewer fields than published (ADR 0003), but every field it requires must
be published as required with a compatible type, or a real message would land in the DLQ.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pmo_events.registry import DomainEvent
from pmo_metrics.projections.portfolio_events import portfolio

SCHEMAS = Path(__file__).resolve().parents[4] / "docs" / "events" / "schemas"
CONSUMED = [("portfolio", portfolio)]


def _types(schema: dict[str, Any]) -> set[str]:
    if "anyOf" in schema:
        return {t for option in schema["anyOf"] for t in _types(option)}
    kind = schema.get("type")
    text = {kind} if isinstance(kind, str) else set(kind or [])
    return {f"string:{schema['format']}" if "format" in schema else t for t in text}


@pytest.mark.parametrize(
    ("context", "type_name", "model"),
    [(ctx, name, model) for ctx, registry in CONSUMED for name, model in registry],
)
def test_consumer_model_matches_the_published_schema(
    context: str, type_name: str, model: type[DomainEvent]
) -> None:
    published_file = SCHEMAS / context / f"{type_name}.json"
    assert published_file.exists(), f"{type_name} is consumed but not published ({published_file})"
    published = json.loads(published_file.read_text())
    consumer = model.model_json_schema()
    for field in consumer.get("required", []):
        assert field in published.get("required", []), f"{field} is not required by the publisher"
        wanted = _types(consumer["properties"][field])
        offered = _types(published["properties"][field])
        assert offered <= wanted, f"{field}: publisher sends {offered}, consumer accepts {wanted}"
