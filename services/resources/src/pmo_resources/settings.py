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
