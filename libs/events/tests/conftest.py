"""Fixtures of the pmo_events tests: an engine on the session's fresh database, a fresh schema per
test, unique Kafka topics, and an in-memory span exporter on the global tracer provider."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable

import orjson
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pmo_events import ensure_topics, install
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


@pytest.fixture(scope="session")
async def engine(pg_admin_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(
        pg_admin_url, pool_size=20, max_overflow=10, json_deserializer=orjson.loads
    )
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
async def schema(engine: AsyncEngine) -> AsyncIterator[str]:
    """A fresh schema with the event store tables, dropped after the test."""
    name = f"ev_{uuid.uuid4().hex[:10]}"
    await install(engine, name)
    try:
        yield name
    finally:
        async with engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))


@pytest.fixture
async def topic(kafka_bootstrap: str) -> str:
    """A fresh domain topic (3 partitions) and its DLQ."""
    name = f"test.{uuid.uuid4().hex[:8]}.events"
    await ensure_topics(kafka_bootstrap, [name, f"{name}.dlq"], partitions=3)
    return name


@pytest.fixture(scope="session")
def span_exporter() -> InMemorySpanExporter:
    """Spans of the whole session; attached to the global SDK provider (installed if missing)."""
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
        provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider), "another tracer provider is installed globally"
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture
def spans(span_exporter: InMemorySpanExporter) -> InMemorySpanExporter:
    span_exporter.clear()
    return span_exporter


@pytest.fixture
def unique() -> Callable[[str], str]:
    """unique("stream") -> "stream-3f2a..." so tests never share names."""
    return lambda prefix: f"{prefix}-{uuid.uuid4().hex[:8]}"
