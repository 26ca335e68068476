"""Dependency commands on the organisation's one dependency graph.

Every declaration and removal takes the graph's advisory lock first, so concurrent ones queue
instead of failing each other with CONFLICT on the single stream, and each decides (cycle check
included) on the graph as the previous one left it.
"""

from __future__ import annotations

from dataclasses import dataclass

from pmo_portfolio.app.context import CommandContext
from pmo_portfolio.app.repository import Repository
from pmo_portfolio.domain.dependencies import DEPENDENCY_GRAPH_ID, DependencyGraph
from pmo_portfolio.domain.initiative import Initiative


@dataclass(frozen=True, slots=True)
class DeclareDependency:
    initiative_id: str
    depends_on_id: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class RemoveDependency:
    initiative_id: str
    depends_on_id: str


async def declare_dependency(
    command: DeclareDependency, context: CommandContext, repository: Repository
) -> DependencyGraph:
    """`initiative_id` depends on `depends_on_id`; both must exist, no cycle may form."""
    async with repository.transaction(context.metadata("DeclareDependency")) as tx:
        await tx.lock_stream(DEPENDENCY_GRAPH_ID)
        await tx.load(Initiative, command.initiative_id)  # NotFound names the missing one
        await tx.load(Initiative, command.depends_on_id)
        graph = await tx.load_graph()
        graph.declare(
            command.initiative_id,
            command.depends_on_id,
            note=command.note,
            actor=context.actor,
            now=context.clock(),
        )
        await tx.save(graph)
    return graph


async def remove_dependency(
    command: RemoveDependency, context: CommandContext, repository: Repository
) -> DependencyGraph:
    async with repository.transaction(context.metadata("RemoveDependency")) as tx:
        await tx.lock_stream(DEPENDENCY_GRAPH_ID)
        graph = await tx.load_graph()
        graph.remove(
            command.initiative_id, command.depends_on_id, actor=context.actor, now=context.clock()
        )
        await tx.save(graph)
    return graph
