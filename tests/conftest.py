"""Session-wide real servers: PostgreSQL, broker, API process, worker process.

``DATABASE_URL`` / ``CELERY_BROKER_URL`` set: those servers are used (a fresh
database is created on the server for the session and dropped after).
Unset: an embedded PostgreSQL (pgserver) and the file broker.
Every test makes its own tenant; nothing is shared between tests but servers.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

# Brightway keeps global state chosen at import: before anything imports bw2data, point it
# at a folder of this test session (never the user's own Brightway projects).
if "TANJI_TEST_BRIGHTWAY2_DIR" not in os.environ:
    _BW_DIR = tempfile.mkdtemp(prefix="tanji-bw-")
    os.environ["BRIGHTWAY2_DIR"] = os.environ["TANJI_TEST_BRIGHTWAY2_DIR"] = _BW_DIR
    atexit.register(shutil.rmtree, _BW_DIR, ignore_errors=True)

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest

from service import db
from service.auth import store as auth_store
from service.config import Settings
from tests.support.api import wait_job
from tests.support.servers import api_process, free_port, wait_ready, worker_process

JOB_TIMINGS = {
    "TANJI_JOB_LEASE_SECONDS": "4",
    "TANJI_JOB_HEARTBEAT_SECONDS": "0.5",
    "TANJI_JOB_REQUEUE_AFTER_SECONDS": "2",
    "TANJI_JOB_REAPER_INTERVAL_SECONDS": "1",
}


@pytest.fixture(scope="session")
def tmp_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for the session's data, logs and broker."""
    return tmp_path_factory.mktemp("tanji")


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@pytest.fixture(scope="session")
def database_url(tmp_root: Path) -> Iterator[str]:
    """A fresh, migrated database on the configured server (or an embedded one)."""
    server = None
    base = os.environ.get("DATABASE_URL")
    if not base:
        from service.embedded import start_postgres

        # Outside pytest's 0700 temp folders: when run as root, pgserver runs
        # PostgreSQL as an unprivileged user that must reach the data folder.
        pg_dir = Path(tempfile.mkdtemp(prefix="tanji-test-pg-"))
        pg_dir.chmod(0o755)
        server, base = start_postgres(pg_dir / "data")
    name = f"tanji_test_{uuid.uuid4().hex[:10]}"

    async def create() -> None:
        conn = await asyncpg.connect(base)
        try:
            await conn.execute(f'create database "{name}"')
        finally:
            await conn.close()
        async with db.connect(_with_database(base, name)) as c:
            await db.migrate(c)

    async def drop() -> None:
        conn = await asyncpg.connect(base)
        try:
            await conn.execute(f'drop database if exists "{name}" with (force)')
        finally:
            await conn.close()

    asyncio.run(create())
    yield _with_database(base, name)
    asyncio.run(drop())
    if server is not None:
        server.cleanup()
        shutil.rmtree(pg_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def service_env(database_url: str, tmp_root: Path) -> dict[str, str]:
    """Environment of every process the tests start."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANJI_")}
    env.update(JOB_TIMINGS, DATABASE_URL=database_url, TANJI_DATA_DIR=str(tmp_root / "data"),
               PYTHONUNBUFFERED="1")
    return env


@pytest.fixture(scope="session")
def settings(service_env: dict[str, str]) -> Settings:
    """The same settings the processes see."""
    return Settings(_env_file=None, **{  # type: ignore[call-arg]
        "database_url": service_env["DATABASE_URL"],
        "celery_broker_url": service_env.get("CELERY_BROKER_URL"),
        "data_dir": service_env["TANJI_DATA_DIR"]})


@pytest.fixture(scope="session")
def log_dir(tmp_root: Path) -> Path:
    """Where process logs go (printed on failure by the tests that need them)."""
    path = tmp_root / "logs"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(scope="session")
def api_url(service_env: dict[str, str], log_dir: Path) -> Iterator[str]:
    """A real API process on a free port."""
    port = free_port()
    api = api_process(service_env, port, log_dir).start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, process=api.process)
    except Exception:
        api.stop()
        raise RuntimeError("API did not start:\n" + api.log()[-4000:]) from None
    yield base
    api.stop()


@pytest.fixture(scope="session")
def worker(service_env: dict[str, str], log_dir: Path) -> Iterator:
    """One real Celery worker process for the session."""
    process = worker_process(service_env, log_dir).start()
    yield process
    process.stop()


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection to the test database."""
    async with db.connect(database_url) as c:
        yield c


@dataclass
class TenantClients:
    """A tenant with one client per role; ``client(role)`` gives an authorised HTTP client."""

    tenant_id: uuid.UUID
    credentials: dict[str, tuple[str, str]]
    api_url: str

    async def token(self, role: str) -> str:
        """A fresh access token for the role's client."""
        client_id, secret = self.credentials[role]
        async with httpx.AsyncClient(base_url=self.api_url) as http:
            response = await http.post("/auth/token", data={"grant_type": "client_credentials"},
                                       auth=(client_id, secret))
            response.raise_for_status()
            return response.json()["access_token"]

    async def client(self, role: str) -> httpx.AsyncClient:
        """An httpx client carrying the role's bearer token."""
        token = await self.token(role)
        return httpx.AsyncClient(base_url=self.api_url, timeout=30,
                                 headers={"Authorization": f"Bearer {token}"})


async def create_tenant(conn: asyncpg.Connection, api_url: str, name: str) -> TenantClients:
    """A new tenant with one client per role."""
    tenant_id = await auth_store.create_tenant(conn, name=f"{name}-{uuid.uuid4().hex[:6]}",
                                               actor="test")
    credentials = {}
    for role in ("admin", "buyer", "supplier", "exporter", "verifier"):
        created = await auth_store.create_client(conn, tenant_id=tenant_id, name=role,
                                                 roles=[role], actor="test")
        credentials[role] = (created.client_id, created.client_secret)
    return TenantClients(tenant_id, credentials, api_url)


@pytest.fixture
async def make_tenant(conn: asyncpg.Connection, api_url: str):
    """Factory: a new tenant with a client for each role."""

    async def make(name: str = "t") -> TenantClients:
        return await create_tenant(conn, api_url, name)

    return make


async def _import_owner(database_url: str, api_url: str, name: str,
                        source: str) -> tuple[TenantClients, str]:
    async with db.connect(database_url) as c:
        tenant = await create_tenant(c, api_url, name)
    async with await tenant.client("admin") as http:
        response = await http.post("/v1/imports", json={"source": source})
        assert response.status_code == 202, response.text
        job = await wait_job(http, response.json()["id"], limit_s=900)
    assert job["state"] == "succeeded", job
    return tenant, job["output"]["snapshot_hash"]


@pytest.fixture(scope="session")
async def uslci_owner(database_url: str, api_url: str, worker) -> tuple[TenantClients, str]:
    """A tenant that imported US LCI through the API (an import job on the real worker).

    Returns the tenant and its snapshot hash; no other tenant sees that snapshot.
    """
    return await _import_owner(database_url, api_url, "uslci-owner", "uslci")


@pytest.fixture(scope="session")
async def china_owner(database_url: str, api_url: str, worker) -> tuple[TenantClients, str]:
    """A tenant that imported TianGong and US LCI into one snapshot through the API."""
    return await _import_owner(database_url, api_url, "china-owner", "tiangong+uslci")
