"""Map domain errors to HTTP statuses once, render ``application/problem+json`` (RFC 9457)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from connectors.errors import ConnectorError
from service import errors

PROBLEMS: dict[type[Exception], tuple[int, str]] = {
    errors.NotFound: (404, "not-found"),
    errors.Forbidden: (403, "forbidden"),
    errors.Unauthorized: (401, "unauthorized"),
    errors.InvalidInput: (422, "invalid-input"),
    errors.PayloadTooLarge: (413, "payload-too-large"),
    errors.Conflict: (409, "conflict"),
    ConnectorError: (422, "invalid-input"),
}


def problem(status: int, slug: str, detail: str, **extra: Any) -> JSONResponse:
    """A problem+json response."""
    body = {"type": f"https://tanji.dev/problems/{slug}", "title": slug.replace("-", " "),
            "status": status, "detail": detail, **extra}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type="application/problem+json",
                        headers=headers)


def _lookup(exc: Exception) -> tuple[int, str]:
    for cls in type(exc).__mro__:
        if cls in PROBLEMS:
            return PROBLEMS[cls]
    return 500, "internal-error"


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(errors.TanjiError)
    @app.exception_handler(ConnectorError)
    async def _domain(_: Request, exc: Exception) -> JSONResponse:
        status, slug = _lookup(exc)
        extra = getattr(exc, "extra", {}) or {}
        return problem(status, slug, getattr(exc, "detail", "") or str(exc), **extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        issues = [
            {"field": ".".join(str(p) for p in e["loc"][1:]) or str(e["loc"][0]),
             "message": e["msg"]}
            for e in exc.errors()
        ]
        return problem(422, "invalid-input", "request does not match the schema", issues=issues)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        return problem(exc.status_code, slug, str(exc.detail))
