"""Supervised background workers (outbox relay, projector runners, ...).

A worker is ``async def worker(stop: asyncio.Event) -> None`` that runs until ``stop`` is set. The
supervisor restarts a worker that crashes (or returns early) with exponential backoff, so one bad
moment of Kafka or Postgres does not leave the service silently without its relay. On shutdown it
sets ``stop``, waits a grace period, then cancels what is still running.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import structlog
from prometheus_client import Counter

Worker = Callable[[asyncio.Event], Awaitable[None]]

logger = structlog.get_logger(__name__)

WORKER_RESTARTS = Counter(
    "pmo_worker_restarts_total",
    "Background worker restarts after a crash or an early return",
    ["service", "worker"],
)


@dataclass(frozen=True, slots=True)
class Backoff:
    initial_seconds: float = 0.5
    maximum_seconds: float = 30.0
    # A worker that ran this long before failing starts again from the initial delay.
    reset_after_seconds: float = 60.0


def worker_name(worker: Worker) -> str:
    target: object = worker
    while isinstance(target, functools.partial):
        target = target.func
    name = getattr(target, "__qualname__", None) or getattr(target, "__name__", None)
    return name if isinstance(name, str) else type(target).__name__


class WorkerSupervisor:
    def __init__(self, service: str, backoff: Backoff | None = None) -> None:
        self.service = service
        self.backoff = backoff or Backoff()
        self.stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self, workers: Sequence[Worker]) -> None:
        names: set[str] = set()
        for worker in workers:
            name = worker_name(worker)
            if name in names:  # two projectors built by one factory share a qualname
                name = f"{name}#{len(names)}"
            names.add(name)
            task = asyncio.create_task(self._supervise(name, worker), name=f"worker:{name}")
            self._tasks.append(task)

    async def _supervise(self, name: str, worker: Worker) -> None:
        loop = asyncio.get_running_loop()
        delay = self.backoff.initial_seconds
        log = logger.bind(worker=name, service=self.service)
        while not self.stop.is_set():
            started = loop.time()
            crashed = False
            try:
                log.info("worker_started")
                await worker(self.stop)
            except asyncio.CancelledError:
                raise
            except Exception:
                crashed = True
                log.exception("worker_crashed")
            if self.stop.is_set():
                break
            if loop.time() - started >= self.backoff.reset_after_seconds:
                delay = self.backoff.initial_seconds
            if not crashed:
                log.warning("worker_returned_early")
            log.info("worker_restarting", restart_in_seconds=delay)
            WORKER_RESTARTS.labels(self.service, name).inc()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), timeout=delay)
            delay = min(delay * 2, self.backoff.maximum_seconds)
        log.info("worker_stopped")

    async def shutdown(self, grace_seconds: float = 10.0) -> None:
        """Ask every worker to stop; cancel those still running after ``grace_seconds``."""
        self.stop.set()
        if not self._tasks:
            return
        _, pending = await asyncio.wait(self._tasks, timeout=grace_seconds)
        for task in pending:
            logger.warning("worker_cancelled", task=task.get_name(), grace_seconds=grace_seconds)
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
