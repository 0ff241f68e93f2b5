"""SQL for signing keys and certificates (both immutable but for retirement / revocation)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

KEY_COLUMNS = "key_id, tenant_id, public_key, kek_id, created_at, retired_at"

GET_ACTIVE_KEY = """
select key_id, tenant_id, public_key, private_key_sealed, kek_id, created_at, retired_at
  from signing_key where tenant_id = $1 and retired_at is null"""

LOCK_TENANT = "select id from tenant where id = $1 for no key update"

INSERT_SIGNING_KEY = """
insert into signing_key(key_id, tenant_id, public_key, private_key_sealed, kek_id)
values ($1, $2, $3, $4, $5)
returning key_id, tenant_id, public_key, private_key_sealed, kek_id, created_at, retired_at"""

RETIRE_ACTIVE_KEYS = """
update signing_key set retired_at = now()
 where tenant_id = $1 and retired_at is null returning key_id"""

LIST_KEYS = f"""
select {KEY_COLUMNS} from signing_key where tenant_id = $1 order by created_at, key_id"""

GET_PUBLIC_KEY = "select key_id, public_key, retired_at from signing_key where key_id = $1"

TENANT_NAME = "select name from tenant where id = $1"

CERTIFICATE_COLUMNS = """c.serial, c.tenant_id, c.result_id, c.document, c.document_sha256,
                         c.signature, c.key_id, c.issued_at, c.revoked_at, c.revoked_reason"""

INSERT_CERTIFICATE = """
insert into certificate(serial, tenant_id, result_id, document, document_sha256, signature,
                        key_id, issued_at)
values ($1, $2, $3, $4, $5, $6, $7, $8)
returning serial, tenant_id, result_id, document, document_sha256, signature, key_id,
          issued_at, revoked_at, revoked_reason"""

GET_CERTIFICATE = f"""
select {CERTIFICATE_COLUMNS} from certificate c where c.tenant_id = $1 and c.serial = $2"""

FIND_CERTIFICATE = f"""
select {CERTIFICATE_COLUMNS}, k.public_key
  from certificate c join signing_key k on k.key_id = c.key_id
 where c.serial = $1"""

REVOKE_CERTIFICATE = """
update certificate c set revoked_at = now(), revoked_reason = $3
 where c.tenant_id = $1 and c.serial = $2 and c.revoked_at is null
returning serial, tenant_id, result_id, document, document_sha256, signature, key_id,
          issued_at, revoked_at, revoked_reason"""


async def get_active_key(conn: asyncpg.Connection, tenant_id: UUID) -> asyncpg.Record | None:
    """The tenant's active key with its sealed private half, or None."""
    return await conn.fetchrow(GET_ACTIVE_KEY, tenant_id)


async def lock_tenant_keys(conn: asyncpg.Connection, tenant_id: UUID) -> None:
    """Serialise key creation and rotation per tenant (until the transaction ends)."""
    await conn.fetchval(LOCK_TENANT, tenant_id)


async def insert_signing_key(conn: asyncpg.Connection, *, tenant_id: UUID, key_id: str,
                             public_key: bytes, private_key_sealed: bytes,
                             kek_id: str) -> asyncpg.Record:
    """Store a new active key."""
    return await conn.fetchrow(INSERT_SIGNING_KEY, key_id, tenant_id, public_key,
                               private_key_sealed, kek_id)


async def retire_active_keys(conn: asyncpg.Connection, tenant_id: UUID) -> list[str]:
    """Retire the tenant's active key; the ids retired."""
    return [r["key_id"] for r in await conn.fetch(RETIRE_ACTIVE_KEYS, tenant_id)]


async def list_keys(conn: asyncpg.Connection, tenant_id: UUID) -> list[asyncpg.Record]:
    """The tenant's keys, oldest first (public halves only)."""
    return await conn.fetch(LIST_KEYS, tenant_id)


async def get_public_key(conn: asyncpg.Connection, key_id: str) -> asyncpg.Record | None:
    """Any tenant's key by id (public half only): for verification."""
    return await conn.fetchrow(GET_PUBLIC_KEY, key_id)


async def tenant_name(conn: asyncpg.Connection, tenant_id: UUID) -> str:
    """The tenant's name (the issuer on its certificates)."""
    return await conn.fetchval(TENANT_NAME, tenant_id)


async def insert_certificate(conn: asyncpg.Connection, *, serial: str, tenant_id: UUID,
                             result_id: UUID, document: dict[str, Any], document_sha256: str,
                             signature: bytes, key_id: str,
                             issued_at: datetime) -> asyncpg.Record:
    """Store an issued certificate; ``UniqueViolationError`` if the serial exists."""
    return await conn.fetchrow(INSERT_CERTIFICATE, serial, tenant_id, result_id, document,
                               document_sha256, signature, key_id, issued_at)


async def get_certificate(conn: asyncpg.Connection, tenant_id: UUID,
                          serial: str) -> asyncpg.Record | None:
    """The tenant's certificate, or None (also for other tenants' serials)."""
    return await conn.fetchrow(GET_CERTIFICATE, tenant_id, serial)


async def find_certificate(conn: asyncpg.Connection, serial: str) -> asyncpg.Record | None:
    """Any tenant's certificate with its key's public half: for public verification only."""
    return await conn.fetchrow(FIND_CERTIFICATE, serial)


async def revoke_certificate(conn: asyncpg.Connection, tenant_id: UUID, serial: str,
                             reason: str) -> asyncpg.Record | None:
    """Revoke; None when the tenant has no such certificate or it is revoked already."""
    return await conn.fetchrow(REVOKE_CERTIFICATE, tenant_id, serial, reason)
