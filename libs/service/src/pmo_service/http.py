"""HTTP pieces every process shares: probes, Prometheus metrics, request size limit, CORS.

The service app factory uses them all; the gateway, which has no database, assembles the same
pieces with its own readiness checks via ``install_http_basics``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import orjson
from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pmo_service.settings import BaseAppSettings

REQUEST_DURATION = Histogram(
    "pmo_http_request_duration_seconds",
    "HTTP request latency by route template, method and status",
    ["service", "method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


@dataclass(frozen=True, slots=True)
class ReadinessCheck:
    """A named dependency check; ``check`` raises (with a helpful message) when not ready."""

    name: str
    check: Callable[[], Awaitable[None]]


class RequestMetricsMiddleware:
    """Observes each request's latency, labelled by route *template* to bound cardinality."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def observe_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observe_send)
        finally:
            # The router stores the matched route in the (shared) scope; unknown paths share one
            # label so scanners cannot create a time series per URL.
            route = getattr(scope.get("route"), "path", None) or "<unmatched>"
            REQUEST_DURATION.labels(self.service, scope["method"], route, str(status)).observe(
                time.perf_counter() - started
            )


class _BodyTooLarge(Exception):
    pass


class RequestSizeLimitMiddleware:
    """Answers 413 to a request body over ``max_bytes``, declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._refuse(send)
                return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if response_started:
                raise
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = orjson.dumps(
            {
                "errors": [
                    {
                        "message": f"request body larger than {self.max_bytes} bytes: "
                        "send a smaller request",
                        "extensions": {"code": "PAYLOAD_TOO_LARGE"},
                    }
                ]
            }
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


async def run_checks(
    checks: Sequence[ReadinessCheck], limit_seconds: float = 5.0
) -> tuple[bool, dict[str, str]]:
    """Run the checks concurrently; each gets ``limit_seconds``. Returns (all ok, results)."""

    async def one(check: ReadinessCheck) -> str:
        try:
            async with asyncio.timeout(limit_seconds):
                await check.check()
        except TimeoutError:
            return f"failed: no answer within {limit_seconds:g}s"
        except Exception as error:
            return f"failed: {error}"
        return "ok"

    outcomes = await asyncio.gather(*(one(check) for check in checks))
    results = {check.name: outcome for check, outcome in zip(checks, outcomes, strict=True)}
    return all(outcome == "ok" for outcome in outcomes), results


def probes_router(
    readiness: Callable[[], Sequence[ReadinessCheck]], *, check_timeout: float = 5.0
) -> APIRouter:
    """``/healthz`` (alive), ``/readyz`` (dependencies answer) and ``/metrics`` (Prometheus)."""
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "alive"})

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        ready, results = await run_checks(readiness(), check_timeout)
        return JSONResponse(
            {"status": "ready" if ready else "unavailable", "checks": results},
            status_code=200 if ready else 503,
        )

    @router.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return router


def install_http_basics(
    app: FastAPI,
    settings: BaseAppSettings,
    service_name: str,
    readiness: Callable[[], Sequence[ReadinessCheck]],
) -> None:
    """Add probes, metrics, the size limit and CORS to ``app`` (before it starts)."""
    app.include_router(probes_router(readiness))
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["authorization", "content-type", "traceparent", "tracestate"],
            max_age=600,
        )
    app.add_middleware(RequestSizeLimitMiddleware, max_bytes=settings.max_request_bytes)
    # Added last, so it is the outermost of these and also times refused requests.
    app.add_middleware(RequestMetricsMiddleware, service=service_name)
