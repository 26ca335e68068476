"""The shape every event-sourced aggregate shares.

State is the fold of the stream's events (`from_events`); a command method checks its input and
the invariants, then `_record`s new events, which change the state at once and wait in `pending`
until the repository appends them. `version` counts every event applied, recorded ones included,
so the repository's expected version is `version - len(pending)`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar, Self

from pmo_events.registry import DomainEvent

__all__ = ["Aggregate"]


@dataclass(kw_only=True)
class Aggregate:
    STREAM_TYPE: ClassVar[str]

    id: str
    version: int = 0
    pending: list[DomainEvent] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def from_events(cls, stream_id: str, events: Iterable[DomainEvent]) -> Self:
        aggregate = cls(id=stream_id)
        for event in events:
            aggregate._apply(event)
        return aggregate

    @property
    def loaded_version(self) -> int:
        """The stream version the aggregate was loaded at: the append's expected version."""
        return self.version - len(self.pending)

    def _record(self, event: DomainEvent) -> None:
        self._apply(event)
        self.pending.append(event)

    def _apply(self, event: DomainEvent) -> None:
        self._when(event)
        self.version += 1

    def _when(self, event: DomainEvent) -> None:
        """Change the state for one event; every subclass handles each event of its stream."""
        raise NotImplementedError

    def _unexpected(self, event: DomainEvent) -> None:
        # An event of another stream type here means a wrong stream id was loaded: fail loudly.
        raise TypeError(
            f"{type(event).__name__} does not belong to a {self.STREAM_TYPE} stream "
            f"(stream {self.id!r}); check the stream id that was loaded"
        )
