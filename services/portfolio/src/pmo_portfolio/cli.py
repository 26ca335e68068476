"""`pmo-portfolio`: serve, migrate, rebuild-projections, export-schema, token."""

from pmo_service.cli import build_cli

from pmo_portfolio.service import definition

app = build_cli(definition)


def main() -> None:
    app()
