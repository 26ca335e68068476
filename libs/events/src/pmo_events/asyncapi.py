"""An AsyncAPI 3.0 document for the domain topics, built from the event registries.

Every topic `pmo.<context>.events` is a channel; every registered event type is a message on it,
with the CloudEvents binary-mode headers, the record key and the payload's JSON Schema. The
document is generated, never hand-edited, so it cannot drift from the code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pmo_events import envelope
from pmo_events.registry import EventRegistry
from pmo_events.schemas import schema_of

__all__ = ["Publisher", "document"]

_HEADER_DESCRIPTIONS = {
    envelope.H_SPECVERSION: "CloudEvents spec version, always 1.0.",
    envelope.H_ID: "The event id (UUID); consumers deduplicate on it.",
    envelope.H_SOURCE: "/pmo/<context>: the publishing bounded context.",
    envelope.H_TYPE: "pmo.<context>.<EventName>.v<N>: the message type and its version.",
    envelope.H_TIME: "When the event was recorded (RFC 3339, UTC).",
    envelope.H_SUBJECT: "The aggregate (stream) id; also the record key.",
    envelope.H_CONTENT_TYPE: "Always application/json.",
    envelope.H_TRACEPARENT: "W3C trace context of the command that produced the event.",
    envelope.H_TRACESTATE: "W3C trace state, when the trace carries one.",
    envelope.H_CORRELATION: "Id of the first command or event of the causal chain.",
    envelope.H_CAUSATION: "Id of the command or event that caused this one.",
    envelope.H_STREAM_VERSION: "The event's version in its stream (1, 2, ...).",
    envelope.H_POSITION: "The event's position in the publishing service's log.",
}
_REQUIRED_HEADERS = sorted(
    {
        envelope.H_SPECVERSION,
        envelope.H_ID,
        envelope.H_SOURCE,
        envelope.H_TYPE,
        envelope.H_TIME,
        envelope.H_SUBJECT,
        envelope.H_CONTENT_TYPE,
    }
)


@dataclass(frozen=True)
class Publisher:
    """A bounded context that publishes its registry's events to its topic."""

    context: str
    topic: str
    registry: EventRegistry
    description: str


def _headers_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": _REQUIRED_HEADERS,
        "properties": {
            name: {"type": "string", "description": text}
            for name, text in sorted(_HEADER_DESCRIPTIONS.items())
        },
    }


def _channel_id(context: str) -> str:
    return f"{context}Events"


def document(publishers: Sequence[Publisher], *, version: str, bootstrap: str) -> dict[str, Any]:
    """The AsyncAPI 3.0 document (a plain dict, ready for YAML or JSON)."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for publisher in publishers:
        channel = _channel_id(publisher.context)
        refs: dict[str, Any] = {}
        for type_name, model in publisher.registry:
            payload = schema_of(type_name, model)
            payload.pop("$schema", None)
            messages[type_name] = {
                "name": type_name,
                "title": model.__name__,
                "summary": payload.get("description", model.__name__),
                "contentType": envelope.CONTENT_TYPE,
                "headers": {"$ref": "#/components/schemas/CloudEventsHeaders"},
                "payload": payload,
                "bindings": {
                    "kafka": {
                        "key": {"type": "string", "description": "The aggregate (stream) id."},
                        "bindingVersion": "0.5.0",
                    }
                },
            }
            refs[type_name] = {"$ref": f"#/components/messages/{type_name}"}
        channels[channel] = {
            "address": publisher.topic,
            "description": publisher.description,
            "messages": refs,
            "bindings": {"kafka": {"topic": publisher.topic, "bindingVersion": "0.5.0"}},
        }
        operations[f"publish{publisher.context.capitalize()}Events"] = {
            "action": "send",
            "summary": f"The {publisher.context} service publishes its domain events.",
            "channel": {"$ref": f"#/channels/{channel}"},
            "messages": [
                {"$ref": f"#/channels/{channel}/messages/{type_name}"} for type_name in refs
            ],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Agile PMO platform domain events",
            "version": version,
            "description": (
                "Domain events of the PMO bounded contexts, published at least once in commit "
                "order per aggregate (record key = aggregate id) as CloudEvents 1.0 in Kafka "
                "binary mode. Topics keep events forever (retention.ms=-1). Deduplicate on "
                "ce_id. Messages a consumer cannot process go to <topic>.dlq."
            ),
        },
        "defaultContentType": envelope.CONTENT_TYPE,
        "servers": {
            "local": {
                "host": bootstrap,
                "protocol": "kafka",
                "description": "The broker of deploy/local (make up).",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": messages,
            "schemas": {"CloudEventsHeaders": _headers_schema()},
        },
    }
