"""POST /v1/footprints (a job), GET /v1/jobs/{id}, GET /v1/footprints/{id}."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Request, Response

from service.auth.schemas import Principal
from service.auth.store import audit
from service.boms import store as bom_store
from service.deps import Conn, RequestId, require_roles
from service.errors import Conflict, NotFound
from service.footprints import store
from service.footprints.schemas import FootprintRequest, FootprintResultPublic, JobPublic
from service.jobs import dispatch
from service.jobs import store as job_store

router = APIRouter(tags=["footprints"])
Buyer = Annotated[Principal, Depends(require_roles("buyer"))]
Reader = Annotated[Principal, Depends(require_roles("buyer", "exporter"))]


async def _job_public(conn: Conn, tenant_id: UUID, job) -> JobPublic:
    result_id = await store.result_id_for_job(conn, tenant_id, job["id"])
    fields = dict(job)
    return JobPublic(**{k: v for k, v in fields.items() if k in JobPublic.model_fields},
                     result_id=result_id,
                     result_url=f"/v1/footprints/{result_id}" if result_id else None)


@router.post("/v1/footprints", status_code=202, response_model=JobPublic,
             operation_id="footprints-create",
             responses={409: {"description": "Idempotency-Key reused with another body"}})
async def create_footprint(body: FootprintRequest, principal: Buyer, conn: Conn,
                           request: Request, response: Response, request_id: RequestId,
                           idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
                           ) -> JobPublic:
    """Accept a footprint calculation as a job (202 + Location of the job)."""
    if await bom_store.get_revision(conn, principal.tenant_id, body.bom_revision_id) is None:
        raise NotFound("no such BOM revision")
    payload = body.model_dump(mode="json")
    async with conn.transaction():
        job, created = await job_store.create_job(
            conn, tenant_id=principal.tenant_id, kind="footprint", request=payload,
            idempotency_key=idempotency_key)
        if not created and job["request"] != payload:
            raise Conflict("this Idempotency-Key was used with another request")
        if created:
            await audit(conn, tenant_id=principal.tenant_id, actor=principal.actor,
                        action="create", object_type="job", object_id=str(job["id"]),
                        detail={"kind": "footprint"}, request_id=request_id)
    if created:
        await dispatch.send(request.app.state.celery, job["id"])
    response.headers["Location"] = f"/v1/jobs/{job['id']}"
    return await _job_public(conn, principal.tenant_id, job)


@router.get("/v1/jobs/{job_id}", response_model=JobPublic, operation_id="jobs-get")
async def get_job(job_id: UUID, principal: Reader, conn: Conn) -> JobPublic:
    """A job's state, progress and, once done, where its result is."""
    job = await job_store.get_job(conn, principal.tenant_id, job_id)
    if job is None:
        raise NotFound("no such job")
    return await _job_public(conn, principal.tenant_id, job)


@router.get("/v1/footprints/{result_id}", response_model=FootprintResultPublic,
            operation_id="footprints-get")
async def get_footprint(result_id: UUID, principal: Reader, conn: Conn) -> FootprintResultPublic:
    """An immutable footprint result."""
    row = await store.get_result(conn, principal.tenant_id, result_id)
    if row is None:
        raise NotFound("no such footprint")
    return FootprintResultPublic(**dict(row))
