"""A toy service built with the chassis, and the settings and keys the tests share."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pydantic
import pytest
import strawberry
from fastapi import FastAPI
from pmo_events.errors import GuardrailViolation, NotFound
from pmo_service import (
    Backoff,
    ReadinessCheck,
    Role,
    Runtime,
    ServiceDefinition,
    ServiceSettings,
    create_app,
    issue_dev_token,
)
from pmo_service.graphql import (
    Connection,
    ServiceSchema,
    decode_cursor,
    encode_cursor,
    page_size,
    principal_of,
    requires_roles,
)
from pydantic_settings import SettingsConfigDict
from strawberry.types import Info


class ToySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PMO_TOY_")
    port: int = 8099
    database_schema: str = "svctoy"


@strawberry.type
class Item:
    id: strawberry.ID
    title: str


class Rename(pydantic.BaseModel):
    new_title: str = pydantic.Field(min_length=1, max_length=20)


ITEMS = [Item(id=strawberry.ID(f"i{n:02d}"), title=f"item {n}") for n in range(7)]


@strawberry.type
class Query:
    @strawberry.field
    def whoami(self, info: Info) -> str:
        return principal_of(info).subject

    @strawberry.field
    def item(self, id: strawberry.ID) -> Item:
        for item in ITEMS:
            if item.id == id:
                return item
        raise NotFound(f"no item {id!r}: check the id")

    @strawberry.field
    def boom(self) -> str:
        raise RuntimeError("secret internal detail: password=hunter2")

    @strawberry.field
    def items(self, first: int | None = None, after: str | None = None) -> Connection[Item]:
        size = page_size(first, default=3, maximum=5)
        start = 0
        if after is not None:
            (last_id,) = decode_cursor(after, arity=1)
            start = next(n for n, item in enumerate(ITEMS) if item.id == last_id) + 1
        rows = ITEMS[start : start + size + 1]
        return Connection.from_rows(
            rows, size, cursor=lambda item: encode_cursor(item.id), has_previous_page=start > 0
        )


@strawberry.type
class Mutation:
    @strawberry.mutation(extensions=[requires_roles(Role.PMO, Role.PORTFOLIO_MANAGER)])
    async def rename(self, id: strawberry.ID, title: str) -> Item:
        command = Rename(new_title=title)
        return Item(id=id, title=command.new_title)

    @strawberry.mutation(extensions=[requires_roles(Role.PMO)])
    def archive(self, id: strawberry.ID) -> bool:
        raise GuardrailViolation("WIP limit of 3 reached for stage 'build': finish work first")

    @strawberry.mutation
    def unguarded(self) -> bool:
        return True


@dataclass
class WorkerProbe:
    """A worker that crashes on its first run, then runs until asked to stop."""

    runs: int = 0
    stopped_cleanly: bool = False
    second_run: asyncio.Event = field(default_factory=asyncio.Event)

    async def flaky(self, stop: asyncio.Event) -> None:
        self.runs += 1
        if self.runs == 1:
            raise RuntimeError("first run fails (simulated broker outage)")
        self.second_run.set()
        await stop.wait()
        self.stopped_cleanly = True


def _toy_definition(
    probe: WorkerProbe | None = None,
    checks: Callable[[Runtime[Any]], list[ReadinessCheck]] | None = None,
) -> ServiceDefinition[ToySettings]:
    return ServiceDefinition(
        name="toy",
        settings_type=ToySettings,
        schema=lambda runtime: ServiceSchema(query=Query, mutation=Mutation),
        workers=(lambda runtime: [probe.flaky]) if probe else (lambda runtime: []),
        readiness_checks=checks or (lambda runtime: []),
        worker_backoff=Backoff(initial_seconds=0.05, maximum_seconds=0.2),
        shutdown_grace_seconds=5.0,
        migrations_dir=Path(__file__).parent / "migrations",
    )


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture(scope="session")
def key_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dev-jwt")


@pytest.fixture(scope="session")
def make_settings(key_dir: Path) -> Callable[..., ToySettings]:
    def make(**overrides: Any) -> ToySettings:
        values: dict[str, Any] = {
            "jwt_public_key_file": key_dir / "public.pem",
            "jwt_private_key_file": key_dir / "private.pem",
            "database_url": f"postgresql+asyncpg://nobody:x@127.0.0.1:{_closed_port()}/none",
            **overrides,
        }
        return ToySettings(**values)

    return make


@pytest.fixture(scope="session")
def toy_db_url(provision_service: Callable[[str], str]) -> str:
    """The toy service's own role and schema (pmo_svctoy / svctoy) in the session database."""
    return provision_service("svctoy")


@pytest.fixture
def token_for(make_settings: Callable[..., ToySettings]) -> Callable[..., str]:
    def issue(*roles: str, subject: str = "alice") -> str:
        return issue_dev_token(make_settings(), subject, roles, 300)

    return issue


@asynccontextmanager
async def _running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan running, and an in-process client for it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://toy") as client:
            yield client


@pytest.fixture
def toy_app(make_settings: Callable[..., ToySettings], toy_db_url: str) -> FastAPI:
    return create_app(_toy_definition(), make_settings(database_url=toy_db_url))


# Test modules cannot import this conftest (importlib import mode), so its helpers are fixtures.


@pytest.fixture(scope="session")
def toy_definition() -> Callable[..., ServiceDefinition[ToySettings]]:
    return _toy_definition


@pytest.fixture(scope="session")
def running() -> Callable[[FastAPI], Any]:
    return _running


@pytest.fixture(scope="session")
def closed_port() -> Callable[[], int]:
    return _closed_port


@pytest.fixture
def worker_probe() -> WorkerProbe:
    return WorkerProbe()
