"""Settings read from the environment, one prefix per service.

``BaseAppSettings`` holds what every HTTP process needs (the gateway included); ``ServiceSettings``
adds the database and Kafka of an event-sourced service. A service subclasses it with its prefix and
defaults::

    class PortfolioSettings(ServiceSettings):
        model_config = SettingsConfigDict(env_prefix="PMO_PORTFOLIO_")
        port: int = 8001
        database_schema: str = "portfolio"

Secrets come only from the environment. ``load_settings`` turns pydantic's errors into messages that
name the environment variable to fix.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal, Self, TypeVar

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

Environment = Literal["development", "production"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

_SCHEMA_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_DEV_JWT_DIR = Path(".local") / "dev-jwt"


class SettingsError(Exception):
    """The environment does not describe a runnable service; the message says what to set."""


def _workspace_root() -> Path:
    """The repository root when run from inside it (the folder holding uv.lock), else the cwd.

    Services, the gateway and the ``token`` command must share one development key pair even when
    started from different folders, so its default location is anchored here, not in the cwd.
    """
    cwd = Path.cwd()
    for folder in (cwd, *cwd.parents):
        if (folder / "uv.lock").is_file():
            return folder
    return cwd


def _default_private_key() -> Path:
    return _workspace_root() / _DEV_JWT_DIR / "private.pem"


def _default_public_key() -> Path:
    return _workspace_root() / _DEV_JWT_DIR / "public.pem"


class BaseAppSettings(BaseSettings):
    """Settings of any HTTP process of the platform (services and gateway)."""

    model_config = SettingsConfigDict(
        env_prefix="PMO_",
        extra="ignore",
        validate_default=True,
    )

    environment: Environment = "development"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    jwt_issuer: str = "pmo-dev"
    jwt_audience: str = "pmo"
    # Production verifies tokens against the identity provider's JWKS; development uses a local key.
    jwt_jwks_url: str | None = None
    jwt_public_key_file: Path = Field(default_factory=_default_public_key)
    jwt_private_key_file: Path = Field(default_factory=_default_private_key)
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=300)
    jwt_jwks_cache_seconds: int = Field(default=300, ge=1)

    log_level: LogLevel = "INFO"
    # None means: JSON in production, a readable console format in development.
    log_json: bool | None = None
    # None means: GraphiQL (and introspection) only in development.
    graphiql: bool | None = None
    introspection: bool | None = None

    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_request_bytes: int = Field(default=1_048_576, ge=1024)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        # Accept a JSON list or the friendlier comma-separated form in the environment.
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [item.strip() for item in text.split(",") if item.strip()]
        return value

    @model_validator(mode="after")
    def _environment_defaults(self) -> Self:
        production = self.environment == "production"
        if self.log_json is None:
            self.log_json = production
        if self.graphiql is None:
            self.graphiql = not production
        if self.introspection is None:
            self.introspection = not production
        if production:
            self._check_production()
        return self

    def _check_production(self) -> None:
        if self.graphiql:
            raise ValueError(
                f"GraphiQL is for development only: unset {env_var(type(self), 'graphiql')} "
                "in production"
            )
        explicit_key = "jwt_public_key_file" in self.model_fields_set
        if not self.jwt_jwks_url and not explicit_key:
            raise ValueError(
                "production needs a trusted token issuer: set "
                f"{env_var(type(self), 'jwt_jwks_url')} (the identity provider's JWKS URL) or "
                f"{env_var(type(self), 'jwt_public_key_file')} (a PEM public key)"
            )
        if self.jwt_issuer == "pmo-dev":
            raise ValueError(
                f"production must not trust the development issuer 'pmo-dev': set "
                f"{env_var(type(self), 'jwt_issuer')} to your identity provider's issuer"
            )

    @property
    def is_production(self) -> bool:
        return self.environment == "production"


class ServiceSettings(BaseAppSettings):
    """Settings of an event-sourced service: its own Postgres schema and role, and Kafka."""

    database_schema: str
    # None means the local development server with the service's own role: pmo_<schema>.
    database_url: SecretStr | None = None
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=5, ge=0)
    db_pool_timeout_seconds: float = Field(default=10.0, gt=0)
    # A pooled connection used less than this long ago is handed out without a ping (see
    # pmo_service.database); 0 pings on every checkout.
    db_ping_after_idle_seconds: float = Field(default=5.0, ge=0)

    kafka_bootstrap: str = "127.0.0.1:9092"
    topic_partitions: int = Field(default=6, ge=1)
    # Topics are <namespace>.<context>.events and consumer groups <namespace>.<context>.<projector>:
    # a second deployment (or a test run) on the same broker picks its own namespace.
    kafka_namespace: str = Field(default="pmo", pattern=r"^[a-z][a-z0-9_-]*$")

    @field_validator("database_schema")
    @classmethod
    def _valid_schema(cls, value: str) -> str:
        if not _SCHEMA_RE.match(value):
            raise ValueError(
                f"{value!r} is not a schema name: use lower-case letters, digits and _ "
                "(at most 63 characters, not starting with a digit)"
            )
        return value

    @model_validator(mode="after")
    def _database_defaults(self) -> Self:
        if self.database_url is None:
            role = f"pmo_{self.database_schema}"
            self.database_url = SecretStr(f"postgresql+asyncpg://{role}:{role}@127.0.0.1:5432/pmo")
            if self.is_production:
                raise ValueError(
                    f"production needs a database: set {env_var(type(self), 'database_url')} "
                    "(postgresql+asyncpg://user:password@host:5432/db)"
                )
        url = self.database_url.get_secret_value()
        for plain in ("postgresql://", "postgres://"):
            if url.startswith(plain):
                # Compose files and PaaS consoles hand out plain URLs; the chassis needs asyncpg.
                url = "postgresql+asyncpg://" + url[len(plain) :]
                self.database_url = SecretStr(url)
        if not url.startswith("postgresql+asyncpg://"):
            raise ValueError(
                f"{env_var(type(self), 'database_url')} must be a postgresql+asyncpg:// URL "
                f"(got a URL starting with {url.split(':', 1)[0]!r})"
            )
        return self

    def topic(self, context: str) -> str:
        """The domain event topic of ``context`` in this deployment's namespace."""
        return f"{self.kafka_namespace}.{context}.events"

    def consumer_group(self, projector: str) -> str:
        """The consumer group of one of this service's projectors."""
        return f"{self.kafka_namespace}.{self.database_schema}.{projector}"

    @property
    def database_dsn(self) -> str:
        """The database URL in clear text, for the engine only (never log it)."""
        assert self.database_url is not None  # set by the validator
        return self.database_url.get_secret_value()


S = TypeVar("S", bound=BaseAppSettings)


def env_var(settings_type: type[BaseSettings], field: str) -> str:
    """The environment variable that sets ``field`` of ``settings_type``."""
    prefix = settings_type.model_config.get("env_prefix", "") or ""
    return f"{prefix}{field}".upper()


def env_vars(settings_type: type[BaseSettings]) -> list[str]:
    """Every environment variable ``settings_type`` reads, sorted (e.g. to check compose files)."""
    return sorted(env_var(settings_type, name) for name in settings_type.model_fields)


def load_settings(settings_type: type[S], **overrides: Any) -> S:
    """Read ``settings_type`` from the environment; errors name the variables to fix."""
    try:
        return settings_type(**overrides)
    except ValidationError as error:
        raise SettingsError(describe_validation_error(settings_type, error)) from None


def describe_validation_error(settings_type: type[BaseSettings], error: ValidationError) -> str:
    lines = [f"invalid settings for {settings_type.__name__}:"]
    for item in error.errors():
        location = [str(part) for part in item["loc"]]
        message = item["msg"].removeprefix("Value error, ")
        if location and location[0] in settings_type.model_fields:
            name = env_var(settings_type, location[0])
            secret = "SecretStr" in str(settings_type.model_fields[location[0]].annotation)
            shown = item["type"] != "missing" and not secret
            detail = f" (got {item['input']!r})" if shown else ""
            if item["type"] == "missing":
                message = "required: set this environment variable"
            lines.append(f"  {name}: {message}{detail}")
        else:
            lines.append(f"  {message}")
    return "\n".join(lines)
