"""GraphQL helpers for the services' strawberry federation subgraphs."""

from pmo_service.graphql.connection import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    Connection,
    CursorValue,
    Edge,
    PageInfo,
    decode_cursor,
    encode_cursor,
    page_size,
)
from pmo_service.graphql.context import (
    RequestContext,
    context_getter,
    context_of,
    principal_of,
)
from pmo_service.graphql.errors import ErrorFormatter, format_error
from pmo_service.graphql.gate import AuthenticationGate, is_sdl_query
from pmo_service.graphql.permissions import RolesRequired, field_roles, requires_roles
from pmo_service.graphql.schema import FEDERATION_VERSION, ServiceSchema

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "FEDERATION_VERSION",
    "MAX_PAGE_SIZE",
    "AuthenticationGate",
    "Connection",
    "CursorValue",
    "Edge",
    "ErrorFormatter",
    "PageInfo",
    "RequestContext",
    "RolesRequired",
    "ServiceSchema",
    "context_getter",
    "context_of",
    "decode_cursor",
    "encode_cursor",
    "field_roles",
    "format_error",
    "is_sdl_query",
    "page_size",
    "principal_of",
    "requires_roles",
]
