"""Pages for supplier data requests (:mod:`service.requests`): buyers ask partner suppliers
for data on BOM lines and decide answers; suppliers download the template, upload it, fix
the marked cells on the page and submit.

Everything goes through ``service.requests.service`` and ``store``, as the API does, so the
same checks (who may see a request, plausibility flags, acceptance creating new revisions and
footprint jobs) apply. Requests of other tenants are 404.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile
from pydantic import ValidationError

from connectors import supplier_template
from service.deps import Conn, SettingsDep
from service.errors import Conflict, InvalidInput, NotFound
from service.portal import users
from service.portal.settings import get_portal_settings
from service.portal.web import (
    PREFIX,
    PortalRoute,
    checked_role,
    principal,
    redirect,
    render,
    role,
)
from service.requests import service, store, webhooks
from service.requests.schemas import DataRequestCreate

router = APIRouter(route_class=PortalRoute, include_in_schema=False)

Buyer = Annotated[users.User, Depends(role("buyer"))]
BuyerPost = Annotated[users.User, Depends(checked_role("buyer"))]
Party = Annotated[users.User, Depends(role("buyer", "supplier"))]
Supplier = Annotated[users.User, Depends(role("supplier"))]
SupplierPost = Annotated[users.User, Depends(checked_role("supplier"))]

EDITABLE = ("value", "unit", "link_hint", "region")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def _deliver(request: Request, settings: SettingsDep, deliveries: list[UUID]) -> None:
    if deliveries:
        webhooks.send_soon(request.app.state.pool, settings, deliveries)


def default_due_date() -> date:
    """Four weeks from today: what the request form suggests."""
    return datetime.now(UTC).date() + timedelta(days=28)


async def partners_as_buyer(conn: Conn, user: users.User) -> list[Any]:
    """The user's tenant's partner suppliers."""
    return [p for p in await store.list_partnerships(conn, user.tenant_id)
            if p["buyer_tenant_id"] == user.tenant_id]


# -- buyers -------------------------------------------------------------------------------


async def sent_requests(conn: Conn, user: users.User, *, product_id: UUID | None = None
                        ) -> list[Any]:
    """Requests the user's tenant sent (of one product when given), newest first."""
    if not user.has("buyer"):
        return []
    rows = await store.list_requests(conn, user.tenant_id, as_buyer=True, as_supplier=False,
                                     limit=500, offset=0)
    return [service.request_public(r, "buyer") for r in rows
            if product_id is None or r["product_id"] == product_id]


@router.get("/requests")
async def requests_page(request: Request, conn: Conn, user: Buyer) -> Response:
    """Requests the tenant sent, with their status."""
    from service.boms import store as bom_store

    products = {p["id"]: p for p in await bom_store.list_products(conn, user.tenant_id,
                                                                   limit=500, offset=0)}
    return render(request, "requests.html", {"requests": await sent_requests(conn, user),
                                             "products": products})


@router.post("/revisions/{revision_id}/requests")
async def create_request(revision_id: UUID, request: Request, conn: Conn,
                         settings: SettingsDep, user: BuyerPost,
                         supplier_tenant_id: Annotated[UUID, Form()],
                         due_date: Annotated[date, Form()],
                         message: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """Ask a partner supplier for data on the checked lines of a revision."""
    from service.boms import store as bom_store

    revision = await bom_store.get_revision(conn, user.tenant_id, revision_id)
    if revision is None:
        raise NotFound("no such BOM revision")
    line_ids = [str(v) for v in (await request.form()).getlist("line_id")]
    try:
        body = DataRequestCreate(supplier_tenant_id=supplier_tenant_id,
                                 product_id=revision["product_id"],
                                 bom_revision_id=revision["id"], line_ids=line_ids,
                                 due_date=due_date, message=message.strip() or None)
    except ValidationError as exc:
        raise InvalidInput("; ".join(e["msg"] for e in exc.errors())) from None
    if not line_ids:
        raise InvalidInput("choose at least one line")
    new_id, deliveries = await service.create_request(conn, principal(user), body,
                                                      request_id=_request_id(request))
    _deliver(request, settings, deliveries)
    return redirect(f"{PREFIX}/requests/{new_id}")


async def _answers(conn: Conn, row: Any, who: str) -> list[Any]:
    return [await service.answer_public(conn, a, who)
            for a in await store.list_answers(conn, row["id"])]


@router.get("/requests/{request_id}")
async def request_page(request_id: UUID, request: Request, conn: Conn, user: Party) -> Response:
    """One request as the user's side sees it: parts, answers, and what can be done next."""
    row, who = await service.visible_request(conn, principal(user), request_id)
    if who == "supplier":
        return redirect(f"{PREFIX}/supplier/requests/{request_id}")
    from service.boms import store as bom_store

    product = await bom_store.get_product(conn, user.tenant_id, row["product_id"])
    return render(request, "request.html", {
        "req": service.request_public(row, who), "answers": await _answers(conn, row, who),
        "who": who, "product": product})


@router.post("/requests/{request_id}/answers/{answer_id}/accept")
async def accept_answer(request_id: UUID, answer_id: UUID, request: Request, conn: Conn,
                        settings: SettingsDep, user: BuyerPost) -> Response:
    """Accept: new revisions link the parts to the supplier's data; follow the footprint."""
    row, _ = await service.visible_request(conn, principal(user), request_id, as_side="buyer")
    answer = await store.get_answer(conn, row["id"], answer_id)
    if answer is None:
        raise NotFound("no such answer")
    try:
        decided, deliveries = await service.accept_answer(
            conn, settings, request.app.state.celery, principal(user), row, answer,
            request_id=_request_id(request))
    except Conflict:
        return redirect(f"{PREFIX}/requests/{request_id}")
    _deliver(request, settings, deliveries)
    revisions = (decided["outcome"] or {}).get("revisions") or []
    mine = [r for r in revisions if r["product_id"] == str(row["product_id"])] or revisions
    if mine:
        return redirect(f"{PREFIX}/jobs/{mine[0]['job_id']}")
    return redirect(f"{PREFIX}/requests/{request_id}")


@router.post("/requests/{request_id}/answers/{answer_id}/reject")
async def reject_answer(request_id: UUID, answer_id: UUID, request: Request, conn: Conn,
                        settings: SettingsDep, user: BuyerPost,
                        reason: Annotated[str, Form(min_length=1, max_length=2000)]) -> Response:
    """Reject with a reason; the supplier may answer again."""
    row, _ = await service.visible_request(conn, principal(user), request_id, as_side="buyer")
    answer = await store.get_answer(conn, row["id"], answer_id)
    if answer is None:
        raise NotFound("no such answer")
    try:
        _, deliveries = await service.reject_answer(conn, principal(user), row, answer,
                                                    reason=reason.strip(),
                                                    request_id=_request_id(request))
    except Conflict:
        return redirect(f"{PREFIX}/requests/{request_id}")
    _deliver(request, settings, deliveries)
    return redirect(f"{PREFIX}/requests/{request_id}")


# -- suppliers ----------------------------------------------------------------------------


async def received_requests(conn: Conn, user: users.User) -> list[Any]:
    """Requests the user's tenant received, newest first (for the supplier page)."""
    if not user.has("supplier"):
        return []
    rows = await store.list_requests(conn, user.tenant_id, as_buyer=False, as_supplier=True,
                                     limit=200, offset=0)
    return [service.request_public(r, "supplier") for r in rows]


async def _supplier_request(conn: Conn, user: users.User, request_id: UUID) -> Any:
    row, _ = await service.visible_request(conn, principal(user), request_id,
                                           as_side="supplier")
    return row


@router.get("/supplier/requests/{request_id}")
async def supplier_request_page(request_id: UUID, request: Request, conn: Conn,
                                user: Supplier) -> Response:
    """A received request: parts, the template, the upload form, earlier answers."""
    row = await _supplier_request(conn, user, request_id)
    return render(request, "supplier_request.html", {
        "req": service.request_public(row, "supplier"),
        "answers": await _answers(conn, row, "supplier"),
        "answered": request.query_params.get("answered")})


@router.get("/supplier/requests/{request_id}/template.{fmt}")
async def supplier_request_template(request_id: UUID, fmt: str, conn: Conn,
                                    user: Supplier) -> Response:
    """The request's answer template, CSV or XLSX."""
    row = await _supplier_request(conn, user, request_id)
    if fmt == "csv":
        content, media = supplier_template.template_csv(row["parts"]), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        content = supplier_template.template_xlsx(
            row["parts"], title=f"Tanji data request {row['id']} from {row['buyer_name']}")
        media = XLSX
    else:
        raise NotFound("no such template")
    return Response(content, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="request-{row["id"]}.{fmt}"'})


def check_answer(row: Any, rows: list[tuple[int, dict[str, str]]]
                 ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(items, issues) of the answer rows: the same checks as the API's upload."""
    try:
        items = supplier_template.parse_answer(rows, row["parts"])
        service.validate_items(row, items)
    except (supplier_template.TemplateInvalid, InvalidInput) as exc:
        return [], list(exc.issues)
    return items, []


def review_table(rows: list[tuple[int, dict[str, str]]],
                 issues: list[dict[str, Any]]) -> dict[str, Any]:
    """The answer rows with each problem in its cell (``value`` when the field is no column).

    Problems on no shown row go to ``general``; each names the part when it can.
    """
    numbers = {number for number, _ in rows}
    columns = supplier_template.COLUMNS
    table = []
    for number, raw in rows:
        mine = [i for i in issues if i.get("row") == number]
        cells = {c: [i["message"] for i in mine
                     if (i.get("field") if i.get("field") in columns else "value") == c]
                 for c in columns}
        table.append({"row": number, "values": {c: raw.get(c, "") for c in columns},
                      "messages": cells, "bad": bool(mine)})
    general = [(f"{i['line_id']}: " if i.get("line_id") else "") + str(i["message"])
               for i in issues if i.get("row") not in numbers]
    return {"rows": table, "general": general, "count": len(issues), "columns": columns,
            "editable": EDITABLE}


@router.post("/supplier/requests/{request_id}/upload")
async def supplier_request_upload(request_id: UUID, request: Request, conn: Conn,
                                  settings: SettingsDep, user: SupplierPost,
                                  file: Annotated[UploadFile, File()]) -> Response:
    """Read the filled template and show it back with every problem on its row and field."""
    row = await _supplier_request(conn, user, request_id)
    content = await file.read(settings.max_upload_bytes + 1)
    try:
        if len(content) > settings.max_upload_bytes:
            raise supplier_template.TemplateInvalid("too large", [{
                "row": None, "field": "file",
                "message": f"files are limited to {settings.max_upload_bytes} bytes"}])
        rows = supplier_template.read_rows(file.filename or "", content)
    except supplier_template.TemplateInvalid as exc:
        return render(request, "supplier_request.html", {
            "req": service.request_public(row, "supplier"),
            "answers": await _answers(conn, row, "supplier"),
            "file_errors": [i["message"] for i in exc.issues]}, status_code=422)
    rows = rows[: get_portal_settings().max_rows_shown * 4]
    _, issues = check_answer(row, rows)
    return render(request, "answer_review.html", {
        "req": service.request_public(row, "supplier"), "table": review_table(rows, issues),
        "filename": file.filename or "", "share_detail": False, "comment": ""},
        status_code=422 if issues else 200)


@router.post("/supplier/requests/{request_id}/answer")
async def supplier_request_answer(request_id: UUID, request: Request, conn: Conn,
                                  settings: SettingsDep, user: SupplierPost,
                                  action: Annotated[str, Form()] = "check",
                                  share_detail: Annotated[bool, Form()] = False,
                                  comment: Annotated[str, Form(max_length=2000)] = ""
                                  ) -> Response:
    """Check the (corrected) rows again; submit the answer when asked and nothing is wrong."""
    row = await _supplier_request(conn, user, request_id)
    form = await request.form()
    columns = {c: [str(v) for v in form.getlist(c)] for c in supplier_template.COLUMNS}
    count = min(len(v) for v in columns.values())
    if count > supplier_template.MAX_ROWS:
        raise InvalidInput("too many rows")
    rows = [(i + 2, {c: columns[c][i] for c in supplier_template.COLUMNS})
            for i in range(count)]
    items, issues = check_answer(row, rows)
    if issues or action != "submit":
        return render(request, "answer_review.html", {
            "req": service.request_public(row, "supplier"), "table": review_table(rows, issues),
            "filename": "", "share_detail": share_detail, "comment": comment},
            status_code=422 if issues else 200)
    try:
        answer, deliveries = await service.submit_answer(
            conn, settings, principal(user), row, form="file", items=items,
            share_detail=share_detail, comment=comment.strip() or None,
            request_id=_request_id(request))
    except InvalidInput as exc:
        return render(request, "answer_review.html", {
            "req": service.request_public(row, "supplier"),
            "table": review_table(rows, list(exc.issues)), "filename": "",
            "share_detail": share_detail, "comment": comment}, status_code=422)
    _deliver(request, settings, deliveries)
    return redirect(f"{PREFIX}/supplier/requests/{request_id}?answered={answer['id']}")
