"""Helpers shared by the gateway tests (imported by name: pytest runs in importlib mode)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

GRAPHQL_RESPONSE = "application/graphql-response+json"

Post = Callable[..., Awaitable[httpx.Response]]


@dataclass
class RecordedRequest:
    body: Any
    headers: dict[str, str]


@dataclass
class SubgraphServer:
    name: str
    url: str
    requests: list[RecordedRequest] = field(default_factory=list)

    def queries(self) -> list[str]:
        return [r.body["query"] for r in self.requests if isinstance(r.body, dict)]


class Recorder:
    """ASGI middleware keeping each HTTP request's JSON body and headers."""

    def __init__(self, app: Any, server: SubgraphServer) -> None:
        self.app = app
        self.server = server

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        messages = []
        body = b""
        while True:
            message = await receive()
            messages.append(message)
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.server.requests.append(RecordedRequest(orjson.loads(body) if body else None, headers))

        async def replay() -> Any:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)
