"""Parse and validate each distinct GraphQL document once, not on every request.

Clients send the same few operation texts over and over (a mutation with variables, a page of a
query). graphql-core parses the text and runs ~30 validation rules over the tree every time:
measured on ``proposeInitiative``, that was about a quarter of the service's CPU per command. The
outcome depends only on the schema, the text, the parse options and the validation rules, so it
is kept per schema in a bounded LRU, keyed by the exact query text:

- parsing: the parsed ``DocumentNode`` is reused (graphql-core's nodes are frozen dataclasses,
  and nothing here or in strawberry mutates them). A text that does not parse is not cached:
  strawberry parses it again and reports the syntax error as usual.
- validation: only "this document passed these rules" is remembered. A document that fails is
  validated afresh on every request, so each response gets its own error objects, and the cache
  never answers for a document it did not see pass.

What is *not* cached: authentication (the gate still runs first on every request and refuses
before validation; this extension never overwrites errors set before it), variable coercion and
execution. Requests without a principal do not touch the cache at all, so anonymous callers
cannot fill or churn it; an authenticated caller sending unique texts only evicts older entries
(the size is bounded, and each text by the request size limit).
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphql import DocumentNode, GraphQLError, parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from pmo_service.graphql.context import RequestContext

if TYPE_CHECKING:
    from graphql import ASTValidationRule, GraphQLSchema

# Distinct operation texts kept per schema: far more than a service's clients send, small in
# memory (a parsed document is a few kB).
DEFAULT_MAXSIZE = 512

Rules = tuple[type["ASTValidationRule"], ...]


@dataclass(slots=True)
class _Entry:
    document: DocumentNode
    passed: set[Rules] = field(default_factory=set)


class DocumentCache:
    """A bounded LRU of parsed documents and of the rule sets each one passed."""

    def __init__(self, maxsize: int = DEFAULT_MAXSIZE) -> None:
        if maxsize < 1:
            raise ValueError("DocumentCache maxsize must be at least 1")
        self.maxsize = maxsize
        self._entries: OrderedDict[tuple[str, int | None], _Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def document(self, query: str, max_tokens: int | None) -> DocumentNode:
        """The parsed document of ``query``; raises ``GraphQLError`` (uncached) if it is invalid."""
        key = (query, max_tokens)
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
            return entry.document
        options: dict[str, Any] = {} if max_tokens is None else {"max_tokens": max_tokens}
        document = parse(query, **options)
        self._entries[key] = _Entry(document)
        if len(self._entries) > self.maxsize:
            self._entries.popitem(last=False)
        return document

    def validate(
        self,
        schema: GraphQLSchema,
        query: str,
        max_tokens: int | None,
        document: DocumentNode,
        rules: Rules,
    ) -> list[GraphQLError]:
        """Strawberry's validation of ``document``, skipped when this very document (the cached
        parse of ``query``) already passed ``rules``."""
        entry = self._entries.get((query, max_tokens))
        if entry is None or entry.document is not document:
            return validate_document(schema, document, rules)
        if rules in entry.passed:
            return []
        errors = validate_document(schema, document, rules)
        if not errors:
            entry.passed.add(rules)
        return errors


class CachedDocuments(SchemaExtension):
    """Serves parsing and validation from the schema's ``DocumentCache`` (see the module
    docstring). ``ServiceSchema`` installs it right after the authentication gate."""

    def __init__(self, *, cache: DocumentCache) -> None:
        super().__init__()
        self.cache = cache

    def _authenticated(self) -> bool:
        context = self.execution_context.context
        # In-process execution (schema.execute in tests) has no request: nothing to guard.
        return not isinstance(context, RequestContext) or context.principal is not None

    def on_parse(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.graphql_document is None and ctx.query and self._authenticated():
            # A syntax error is left to strawberry, which parses again and answers with it.
            with contextlib.suppress(GraphQLError):
                ctx.graphql_document = self.cache.document(
                    ctx.query, ctx.parse_options.get("max_tokens")
                )
        yield

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        # Errors set before this (the gate's UNAUTHENTICATED) stand; strawberry then skips
        # validation because pre_execution_errors is no longer None.
        if (
            ctx.pre_execution_errors is None
            and ctx.validation_rules
            and ctx.graphql_document is not None
            and ctx.query
            and self._authenticated()
        ):
            ctx.pre_execution_errors = self.cache.validate(
                ctx.schema._schema,
                ctx.query,
                ctx.parse_options.get("max_tokens"),
                ctx.graphql_document,
                tuple(ctx.validation_rules),
            )
        yield
