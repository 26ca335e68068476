"""Kafka reachability, for readiness checks."""

from __future__ import annotations

import asyncio

from aiokafka.client import AIOKafkaClient


class KafkaUnavailable(Exception):
    """No broker of the bootstrap list answered a metadata request."""


async def kafka_ping(bootstrap: str, *, limit_seconds: float = 3.0) -> None:
    """Raise ``KafkaUnavailable`` unless a broker answers a metadata request in time."""
    client = AIOKafkaClient(
        bootstrap_servers=bootstrap,
        request_timeout_ms=int(limit_seconds * 1000),
        client_id="pmo-readiness",
    )
    try:
        async with asyncio.timeout(limit_seconds):
            await client.bootstrap()
    except TimeoutError:
        raise KafkaUnavailable(
            f"no answer from Kafka at {bootstrap} within {limit_seconds:g}s; check the broker"
        ) from None
    except Exception as error:
        raise KafkaUnavailable(
            f"cannot reach Kafka at {bootstrap} ({error}); check that the broker is running "
            "and the bootstrap address is right"
        ) from error
    finally:
        await client.close()
