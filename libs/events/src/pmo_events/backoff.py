"""Capped exponential backoff with jitter, and a sleep that a stop event cuts short."""

from __future__ import annotations

import asyncio
import contextlib
import random
from dataclasses import dataclass, field

__all__ = ["Backoff", "sleep_unless_stopped"]


@dataclass
class Backoff:
    initial: float = 0.5
    maximum: float = 30.0
    factor: float = 2.0
    attempts: int = field(default=0, init=False)

    def next_delay(self) -> float:
        """The delay before the next attempt; grows until ``maximum``. ±20 % jitter spreads
        reconnects of many processes after a shared outage."""
        delay = min(self.maximum, self.initial * self.factor**self.attempts)
        self.attempts += 1
        return delay * random.uniform(0.8, 1.2)  # jitter, not cryptography

    def reset(self) -> None:
        self.attempts = 0


async def sleep_unless_stopped(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep up to ``seconds``; returns True when ``stop`` was set meanwhile (or already)."""
    if stop.is_set():
        return True
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=max(seconds, 0.0))
    return stop.is_set()
