"""Structured logs: JSON lines in production, a readable console format in development.

structlog and the standard library (uvicorn, SQLAlchemy, aiokafka, pmo_events) share one pipeline,
so every line carries the timestamp, level, logger, service name and, inside a trace, the
``trace_id`` and ``span_id`` of the current span; a log line can be found from a trace and back.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import orjson
import structlog
from opentelemetry import trace
from structlog.types import EventDict, Processor, WrappedLogger

from pmo_service.settings import BaseAppSettings

# Libraries that speak at INFO about every connection; their warnings still come through.
_QUIET_LOGGERS = ("aiokafka", "kafka", "httpx", "httpcore")


def _add_trace_ids(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event["trace_id"] = format(context.trace_id, "032x")
        event["span_id"] = format(context.span_id, "016x")
    return event


def _add_service(name: str) -> Processor:
    def processor(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
        event.setdefault("service", name)
        return event

    return processor


def _drop_color_message(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    # uvicorn passes an ANSI-coloured copy of its message as an extra; the renderer colours anyway.
    event.pop("color_message", None)
    return event


def _json_dumps(value: Any, **_: Any) -> str:
    return orjson.dumps(value, default=str).decode()


def setup_logging(service_name: str, settings: BaseAppSettings) -> None:
    """Route structlog and standard logging through one renderer. Safe to call again."""
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_service(service_name),
        _add_trace_ids,
        structlog.stdlib.ExtraAdder(),
        _drop_color_message,
    ]
    renderer: Processor
    if settings.log_json:
        renderer = structlog.processors.JSONRenderer(serializer=_json_dumps)
        exception_processors: list[Processor] = [structlog.processors.dict_tracebacks]
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
        exception_processors = []

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *exception_processors,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    handler.set_name("pmo")
    root = logging.getLogger()
    for existing in list(root.handlers):
        if existing.get_name() == "pmo":
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    quiet = max(logging.WARNING, logging.getLevelName(settings.log_level))
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(quiet)
    # uvicorn installs its own handlers unless told otherwise; let its records reach ours.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
