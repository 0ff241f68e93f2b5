"""POST /auth/token: OAuth 2.0 client credentials (RFC 6749 section 4.4).

Client authentication by HTTP Basic (or, as RFC 6749 2.3.1 allows, by
client_id / client_secret in the form body). Errors follow section 5.2.
The PACT API uses the same flow, so this one endpoint serves both.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated
from urllib.parse import unquote

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse

from service.auth import store
from service.auth.schemas import TokenResponse
from service.deps import Conn, SettingsDep

router = APIRouter(tags=["auth"])


def oauth_error(status: int, error: str, description: str) -> JSONResponse:
    """An RFC 6749 section 5.2 error response."""
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="tanji"'
    return JSONResponse({"error": error, "error_description": description},
                        status_code=status, headers=headers)


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        return None
    # RFC 6749 2.3.1: both parts are form-urlencoded before Basic encoding.
    return unquote(client_id), unquote(secret)


@router.post(
    "/auth/token",
    response_model=TokenResponse,
    operation_id="auth-token",
    responses={400: {"description": "RFC 6749 5.2 error"}, 401: {"description": "invalid_client"}},
)
async def token(
    request: Request,
    conn: Conn,
    settings: SettingsDep,
    grant_type: Annotated[str | None, Form()] = None,
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
) -> JSONResponse:
    """Exchange client credentials for a bearer access token."""
    credentials = _basic_credentials(request)
    if credentials is None and client_id and client_secret:
        credentials = (client_id, client_secret)
    if credentials is None:
        return oauth_error(401, "invalid_client", "client authentication failed")
    if grant_type is None:
        return oauth_error(400, "invalid_request", "grant_type is required")
    if grant_type != "client_credentials":
        return oauth_error(400, "unsupported_grant_type", "only client_credentials is supported")
    client = await store.authenticate_client(conn, *credentials)
    if client is None:
        return oauth_error(401, "invalid_client", "client authentication failed")
    access_token = await store.issue_token(conn, client["id"], settings.token_ttl_seconds)
    body = TokenResponse(access_token=access_token, expires_in=settings.token_ttl_seconds)
    return JSONResponse(body.model_dump(),
                        headers={"Cache-Control": "no-store", "Pragma": "no-cache"})
