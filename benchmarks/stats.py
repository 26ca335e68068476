"""Latency samples, their summary, and a closed-loop load driver."""

from __future__ import annotations

import asyncio
import itertools
import math
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from rich.progress import Progress, TaskID

Operation = Callable[[int], Awaitable[None]]


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Linear interpolation between the two nearest ranks (numpy's default, "linear")."""
    if not sorted_values:
        raise ValueError("no samples: the run recorded no latencies")
    rank = (len(sorted_values) - 1) * fraction
    low, high = math.floor(rank), math.ceil(rank)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


@dataclass(frozen=True, slots=True)
class Summary:
    """Latencies in milliseconds; throughput in operations per second of wall time."""

    count: int
    seconds: float
    p50_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float

    @property
    def per_second(self) -> float:
        return self.count / self.seconds

    @classmethod
    def of(cls, latencies_s: list[float], seconds: float) -> Summary:
        ordered = sorted(latencies_s)
        return cls(
            count=len(ordered),
            seconds=seconds,
            p50_ms=percentile(ordered, 0.50) * 1000,
            p99_ms=percentile(ordered, 0.99) * 1000,
            mean_ms=statistics.fmean(ordered) * 1000,
            max_ms=ordered[-1] * 1000,
        )

    def throughput_figures(self) -> dict[str, float]:
        return {
            "per_second": round(self.per_second, 1),
            "p50_ms": round(self.p50_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
            "mean_ms": round(self.mean_ms, 3),
            "max_ms": round(self.max_ms, 3),
            "count": self.count,
        }

    def latency_figures(self) -> dict[str, float]:
        return {
            "p50_ms": round(self.p50_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
            "mean_ms": round(self.mean_ms, 3),
            "max_ms": round(self.max_ms, 3),
            "count": self.count,
        }


def ratio(numerator: float, denominator: float) -> float:
    return round(numerator / denominator, 3) if denominator else math.nan


@dataclass
class Samples:
    """Latencies (seconds) and the wall time they took; several runs can be merged."""

    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, other: Samples) -> None:
        self.latencies.extend(other.latencies)
        self.seconds += other.seconds

    def summary(self) -> Summary:
        return Summary.of(self.latencies, self.seconds)


async def closed_loop(
    operation: Operation,
    *,
    total: int,
    concurrency: int,
    progress: Progress,
    task: TaskID,
) -> Samples:
    """Run ``operation(i)`` for i in 0..total-1 from ``concurrency`` workers, each starting its next
    call as soon as the previous one returns (a closed loop: the offered load adapts to the
    system, so the figure is the capacity at that concurrency, not a fixed arrival rate)."""
    counter = itertools.count()
    latencies: list[float] = []

    async def worker() -> None:
        while (index := next(counter)) < total:
            started = time.perf_counter()
            await operation(index)
            latencies.append(time.perf_counter() - started)
            progress.advance(task)

    started = time.perf_counter()
    async with asyncio.TaskGroup() as group:
        for _ in range(concurrency):
            group.create_task(worker())
    return Samples(latencies, time.perf_counter() - started)
