"""Alembic environment of the resources service (its own schema and version table)."""

from pmo_service.migrations import run_env

from pmo_resources.settings import ResourcesSettings

run_env(ResourcesSettings)
