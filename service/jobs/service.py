"""Accepting work: a job row (idempotent per key), an audit line, then the broker."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
from celery import Celery
from fastapi import Response

from service.auth.schemas import Principal
from service.auth.store import audit
from service.errors import Conflict
from service.jobs import dispatch, store
from service.jobs.schemas import JobPublic
from service.metrics import JOBS_ACCEPTED

RESULT_FOR_JOB = "select id from footprint_result where tenant_id = $1 and job_id = $2"


async def public(conn: asyncpg.Connection, tenant_id: UUID, job: asyncpg.Record) -> JobPublic:
    """A job row as the API shows it, with where its footprint result is, if any."""
    result_id = await conn.fetchval(RESULT_FOR_JOB, tenant_id, job["id"])
    fields = {k: v for k, v in dict(job).items() if k in JobPublic.model_fields}
    return JobPublic(**fields, result_id=result_id,
                     result_url=f"/v1/footprints/{result_id}" if result_id else None)


async def accept(conn: asyncpg.Connection, celery: Celery, principal: Principal, *, kind: str,
                 request: dict[str, Any], idempotency_key: str | None,
                 request_id: str | None, response: Response) -> JobPublic:
    """Store a job and send it; a repeated Idempotency-Key returns the first job."""
    async with conn.transaction():
        job, created = await store.create_job(conn, tenant_id=principal.tenant_id, kind=kind,
                                              request=request, idempotency_key=idempotency_key)
        if not created and (job["request"] != request or job["kind"] != kind):
            raise Conflict("this Idempotency-Key was used with another request")
        if created:
            await audit(conn, tenant_id=principal.tenant_id, actor=principal.actor,
                        action="create", object_type="job", object_id=str(job["id"]),
                        detail={"kind": kind}, request_id=request_id)
    if created:
        JOBS_ACCEPTED.labels(kind).inc()
        await dispatch.send(celery, job["id"])
    response.status_code = 202
    response.headers["Location"] = f"/v1/jobs/{job['id']}"
    return await public(conn, principal.tenant_id, job)
