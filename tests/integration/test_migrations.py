"""Migrations: each applied once, even when two processes start together."""

from __future__ import annotations

import asyncio
import uuid
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from service import db


async def test_concurrent_migrations_apply_each_file_once(database_url: str) -> None:
    name = f"tanji_mig_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(database_url)
    await admin.execute(f'create database "{name}"')
    parts = urlsplit(database_url)
    url = urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))
    try:
        async def run() -> list[str]:
            async with db.connect(url) as conn:
                return await db.migrate(conn)

        first, second = await asyncio.gather(run(), run())
        expected = [v for v, _ in db.migration_files()]
        assert sorted(first + second) == expected
        async with db.connect(url) as conn:
            recorded = [r["version"] for r in
                        await conn.fetch("select version from schema_migration order by 1")]
            assert recorded == expected
            assert await db.migrate(conn) == []
    finally:
        await admin.execute(f'drop database if exists "{name}" with (force)')
        await admin.close()


async def test_audit_log_is_append_only(conn: asyncpg.Connection) -> None:
    await conn.execute("insert into audit_log(actor, action, object_type) values ('t','x','y')")
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await conn.execute("delete from audit_log")
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await conn.execute("update audit_log set actor = 'someone else'")
