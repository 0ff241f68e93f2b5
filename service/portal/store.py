"""Read queries the portal needs beyond the domain stores: lists for pages. All tenant-scoped.

Writes go through the domain stores (``service.boms.store``, ``service.primary.store``,
``service.jobs.service``) so the portal stores exactly what the API would.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg

LIST_RESULTS_FOR_PRODUCT = """
select r.id, r.job_id, r.bom_revision_id, r.snapshot_hash, r.created_at,
       r.result->>'status' as status,
       (r.result->'totals'->>'gwp100_kg_co2e')::double precision as gwp100_kg_co2e,
       (r.result->'primary_data_share'->>'gwp100_kg_co2e')::double precision
           as primary_data_share
  from footprint_result r
  join bom_revision b on b.id = r.bom_revision_id and b.tenant_id = r.tenant_id
 where r.tenant_id = $1 and b.product_id = $2
 order by r.created_at desc, r.id
 limit $3"""

LIST_JOBS_FOR_PRODUCT = """
select j.id, j.state, j.progress, j.created_at, j.error, j.request->>'bom_revision_id' as rev
  from job j
 where j.tenant_id = $1 and j.kind = 'footprint' and j.state in ('queued', 'running')
   and (j.request->>'bom_revision_id')::uuid in (
        select id from bom_revision where tenant_id = $1 and product_id = $2)
 order by j.created_at desc limit 20"""

LIST_RESULTS = """
select r.id, r.created_at, r.result->>'status' as status,
       (r.result->'totals'->>'gwp100_kg_co2e')::double precision as gwp100_kg_co2e,
       p.id as product_id, p.part_number, p.name
  from footprint_result r
  join bom_revision b on b.id = r.bom_revision_id and b.tenant_id = r.tenant_id
  join product p on p.id = b.product_id and p.tenant_id = r.tenant_id
 where r.tenant_id = $1
 order by r.created_at desc, r.id
 limit $2"""

LIST_CERTIFICATES = """
select c.serial, c.result_id, c.issued_at, c.revoked_at, c.revoked_reason,
       c.document->'subject'->>'part_number' as part_number,
       c.document->'subject'->>'name' as name
  from certificate c
 where c.tenant_id = $1
 order by c.issued_at desc, c.serial
 limit $2"""

GET_RESULT_PRODUCT = """
select p.id, p.part_number, p.name, p.unit, b.id as bom_revision_id
  from footprint_result r
  join bom_revision b on b.id = r.bom_revision_id and b.tenant_id = r.tenant_id
  join product p on p.id = b.product_id and p.tenant_id = r.tenant_id
 where r.tenant_id = $1 and r.id = $2"""

TENANT_NAME = "select name from tenant where id = $1"


async def list_results_for_product(conn: asyncpg.Connection, tenant_id: UUID, product_id: UUID,
                                   *, limit: int = 50) -> list[asyncpg.Record]:
    """The product's footprint results, newest first, with headline numbers."""
    return await conn.fetch(LIST_RESULTS_FOR_PRODUCT, tenant_id, product_id, limit)


async def list_running_jobs_for_product(conn: asyncpg.Connection, tenant_id: UUID,
                                        product_id: UUID) -> list[asyncpg.Record]:
    """Footprint jobs of the product still queued or running."""
    return await conn.fetch(LIST_JOBS_FOR_PRODUCT, tenant_id, product_id)


async def list_results(conn: asyncpg.Connection, tenant_id: UUID,
                       *, limit: int = 100) -> list[asyncpg.Record]:
    """The tenant's footprint results with their products, newest first."""
    return await conn.fetch(LIST_RESULTS, tenant_id, limit)


async def list_certificates(conn: asyncpg.Connection, tenant_id: UUID,
                            *, limit: int = 200) -> list[asyncpg.Record]:
    """The tenant's certificates, newest first."""
    return await conn.fetch(LIST_CERTIFICATES, tenant_id, limit)


async def result_product(conn: asyncpg.Connection, tenant_id: UUID,
                         result_id: UUID) -> asyncpg.Record | None:
    """The product a result belongs to, or None (also for other tenants' results)."""
    return await conn.fetchrow(GET_RESULT_PRODUCT, tenant_id, result_id)


async def tenant_name(conn: asyncpg.Connection, tenant_id: UUID) -> str | None:
    """The tenant's name."""
    return await conn.fetchval(TENANT_NAME, tenant_id)
