"""docker-compose.yml and its Dockerfiles agree with the code they run (no Docker needed).

Each check lives in compose_checks.py and returns the problems it finds. The tests below run every
check on the real files and expect no problems; the `broken` tests feed the same checks a copy of
the compose file with one realistic mistake and expect it to be reported.
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from pmo_gateway.settings import GatewaySettings
from pmo_metrics.settings import MetricsSettings
from pmo_portfolio.settings import PortfolioSettings
from pmo_resources.settings import ResourcesSettings
from pmo_service.settings import BaseAppSettings, ServiceSettings, load_settings

from tests.deploy import compose_checks as checks
from tests.infra import endpoints

REPO_ROOT = checks.REPO_ROOT
SUPERGRAPH = REPO_ROOT / "gateway" / "supergraph.graphql"


@dataclass(frozen=True)
class App:
    service: str
    settings_type: type[BaseAppSettings]
    cli: str


SERVICES = (
    App("portfolio", PortfolioSettings, "pmo-portfolio"),
    App("metrics", MetricsSettings, "pmo-metrics"),
    App("resources", ResourcesSettings, "pmo-resources"),
)
GATEWAY = App("gateway", GatewaySettings, "pmo-gateway")
APPS = (*SERVICES, GATEWAY)
# The dev-keys one-shot runs `pmo-portfolio token`, so it reads PortfolioSettings.
DEV_KEYS_PREFIX = checks.env_prefix(PortfolioSettings)
SERVICE_NEEDS = {
    "postgres": "service_healthy",
    "kafka": "service_healthy",
    "topics": "service_completed_successfully",
    "dev-keys": "service_completed_successfully",
}
APP_IDS = [app.service for app in APPS]
SERVICE_IDS = [app.service for app in SERVICES]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return checks.load_compose()


def extra_env(app: App, compose: dict[str, Any]) -> frozenset[str]:
    """Variables read outside the settings class: the gateway's subgraph URL overrides (whose
    names check_subgraph_urls validates against the supergraph)."""
    if app is GATEWAY:
        return checks.subgraph_url_vars(checks.environment(checks.service(compose, app.service)))
    return frozenset()


def load_topics_module() -> ModuleType:
    # deploy/local/topics.py, loaded by path like the infra tests do (deploy/ is no package).
    return endpoints.topics_module()


def ports(compose: dict[str, Any]) -> dict[str, int]:
    return {
        app.service: checks.settings_for(compose, app.service, app.settings_type).port
        for app in APPS
    }


def collector_http_port(compose: dict[str, Any]) -> int:
    config = yaml.safe_load((REPO_ROOT / "deploy" / "docker" / "otel-collector.yaml").read_text())
    problems, port = checks.check_collector(compose, config)
    assert port is not None, problems
    return port


# --- every app: services and gateway -------------------------------------------------------------


@pytest.mark.parametrize("app", APPS, ids=APP_IDS)
def test_settings_load_from_the_compose_environment(
    app: App, compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix = checks.env_prefix(app.settings_type)
    for key in list(os.environ):
        if key.upper().startswith(prefix):
            monkeypatch.delenv(key)
    for key, value in checks.environment(checks.service(compose, app.service)).items():
        monkeypatch.setenv(key, value)
    settings = load_settings(app.settings_type)  # raises SettingsError naming the bad variable
    assert settings.environment == "development"
    for field in ("jwt_public_key_file", "jwt_private_key_file"):
        assert str(getattr(settings, field)).startswith("/var/lib/pmo/dev-jwt/"), field


@pytest.mark.parametrize("app", APPS, ids=APP_IDS)
def test_every_variable_is_read_by_something(app: App, compose: dict[str, Any]) -> None:
    assert (
        checks.check_env_names(compose, app.service, app.settings_type, extra_env(app, compose))
        == []
    )


@pytest.mark.parametrize("app", APPS, ids=APP_IDS)
def test_port_is_published_health_checked_and_exposed(app: App, compose: dict[str, Any]) -> None:
    settings = checks.settings_for(compose, app.service, app.settings_type)
    assert checks.check_ports(compose, app.service, settings) == []
    assert checks.check_dockerfile(compose, app.service, settings.port) == []


@pytest.mark.parametrize("app", APPS, ids=APP_IDS)
def test_jwt_key_pair_comes_from_the_dev_keys_volume(app: App, compose: dict[str, Any]) -> None:
    problems = checks.check_jwt_keys(compose, app.service, app.settings_type, DEV_KEYS_PREFIX)
    assert problems == []


@pytest.mark.parametrize("app", APPS, ids=APP_IDS)
def test_spans_go_to_the_collector(app: App, compose: dict[str, Any]) -> None:
    assert checks.check_otel(compose, app.service, collector_http_port(compose)) == []


# --- services -----------------------------------------------------------------------------------


@pytest.mark.parametrize("app", SERVICES, ids=SERVICE_IDS)
def test_service_uses_its_own_role_and_the_pmo_database(app: App, compose: dict[str, Any]) -> None:
    settings = checks.settings_for(compose, app.service, app.settings_type)
    assert isinstance(settings, ServiceSettings)
    assert checks.check_database_url(compose, app.service, settings) == []


@pytest.mark.parametrize("app", SERVICES, ids=SERVICE_IDS)
def test_service_reaches_kafka_on_the_internal_listener(app: App, compose: dict[str, Any]) -> None:
    settings = checks.settings_for(compose, app.service, app.settings_type)
    assert isinstance(settings, ServiceSettings)
    assert checks.check_kafka_bootstrap(compose, settings.kafka_bootstrap, app.service) == []


@pytest.mark.parametrize("app", SERVICES, ids=SERVICE_IDS)
def test_service_waits_for_its_infrastructure(app: App, compose: dict[str, Any]) -> None:
    assert checks.check_depends_on(compose, app.service, SERVICE_NEEDS) == []


@pytest.mark.parametrize("app", SERVICES, ids=SERVICE_IDS)
def test_service_migrates_before_serving(app: App, compose: dict[str, Any]) -> None:
    assert checks.check_migrate_then_serve(compose, app.service, app.cli) == []


# --- gateway ------------------------------------------------------------------------------------


def test_gateway_routes_every_subgraph_to_its_container(compose: dict[str, Any]) -> None:
    assert checks.check_subgraph_urls(compose, SUPERGRAPH, ports(compose)) == []


def test_gateway_waits_for_the_subgraphs(compose: dict[str, Any]) -> None:
    needs = {app.service: "service_healthy" for app in SERVICES}
    needs["dev-keys"] = "service_completed_successfully"
    assert checks.check_depends_on(compose, GATEWAY.service, needs) == []


def test_gateway_dockerfile_runs_what_compose_runs(compose: dict[str, Any]) -> None:
    # Compose repeats the image's CMD so the port is visible here; they must not drift apart.
    dockerfile = (REPO_ROOT / "gateway" / "Dockerfile").read_text()
    cmd = next(line for line in dockerfile.splitlines() if line.startswith("CMD "))
    assert yaml.safe_load(cmd.removeprefix("CMD ")) == checks.command_args(
        checks.service(compose, GATEWAY.service)
    )


# --- infrastructure -----------------------------------------------------------------------------


def test_topics_are_exactly_those_deploy_local_creates(compose: dict[str, Any]) -> None:
    topics = load_topics_module()
    assert checks.check_topics(compose, topics) == []
    assert len(topics.topic_names(list(topics.CONTEXTS))) == 8  # 4 contexts, events + dlq
    assert checks.check_depends_on(compose, "topics", {"kafka": "service_healthy"}) == []


@pytest.mark.parametrize("name", ["topics", "dev-keys"])
def test_one_shots_can_complete(name: str, compose: dict[str, Any]) -> None:
    assert checks.check_one_shot(compose, name) == []


def test_kafka_is_one_kraft_node_without_topic_auto_creation(compose: dict[str, Any]) -> None:
    assert checks.check_kafka(compose) == []


def test_collector_receives_otlp_and_exports_to_jaeger(compose: dict[str, Any]) -> None:
    config = yaml.safe_load((REPO_ROOT / "deploy" / "docker" / "otel-collector.yaml").read_text())
    problems, http_port = checks.check_collector(compose, config)
    assert problems == []
    assert http_port == 4318
    mounted = {
        str(src) for src, _, _ in checks.volume_mounts(compose["services"]["otel-collector"])
    }
    assert "./deploy/docker/otel-collector.yaml" in mounted


def test_every_build_has_its_dockerfile_and_bind_mounts_exist(compose: dict[str, Any]) -> None:
    problems: list[str] = []
    for name, svc in compose["services"].items():
        problems += checks.check_dockerfile(compose, name, None)
        for source, _, _ in checks.volume_mounts(svc):
            if source.startswith("./") and not (REPO_ROOT / source).exists():
                problems.append(f"{name}: mounts {source}, which does not exist")
    assert problems == []


def test_postgres_init_provisions_every_service_role(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    """Run the init script with a psql stand-in and check what it asks psql to do."""
    postgres = checks.service(compose, "postgres")
    mounts = {str(target): source for source, target, _ in checks.volume_mounts(postgres)}
    init = next(
        src for target, src in mounts.items() if target.startswith("/docker-entrypoint-initdb.d/")
    )
    log = tmp_path / "psql.log"
    fake = tmp_path / "bin" / "psql"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\necho "$*" >> {log}\n')
    fake.chmod(0o755)
    done = subprocess.run(
        ["bash", str(REPO_ROOT / init)],
        env={"PATH": f"{fake.parent}:{os.environ['PATH']}", "POSTGRES_USER": "postgres"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    calls = log.read_text().splitlines()
    topics = load_topics_module()
    assert len(calls) == 1 + len(topics.CONTEXTS)
    assert "--dbname postgres" in calls[0]
    assert "-f /pmo-sql/postgres-init.sql" in calls[0]
    for ctx, call in zip(topics.CONTEXTS, calls[1:], strict=True):
        assert f"-v ctx={ctx} -v db=pmo" in call, call
        assert "--dbname pmo" in call, call
        assert "-f /pmo-sql/pg-provision-service.sql" in call
    # Every SQL file the script reads is mounted from deploy/local.
    for sql in ("postgres-init.sql", "pg-provision-service.sql"):
        assert mounts[f"/pmo-sql/{sql}"] == f"./deploy/local/{sql}"


def test_postgres_healthcheck_waits_for_the_real_server(compose: dict[str, Any]) -> None:
    # During init the image's temporary server listens on the Unix socket only: a TCP probe
    # stays unhealthy until the roles and database exist.
    test = checks.service(compose, "postgres")["healthcheck"]["test"]
    assert "pg_isready" in test
    assert test[test.index("-h") + 1] == "127.0.0.1"
    assert test[test.index("-d") + 1] == "pmo"


@pytest.mark.skipif(
    shutil.which("docker") is None
    or subprocess.run(["docker", "compose", "version"], capture_output=True, check=False).returncode
    != 0,
    reason="no `docker compose` (v2) CLI here: the compose-spec validation needs it, not an engine",
)
def test_docker_compose_accepts_the_file() -> None:
    done = subprocess.run(
        ["docker", "compose", "-f", str(checks.COMPOSE_FILE), "config", "--quiet"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


# --- the checks catch real mistakes -------------------------------------------------------------


def broken(compose: dict[str, Any], service: str, **env: str | None) -> dict[str, Any]:
    """A deep copy of the compose file with some environment variables changed (None: removed)."""
    copied = copy.deepcopy(compose)
    environment = copied["services"][service]["environment"]
    for key, value in env.items():
        if value is None:
            environment.pop(key, None)
        else:
            environment[key] = value
    return copied


def test_broken_a_misspelt_variable_is_reported(compose: dict[str, Any]) -> None:
    bad = broken(
        compose, "portfolio", PMO_PORTFOLIO_DATABSE_URL="x", OTEL_EXPORTER_OTLP_ENDPIONT="x"
    )
    problems = checks.check_env_names(bad, "portfolio", PortfolioSettings)
    assert len(problems) == 2
    assert "OTEL_EXPORTER_OTLP_ENDPIONT" in problems[0]
    assert "PMO_PORTFOLIO_DATABSE_URL" in problems[1]


def test_broken_a_wrong_port_is_reported(compose: dict[str, Any]) -> None:
    bad = broken(compose, "metrics", PMO_METRICS_PORT="8003")
    settings = checks.settings_for(bad, "metrics", MetricsSettings)
    problems = checks.check_ports(bad, "metrics", settings)
    # The published port, and the healthcheck, still say 8002.
    assert any("ports entry" in p for p in problems)
    assert any("healthcheck probes port 8002" in p for p in problems)
    assert checks.check_dockerfile(bad, "metrics", settings.port) != []
    assert checks.check_subgraph_urls(bad, SUPERGRAPH, ports(bad)) != []


def test_broken_another_services_role_is_reported(compose: dict[str, Any]) -> None:
    url = "postgresql+asyncpg://pmo_portfolio:pmo_portfolio@postgres:5432/pmo"
    bad = broken(compose, "metrics", PMO_METRICS_DATABASE_URL=url)
    settings = checks.settings_for(bad, "metrics", MetricsSettings)
    assert isinstance(settings, ServiceSettings)
    assert any(
        "own role 'pmo_metrics'" in p for p in checks.check_database_url(bad, "metrics", settings)
    )


def test_broken_a_key_outside_the_volume_is_reported(compose: dict[str, Any]) -> None:
    bad = broken(compose, "gateway", PMO_GATEWAY_JWT_PRIVATE_KEY_FILE=None)
    problems = checks.check_jwt_keys(bad, "gateway", GatewaySettings, DEV_KEYS_PREFIX)
    assert problems == [
        "gateway: set PMO_GATEWAY_JWT_PRIVATE_KEY_FILE to the file dev-keys writes "
        "(in the dev-jwt volume)"
    ]
    bad = broken(compose, "portfolio", PMO_PORTFOLIO_JWT_PUBLIC_KEY_FILE="/tmp/public.pem")
    assert checks.check_jwt_keys(bad, "portfolio", PortfolioSettings, DEV_KEYS_PREFIX) != []


def test_broken_a_missing_dependency_and_subgraph_are_reported(compose: dict[str, Any]) -> None:
    bad = copy.deepcopy(compose)
    del bad["services"]["portfolio"]["depends_on"]["topics"]
    assert checks.check_depends_on(bad, "portfolio", SERVICE_NEEDS) == [
        "portfolio: depends_on topics needs condition service_completed_successfully (got None)"
    ]
    bad = broken(compose, "gateway", PMO_GATEWAY_SUBGRAPH_METRICS_URL="http://metric:8002/graphql")
    assert checks.check_subgraph_urls(bad, SUPERGRAPH, ports(bad)) != []
    bad = broken(compose, "gateway", PMO_GATEWAY_SUBGRAPH_METRICS_URL=None)
    assert checks.check_subgraph_urls(bad, SUPERGRAPH, ports(bad)) == [
        "gateway: set PMO_GATEWAY_SUBGRAPH_METRICS_URL: the supergraph routes metrics to "
        "http://127.0.0.1:8002/graphql, which inside a container is the gateway itself"
    ]
    # A misspelt subgraph name is refused, as the gateway itself would refuse it.
    bad = broken(compose, "gateway", PMO_GATEWAY_SUBGRAPH_METRIC_URL="http://metrics:8002/graphql")
    assert len(checks.check_subgraph_urls(bad, SUPERGRAPH, ports(bad))) == 1


def test_broken_kafka_and_topics_mistakes_are_reported(compose: dict[str, Any]) -> None:
    bad = broken(compose, "kafka", KAFKA_AUTO_CREATE_TOPICS_ENABLE="true")
    assert len(checks.check_kafka(bad)) == 1
    topics = load_topics_module()
    for extra in (
        ["--contexts", "portfolio"],
        ["--partitions", "3"],
        ["--bootstrap", "kafka:9092"],
    ):
        bad = copy.deepcopy(compose)
        command = bad["services"]["topics"]["command"]
        if extra[0] in command:
            command[command.index(extra[0]) + 1] = extra[1]
        else:
            command += extra
        assert len(checks.check_topics(bad, topics)) == 1, extra
