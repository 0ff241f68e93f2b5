"""POST /v1/footprints (a job) and GET /v1/footprints/{id} (an immutable result)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Request, Response

from service.auth.schemas import Principal
from service.boms import store as bom_store
from service.deps import Conn, RequestId, require_roles
from service.errors import NotFound
from service.footprints import store
from service.footprints.schemas import FootprintRequest, FootprintResultPublic
from service.jobs import service as job_service
from service.jobs.schemas import JobPublic

router = APIRouter(tags=["footprints"])
Buyer = Annotated[Principal, Depends(require_roles("buyer"))]
Reader = Annotated[Principal, Depends(require_roles("buyer", "exporter"))]


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
    return await job_service.accept(conn, request.app.state.celery, principal, kind="footprint",
                                    request=body.model_dump(mode="json"),
                                    idempotency_key=idempotency_key, request_id=request_id,
                                    response=response)


@router.get("/v1/footprints/{result_id}", response_model=FootprintResultPublic,
            operation_id="footprints-get")
async def get_footprint(result_id: UUID, principal: Reader, conn: Conn) -> FootprintResultPublic:
    """An immutable footprint result."""
    row = await store.get_result(conn, principal.tenant_id, result_id)
    if row is None:
        raise NotFound("no such footprint")
    return FootprintResultPublic(**dict(row))
