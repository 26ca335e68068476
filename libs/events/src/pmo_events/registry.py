"""Event payload models, their versioned type names, and upcasting of old payloads.

Every event type is a frozen pydantic model registered under ``pmo.<context>.<EventName>.v<N>``.
When a payload's shape changes, the model keeps its class name, its ``version`` goes up, and an
upcaster turns the old payload (a plain dict) into the new shape, so stored and in-flight events of
every past version still parse into the current model.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

__all__ = ["DomainEvent", "EventRegistry", "UnknownEventType", "Upcaster", "event_type_of"]

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
E = TypeVar("E", bound="DomainEvent")

_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*$")
_CONTEXT = re.compile(r"^[a-z][a-z0-9_]*$")
_TYPE_NAME = re.compile(r"^pmo\.([a-z][a-z0-9_]*)\.([A-Z][A-Za-z0-9]*)\.v([1-9][0-9]*)$")


class DomainEvent(BaseModel):
    """Base class of event payloads: immutable, and unknown fields are an error, not ignored.

    Set ``version: ClassVar[int] = N`` on a subclass (default 1), or pass ``version=`` to
    :meth:`EventRegistry.register`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Set by EventRegistry.register on the registered class itself (never inherited).
    __event_type__: ClassVar[str | None] = None


class UnknownEventType(LookupError):
    """A type name (or class) that the registry does not know."""


def event_type_of(event: DomainEvent | type[DomainEvent]) -> str:
    """The registered type name of an event (or event class)."""
    cls = event if isinstance(event, type) else type(event)
    type_name = cls.__dict__.get("__event_type__")
    if not isinstance(type_name, str):
        raise UnknownEventType(
            f"{cls.__module__}.{cls.__qualname__} is not a registered event type; "
            "decorate it with @registry.register()"
        )
    return type_name


def parse_type_name(type_name: str) -> tuple[str, str, int]:
    """Split ``pmo.<context>.<EventName>.v<N>`` into (context, name, version)."""
    match = _TYPE_NAME.fullmatch(type_name)
    if match is None:
        raise ValueError(
            f"{type_name!r} is not an event type name; expected pmo.<context>.<EventName>.v<N>, "
            "e.g. pmo.portfolio.InitiativeProposed.v1"
        )
    return match.group(1), match.group(2), int(match.group(3))


class EventRegistry:
    """The event types of one bounded context (or, consumer-side, the foreign events one reads).

    >>> events = EventRegistry("portfolio")
    >>> @events.register()
    ... class InitiativeProposed(DomainEvent):
    ...     title: str
    >>> event_type_of(InitiativeProposed)
    'pmo.portfolio.InitiativeProposed.v1'
    """

    def __init__(self, context: str) -> None:
        if not _CONTEXT.fullmatch(context):
            raise ValueError(
                f"context {context!r} must be lower-case letters, digits and underscores, "
                "e.g. 'portfolio'"
            )
        self.context = context
        self._by_type: dict[str, type[DomainEvent]] = {}
        self._upcasters: dict[str, tuple[str, Upcaster]] = {}

    def type_name(self, name: str, version: int) -> str:
        return f"pmo.{self.context}.{name}.v{version}"

    def register(
        self, *, name: str | None = None, version: int | None = None
    ) -> Callable[[type[E]], type[E]]:
        """Class decorator: register a model as ``pmo.<context>.<name>.v<version>``.

        ``name`` defaults to the class name, ``version`` to the class's ``version`` ClassVar or 1.
        """

        def decorate(cls: type[E]) -> type[E]:
            event_name = name or cls.__name__
            event_version = version if version is not None else _class_version(cls)
            if not _NAME.fullmatch(event_name):
                raise ValueError(
                    f"event name {event_name!r} must be PascalCase letters and digits, "
                    "e.g. 'InitiativeProposed'"
                )
            if event_version < 1:
                raise ValueError(f"{event_name}: version must be 1 or more, not {event_version}")
            type_name = self.type_name(event_name, event_version)
            if type_name in self._by_type:
                raise ValueError(
                    f"{type_name} is already registered to {self._by_type[type_name].__qualname__}"
                    "; bump the version or rename the event"
                )
            existing = cls.__dict__.get("__event_type__")
            if existing is not None and existing != type_name:
                raise ValueError(
                    f"{cls.__qualname__} is already registered as {existing}; "
                    "declare a separate model class per type name"
                )
            cls.__event_type__ = type_name
            self._by_type[type_name] = cls
            return cls

        return decorate

    def upcaster(self, from_type: str, to_type: str) -> Callable[[Upcaster], Upcaster]:
        """Decorator: register ``fn(old_payload) -> new_payload`` from one type name to the next.

        Upcasters chain, so v1 → v2 → v3 runs both when a v1 payload is parsed.
        """
        for type_name in (from_type, to_type):
            parse_type_name(type_name)

        def decorate(fn: Upcaster) -> Upcaster:
            if from_type in self._upcasters:
                raise ValueError(f"an upcaster from {from_type} is already registered")
            if from_type in self._by_type:
                raise ValueError(
                    f"{from_type} is a registered model; an upcaster can only start from a "
                    "retired type name (remove its model, or upcast from the older version)"
                )
            self._upcasters[from_type] = (to_type, fn)
            return fn

        return decorate

    def model_for(self, type_name: str) -> type[DomainEvent]:
        """The model registered under exactly this type name (no upcasting)."""
        try:
            return self._by_type[type_name]
        except KeyError:
            raise UnknownEventType(
                f"no event model is registered as {type_name!r} in context {self.context!r}; "
                f"known types: {', '.join(sorted(self._by_type)) or 'none'}"
            ) from None

    def type_of(self, cls: type[DomainEvent]) -> str:
        type_name = event_type_of(cls)
        if self._by_type.get(type_name) is not cls:
            raise UnknownEventType(f"{cls.__qualname__} is not registered in this registry")
        return type_name

    def resolve(self, type_name: str) -> str | None:
        """The current type name a payload of ``type_name`` upcasts to, or None if not handled."""
        steps = self._chain(type_name)
        current = steps[-1][0] if steps else type_name
        return current if current in self._by_type else None

    def upcast(self, type_name: str, data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Apply the chain of upcasters to ``data``; returns the final type name and payload."""
        current = type_name
        for step in self._chain(type_name):
            current, fn = step
            data = fn(data)
        return current, data

    def parse(self, type_name: str, data: Mapping[str, Any]) -> DomainEvent:
        """Validate a stored or received payload into its current model, upcasting first.

        Raises UnknownEventType, or pydantic.ValidationError when the payload is invalid.
        """
        current, payload = self.upcast(type_name, dict(data))
        return self.model_for(current).model_validate(payload)

    def __contains__(self, type_name: object) -> bool:
        return type_name in self._by_type

    def __iter__(self) -> Iterator[tuple[str, type[DomainEvent]]]:
        return iter(sorted(self._by_type.items()))

    def __len__(self) -> int:
        return len(self._by_type)

    @property
    def retired_types(self) -> frozenset[str]:
        """Type names that only exist as the start of an upcaster (old versions)."""
        return frozenset(self._upcasters)

    def _chain(self, type_name: str) -> list[tuple[str, Upcaster]]:
        """The upcasting steps from ``type_name``: (type name reached, function to get there)."""
        steps: list[tuple[str, Upcaster]] = []
        seen = {type_name}
        while type_name in self._upcasters:
            type_name, fn = self._upcasters[type_name]
            if type_name in seen:
                raise ValueError(f"upcasters form a cycle through {type_name}; fix the registry")
            seen.add(type_name)
            steps.append((type_name, fn))
        return steps


def _class_version(cls: type[DomainEvent]) -> int:
    # pydantic keeps ClassVar names in __class_vars__; a *field* called "version" is not one.
    if "version" in cls.__class_vars__:
        value = getattr(cls, "version", 1)
        if not isinstance(value, int):
            raise TypeError(f"{cls.__qualname__}.version must be an int ClassVar, not {value!r}")
        return value
    return 1
