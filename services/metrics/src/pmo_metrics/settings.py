"""Settings of the metrics service, read from `PMO_METRICS_*` environment variables."""

from __future__ import annotations

from pmo_service.settings import ServiceSettings
from pydantic import Field
from pydantic_settings import SettingsConfigDict


class MetricsSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="PMO_METRICS_", extra="ignore", validate_default=True
    )

    port: int = Field(default=8002, ge=1, le=65535)
    database_schema: str = "metrics"
