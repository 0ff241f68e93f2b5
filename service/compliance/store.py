"""SQL for compliance outputs: a footprint result with its product, BOM revision and snapshot,
read in one place and always scoped to the tenant. Nothing is written."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

GET_CONTEXT = """
select r.id as result_id, r.bom_revision_id, r.bom_revision_hash, r.snapshot_hash,
       r.method_versions, r.code_version, r.created_at, r.result,
       b.explosion, p.part_number, p.name, p.unit
  from footprint_result r
  join bom_revision b on b.id = r.bom_revision_id and b.tenant_id = r.tenant_id
  join product p on p.id = b.product_id and p.tenant_id = r.tenant_id
 where r.tenant_id = $1 and r.id = $2"""

GET_LINES = """
select line_id, parent_line_id, part_number, description, quantity, unit, supplier, origin,
       cn_code, material_class, mass_kg, stage
  from bom_line where bom_revision_id = $1 order by position"""

GET_SNAPSHOT_DATABASES = """
select databases from snapshot
 where snapshot_hash = $2 and (tenant_id is null or tenant_id = $1)"""


async def get_context(conn: asyncpg.Connection, tenant_id: UUID,
                      result_id: UUID) -> asyncpg.Record | None:
    """The tenant's result joined to its revision and product, or None."""
    return await conn.fetchrow(GET_CONTEXT, tenant_id, result_id)


async def get_lines(conn: asyncpg.Connection, bom_revision_id: UUID) -> list[dict[str, Any]]:
    """The revision's lines in order (the caller has checked the tenant)."""
    return [dict(r) for r in await conn.fetch(GET_LINES, bom_revision_id)]


async def get_snapshot_databases(conn: asyncpg.Connection, tenant_id: UUID,
                                 snapshot_hash: str | None) -> list[str]:
    """The background databases of a snapshot the tenant may see (empty when none)."""
    if snapshot_hash is None:
        return []
    value = await conn.fetchval(GET_SNAPSHOT_DATABASES, tenant_id, snapshot_hash)
    return list(value or [])


GET_SCENARIOS = """
select j.id, j.created_at, j.finished_at, j.output
  from job j
 where j.tenant_id = $1 and j.kind = 'scenario' and j.state = 'succeeded'
   and j.request->>'baseline_result_id' = ($2::uuid)::text
 order by j.finished_at desc nulls last, j.created_at desc, j.id
 limit $3"""


async def get_scenarios(conn: asyncpg.Connection, tenant_id: UUID, result_id: UUID, *,
                        limit: int = 20) -> list[dict[str, Any]]:
    """Finished co-control scenario jobs whose baseline is the result, newest first."""
    rows = await conn.fetch(GET_SCENARIOS, tenant_id, result_id, limit)
    return [{"id": str(r["id"]),
             "finished_at": (r["finished_at"] or r["created_at"]).isoformat(timespec="seconds"),
             "output": r["output"] or {}} for r in rows]
