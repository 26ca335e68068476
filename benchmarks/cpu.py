"""Where the CPU went during a phase: the benchmark process, a service process, Postgres backends.

On a 2-core machine the client, the service and PostgreSQL share the same cores, so the CPU each
one burned per second of wall time (1.0 = one full core) explains a throughput figure better than
the figure alone. Read from /proc (Linux only; elsewhere the breakdown is left out).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process, or None when it is gone or unreadable."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


async def _backend_pids(conn: asyncpg.Connection, database: str) -> set[int]:
    rows = await conn.fetch(
        "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
        database,
    )
    return {int(row["pid"]) for row in rows}


@dataclass
class CpuUse:
    """CPU seconds per party over ``wall`` seconds; sums over several measured runs."""

    seconds: dict[str, float] = field(default_factory=dict)
    wall: float = 0.0

    def add(self, other: CpuUse) -> None:
        for name, value in other.seconds.items():
            self.seconds[name] = self.seconds.get(name, 0.0) + value
        self.wall += other.wall

    def cores(self) -> dict[str, float]:
        """CPU seconds per wall second (1.0 = one core busy all the time)."""
        if not self.wall:
            return {}
        return {name: round(value / self.wall, 2) for name, value in self.seconds.items()}


@dataclass
class CpuMeter:
    """Snapshot at start, difference at stop. ``service_pid`` may be None (no subprocess)."""

    conn: asyncpg.Connection
    database: str
    service_pid: int | None = None
    _wall: float = 0.0
    _client: float = 0.0
    _service: float = 0.0
    _backends: dict[int, float] = field(default_factory=dict)

    async def start(self) -> None:
        self._backends = {
            pid: cpu
            for pid in await _backend_pids(self.conn, self.database)
            if (cpu := _cpu_seconds(pid)) is not None
        }
        self._service = self._service_cpu()
        self._client = time.process_time()
        self._wall = time.perf_counter()

    async def stop(self) -> CpuUse:
        """CPU seconds of each party, and the wall time, since ``start``."""
        wall = time.perf_counter() - self._wall
        client = time.process_time() - self._client
        service = self._service_cpu() - self._service
        postgres = 0.0
        for pid in set(self._backends) | await _backend_pids(self.conn, self.database):
            now = _cpu_seconds(pid)
            if now is not None:
                postgres += now - self._backends.get(pid, 0.0)
        used = {"benchmark_process": client, "postgres_backends": postgres}
        if self.service_pid is not None:
            used["service_process"] = service
        return CpuUse(used, wall)

    def _service_cpu(self) -> float:
        if self.service_pid is None:
            return 0.0
        return _cpu_seconds(self.service_pid) or 0.0
