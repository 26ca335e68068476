"""Settings of the portfolio service, read from `PMO_PORTFOLIO_*` environment variables."""

from __future__ import annotations

from pmo_service.settings import ServiceSettings
from pydantic import Field
from pydantic_settings import SettingsConfigDict


class PortfolioSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="PMO_PORTFOLIO_", extra="ignore", validate_default=True
    )

    port: int = Field(default=8001, ge=1, le=65535)
    database_schema: str = "portfolio"
