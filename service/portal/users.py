"""SQL for portal users and their server-side sessions.

Passwords are hashed with Argon2id (the hasher of :mod:`service.auth.security`). A session
id is a 256-bit random string the browser keeps in an HttpOnly cookie; only its SHA-256 is
stored, with the session's CSRF token and expiry.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from service.auth import security
from service.auth.store import audit

MIN_PASSWORD_LENGTH = 10

USER_COLUMNS = "id, tenant_id, email, display_name, roles, language, created_at, disabled_at"

INSERT_USER = f"""
insert into portal_user(tenant_id, email, password_hash, display_name, roles)
values ($1, $2, $3, $4, $5) returning {USER_COLUMNS}"""

GET_USER_BY_EMAIL = f"""
select {USER_COLUMNS}, password_hash from portal_user where lower(email) = lower($1)"""

SET_PASSWORD = "update portal_user set password_hash = $2 where id = $1"

INSERT_SESSION = """
insert into portal_session(id_hash, user_id, tenant_id, csrf_token, expires_at)
values ($1, $2, $3, $4, now() + make_interval(secs => $5))"""

GET_SESSION = f"""
select s.csrf_token, s.expires_at, {", ".join("u." + c for c in USER_COLUMNS.split(", "))}
  from portal_session s join portal_user u on u.id = s.user_id and u.tenant_id = s.tenant_id
 where s.id_hash = $1 and s.expires_at > now() and u.disabled_at is null"""

TOUCH_SESSION = "update portal_session set last_seen_at = now() where id_hash = $1"

DELETE_SESSION = "delete from portal_session where id_hash = $1 returning user_id, tenant_id"

DELETE_USER_SESSIONS = "delete from portal_session where user_id = $1"

PURGE_SESSIONS = "delete from portal_session where expires_at <= now()"


class UserError(ValueError):
    """A user that cannot be created as asked (unknown role, short password, email taken)."""


@dataclass(frozen=True)
class User:
    """A signed-in person: who, which tenant, which roles, and the session's CSRF token."""

    id: UUID
    tenant_id: UUID
    email: str
    display_name: str
    roles: tuple[str, ...]
    language: str | None
    csrf_token: str = ""

    @property
    def actor(self) -> str:
        """How the audit log names this person."""
        return f"user:{self.email}"

    def has(self, *roles: str) -> bool:
        """True when the user holds one of ``roles`` (admin holds every role)."""
        return "admin" in self.roles or bool(set(roles) & set(self.roles))


def _user(row: asyncpg.Record, csrf_token: str = "") -> User:
    return User(id=row["id"], tenant_id=row["tenant_id"], email=row["email"],
                display_name=row["display_name"], roles=tuple(row["roles"]),
                language=row["language"], csrf_token=csrf_token)


async def create_user(conn: asyncpg.Connection, *, tenant_id: UUID, email: str, password: str,
                      roles: list[str], display_name: str = "", actor: str) -> User:
    """A new user of ``tenant_id``; :class:`UserError` when the input cannot be accepted."""
    email = email.strip()
    if "@" not in email or len(email) > 320:
        raise UserError("an email address is required")
    unknown = sorted(set(roles) - set(security.ROLES))
    if unknown or not roles:
        raise UserError(f"roles must be among {security.ROLES}, got {roles}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"passwords have at least {MIN_PASSWORD_LENGTH} characters")
    async with conn.transaction():
        try:
            row = await conn.fetchrow(INSERT_USER, tenant_id, email,
                                      security.hash_secret(password), display_name, roles)
        except asyncpg.UniqueViolationError:
            raise UserError(f"a user with email {email!r} exists already") from None
        except asyncpg.ForeignKeyViolationError:
            raise UserError(f"no tenant {tenant_id}") from None
        await audit(conn, tenant_id=tenant_id, actor=actor, action="create",
                    object_type="portal_user", object_id=str(row["id"]),
                    detail={"email": email, "roles": roles})
    return _user(row)


async def authenticate(conn: asyncpg.Connection, email: str, password: str) -> User | None:
    """The user when email and password match and the user is enabled; else None.

    Unknown emails cost one Argon2 verification too, so timing does not tell which exist.
    """
    row = await conn.fetchrow(GET_USER_BY_EMAIL, email.strip())
    if row is None:
        security.verify_secret(security.DUMMY_HASH, password)
        return None
    if not security.verify_secret(row["password_hash"], password) or row["disabled_at"]:
        return None
    return _user(row)


async def set_password(conn: asyncpg.Connection, user_id: UUID, password: str) -> None:
    """Replace a user's password and end their sessions."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"passwords have at least {MIN_PASSWORD_LENGTH} characters")
    async with conn.transaction():
        await conn.execute(SET_PASSWORD, user_id, security.hash_secret(password))
        await conn.execute(DELETE_USER_SESSIONS, user_id)


async def start_session(conn: asyncpg.Connection, user: User, ttl_seconds: int) -> str:
    """Store a new session for ``user``; returns the session id for the cookie."""
    session_id = secrets.token_urlsafe(32)
    await conn.execute(INSERT_SESSION, security.token_digest(session_id), user.id,
                       user.tenant_id, secrets.token_urlsafe(32), float(ttl_seconds))
    return session_id


async def user_for_session(conn: asyncpg.Connection, session_id: str) -> User | None:
    """The enabled user behind an unexpired session, with the session's CSRF token."""
    digest = security.token_digest(session_id)
    row = await conn.fetchrow(GET_SESSION, digest)
    if row is None:
        return None
    await conn.execute(TOUCH_SESSION, digest)
    return _user(row, row["csrf_token"])


async def end_session(conn: asyncpg.Connection, session_id: str) -> None:
    """Delete the session (logout); nothing when it does not exist."""
    await conn.execute(DELETE_SESSION, security.token_digest(session_id))


async def purge_expired_sessions(conn: asyncpg.Connection) -> int:
    """Delete expired sessions; returns how many."""
    status = await conn.execute(PURGE_SESSIONS)
    return int(status.split()[-1])
