"""SQL for products and BOM revisions."""

from __future__ import annotations

from dataclasses import astuple
from typing import Any
from uuid import UUID

import asyncpg

from connectors.bom import ValidBom

INSERT_PRODUCT = """
insert into product(tenant_id, part_number, name, unit) values ($1, $2, $3, $4)
returning id, part_number, name, unit, created_at"""

GET_PRODUCT = """
select id, part_number, name, unit, created_at from product where tenant_id = $1 and id = $2"""

LIST_PRODUCTS = """
select id, part_number, name, unit, created_at from product
 where tenant_id = $1 order by created_at, id limit $2 offset $3"""

GET_REVISION_BY_HASH = """
select id, product_id, bom_revision_hash, line_count, source, created_at from bom_revision
 where tenant_id = $1 and product_id = $2 and bom_revision_hash = $3"""

INSERT_REVISION = """
insert into bom_revision(tenant_id, product_id, bom_revision_hash, line_count, explosion, source)
values ($1, $2, $3, $4, $5, $6)
on conflict (tenant_id, product_id, bom_revision_hash) do nothing
returning id, product_id, bom_revision_hash, line_count, source, created_at"""

GET_REVISION = """
select id, product_id, bom_revision_hash, line_count, source, created_at, explosion
  from bom_revision where tenant_id = $1 and id = $2"""

LIST_REVISIONS = """
select id, product_id, bom_revision_hash, line_count, source, created_at from bom_revision
 where tenant_id = $1 and product_id = $2 order by created_at, id"""

GET_LINES = """
select line_id, parent_line_id, part_number, description, quantity, unit, supplier, origin,
       cn_code, material_class, mass_kg, stage, link_hint
  from bom_line where bom_revision_id = $1 order by position"""

LINE_COLUMNS = ("bom_revision_id", "position", "line_id", "parent_line_id", "part_number",
                "description", "quantity", "unit", "supplier", "origin", "cn_code",
                "material_class", "mass_kg", "stage", "link_hint")


async def create_product(conn: asyncpg.Connection, *, tenant_id: UUID, part_number: str,
                         name: str, unit: str) -> asyncpg.Record | None:
    """A new product; None when the tenant already has that part number."""
    try:
        return await conn.fetchrow(INSERT_PRODUCT, tenant_id, part_number, name, unit)
    except asyncpg.UniqueViolationError:
        return None


async def get_product(conn: asyncpg.Connection, tenant_id: UUID,
                      product_id: UUID) -> asyncpg.Record | None:
    """The tenant's product, or None."""
    return await conn.fetchrow(GET_PRODUCT, tenant_id, product_id)


async def list_products(conn: asyncpg.Connection, tenant_id: UUID, *, limit: int,
                        offset: int) -> list[asyncpg.Record]:
    """The tenant's products, oldest first."""
    return await conn.fetch(LIST_PRODUCTS, tenant_id, limit, offset)


async def insert_revision(conn: asyncpg.Connection, *, tenant_id: UUID, product_id: UUID,
                          bom: ValidBom, source: str) -> tuple[asyncpg.Record, bool]:
    """Store a revision with its lines and explosion in one transaction.

    Identical content returns the existing revision and ``created=False``.
    """
    async with conn.transaction():
        row = await conn.fetchrow(INSERT_REVISION, tenant_id, product_id, bom.revision_hash,
                                  len(bom.lines), [leaf.as_dict() for leaf in bom.leaves], source)
        if row is None:
            existing = await conn.fetchrow(GET_REVISION_BY_HASH, tenant_id, product_id,
                                           bom.revision_hash)
            return existing, False
        await conn.copy_records_to_table(
            "bom_line", columns=LINE_COLUMNS,
            records=[(row["id"], i, *astuple(line)) for i, line in enumerate(bom.lines)])
    return row, True


async def get_revision(conn: asyncpg.Connection, tenant_id: UUID,
                       revision_id: UUID) -> asyncpg.Record | None:
    """The tenant's revision (with explosion), or None."""
    return await conn.fetchrow(GET_REVISION, tenant_id, revision_id)


async def list_revisions(conn: asyncpg.Connection, tenant_id: UUID,
                         product_id: UUID) -> list[asyncpg.Record]:
    """A product's revisions, oldest first."""
    return await conn.fetch(LIST_REVISIONS, tenant_id, product_id)


async def get_lines(conn: asyncpg.Connection, revision_id: UUID) -> list[dict[str, Any]]:
    """A revision's lines in their order (caller has checked the tenant)."""
    return [dict(r) for r in await conn.fetch(GET_LINES, revision_id)]

