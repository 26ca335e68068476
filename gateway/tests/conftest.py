"""Fixtures: three strawberry subgraphs on real local ports, composed by the real npm composer.

The subgraphs run in-process (uvicorn on 127.0.0.1, random ports) behind a recorder that keeps
every request body and its headers, so tests can count and inspect subgraph calls. The router is
called in-process through ``httpx.ASGITransport``; its subgraph calls are real HTTP.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from strawberry.asgi import GraphQL

sys.path.insert(0, str(Path(__file__).parent))  # the test subgraphs module beside this file

import gateway_test_subgraphs as subgraphs
from gateway_test_support import GRAPHQL_RESPONSE, Post, Recorder, SubgraphServer
from pmo_gateway.app import create_app
from pmo_gateway.compose import compose
from pmo_gateway.settings import GatewaySettings
from pmo_gateway.supergraph import Supergraph


@pytest.fixture(scope="session")
async def subgraph_servers() -> AsyncIterator[dict[str, SubgraphServer]]:
    servers: dict[str, SubgraphServer] = {}
    running: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []
    for name, schema in subgraphs.SCHEMAS.items():
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        server_info = SubgraphServer(name, f"http://127.0.0.1:{port}/graphql")
        app = Recorder(GraphQL(schema, graphql_ide=None), server_info)
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        task = asyncio.create_task(server.serve(sockets=[sock]))
        running.append((server, task))
        servers[name] = server_info
    for server, task in running:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
    yield servers
    for server, _ in running:
        server.should_exit = True
    await asyncio.gather(*(task for _, task in running))


@pytest.fixture(scope="session")
def supergraph_sdl(subgraph_servers: dict[str, SubgraphServer]) -> str:
    """Composed once per session with the real composer (runs `npm ci` if needed)."""
    return compose(
        [
            (name, server.url, subgraphs.SCHEMAS[name].as_str())
            for name, server in subgraph_servers.items()
        ]
    )


@pytest.fixture
def servers(subgraph_servers: dict[str, SubgraphServer]) -> dict[str, SubgraphServer]:
    """The subgraph servers with their request logs emptied for this test."""
    for server in subgraph_servers.values():
        server.requests.clear()
    return subgraph_servers


@pytest.fixture
def make_router(
    supergraph_sdl: str, servers: dict[str, SubgraphServer], tmp_path: Path
) -> Callable[..., Any]:
    """``async with make_router(**settings) as client``: the gateway app behind an httpx client."""

    @asynccontextmanager
    async def factory(
        url_overrides: dict[str, str] | None = None, **overrides: Any
    ) -> AsyncIterator[httpx.AsyncClient]:
        overrides.setdefault("auth_enabled", False)
        overrides.setdefault("jwt_public_key_file", tmp_path / "jwt" / "public.pem")
        overrides.setdefault("jwt_private_key_file", tmp_path / "jwt" / "private.pem")
        settings = GatewaySettings(**overrides)
        supergraph = Supergraph(supergraph_sdl, url_overrides)
        app = create_app(settings, supergraph=supergraph)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
                client.app = app  # type: ignore[attr-defined]
                client.settings = settings  # type: ignore[attr-defined]
                yield client

    return factory


@pytest.fixture
async def router(make_router: Callable[..., Any]) -> AsyncIterator[httpx.AsyncClient]:
    async with make_router() as client:
        yield client


@pytest.fixture
def post(router: httpx.AsyncClient) -> Post:
    """POST a GraphQL request to the default router; returns the HTTP response."""

    async def send(
        query: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        if operation_name is not None:
            body["operationName"] = operation_name
        return await router.post(
            "/graphql", json=body, headers={"accept": GRAPHQL_RESPONSE, **(headers or {})}
        )

    return send
