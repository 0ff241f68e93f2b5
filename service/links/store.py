"""SQL for link rules."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from service.links.schemas import LinkRuleCreate

COLUMNS = "id, match_field, pattern, target_database, target_code, priority, created_at"

UPSERT_RULE = f"""
insert into link_rule(tenant_id, match_field, pattern, target_database, target_code, priority)
values ($1, $2, $3, $4, $5, $6)
on conflict (tenant_id, match_field, pattern) do update
   set target_database = excluded.target_database, target_code = excluded.target_code,
       priority = excluded.priority
returning {COLUMNS}"""

LIST_RULES = f"select {COLUMNS} from link_rule where tenant_id = $1 order by match_field, priority"

DELETE_RULE = "delete from link_rule where tenant_id = $1 and id = $2 returning id"


async def upsert_rule(conn: asyncpg.Connection, tenant_id: UUID,
                      rule: LinkRuleCreate) -> asyncpg.Record:
    """Create or replace the tenant's rule for (match_field, pattern)."""
    return await conn.fetchrow(UPSERT_RULE, tenant_id, rule.match_field, rule.pattern,
                               rule.target_database, rule.target_code, rule.priority)


async def list_rules(conn: asyncpg.Connection, tenant_id: UUID) -> list[asyncpg.Record]:
    """The tenant's rules."""
    return await conn.fetch(LIST_RULES, tenant_id)


async def delete_rule(conn: asyncpg.Connection, tenant_id: UUID, rule_id: UUID) -> bool:
    """Delete the tenant's rule; False if it has none with that id."""
    return await conn.fetchval(DELETE_RULE, tenant_id, rule_id) is not None
