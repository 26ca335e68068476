"""The DependencyGraph aggregate: every "A depends on B" of the organisation, in one stream.

One stream (id `dependency-graph`) rather than one per initiative, so that refusing a cycle is
atomic: two concurrent declarations that would together close a cycle clash on the stream version
instead of both passing. Dependencies may cross portfolios.

The pure helpers (`find_path`, `blocked_initiatives`) work on a plain edge mapping so the read
side can use them on its own tables.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from pmo_events.aggregate import Aggregate
from pmo_events.errors import Conflict, InvalidInput, NotFound

from pmo_portfolio.domain import validation as check
from pmo_portfolio.domain.events import (
    DependencyDeclared,
    DependencyRemoved,
    KanbanState,
    PortfolioEvent,
)

DEPENDENCY_GRAPH_ID = "dependency-graph"
DEPENDENCIES_MAX = 100  # what one initiative may depend on; more is a programme, not an epic


def find_path(edges: Mapping[str, Collection[str]], start: str, goal: str) -> list[str] | None:
    """The shortest `start → … → goal` path along `edges` (node → what it depends on), or None.

    Breadth-first over sorted neighbours, so the path reported is always the same one.
    """
    parents: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            path = [node]
            while (parent := parents[path[-1]]) is not None:
                path.append(parent)
            return path[::-1]
        for neighbour in sorted(edges.get(node, ())):
            if neighbour not in parents:
                parents[neighbour] = node
                queue.append(neighbour)
    return None


def blocked_initiatives(
    edges: Mapping[str, Collection[str]], states: Mapping[str, KanbanState]
) -> set[str]:
    """The initiatives of `states` that are still open and depend on one not DONE.

    Only initiatives present in `states` are judged; a dependency missing from `states` counts
    as not DONE (unknown is not finished). DONE and CANCELLED initiatives are never blocked.
    """
    closed = {KanbanState.DONE, KanbanState.CANCELLED}
    return {
        initiative
        for initiative, state in states.items()
        if state not in closed
        and any(states.get(needed) is not KanbanState.DONE for needed in edges.get(initiative, ()))
    }


@dataclass(frozen=True)
class Dependency:
    initiative_id: str
    depends_on_id: str
    note: str
    declared_by: str
    declared_at: datetime


@dataclass(kw_only=True)
class DependencyGraph(Aggregate):
    STREAM_TYPE: ClassVar[str] = "DependencyGraph"

    # initiative id → (depended-on id → the dependency)
    edges: dict[str, dict[str, Dependency]] = field(default_factory=dict)

    @classmethod
    def load(cls, events: Iterable[PortfolioEvent]) -> DependencyGraph:
        """The graph from its stream's events (an empty stream is an empty graph)."""
        return cls.from_events(DEPENDENCY_GRAPH_ID, events)

    def declare(
        self, initiative_id: str, depends_on_id: str, *, note: str, actor: str, now: datetime
    ) -> None:
        """Record that `initiative_id` depends on `depends_on_id`; the handler checks both exist."""
        initiative_id = check.text("initiative_id", initiative_id)
        depends_on_id = check.text("depends_on_id", depends_on_id)
        note = check.text("note", note, max_length=check.TEXT_MAX, required=False)
        if initiative_id == depends_on_id:
            raise InvalidInput(f"initiative {initiative_id!r} cannot depend on itself")
        needs = self.edges.get(initiative_id, {})
        if depends_on_id in needs:
            raise Conflict(
                f"initiative {initiative_id!r} already depends on {depends_on_id!r}; "
                "remove the dependency first to declare it again"
            )
        if len(needs) >= DEPENDENCIES_MAX:
            raise InvalidInput(
                f"initiative {initiative_id!r} already has {DEPENDENCIES_MAX} dependencies, the "
                "limit; split the initiative or remove dependencies first"
            )
        path = find_path(self.adjacency(), depends_on_id, initiative_id)
        if path is not None:
            cycle = " → ".join([initiative_id, *path])
            raise Conflict(
                f"{initiative_id!r} depending on {depends_on_id!r} would create a cycle: "
                f"{cycle}; remove one of those dependencies first"
            )
        self._record(
            DependencyDeclared(
                initiative_id=initiative_id,
                depends_on_id=depends_on_id,
                note=note,
                declared_by=actor,
                declared_at=now,
            )
        )

    def remove(self, initiative_id: str, depends_on_id: str, *, actor: str, now: datetime) -> None:
        if depends_on_id not in self.edges.get(initiative_id, {}):
            raise NotFound(
                f"initiative {initiative_id!r} does not depend on {depends_on_id!r}; "
                "list its dependencies for the ones that can be removed"
            )
        self._record(
            DependencyRemoved(
                initiative_id=initiative_id,
                depends_on_id=depends_on_id,
                removed_by=actor,
                removed_at=now,
            )
        )

    # --- queries -------------------------------------------------------------------------------

    def adjacency(self) -> dict[str, frozenset[str]]:
        """initiative id → the ids it depends on."""
        return {node: frozenset(needs) for node, needs in self.edges.items() if needs}

    def dependencies(self) -> list[Dependency]:
        """Every dependency, ordered by (initiative, depended-on) id."""
        return sorted(
            (dep for needs in self.edges.values() for dep in needs.values()),
            key=lambda dep: (dep.initiative_id, dep.depends_on_id),
        )

    def dependencies_of(self, initiative_id: str) -> frozenset[str]:
        """What `initiative_id` depends on."""
        return frozenset(self.edges.get(initiative_id, {}))

    def dependents_of(self, initiative_id: str) -> frozenset[str]:
        """What depends on `initiative_id`."""
        return frozenset(node for node, needs in self.edges.items() if initiative_id in needs)

    def blocked(self, initiative_states: Mapping[str, KanbanState]) -> set[str]:
        """See `blocked_initiatives`."""
        return blocked_initiatives(self.adjacency(), initiative_states)

    # --- fold ----------------------------------------------------------------------------------

    def _when(self, event: PortfolioEvent) -> None:
        match event:
            case DependencyDeclared():
                self.edges.setdefault(event.initiative_id, {})[event.depends_on_id] = Dependency(
                    event.initiative_id,
                    event.depends_on_id,
                    event.note,
                    event.declared_by,
                    event.declared_at,
                )
            case DependencyRemoved():
                needs = self.edges.get(event.initiative_id, {})
                needs.pop(event.depends_on_id, None)
                if not needs:
                    self.edges.pop(event.initiative_id, None)
            case _:
                self._unexpected(event)
