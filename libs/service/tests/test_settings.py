"""Settings: prefixes, defaults per environment, and errors that name the variable to set."""

from __future__ import annotations

import os

import pytest
from pmo_service.settings import (
    BaseAppSettings,
    ServiceSettings,
    SettingsError,
    env_var,
    env_vars,
    load_settings,
)
from pydantic_settings import SettingsConfigDict


class ShopSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PMO_SHOP_")
    port: int = 8010
    database_schema: str = "shop"


class EdgeSettings(BaseAppSettings):
    """Like the gateway's: no database, no Kafka."""

    model_config = SettingsConfigDict(env_prefix="PMO_EDGE_")
    port: int = 4010


class NoSchemaSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PMO_BROKEN_")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:

    for name in list(os.environ):
        if name.startswith(("PMO_SHOP_", "PMO_EDGE_", "PMO_BROKEN_")):
            monkeypatch.delenv(name)


def test_development_defaults() -> None:
    settings = load_settings(ShopSettings)
    assert settings.environment == "development"
    assert settings.port == 8010
    assert settings.host == "127.0.0.1"
    assert settings.database_dsn == "postgresql+asyncpg://pmo_shop:pmo_shop@127.0.0.1:5432/pmo"
    assert settings.kafka_bootstrap == "127.0.0.1:9092"
    assert settings.topic_partitions == 6
    assert settings.log_json is False
    assert settings.graphiql is True
    assert settings.introspection is True
    assert settings.jwt_public_key_file.parts[-3:] == (".local", "dev-jwt", "public.pem")


def test_environment_variables_use_the_service_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMO_SHOP_PORT", "9100")
    monkeypatch.setenv("PMO_SHOP_LOG_LEVEL", "debug")
    monkeypatch.setenv("PMO_SHOP_CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("PMO_SHOP_DATABASE_URL", "postgres://u:p@db:5432/pmo")
    monkeypatch.setenv("PMO_PORT", "1")  # another prefix: ignored
    settings = load_settings(ShopSettings)
    assert settings.port == 9100
    assert settings.log_level == "DEBUG"
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    # Plain URLs from compose files are accepted and pointed at asyncpg.
    assert settings.database_dsn == "postgresql+asyncpg://u:p@db:5432/pmo"


def test_cors_origins_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMO_SHOP_CORS_ORIGINS", '["https://a.example"]')
    assert load_settings(ShopSettings).cors_origins == ["https://a.example"]


def test_invalid_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMO_SHOP_PORT", "eighty")
    with pytest.raises(SettingsError) as caught:
        load_settings(ShopSettings)
    assert "PMO_SHOP_PORT" in str(caught.value)
    assert "'eighty'" in str(caught.value)


def test_missing_schema_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="PMO_BROKEN_DATABASE_SCHEMA: required"):
        load_settings(NoSchemaSettings)


def test_bad_schema_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMO_SHOP_DATABASE_SCHEMA", "Shop; drop")
    with pytest.raises(SettingsError, match=r"PMO_SHOP_DATABASE_SCHEMA.*not a schema name"):
        load_settings(ShopSettings)


def test_foreign_database_url_is_refused_without_showing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PMO_SHOP_DATABASE_URL", "mysql://root:topsecret@db/shop")
    with pytest.raises(SettingsError) as caught:
        load_settings(ShopSettings)
    assert "PMO_SHOP_DATABASE_URL must be a postgresql+asyncpg:// URL" in str(caught.value)
    assert "topsecret" not in str(caught.value)


def test_production_needs_a_token_issuer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMO_SHOP_ENVIRONMENT", "production")
    monkeypatch.setenv("PMO_SHOP_DATABASE_URL", "postgresql+asyncpg://u:p@db/pmo")
    monkeypatch.setenv("PMO_SHOP_JWT_ISSUER", "https://idp.example")
    with pytest.raises(SettingsError) as caught:
        load_settings(ShopSettings)
    assert "PMO_SHOP_JWT_JWKS_URL" in str(caught.value)
    assert "PMO_SHOP_JWT_PUBLIC_KEY_FILE" in str(caught.value)


def test_production_refuses_the_development_issuer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMO_SHOP_ENVIRONMENT", "production")
    monkeypatch.setenv("PMO_SHOP_DATABASE_URL", "postgresql+asyncpg://u:p@db/pmo")
    monkeypatch.setenv("PMO_SHOP_JWT_JWKS_URL", "https://idp.example/jwks.json")
    with pytest.raises(SettingsError, match="PMO_SHOP_JWT_ISSUER"):
        load_settings(ShopSettings)


def test_production_needs_a_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMO_SHOP_ENVIRONMENT", "production")
    monkeypatch.setenv("PMO_SHOP_JWT_JWKS_URL", "https://idp.example/jwks.json")
    monkeypatch.setenv("PMO_SHOP_JWT_ISSUER", "https://idp.example")
    with pytest.raises(SettingsError, match="set PMO_SHOP_DATABASE_URL"):
        load_settings(ShopSettings)


def test_production_defaults_and_graphiql_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMO_SHOP_ENVIRONMENT", "production")
    monkeypatch.setenv("PMO_SHOP_DATABASE_URL", "postgresql+asyncpg://u:p@db/pmo")
    monkeypatch.setenv("PMO_SHOP_JWT_JWKS_URL", "https://idp.example/jwks.json")
    monkeypatch.setenv("PMO_SHOP_JWT_ISSUER", "https://idp.example")
    settings = load_settings(ShopSettings)
    assert settings.log_json is True
    assert settings.graphiql is False
    assert settings.introspection is False
    monkeypatch.setenv("PMO_SHOP_GRAPHIQL", "true")
    with pytest.raises(SettingsError, match="unset PMO_SHOP_GRAPHIQL"):
        load_settings(ShopSettings)


def test_env_vars_lists_every_variable_of_a_settings_class() -> None:
    shop = env_vars(ShopSettings)
    edge = env_vars(EdgeSettings)
    assert env_var(ShopSettings, "database_url") == "PMO_SHOP_DATABASE_URL"
    assert {"PMO_SHOP_PORT", "PMO_SHOP_DATABASE_URL", "PMO_SHOP_KAFKA_BOOTSTRAP"} <= set(shop)
    assert "PMO_EDGE_PORT" in edge
    assert "PMO_EDGE_JWT_JWKS_URL" in edge
    # The gateway-like settings carry no database or Kafka settings.
    assert not [name for name in edge if "DATABASE" in name or "KAFKA" in name]
    assert shop == sorted(shop)
