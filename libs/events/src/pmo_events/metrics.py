"""Prometheus metrics of the event store, relay and projectors (default registry, created once)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

__all__ = [
    "EVENTS_APPENDED",
    "PROJECTOR_EVENTS",
    "RELAY_LAG",
    "RELAY_PUBLISHED",
]

EVENTS_APPENDED = Counter(
    "pmo_events_appended_total",
    "Events appended to an event store",
    ["schema"],
)
RELAY_PUBLISHED = Counter(
    "pmo_relay_published_total",
    "Events the outbox relay published to Kafka (acknowledged by the broker)",
    ["schema", "topic"],
)
RELAY_LAG = Gauge(
    "pmo_relay_lag_events",
    "Events stored but not yet published: head position minus the relay's tracked position",
    ["schema", "topic"],
)
PROJECTOR_EVENTS = Counter(
    "pmo_projector_events_total",
    "Messages a projector handled, by outcome "
    "(processed, skipped, duplicate, failed = one failed attempt, dlq)",
    ["projector", "outcome"],
)
