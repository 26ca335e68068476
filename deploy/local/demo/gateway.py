"""A small GraphQL client of the gateway, calling as one development user or another."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
from pmo_service.devkeys import issue_dev_token
from pmo_service.settings import BaseAppSettings

HINT = (
    "is `make up` running? see .local/log/gateway.log and .local/log/portfolio.log, "
    "then run `make up` again"
)


@dataclass(frozen=True)
class Actor:
    """A development user: the JWT subject (recorded as the actor of every event) and a role."""

    subject: str
    role: str


class DemoDataError(Exception):
    """A call the gateway refused or could not answer; `report()` says what and what to do."""

    def __init__(
        self, what: str, operation: str, variables: dict[str, Any], errors: object
    ) -> None:
        super().__init__(f"{what}: {errors}")
        self.what = what
        self.operation = operation
        self.variables = variables
        self.errors = errors

    def report(self) -> str:
        return "\n".join(
            [
                f"demo data: {self.what} failed",
                "operation:",
                *(f"  {line}" for line in self.operation.strip().splitlines()),
                "variables:",
                *(f"  {line}" for line in json.dumps(self.variables, indent=2).splitlines()),
                "error:",
                *(f"  {line}" for line in _describe(self.errors).splitlines()),
                f"hint: {HINT}",
            ]
        )


def _describe(errors: object) -> str:
    if isinstance(errors, list):
        lines = []
        for error in errors:
            if isinstance(error, dict):
                code = (error.get("extensions") or {}).get("code", "?")
                lines.append(f"{code}: {error.get('message')}")
            else:
                lines.append(str(error))
        return "\n".join(lines)
    return str(errors)


class Gateway:
    """GraphQL calls to the gateway at `url`, each as an `Actor` with a development token."""

    def __init__(self, client: httpx.AsyncClient, url: str, token_settings: BaseAppSettings):
        self._client = client
        self._url = url
        self._settings = token_settings
        self._tokens: dict[Actor, str] = {}

    def _token(self, actor: Actor) -> str:
        if actor not in self._tokens:
            self._tokens[actor] = issue_dev_token(self._settings, actor.subject, [actor.role])
        return self._tokens[actor]

    async def call(
        self, what: str, operation: str, variables: dict[str, Any], actor: Actor
    ) -> dict[str, Any]:
        """The `data` of the answer; any GraphQL or transport error raises DemoDataError."""
        try:
            response = await self._client.post(
                self._url,
                json={"query": operation, "variables": variables},
                headers={"Authorization": f"Bearer {self._token(actor)}"},
            )
        except httpx.TransportError as error:
            raise DemoDataError(
                what, operation, variables, f"cannot reach the gateway at {self._url}: {error!r}"
            ) from error
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise DemoDataError(
                what,
                operation,
                variables,
                f"HTTP {response.status_code} from {self._url}: {response.text[:500]}",
            )
        if body.get("errors") or not isinstance(body.get("data"), dict):
            raise DemoDataError(what, operation, variables, body.get("errors") or body)
        data: dict[str, Any] = body["data"]
        return data
