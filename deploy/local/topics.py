"""Create the platform's Kafka topics: pmo.<ctx>.events and pmo.<ctx>.events.dlq per context.

Idempotent: a topic that exists is left as it is, except that its retention.ms is set back to the
contract (-1, keep forever: the event topics are the replayable log). A topic with a different
partition count is reported but not changed, because adding partitions remaps keys to partitions
and breaks the per-stream ordering consumers rely on.

Usage: uv run python deploy/local/topics.py [--bootstrap 127.0.0.1:9092] [--partitions 6]
       [--contexts portfolio metrics ...]
Also importable (tests load it by path): ``ensure_topics`` and ``describe``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError, for_code

CONTEXTS = ("portfolio", "metrics", "resources", "learning")
TOPIC_CONFIG = {"retention.ms": "-1"}


@dataclass(frozen=True)
class TopicState:
    name: str
    partitions: int
    configs: dict[str, str]


def topic_names(contexts: tuple[str, ...] | list[str]) -> list[str]:
    names: list[str] = []
    for ctx in contexts:
        names += [f"pmo.{ctx}.events", f"pmo.{ctx}.events.dlq"]
    return names


async def _admin(bootstrap: str, wait_s: float) -> AIOKafkaAdminClient:
    """A started admin client; retries while the broker is still starting up."""
    deadline = asyncio.get_running_loop().time() + wait_s
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
        try:
            await admin.start()
            return admin
        except KafkaConnectionError:
            await admin.close()
            if asyncio.get_running_loop().time() > deadline:
                raise SystemExit(
                    f"no Kafka broker answers at {bootstrap} after {wait_s:.0f} s: "
                    "start it with deploy/local/kafka.sh up (log: .local/log/kafka.log)"
                ) from None
            await asyncio.sleep(0.5)


async def describe(bootstrap: str, names: list[str], wait_s: float = 30) -> dict[str, TopicState]:
    """Partition count and retention.ms of each named topic that exists."""
    admin = await _admin(bootstrap, wait_s)
    try:
        return await _describe(admin, names)
    finally:
        await admin.close()


async def _describe(admin: AIOKafkaAdminClient, names: list[str]) -> dict[str, TopicState]:
    found = {
        t["topic"]: len(t["partitions"])
        for t in await admin.describe_topics(names)
        if t["error_code"] == 0
    }
    if not found:
        return {}
    resources = [
        ConfigResource(ConfigResourceType.TOPIC, name, dict.fromkeys(TOPIC_CONFIG))
        for name in found
    ]
    configs: dict[str, dict[str, str]] = {name: {} for name in found}
    for response in await admin.describe_configs(resources):
        # DescribeConfigs resources: (error_code, error_message, type, name, config_entries...)
        for resource in response.resources:
            error_code, _, _, name, entries = resource[:5]
            if error_code:
                raise for_code(error_code)(f"describing the configuration of {name}")
            for entry in entries:
                configs[name][entry[0]] = entry[1]
    return {name: TopicState(name, found[name], configs[name]) for name in found}


async def ensure_topics(
    bootstrap: str,
    contexts: tuple[str, ...] | list[str] = CONTEXTS,
    partitions: int = 6,
    wait_s: float = 60,
) -> list[str]:
    """Create the missing topics; return human-readable lines saying what was done."""
    names = topic_names(contexts)
    admin = await _admin(bootstrap, wait_s)
    report: list[str] = []
    try:
        existing = await _describe(admin, names)
        missing = [n for n in names if n not in existing]
        if missing:
            response = await admin.create_topics(
                [
                    NewTopic(name, partitions, 1, topic_configs=dict(TOPIC_CONFIG))
                    for name in missing
                ]
            )
            for entry in response.topic_errors:
                name, error_code = entry[0], entry[1]
                if error_code == 0:
                    report.append(f"created {name} ({partitions} partitions)")
                elif error_code == TopicAlreadyExistsError.errno:
                    report.append(f"exists  {name} (created concurrently)")
                else:
                    message = entry[2] if len(entry) > 2 else ""
                    raise for_code(error_code)(f"creating topic {name}: {message}")
        to_fix = [n for n, s in existing.items() if s.configs != TOPIC_CONFIG]
        if to_fix:
            await admin.alter_configs(
                [ConfigResource(ConfigResourceType.TOPIC, n, dict(TOPIC_CONFIG)) for n in to_fix]
            )
        for name in sorted(existing, key=names.index):
            state = existing[name]
            line = f"exists  {name} ({state.partitions} partitions)"
            if name in to_fix:
                line += f", retention.ms reset to {TOPIC_CONFIG['retention.ms']}"
            if state.partitions != partitions:
                line += (
                    f" -- WARNING: expected {partitions}; left unchanged (repartitioning breaks"
                    " per-key ordering; delete and recreate the topic if it holds nothing you need)"
                )
            report.append(line)
    finally:
        await admin.close()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--bootstrap", default=os.environ.get("PMO_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    )
    parser.add_argument(
        "--partitions", type=int, default=int(os.environ.get("PMO_TOPIC_PARTITIONS", "6"))
    )
    parser.add_argument("--contexts", nargs="+", default=list(CONTEXTS))
    args = parser.parse_args()
    if args.partitions < 1:
        sys.exit(f"--partitions / PMO_TOPIC_PARTITIONS must be at least 1, got {args.partitions}")
    for line in asyncio.run(ensure_topics(args.bootstrap, args.contexts, args.partitions)):
        print(f"topics: {line}", file=sys.stderr)


if __name__ == "__main__":
    main()
