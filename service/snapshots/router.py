"""Snapshots: list, read, search their datasets, read import reports; start imports."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Header, Query, Request, Response, UploadFile

from service.auth.schemas import Principal
from service.deps import Conn, RequestId, SettingsDep, require_roles
from service.errors import NotFound, PayloadTooLarge
from service.jobs import service as job_service
from service.jobs.schemas import JobPublic
from service.snapshots import cache, store
from service.snapshots.schemas import ActivityPublic, ImportRequest, SnapshotPublic, scope_of
from service.snapshots.uploads import check_upload, safe_filename, store_upload

router = APIRouter(tags=["snapshots"])
Reader = Annotated[Principal, Depends(require_roles("buyer", "supplier", "exporter"))]
Admin = Annotated[Principal, Depends(require_roles("admin"))]


def _public(row: Any) -> SnapshotPublic:
    fields = {k: v for k, v in dict(row).items() if k in SnapshotPublic.model_fields}
    return SnapshotPublic(**fields, scope=scope_of(row["tenant_id"]))


@router.get("/v1/snapshots", response_model=list[SnapshotPublic], operation_id="snapshots-list")
async def list_snapshots(principal: Reader, conn: Conn) -> list[SnapshotPublic]:
    """Snapshots this tenant may calculate with: the operator's and its own."""
    return [_public(r) for r in await store.list_snapshots(conn, principal.tenant_id)]


@router.get("/v1/snapshots/{snapshot_hash}", response_model=SnapshotPublic,
            operation_id="snapshots-get")
async def get_snapshot(snapshot_hash: str, principal: Reader, conn: Conn) -> SnapshotPublic:
    """One snapshot."""
    row = await store.get_snapshot(conn, principal.tenant_id, snapshot_hash)
    if row is None:
        raise NotFound("no such snapshot")
    return _public(row)


@router.get("/v1/snapshots/{snapshot_hash}/report", operation_id="snapshots-report")
async def get_report(snapshot_hash: str, principal: Reader, conn: Conn) -> dict[str, Any]:
    """The import report behind a snapshot: counts, shares, unlinked flows, data issues."""
    report = await store.get_report(conn, principal.tenant_id, snapshot_hash)
    if report is None:
        raise NotFound("no such snapshot")
    return report


@router.get("/v1/snapshots/{snapshot_hash}/activities", response_model=list[ActivityPublic],
            operation_id="snapshots-activities")
async def search_activities(
        snapshot_hash: str, principal: Reader, conn: Conn, settings: SettingsDep,
        q: Annotated[str | None, Query(max_length=200, description="words in the name")] = None,
        location: Annotated[str | None, Query(max_length=50)] = None,
        unit: Annotated[str | None, Query(max_length=50)] = None,
        classification: Annotated[str | None, Query(max_length=200)] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0) -> list[ActivityPublic]:
    """Search a snapshot's datasets (name in English or Chinese, location, unit,
    classification) to find what a BOM line should link to."""
    if await store.get_snapshot(conn, principal.tenant_id, snapshot_hash) is None:
        raise NotFound("no such snapshot")
    snapshot, _ = await cache.load(conn, snapshot_hash, settings.data_dir / "snapshots")
    words = (q or "").casefold().split()
    found = []
    for activity in snapshot.activities:
        text = " ".join((activity.name, activity.reference_product or "",
                         activity.name_zh or "")).casefold()
        if words and not all(w in text for w in words):
            continue
        if location and (activity.location or "").casefold() != location.casefold():
            continue
        if unit and (activity.unit or "").casefold() != unit.casefold():
            continue
        if classification and classification.casefold() not in (
                activity.classification or "").casefold():
            continue
        found.append(activity)
    return [ActivityPublic(database=a.database, code=a.code, name=a.name,
                           reference_product=a.reference_product, location=a.location,
                           unit=a.unit, name_zh=a.name_zh, classification=a.classification,
                           link_hint=f"{a.database}:{a.code}",
                           has_cutoff=a.has_cutoff)
            for a in found[offset:offset + limit]]


@router.post("/v1/imports", status_code=202, response_model=JobPublic,
             operation_id="imports-create")
async def create_import(body: ImportRequest, principal: Admin, conn: Conn, request: Request,
                        response: Response, request_id: RequestId,
                        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
                        ) -> JobPublic:
    """Import a bundled database into a new snapshot of this tenant, as a job with progress."""
    return await job_service.accept(conn, request.app.state.celery, principal,
                                    kind="import_database", request=body.model_dump(),
                                    idempotency_key=idempotency_key, request_id=request_id,
                                    response=response)


@router.post("/v1/imports/upload", status_code=202, response_model=JobPublic,
             operation_id="imports-upload",
             responses={413: {"description": "file over the import size limit"},
                        422: {"description": "not a file the chosen importer reads"}})
async def upload_import(
        principal: Admin, conn: Conn, request: Request, response: Response,
        request_id: RequestId, settings: SettingsDep,
        file: Annotated[UploadFile, File(description="tabular .csv/.xlsx or ecoSpold2 .zip")],
        source: Annotated[Literal["tabular", "ecospold2"], Form()],
        name: Annotated[str | None, Form(max_length=200)] = None,
        max_unlinked_share: Annotated[float, Form(gt=0, le=1)] = 0.05,
        ) -> JobPublic:
    """Import your own database (bw2io tabular format, or ecoSpold2 datasets you hold a
    licence for) into a new snapshot of this tenant, as a job with progress."""
    content = await file.read(settings.max_import_bytes + 1)
    if len(content) > settings.max_import_bytes:
        raise PayloadTooLarge(f"imports are limited to {settings.max_import_bytes} bytes")
    filename = safe_filename(file.filename or "upload")
    check_upload(source, filename, content)
    async with conn.transaction():
        upload_id = await store_upload(conn, principal.tenant_id, filename, content)
    database_name = "user_" + safe_filename(filename.rsplit(".", 1)[0]).lower()[:60]
    return await job_service.accept(
        conn, request.app.state.celery, principal, kind="import_database",
        request={"source": source, "upload_id": str(upload_id), "name": name or filename,
                 "max_unlinked_share": max_unlinked_share, "database_name": database_name},
        idempotency_key=None, request_id=request_id, response=response)
