"""Operations endpoints: liveness, readiness, metrics."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from service.auth.schemas import Principal
from service.deps import require_roles

router = APIRouter(tags=["operations"])


@router.get("/healthz", operation_id="ops-healthz")
async def healthz() -> dict[str, str]:
    """The process is alive (no dependencies checked)."""
    return {"status": "ok"}


def _broker_ping(request: Request) -> None:
    with request.app.state.celery.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, timeout=2)


@router.get("/readyz", operation_id="ops-readyz",
            responses={503: {"description": "database or broker unreachable"}})
async def readyz(request: Request) -> JSONResponse:
    """Database and broker reachable."""
    checks: dict[str, str] = {}
    try:
        async with asyncio.timeout(3):
            async with request.app.state.pool.acquire() as conn:
                await conn.fetchval("select 1")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unreachable: {type(exc).__name__}"
    try:
        await asyncio.wait_for(asyncio.to_thread(_broker_ping, request), timeout=5)
        checks["broker"] = "ok"
    except Exception as exc:
        checks["broker"] = f"unreachable: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ready" if ready else "not-ready", "checks": checks},
                        status_code=200 if ready else 503)


@router.get("/metrics", operation_id="ops-metrics", response_class=Response)
async def metrics(_: Annotated[Principal, Depends(require_roles("admin"))]) -> Response:
    """Prometheus text format (admin clients only)."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
