"""pmo_service: the service chassis (settings, database, auth, telemetry, logs, probes, app, CLI).

The names most services need are re-exported here; each module documents its part.
"""

from pmo_service.app import (
    Runtime,
    ServiceDefinition,
    create_app,
    kafka_readiness,
)
from pmo_service.auth import JwtVerifier, ensure_dev_keys, issue_dev_token
from pmo_service.cli import build_cli
from pmo_service.http import ReadinessCheck
from pmo_service.principal import Principal, Role, require_roles
from pmo_service.settings import (
    BaseAppSettings,
    ServiceSettings,
    SettingsError,
    env_vars,
    load_settings,
)
from pmo_service.workers import Backoff, Worker

__all__ = [
    "Backoff",
    "BaseAppSettings",
    "JwtVerifier",
    "Principal",
    "ReadinessCheck",
    "Role",
    "Runtime",
    "ServiceDefinition",
    "ServiceSettings",
    "SettingsError",
    "Worker",
    "build_cli",
    "create_app",
    "ensure_dev_keys",
    "env_vars",
    "issue_dev_token",
    "kafka_readiness",
    "load_settings",
    "require_roles",
]
