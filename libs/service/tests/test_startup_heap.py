"""The start-up heap is collected, then frozen out of the collector's reach, before serving."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
from pmo_service.app import freeze_startup_heap


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector can free it


@pytest.fixture
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()  # the test process goes on collecting as usual


def test_start_up_garbage_is_collected_and_the_rest_frozen(unfrozen: None) -> None:
    garbage = weakref.ref(_Node())
    kept = _Node()
    assert garbage() is not None  # a cycle survives until a collection
    frozen_before = gc.get_freeze_count()

    freeze_startup_heap()

    assert garbage() is None
    assert gc.get_freeze_count() > frozen_before
    # What survived is out of every generation a collection would traverse.
    assert all(obj is not kept for generation in range(3) for obj in gc.get_objects(generation))
