"""Who is calling: roles and the authenticated principal, and the role check every command uses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pmo_events.errors import Forbidden, InvalidInput


class Role(StrEnum):
    ADMIN = "admin"
    PMO = "pmo"
    PORTFOLIO_MANAGER = "portfolio_manager"
    RESOURCE_MANAGER = "resource_manager"
    COACH = "coach"
    TEAM_MEMBER = "team_member"
    VIEWER = "viewer"


def parse_roles(names: Iterable[str]) -> frozenset[Role]:
    """Role names to roles; an unknown name is refused with the list of known ones."""
    roles: set[Role] = set()
    for name in names:
        try:
            roles.add(Role(name))
        except ValueError:
            known = ", ".join(role.value for role in Role)
            raise InvalidInput(f"unknown role {name!r}: use one of {known}") from None
    return frozenset(roles)


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: the token's known ``roles``, and all its ``claims``."""

    subject: str
    roles: frozenset[Role]
    name: str | None = None
    claims: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def has_any(self, roles: Iterable[Role | str]) -> bool:
        return Role.ADMIN in self.roles or any(Role(role) in self.roles for role in roles)


def require_roles(principal: Principal, *allowed: Role | str) -> None:
    """Raise ``Forbidden`` unless the principal holds one of ``allowed`` (admin always may)."""
    if not allowed:
        raise ValueError("require_roles needs at least one role")
    if principal.has_any(allowed):
        return
    needed = ", ".join(sorted(Role(role).value for role in allowed))
    held = ", ".join(sorted(role.value for role in principal.roles)) or "none"
    raise Forbidden(
        f"this operation needs one of the roles: {needed} (or admin); "
        f"your token has: {held}. Ask an administrator for the role"
    )
