"""Primary data: a supplier process or declared footprint that BOM lines can link to."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from service.auth.schemas import Principal
from service.auth.store import audit
from service.deps import Conn, RequestId, require_roles
from service.errors import NotFound
from service.primary import store
from service.primary.schemas import PrimaryDataCreate, PrimaryDataPublic

router = APIRouter(tags=["primary data"])
Owner = Annotated[Principal, Depends(require_roles("buyer", "supplier"))]


def _public(row: Any) -> PrimaryDataPublic:
    return PrimaryDataPublic(**dict(row), link_hint=f"primary:{row['id']}")


@router.post("/v1/primary-data", status_code=201, response_model=PrimaryDataPublic,
             operation_id="primary-data-create")
async def create(body: PrimaryDataCreate, principal: Owner, conn: Conn,
                 request_id: RequestId) -> PrimaryDataPublic:
    """Store a record; put its ``link_hint`` on BOM lines to use it."""
    async with conn.transaction():
        row = await store.insert(conn, principal.tenant_id, body)
        await audit(conn, tenant_id=principal.tenant_id, actor=principal.actor, action="create",
                    object_type="primary_data", object_id=str(row["id"]),
                    detail={"kind": body.kind}, request_id=request_id)
    return _public(row)


@router.get("/v1/primary-data", response_model=list[PrimaryDataPublic],
            operation_id="primary-data-list")
async def list_records(principal: Owner, conn: Conn,
                       limit: Annotated[int, Query(ge=1, le=500)] = 100,
                       offset: Annotated[int, Query(ge=0)] = 0) -> list[PrimaryDataPublic]:
    """The tenant's records."""
    rows = await store.list_records(conn, principal.tenant_id, limit=limit, offset=offset)
    return [_public(r) for r in rows]


@router.get("/v1/primary-data/{record_id}", response_model=PrimaryDataPublic,
            operation_id="primary-data-get")
async def get(record_id: UUID, principal: Owner, conn: Conn) -> PrimaryDataPublic:
    """One record."""
    row = await store.get(conn, principal.tenant_id, record_id)
    if row is None:
        raise NotFound("no such primary data")
    return _public(row)
