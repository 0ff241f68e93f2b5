"""SQL for primary data."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg

from service.primary.schemas import PrimaryDataCreate

COLUMNS = """id, kind, name, declared_unit, location, reference_period_start,
             reference_period_end, payload, created_at"""

INSERT = f"""
insert into primary_data(tenant_id, kind, name, declared_unit, location,
                         reference_period_start, reference_period_end, payload)
values ($1, $2, $3, $4, $5, $6, $7, $8) returning {COLUMNS}"""

GET = f"select {COLUMNS} from primary_data where tenant_id = $1 and id = $2"

LIST = f"""select {COLUMNS} from primary_data where tenant_id = $1
 order by created_at desc limit $2 offset $3"""

GET_MANY = f"select {COLUMNS} from primary_data where tenant_id = $1 and id = any($2::uuid[])"

GET_SHARED_MANY = """
select p.id, p.kind, p.name, p.declared_unit, p.location, p.reference_period_start,
       p.reference_period_end, p.payload, p.created_at
  from primary_share s join primary_data p
    on p.id = s.record_id and p.tenant_id = s.owner_tenant_id
 where s.shared_with_tenant_id = $1 and s.record_id = any($2::uuid[])"""


async def insert(conn: asyncpg.Connection, tenant_id: UUID,
                 body: PrimaryDataCreate) -> asyncpg.Record:
    """Store a record."""
    return await conn.fetchrow(INSERT, tenant_id, body.kind, body.name, body.declared_unit,
                               body.location, body.reference_period_start,
                               body.reference_period_end, body.payload())


async def get(conn: asyncpg.Connection, tenant_id: UUID, record_id: UUID) -> asyncpg.Record | None:
    """The tenant's record, or None."""
    return await conn.fetchrow(GET, tenant_id, record_id)


async def list_records(conn: asyncpg.Connection, tenant_id: UUID, *, limit: int,
                       offset: int) -> list[asyncpg.Record]:
    """The tenant's records, newest first."""
    return await conn.fetch(LIST, tenant_id, limit, offset)


async def get_many(conn: asyncpg.Connection, tenant_id: UUID,
                   record_ids: Sequence[UUID]) -> list[asyncpg.Record]:
    """The tenant's records among ``record_ids`` (others' are simply absent)."""
    return await conn.fetch(GET_MANY, tenant_id, list(record_ids))


async def get_many_for_footprint(conn: asyncpg.Connection, tenant_id: UUID,
                                 record_ids: Sequence[UUID]) -> list[asyncpg.Record]:
    """Records among ``record_ids`` a footprint of the tenant may use: its own, and those a
    supplier shared with it through an accepted data-request answer (``primary_share``).

    For the calculation only: API views keep using :func:`get` (own records alone).
    """
    own = await get_many(conn, tenant_id, record_ids)
    found = {r["id"] for r in own}
    missing = [i for i in record_ids if i not in found]
    shared = await conn.fetch(GET_SHARED_MANY, tenant_id, missing) if missing else []
    return [*own, *shared]
