"""Products and BOMs: create by JSON or file upload, read back with the explosion."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, File, Query, Response, UploadFile, status

from connectors.bom import validate_rows
from connectors.bom_table import read_table
from service.auth.schemas import Principal
from service.auth.store import audit
from service.boms import store
from service.boms.schemas import (
    BomCreate,
    BomRevisionPublic,
    ProductCreate,
    ProductPublic,
)
from service.deps import Conn, RequestId, SettingsDep, require_roles
from service.errors import Conflict, NotFound, PayloadTooLarge

router = APIRouter(tags=["boms"])
Reader = Annotated[Principal, Depends(require_roles("buyer", "exporter"))]
Writer = Annotated[Principal, Depends(require_roles("buyer"))]


async def valid_product(product_id: UUID, principal: Reader, conn: Conn):
    """The caller's product or 404 (also for other tenants' products)."""
    product = await store.get_product(conn, principal.tenant_id, product_id)
    if product is None:
        raise NotFound("no such product")
    return product


@router.post("/v1/products", status_code=201, response_model=ProductPublic,
             operation_id="products-create")
async def create_product(body: ProductCreate, principal: Writer, conn: Conn,
                         request_id: RequestId) -> ProductPublic:
    """Create a product (part numbers are unique per tenant)."""
    async with conn.transaction():
        row = await store.create_product(conn, tenant_id=principal.tenant_id,
                                         part_number=body.part_number, name=body.name,
                                         unit=body.unit)
        if row is None:
            raise Conflict(f"part number {body.part_number!r} exists already")
        await audit(conn, tenant_id=principal.tenant_id, actor=principal.actor, action="create",
                    object_type="product", object_id=str(row["id"]), request_id=request_id)
    return ProductPublic(**dict(row))


@router.get("/v1/products", response_model=list[ProductPublic], operation_id="products-list")
async def list_products(principal: Reader, conn: Conn,
                        limit: Annotated[int, Query(ge=1, le=500)] = 100,
                        offset: Annotated[int, Query(ge=0)] = 0) -> list[ProductPublic]:
    """The tenant's products."""
    rows = await store.list_products(conn, principal.tenant_id, limit=limit, offset=offset)
    return [ProductPublic(**dict(r)) for r in rows]


@router.get("/v1/products/{product_id}", response_model=ProductPublic,
            operation_id="products-get")
async def get_product(product=Depends(valid_product)) -> ProductPublic:  # noqa: B008
    """One product."""
    return ProductPublic(**dict(product))


async def _store_bom(conn: Conn, principal: Principal, product_id: UUID, rows, max_lines: int,
                     source: str, request_id: str | None, response: Response) -> BomRevisionPublic:
    bom = validate_rows(rows, max_lines=max_lines)
    async with conn.transaction():
        row, created = await store.insert_revision(conn, tenant_id=principal.tenant_id,
                                                   product_id=product_id, bom=bom, source=source)
        if created:
            await audit(conn, tenant_id=principal.tenant_id, actor=principal.actor,
                        action="create", object_type="bom_revision", object_id=str(row["id"]),
                        detail={"bom_revision_hash": bom.revision_hash, "source": source},
                        request_id=request_id)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    response.headers["Location"] = f"/v1/bom-revisions/{row['id']}"
    return BomRevisionPublic(**dict(row), created=created)


@router.post("/v1/products/{product_id}/boms", response_model=BomRevisionPublic,
             status_code=201, operation_id="boms-create",
             responses={200: {"description": "identical revision existed"},
                        422: {"description": "BOM refused; problems listed by row and field"}})
async def create_bom(body: BomCreate, principal: Writer, conn: Conn, settings: SettingsDep,
                     request_id: RequestId, response: Response,
                     product=Depends(valid_product)) -> BomRevisionPublic:  # noqa: B008
    """Submit a BOM revision as JSON."""
    rows = [(i, line.model_dump()) for i, line in enumerate(body.lines, start=1)]
    return await _store_bom(conn, principal, product["id"], rows, settings.max_bom_lines,
                            "json", request_id, response)


@router.post("/v1/products/{product_id}/boms/upload", response_model=BomRevisionPublic,
             status_code=201, operation_id="boms-upload",
             responses={200: {"description": "identical revision existed"},
                        413: {"description": "file over the size limit"},
                        422: {"description": "BOM refused; problems listed by row and field"}})
async def upload_bom(file: Annotated[UploadFile, File(description="CSV or XLSX")],
                     principal: Writer, conn: Conn, settings: SettingsDep,
                     request_id: RequestId, response: Response,
                     product=Depends(valid_product)) -> BomRevisionPublic:  # noqa: B008
    """Submit a BOM revision as a CSV or XLSX file."""
    content = await file.read(settings.max_upload_bytes + 1)
    if len(content) > settings.max_upload_bytes:
        raise PayloadTooLarge(f"files are limited to {settings.max_upload_bytes} bytes")
    rows = read_table(file.filename or "", content)
    return await _store_bom(conn, principal, product["id"], rows, settings.max_bom_lines,
                            f"upload:{(file.filename or '')[:200]}", request_id, response)


@router.get("/v1/products/{product_id}/boms", response_model=list[BomRevisionPublic],
            operation_id="boms-list")
async def list_boms(principal: Reader, conn: Conn,
                    product=Depends(valid_product)) -> list[BomRevisionPublic]:  # noqa: B008
    """A product's revisions."""
    rows = await store.list_revisions(conn, principal.tenant_id, product["id"])
    return [BomRevisionPublic(**dict(r), created=False) for r in rows]


@router.get("/v1/bom-revisions/{revision_id}", response_model=BomRevisionPublic,
            operation_id="bom-revisions-get")
async def get_revision(revision_id: UUID, principal: Reader, conn: Conn) -> BomRevisionPublic:
    """A revision with its lines and explosion (leaf amounts per unit of product)."""
    row = await store.get_revision(conn, principal.tenant_id, revision_id)
    if row is None:
        raise NotFound("no such BOM revision")
    lines = await store.get_lines(conn, row["id"])
    return BomRevisionPublic(**dict(row), created=False, lines=lines)
