"""JSON Schemas of the registered event models, kept under version control.

``export_schemas`` writes ``<type name>.json`` per registered model; ``check`` compares the folder
with the models so a service's test fails when someone changes a model without re-exporting (and
so without noticing that the change may break consumers). Output is byte-stable: sorted keys, two
space indentation, a final newline.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

from pmo_events.registry import DomainEvent, EventRegistry

__all__ = ["check", "export_schemas", "schema_document", "schema_of"]

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema_of(type_name: str, model: type[DomainEvent]) -> dict[str, Any]:
    """The JSON Schema of one event model, identified by its type name."""
    schema = model.model_json_schema()
    schema["$schema"] = JSON_SCHEMA_DIALECT
    schema["$id"] = type_name
    schema["title"] = model.__name__
    doc = model.__dict__.get("__doc__")
    if doc:
        schema["description"] = inspect.cleandoc(doc)
    else:
        schema.pop("description", None)
    return schema


def schema_document(type_name: str, model: type[DomainEvent]) -> str:
    """The exact file content written for one model."""
    return json.dumps(schema_of(type_name, model), indent=2, sort_keys=True) + "\n"


def export_schemas(registry: EventRegistry, folder: Path | str) -> list[Path]:
    """Write every registered model's schema to ``folder`` and return the files written.

    Files of retired types (old versions that an upcaster starts from) are left alone: they stay
    as the record of what older messages look like. Other stale ``pmo.*.json`` files are removed.
    """
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    expected = {f"{name}.json": schema_document(name, model) for name, model in registry}
    written: list[Path] = []
    for file_name, content in sorted(expected.items()):
        path = target / file_name
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            path.write_text(content, encoding="utf-8")
        written.append(path)
    for extra in _extra_files(registry, target, expected):
        extra.unlink()
    return written


def check(registry: EventRegistry, folder: Path | str) -> list[str]:
    """Problems that make ``folder`` differ from the registered models; empty when up to date."""
    target = Path(folder)
    fix = f"run export_schemas(<the {registry.context} registry>, {str(target)!r}) and commit"
    expected = {f"{name}.json": schema_document(name, model) for name, model in registry}
    problems: list[str] = []
    for file_name, content in sorted(expected.items()):
        path = target / file_name
        if not path.exists():
            problems.append(f"missing: {path} ({fix})")
        elif path.read_text(encoding="utf-8") != content:
            problems.append(f"stale: {path} no longer matches its model ({fix})")
    problems.extend(
        f"extra: {path} has no registered model or upcaster ({fix}, or delete it)"
        for path in _extra_files(registry, target, expected)
    )
    return problems


def _extra_files(registry: EventRegistry, folder: Path, expected: dict[str, str]) -> list[Path]:
    if not folder.is_dir():
        return []
    prefix = f"pmo.{registry.context}."
    keep = set(expected) | {f"{name}.json" for name in registry.retired_types}
    return sorted(
        path
        for path in folder.glob("pmo.*.json")
        if path.name.startswith(prefix) and path.name not in keep
    )
