"""PostgreSQL access: pool, per-connection codecs, versioned migrations.

Migrations are the ``*.sql`` files in ``service/migrations``, applied in name
order, each once and each in its own transaction, recorded in
``schema_migration``. A session-level advisory lock makes a second process
that starts at the same time wait instead of applying a file twice.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

import asyncpg

logger = logging.getLogger(__name__)

MIGRATION_LOCK_ID = 7_346_221_001
"""Advisory lock key held while migrations run (any constant; ours)."""


async def _init_connection(conn: asyncpg.Connection) -> None:
    for type_name in ("json", "jsonb"):
        await conn.set_type_codec(
            type_name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """A connection pool with JSON codecs set on every connection."""
    return await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, init=_init_connection
    )


@asynccontextmanager
async def connect(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """One connection with the same codecs as the pool (for workers and the CLI)."""
    conn = await asyncpg.connect(dsn)
    try:
        await _init_connection(conn)
        yield conn
    finally:
        await conn.close()


def migration_files() -> list[tuple[str, str]]:
    """(version, sql) of every migration shipped with the package, in order."""
    folder = resources.files("service") / "migrations"
    files = sorted(p for p in folder.iterdir() if p.name.endswith(".sql"))
    return [(p.name.removesuffix(".sql"), p.read_text(encoding="utf-8")) for p in files]


async def migrate(conn: asyncpg.Connection) -> list[str]:
    """Apply pending migrations; returns the versions applied by this call."""
    applied_now: list[str] = []
    await conn.execute("select pg_advisory_lock($1)", MIGRATION_LOCK_ID)
    try:
        await conn.execute(
            """create table if not exists schema_migration (
                   version text primary key,
                   applied_at timestamptz not null default now())"""
        )
        done = {r["version"] for r in await conn.fetch("select version from schema_migration")}
        for version, sql in migration_files():
            if version in done:
                continue
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute("insert into schema_migration(version) values ($1)", version)
            logger.info("applied migration", extra={"migration": version})
            applied_now.append(version)
    finally:
        await conn.execute("select pg_advisory_unlock($1)", MIGRATION_LOCK_ID)
    return applied_now
