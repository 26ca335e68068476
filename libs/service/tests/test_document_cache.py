"""Parsed and validated documents are reused, without weakening the gate or error reporting."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import httpx
import pytest
import strawberry
from fastapi import FastAPI
from graphql import ASTValidationRule, ValidationContext, parse, specified_rules
from pmo_service.graphql import ServiceSchema
from pmo_service.graphql.document_cache import DocumentCache


@strawberry.type
class _Query:
    @strawberry.field
    def hello(self) -> str:
        return "hi"


class CountingRule(ASTValidationRule):
    """Counts how often validation actually runs."""

    runs: ClassVar[int] = 0

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        CountingRule.runs += 1


RULES = (*specified_rules, CountingRule)


@pytest.fixture
def schema() -> ServiceSchema:
    CountingRule.runs = 0
    return ServiceSchema(query=_Query)


def test_a_document_that_passed_is_not_validated_again(schema: ServiceSchema) -> None:
    cache = DocumentCache()
    document = cache.document("{ hello }", None)
    assert cache.document("{ hello }", None) is document

    assert cache.validate(schema._schema, "{ hello }", None, document, RULES) == []
    assert cache.validate(schema._schema, "{ hello }", None, document, RULES) == []
    assert CountingRule.runs == 1
    # Another rule set (introspection disabled, say) is validated on its own.
    assert cache.validate(schema._schema, "{ hello }", None, document, RULES[1:]) == []
    assert CountingRule.runs == 2
    assert cache.validate(schema._schema, "{ hello }", None, document, RULES[1:]) == []
    assert CountingRule.runs == 2


def test_failing_documents_are_validated_every_time(schema: ServiceSchema) -> None:
    cache = DocumentCache()
    document = cache.document("{ nosuchfield }", None)
    first = cache.validate(schema._schema, "{ nosuchfield }", None, document, RULES)
    second = cache.validate(schema._schema, "{ nosuchfield }", None, document, RULES)
    assert [error.message for error in first] == [error.message for error in second]
    assert "nosuchfield" in first[0].message
    assert first[0] is not second[0]  # each response gets its own error objects
    assert CountingRule.runs == 2


def test_only_the_cached_parse_of_the_text_is_trusted(schema: ServiceSchema) -> None:
    cache = DocumentCache()
    cached = cache.document("{ hello }", None)
    cache.validate(schema._schema, "{ hello }", None, cached, RULES)
    # Another document presented under the same text (an extension replaced it) is validated.
    other = parse("{ nosuchfield }")
    errors = cache.validate(schema._schema, "{ hello }", None, other, RULES)
    assert len(errors) == 1
    assert "nosuchfield" in errors[0].message
    assert CountingRule.runs == 2


def test_syntax_errors_are_not_cached() -> None:
    cache = DocumentCache()
    with pytest.raises(Exception, match="Syntax Error"):
        cache.document("{ hello", None)
    assert len(cache) == 0


def test_least_recently_used_texts_are_evicted() -> None:
    cache = DocumentCache(maxsize=2)
    first = cache.document("{ a }", None)
    cache.document("{ b }", None)
    assert cache.document("{ a }", None) is first  # now the most recent
    cache.document("{ c }", None)  # evicts { b }
    assert len(cache) == 2
    assert cache.document("{ a }", None) is first
    with pytest.raises(ValueError, match="at least 1"):
        DocumentCache(maxsize=0)


# --- through the app ----------------------------------------------------------------------------


async def _post(client: httpx.AsyncClient, query: str, token: str | None = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post("/graphql", json={"query": query}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


@pytest.mark.integration
async def test_the_gate_still_refuses_a_cached_document(
    toy_app: FastAPI, token_for: Callable[..., str], running: Any
) -> None:
    cache: DocumentCache = toy_app.state.schema.document_cache
    token = token_for("viewer", subject="bob")
    async with running(toy_app) as client:
        first = await _post(client, "{ whoami }", token)
        second = await _post(client, "{ whoami }", token)
        assert len(cache) == 1
        anonymous = await _post(client, "{ whoami }")
        forged = await _post(client, "{ whoami }", token[:-4] + "AAAA")
        # Anonymous callers neither read nor fill the cache.
        probing = await _post(client, "{ nosuchfield }")
        assert len(cache) == 1
    assert first == second == {"data": {"whoami": "bob"}}
    assert _codes(anonymous) == ["UNAUTHENTICATED"]
    assert anonymous["data"] is None
    assert _codes(forged) == ["UNAUTHENTICATED"]
    assert _codes(probing) == ["UNAUTHENTICATED"]


@pytest.mark.integration
async def test_request_errors_are_reported_on_every_request(
    toy_app: FastAPI, token_for: Callable[..., str], running: Any
) -> None:
    token = token_for("viewer")
    async with running(toy_app) as client:
        invalid = [await _post(client, "{ nosuchfield }", token) for _ in range(2)]
        syntax = [await _post(client, "{ whoami", token) for _ in range(2)]
    for body in invalid:
        assert _codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
        assert "nosuchfield" in body["errors"][0]["message"]
    for body in syntax:
        assert _codes(body) == ["GRAPHQL_PARSE_FAILED"]
