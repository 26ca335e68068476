"""W3C trace context carried in event metadata and Kafka headers.

The W3C propagator is used explicitly (not the global one) because ``traceparent`` is part of
our stored-event and message contract, whatever propagators a service configures for HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

__all__ = ["TRACER_NAME", "context_from", "current_trace_headers", "trace_headers_of", "tracer"]

TRACER_NAME = "pmo_events"
_propagator = TraceContextTextMapPropagator()


def tracer() -> trace.Tracer:
    # Looked up per use so a TracerProvider installed after import is honoured.
    return trace.get_tracer(TRACER_NAME)


def current_trace_headers() -> dict[str, str]:
    """``traceparent`` (and ``tracestate``) of the current span; empty when there is none."""
    return trace_headers_of(None)


def trace_headers_of(context: Context | None) -> dict[str, str]:
    carrier: dict[str, str] = {}
    _propagator.inject(carrier, context=context)
    return carrier


def context_from(traceparent: str | None, tracestate: str | None = None) -> Context | None:
    """The remote span context described by the headers, or None when absent or invalid."""
    if not traceparent:
        return None
    carrier: Mapping[str, str] = (
        {"traceparent": traceparent, "tracestate": tracestate}
        if tracestate
        else {"traceparent": traceparent}
    )
    context = _propagator.extract(carrier)
    if not trace.get_current_span(context).get_span_context().is_valid:
        return None
    return context
