"""``pmo-gateway``: serve the federation gateway.

    uv run pmo-gateway --supergraph gateway/supergraph.graphql --port 4000 [--host 127.0.0.1]

Every option can also come from the environment (``PMO_GATEWAY_SUPERGRAPH``, ``PMO_GATEWAY_PORT``,
``PMO_GATEWAY_HOST``, ...); see gateway/README.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(add_completion=False, help="The PMO GraphQL federation gateway.")


@app.command()
def serve(
    supergraph: Annotated[
        Path | None, typer.Option(help="Supergraph SDL to route by (env PMO_GATEWAY_SUPERGRAPH)")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port (env PMO_GATEWAY_PORT, default 4000)")
    ] = None,
    host: Annotated[
        str | None, typer.Option(help="Interface (env PMO_GATEWAY_HOST, default 127.0.0.1)")
    ] = None,
    check: Annotated[
        bool,
        typer.Option("--check", help="Load the supergraph and settings, print the subgraphs, exit"),
    ] = False,
) -> None:
    """Serve /graphql, /healthz, /readyz and /metrics."""
    import uvicorn
    from pmo_service.logging import setup_logging
    from pmo_service.settings import SettingsError, load_settings
    from pmo_service.telemetry import setup_telemetry

    from pmo_gateway.app import create_app
    from pmo_gateway.settings import GatewaySettings, subgraph_url_overrides
    from pmo_gateway.supergraph import Supergraph, SupergraphError

    overrides: dict[str, Any] = {
        key: value
        for key, value in {"supergraph": supergraph, "port": port, "host": host}.items()
        if value is not None
    }
    try:
        settings = load_settings(GatewaySettings, **overrides)
        loaded = Supergraph.load(settings.supergraph, subgraph_url_overrides())
    except (SettingsError, SupergraphError) as exc:
        typer.echo(f"pmo-gateway: {exc}", err=True)
        raise typer.Exit(2) from None
    if check:
        for subgraph in loaded.subgraphs.values():
            typer.echo(f"{subgraph.name}\t{subgraph.url}")
        return
    setup_logging("pmo-gateway", settings)
    setup_telemetry("pmo-gateway", settings)
    uvicorn.run(
        create_app(settings, supergraph=loaded),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        proxy_headers=False,
    )


def main() -> None:
    app()


if __name__ == "__main__":
    main()
