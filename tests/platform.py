"""Run the platform's real services inside the test process, on the session's infrastructure.

Each service gets its own schema and role in the session's fresh database, its migrations, and a
Kafka namespace of its own (topics `<ns>.<ctx>.events`), so a test run never mixes with a running
`make up` platform or another test run on the same broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import uvicorn
from fastapi import FastAPI
from pmo_gateway.app import create_app as create_gateway
from pmo_gateway.settings import GatewaySettings
from pmo_gateway.supergraph import Supergraph
from pmo_service.app import ServiceDefinition, create_app
from pmo_service.devkeys import issue_dev_token
from pmo_service.migrations import upgrade
from pmo_service.settings import BaseAppSettings, ServiceSettings

CONTEXTS = ("portfolio", "metrics", "resources", "learning")
S = TypeVar("S", bound=ServiceSettings)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def topics_of(namespace: str) -> list[str]:
    events = [f"{namespace}.{ctx}.events" for ctx in CONTEXTS]
    return [*events, *(f"{topic}.dlq" for topic in events)]


async def migrated_settings(
    settings_type: type[S],
    migrations_dir: Path,
    *,
    database_url: str,
    kafka_bootstrap: str,
    namespace: str,
    **overrides: Any,
) -> S:
    """Settings of one service on the session's infrastructure, its schema migrated to head."""
    settings = settings_type(
        database_url=database_url,
        kafka_bootstrap=kafka_bootstrap,
        kafka_namespace=namespace,
        port=free_port(),
        log_level="WARNING",
        **overrides,
    )
    await asyncio.to_thread(upgrade, migrations_dir, settings)
    return settings


def token(settings: BaseAppSettings, *roles: str, subject: str = "test-user") -> str:
    return issue_dev_token(settings, subject, roles or ("pmo",))


def bearer(settings: BaseAppSettings, *roles: str, subject: str = "test-user") -> dict[str, str]:
    return {"Authorization": f"Bearer {token(settings, *roles, subject=subject)}"}


@contextlib.asynccontextmanager
async def serving(app: FastAPI, port: int) -> AsyncIterator[str]:
    """Serve ``app`` on 127.0.0.1:``port`` (lifespan included) until the block ends."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(200):
            if server.started:
                break
            if task.done():
                task.result()  # raises the start-up error
            await asyncio.sleep(0.05)
        else:
            raise TimeoutError(f"the app on port {port} did not start within 10 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=20)


async def wait_for(
    check: Any, *, within: float = 20.0, interval: float = 0.05, what: str = "condition"
) -> Any:
    """Poll ``await check()`` until it returns something truthy; fail after ``within`` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        result = await check()
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {within} s waiting for {what}")
        await asyncio.sleep(interval)


def graphql_errors(body: dict[str, Any]) -> Iterable[str]:
    return [error.get("extensions", {}).get("code", "?") for error in body.get("errors") or []]


SUPERGRAPH = Path(__file__).resolve().parent.parent / "gateway" / "supergraph.graphql"


@dataclass
class RunningPlatform:
    gateway: str
    """Base URL of the gateway (POST GraphQL to `gateway + "/graphql"`)."""
    apps: dict[str, FastAPI]
    """The services' apps by subgraph name (their `state.runtime` has the engine)."""


@contextlib.asynccontextmanager
async def running_platform(
    services: Mapping[str, tuple[ServiceDefinition[Any], ServiceSettings]],
) -> AsyncIterator[RunningPlatform]:
    """Serve the services on their settings' ports and the gateway over the checked-in
    supergraph, its subgraph URLs pointed at them (`services`: subgraph name -> definition and
    settings)."""
    async with contextlib.AsyncExitStack() as stack:
        apps: dict[str, FastAPI] = {}
        urls: dict[str, str] = {}
        for name, (definition, settings) in services.items():
            apps[name] = create_app(definition, settings)
            base = await stack.enter_async_context(serving(apps[name], settings.port))
            urls[name.upper()] = f"{base}/graphql"
        gateway_settings = GatewaySettings(port=free_port(), supergraph=SUPERGRAPH)
        gateway_app = create_gateway(gateway_settings, supergraph=Supergraph.load(SUPERGRAPH, urls))
        gateway = await stack.enter_async_context(serving(gateway_app, gateway_settings.port))
        yield RunningPlatform(gateway=gateway, apps=apps)
