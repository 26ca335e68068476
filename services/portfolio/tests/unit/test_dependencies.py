"""The DependencyGraph: declarations, cycle refusal, removal and the blocked set."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

import pytest
from pmo_events.errors import Conflict, InvalidInput, NotFound
from pmo_portfolio.domain.dependencies import (
    DEPENDENCY_GRAPH_ID,
    DependencyGraph,
    blocked_initiatives,
    find_path,
)
from pmo_portfolio.domain.events import DependencyDeclared, DependencyRemoved, KanbanState

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
S = KanbanState


def graph(*edges: tuple[str, str]) -> DependencyGraph:
    built = DependencyGraph.load([])
    for initiative, needed in edges:
        built.declare(initiative, needed, note="", actor="pm", now=NOW)
    return DependencyGraph.load(built.pending)


def refused(deps: DependencyGraph, error: type[Exception], message: str, call: Any) -> None:
    before = (deps.version, list(deps.pending))
    with pytest.raises(error) as raised:
        call()
    assert str(raised.value) == message
    assert (deps.version, deps.pending) == before


def test_a_dependency_is_declared_on_the_one_graph_stream() -> None:
    deps = DependencyGraph.load([])
    deps.declare("a", "b", note=" needs the API ", actor="pm", now=NOW)
    assert deps.id == DEPENDENCY_GRAPH_ID == "dependency-graph"
    assert deps.STREAM_TYPE == "DependencyGraph"
    assert deps.pending == [
        DependencyDeclared(
            initiative_id="a",
            depends_on_id="b",
            note="needs the API",
            declared_by="pm",
            declared_at=NOW,
        )
    ]
    assert deps.dependencies_of("a") == frozenset({"b"})
    assert deps.dependents_of("b") == frozenset({"a"})
    assert deps.dependencies()[0].note == "needs the API"


def test_self_and_duplicate_dependencies_are_refused() -> None:
    deps = graph(("a", "b"))
    refused(
        deps,
        InvalidInput,
        "initiative 'a' cannot depend on itself",
        lambda: deps.declare("a", "a", note="", actor="pm", now=NOW),
    )
    refused(
        deps,
        Conflict,
        "initiative 'a' already depends on 'b'; remove the dependency first to declare it again",
        lambda: deps.declare("a", "b", note="again", actor="pm", now=NOW),
    )
    refused(
        deps,
        InvalidInput,
        "depends_on_id must not be empty",
        lambda: deps.declare("a", " ", note="", actor="pm", now=NOW),
    )


def test_a_two_way_dependency_is_a_cycle() -> None:
    deps = graph(("a", "b"))
    refused(
        deps,
        Conflict,
        "'b' depending on 'a' would create a cycle: b → a → b; remove one of those dependencies "
        "first",
        lambda: deps.declare("b", "a", note="", actor="pm", now=NOW),
    )


def test_a_cycle_through_three_initiatives_shows_its_path() -> None:
    deps = graph(("a", "b"), ("b", "c"), ("x", "c"))
    refused(
        deps,
        Conflict,
        "'c' depending on 'a' would create a cycle: c → a → b → c; remove one of those "
        "dependencies first",
        lambda: deps.declare("c", "a", note="", actor="pm", now=NOW),
    )
    deps.declare("c", "x2", note="", actor="pm", now=NOW)  # not a cycle: still fine


def test_a_long_cycle_is_found_and_shown_in_full() -> None:
    chain = [f"n{index:03d}" for index in range(200)]
    deps = graph(*pairwise(chain))
    with pytest.raises(Conflict) as refused_cycle:
        deps.declare(chain[-1], chain[0], note="", actor="pm", now=NOW)
    shown = refused_cycle.value.message.split(": ", 1)[1].split(";")[0]
    assert shown.split(" → ") == [chain[-1], *chain]


def test_the_shortest_cycle_is_reported() -> None:
    # a → b → d and a → c → e → d: declaring d → a closes both; the shorter one is shown.
    deps = graph(("a", "c"), ("c", "e"), ("e", "d"), ("a", "b"), ("b", "d"))
    with pytest.raises(Conflict, match="cycle: d → a → b → d;"):
        deps.declare("d", "a", note="", actor="pm", now=NOW)


def test_a_dependency_is_removed_and_may_be_declared_again() -> None:
    deps = graph(("a", "b"), ("a", "c"))
    deps.remove("a", "b", actor="pm", now=NOW)
    assert deps.pending == [
        DependencyRemoved(initiative_id="a", depends_on_id="b", removed_by="pm", removed_at=NOW)
    ]
    assert deps.dependencies_of("a") == frozenset({"c"})
    deps.declare("b", "a", note="now the other way round", actor="pm", now=NOW)
    refused(
        deps,
        NotFound,
        "initiative 'a' does not depend on 'b'; list its dependencies for the ones that can be "
        "removed",
        lambda: deps.remove("a", "b", actor="pm", now=NOW),
    )


def test_the_graph_folds_back_from_its_events() -> None:
    deps = DependencyGraph.load([])
    deps.declare("a", "b", note="n", actor="pm", now=NOW)
    deps.declare("b", "c", note="", actor="pm", now=NOW)
    deps.remove("a", "b", actor="pm", now=NOW)
    replayed = DependencyGraph.load(deps.pending)
    assert replayed == deps
    assert replayed.adjacency() == {"b": frozenset({"c"})}
    assert replayed.version == 3


def test_blocked_initiatives_depend_on_one_not_done() -> None:
    deps = graph(("a", "b"), ("c", "d"), ("e", "a"), ("f", "gone"), ("g", "b"), ("h", "b"))
    states = {
        "a": S.IMPLEMENTING,
        "b": S.ANALYZING,  # not DONE: a, g and h wait for it
        "c": S.READY,
        "d": S.DONE,  # c is free
        "e": S.FUNNEL,  # waits for a
        "f": S.READY,  # "gone" is unknown: counts as not DONE
        "g": S.DONE,  # closed initiatives are never blocked
        "h": S.CANCELLED,
    }
    assert deps.blocked(states) == {"a", "e", "f"}
    assert blocked_initiatives({}, states) == set()


def test_find_path_works_on_plain_edges() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": set[str]()}
    assert find_path(edges, "a", "c") == ["a", "b", "c"]
    assert find_path(edges, "c", "a") is None
    assert find_path(edges, "a", "a") == ["a"]
