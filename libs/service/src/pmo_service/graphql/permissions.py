"""Role checks on fields: each mutation names the roles allowed to run it.

    @strawberry.mutation(extensions=[requires_roles(Role.PMO, Role.PORTFOLIO_MANAGER)])
    async def propose_initiative(self, info: Info, input: ProposeInput) -> Initiative: ...

``admin`` may run everything. ``field_roles(schema)`` lists the roles of every mutation, so a test
can check that none was forgotten and run the role matrix.
"""

from __future__ import annotations

from typing import Any

import strawberry
from pmo_events.errors import Unauthenticated
from strawberry.extensions import FieldExtension
from strawberry.types import Info
from strawberry.types.base import StrawberryObjectDefinition

from pmo_service.principal import Principal, Role, require_roles


class RolesRequired(FieldExtension):
    def __init__(self, *roles: Role | str) -> None:
        if not roles:
            raise ValueError("requires_roles needs at least one role")
        self.roles = frozenset(Role(role) for role in roles)

    def _check(self, info: Info[Any, Any]) -> None:
        principal = getattr(info.context, "principal", None)
        if not isinstance(principal, Principal):
            raise Unauthenticated("this operation needs a bearer token")
        require_roles(principal, *self.roles)

    def resolve(self, next_: Any, source: Any, info: Info[Any, Any], **kwargs: Any) -> Any:
        self._check(info)
        return next_(source, info, **kwargs)

    async def resolve_async(
        self, next_: Any, source: Any, info: Info[Any, Any], **kwargs: Any
    ) -> Any:
        self._check(info)
        return await next_(source, info, **kwargs)


def requires_roles(*roles: Role | str) -> RolesRequired:
    """A field extension refusing (FORBIDDEN) callers who hold none of ``roles`` (or admin)."""
    return RolesRequired(*roles)


def field_roles(
    schema: strawberry.Schema, type_name: str = "Mutation"
) -> dict[str, frozenset[Role] | None]:
    """GraphQL field name -> roles allowed (None when the field names none) for one type."""
    definition = schema.get_type_by_name(type_name)
    if not isinstance(definition, StrawberryObjectDefinition):
        return {}
    result: dict[str, frozenset[Role] | None] = {}
    for field in definition.fields:
        name = schema.config.name_converter.get_graphql_name(field)
        roles = next(
            (ext.roles for ext in field.extensions if isinstance(ext, RolesRequired)), None
        )
        result[name] = roles
    return result
