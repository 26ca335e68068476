"""Cursor encoding, page sizes, role listing, the SDL gate test and error formatting rules."""

from __future__ import annotations

import base64
from typing import Any

import pydantic
import pytest
import strawberry
from graphql import GraphQLError, parse
from pmo_events.errors import Conflict, InvalidInput
from pmo_service import Role
from pmo_service.graphql import (
    Connection,
    ServiceSchema,
    decode_cursor,
    encode_cursor,
    field_roles,
    format_error,
    is_sdl_query,
    page_size,
    requires_roles,
)


def test_cursor_round_trip() -> None:
    values = ("2026-01-02T03:04:05+00:00", "init-42", 7, None, True, 1.5)
    cursor = encode_cursor(*values)
    assert decode_cursor(cursor) == values
    assert decode_cursor(cursor, arity=6) == values
    assert "=" not in cursor  # url-safe and unpadded: fits in a query string as is
    assert "init-42" not in cursor  # opaque to clients


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        "",
        base64.urlsafe_b64encode(b"not json").decode(),
        base64.urlsafe_b64encode(b'{"a": 1}').decode(),  # not a list
        base64.urlsafe_b64encode(b'[{"a": 1}]').decode(),  # not a scalar key
        "A" * 2000,
    ],
)
def test_bad_cursor_is_bad_user_input(cursor: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        decode_cursor(cursor)
    assert caught.value.code == "BAD_USER_INPUT"
    assert "endCursor" in caught.value.message


def test_cursor_of_another_list_shape_is_refused() -> None:
    with pytest.raises(InvalidInput):
        decode_cursor(encode_cursor("a", "b"), arity=1)


def test_page_size_bounds() -> None:
    assert page_size(None) == 20
    assert page_size(1) == 1
    assert page_size(100) == 100
    for wrong in (0, -1, 101):
        with pytest.raises(InvalidInput, match="first must be between 1 and 100"):
            page_size(wrong)


def test_connection_from_rows() -> None:
    page = Connection.from_rows(
        ["a", "b", "c"], 2, cursor=lambda row: encode_cursor(row), has_previous_page=False
    )
    assert [edge.node for edge in page.edges] == ["a", "b"]
    assert page.page_info.has_next_page is True
    assert page.page_info.end_cursor == encode_cursor("b")
    last = Connection.from_rows(["c"], 2, cursor=encode_cursor, has_previous_page=True)
    assert last.page_info.has_next_page is False
    assert last.page_info.has_previous_page is True
    empty = Connection[str].from_rows([], 2, cursor=encode_cursor, has_previous_page=False)
    assert empty.page_info.start_cursor is None
    assert empty.page_info.end_cursor is None


def test_field_roles_lists_each_mutation() -> None:
    @strawberry.type
    class Query:
        ok: bool = True

    @strawberry.type
    class Mutation:
        @strawberry.mutation(extensions=[requires_roles(Role.PMO, "portfolio_manager")])
        def propose_thing(self) -> bool:
            return True

        @strawberry.mutation
        def forgotten(self) -> bool:
            return True

    roles = field_roles(ServiceSchema(query=Query, mutation=Mutation))
    assert roles == {
        "proposeThing": frozenset({Role.PMO, Role.PORTFOLIO_MANAGER}),
        "forgotten": None,
    }


def test_requires_roles_refuses_unknown_role_names() -> None:
    with pytest.raises(ValueError, match="wizard"):
        requires_roles("wizard")


@pytest.mark.parametrize(
    ("query", "public"),
    [
        ("{ _service { sdl } }", True),
        ("{ __typename }", False),
        ("query Sdl { __typename _service { sdl } }", True),
        ("{ _service { sdl } secret }", False),
        ("{ ...F } fragment F on Query { _service { sdl } }", False),
        ("mutation { _service { sdl } }", False),
        ("query A { _service { sdl } } query B { secret }", False),  # ambiguous: no name
    ],
)
def test_is_sdl_query(query: str, public: bool) -> None:
    assert is_sdl_query(parse(query), None) is public


def test_is_sdl_query_follows_the_operation_name() -> None:
    document = parse("query A { _service { sdl } } query B { secret }")
    assert is_sdl_query(document, "A") is True
    assert is_sdl_query(document, "B") is False


class _Input(pydantic.BaseModel):
    stage_name: str = pydantic.Field(min_length=1)


def _located(cause: Exception) -> GraphQLError:
    return GraphQLError(str(cause), path=["doThing"], original_error=cause)


def _extensions(error: GraphQLError) -> dict[str, Any]:
    assert error.extensions is not None
    return dict(error.extensions)


def test_format_error_rules() -> None:
    conflict = format_error(_located(Conflict("initiative was changed meanwhile; reload")))
    assert _extensions(conflict) == {"code": "CONFLICT"}
    assert conflict.message == "initiative was changed meanwhile; reload"
    assert conflict.path == ["doThing"]
    assert conflict.original_error is None

    try:
        _Input(stage_name="")
    except pydantic.ValidationError as error:
        invalid = format_error(_located(error))
    assert _extensions(invalid)["code"] == "BAD_USER_INPUT"
    assert _extensions(invalid)["fields"][0]["field"] == "stageName"

    already = GraphQLError("custom", extensions={"code": "NOT_FOUND"})
    assert format_error(already) is already

    bug = format_error(_located(KeyError("internal_table_name")))
    assert _extensions(bug)["code"] == "INTERNAL_SERVER_ERROR"
    assert "internal_table_name" not in bug.message

    null_bug = format_error(GraphQLError("Cannot return null for X.y", path=["x", "y"]))
    assert _extensions(null_bug)["code"] == "INTERNAL_SERVER_ERROR"
