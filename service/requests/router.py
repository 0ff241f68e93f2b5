"""Partners, data requests, answers and webhooks over HTTP.

Roles: admins invite and accept partners; buyers send requests and decide answers; suppliers
answer; both read what they are party to. Anything of another tenant is 404, whoever asks.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import Response as RawResponse

from connectors import supplier_template
from service.auth.schemas import Principal
from service.auth.store import audit
from service.deps import Conn, RequestId, SettingsDep, require_roles
from service.errors import NotFound, PayloadTooLarge
from service.requests import service, store, webhooks
from service.requests.schemas import (
    AnswerCreate,
    AnswerPublic,
    AnswerReject,
    DataRequestCreate,
    DataRequestPublic,
    DeliveryPublic,
    InvitationCreate,
    InvitationCreated,
    PartnershipCreate,
    PartnershipPublic,
    WebhookCreate,
    WebhookPublic,
)

router = APIRouter(tags=["data requests"])
Admin = Annotated[Principal, Depends(require_roles())]
Party = Annotated[Principal, Depends(require_roles("buyer", "supplier"))]
Buyer = Annotated[Principal, Depends(require_roles("buyer"))]
Supplier = Annotated[Principal, Depends(require_roles("supplier"))]
NOT_FOUND = {404: {"description": "no such object for this tenant"}}
REFUSED = {**NOT_FOUND, 409: {"description": "the request's state does not allow it"},
           422: {"description": "refused; problems listed by row / field"}}


# ------------------------------------------------------------------------------ partners


@router.post("/v1/partners/invitations", status_code=201, response_model=InvitationCreated,
             operation_id="partner-invitations-create")
async def create_invitation(body: InvitationCreate, principal: Admin, conn: Conn,
                            request_id: RequestId) -> InvitationCreated:
    """Invite a supplier organisation: hand the one-time ``code`` to its admin."""
    invitation_id, code, expires_at = await service.invite(
        conn, principal, note=body.note, expires_in_days=body.expires_in_days,
        request_id=request_id)
    return InvitationCreated(id=invitation_id, code=code, expires_at=expires_at)


@router.post("/v1/partners", status_code=201, response_model=PartnershipPublic,
             operation_id="partners-create",
             responses={404: {"description": "wrong, used or expired code"},
                        409: {"description": "partners already"}})
async def accept_invitation(body: PartnershipCreate, principal: Admin, conn: Conn,
                            request_id: RequestId) -> PartnershipPublic:
    """A supplier's admin accepts an invitation: the two tenants become partners."""
    row = await service.accept_invitation(conn, principal, code=body.code.get_secret_value(),
                                          request_id=request_id)
    return PartnershipPublic(**dict(row), side=service.partnership_side(principal, row))


@router.get("/v1/partners", response_model=list[PartnershipPublic],
            operation_id="partners-list")
async def list_partners(principal: Party, conn: Conn) -> list[PartnershipPublic]:
    """The tenant's partnerships, as buyer or as supplier."""
    return [PartnershipPublic(**dict(r), side=service.partnership_side(principal, r))
            for r in await store.list_partnerships(conn, principal.tenant_id)]


# ------------------------------------------------------------------------------ requests


async def _deliver(request: Request, settings: SettingsDep, deliveries: list[UUID]) -> None:
    webhooks.send_soon(request.app.state.pool, settings, deliveries)


@router.post("/v1/requests", status_code=201, response_model=DataRequestPublic,
             operation_id="data-requests-create", responses=REFUSED)
async def create_request(body: DataRequestCreate, principal: Buyer, conn: Conn,
                         request: Request, settings: SettingsDep, response: Response,
                         request_id: RequestId) -> DataRequestPublic:
    """Ask a partner supplier for data on parts (leaf lines) of one of your BOM revisions."""
    new_id, deliveries = await service.create_request(conn, principal, body,
                                                      request_id=request_id)
    await _deliver(request, settings, deliveries)
    row, who = await service.visible_request(conn, principal, new_id)
    response.headers["Location"] = f"/v1/requests/{new_id}"
    return service.request_public(row, who)


@router.get("/v1/requests", response_model=list[DataRequestPublic],
            operation_id="data-requests-list")
async def list_requests(principal: Party, conn: Conn,
                        limit: Annotated[int, Query(ge=1, le=500)] = 100,
                        offset: Annotated[int, Query(ge=0)] = 0) -> list[DataRequestPublic]:
    """Requests sent (buyer) and received (supplier), newest first."""
    roles = set(principal.roles)
    rows = await store.list_requests(
        conn, principal.tenant_id, as_buyer=bool(roles & service.BUYER_ROLES),
        as_supplier=bool(roles & service.SUPPLIER_ROLES), limit=limit, offset=offset)
    return [service.request_public(r, service.side(principal, r) or "buyer") for r in rows]


@router.get("/v1/requests/{request_id}", response_model=DataRequestPublic,
            operation_id="data-requests-get", responses=NOT_FOUND)
async def get_request(request_id: UUID, principal: Party, conn: Conn) -> DataRequestPublic:
    """One request you sent or received."""
    row, who = await service.visible_request(conn, principal, request_id)
    return service.request_public(row, who)


@router.get("/v1/requests/{request_id}/template.{fmt}", operation_id="data-requests-template",
            responses={**NOT_FOUND, 200: {"content": {"text/csv": {}, "application/vnd."
                       "openxmlformats-officedocument.spreadsheetml.sheet": {}}}})
async def get_template(request_id: UUID, fmt: str, principal: Party, conn: Conn) -> RawResponse:
    """The answer template for the request's parts, as ``csv`` or ``xlsx``."""
    row, _ = await service.visible_request(conn, principal, request_id)
    if fmt == "csv":
        content, media = supplier_template.template_csv(row["parts"]), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        content = supplier_template.template_xlsx(
            row["parts"], title=f"Tanji data request {row['id']} from {row['buyer_name']}")
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        raise NotFound("templates are template.csv or template.xlsx")
    return RawResponse(content, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="request-{row["id"]}.{fmt}"'})


# ------------------------------------------------------------------------------ answers


@router.post("/v1/requests/{request_id}/answers", status_code=201, response_model=AnswerPublic,
             operation_id="data-answers-create", responses=REFUSED)
async def create_answer(request_id: UUID, body: AnswerCreate, principal: Supplier, conn: Conn,
                        request: Request, settings: SettingsDep,
                        rid: RequestId) -> AnswerPublic:
    """Answer with a declared footprint, process data or a PACT ProductFootprint per part."""
    row, who = await service.visible_request(conn, principal, request_id, as_side="supplier")
    form, items = service.items_from_json(body)
    answer, deliveries = await service.submit_answer(
        conn, settings, principal, row, form=form, items=items, share_detail=body.share_detail,
        comment=body.comment, request_id=rid)
    await _deliver(request, settings, deliveries)
    return await service.answer_public(conn, answer, who)


@router.post("/v1/requests/{request_id}/answers/upload", status_code=201,
             response_model=AnswerPublic, operation_id="data-answers-upload",
             responses={**REFUSED, 413: {"description": "file over the size limit"}})
async def upload_answer(request_id: UUID, file: Annotated[UploadFile, File(
                            description="the filled template, CSV or XLSX")],
                        principal: Supplier, conn: Conn, request: Request,
                        settings: SettingsDep, rid: RequestId,
                        share_detail: Annotated[bool, Form()] = False,
                        comment: Annotated[str | None, Form(max_length=2000)] = None,
                        ) -> AnswerPublic:
    """Answer with the filled template; every problem is named by row and field."""
    row, who = await service.visible_request(conn, principal, request_id, as_side="supplier")
    content = await file.read(settings.max_upload_bytes + 1)
    if len(content) > settings.max_upload_bytes:
        raise PayloadTooLarge(f"files are limited to {settings.max_upload_bytes} bytes")
    rows = supplier_template.read_rows(file.filename or "", content)
    items = supplier_template.parse_answer(rows, row["parts"])
    answer, deliveries = await service.submit_answer(
        conn, settings, principal, row, form="file", items=items, share_detail=share_detail,
        comment=comment, request_id=rid)
    await _deliver(request, settings, deliveries)
    return await service.answer_public(conn, answer, who)


@router.get("/v1/requests/{request_id}/answers", response_model=list[AnswerPublic],
            operation_id="data-answers-list", responses=NOT_FOUND)
async def list_answers(request_id: UUID, principal: Party, conn: Conn) -> list[AnswerPublic]:
    """The request's answers (process detail only as the supplier allows)."""
    row, who = await service.visible_request(conn, principal, request_id)
    return [await service.answer_public(conn, a, who)
            for a in await store.list_answers(conn, row["id"])]


async def _answer(conn: Conn, principal: Principal, request_id: UUID, answer_id: UUID,
                  as_side: str | None = None):
    row, who = await service.visible_request(conn, principal, request_id, as_side=as_side)
    answer = await store.get_answer(conn, row["id"], answer_id)
    if answer is None:
        raise NotFound("no such answer")
    return row, who, answer


@router.get("/v1/requests/{request_id}/answers/{answer_id}", response_model=AnswerPublic,
            operation_id="data-answers-get", responses=NOT_FOUND)
async def get_answer(request_id: UUID, answer_id: UUID, principal: Party,
                     conn: Conn) -> AnswerPublic:
    """One answer."""
    _, who, answer = await _answer(conn, principal, request_id, answer_id)
    return await service.answer_public(conn, answer, who)


@router.post("/v1/requests/{request_id}/answers/{answer_id}/accept",
             response_model=AnswerPublic, operation_id="data-answers-accept", responses=REFUSED)
async def accept_answer(request_id: UUID, answer_id: UUID, principal: Buyer, conn: Conn,
                        request: Request, settings: SettingsDep,
                        rid: RequestId) -> AnswerPublic:
    """Accept: the parts link to the supplier's data in new revisions; footprints are queued
    (``outcome.revisions[].job_url``)."""
    row, who, answer = await _answer(conn, principal, request_id, answer_id, as_side="buyer")
    decided, deliveries = await service.accept_answer(
        conn, settings, request.app.state.celery, principal, row, answer, request_id=rid)
    await _deliver(request, settings, deliveries)
    return await service.answer_public(conn, decided, who)


@router.post("/v1/requests/{request_id}/answers/{answer_id}/reject",
             response_model=AnswerPublic, operation_id="data-answers-reject", responses=REFUSED)
async def reject_answer(request_id: UUID, answer_id: UUID, body: AnswerReject,
                        principal: Buyer, conn: Conn, request: Request, settings: SettingsDep,
                        rid: RequestId) -> AnswerPublic:
    """Reject with a reason; the supplier may answer again."""
    row, who, answer = await _answer(conn, principal, request_id, answer_id, as_side="buyer")
    decided, deliveries = await service.reject_answer(conn, principal, row, answer,
                                                      reason=body.reason, request_id=rid)
    await _deliver(request, settings, deliveries)
    return await service.answer_public(conn, decided, who)


# ------------------------------------------------------------------------------ webhooks


@router.post("/v1/webhooks", status_code=201, response_model=WebhookPublic,
             operation_id="webhooks-create",
             responses={422: {"description": "URL not acceptable"}})
async def create_webhook(body: WebhookCreate, principal: Party, conn: Conn,
                         settings: SettingsDep, request_id: RequestId) -> WebhookPublic:
    """Register where this tenant's notifications go; they are signed with ``secret``."""
    async with conn.transaction():
        row = await webhooks.register(conn, settings, tenant_id=principal.tenant_id,
                                      url=body.url, secret=body.secret.get_secret_value())
        await audit(conn, tenant_id=principal.tenant_id, actor=principal.actor, action="create",
                    object_type="webhook", object_id=str(row["id"]),
                    detail={"url": body.url}, request_id=request_id)
    return WebhookPublic(**dict(row))


@router.get("/v1/webhooks", response_model=list[WebhookPublic], operation_id="webhooks-list")
async def list_webhooks(principal: Party, conn: Conn) -> list[WebhookPublic]:
    """The tenant's webhooks."""
    return [WebhookPublic(**dict(r)) for r in await store.list_webhooks(conn,
                                                                         principal.tenant_id)]


@router.delete("/v1/webhooks/{webhook_id}", response_model=WebhookPublic,
               operation_id="webhooks-disable", responses=NOT_FOUND)
async def disable_webhook(webhook_id: UUID, principal: Party, conn: Conn,
                          request_id: RequestId) -> WebhookPublic:
    """Stop deliveries to a webhook (kept for the record)."""
    async with conn.transaction():
        row = await store.disable_webhook(conn, principal.tenant_id, webhook_id)
        if row is None:
            raise NotFound("no such webhook")
        await audit(conn, tenant_id=principal.tenant_id, actor=principal.actor,
                    action="disable", object_type="webhook", object_id=str(webhook_id),
                    request_id=request_id)
    return WebhookPublic(**dict(row))


@router.get("/v1/webhook-deliveries", response_model=list[DeliveryPublic],
            operation_id="webhook-deliveries-list")
async def list_deliveries(principal: Party, conn: Conn,
                          limit: Annotated[int, Query(ge=1, le=500)] = 100
                          ) -> list[DeliveryPublic]:
    """The tenant's latest notifications and how delivering them went."""
    return [DeliveryPublic(**dict(r))
            for r in await store.list_deliveries(conn, principal.tenant_id, limit)]


@router.post("/v1/webhook-deliveries/{delivery_id}/redeliver", response_model=DeliveryPublic,
             operation_id="webhook-deliveries-redeliver", responses=NOT_FOUND)
async def redeliver(delivery_id: UUID, principal: Party, conn: Conn, request: Request,
                    settings: SettingsDep) -> DeliveryPublic:
    """Send a pending or failed notification once more, now (a sent one is left alone)."""
    row = await store.get_delivery(conn, principal.tenant_id, delivery_id)
    if row is None:
        raise NotFound("no such delivery")
    if row["state"] != "sent":
        row = await webhooks.attempt(request.app.state.pool, settings, delivery_id)
    return DeliveryPublic(**dict(row))
