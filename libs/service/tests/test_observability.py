"""Tracing setup, instrumented requests and JSON logs that carry the trace id."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import structlog
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pmo_service.logging import setup_logging
from pmo_service.settings import ServiceSettings
from pmo_service.telemetry import current_trace_id, new_tracer_provider, setup_telemetry


@pytest.fixture
def spans(make_settings: Callable[..., ServiceSettings]) -> Iterator[InMemorySpanExporter]:
    provider = setup_telemetry("toy", make_settings())
    assert isinstance(provider, TracerProvider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()


def test_setup_telemetry_is_idempotent(make_settings: Callable[..., ServiceSettings]) -> None:
    first = setup_telemetry("toy", make_settings())
    second = setup_telemetry("other", make_settings())
    assert first is second
    assert trace.get_tracer_provider() is first
    assert isinstance(first, TracerProvider)


def test_otel_sdk_disabled_installs_nothing(
    make_settings: Callable[..., ServiceSettings], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    before = trace.get_tracer_provider()
    assert setup_telemetry("toy", make_settings()) is before


@pytest.mark.integration
async def test_requests_and_queries_are_traced(
    toy_app: FastAPI,
    running: Any,
    token_for: Callable[..., str],
    spans: InMemorySpanExporter,
) -> None:
    async with running(toy_app) as client:
        await client.post(
            "/graphql",
            json={"query": "{ whoami }"},
            headers={"Authorization": f"Bearer {token_for('viewer')}"},
        )
        await client.get("/readyz")
    finished = spans.get_finished_spans()
    server = [span for span in finished if span.kind == trace.SpanKind.SERVER]
    assert [span.name for span in server] == ["POST /graphql"]  # probes are not traced
    assert server[0].resource.attributes["service.name"]
    database = [span for span in finished if span.attributes.get("db.system") == "postgresql"]
    assert database, [span.name for span in finished]


def test_json_logs_carry_trace_and_service(
    make_settings: Callable[..., ServiceSettings],
    capsys: pytest.CaptureFixture[str],
    spans: InMemorySpanExporter,
) -> None:
    setup_logging("toy", make_settings(log_json=True))
    tracer = trace.get_tracer("test")
    with tracer.start_as_current_span("work") as span:
        structlog.get_logger("pmo.test").info("relay_published", position=41)
        logging.getLogger("some.library").warning("broker slow: %s ms", 250)
        context = span.get_span_context()
    structlog.get_logger("pmo.test").info("outside_any_span")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    published, library, outside = lines[-3:]
    assert published["event"] == "relay_published"
    assert published["position"] == 41
    assert published["level"] == "info"
    assert published["service"] == "toy"
    assert published["trace_id"] == format(context.trace_id, "032x")
    assert published["span_id"] == format(context.span_id, "016x")
    assert library["event"] == "broker slow: 250 ms"
    assert library["level"] == "warning"
    assert library["trace_id"] == published["trace_id"]
    assert "trace_id" not in outside
    setup_logging("toy", make_settings(log_json=False))


def test_without_a_span_processor_new_traces_are_not_recorded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OTEL_TRACES_SAMPLER", raising=False)
    provider = new_tracer_provider()
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("request") as span:
        context = span.get_span_context()
        assert not span.is_recording()
        # Still real ids: logs and traceparent carry them.
        assert context.is_valid
        assert current_trace_id() == format(context.trace_id, "032x")
        assert not context.trace_flags.sampled
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with tracer.start_as_current_span("request") as span, tracer.start_as_current_span("sql"):
        assert span.is_recording()
    assert [finished.name for finished in exporter.get_finished_spans()] == ["sql", "request"]
    provider.shutdown()


def test_a_callers_sampled_trace_is_recorded_even_without_a_processor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OTEL_TRACES_SAMPLER", raising=False)
    provider = new_tracer_provider()
    parent = trace.SpanContext(
        trace_id=0x0AF7651916CD43DD8448EB211C80319C,
        span_id=0xB7AD6B7169203331,
        is_remote=True,
        trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED),
    )
    span = provider.get_tracer("test").start_span(
        "process", context=trace.set_span_in_context(trace.NonRecordingSpan(parent))
    )
    assert span.is_recording()
    assert span.get_span_context().trace_flags.sampled  # propagated on as sampled
    span.end()
    provider.shutdown()


def test_otel_traces_sampler_is_respected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "always_off")
    provider = new_tracer_provider()
    provider.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
    span = provider.get_tracer("test").start_span("request")
    assert not span.is_recording()
    span.end()
    provider.shutdown()
