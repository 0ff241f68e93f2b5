"""Measures (POST/GET /v1/measures) and co-control scenarios (POST/GET /v1/scenarios)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from service.auth.schemas import Principal
from service.auth.store import audit
from service.boms import store as bom_store
from service.deps import Conn, RequestId, require_roles
from service.errors import NotFound
from service.footprints import store as footprint_store
from service.jobs import service as job_service
from service.jobs import store as job_store
from service.jobs.schemas import JobPublic
from service.measures import store
from service.measures.schemas import (
    MeasureCreate,
    MeasurePublic,
    ScenarioPublic,
    ScenarioRequest,
)

router = APIRouter(tags=["co-control"])
Buyer = Annotated[Principal, Depends(require_roles("buyer"))]
SCENARIO = "scenario"


def _public(row: Any) -> MeasurePublic:
    return MeasurePublic(**dict(row))


@router.post("/v1/measures", status_code=201, response_model=MeasurePublic,
             operation_id="measures-create")
async def create_measure(body: MeasureCreate, principal: Buyer, conn: Conn,
                         request_id: RequestId) -> MeasurePublic:
    """Store a measure; a name already used for the product gets the next version."""
    if await bom_store.get_product(conn, principal.tenant_id, body.product_id) is None:
        raise NotFound("no such product")
    async with conn.transaction():
        row = await store.insert(conn, principal.tenant_id, body)
        await audit(conn, tenant_id=principal.tenant_id, actor=principal.actor, action="create",
                    object_type="measure", object_id=str(row["id"]),
                    detail={"name": body.name, "version": row["version"]},
                    request_id=request_id)
    return _public(row)


@router.get("/v1/measures", response_model=list[MeasurePublic], operation_id="measures-list")
async def list_measures(principal: Buyer, conn: Conn, product_id: UUID | None = None,
                        limit: Annotated[int, Query(ge=1, le=500)] = 100,
                        offset: Annotated[int, Query(ge=0)] = 0) -> list[MeasurePublic]:
    """The tenant's measures (of one product if given), newest first."""
    rows = await store.list_measures(conn, principal.tenant_id, product_id=product_id,
                                     limit=limit, offset=offset)
    return [_public(r) for r in rows]


@router.get("/v1/measures/{measure_id}", response_model=MeasurePublic,
            operation_id="measures-get")
async def get_measure(measure_id: UUID, principal: Buyer, conn: Conn) -> MeasurePublic:
    """One measure."""
    row = await store.get(conn, principal.tenant_id, measure_id)
    if row is None:
        raise NotFound("no such measure")
    return _public(row)


@router.post("/v1/scenarios", status_code=202, response_model=JobPublic,
             operation_id="scenarios-create",
             responses={409: {"description": "Idempotency-Key reused with another body"}})
async def create_scenario(body: ScenarioRequest, principal: Buyer, conn: Conn,
                          request: Request, response: Response, request_id: RequestId,
                          idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
                          ) -> JobPublic:
    """Evaluate measures (and optionally choose a portfolio) against a baseline, as a job."""
    if await footprint_store.get_result(conn, principal.tenant_id,
                                        body.baseline_result_id) is None:
        raise NotFound("no such footprint result")
    found = await store.get_many(conn, principal.tenant_id, body.measure_ids)
    if len(found) != len(set(body.measure_ids)):
        raise NotFound("no such measure")
    return await job_service.accept(conn, request.app.state.celery, principal, kind=SCENARIO,
                                    request=body.model_dump(mode="json"),
                                    idempotency_key=idempotency_key, request_id=request_id,
                                    response=response)


@router.get("/v1/scenarios/{scenario_id}", response_model=ScenarioPublic,
            operation_id="scenarios-get")
async def get_scenario(scenario_id: UUID, principal: Buyer, conn: Conn) -> ScenarioPublic:
    """A scenario job: state, and once succeeded its result."""
    job = await job_store.get_job(conn, principal.tenant_id, scenario_id)
    if job is None or job["kind"] != SCENARIO:
        raise NotFound("no such scenario")
    return ScenarioPublic(id=job["id"], state=job["state"], progress=job["progress"],
                          created_at=job["created_at"], finished_at=job["finished_at"],
                          error=job["error"], request=job["request"],
                          result=job["output"] if job["state"] == "succeeded" else None)
