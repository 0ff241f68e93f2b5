"""Request dependencies: settings, a pooled connection, the authenticated caller."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated

import asyncpg
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from service.auth import store as auth_store
from service.auth.schemas import Principal
from service.config import Settings
from service.errors import Forbidden, Unauthorized


def settings(request: Request) -> Settings:
    """The app's settings (set at start-up, overridable in tests)."""
    return request.app.state.settings


async def connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    """A connection from the pool for the duration of the request."""
    async with request.app.state.pool.acquire() as conn:
        yield conn


SettingsDep = Annotated[Settings, Depends(settings)]
Conn = Annotated[asyncpg.Connection, Depends(connection)]

_bearer = HTTPBearer(auto_error=False, description="Access token from POST /auth/token")


async def current_principal(
    conn: Conn,
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller behind the bearer token; 401 when missing, unknown, expired or revoked."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("a bearer access token is required")
    principal = await auth_store.principal_for_token(conn, credentials.credentials)
    if principal is None:
        raise Unauthorized("the access token is invalid, expired or revoked")
    request.state.tenant_id = str(principal.tenant_id)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: str) -> Callable[[Principal], Principal]:
    """A dependency admitting callers holding at least one of ``roles`` (admin always passes)."""
    allowed = {*roles, "admin"}

    def check(principal: CurrentPrincipal) -> Principal:
        if not allowed.intersection(principal.roles):
            raise Forbidden(f"this action needs one of the roles {sorted(allowed)}")
        return principal

    return check


def request_id(request: Request) -> str | None:
    """The request id set by the logging middleware."""
    return getattr(request.state, "request_id", None)


RequestId = Annotated[str | None, Depends(request_id)]
