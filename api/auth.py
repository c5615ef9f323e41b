"""Bearer-token authentication and role checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from ledger.errors import Forbidden, Unauthorized
from ledger.tokens import Principal, TokenCache, token_hash


def authenticate(request: Request, *, cached_only: bool = False) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("a bearer token is required (Authorization: Bearer <token>)")
    cache: TokenCache = request.app.state.token_cache
    digest = token_hash(token.strip())
    principal = cache.cached(digest)
    if principal is None:
        if cached_only:
            raise LookupError(digest)
        principal = cache.lookup(digest)
        if principal is None:
            raise Unauthorized("unknown bearer token")
    return principal


def require(*roles: str) -> Callable[[Request], Awaitable[Principal]]:
    """Dependency: an authenticated principal holding one of ``roles`` (admin holds all).

    Async so that a cached token costs no thread hop; a cache miss reads the database in the
    thread pool."""

    async def dependency(request: Request) -> Principal:
        try:
            principal = authenticate(request, cached_only=True)
        except LookupError:
            principal = await run_in_threadpool(authenticate, request)
        if not any(principal.has(role) for role in roles):
            raise Forbidden(f"principal {principal.name!r} lacks the role "
                            f"{' or '.join(roles)}")
        return principal

    return dependency
