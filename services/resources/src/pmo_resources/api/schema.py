"""The resources subgraph: queries (api/queries.py) read the read models; mutations
(api/mutations.py) run the commands, each naming its roles. Each slice's root fields live with
it (e.g. api/allocations.py) and are merged into the one Query and Mutation here."""

from __future__ import annotations

from typing import Any

from pmo_service.app import Runtime
from pmo_service.graphql import ServiceSchema
from strawberry.tools import merge_types

from pmo_resources.api.allocations import AllocationMutation, AllocationQuery
from pmo_resources.api.budgets import BudgetMutation, BudgetQuery
from pmo_resources.api.capacity import CapacityQuery
from pmo_resources.api.demand import DemandQuery, Initiative
from pmo_resources.api.mutations import Mutation as PeopleAndTeamsMutation
from pmo_resources.api.queries import Query as PeopleAndTeamsQuery
from pmo_resources.api.tools import ToolMutation, ToolQuery

QUERIES: tuple[type, ...] = (
    PeopleAndTeamsQuery,
    AllocationQuery,
    CapacityQuery,
    BudgetQuery,
    ToolQuery,
    DemandQuery,
)
MUTATIONS: tuple[type, ...] = (
    PeopleAndTeamsMutation,
    AllocationMutation,
    BudgetMutation,
    ToolMutation,
)

Query = merge_types("Query", QUERIES)
Mutation = merge_types("Mutation", MUTATIONS)


def build_schema(_: Runtime[Any] | None = None) -> ServiceSchema:
    # Initiative (portfolio's entity) is only extended here: list it, or strawberry leaves it
    # out of the SDL when no field returns it and composition drops its resources fields.
    return ServiceSchema(query=Query, mutation=Mutation, types=[Initiative])


schema = build_schema()
