"""Fixtures shared by the portal's browser tests and its HTTP tests.

``portal_url`` is an API process with the portal mounted (``portal_app.create_app``) on its
own port, beside the session's database, broker and worker. Import these names into a test
module (or a conftest) to use them.
"""

from __future__ import annotations

import re
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest

from service.portal import users
from tests.support.servers import ManagedProcess, free_port, wait_ready

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "portal"
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def portal_url(service_env: dict[str, str], log_dir: Path) -> Iterator[str]:
    """A real API process with the portal, on a free port (plain http: no Secure cookies)."""
    port = free_port()
    env = {k: v for k, v in service_env.items() if not k.startswith("TANJI_PORTAL_")}
    process = ManagedProcess(
        "portal-api", [sys.executable, "-m", "uvicorn", "tests.browser.portal_app:create_app",
                       "--factory", "--host", "127.0.0.1", "--port", str(port)],
        env, log_dir).start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, process=process.process)
    except Exception:
        process.stop()
        raise RuntimeError("portal API did not start:\n" + process.log()[-4000:]) from None
    yield base
    process.stop()


@dataclass
class PortalUser:
    """A portal user made for a test: sign in with ``email`` and :data:`PASSWORD`."""

    email: str
    tenant_id: uuid.UUID
    roles: list[str]
    password: str = PASSWORD


async def make_user(conn: asyncpg.Connection, tenant_id: uuid.UUID, *roles: str,
                    name: str = "") -> PortalUser:
    """A new user of ``tenant_id`` with ``roles`` and a unique email."""
    email = f"{'-'.join(roles)}-{uuid.uuid4().hex[:8]}@example.test"
    await users.create_user(conn, tenant_id=tenant_id, email=email, password=PASSWORD,
                            roles=list(roles), display_name=name, actor="test")
    return PortalUser(email, tenant_id, list(roles))


CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    """The CSRF token of the first form in a page."""
    match = CSRF_INPUT.search(html)
    assert match, "no csrf_token field in the page"
    return match.group(1)


async def sign_in(http: httpx.AsyncClient, user: PortalUser) -> httpx.Response:
    """Sign ``user`` in on ``http`` (which keeps the cookies); returns the POST's response."""
    page = await http.get("/portal/login")
    assert page.status_code == 200, page.text
    response = await http.post("/portal/login", data={
        "email": user.email, "password": user.password, "csrf_token": csrf_from(page.text),
        "next": "/portal/"})
    assert response.status_code == 303, response.text
    return response
