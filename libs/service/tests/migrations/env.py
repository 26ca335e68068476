"""Alembic environment of the toy service: the whole file a service needs."""

from pmo_service.migrations import run_env

run_env()
