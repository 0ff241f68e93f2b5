"""SQL for snapshots: content-addressed packages and their precomputed unit tables."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

SUMMARY = """snapshot_hash, tenant_id, name, databases, activity_count, indicator_ids,
             created_at, (unit_table is not null) as precomputed"""

INSERT_SNAPSHOT = """
insert into snapshot(snapshot_hash, tenant_id, name, databases, manifest, package, unit_table,
                     activity_count, indicator_ids, import_report)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
on conflict (snapshot_hash) do nothing
returning snapshot_hash"""

VISIBLE = "(tenant_id is null or tenant_id = $1)"

LIST_SNAPSHOTS = f"select {SUMMARY} from snapshot where {VISIBLE} order by created_at desc"

GET_SNAPSHOT = f"select {SUMMARY} from snapshot where {VISIBLE} and snapshot_hash = $2"

GET_REPORT = f"select import_report from snapshot where {VISIBLE} and snapshot_hash = $2"

LATEST_SNAPSHOT = f"""
select snapshot_hash from snapshot where {VISIBLE} and unit_table is not null
 order by tenant_id is null, created_at desc limit 1"""

GET_PACKAGE = "select package from snapshot where snapshot_hash = $1"

GET_UNIT_TABLE = "select unit_table from snapshot where snapshot_hash = $1"


async def insert_snapshot(conn: asyncpg.Connection, *, snapshot_hash: str,
                          tenant_id: UUID | None, name: str, databases: list[str],
                          manifest: dict[str, Any], package: bytes, unit_table: bytes,
                          activity_count: int, indicator_ids: list[str],
                          import_report: dict[str, Any] | None) -> bool:
    """Store a snapshot; False when that hash exists already (same content)."""
    inserted = await conn.fetchval(INSERT_SNAPSHOT, snapshot_hash, tenant_id, name, databases,
                                   manifest, package, unit_table, activity_count, indicator_ids,
                                   import_report)
    return inserted is not None


async def list_snapshots(conn: asyncpg.Connection, tenant_id: UUID) -> list[asyncpg.Record]:
    """Snapshots the tenant may use: its own and the operator's."""
    return await conn.fetch(LIST_SNAPSHOTS, tenant_id)


async def get_snapshot(conn: asyncpg.Connection, tenant_id: UUID,
                       snapshot_hash: str) -> asyncpg.Record | None:
    """A snapshot's summary if the tenant may use it."""
    return await conn.fetchrow(GET_SNAPSHOT, tenant_id, snapshot_hash)


async def get_report(conn: asyncpg.Connection, tenant_id: UUID,
                     snapshot_hash: str) -> dict[str, Any] | None:
    """The import report behind a snapshot the tenant may use."""
    return await conn.fetchval(GET_REPORT, tenant_id, snapshot_hash)


async def latest_snapshot(conn: asyncpg.Connection, tenant_id: UUID) -> str | None:
    """The newest precomputed snapshot the tenant may use (its own first)."""
    return await conn.fetchval(LATEST_SNAPSHOT, tenant_id)


async def get_package(conn: asyncpg.Connection, snapshot_hash: str) -> bytes | None:
    """The packed snapshot (callers have checked visibility)."""
    return await conn.fetchval(GET_PACKAGE, snapshot_hash)


async def get_unit_table(conn: asyncpg.Connection, snapshot_hash: str) -> bytes | None:
    """The precomputed unit-indicator table."""
    return await conn.fetchval(GET_UNIT_TABLE, snapshot_hash)
