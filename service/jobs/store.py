"""SQL for jobs: create (idempotently), claim with a lease, heartbeat, finish, reap.

A job is *claimed* by one attempt at a time: the claim bumps ``attempts`` and
sets a lease; the attempt number is a fencing token that every later write
checks, so an attempt whose lease ran out (its worker presumed dead) can no
longer write, and a result is stored exactly once.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

JOB_COLUMNS = """id, tenant_id, kind, state, progress, request, attempts, created_at, started_at,
                 finished_at, error, output"""

INSERT_JOB = f"""
insert into job(tenant_id, kind, request, idempotency_key) values ($1, $2, $3, $4)
on conflict (tenant_id, idempotency_key) do nothing
returning {JOB_COLUMNS}"""

GET_JOB_BY_KEY = f"select {JOB_COLUMNS} from job where tenant_id = $1 and idempotency_key = $2"

GET_JOB = f"select {JOB_COLUMNS} from job where tenant_id = $1 and id = $2"

GET_JOB_ANY_TENANT = f"select {JOB_COLUMNS} from job where id = $1"

CLAIM_JOB = """
update job set state = 'running', attempts = attempts + 1,
               lease_expires_at = now() + make_interval(secs => $2),
               started_at = coalesce(started_at, now()), error = null
 where id = $1
   and (state = 'queued' or (state = 'running' and lease_expires_at < now()))
   and attempts < $3
returning attempts"""

HEARTBEAT = """
update job set lease_expires_at = now() + make_interval(secs => $3),
               progress = greatest(progress, $4)
 where id = $1 and attempts = $2 and state = 'running'"""

FINISH_JOB = """
update job set state = $3, progress = case when $3 = 'succeeded' then 100 else progress end,
               finished_at = now(), lease_expires_at = null, error = $4, output = $5
 where id = $1 and attempts = $2 and state = 'running'"""

REQUEUE_JOB = """
update job set state = 'queued', enqueued_at = now(), lease_expires_at = null, error = $3
 where id = $1 and attempts = $2 and state = 'running'"""

REAP = """
update job set enqueued_at = now()
 where state in ('queued', 'running')
   and enqueued_at < now() - make_interval(secs => $1)
   and (state = 'queued' or lease_expires_at < now())
   and attempts < $2
returning id"""

FAIL_EXHAUSTED = """
update job set state = 'failed', finished_at = now(), lease_expires_at = null,
               error = 'the job was interrupted too many times'
 where state = 'running' and lease_expires_at < now() and attempts >= $1
returning id"""


async def create_job(conn: asyncpg.Connection, *, tenant_id: UUID, kind: str,
                     request: dict[str, Any],
                     idempotency_key: str | None) -> tuple[asyncpg.Record, bool]:
    """A new queued job, or the existing one with the same idempotency key (created=False)."""
    row = await conn.fetchrow(INSERT_JOB, tenant_id, kind, request, idempotency_key)
    if row is not None:
        return row, True
    return await conn.fetchrow(GET_JOB_BY_KEY, tenant_id, idempotency_key), False


async def get_job(conn: asyncpg.Connection, tenant_id: UUID, job_id: UUID) -> asyncpg.Record | None:
    """The tenant's job, or None."""
    return await conn.fetchrow(GET_JOB, tenant_id, job_id)


async def get_job_for_worker(conn: asyncpg.Connection, job_id: UUID) -> asyncpg.Record | None:
    """A job by id alone: only workers, which act for the job's own tenant, use this."""
    return await conn.fetchrow(GET_JOB_ANY_TENANT, job_id)


async def claim(conn: asyncpg.Connection, job_id: UUID, *, lease_seconds: float,
                max_attempts: int) -> int | None:
    """Claim a job for one attempt; returns the attempt number, or None if not claimable."""
    return await conn.fetchval(CLAIM_JOB, job_id, lease_seconds, max_attempts)


async def heartbeat(conn: asyncpg.Connection, job_id: UUID, attempt: int, *,
                    lease_seconds: float, progress: int) -> bool:
    """Extend the lease and record progress; False when this attempt lost the job."""
    status = await conn.execute(HEARTBEAT, job_id, attempt, lease_seconds, progress)
    return status.endswith(" 1")


async def finish(conn: asyncpg.Connection, job_id: UUID, attempt: int, *, state: str,
                 error: str | None = None, output: dict[str, Any] | None = None) -> bool:
    """Mark the attempt's job succeeded or failed; False when this attempt lost the job."""
    status = await conn.execute(FINISH_JOB, job_id, attempt, state, error, output)
    return status.endswith(" 1")


async def requeue(conn: asyncpg.Connection, job_id: UUID, attempt: int, *, error: str) -> bool:
    """Put the job back in the queue after a transient failure of this attempt."""
    status = await conn.execute(REQUEUE_JOB, job_id, attempt, error)
    return status.endswith(" 1")


async def reap(conn: asyncpg.Connection, *, requeue_after_seconds: float,
               max_attempts: int) -> list[UUID]:
    """Jobs to send again: queued too long, or running with an expired lease."""
    async with conn.transaction():
        await conn.fetch(FAIL_EXHAUSTED, max_attempts)
        return [r["id"] for r in await conn.fetch(REAP, requeue_after_seconds, max_attempts)]
