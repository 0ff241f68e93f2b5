"""SQL for tenants, clients and tokens."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from service.auth import security
from service.auth.schemas import ClientCreated, Principal

INSERT_TENANT = "insert into tenant(name) values ($1) returning id"

INSERT_CLIENT = """
insert into client(tenant_id, client_id, secret_hash, name, roles)
values ($1, $2, $3, $4, $5) returning id"""

GET_CLIENT_BY_CLIENT_ID = """
select id, tenant_id, client_id, secret_hash, roles, revoked_at
  from client where client_id = $1"""

INSERT_TOKEN = """
insert into access_token(token_hash, client_pk, expires_at)
values ($1, $2, now() + make_interval(secs => $3)) returning expires_at"""

GET_PRINCIPAL_BY_TOKEN = """
select c.id as client_pk, c.client_id, c.tenant_id, c.roles
  from access_token t join client c on c.id = t.client_pk
 where t.token_hash = $1 and t.expires_at > now() and c.revoked_at is null"""

REVOKE_CLIENT = """
update client set revoked_at = now()
 where client_id = $1 and revoked_at is null returning id, tenant_id"""

DELETE_CLIENT_TOKENS = "delete from access_token where client_pk = $1"

INSERT_AUDIT = """
insert into audit_log(tenant_id, actor, action, object_type, object_id, detail, request_id)
values ($1, $2, $3, $4, $5, $6, $7)"""


async def audit(
    conn: asyncpg.Connection,
    *,
    tenant_id: UUID | None,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | None,
    detail: dict | None = None,
    request_id: str | None = None,
) -> None:
    """Append one line to the audit log."""
    await conn.execute(
        INSERT_AUDIT, tenant_id, actor, action, object_type, object_id, detail or {}, request_id
    )


async def create_tenant(conn: asyncpg.Connection, *, name: str, actor: str) -> UUID:
    """A new tenant."""
    async with conn.transaction():
        tenant_id = await conn.fetchval(INSERT_TENANT, name)
        await audit(conn, tenant_id=tenant_id, actor=actor, action="create",
                    object_type="tenant", object_id=str(tenant_id), detail={"name": name})
    return tenant_id


async def create_client(
    conn: asyncpg.Connection, *, tenant_id: UUID, name: str, roles: list[str], actor: str
) -> ClientCreated:
    """A new API client; the returned secret is never stored in clear."""
    unknown = sorted(set(roles) - set(security.ROLES))
    if unknown or not roles:
        raise ValueError(f"roles must be among {security.ROLES}, got {roles}")
    client_id = security.new_client_id()
    secret = security.new_secret()
    async with conn.transaction():
        pk = await conn.fetchval(
            INSERT_CLIENT, tenant_id, client_id, security.hash_secret(secret), name, roles
        )
        await audit(conn, tenant_id=tenant_id, actor=actor, action="create", object_type="client",
                    object_id=str(pk), detail={"client_id": client_id, "roles": roles})
    return ClientCreated(tenant_id=tenant_id, client_id=client_id, client_secret=secret,
                         roles=roles)


async def authenticate_client(
    conn: asyncpg.Connection, client_id: str, secret: str
) -> asyncpg.Record | None:
    """The client row when id and secret match and the client is not revoked."""
    row = await conn.fetchrow(GET_CLIENT_BY_CLIENT_ID, client_id)
    if row is None:
        security.verify_secret(security.DUMMY_HASH, secret)
        return None
    if not security.verify_secret(row["secret_hash"], secret) or row["revoked_at"] is not None:
        return None
    return row


async def issue_token(conn: asyncpg.Connection, client_pk: UUID, ttl_seconds: int) -> str:
    """Store a new access token's digest; returns the token."""
    token = security.new_access_token()
    await conn.fetchval(INSERT_TOKEN, security.token_digest(token), client_pk, float(ttl_seconds))
    return token


async def principal_for_token(conn: asyncpg.Connection, token: str) -> Principal | None:
    """The caller behind a valid, unexpired token of a client that is not revoked."""
    row = await conn.fetchrow(GET_PRINCIPAL_BY_TOKEN, security.token_digest(token))
    return Principal(**dict(row)) if row else None


async def revoke_client(conn: asyncpg.Connection, *, client_id: str, actor: str) -> bool:
    """Revoke a client and drop its tokens; False when no active client had that id."""
    async with conn.transaction():
        row = await conn.fetchrow(REVOKE_CLIENT, client_id)
        if row is None:
            return False
        await conn.execute(DELETE_CLIENT_TOKENS, row["id"])
        await audit(conn, tenant_id=row["tenant_id"], actor=actor, action="revoke",
                    object_type="client", object_id=str(row["id"]),
                    detail={"client_id": client_id})
    return True


async def purge_expired_tokens(conn: asyncpg.Connection, *, now: datetime | None = None) -> int:
    """Delete expired tokens; returns how many."""
    status = await conn.execute("delete from access_token where expires_at <= now()")
    return int(status.split()[-1])
