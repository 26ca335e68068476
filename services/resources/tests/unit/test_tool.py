"""The Tool aggregate: seats, licences, the assigned <= seats invariant, cost and utilisation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pmo_events.errors import Conflict, InvalidInput, NotFound
from pmo_resources.domain.events import (
    LicenceAssigned,
    LicenceRevoked,
    ToolRegistered,
    ToolSeatsChanged,
)
from pmo_resources.domain.tool import Tool

D = Decimal
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)


def registered(seats: int = 3, **overrides: Any) -> Tool:
    arguments: dict[str, Any] = {
        "name": "Figma",
        "vendor": "Figma, Inc.",
        "seats": seats,
        "cost_per_seat": D("15.00"),
        "currency": "EUR",
        "actor": "tom",
        "now": NOW,
    } | overrides
    return Tool.from_events("tl-1", Tool.register("tl-1", **arguments).pending)


def with_licences(*people: str, seats: int = 3) -> Tool:
    tool = registered(seats)
    for person_id in people:
        tool.assign(person_id, actor="tom", now=NOW)
    return tool


def refused(tool: Tool, error: type[Exception], message: str, call: Any) -> None:
    before = (tool.version, list(tool.pending))
    with pytest.raises(error) as raised:
        call()
    assert str(raised.value) == message
    assert (tool.version, tool.pending) == before


def test_registering_records_tool_registered() -> None:
    tool = Tool.register(
        "tl-1",
        name=" Figma ",
        vendor="Figma, Inc.",
        seats=25,
        cost_per_seat=D("15.00"),
        currency="EUR",
        actor="tom",
        now=NOW,
    )
    assert tool.pending == [
        ToolRegistered(
            tool_id="tl-1",
            name="Figma",
            vendor="Figma, Inc.",
            seats=25,
            cost_per_seat=D("15.00"),
            currency="EUR",
            registered_by="tom",
            registered_at=NOW,
        )
    ]
    assert (tool.assigned, tool.free_seats, tool.monthly_cost, tool.utilisation_percent) == (
        0,
        25,
        D(375),
        D(0),
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"seats": -1}, "seats must be between 0 and 1000000; got -1"),
        ({"cost_per_seat": D(-5)}, "cost_per_seat must be at least 0; got -5"),
        ({"vendor": ""}, "vendor must not be empty"),
        (
            {"currency": "EURO"},
            "currency must be an ISO 4217 code of three capital letters (e.g. EUR); got 'EURO'",
        ),
    ],
)
def test_bad_tools_are_refused(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        registered(**overrides)
    assert str(raised.value) == message


def test_assigning_and_revoking_licences() -> None:
    tool = registered()
    tool.assign("alice", actor="tom", now=LATER)
    tool.assign("alice", actor="tom", now=LATER)  # already holds one: nothing recorded
    tool.revoke("alice", reason="left the team", actor="tom", now=LATER)
    assert tool.pending == [
        LicenceAssigned(tool_id="tl-1", person_id="alice", assigned_by="tom", assigned_at=LATER),
        LicenceRevoked(
            tool_id="tl-1",
            person_id="alice",
            reason="left the team",
            revoked_by="tom",
            revoked_at=LATER,
        ),
    ]
    assert not tool.holds_licence("alice")
    refused(
        tool,
        NotFound,
        "person 'alice' holds no licence of tool 'Figma'; list the tool's licences for the "
        "right person",
        lambda: tool.revoke("alice", actor="tom", now=LATER),
    )


def test_no_licence_beyond_the_last_seat() -> None:
    tool = with_licences("alice", "bob", "carol")
    assert (tool.free_seats, tool.utilisation_percent) == (0, D(100))
    refused(
        tool,
        Conflict,
        "tool 'Figma' has no free seat: 3 of 3 assigned; add seats or revoke a licence first",
        lambda: tool.assign("dave", actor="tom", now=LATER),
    )
    tool.assign("alice", actor="tom", now=LATER)  # alice already holds one: fine, nothing new
    assert tool.assigned == 3
    empty = registered(seats=0)
    assert empty.utilisation_percent is None
    refused(
        empty,
        Conflict,
        "tool 'Figma' has no free seat: 0 of 0 assigned; add seats or revoke a licence first",
        lambda: empty.assign("dave", actor="tom", now=LATER),
    )


def test_seats_never_go_below_the_licences_assigned() -> None:
    tool = with_licences("alice", "bob")
    refused(
        tool,
        Conflict,
        "tool 'Figma' has 2 licences assigned; it cannot go down to 1 seats: revoke 1 licences "
        "first",
        lambda: tool.change_seats(1, actor="tom", now=LATER),
    )
    before = len(tool.pending)
    tool.change_seats(2, actor="tom", now=LATER)
    tool.change_seats(2, actor="tom", now=LATER)  # unchanged: nothing recorded
    assert tool.pending[before:] == [
        ToolSeatsChanged(tool_id="tl-1", seats=2, changed_by="tom", changed_at=LATER)
    ]
    assert (tool.seats, tool.free_seats, tool.monthly_cost, tool.idle_cost) == (
        2,
        0,
        D(30),
        D(0),
    )


def test_cost_and_utilisation() -> None:
    tool = with_licences("alice", seats=3)
    assert (tool.monthly_cost, tool.idle_cost, tool.utilisation_percent) == (
        D(45),
        D(30),
        D("33.33"),
    )
    assert tool.holds_licence("alice")
