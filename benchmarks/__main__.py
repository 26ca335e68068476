"""``python -m benchmarks [--only write_path|propagation] [--quick]``: run, print, save."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from benchmarks import propagation, report, write_path
from benchmarks.infra import (
    BenchmarkError,
    Servers,
    check_servers,
    code_version,
    machine,
    servers,
)

Runner = Callable[[Servers, Progress, dict[str, str]], Awaitable[dict[str, Any]]]


def runners(quick: bool) -> dict[str, Runner]:
    write = write_path.Config(requests=300, warmup=50, rounds=2) if quick else write_path.Config()
    prop = propagation.Config(samples=30, warmup=5) if quick else propagation.Config()
    return {
        "write_path": lambda found, progress, env: write_path.run(found, write, progress, env),
        "propagation": lambda found, progress, env: propagation.run(found, prop, progress, env),
    }


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Run the benchmarks, each against a baseline measured in the same run; "
        "needs PostgreSQL and Kafka (make infra-up topics).",
    )
    parser.add_argument("--only", choices=["write_path", "propagation"], action="append",
                        help="run only this benchmark (repeatable); default: all")  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="fewer samples (a smoke run)")
    parser.add_argument("--output", type=Path, default=report.RESULTS,
                        help=f"results file (default: {report.RESULTS})")  # fmt: skip
    return parser.parse_args(argv)


async def main(args: argparse.Namespace, console: Console) -> None:
    # SIGTERM cancels the run like Ctrl-C does, so services are stopped and databases dropped.
    task = asyncio.current_task()
    if task is not None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    found = servers()
    await check_servers(found)
    about = await machine(found)
    load = os.getloadavg()
    about["load_average_at_start"] = ", ".join(f"{value:.2f}" for value in load)
    if load[0] > 0.5 * (os.cpu_count() or 1):
        console.print(
            f"[yellow]warning: the machine is busy (load average {load[0]:.1f} on "
            f"{os.cpu_count()} cores): other work competes with the run, expect noisy figures; "
            "re-run on a quiet machine for numbers to keep[/yellow]"
        )
    selected = runners(args.quick)
    names = args.only or list(selected)
    env = dict(os.environ)
    for name in names:
        console.rule(f"[bold]{name}")
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            refresh_per_second=4,
        ) as progress:
            result = await selected[name](found, progress, env)
        # The load at the end tells whether other work joined in during the run.
        ends = ", ".join(f"{value:.2f}" for value in os.getloadavg())
        result["machine"] = {**about, "load_average_at_end": ends}
        result["time"] = datetime.now(UTC).isoformat(timespec="seconds")
        result["code"] = code_version()
        result["quick"] = args.quick
        report.show(console, name, result)
        report.save({name: result}, args.output)
    console.print(f"results written to {args.output}")


def run() -> int:
    args = parse_args(sys.argv[1:])
    console = Console()
    if not console.is_terminal:  # make's log or CI: rich would wrap the tables at 80 columns
        console = Console(width=120)
    try:
        asyncio.run(main(args, console))
    except BenchmarkError as error:
        console.print(f"[red]benchmark failed:[/red] {error}", highlight=False)
        return 1
    except (KeyboardInterrupt, asyncio.CancelledError):
        console.print("[yellow]interrupted: services stopped, benchmark databases dropped[/yellow]")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(run())
