"""Summary tables on the console and the results file."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).resolve().parent / "results.json"


def _num(value: float, digits: int = 1) -> str:
    return (
        "—"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else (f"{value:,.{digits}f}")
    )


def _x(value: float) -> str:
    return f"{value:.2f}x"


def _cpu(cpu: dict[str, float]) -> str:
    """bench/service/postgres CPU cores, e.g. ``0.16/0.75/0.11``."""
    parts = (
        cpu.get(name) for name in ("benchmark_process", "service_process", "postgres_backends")
    )
    return "/".join("—" if value is None else f"{value:.2f}" for value in parts)


def write_path_table(result: dict[str, Any]) -> Table:
    table = Table(title="write_path: proposeInitiative vs the same SQL by hand (asyncpg)")
    for column in ("c", "measure", "service HTTP", "in-process", "raw SQL",
                   "HTTP÷raw", "in-proc÷raw"):  # fmt: skip
        table.add_column(column, justify="left" if column == "measure" else "right")
    table.caption = (
        "c: concurrency; CPU cores: this process / the service process / the database's backends"
    )
    figures, baseline, ratios = result["figures"], result["baseline"], result["ratio"]
    # Highest concurrency first (the headline figure), whatever order the JSON kept.
    for key in sorted(baseline, key=lambda name: -int(name.removeprefix("concurrency_"))):
        base = baseline[key]
        concurrency = key.removeprefix("concurrency_")
        http = figures[key]
        inner = figures.get(f"in_process_{key}")
        inner_ratio = ratios.get(f"in_process_{key}")
        rows = (
            ("commands/s", "per_second", "throughput"),
            ("p50 ms", "p50_ms", "p50"),
            ("p99 ms", "p99_ms", "p99"),
        )
        for label, field, ratio_key in rows:
            digits = 1 if field == "per_second" else 2
            table.add_row(
                concurrency if field == "per_second" else "",
                label,
                _num(http[field], digits),
                _num(inner[field], digits) if inner else "—",
                _num(base[field], digits),
                _x(ratios[key][ratio_key]),
                _x(inner_ratio[ratio_key]) if inner_ratio else "—",
            )
        table.add_row(
            "",
            "CPU cores",
            _cpu(http["cpu_cores"]),
            _cpu(inner["cpu_cores"]) if inner else "—",
            _cpu(base["cpu_cores"]),
            "",
            "",
            end_section=True,
        )
    return table


def propagation_table(result: dict[str, Any]) -> Table:
    table = Table(title="propagation: commit → visible in metrics vs a bare Kafka round trip")
    for column in ("measure", "commit → visible", "Kafka round trip", "ratio",
                   "commit → on Kafka", "mutation", "Kafka produce ack"):  # fmt: skip
        table.add_column(column, justify="left" if column == "measure" else "right")
    table.caption = (
        "commit → on Kafka: until a bare consumer receives the record (the relay's share); "
        "mutation: the proposeInitiative HTTP round trip"
    )
    service = result["figures"]["commit_to_visible"]
    mutation = result["figures"]["mutation_round_trip"]
    on_kafka = result["figures"].get("commit_to_on_kafka")
    kafka = result["baseline"]["kafka_round_trip"]
    produce = result["baseline"]["kafka_produce_ack"]
    for label, field in (("p50 ms", "p50_ms"), ("p99 ms", "p99_ms"), ("mean ms", "mean_ms"),
                         ("max ms", "max_ms")):  # fmt: skip
        ratio_key = field.removesuffix("_ms")
        ratio = result["ratio"].get(ratio_key)
        table.add_row(
            label,
            _num(service[field], 2),
            _num(kafka[field], 2),
            _x(ratio) if ratio is not None else "—",
            _num(on_kafka[field], 2) if on_kafka else "—",
            _num(mutation[field], 2),
            _num(produce[field], 2),
        )
    return table


TABLES = {"write_path": write_path_table, "propagation": propagation_table}


def show(console: Console, name: str, result: dict[str, Any]) -> None:
    console.print(TABLES[name](result))
    machine = result["machine"]
    console.print(
        f"[dim]{machine['cpu_count']} cores ({machine['cpu_model']}), Python {machine['python']}, "
        f"PostgreSQL {machine['postgres']}, Kafka {machine['kafka']}; the client, the services "
        f"and the servers share this machine (load average at start "
        f"{machine['load_average_at_start']}, at end {machine.get('load_average_at_end', '?')})."
        " Ratios: service ÷ baseline.[/dim]"
    )


def save(results: dict[str, Any], path: Path = RESULTS) -> None:
    """Merge into ``path``: a run of one benchmark keeps the others' last results."""
    merged: dict[str, Any] = {}
    if path.exists():
        try:
            merged = json.loads(path.read_text())
        except json.JSONDecodeError:
            merged = {}
    merged.update(results)
    path.write_text(json.dumps(merged, indent=2, sort_keys=True) + "\n")
