"""SQL for measures (immutable rows; versions by name per product)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg

from service.measures.schemas import MeasureCreate

COLUMNS = """id, product_id, name, version, description, changes, cost_per_unit, currency,
             exclusive_group, created_at"""

INSERT = f"""
insert into measure(tenant_id, product_id, name, version, description, changes, cost_per_unit,
                    currency, exclusive_group)
select $1::uuid, $2::uuid, $3::text, coalesce(max(version), 0) + 1, $4::text, $5::jsonb,
       $6::double precision, $7::text, $8::text
  from measure where tenant_id = $1::uuid and product_id = $2::uuid and name = $3::text
returning {COLUMNS}"""

GET = f"select {COLUMNS} from measure where tenant_id = $1 and id = $2"

GET_MANY = f"select {COLUMNS} from measure where tenant_id = $1 and id = any($2::uuid[])"

LIST = f"""select {COLUMNS} from measure where tenant_id = $1
   and ($2::uuid is null or product_id = $2)
 order by created_at desc, name, version desc limit $3 offset $4"""

LOCK = "select pg_advisory_xact_lock(hashtextextended($1::uuid::text || $2::uuid::text || $3, 0))"


async def insert(conn: asyncpg.Connection, tenant_id: UUID,
                 body: MeasureCreate) -> asyncpg.Record:
    """Store the next version of the named measure (call inside a transaction)."""
    await conn.execute(LOCK, tenant_id, body.product_id, body.name)
    return await conn.fetchrow(
        INSERT, tenant_id, body.product_id, body.name, body.description,
        [c.model_dump(mode="json") for c in body.changes], body.cost_per_unit, body.currency,
        body.exclusive_group)


async def get(conn: asyncpg.Connection, tenant_id: UUID,
              measure_id: UUID) -> asyncpg.Record | None:
    """The tenant's measure, or None."""
    return await conn.fetchrow(GET, tenant_id, measure_id)


async def get_many(conn: asyncpg.Connection, tenant_id: UUID,
                   measure_ids: Sequence[UUID]) -> list[asyncpg.Record]:
    """The tenant's measures among ``measure_ids`` (others' are simply absent)."""
    return await conn.fetch(GET_MANY, tenant_id, list(measure_ids))


async def list_measures(conn: asyncpg.Connection, tenant_id: UUID, *, product_id: UUID | None,
                        limit: int, offset: int) -> list[asyncpg.Record]:
    """The tenant's measures, newest first."""
    return await conn.fetch(LIST, tenant_id, product_id, limit, offset)
