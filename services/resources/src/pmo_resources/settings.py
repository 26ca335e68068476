"""Settings of the resources service, read from `PMO_RESOURCES_*` environment variables."""

from __future__ import annotations

from pmo_service.settings import ServiceSettings
from pydantic import Field
from pydantic_settings import SettingsConfigDict


class ResourcesSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="PMO_RESOURCES_", extra="ignore", validate_default=True
    )

    port: int = Field(default=8003, ge=1, le=65535)
    database_schema: str = "resources"
    # Labour accrual runs at start-up and then this often (hours); 0 turns the worker off.
    labour_accrual_interval_hours: float = Field(default=24.0, ge=0)
