"""The federation schema every service builds: Federation 2.9, the gate and the error shaping."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import strawberry.federation
from graphql import GraphQLError
from strawberry.federation.schema_directives import Link

from pmo_service.graphql.document_cache import DEFAULT_MAXSIZE, CachedDocuments, DocumentCache
from pmo_service.graphql.errors import ErrorFormatter
from pmo_service.graphql.gate import AuthenticationGate

if TYPE_CHECKING:
    from strawberry.extensions import SchemaExtension
    from strawberry.types import ExecutionContext

# The newest version @theguild/federation-composition composes (2.10+ is refused there).
FEDERATION_VERSION = "2.9"


class ServiceSchema(strawberry.federation.Schema):
    """``strawberry.federation.Schema`` with the platform's defaults::

        schema = ServiceSchema(query=Query, mutation=Mutation, types=[Initiative])

    The authentication gate runs first and the error formatter last, whatever other extensions
    are passed. Right after the gate, parsed and validated documents are served from
    ``document_cache`` (``document_cache_size`` distinct operation texts; see
    ``pmo_service.graphql.document_cache``). ``create_app`` only serves schemas of this class.
    """

    def __init__(
        self,
        query: type | None = None,
        mutation: type | None = None,
        *,
        types: Iterable[type] = (),
        extensions: Iterable[type[SchemaExtension] | Callable[[], SchemaExtension]] = (),
        document_cache_size: int = DEFAULT_MAXSIZE,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("federation_version", FEDERATION_VERSION)
        self.document_cache = DocumentCache(document_cache_size)
        super().__init__(
            query=query,
            mutation=mutation,
            types=types,
            extensions=[
                AuthenticationGate,
                functools.partial(CachedDocuments, cache=self.document_cache),
                *extensions,
                ErrorFormatter,
            ],
            **kwargs,
        )

    def _add_link_directives(self, additional_directives: Iterable[object] | None = None) -> None:
        # Strawberry links the federation spec only when a federation directive is used; without
        # the @link, composers treat the subgraph as Federation 1. Always declare it.
        super()._add_link_directives(additional_directives)
        major, minor = self.federation_version
        url = f"https://specs.apollo.dev/federation/v{major}.{minor}"
        if not any(isinstance(d, Link) and d.url == url for d in self.schema_directives):
            self.schema_directives = [*self.schema_directives, Link(url=url, import_=[])]

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Strawberry would log every error, refused commands included, with a traceback.
        # ErrorFormatter logs the unexpected ones (with their trace id); the rest are answers.
        return None
