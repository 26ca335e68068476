"""JSON Schema export and the staleness check a service test runs."""

from __future__ import annotations

import json
from pathlib import Path

from pmo_events import DomainEvent, EventRegistry, check_schemas, export_schemas

from libs.events.tests.events import demo


def test_export_writes_one_stable_schema_per_event_type(tmp_path: Path) -> None:
    written = export_schemas(demo, tmp_path)
    assert sorted(path.name for path in written) == [
        "pmo.demo.ItemAdded.v1.json",
        "pmo.demo.ItemRemoved.v1.json",
        "pmo.demo.ItemRenamed.v2.json",
    ]
    schema = json.loads((tmp_path / "pmo.demo.ItemAdded.v1.json").read_text())
    assert schema["$id"] == "pmo.demo.ItemAdded.v1"
    assert schema["title"] == "ItemAdded"
    assert schema["description"] == "An item was added to a list."
    assert schema["required"] == ["item"]
    assert schema["additionalProperties"] is False
    assert "description" not in json.loads((tmp_path / "pmo.demo.ItemRemoved.v1.json").read_text())
    before = {path: path.read_bytes() for path in written}
    export_schemas(demo, tmp_path)
    assert {path: path.read_bytes() for path in written} == before
    assert check_schemas(demo, tmp_path) == []


def test_check_reports_stale_missing_and_extra_files(tmp_path: Path) -> None:
    export_schemas(demo, tmp_path)
    (tmp_path / "pmo.demo.ItemAdded.v1.json").write_text("{}\n")
    (tmp_path / "pmo.demo.ItemRemoved.v1.json").unlink()
    (tmp_path / "pmo.demo.ItemDeleted.v1.json").write_text("{}\n")
    (tmp_path / "pmo.demo.ItemRenamed.v1.json").write_text("{}\n")  # retired version: kept
    problems = check_schemas(demo, tmp_path)
    assert [problem.split(":")[0] for problem in problems] == ["stale", "missing", "extra"]
    assert "pmo.demo.ItemAdded.v1.json" in problems[0]
    assert "pmo.demo.ItemRemoved.v1.json" in problems[1]
    assert "pmo.demo.ItemDeleted.v1.json" in problems[2]
    assert all("export_schemas" in problem for problem in problems)
    export_schemas(demo, tmp_path)
    assert check_schemas(demo, tmp_path) == []
    assert (tmp_path / "pmo.demo.ItemRenamed.v1.json").exists()


def test_a_changed_model_makes_its_schema_stale(tmp_path: Path) -> None:
    before = EventRegistry("shop")

    @before.register(name="Paid")
    class PaidBefore(DomainEvent):
        amount: int

    export_schemas(before, tmp_path)
    after = EventRegistry("shop")

    @after.register(name="Paid")
    class PaidAfter(DomainEvent):
        amount: int
        currency: str

    [problem] = check_schemas(after, tmp_path)
    assert problem.startswith("stale:")
