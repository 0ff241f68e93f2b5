"""The FastAPI application: routers, problem handlers, middleware, lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request, Response

from service import db, problems
from service.auth.router import router as auth_router
from service.boms.router import router as boms_router
from service.certificates.router import router as certificates_router
from service.compliance.router import router as compliance_router
from service.config import Settings, get_settings
from service.footprints.router import router as footprints_router
from service.jobs.dispatch import reaper_loop
from service.jobs.router import router as jobs_router
from service.links.router import router as links_router
from service.logging import configure as configure_logging
from service.logging import request_id_var
from service.measures.router import router as measures_router
from service.metrics import HTTP_LATENCY, HTTP_REQUESTS
from service.ops import router as ops_router
from service.pact.router import router as pact_router
from service.portal.router import router as portal_router
from service.primary.router import router as primary_router
from service.requests.router import router as requests_router
from service.snapshots.router import router as snapshots_router
from service.workers import make_celery

logger = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for ``settings`` (the environment's when None)."""
    settings = settings or get_settings()
    configure_logging()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.database_url is None:
            raise RuntimeError("DATABASE_URL is unset: start through `tanji run`, which starts "
                               "an embedded PostgreSQL, or point DATABASE_URL at a server")
        app.state.pool = await db.create_pool(settings.database_url)
        async with app.state.pool.acquire() as conn:
            await db.migrate(conn)
        reaper = asyncio.create_task(reaper_loop(app.state.pool, app.state.celery, settings))
        try:
            yield
        finally:
            reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reaper
            await app.state.pool.close()

    app = FastAPI(
        title="Tanji",
        summary="Product carbon footprints and co-pollutant inventories from bills of materials",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.celery = make_celery(settings)
    problems.install(app)

    @app.middleware("http")
    async def request_context(request: Request, call_next) -> Response:
        rid = request.headers.get("x-request-id", "")[:100] or uuid.uuid4().hex
        request.state.request_id = rid
        token = request_id_var.set(rid)
        started = time.perf_counter()
        try:
            length = int(request.headers.get("content-length") or 0)
        except ValueError:
            length = 0
        try:
            if length > settings.max_upload_bytes + 64 * 1024:
                response = problems.problem(413, "payload-too-large",
                                            f"requests are limited to {settings.max_upload_bytes}"
                                            " bytes")
            else:
                response = await call_next(request)
        finally:
            request_id_var.reset(token)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        HTTP_REQUESTS.labels(request.method, path, str(response.status_code)).inc()
        HTTP_LATENCY.labels(request.method, path).observe(time.perf_counter() - started)
        response.headers["X-Request-ID"] = rid
        logger.info("request", extra={"request_id": rid, "method": request.method,
                                      "route": path, "status": response.status_code,
                                      "tenant_id": getattr(request.state, "tenant_id", None)})
        return response

    app.include_router(ops_router)
    app.include_router(auth_router)
    app.include_router(boms_router)
    app.include_router(footprints_router)
    app.include_router(links_router)
    app.include_router(jobs_router)
    app.include_router(snapshots_router)
    app.include_router(certificates_router)
    app.include_router(primary_router)
    app.include_router(compliance_router)
    app.include_router(pact_router)
    app.include_router(requests_router)
    app.include_router(measures_router)
    app.include_router(portal_router)
    return app
