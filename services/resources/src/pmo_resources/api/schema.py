"""The resources subgraph: queries (api/queries.py) read the read models; mutations
(api/mutations.py) run the commands, each naming its roles. Each slice's root fields live with
it (e.g. api/allocations.py) and are merged into the one Query and Mutation here."""

from __future__ import annotations

from typing import Any

from pmo_service.app import Runtime
from pmo_service.graphql import ServiceSchema
from strawberry.tools import merge_types

from pmo_resources.api.allocations import AllocationMutation, AllocationQuery
from pmo_resources.api.capacity import CapacityQuery
from pmo_resources.api.mutations import Mutation as PeopleAndTeamsMutation
from pmo_resources.api.queries import Query as PeopleAndTeamsQuery

QUERIES: tuple[type, ...] = (PeopleAndTeamsQuery, AllocationQuery, CapacityQuery)
MUTATIONS: tuple[type, ...] = (PeopleAndTeamsMutation, AllocationMutation)

Query = merge_types("Query", QUERIES)
Mutation = merge_types("Mutation", MUTATIONS)


def build_schema(_: Runtime[Any] | None = None) -> ServiceSchema:
    return ServiceSchema(query=Query, mutation=Mutation)


schema = build_schema()
