"""GET /v1/jobs/{id}: state, progress and output of any job of the tenant."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends

from service.auth.schemas import Principal
from service.deps import Conn, require_roles
from service.errors import NotFound
from service.jobs import service, store
from service.jobs.schemas import JobPublic

router = APIRouter(tags=["jobs"])
Reader = Annotated[Principal, Depends(require_roles("buyer", "exporter", "supplier"))]


@router.get("/v1/jobs/{job_id}", response_model=JobPublic, operation_id="jobs-get")
async def get_job(job_id: UUID, principal: Reader, conn: Conn) -> JobPublic:
    """A job's state, progress and, once done, its output or where its result is."""
    job = await store.get_job(conn, principal.tenant_id, job_id)
    if job is None:
        raise NotFound("no such job")
    return await service.public(conn, principal.tenant_id, job)
