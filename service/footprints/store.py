"""SQL for footprint results (immutable once written)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

RESULT_COLUMNS = """id, job_id, bom_revision_id, bom_revision_hash, snapshot_hash,
                    method_versions, code_version, created_at, result"""

INSERT_RESULT = f"""
insert into footprint_result(tenant_id, job_id, bom_revision_id, bom_revision_hash,
                             snapshot_hash, method_versions, code_version, result)
values ($1, $2, $3, $4, $5, $6, $7, $8)
on conflict (job_id) do nothing
returning {RESULT_COLUMNS}"""

GET_RESULT = f"select {RESULT_COLUMNS} from footprint_result where tenant_id = $1 and id = $2"



async def insert_result(conn: asyncpg.Connection, *, tenant_id: UUID, job_id: UUID,
                        bom_revision_id: UUID, bom_revision_hash: str, snapshot_hash: str | None,
                        method_versions: dict[str, Any], code_version: str,
                        result: dict[str, Any]) -> asyncpg.Record | None:
    """Store a job's result; None when the job already has one."""
    return await conn.fetchrow(INSERT_RESULT, tenant_id, job_id, bom_revision_id,
                               bom_revision_hash, snapshot_hash, method_versions, code_version,
                               result)


async def get_result(conn: asyncpg.Connection, tenant_id: UUID,
                     result_id: UUID) -> asyncpg.Record | None:
    """The tenant's result, or None."""
    return await conn.fetchrow(GET_RESULT, tenant_id, result_id)

