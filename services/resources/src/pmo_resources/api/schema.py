"""The resources subgraph: queries (api/queries.py) read the read models; mutations
(api/mutations.py) run the commands, each naming its roles."""

from __future__ import annotations

from typing import Any

from pmo_service.app import Runtime
from pmo_service.graphql import ServiceSchema

from pmo_resources.api.mutations import Mutation
from pmo_resources.api.queries import Query


def build_schema(_: Runtime[Any] | None = None) -> ServiceSchema:
    return ServiceSchema(query=Query, mutation=Mutation)


schema = build_schema()
