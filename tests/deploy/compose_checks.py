"""Checks of docker-compose.yml against the code it runs, without Docker.

Every check takes the parsed compose file (a plain dict) and returns the problems it found, each a
sentence that says what to fix; an empty list means the check passed. Keeping them pure lets the
tests run each one on the real file (expecting no problems) and on deliberately broken copies
(expecting the breakage to be reported), so a check that cannot fail is itself caught.
"""

from __future__ import annotations

import inspect
import os
import re
import shlex
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import opentelemetry.environment_variables as otel_api_env
import opentelemetry.sdk.environment_variables as otel_sdk_env
import yaml
from pmo_service.settings import BaseAppSettings, ServiceSettings, env_vars, load_settings

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"

Compose = dict[str, Any]

# Every OTEL_* variable the OpenTelemetry Python API and SDK define: anything else is a typo.
OTEL_VARS = frozenset(
    value
    for module in (otel_api_env, otel_sdk_env)
    for name, value in vars(module).items()
    if name.startswith("OTEL_") and isinstance(value, str)
)

_HEALTH_URL = re.compile(r"https?://(?:127\.0\.0\.1|localhost|0\.0\.0\.0):(\d+)/healthz\b")


def load_compose(path: Path = COMPOSE_FILE) -> Compose:
    # safe_load resolves the YAML anchors and `<<` merge keys the file uses, as Compose does.
    data = yaml.safe_load(path.read_text())
    if not isinstance(data, dict) or not isinstance(data.get("services"), dict):
        raise ValueError(f"{path} has no `services:` mapping")
    return data


def service(compose: Compose, name: str) -> dict[str, Any]:
    found = compose["services"].get(name)
    if not isinstance(found, dict):
        raise KeyError(f"docker-compose.yml has no service {name!r}")
    return found


def environment(svc: Mapping[str, Any]) -> dict[str, str]:
    """The container's environment as strings, from either the mapping or the list form."""
    raw = svc.get("environment") or {}
    if isinstance(raw, list):
        pairs = (item.partition("=") for item in raw)
        return {key: value for key, _, value in pairs}
    return {str(key): "" if value is None else str(value) for key, value in raw.items()}


def command_args(svc: Mapping[str, Any]) -> list[str]:
    raw = svc.get("command") or []
    return shlex.split(raw) if isinstance(raw, str) else [str(part) for part in raw]


@contextmanager
def only_env(prefix: str, env: Mapping[str, str]) -> Iterator[None]:
    """os.environ with every `prefix*` variable of this machine removed and `env` added."""
    with mock.patch.dict(os.environ):
        for key in [k for k in os.environ if k.upper().startswith(prefix)]:
            del os.environ[key]
        os.environ.update(env)
        yield


def env_prefix(settings_type: type[BaseAppSettings]) -> str:
    return str(settings_type.model_config.get("env_prefix") or "")


def settings_for(
    compose: Compose, name: str, settings_type: type[BaseAppSettings]
) -> BaseAppSettings:
    """The settings the container would load (raises SettingsError naming the bad variable)."""
    env = environment(service(compose, name))
    with only_env(env_prefix(settings_type), env):
        return load_settings(settings_type)


def command_port(svc: Mapping[str, Any]) -> int | None:
    """The value of a `--port N` / `--port=N` argument of the container's command, if any."""
    args = command_args(svc)
    for index, arg in enumerate(args):
        if arg == "--port" and index + 1 < len(args):
            return int(args[index + 1])
        if arg.startswith("--port="):
            return int(arg.split("=", 1)[1])
    return None


def published_ports(svc: Mapping[str, Any]) -> list[tuple[str | None, int]]:
    """(published host port, container port) of each `ports:` entry, short or long syntax."""
    found: list[tuple[str | None, int]] = []
    for entry in svc.get("ports") or []:
        if isinstance(entry, dict):
            published = entry.get("published")
            found.append((None if published is None else str(published), int(entry["target"])))
            continue
        spec = str(entry).split("/", 1)[0]  # drop /tcp
        parts = spec.rsplit(":", 2)
        host = parts[-2] if len(parts) >= 2 else None
        found.append((host, int(parts[-1])))
    return found


def healthcheck_ports(svc: Mapping[str, Any]) -> list[int]:
    test = (svc.get("healthcheck") or {}).get("test") or []
    text = test if isinstance(test, str) else " ".join(str(part) for part in test)
    return [int(port) for port in _HEALTH_URL.findall(text)]


# --- per-service checks -------------------------------------------------------------------------


def check_env_names(
    compose: Compose,
    name: str,
    settings_type: type[BaseAppSettings],
    extra: frozenset[str] = frozenset(),
) -> list[str]:
    """Every variable set on the container is read by its settings class or is a real OTEL_*."""
    known = set(env_vars(settings_type)) | OTEL_VARS | extra
    return [
        f"{name}: environment variable {var} is read by nothing ({settings_type.__name__} reads "
        f"{', '.join(env_vars(settings_type))}; OpenTelemetry reads the standard OTEL_* names): "
        "fix its spelling or remove it"
        for var in sorted(environment(service(compose, name)))
        if var not in known
    ]


def check_ports(compose: Compose, name: str, settings: BaseAppSettings) -> list[str]:
    """The port the process listens on is the one published, health-checked and passed."""
    svc = service(compose, name)
    port = command_port(svc) or settings.port
    problems: list[str] = []
    if settings.port != port:
        problems.append(
            f"{name}: the command says --port {port} but the settings say {settings.port}: "
            "make them agree"
        )
    if settings.host not in ("0.0.0.0", "::") and "--host" not in command_args(svc):
        problems.append(
            f"{name}: the process listens on {settings.host}, unreachable from other containers: "
            f"set {env_prefix(type(settings))}HOST=0.0.0.0"
        )
    published = published_ports(svc)
    if not published:
        problems.append(f"{name}: no `ports:` entry publishes port {port}")
    for host, target in published:
        if target != port:
            problems.append(
                f"{name}: ports entry {host}:{target} targets {target}, but the process listens "
                f"on {port}"
            )
    health = healthcheck_ports(svc)
    if not health:
        problems.append(f"{name}: no healthcheck on http://127.0.0.1:{port}/healthz")
    problems += [
        f"{name}: the healthcheck probes port {p}, but the process listens on {port}"
        for p in health
        if p != port
    ]
    return problems


def check_database_url(compose: Compose, name: str, settings: ServiceSettings) -> list[str]:
    """The service logs in with its own role pmo_<schema> to the database pmo on `postgres`."""
    url = urlsplit(settings.database_dsn)
    role = f"pmo_{settings.database_schema}"
    var = f"{env_prefix(type(settings))}DATABASE_URL"
    problems: list[str] = []
    if var not in environment(service(compose, name)):
        problems.append(f"{name}: set {var} (the default points at 127.0.0.1, not the container)")
    if url.username != role:
        problems.append(f"{name}: {var} logs in as {url.username!r}; use its own role {role!r}")
    if url.password != role:
        problems.append(
            f"{name}: {var} has a password other than {role!r}, the one "
            "deploy/local/pg-provision-service.sql gives the role"
        )
    if url.hostname not in compose["services"] or url.port not in (None, 5432):
        problems.append(f"{name}: {var} must point at a compose service on 5432, not {url.netloc}")
    if url.path.lstrip("/") != "pmo":
        problems.append(f"{name}: {var} names database {url.path!r}; the platform's is 'pmo'")
    return problems


def check_kafka_bootstrap(compose: Compose, bootstrap: str, who: str) -> list[str]:
    """`bootstrap` is a listener the `kafka` service advertises to the other containers."""
    advertised = environment(service(compose, "kafka")).get("KAFKA_ADVERTISED_LISTENERS", "")
    addresses = {item.split("://", 1)[1] for item in advertised.split(",") if "://" in item}
    if bootstrap in addresses:
        return []
    return [
        f"{who}: Kafka bootstrap {bootstrap!r} is not one of the broker's advertised listeners "
        f"{sorted(addresses)}: use the internal one"
    ]


def volume_mounts(svc: Mapping[str, Any]) -> list[tuple[str, PurePosixPath, bool]]:
    """(source, target, read_only) of each mount, short or long syntax."""
    mounts: list[tuple[str, PurePosixPath, bool]] = []
    for entry in svc.get("volumes") or []:
        if isinstance(entry, dict):
            mounts.append(
                (
                    str(entry.get("source", "")),
                    PurePosixPath(entry["target"]),
                    bool(entry.get("read_only")),
                )
            )
            continue
        parts = str(entry).split(":")
        if len(parts) == 1:
            mounts.append(("", PurePosixPath(parts[0]), False))
        else:
            read_only = len(parts) > 2 and "ro" in parts[2].split(",")
            mounts.append((parts[0], PurePosixPath(parts[1]), read_only))
    return mounts


def named_volume_path(
    compose: Compose, svc: Mapping[str, Any], path: str
) -> tuple[str, PurePosixPath, bool] | None:
    """(named volume, path inside it, read_only) of a container path inside a named volume."""
    best: tuple[str, PurePosixPath, bool] | None = None
    target_len = -1
    for source, target, read_only in volume_mounts(svc):
        if source not in (compose.get("volumes") or {}):
            continue  # a bind mount or an anonymous volume: not shared with the key generator
        inside = PurePosixPath(path)
        if inside.is_relative_to(target) and len(target.parts) > target_len:
            best, target_len = (source, inside.relative_to(target), read_only), len(target.parts)
    return best


def check_jwt_keys(
    compose: Compose,
    name: str,
    settings_type: type[BaseAppSettings],
    key_prefix: str,
    key_service: str = "dev-keys",
) -> list[str]:
    """The process reads the key pair the `dev-keys` one-shot writes, from a read-only mount.

    Both files are required even where only the public key is used: in development a process
    that finds either file missing generates a new pair (pmo_service.devkeys.ensure_dev_keys),
    which would fail on the read-only mount or, worse, not match the tokens handed out.
    ``key_prefix`` is the settings prefix of the command `key_service` runs (PMO_PORTFOLIO_).
    """
    svc, keys = service(compose, name), service(compose, key_service)
    env, key_env = environment(svc), environment(keys)
    problems: list[str] = []
    for field in ("JWT_PUBLIC_KEY_FILE", "JWT_PRIVATE_KEY_FILE"):
        var, key_var = f"{env_prefix(settings_type)}{field}", f"{key_prefix}{field}"
        there = named_volume_path(compose, keys, key_env.get(key_var, ""))
        if there is None:
            problems.append(f"{key_service}: {key_var} must point into a mounted named volume")
            continue
        if there[2]:
            problems.append(f"{key_service}: writes the keys, so mount {there[0]} read-write")
        if var not in env:
            problems.append(
                f"{name}: set {var} to the file {key_service} writes (in the {there[0]} volume)"
            )
            continue
        here = named_volume_path(compose, svc, env[var])
        if here is None:
            problems.append(f"{name}: {var}={env[var]} is not inside a mounted named volume")
            continue
        if (here[0], here[1]) != (there[0], there[1]):
            problems.append(
                f"{name}: {var}={env[var]} is not the file {key_service} writes "
                f"({key_var}={key_env.get(key_var)!r} in volume {there[0]})"
            )
        if not here[2]:
            problems.append(f"{name}: mount the key volume {here[0]} read-only (:ro)")
    return problems


def check_one_shot(compose: Compose, name: str) -> list[str]:
    """A one-shot must be allowed to finish: a restart policy would rerun it forever."""
    restart = str(service(compose, name).get("restart", "no"))
    if restart in ("no", "on-failure") or restart.startswith("on-failure:"):
        return []
    return [f"{name}: is a one-shot; drop `restart: {restart}` or it never completes"]


def check_depends_on(compose: Compose, name: str, required: Mapping[str, str]) -> list[str]:
    depends = service(compose, name).get("depends_on") or {}
    if isinstance(depends, list):  # the short form only waits for "started"
        depends = {dep: {"condition": "service_started"} for dep in depends}
    problems: list[str] = []
    for dep, condition in required.items():
        got = (depends.get(dep) or {}).get("condition")
        if got != condition:
            problems.append(f"{name}: depends_on {dep} needs condition {condition} (got {got})")
    for dep, spec in depends.items():
        if dep not in compose["services"]:
            problems.append(f"{name}: depends_on names {dep}, which is not a service")
        elif (spec or {}).get("condition") == "service_healthy" and not service(compose, dep).get(
            "healthcheck"
        ):
            problems.append(f"{name}: waits for {dep} to be healthy, but {dep} has no healthcheck")
    return problems


def check_migrate_then_serve(compose: Compose, name: str, cli: str) -> list[str]:
    text = " ".join(command_args(service(compose, name)))
    if re.search(rf"\b{cli} migrate\b.*&&.*\b{cli} serve\b", text):
        return []
    return [f"{name}: the command must run `{cli} migrate && exec {cli} serve` (got {text!r})"]


def check_otel(compose: Compose, name: str, collector_http_port: int) -> list[str]:
    env = environment(service(compose, name))
    endpoint = urlsplit(env.get("OTEL_EXPORTER_OTLP_ENDPOINT", ""))
    problems: list[str] = []
    if endpoint.hostname not in compose["services"] or endpoint.port != collector_http_port:
        problems.append(
            f"{name}: OTEL_EXPORTER_OTLP_ENDPOINT must be http://<collector service>:"
            f"{collector_http_port} (the collector's OTLP/HTTP receiver), got {endpoint.geturl()!r}"
        )
    if not env.get("OTEL_SERVICE_NAME"):
        problems.append(f"{name}: set OTEL_SERVICE_NAME so its spans are told apart")
    return problems


# --- infrastructure checks ----------------------------------------------------------------------


def check_dockerfile(compose: Compose, name: str, port: int | None) -> list[str]:
    """The Dockerfile a service builds exists, has an ignore file and EXPOSEs its port."""
    build = service(compose, name).get("build")
    if build is None:
        return []
    if isinstance(build, str):
        build = {"context": build}
    context = REPO_ROOT / str(build.get("context", "."))
    dockerfile = context / str(build.get("dockerfile", "Dockerfile"))
    if not dockerfile.is_file():
        return [f"{name}: build.dockerfile {dockerfile.relative_to(REPO_ROOT)} does not exist"]
    problems: list[str] = []
    ignore = dockerfile.with_name(dockerfile.name + ".dockerignore")
    if not ignore.is_file() and not (context / ".dockerignore").is_file():
        problems.append(
            f"{name}: no {ignore.relative_to(REPO_ROOT)}: the build context would carry .venv "
            "and .local (Kafka data) into the build"
        )
    problems += [
        f"{name}: {dockerfile.relative_to(REPO_ROOT)} copies {source}, which does not exist"
        + (" (compose it with `make compose`)" if source.endswith(".graphql") else "")
        for source in copy_sources(dockerfile)
        if not any(context.glob(source))
    ]
    exposed = {
        int(p.split("/")[0])
        for line in dockerfile.read_text().splitlines()
        if line.strip().upper().startswith("EXPOSE ")
        for p in line.split()[1:]
    }
    if port is not None and exposed != {port}:
        problems.append(
            f"{name}: {dockerfile.relative_to(REPO_ROOT)} EXPOSEs {sorted(exposed)}, "
            f"but the service listens on {port}"
        )
    return problems


def copy_sources(dockerfile: Path) -> list[str]:
    """The build-context paths a Dockerfile's COPY/ADD lines read (not those --from a stage)."""
    sources: list[str] = []
    for line in dockerfile.read_text().splitlines():
        words = line.split()
        if not words or words[0].upper() not in ("COPY", "ADD"):
            continue
        args = [w for w in words[1:] if not w.startswith("--")]
        if any(w.startswith("--from") for w in words[1:]) or len(args) < 2:
            continue
        sources += args[:-1]
    return sources


def check_subgraph_urls(
    compose: Compose,
    supergraph: Path,
    ports: Mapping[str, int],
    gateway: str = "gateway",
) -> list[str]:
    """The gateway routes each subgraph to the compose service of that name, on its port.

    Uses the gateway's own override rules (pmo_gateway.settings / supergraph), so a variable
    naming a subgraph the supergraph lacks is reported as the gateway would report it.
    ``ports``: {service: the port it listens on}.
    """
    from pmo_gateway.settings import subgraph_url_overrides
    from pmo_gateway.supergraph import Supergraph, SupergraphError

    env = environment(service(compose, gateway))
    local = {name: sub.url for name, sub in Supergraph.load(supergraph).subgraphs.items()}
    try:
        routed = Supergraph.load(supergraph, subgraph_url_overrides(env)).subgraphs
    except SupergraphError as error:
        return [f"{gateway}: {error}"]
    problems: list[str] = []
    for name, sub in routed.items():
        var = subgraph_url_var(name)
        if sub.url == local[name]:
            problems.append(
                f"{gateway}: set {var}: the supergraph routes {name} to {local[name]}, "
                "which inside a container is the gateway itself"
            )
            continue
        url = urlsplit(sub.url)
        if url.hostname not in compose["services"]:
            problems.append(f"{gateway}: {var} points at {url.hostname!r}, not a compose service")
        elif url.hostname in ports and url.port != ports[url.hostname]:
            problems.append(
                f"{gateway}: {var} uses port {url.port}, but {url.hostname} listens on "
                f"{ports[url.hostname]}"
            )
        if url.path != urlsplit(local[name]).path:
            problems.append(f"{gateway}: {var} path {url.path!r} is not the subgraph's endpoint")
    return problems


def subgraph_url_vars(env: Mapping[str, str]) -> frozenset[str]:
    """The variables of ``env`` the gateway reads as subgraph URL overrides."""
    from pmo_gateway.settings import SUBGRAPH_URL_PREFIX, SUBGRAPH_URL_SUFFIX

    return frozenset(
        key
        for key in env
        if key.startswith(SUBGRAPH_URL_PREFIX) and key.endswith(SUBGRAPH_URL_SUFFIX)
    )


def subgraph_url_var(name: str) -> str:
    # The naming rule documented in pmo_gateway.settings: upper-cased, "-" as "_".
    from pmo_gateway.settings import SUBGRAPH_URL_PREFIX, SUBGRAPH_URL_SUFFIX

    return f"{SUBGRAPH_URL_PREFIX}{name.upper().replace('-', '_')}{SUBGRAPH_URL_SUFFIX}"


def topics_command(compose: Compose) -> tuple[Path | None, str, list[str] | None, int | None]:
    """(host script, --bootstrap, --contexts or None, --partitions or None) of `topics`."""
    svc = service(compose, "topics")
    args = command_args(svc)
    script = next((a for a in args if a.endswith(".py")), "")
    source = next(
        (src for src, target, _ in volume_mounts(svc) if str(target) == script and src), None
    )
    host_script = (REPO_ROOT / source).resolve() if source else None

    def value(flag: str) -> str | None:
        return args[args.index(flag) + 1] if flag in args else None

    contexts: list[str] | None = None
    if "--contexts" in args:
        contexts = []
        for arg in args[args.index("--contexts") + 1 :]:
            if arg.startswith("--"):
                break
            contexts.append(arg)
    partitions = value("--partitions")
    return (
        host_script,
        value("--bootstrap") or "",
        contexts,
        int(partitions) if partitions else None,
    )


def check_kafka(compose: Compose) -> list[str]:
    env = environment(service(compose, "kafka"))
    problems: list[str] = []
    if set(env.get("KAFKA_PROCESS_ROLES", "").split(",")) != {"broker", "controller"}:
        problems.append("kafka: KAFKA_PROCESS_ROLES must be broker,controller (one KRaft node)")
    if env.get("KAFKA_AUTO_CREATE_TOPICS_ENABLE") != "false":
        problems.append("kafka: set KAFKA_AUTO_CREATE_TOPICS_ENABLE=false (topics are explicit)")
    node = env.get("KAFKA_NODE_ID", "")
    voters = env.get("KAFKA_CONTROLLER_QUORUM_VOTERS", "")
    if not voters.startswith(f"{node}@"):
        problems.append(f"kafka: KAFKA_CONTROLLER_QUORUM_VOTERS {voters!r} must name node {node}")
    if not env.get("CLUSTER_ID"):
        problems.append("kafka: the apache/kafka image needs CLUSTER_ID in KRaft mode")
    protocol_map = dict(
        item.split(":", 1)
        for item in env.get("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "").split(",")
    )
    listeners = {
        item.split("://", 1)[0]: item.split("://", 1)[1].rsplit(":", 1)[1]
        for item in env.get("KAFKA_LISTENERS", "").split(",")
    }
    for listener in listeners:
        if listener not in protocol_map:
            problems.append(f"kafka: listener {listener} has no security protocol in the map")
    for listener in (
        env.get("KAFKA_INTER_BROKER_LISTENER_NAME"),
        env.get("KAFKA_CONTROLLER_LISTENER_NAMES"),
    ):
        if listener not in listeners:
            problems.append(f"kafka: listener {listener} is used but not in KAFKA_LISTENERS")
    advertised = {
        item.split("://", 1)[0]: item.split("://", 1)[1]
        for item in env.get("KAFKA_ADVERTISED_LISTENERS", "").split(",")
    }
    for listener, address in advertised.items():
        if listeners.get(listener) != address.rsplit(":", 1)[1]:
            problems.append(
                f"kafka: advertised {listener}://{address} has no matching listener port"
            )
    host_facing = {
        addr.rsplit(":", 1)[1] for addr in advertised.values() if addr.startswith("localhost:")
    }
    for host, target in published_ports(service(compose, "kafka")):
        if str(target) not in host_facing or host != str(target):
            problems.append(
                f"kafka: published port {host}:{target} must equal a listener advertised as "
                "localhost:<same port>, or clients on the host are sent elsewhere"
            )
    return problems


def check_collector(compose: Compose, config: Mapping[str, Any]) -> tuple[list[str], int | None]:
    """Problems of the collector config, and its OTLP/HTTP receiver port."""
    problems: list[str] = []
    protocols = ((config.get("receivers") or {}).get("otlp") or {}).get("protocols") or {}
    ports: dict[str, int] = {}
    for protocol in ("grpc", "http"):
        endpoint = str((protocols.get(protocol) or {}).get("endpoint", ""))
        if not endpoint.startswith("0.0.0.0:"):
            problems.append(
                f"otel-collector: the OTLP {protocol} receiver must listen on 0.0.0.0:<port> "
                f"(other containers cannot reach localhost), got {endpoint!r}"
            )
        else:
            ports[protocol] = int(endpoint.rsplit(":", 1)[1])
    pipelines = (config.get("service") or {}).get("pipelines") or {}
    traces = pipelines.get("traces") or {}
    if not traces:
        problems.append("otel-collector: no traces pipeline")
    for kind in ("receivers", "processors", "exporters"):
        defined = set(config.get(kind) or {})
        for component in traces.get(kind) or []:
            if component not in defined:
                problems.append(
                    f"otel-collector: the traces pipeline uses undefined {kind[:-1]} {component}"
                )
    for exporter, spec in (config.get("exporters") or {}).items():
        if exporter.split("/")[0] not in ("otlp", "otlp_grpc", "otlphttp", "otlp_http"):
            continue
        host = urlsplit("//" + str((spec or {}).get("endpoint", "")).split("://")[-1]).hostname
        if host not in compose["services"]:
            problems.append(f"otel-collector: exporter {exporter} sends to {host}, not a service")
    return problems, ports.get("http")


def subgraph_urls(supergraph_sdl: str) -> dict[str, str]:
    """{subgraph name: url} from the supergraph's `@join__graph(name:, url:)` directives."""
    pattern = re.compile(r'@join__graph\(\s*name:\s*"([^"]+)"\s*,\s*url:\s*"([^"]*)"\s*\)')
    return dict(pattern.findall(supergraph_sdl))


def check_topics(compose: Compose, topics: Any) -> list[str]:
    """The `topics` one-shot runs deploy/local/topics.py (``topics``) for the same topics."""
    script, bootstrap, contexts, partitions = topics_command(compose)
    expected_script = REPO_ROOT / "deploy" / "local" / "topics.py"
    problems: list[str] = []
    if script != expected_script:
        problems.append(f"topics: must run {expected_script} mounted into the container")
    wanted = topics.topic_names(list(topics.CONTEXTS))
    created = topics.topic_names(contexts if contexts is not None else list(topics.CONTEXTS))
    if created != wanted:
        problems.append(f"topics: creates {created}, but deploy/local creates {wanted}")
    default = inspect.signature(topics.ensure_topics).parameters["partitions"].default
    if partitions not in (None, default):
        problems.append(f"topics: --partitions {partitions}, but deploy/local uses {default}")
    problems += check_kafka_bootstrap(compose, bootstrap, "topics")
    return problems
