"""EventRegistry: type names, look-ups, parsing and upcasting."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from pmo_events import DomainEvent, EventRegistry, UnknownEventType, event_type_of
from pydantic import ValidationError

from libs.events.tests.events import ItemAdded, ItemRenamed, demo


def test_type_names_come_from_the_class_name_and_version() -> None:
    assert event_type_of(ItemAdded) == "pmo.demo.ItemAdded.v1"
    assert event_type_of(ItemAdded(item="a")) == "pmo.demo.ItemAdded.v1"
    assert demo.type_of(ItemRenamed) == "pmo.demo.ItemRenamed.v2"
    assert demo.model_for("pmo.demo.ItemRenamed.v2") is ItemRenamed


def test_register_takes_an_explicit_name_and_version() -> None:
    registry = EventRegistry("sales")

    @registry.register(name="OrderPlaced", version=3)
    class Placed(DomainEvent):
        order: str

    assert event_type_of(Placed) == "pmo.sales.OrderPlaced.v3"
    assert "pmo.sales.OrderPlaced.v3" in registry
    assert len(registry) == 1


def test_a_field_called_version_is_not_the_event_version() -> None:
    registry = EventRegistry("sales")

    @registry.register()
    class ReleasePublished(DomainEvent):
        version: str

    assert event_type_of(ReleasePublished) == "pmo.sales.ReleasePublished.v1"
    assert ReleasePublished(version="1.2").version == "1.2"


def test_payloads_are_frozen_and_strict() -> None:
    event = ItemAdded(item="a")
    with pytest.raises(ValidationError):
        event.item = "b"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="extra"):
        ItemAdded(item="a", colour="red")  # type: ignore[call-arg]


def test_duplicate_and_malformed_registrations_are_refused() -> None:
    registry = EventRegistry("sales")

    @registry.register(name="Thing")
    class Thing(DomainEvent):
        pass

    with pytest.raises(ValueError, match="already registered"):

        @registry.register(name="Thing")
        class Other(DomainEvent):
            pass

    with pytest.raises(ValueError, match="PascalCase"):
        registry.register(name="not-pascal")(Thing)
    with pytest.raises(ValueError, match="lower-case"):
        EventRegistry("Bad Context")


def test_unregistered_events_are_reported_with_the_fix() -> None:
    class Loose(DomainEvent):
        pass

    with pytest.raises(UnknownEventType, match=r"@registry.register\(\)"):
        event_type_of(Loose)
    with pytest.raises(UnknownEventType, match=r"pmo\.demo\.ItemAdded\.v1"):
        demo.model_for("pmo.demo.Nope.v1")


def test_parse_validates_the_payload() -> None:
    parsed = demo.parse("pmo.demo.ItemAdded.v1", {"item": "tea", "quantity": 3})
    assert parsed == ItemAdded(item="tea", quantity=3)
    with pytest.raises(ValidationError):
        demo.parse("pmo.demo.ItemAdded.v1", {"quantity": "many"})


def test_a_v1_payload_is_upcast_and_read_as_v2() -> None:
    parsed = demo.parse("pmo.demo.ItemRenamed.v1", {"item": "a", "new_name": "Apple"})
    assert parsed == ItemRenamed(item="a", title="Apple")
    assert demo.resolve("pmo.demo.ItemRenamed.v1") == "pmo.demo.ItemRenamed.v2"
    assert demo.resolve("pmo.demo.Unknown.v1") is None
    assert demo.retired_types == frozenset({"pmo.demo.ItemRenamed.v1"})


def test_upcasters_chain_until_the_current_version() -> None:
    registry = EventRegistry("chain")

    @registry.register()
    class Measured(DomainEvent):
        version: ClassVar[int] = 3
        metres: float

    @registry.upcaster("pmo.chain.Measured.v1", "pmo.chain.Measured.v2")
    def v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
        return {"centimetres": data["cm"]}

    @registry.upcaster("pmo.chain.Measured.v2", "pmo.chain.Measured.v3")
    def v2_to_v3(data: dict[str, Any]) -> dict[str, Any]:
        return {"metres": data["centimetres"] / 100}

    assert registry.parse("pmo.chain.Measured.v1", {"cm": 250}) == Measured(metres=2.5)
    assert registry.parse("pmo.chain.Measured.v2", {"centimetres": 50}) == Measured(metres=0.5)
    with pytest.raises(ValueError, match="retired"):
        registry.upcaster("pmo.chain.Measured.v3", "pmo.chain.Measured.v4")(dict)
