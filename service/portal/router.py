"""The portal's pages under ``/portal``: sign-in, buyers' products, BOMs and footprints,
suppliers' primary data, exporters' files.

Each route reads and writes through the domain stores with the signed-in user's tenant, and
admits the same roles as the matching API route (admin always passes). Objects of other
tenants are 404, as in the API.
"""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from pydantic import ValidationError

from connectors import certificate as certificate_connector
from connectors.bom import validate_rows
from connectors.bom_table import read_table
from connectors.errors import ConnectorError
from service.auth.store import audit
from service.boms import store as bom_store
from service.boms.schemas import ProductCreate
from service.certificates import router as certificate_routes
from service.certificates import store as certificate_store
from service.compliance import router as compliance_routes
from service.compliance.schemas import BatteryDeclarationRequest
from service.deps import Conn, SettingsDep
from service.errors import InvalidInput, NotFound
from service.footprints import store as footprint_store
from service.footprints.schemas import FootprintRequest
from service.jobs import service as job_service
from service.jobs import store as job_store
from service.portal import cocontrol_pages, store, supplier_data, users, views
from service.portal.settings import get_portal_settings
from service.portal.web import (
    FEATURES,
    HERE,
    LOGIN_CSRF_COOKIE,
    PREFIX,
    SECURITY_HEADERS,
    SESSION_COOKIE,
    CheckedUser,
    CurrentUser,
    PortalRoute,
    check_login_csrf,
    checked_role,
    delete_cookie,
    login_csrf,
    principal,
    redirect,
    render,
    role,
    safe_next,
    set_cookie,
)
from service.primary import store as primary_store

logger = logging.getLogger(__name__)

router = APIRouter(prefix=PREFIX, route_class=PortalRoute, include_in_schema=False)

try:  # supplier data requests, when the service has them
    from service.portal import requests_pages
except ImportError:  # pragma: no cover - a service without service.requests
    requests_pages = None  # type: ignore[assignment]
else:
    FEATURES["requests"] = True

Buyer = Annotated[users.User, Depends(role("buyer"))]
BuyerPost = Annotated[users.User, Depends(checked_role("buyer"))]
Reader = Annotated[users.User, Depends(role("buyer", "exporter"))]
Supplier = Annotated[users.User, Depends(role("supplier", "buyer"))]
SupplierPost = Annotated[users.User, Depends(checked_role("supplier", "buyer"))]
Exporter = Annotated[users.User, Depends(role("exporter", "buyer"))]
ExporterPost = Annotated[users.User, Depends(checked_role("exporter", "buyer"))]
JobReader = Annotated[users.User, Depends(role("buyer", "exporter", "supplier"))]

STATIC_FILES = {"portal.css": "text/css", "portal.js": "text/javascript",
                "favicon.svg": "image/svg+xml"}


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


# -- static, sign-in, home ----------------------------------------------------------------


@router.get("/static/{name}")
async def static(name: str) -> Response:
    """The portal's own CSS, script and icon (nothing is fetched from elsewhere)."""
    if name not in STATIC_FILES:
        raise NotFound("no such file")
    return FileResponse(HERE / "static" / name, media_type=STATIC_FILES[name],
                        headers={"Cache-Control": "public, max-age=3600",
                                 "X-Content-Type-Options": "nosniff"})


@router.get("/login")
async def login_form(request: Request, next: str | None = None) -> Response:
    """The sign-in form."""
    token = login_csrf(request)
    response = render(request, "login.html", {"login_token": token, "next": safe_next(next)})
    set_cookie(response, request, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


@router.post("/login", dependencies=[Depends(check_login_csrf)])
async def login(request: Request, conn: Conn, email: Annotated[str, Form(max_length=320)],
                password: Annotated[str, Form(max_length=1000)],
                next: Annotated[str | None, Form()] = None) -> Response:
    """Check email and password; on success start a new session (a fresh id each time)."""
    user = await users.authenticate(conn, email, password)
    if user is None:
        token = login_csrf(request)
        response = render(request, "login.html", {"login_token": token, "next": safe_next(next),
                                                  "failed": True, "email": email},
                          status_code=401)
        set_cookie(response, request, LOGIN_CSRF_COOKIE, token, max_age=3600)
        return response
    ttl = get_portal_settings().session_ttl_seconds
    await users.purge_expired_sessions(conn)
    session_id = await users.start_session(conn, user, ttl)
    await audit(conn, tenant_id=user.tenant_id, actor=user.actor, action="sign-in",
                object_type="portal_user", object_id=str(user.id), request_id=_request_id(request))
    response = redirect(safe_next(next))
    set_cookie(response, request, SESSION_COOKIE, session_id, max_age=ttl)
    delete_cookie(response, request, LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
async def logout(request: Request, conn: Conn, user: CheckedUser) -> Response:
    """End the session on the server and drop the cookie."""
    await users.end_session(conn, request.cookies.get(SESSION_COOKIE, ""))
    await audit(conn, tenant_id=user.tenant_id, actor=user.actor, action="sign-out",
                object_type="portal_user", object_id=str(user.id), request_id=_request_id(request))
    response = redirect(f"{PREFIX}/login")
    delete_cookie(response, request, SESSION_COOKIE)
    return response


@router.get("/")
async def home(request: Request, user: CurrentUser) -> Response:
    """The first page a role works on."""
    if user.has("buyer"):
        return redirect(f"{PREFIX}/products")
    if user.has("supplier"):
        return redirect(f"{PREFIX}/supplier")
    if user.has("exporter"):
        return redirect(f"{PREFIX}/exports")
    return render(request, "home.html")


# -- buyers: products, BOMs, footprints ---------------------------------------------------


async def _product_page(request: Request, conn: Conn, user: users.User, product: Any, *,
                        upload: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    revisions = await bom_store.list_revisions(conn, user.tenant_id, product["id"])
    results = await store.list_results_for_product(conn, user.tenant_id, product["id"])
    running = await store.list_running_jobs_for_product(conn, user.tenant_id, product["id"])
    sent = (await requests_pages.sent_requests(conn, user, product_id=product["id"])
            if requests_pages is not None else [])
    return render(request, "product.html", {
        "product": product, "revisions": list(reversed(revisions)), "results": results,
        "running": running, "upload": upload, "sent_requests": sent,
        "uploaded": request.query_params.get("uploaded")}, status_code=status_code)


async def _own_product(conn: Conn, user: users.User, product_id: UUID) -> Any:
    product = await bom_store.get_product(conn, user.tenant_id, product_id)
    if product is None:
        raise NotFound("no such product")
    return product


@router.get("/products")
async def products(request: Request, conn: Conn, user: Reader) -> Response:
    """The tenant's products, and a form to add one."""
    rows = await bom_store.list_products(conn, user.tenant_id, limit=500, offset=0)
    return render(request, "products.html", {"products": rows, "form": {}, "errors": {}})


@router.post("/products")
async def create_product(request: Request, conn: Conn, user: BuyerPost,
                         part_number: Annotated[str, Form()] = "",
                         name: Annotated[str, Form()] = "",
                         unit: Annotated[str, Form()] = "piece") -> Response:
    """Add a product; problems are shown on the form's fields."""
    form = {"part_number": part_number.strip(), "name": name.strip(),
            "unit": unit.strip() or "piece"}
    errors: dict[str, str] = {}
    try:
        body = ProductCreate(**form)
    except ValidationError as exc:
        errors = {str(e["loc"][0]): e["msg"] for e in exc.errors()}
    else:
        async with conn.transaction():
            row = await bom_store.create_product(conn, tenant_id=user.tenant_id,
                                                 part_number=body.part_number, name=body.name,
                                                 unit=body.unit)
            if row is not None:
                await audit(conn, tenant_id=user.tenant_id, actor=user.actor, action="create",
                            object_type="product", object_id=str(row["id"]),
                            request_id=_request_id(request))
                return redirect(f"{PREFIX}/products/{row['id']}")
        errors = {"part_number": "duplicate"}
    rows = await bom_store.list_products(conn, user.tenant_id, limit=500, offset=0)
    return render(request, "products.html", {"products": rows, "form": form, "errors": errors},
                  status_code=422)


@router.get("/products/{product_id}")
async def product_page(product_id: UUID, request: Request, conn: Conn,
                       user: Reader) -> Response:
    """A product: its BOM revisions, upload form, footprint results and running jobs."""
    return await _product_page(request, conn, user, await _own_product(conn, user, product_id))


@router.post("/products/{product_id}/boms")
async def upload_bom(product_id: UUID, request: Request, conn: Conn, settings: SettingsDep,
                     user: BuyerPost, file: Annotated[UploadFile, File()]) -> Response:
    """Upload a CSV/XLSX BOM; refused files come back with each problem on its row and field."""
    product = await _own_product(conn, user, product_id)
    filename = (file.filename or "")[:200]
    content = await file.read(settings.max_upload_bytes + 1)
    rows: list[tuple[int, Any]] = []
    try:
        if len(content) > settings.max_upload_bytes:
            raise InvalidInput("too large", [{"row": None, "field": "file", "message":
                                              f"files are limited to {settings.max_upload_bytes}"
                                              " bytes"}])
        rows = read_table(filename, content)
        bom = validate_rows(rows, max_lines=settings.max_bom_lines)
    except (ConnectorError, InvalidInput) as exc:
        issues = getattr(exc, "issues", None) or [{"row": None, "field": None,
                                                    "message": str(exc)}]
        upload = views.upload_table(filename, rows, issues,
                                    limit=get_portal_settings().max_rows_shown)
        return await _product_page(request, conn, user, product, upload=upload,
                                   status_code=422)
    async with conn.transaction():
        row, created = await bom_store.insert_revision(
            conn, tenant_id=user.tenant_id, product_id=product["id"], bom=bom,
            source=f"portal:{filename}")
        if created:
            await audit(conn, tenant_id=user.tenant_id, actor=user.actor, action="create",
                        object_type="bom_revision", object_id=str(row["id"]),
                        detail={"bom_revision_hash": bom.revision_hash,
                                "source": f"portal:{filename}"},
                        request_id=_request_id(request))
    return redirect(f"{PREFIX}/products/{product['id']}?uploaded={row['id']}")


async def _own_revision(conn: Conn, user: users.User, revision_id: UUID) -> Any:
    revision = await bom_store.get_revision(conn, user.tenant_id, revision_id)
    if revision is None:
        raise NotFound("no such BOM revision")
    return revision


@router.get("/revisions/{revision_id}")
async def revision_page(revision_id: UUID, request: Request, conn: Conn,
                        user: Reader) -> Response:
    """A BOM revision's lines, and a form to link a line to supplier primary data."""
    revision = await _own_revision(conn, user, revision_id)
    product = await _own_product(conn, user, revision["product_id"])
    lines = await bom_store.get_lines(conn, revision["id"])
    leaves = {leaf["line_id"] for leaf in revision["explosion"]}
    records = await primary_store.list_records(conn, user.tenant_id, limit=200, offset=0)
    partners = (await requests_pages.partners_as_buyer(conn, user)
                if requests_pages is not None and user.has("buyer") else [])
    return render(request, "revision.html", {
        "revision": revision, "product": product, "lines": lines, "leaves": leaves,
        "records": records, "partners": partners,
        "due_date": requests_pages.default_due_date() if requests_pages else None})


async def _start_footprint(request: Request, conn: Conn, user: users.User,
                           revision_id: UUID) -> RedirectResponse:
    body = FootprintRequest(bom_revision_id=revision_id)
    job = await job_service.accept(conn, request.app.state.celery, principal(user),
                                   kind="footprint", request=body.model_dump(mode="json"),
                                   idempotency_key=None, request_id=_request_id(request),
                                   response=Response())
    return redirect(f"{PREFIX}/jobs/{job.id}")


@router.post("/revisions/{revision_id}/footprints")
async def calculate(revision_id: UUID, request: Request, conn: Conn,
                    user: BuyerPost) -> Response:
    """Start a footprint job for the revision and show its progress."""
    revision = await _own_revision(conn, user, revision_id)
    return await _start_footprint(request, conn, user, revision["id"])


@router.post("/revisions/{revision_id}/primary-data")
async def use_primary_data(revision_id: UUID, request: Request, conn: Conn,
                           settings: SettingsDep, user: BuyerPost,
                           line_id: Annotated[str, Form(max_length=500)],
                           primary_data_id: Annotated[UUID, Form()]) -> Response:
    """A new revision whose line links to the supplier's record, then its footprint."""
    revision = await _own_revision(conn, user, revision_id)
    record = await primary_store.get(conn, user.tenant_id, primary_data_id)
    if record is None:
        raise NotFound("no such primary data")
    lines = await bom_store.get_lines(conn, revision["id"])
    if line_id not in {line["line_id"] for line in lines}:
        raise NotFound("no such line")
    hint = f"primary:{record['id']}"
    rows = [(i, {**line, "link_hint": hint if line["line_id"] == line_id else line["link_hint"]})
            for i, line in enumerate(lines, start=1)]
    bom = validate_rows(rows, max_lines=settings.max_bom_lines)
    async with conn.transaction():
        row, created = await bom_store.insert_revision(
            conn, tenant_id=user.tenant_id, product_id=revision["product_id"], bom=bom,
            source=f"portal:{line_id}={hint}"[:300])
        if created:
            await audit(conn, tenant_id=user.tenant_id, actor=user.actor, action="create",
                        object_type="bom_revision", object_id=str(row["id"]),
                        detail={"bom_revision_hash": bom.revision_hash, "from": str(revision_id),
                                "line_id": line_id, "link_hint": hint},
                        request_id=_request_id(request))
    return await _start_footprint(request, conn, user, row["id"])


@router.get("/jobs/{job_id}")
async def job_page(job_id: UUID, request: Request, conn: Conn, user: JobReader) -> Response:
    """A job's progress; a finished footprint job goes on to its result."""
    job = await job_store.get_job(conn, user.tenant_id, job_id)
    if job is None:
        raise NotFound("no such job")
    public = await job_service.public(conn, user.tenant_id, job)
    if public.state == "succeeded" and public.result_id is not None:
        return redirect(f"{PREFIX}/results/{public.result_id}")
    if public.state == "succeeded" and job["kind"] == "scenario":
        return redirect(f"{PREFIX}/scenarios/{job['id']}")
    return render(request, "job.html", {"job": public})


@router.get("/jobs/{job_id}/status")
async def job_status(job_id: UUID, conn: Conn, user: JobReader) -> JSONResponse:
    """A job's state as JSON, for the progress page's script."""
    job = await job_store.get_job(conn, user.tenant_id, job_id)
    if job is None:
        raise NotFound("no such job")
    public = await job_service.public(conn, user.tenant_id, job)
    result_url = f"{PREFIX}/results/{public.result_id}" if public.result_id else None
    if job["kind"] == "scenario" and public.state == "succeeded":
        result_url = f"{PREFIX}/scenarios/{job['id']}"
    return JSONResponse({"state": public.state, "progress": public.progress,
                         "error": public.error, "result_url": result_url},
                        headers={"Cache-Control": "no-store"})


@router.get("/results/{result_id}")
async def result_page(result_id: UUID, request: Request, conn: Conn, user: Reader) -> Response:
    """A footprint result: carbon by line and stage, pollutants by substance and region."""
    row = await footprint_store.get_result(conn, user.tenant_id, result_id)
    product = row and await store.result_product(conn, user.tenant_id, result_id)
    if row is None or product is None:
        raise NotFound("no such footprint")
    from service.portal import i18n
    from service.portal.web import language

    view = views.result_view(row["result"], i18n.translator(language(request)))
    history = await store.list_results_for_product(conn, user.tenant_id, product["id"])
    ids = [r["id"] for r in history]
    previous = history[ids.index(row["id"]) + 1] if row["id"] in ids[:-1] else None
    return render(request, "result.html", {"row": row, "product": product, "view": view,
                                           "previous": previous})


# -- suppliers: primary data --------------------------------------------------------------


@router.get("/supplier")
async def supplier_page(request: Request, conn: Conn, user: Supplier) -> Response:
    """The supplier's submissions, the template and the upload form."""
    records = await primary_store.list_records(conn, user.tenant_id, limit=100, offset=0)
    received = (await requests_pages.received_requests(conn, user)
                if requests_pages is not None else [])
    return render(request, "supplier.html", {
        "records": records, "submitted": request.query_params.get("submitted"),
        "received": received, "form": {"name": "", "declared_unit": "kg", "location": ""}})


@router.get("/supplier/template.{ext}")
async def supplier_template(ext: str, user: Supplier) -> Response:
    """The primary-data template as CSV or XLSX."""
    if ext == "csv":
        return Response(supplier_data.template_csv(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition":
                                 'attachment; filename="tanji_primary_data.csv"'})
    if ext == "xlsx":
        return Response(supplier_data.template_xlsx(), media_type=compliance_routes.XLSX,
                        headers={"Content-Disposition":
                                 'attachment; filename="tanji_primary_data.xlsx"'})
    raise NotFound("no such template")


def _record_form(name: str, declared_unit: str, location: str) -> dict[str, str]:
    return {"name": name.strip(), "declared_unit": declared_unit.strip(),
            "location": location.strip()}


@router.post("/supplier/upload")
async def supplier_upload(request: Request, conn: Conn, settings: SettingsDep,
                          user: SupplierPost, file: Annotated[UploadFile, File()],
                          name: Annotated[str, Form(max_length=300)] = "",
                          declared_unit: Annotated[str, Form(max_length=30)] = "",
                          location: Annotated[str, Form(max_length=50)] = "") -> Response:
    """Read the file and show every row, with problems on their row and field, to fix here."""
    form = _record_form(name, declared_unit, location)
    content = await file.read(settings.max_upload_bytes + 1)
    try:
        if len(content) > settings.max_upload_bytes:
            raise supplier_data.FileUnreadable(
                f"files are limited to {settings.max_upload_bytes} bytes")
        rows = supplier_data.read_rows(file.filename or "", content)
    except supplier_data.FileUnreadable as exc:
        records = await primary_store.list_records(conn, user.tenant_id, limit=100, offset=0)
        received = (await requests_pages.received_requests(conn, user)
                    if requests_pages is not None else [])
        return render(request, "supplier.html", {"records": records, "form": form,
                                                 "received": received,
                                                 "file_error": str(exc)}, status_code=422)
    checked = supplier_data.check(rows, name=form["name"], declared_unit=form["declared_unit"],
                                  location=form["location"])
    return render(request, "supplier_review.html",
                  {"checked": checked, "form": form, "filename": file.filename or ""},
                  status_code=422 if checked.issues else 200)


@router.post("/supplier/submit")
async def supplier_submit(request: Request, conn: Conn, user: SupplierPost,
                          name: Annotated[str, Form(max_length=300)] = "",
                          declared_unit: Annotated[str, Form(max_length=30)] = "",
                          location: Annotated[str, Form(max_length=50)] = "",
                          action: Annotated[str, Form()] = "check") -> Response:
    """Check the (possibly corrected) rows again; store the record when asked and all is well."""
    form_data = await request.form()
    columns = {c: [str(v) for v in form_data.getlist(c)] for c in supplier_data.COLUMNS}
    count = min(len(v) for v in columns.values())
    if count > supplier_data.MAX_ROWS:
        raise InvalidInput("too many rows")
    rows = [{c: columns[c][i].strip() for c in supplier_data.COLUMNS} for i in range(count)]
    rows = [r for r in rows if any(r.values())]
    form = _record_form(name, declared_unit, location)
    checked = supplier_data.check(rows, name=form["name"], declared_unit=form["declared_unit"],
                                  location=form["location"])
    if checked.issues or checked.record is None or action != "submit":
        return render(request, "supplier_review.html",
                      {"checked": checked, "form": form, "filename": ""},
                      status_code=422 if checked.issues else 200)
    async with conn.transaction():
        row = await primary_store.insert(conn, user.tenant_id, checked.record)
        await audit(conn, tenant_id=user.tenant_id, actor=user.actor, action="create",
                    object_type="primary_data", object_id=str(row["id"]),
                    detail={"kind": checked.record.kind, "via": "portal"},
                    request_id=_request_id(request))
    return redirect(f"{PREFIX}/supplier?submitted={row['id']}")


# -- exporters: certificates and compliance files -----------------------------------------


@router.get("/exports")
async def exports_page(request: Request, conn: Conn, user: Exporter) -> Response:
    """Certificates and footprint results with the files each can give."""
    certificates = await store.list_certificates(conn, user.tenant_id)
    results = await store.list_results(conn, user.tenant_id)
    return render(request, "exports.html", {"certificates": certificates, "results": results})


@router.get("/exports/certificates/{serial}.pdf")
async def certificate_pdf(serial: str, conn: Conn, settings: SettingsDep,
                          user: Exporter) -> Response:
    """A certificate as PDF (the API's rendering)."""
    row = await certificate_store.get_certificate(
        conn, user.tenant_id, certificate_connector.normalize_serial(serial[:64]))
    if row is None:
        raise NotFound("no such certificate")
    return await certificate_routes.get_certificate_pdf(row, settings)


@router.get("/exports/certificates/{serial}.json")
async def certificate_json(serial: str, conn: Conn, settings: SettingsDep,
                           user: Exporter) -> Response:
    """A certificate's signed JSON (what a verifier submits to POST /verify)."""
    row = await certificate_store.get_certificate(
        conn, user.tenant_id, certificate_connector.normalize_serial(serial[:64]))
    if row is None:
        raise NotFound("no such certificate")
    public = await certificate_routes.get_certificate(row, settings)
    return Response(public.model_dump_json(indent=2), media_type="application/json",
                    headers={"Content-Disposition":
                             f'attachment; filename="{row["serial"]}.json"'})


@router.get("/exports/results/{result_id}/report.pdf")
async def report_pdf(result_id: UUID, conn: Conn, user: Exporter) -> Response:
    """The ISO 14067-style report of a result (the API's rendering)."""
    return await compliance_routes.get_report_pdf(result_id, principal(user), conn)


@router.get("/exports/results/{result_id}/cbam.xlsx")
async def cbam_xlsx(result_id: UUID, conn: Conn, user: Exporter,
                    query: Annotated[compliance_routes.CbamQuery, Depends()]) -> Response:
    """CBAM communication data as XLSX (installation and country from the page's form)."""
    return await compliance_routes.get_cbam_xlsx(result_id, principal(user), conn, query)


@router.post("/exports/results/{result_id}/battery.json")
async def battery_json(result_id: UUID, conn: Conn, user: ExporterPost,
                       rated_capacity_kwh: Annotated[float, Form(gt=0)],
                       service_life_years: Annotated[float, Form(gt=0)],
                       vehicle_category: Annotated[str, Form(max_length=10)] = "") -> Response:
    """EU battery carbon-footprint declaration data as a JSON download."""
    try:
        body = BatteryDeclarationRequest(rated_capacity_kwh=rated_capacity_kwh,
                                         service_life_years=service_life_years,
                                         vehicle_category=vehicle_category or None)
    except ValidationError as exc:
        raise InvalidInput("; ".join(e["msg"] for e in exc.errors())) from None
    data = await compliance_routes.create_battery_declaration(result_id, body, principal(user),
                                                              conn)
    return Response(json.dumps(data, indent=2, ensure_ascii=False),
                    media_type="application/json",
                    headers={**SECURITY_HEADERS, "Content-Disposition":
                             f'attachment; filename="battery_declaration_{result_id}.json"'})


@router.get("")
async def root() -> RedirectResponse:
    """``/portal`` without the slash."""
    return redirect(f"{PREFIX}/")


if requests_pages is not None:
    router.include_router(requests_pages.router)
router.include_router(cocontrol_pages.router)
