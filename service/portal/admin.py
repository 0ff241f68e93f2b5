"""Operator helpers for portal users: ``tanji user create`` and the demo user of ``tanji run``."""

from __future__ import annotations

import secrets
from uuid import UUID

import asyncpg

from service import db
from service.portal import users

DEMO_EMAIL = "demo@tanji.local"


def new_password() -> str:
    """A random password to hand over once (the user may keep it)."""
    return secrets.token_urlsafe(12)


async def create_user(dsn: str, *, tenant_id: UUID, email: str, roles: list[str],
                      password: str | None = None, display_name: str = "",
                      actor: str = "cli") -> tuple[users.User, str]:
    """Create a user (migrating first); returns the user and the password, generated if None."""
    password = password or new_password()
    async with db.connect(dsn) as conn:
        await db.migrate(conn)
        user = await users.create_user(conn, tenant_id=tenant_id, email=email, password=password,
                                       roles=roles, display_name=display_name, actor=actor)
    return user, password


async def create_user_command(dsn: str, *, tenant_id: UUID, email: str, roles: list[str],
                              password: str | None = None,
                              display_name: str = "") -> dict[str, object]:
    """What ``tanji user create`` prints: the user, and the password when it was generated."""
    user, used = await create_user(dsn, tenant_id=tenant_id, email=email, roles=roles,
                                   password=password, display_name=display_name)
    out: dict[str, object] = {"user_id": str(user.id), "tenant_id": str(user.tenant_id),
                              "email": user.email, "roles": list(user.roles)}
    if password is None:
        out["password"] = used
    return out


async def ensure_demo_user(conn: asyncpg.Connection, tenant_id: UUID,
                           roles: list[str]) -> dict[str, str] | None:
    """The demo tenant's portal user with every role; None when one exists already."""
    exists = await conn.fetchval("select 1 from portal_user where lower(email) = lower($1)",
                                 DEMO_EMAIL)
    if exists:
        return None
    password = new_password()
    await users.create_user(conn, tenant_id=tenant_id, email=DEMO_EMAIL, password=password,
                            roles=roles, display_name="Demo", actor="tanji-run")
    return {"portal_email": DEMO_EMAIL, "portal_password": password}
