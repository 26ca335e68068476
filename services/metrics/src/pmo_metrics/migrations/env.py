"""Alembic environment of the metrics service (its own schema and version table)."""

from pmo_service.migrations import run_env

from pmo_metrics.settings import MetricsSettings

run_env(MetricsSettings)
