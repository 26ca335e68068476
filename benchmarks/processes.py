"""Services run as real subprocesses (``pmo-<service> serve``), always stopped afterwards.

Each child gets its own session, so a Ctrl-C in the terminal reaches only the benchmark, which then
stops the children in order; and on Linux the kernel sends the child SIGTERM if the benchmark dies
without cleaning up (PR_SET_PDEATHSIG), so no service outlives its run. Each service's output goes
to .local/log/bench-<service>.log.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from benchmarks.infra import REPO_ROOT, BenchmarkError, console_script

LOG_DIR = REPO_ROOT / ".local" / "log"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# Exec'd in the child before the service: asks the kernel for SIGTERM when the benchmark dies,
# then replaces itself with the service (the setting survives exec). Doing this in a preexec_fn
# instead would be unsafe, because the benchmark runs threads (progress display, thread pool).
_DIE_WITH_PARENT = (
    "import ctypes, os, sys\n"
    "ctypes.CDLL(None, use_errno=True).prctl(1, 15)  # PR_SET_PDEATHSIG, SIGTERM\n"
    "os.execv(sys.argv[1], sys.argv[1:])\n"
)


def _command(script: str, *args: str) -> list[str]:
    if sys.platform.startswith("linux"):
        return [sys.executable, "-c", _DIE_WITH_PARENT, script, *args]
    return [script, *args]


class ServiceProcess:
    def __init__(self, service: str, port: int, env: dict[str, str]) -> None:
        self.service = service
        self.port = port
        self.env = env
        self.base_url = f"http://127.0.0.1:{port}"
        self.log_path: Path = LOG_DIR / f"bench-{service}.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(  # our own console script, fixed arguments
                _command(console_script(f"pmo-{self.service}"), "serve"),
                cwd=REPO_ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    async def wait_ready(self, timeout_s: float = 60.0) -> None:
        """Poll ``/readyz`` until it answers 200 (database and Kafka reachable)."""
        deadline = time.monotonic() + timeout_s
        last = "no answer yet"
        async with httpx.AsyncClient(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self._process is None or self._process.poll() is not None:
                    raise BenchmarkError(
                        f"pmo-{self.service} exited while starting; its log:\n{self.log_tail()}"
                    )
                try:
                    response = await client.get(f"{self.base_url}/readyz")
                    if response.status_code == 200:
                        return
                    last = response.text
                except httpx.HTTPError as exc:
                    last = repr(exc)
                await asyncio.sleep(0.2)
        raise BenchmarkError(
            f"pmo-{self.service} was not ready within {timeout_s:.0f} s (last: {last}); "
            f"see {self.log_path}"
        )

    def stop(self, grace_s: float = 15.0) -> None:
        """SIGTERM (uvicorn shuts down gracefully, workers stop), then SIGKILL after ``grace_s``."""
        process = self._process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(grace_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


@contextlib.asynccontextmanager
async def running(service: str, env: dict[str, str]) -> AsyncIterator[ServiceProcess]:
    """Start ``pmo-<service> serve`` on a free port, wait until ready, stop it on the way out."""
    port = free_port()
    prefix = f"PMO_{service.upper()}_"
    process = ServiceProcess(
        service,
        port,
        {**env, f"{prefix}HOST": "127.0.0.1", f"{prefix}PORT": str(port)},
    )
    try:
        process.start()
        await process.wait_ready()
        yield process
    finally:
        # In a thread: waiting for the child must not block the loop, and it must run even when
        # the benchmark was cancelled (Ctrl-C).
        await asyncio.shield(asyncio.to_thread(process.stop))
