"""Event models the tests use (a context called "demo")."""

from __future__ import annotations

from typing import Any, ClassVar

from pmo_events import DomainEvent, EventRegistry

demo = EventRegistry("demo")


@demo.register()
class ItemAdded(DomainEvent):
    """An item was added to a list."""

    item: str
    quantity: int = 1


@demo.register()
class ItemRemoved(DomainEvent):
    item: str


@demo.register()
class ItemRenamed(DomainEvent):
    """An item got a new name; v2 split the name into title and note."""

    version: ClassVar[int] = 2
    item: str
    title: str
    note: str = ""


@demo.upcaster("pmo.demo.ItemRenamed.v1", "pmo.demo.ItemRenamed.v2")
def _renamed_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    return {"item": data["item"], "title": data["new_name"]}
