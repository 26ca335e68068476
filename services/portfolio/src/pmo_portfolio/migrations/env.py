"""Alembic environment of the portfolio service (its own schema and version table)."""

from pmo_service.migrations import run_env

from pmo_portfolio.settings import PortfolioSettings

run_env(PortfolioSettings)
