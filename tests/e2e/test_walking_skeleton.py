"""One command across every real component, and one trace across all of them.

gateway (JWT) → portfolio subgraph → event store → outbox relay → Kafka (CloudEvents) →
metrics projector → metrics read model → gateway query with the metrics field via `_entities`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from pmo_events.postgres import PostgresEventStore
from pmo_metrics.service import definition as metrics
from pmo_metrics.settings import MetricsSettings
from pmo_portfolio.service import definition as portfolio
from pmo_portfolio.settings import PortfolioSettings

from tests.platform import bearer, running_platform, wait_for

pytestmark = pytest.mark.e2e
CREATE_PORTFOLIO = """mutation($input: CreatePortfolioInput!) {
  createPortfolio(input: $input) { id }
}"""
PROPOSE = """mutation($input: ProposeInitiativeInput!) {
  proposeInitiative(input: $input) { id title state }
}"""
READ = """query($id: ID!) {
  initiative(id: $id) { id title state flowMetrics { state transitions ageInDays } }
}"""


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    """Collect every span of this process (the three apps run in it)."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture(scope="module")
async def platform(
    spans: InMemorySpanExporter,
    portfolio_settings: PortfolioSettings,
    metrics_settings: MetricsSettings,
) -> AsyncIterator[dict[str, Any]]:
    services = {
        "portfolio": (portfolio, portfolio_settings),
        "metrics": (metrics, metrics_settings),
    }
    async with running_platform(services) as running:
        yield {"gateway": running.gateway, "portfolio_app": running.apps["portfolio"]}


async def _gateway(url: str, query: str, variables: dict[str, Any], settings: Any) -> Any:
    async with httpx.AsyncClient(base_url=url) as client:
        response = await client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers=bearer(settings, "portfolio_manager", subject="e2e-user"),
        )
    assert response.status_code == 200, response.text
    return response.json()


async def _kafka_record(bootstrap: str, topic: str, key: str) -> Any:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    try:

        async def found() -> Any:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    if record.key == key.encode():
                        return record
            return None

        return await wait_for(found, what=f"the record keyed {key} on {topic}")
    finally:
        await consumer.stop()


def _trace_ids(finished: tuple[ReadableSpan, ...], kind: SpanKind, name_part: str) -> set[int]:
    return {
        span.context.trace_id
        for span in finished
        if span.kind is kind and name_part in span.name and span.context is not None
    }


async def test_propose_through_the_gateway_reaches_the_metrics_read_model_in_one_trace(
    platform: dict[str, Any],
    spans: InMemorySpanExporter,
    portfolio_settings: PortfolioSettings,
    kafka_bootstrap: str,
) -> None:
    gateway = platform["gateway"]
    created = await _gateway(
        gateway, CREATE_PORTFOLIO, {"input": {"name": "E2E", "owner": "zoe"}}, portfolio_settings
    )
    assert "errors" not in created, created
    proposal = {
        "title": "E2E initiative",
        "owner": "zoe",
        "portfolioId": created["data"]["createPortfolio"]["id"],
    }
    proposed = await _gateway(gateway, PROPOSE, {"input": proposal}, portfolio_settings)
    assert "errors" not in proposed, proposed
    initiative_id = proposed["data"]["proposeInitiative"]["id"]

    # The event is stored, with the trace context of the request that caused it.
    engine = platform["portfolio_app"].state.runtime.engine
    [stored] = await PostgresEventStore(engine, portfolio_settings.database_schema).load(
        initiative_id
    )
    assert stored.event_type == "pmo.portfolio.InitiativeProposed.v2"
    assert stored.metadata["actor"] == "e2e-user"
    trace_id = int(stored.traceparent.split("-")[1], 16)

    # The relay published it as a CloudEvent keyed by the aggregate id.
    record = await _kafka_record(
        kafka_bootstrap, portfolio_settings.topic("portfolio"), initiative_id
    )
    headers = {name: value.decode() for name, value in record.headers}
    assert headers["ce_specversion"] == "1.0"
    assert headers["ce_id"] == str(stored.event_id)
    assert headers["ce_type"] == "pmo.portfolio.InitiativeProposed.v2"
    assert headers["ce_source"] == "/pmo/portfolio"
    assert headers["ce_subject"] == initiative_id
    assert headers["content-type"] == "application/json"
    assert int(headers["traceparent"].split("-")[1], 16) == trace_id

    # Metrics projected it; the gateway joins both subgraphs into one answer.
    async def joined() -> Any:
        body = await _gateway(gateway, READ, {"id": initiative_id}, portfolio_settings)
        initiative = body["data"]["initiative"]
        return initiative if initiative and initiative["flowMetrics"] else None

    initiative = await wait_for(joined, what="flowMetrics through the gateway")
    assert initiative["title"] == "E2E initiative"
    assert initiative["flowMetrics"]["state"] == "FUNNEL"
    assert initiative["flowMetrics"]["transitions"] == 0

    # One trace from the gateway's request to the metrics projector.
    finished = spans.get_finished_spans()
    gateway_traces = _trace_ids(finished, SpanKind.SERVER, "/graphql")
    assert trace_id in gateway_traces
    assert trace_id in _trace_ids(finished, SpanKind.PRODUCER, "publish")
    assert trace_id in _trace_ids(finished, SpanKind.CONSUMER, "process")
    in_trace = [s for s in finished if s.context is not None and s.context.trace_id == trace_id]
    servers = [s for s in in_trace if s.kind is SpanKind.SERVER]
    assert len(servers) == 2, "the gateway's request and the portfolio subgraph's, in one trace"
    roots = [s for s in in_trace if s.parent is None]
    assert len(roots) == 1, f"one root span expected, got {[s.name for s in roots]}"
