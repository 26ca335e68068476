"""The command line every service gets: serve, migrate, rebuild-projections, export-schema, token.

A service's ``cli.py``::

    app = build_cli(definition)

    def main() -> None:
        app()
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import typer
import uvicorn
from pmo_events.errors import DomainError
from rich.console import Console

from pmo_service.app import Runtime, ServiceDefinition, create_app, freeze_startup_heap
from pmo_service.devkeys import issue_dev_token
from pmo_service.migrations import MigrationError, upgrade
from pmo_service.settings import ServiceSettings, SettingsError

_err = Console(stderr=True)


def _fail(message: str, code: int = 1) -> typer.Exit:
    _err.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code)


def build_cli(definition: ServiceDefinition[Any]) -> typer.Typer:
    cli = typer.Typer(
        name=f"pmo-{definition.name}",
        help=f"The {definition.name} service of the PMO platform.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_show_locals=False,
    )

    def settings(**overrides: Any) -> ServiceSettings:
        try:
            loaded: ServiceSettings = definition.load_settings(**overrides)
        except SettingsError as error:
            raise _fail(str(error), 2) from None
        return loaded

    @cli.command()
    def serve(
        host: Annotated[str | None, typer.Option(help="Listen address (default: settings)")] = None,
        port: Annotated[int | None, typer.Option(help="Listen port (default: settings)")] = None,
    ) -> None:
        """Serve the GraphQL subgraph, probes and metrics (and run the background workers)."""
        overrides = {
            key: value for key, value in (("host", host), ("port", port)) if value is not None
        }
        loaded = settings(**overrides)
        app = create_app(definition, loaded)
        freeze_startup_heap()
        # log_config=None: uvicorn's records go through the service's structured logging.
        uvicorn.run(app, host=loaded.host, port=loaded.port, log_config=None, access_log=True)

    @cli.command()
    def migrate(
        revision: Annotated[str, typer.Option(help="Target revision")] = "head",
    ) -> None:
        """Apply the database migrations inside the service's own schema."""
        if definition.migrations_dir is None:
            raise _fail(f"the {definition.name} service has no migrations")
        loaded = settings()
        try:
            upgrade(definition.migrations_dir, loaded, revision)
        except MigrationError as error:
            raise _fail(str(error)) from None
        typer.echo(f"schema {loaded.database_schema!r} migrated to {revision}")

    @cli.command("rebuild-projections")
    def rebuild_projections() -> None:
        """Rebuild the service's read models by replaying its events from the start."""
        if definition.rebuild is None:
            raise _fail(f"the {definition.name} service has no projections to rebuild")
        rebuild = definition.rebuild
        loaded = settings()

        async def run() -> int:
            runtime = Runtime.open(definition.name, loaded)
            try:
                count: int = await rebuild(runtime)
                return count
            finally:
                await runtime.close()

        count = asyncio.run(run())
        typer.echo(f"rebuilt the projections of {definition.name} from {count} events")

    @cli.command("export-schema")
    def export_schema() -> None:
        """Print the subgraph SDL (with its federation @link) for supergraph composition."""
        loaded = settings()

        async def build() -> str:
            runtime = Runtime.open(definition.name, loaded)
            try:
                return definition.schema(runtime).as_str()
            finally:
                await runtime.close()

        typer.echo(asyncio.run(build()))

    @cli.command()
    def token(
        role: Annotated[
            list[str], typer.Option("--role", "-r", help="A role to grant (repeatable)")
        ],
        subject: Annotated[str, typer.Option(help="The token's subject (user id)")] = "dev-user",
        name: Annotated[str | None, typer.Option(help="Display name claim")] = None,
        ttl: Annotated[int, typer.Option(help="Lifetime in seconds", min=1)] = 3600,
    ) -> None:
        """Print a development JWT (refused in production)."""
        loaded = settings()
        try:
            typer.echo(issue_dev_token(loaded, subject, role, ttl, name=name))
        except DomainError as error:
            raise _fail(error.message) from None

    return cli
