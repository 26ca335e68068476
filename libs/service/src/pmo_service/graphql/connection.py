"""Relay-style cursor connections.

The types are ``@shareable``: every subgraph defines the same ``PageInfo`` (and may define the same
``XConnection``), which Federation 2 composes only for shareable value types.

A cursor is opaque to clients: base64url of a JSON array of the sort key values of a row (for
example ``[created_at_iso, id]``), so pages stay stable while rows are inserted. A list resolver
fetches ``first + 1`` rows after the decoded cursor and lets ``Connection.from_rows`` decide
whether there is a next page::

    size = page_size(first)
    after_key = decode_cursor(after, arity=2) if after else None
    rows = await read_model.page(after_key, limit=size + 1)
    return Connection.from_rows(
        rows, size, cursor=lambda row: encode_cursor(row.created_at.isoformat(), row.id),
        has_previous_page=after is not None,
    )
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import orjson
import strawberry
import strawberry.federation
from pmo_events.errors import InvalidInput

NodeT = TypeVar("NodeT")
CursorValue = str | int | float | bool | None

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
_MAX_CURSOR_LENGTH = 1024


def encode_cursor(*values: CursorValue) -> str:
    """An opaque cursor for the sort key ``values`` of a row."""
    return base64.urlsafe_b64encode(orjson.dumps(list(values))).decode().rstrip("=")


def decode_cursor(cursor: str, *, arity: int | None = None) -> tuple[CursorValue, ...]:
    """The sort key values of ``cursor``; ``InvalidInput`` (BAD_USER_INPUT) if it is not ours."""
    refused = InvalidInput(
        f"cursor {cursor[:40]!r} is not valid: pass the cursor (endCursor) of a previous page "
        "of the same list"
    )
    if len(cursor) > _MAX_CURSOR_LENGTH:
        raise refused
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = orjson.loads(raw)
    except (binascii.Error, ValueError):
        raise refused from None
    if not isinstance(values, list) or (arity is not None and len(values) != arity):
        raise refused
    if not all(value is None or isinstance(value, str | int | float | bool) for value in values):
        raise refused
    return tuple(values)


def page_size(
    first: int | None, *, default: int = DEFAULT_PAGE_SIZE, maximum: int = MAX_PAGE_SIZE
) -> int:
    """The number of rows to return for ``first``; out of 1..maximum is BAD_USER_INPUT."""
    if first is None:
        return default
    if not 1 <= first <= maximum:
        raise InvalidInput(f"first must be between 1 and {maximum} (got {first})")
    return first


@strawberry.federation.type(shareable=True, description="Where a page lies in its list.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.federation.type(
    shareable=True, description="One item of a page, with the cursor that points at it."
)
class Edge(Generic[NodeT]):
    node: NodeT
    cursor: str


@strawberry.federation.type(
    shareable=True,
    description="A page of a list; pass pageInfo.endCursor as `after` for the next.",
)
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo

    @classmethod
    def from_rows(
        cls,
        rows: Sequence[NodeT],
        first: int,
        *,
        cursor: Callable[[NodeT], str],
        has_previous_page: bool,
    ) -> Connection[NodeT]:
        """A page from ``rows`` fetched with ``limit first + 1`` (the extra row means: more)."""
        shown = rows[:first]
        edges = [Edge(node=row, cursor=cursor(row)) for row in shown]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(rows) > first,
                has_previous_page=has_previous_page,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )
