"""The portfolio subgraph: queries (api/queries.py) read the read models; mutations run commands.
Each mutation names its roles."""

from __future__ import annotations

from typing import Any

import strawberry
from pmo_service.app import Runtime
from pmo_service.graphql import ServiceSchema, principal_of, requires_roles
from pmo_service.principal import Role
from strawberry.types import Info

from pmo_portfolio.api.deps import repository
from pmo_portfolio.api.queries import Query
from pmo_portfolio.api.types import Initiative, ProposeInitiativeInput
from pmo_portfolio.app.handlers import ProposeInitiative, propose_initiative

# Intake is open: anyone who works here may put an idea into the funnel; viewers only read.
PROPOSERS = (
    Role.PMO,
    Role.PORTFOLIO_MANAGER,
    Role.RESOURCE_MANAGER,
    Role.COACH,
    Role.TEAM_MEMBER,
)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Put a new idea into the portfolio funnel (event InitiativeProposed).",
        extensions=[requires_roles(*PROPOSERS)],
    )
    async def propose_initiative(self, info: Info, input: ProposeInitiativeInput) -> Initiative:
        initiative = await propose_initiative(
            ProposeInitiative(
                title=input.title,
                hypothesis=input.hypothesis,
                owner=input.owner,
                portfolio_id=str(input.portfolio_id) if input.portfolio_id else None,
            ),
            actor=principal_of(info).subject,
            initiatives=repository(info),
        )
        # The read model was written in the append's transaction: it is the answer.
        found = await Initiative.by_id(info, initiative.id)
        if found is None:
            raise RuntimeError(f"initiative {initiative.id} was saved but is not in the read model")
        return found


def build_schema(_: Runtime[Any] | None = None) -> ServiceSchema:
    return ServiceSchema(query=Query, mutation=Mutation)


schema = build_schema()
