"""The per-request GraphQL context: who is calling, the service's runtime, per-request loaders."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from fastapi import Request
from pmo_events.errors import Unauthenticated
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext
from strawberry.types import Info

from pmo_service.auth import JwtVerifier, bearer_token
from pmo_service.principal import Principal

if TYPE_CHECKING:
    from pmo_service.app import Runtime


class RequestContext(BaseContext):
    """``info.context`` of every resolver.

    ``principal`` is None only when the request carried no valid token; then ``auth_error`` says
    why, and the authentication gate has already refused every operation except the federation
    SDL query, so resolvers normally read ``context.user``.
    """

    def __init__(
        self,
        *,
        runtime: Runtime[Any] | None,
        principal: Principal | None,
        auth_error: Unauthenticated | None = None,
        introspection: bool = True,
    ) -> None:
        super().__init__()
        self.runtime = runtime
        self.principal = principal
        self.auth_error = auth_error
        self.introspection = introspection
        self._loaders: dict[str, DataLoader[Any, Any]] = {}

    @property
    def user(self) -> Principal:
        """The authenticated caller; raises ``Unauthenticated`` if there is none."""
        if self.principal is None:
            raise self.auth_error or Unauthenticated("this operation needs a bearer token")
        return self.principal

    def loader(
        self, name: str, load: Callable[[list[Any]], Awaitable[Sequence[Any]]]
    ) -> DataLoader[Any, Any]:
        """A DataLoader shared by every resolver of this request (batches ``_entities`` look-ups).

        ``load`` receives the keys and returns one value (or None) per key, in the same order.
        """
        existing = self._loaders.get(name)
        if existing is None:
            existing = self._loaders[name] = DataLoader(load_fn=load)
        return existing


def context_of(info: Info[Any, Any]) -> RequestContext:
    context = info.context
    if not isinstance(context, RequestContext):
        raise TypeError("info.context is not a RequestContext: serve the schema with create_app")
    return context


def principal_of(info: Info[Any, Any]) -> Principal:
    """The authenticated caller of the operation a resolver belongs to."""
    return context_of(info).user


def context_getter(
    verifier: JwtVerifier, runtime: Runtime[Any] | None, *, introspection: bool
) -> Callable[[Request], Awaitable[RequestContext]]:
    """A FastAPI dependency building ``RequestContext`` from the ``Authorization`` header.

    A missing or bad token does not fail the HTTP request here: the gate extension turns it into
    a GraphQL error with ``extensions.code = UNAUTHENTICATED`` before anything executes.
    """

    async def get_context(request: Request) -> RequestContext:
        principal: Principal | None = None
        error: Unauthenticated | None = None
        try:
            principal = await verifier.verify(bearer_token(request.headers.get("authorization")))
        except Unauthenticated as refused:
            error = refused
        return RequestContext(
            runtime=runtime, principal=principal, auth_error=error, introspection=introspection
        )

    return get_context
