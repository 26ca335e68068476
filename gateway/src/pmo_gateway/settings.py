"""Gateway settings: environment variables with the prefix ``PMO_GATEWAY_``.

Subgraph URLs come from the supergraph (the local defaults written at composition) and can be
overridden one by one with ``PMO_GATEWAY_SUBGRAPH_<NAME>_URL`` (name upper-cased, ``-`` as ``_``),
so docker-compose or Kubernetes can point the same supergraph elsewhere.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Self

from pmo_service.settings import BaseAppSettings, env_var
from pydantic import Field, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from pmo_gateway.operation import Limits

SUBGRAPH_URL_PREFIX = "PMO_GATEWAY_SUBGRAPH_"
SUBGRAPH_URL_SUFFIX = "_URL"


def _default_supergraph() -> Path:
    """``gateway/supergraph.graphql`` of the workspace when run inside it, else of the cwd."""
    cwd = Path.cwd()
    for folder in (cwd, *cwd.parents):
        if (folder / "uv.lock").is_file() and (folder / "gateway").is_dir():
            return folder / "gateway" / "supergraph.graphql"
    return cwd / "supergraph.graphql"


class GatewaySettings(BaseAppSettings):
    model_config = SettingsConfigDict(
        env_prefix="PMO_GATEWAY_", extra="ignore", validate_default=True
    )

    port: int = Field(default=4000, ge=1, le=65535)
    supergraph: Path = Field(default_factory=_default_supergraph)
    # Verify the bearer JWT of every request before any subgraph is called.
    auth_enabled: bool = True
    # Request headers passed on to every subgraph fetch (trace context is always added).
    forward_headers: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["authorization"]
    )

    max_depth: int = Field(default=15, ge=1)
    max_aliases: int = Field(default=30, ge=0)
    max_tokens: int = Field(default=10_000, ge=10)

    subgraph_timeout_seconds: float = Field(default=30.0, gt=0)
    max_connections: int = Field(default=200, ge=1)
    dedupe_subgraph_requests: bool = True
    plan_cache_size: int = Field(default=1000, ge=0)
    readiness_timeout_seconds: float = Field(default=2.0, gt=0)

    @field_validator("forward_headers", mode="before")
    @classmethod
    def _split_headers(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [item.strip() for item in text.split(",") if item.strip()]
        return value

    @field_validator("forward_headers")
    @classmethod
    def _lower_headers(cls, value: list[str]) -> list[str]:
        return [item.lower() for item in value]

    @model_validator(mode="after")
    def _auth_in_production(self) -> Self:
        if self.is_production and not self.auth_enabled:
            raise ValueError(
                f"{env_var(type(self), 'auth_enabled')}=false is for development only: "
                "production gateways must verify tokens"
            )
        return self

    @property
    def limits(self) -> Limits:
        return Limits(
            max_tokens=self.max_tokens, max_depth=self.max_depth, max_aliases=self.max_aliases
        )


def subgraph_url_overrides(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """``PMO_GATEWAY_SUBGRAPH_<NAME>_URL`` variables as ``{NAME: url}``."""
    source = os.environ if environ is None else environ
    return {
        key[len(SUBGRAPH_URL_PREFIX) : -len(SUBGRAPH_URL_SUFFIX)]: value
        for key, value in source.items()
        if key.startswith(SUBGRAPH_URL_PREFIX) and key.endswith(SUBGRAPH_URL_SUFFIX) and value
    }
