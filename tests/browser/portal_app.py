"""The API app with the portal mounted, for tests run before ``service/app.py`` mounts it.

Once ``service.app.create_app`` includes the portal router this adds nothing, so the tests
then run against the real app unchanged.
"""

from __future__ import annotations

from fastapi import FastAPI

from service.app import create_app as create_service_app
from service.portal.router import router as portal_router


def has_portal(app: FastAPI) -> bool:
    """True when ``app`` serves the portal already (routes listed flat or as a router)."""
    return any(getattr(route, "original_router", None) is portal_router
               or str(getattr(route, "path", "")).startswith("/portal")
               for route in app.routes)


def create_app() -> FastAPI:
    """``service.app.create_app()`` with the portal's router, unless it has it already."""
    app = create_service_app()
    if not has_portal(app):
        app.include_router(portal_router)
    return app
