"""The behaviour every EventStore back end must show.

A back end's test class inherits ``EventStoreContract`` and provides a ``store`` fixture returning
a store over an empty log. (The name does not start with ``Test`` so pytest does not collect it.)
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import pytest
from opentelemetry.sdk.trace import TracerProvider
from pmo_events import ConcurrencyError, EventStore, NewEvent, StoredEvent
from pmo_events.errors import Conflict

from libs.events.tests.events import ItemAdded, ItemRemoved

Unique = Callable[[str], str]


class EventStoreContract:
    async def test_append_then_load_round_trips_the_events(
        self, store: EventStore, unique: Unique
    ) -> None:
        stream = unique("list")
        stored = await store.append(stream, "List", 0, [ItemAdded(item="tea", quantity=2)])
        loaded = await store.load(stream)
        assert loaded == stored
        [event] = loaded
        assert (event.stream_id, event.stream_type, event.version) == (stream, "List", 1)
        assert event.event_type == "pmo.demo.ItemAdded.v1"
        assert event.data == {"item": "tea", "quantity": 2}
        assert event.recorded_at.tzinfo is not None

    async def test_versions_continue_across_appends(
        self, store: EventStore, unique: Unique
    ) -> None:
        stream = unique("list")
        await store.append(stream, "List", 0, [ItemAdded(item="a"), ItemAdded(item="b")])
        await store.append(stream, "List", 2, [ItemRemoved(item="a")])
        loaded = await store.load(stream)
        assert [e.version for e in loaded] == [1, 2, 3]
        assert [e.data["item"] for e in loaded] == ["a", "b", "a"]
        assert await store.stream_version(stream) == 3
        assert [e.version for e in await store.load(stream, after_version=1)] == [2, 3]

    async def test_unknown_stream_is_empty(self, store: EventStore, unique: Unique) -> None:
        assert await store.load(unique("nothing")) == []
        assert await store.stream_version(unique("nothing")) == 0

    async def test_stale_expected_version_is_a_concurrency_error(
        self, store: EventStore, unique: Unique
    ) -> None:
        stream = unique("list")
        await store.append(stream, "List", 0, [ItemAdded(item="a"), ItemAdded(item="b")])
        with pytest.raises(ConcurrencyError) as stale:
            await store.append(stream, "List", 1, [ItemRemoved(item="a")])
        assert (stale.value.expected, stale.value.actual) == (1, 2)
        with pytest.raises(ConcurrencyError) as ahead:
            await store.append(stream, "List", 5, [ItemRemoved(item="a")])
        assert (ahead.value.expected, ahead.value.actual) == (5, 2)
        with pytest.raises(ConcurrencyError):
            await store.append(unique("new"), "List", 1, [ItemAdded(item="x")])
        assert len(await store.load(stream)) == 2

    async def test_of_two_racing_appenders_exactly_one_wins(
        self, store: EventStore, unique: Unique
    ) -> None:
        stream = unique("list")
        await store.append(stream, "List", 0, [ItemAdded(item="a")])
        for round_ in range(5):
            version = 1 + round_
            results = await asyncio.gather(
                store.append(stream, "List", version, [ItemAdded(item=f"left{round_}")]),
                store.append(stream, "List", version, [ItemAdded(item=f"right{round_}")]),
                return_exceptions=True,
            )
            winners = [r for r in results if isinstance(r, list)]
            losers = [r for r in results if isinstance(r, ConcurrencyError)]
            assert (len(winners), len(losers)) == (1, 1), results
            assert losers[0].actual == version + 1
            assert (await store.load(stream))[-1] == winners[0][0]
        assert [e.version for e in await store.load(stream)] == [1, 2, 3, 4, 5, 6]

    async def test_read_all_returns_commit_order_in_pages(
        self, store: EventStore, unique: Unique
    ) -> None:
        start = await store.head_position()
        appended: list[StoredEvent] = []
        for index in range(7):
            stream = unique(f"list{index % 3}")
            appended += await store.append(stream, "List", 0, [ItemAdded(item=str(index))])
        pages: list[list[StoredEvent]] = []
        after = start
        while page := await store.read_all(after, limit=3):
            pages.append(page)
            after = page[-1].position
        assert [len(page) for page in pages] == [3, 3, 1]
        read = [event for page in pages for event in page]
        assert read == appended
        positions = [event.position for event in read]
        assert positions == sorted(positions)
        assert len(set(positions)) == len(positions)
        assert await store.head_position() == positions[-1]
        assert await store.read_all(positions[-1], limit=10) == []

    async def test_metadata_and_trace_context_are_kept(
        self, store: EventStore, unique: Unique
    ) -> None:
        tracer = TracerProvider().get_tracer("contract")
        with tracer.start_as_current_span("command") as span:
            caused = NewEvent(
                ItemAdded(item="a"),
                correlation_id="corr-1",
                causation_id="cause-1",
                metadata={"actor": "alice"},
            )
            plain = ItemRemoved(item="a")  # its trace context is taken at append time
            stored = await store.append(
                unique("list"), "List", 0, [caused, plain], metadata={"tenant": "acme"}
            )
        context = span.get_span_context()
        traceparent = f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}"
        [first, second] = await store.load(stored[0].stream_id)
        assert first.event_id == caused.event_id
        assert first.metadata["actor"] == "alice"
        assert first.metadata["tenant"] == "acme"
        assert (first.correlation_id, first.causation_id) == ("corr-1", "cause-1")
        # Without explicit ids an event starts its own causal chain.
        assert second.correlation_id == second.causation_id == str(second.event_id)
        for event in (first, second):
            assert event.traceparent == traceparent

    async def test_no_trace_context_outside_a_span(self, store: EventStore, unique: Unique) -> None:
        [event] = await store.append(unique("list"), "List", 0, [ItemAdded(item="a")])
        assert event.traceparent is None
        assert "traceparent" not in event.metadata

    async def test_reusing_an_event_id_is_refused(self, store: EventStore, unique: Unique) -> None:
        event = NewEvent(ItemAdded(item="a"), event_id=uuid.uuid4())
        await store.append(unique("list"), "List", 0, [event])
        with pytest.raises(Conflict) as refused:
            await store.append(unique("list"), "List", 0, [event])
        assert str(event.event_id) in str(refused.value)

    async def test_appending_nothing_changes_nothing(
        self, store: EventStore, unique: Unique
    ) -> None:
        head = await store.head_position()
        assert await store.append(unique("list"), "List", 0, []) == []
        assert await store.head_position() == head
