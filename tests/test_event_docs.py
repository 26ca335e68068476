"""The event catalogue (JSON Schemas and AsyncAPI) must match the event models in the code."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _event_docs():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("event_docs", ROOT / "scripts" / "event_docs.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_checked_in_event_catalogue_matches_the_models() -> None:
    stale = _event_docs().problems()
    assert not stale, "event docs are stale; run `make event-docs` and commit:\n" + "\n".join(stale)


def test_asyncapi_lists_every_registered_event_on_its_topic() -> None:
    import yaml

    module = _event_docs()
    doc = yaml.safe_load((ROOT / "docs" / "asyncapi.yaml").read_text())
    assert doc["asyncapi"] == "3.0.0"
    for publisher in module.PUBLISHERS:
        channel = doc["channels"][f"{publisher.context}Events"]
        assert channel["address"] == publisher.topic
        assert set(channel["messages"]) == {name for name, _ in publisher.registry}
