"""`pmo-resources`: serve, migrate, rebuild-projections, export-schema, token."""

from pmo_service.cli import build_cli

from pmo_resources.service import definition

app = build_cli(definition)


def main() -> None:
    app()
