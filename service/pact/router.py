"""PACT Pathfinder API v2 (/2/footprints, /2/events) and the /v1 routes around it.

``/2/`` routes use :class:`PactRoute`, which renders every error as PACT's
``{"code", "message"}`` with the spec's status; ``/v1/`` routes answer problem+json.

Token errors: the spec's table gives AccessDenied (403) for an invalid token, while the PACT
conformance tests require 400 or 401 and recommend BadRequest; we answer 400 BadRequest for
a missing, unknown or malformed token, 401 TokenExpired for an expired one, and 403
AccessDenied for a valid token whose client may not use the PACT API (role ``verifier``).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from connectors import pact
from service.auth import security
from service.auth import store as auth_store
from service.auth.schemas import Principal
from service.deps import Conn, RequestId, SettingsDep, require_roles
from service.errors import Conflict, InvalidInput, NotFound, TanjiError
from service.pact import PactError, events, mapping, store
from service.pact.schemas import (
    EventPublic,
    EventSend,
    PactPublished,
    PactRequestFulfil,
    PactRequestPublic,
    PactRequestReject,
    PartnerCreate,
    PartnerPublic,
    PartnerUpdate,
    PublishRequest,
    PullRequest,
    PullResult,
    ReceivedPublic,
)
from service.primary import store as primary_store
from service.primary.schemas import PrimaryDataCreate, PrimaryDataPublic
from service.requests import webhooks

logger = logging.getLogger(__name__)

PACT_ROLES = ("admin", "buyer", "supplier", "exporter")
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
CURSOR_TTL_SECONDS = 3600.0
"""How long a Link rel="next" stays valid (the spec asks for at least 180 s)."""


def pact_error(exc: PactError) -> JSONResponse:
    """A PACT error response."""
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if exc.status == 401 \
        else None
    return JSONResponse({"code": exc.code, "message": exc.message}, status_code=exc.status,
                        headers=headers)


class PactRoute(APIRoute):
    """A route whose errors, including validation and auth, come out in PACT's shape."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def pact_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except PactError as exc:
                return pact_error(exc)
            except RequestValidationError as exc:
                fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
                return pact_error(PactError("BadRequest", f"invalid request: {fields}"))
            except StarletteHTTPException as exc:
                code = "BadRequest" if exc.status_code < 500 else "InternalError"
                return pact_error(PactError(code, str(exc.detail)))
            except (TanjiError, pact.SchemaError) as exc:
                return pact_error(PactError("BadRequest", str(exc)))
            except Exception:
                logger.exception("PACT route failed", extra={"route": self.path})
                return pact_error(PactError("InternalError", "internal error"))

        return pact_handler


async def pact_principal(request: Request, conn: Conn) -> Principal:
    """The caller behind the bearer token, with PACT's error codes."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise PactError("BadRequest", "a bearer access token from /auth/token is required")
    principal = await auth_store.principal_for_token(conn, token)
    if principal is None:
        if await store.token_expired(conn, security.token_digest(token)):
            raise PactError("TokenExpired", "the access token has expired")
        raise PactError("BadRequest", "Invalid token provided")
    request.state.tenant_id = str(principal.tenant_id)
    if not set(PACT_ROLES) & set(principal.roles):
        raise PactError("AccessDenied", "this client may not use the PACT API")
    return principal


PactPrincipal = Annotated[Principal, Depends(pact_principal)]

pact_v2 = APIRouter(route_class=PactRoute, tags=["pact"])


def base_url(request: Request, settings: Any) -> str:
    """The public base URL: TANJI_PUBLIC_URL when set, else the request's own."""
    if "public_url" in settings.model_fields_set:
        return settings.public_url.rstrip("/")
    return str(request.base_url).rstrip("/")


def _page_size(limit: str | None) -> int:
    if limit is None or limit == "":
        return DEFAULT_PAGE_SIZE
    try:
        size = int(limit)
    except ValueError:
        raise PactError("BadRequest", "limit must be a positive integer") from None
    if size < 1:
        raise PactError("BadRequest", "limit must be a positive integer")
    return min(size, MAX_PAGE_SIZE)


def _filter(text: str | None) -> pact.Filter:
    if not text:
        return pact.Filter()
    try:
        return pact.parse_filter(text)
    except pact.SchemaError as exc:
        raise PactError("BadRequest", str(exc)) from None


@pact_v2.get("/2/footprints", operation_id="pact-list-footprints",
             responses={400: {"description": "BadRequest"}, 401: {"description": "TokenExpired"},
                        403: {"description": "AccessDenied"}})
async def list_footprints(
    request: Request, principal: PactPrincipal, conn: Conn, settings: SettingsDep,
    limit: Annotated[str | None, Query(description="page size")] = None,
    filter_text: Annotated[str | None, Query(alias="$filter",
                                             description="OData subset, see docs")] = None,
    cursor: Annotated[str | None, Query(description="from a Link rel=next")] = None,
) -> JSONResponse:
    """Action ListFootprints: the tenant's published footprints, paginated by Link."""
    after = None
    if cursor:
        row = await store.get_cursor(conn, hashlib.sha256(cursor.encode()).digest(),
                                     principal.tenant_id)
        if row is None:
            raise PactError("BadRequest", "the pagination link is unknown or has expired")
        after = (row["after_created_at"], row["after_pf_id"])
        size, filter_text = row["page_size"], row["filter"]
    else:
        size = _page_size(limit)
    tree = _filter(filter_text)
    try:
        rows = await store.list_page(conn, principal.tenant_id, tree=tree, after=after,
                                     size=size + 1)
    except asyncpg.DataError as exc:
        raise PactError("BadRequest", f"$filter value cannot be compared: {exc}") from None
    headers = {}
    if len(rows) > size:
        rows = rows[:size]
        token = secrets.token_urlsafe(24)
        await store.insert_cursor(conn, token_hash=hashlib.sha256(token.encode()).digest(),
                                  tenant_id=principal.tenant_id,
                                  after=(rows[-1]["pf_created_at"], rows[-1]["pf_id"]),
                                  size=size, filter_text=filter_text,
                                  ttl_seconds=CURSOR_TTL_SECONDS)
        headers["Link"] = f'<{base_url(request, settings)}/2/footprints?cursor={token}>; ' \
                          'rel="next"'
    return JSONResponse({"data": [r["document"] for r in rows]}, headers=headers)


@pact_v2.get("/2/footprints/{pf_id}", operation_id="pact-get-footprint",
             responses={404: {"description": "NoSuchFootprint"}})
async def get_footprint(pf_id: str, principal: PactPrincipal, conn: Conn) -> JSONResponse:
    """Action GetFootprint: one of the tenant's published footprints (latest version)."""
    try:
        wanted = UUID(pf_id)
    except ValueError:
        raise PactError("NoSuchFootprint", f"no footprint with id {pf_id!r}") from None
    row = await store.get_latest(conn, principal.tenant_id, wanted)
    if row is None:
        raise PactError("NoSuchFootprint", f"no footprint with id {pf_id!r}")
    return JSONResponse({"data": row["document"]})


@pact_v2.post("/2/events", operation_id="pact-post-event",
              responses={200: {"description": "accepted"}, 400: {"description": "BadRequest"}})
async def post_event(request: Request, principal: PactPrincipal, conn: Conn,
                     settings: SettingsDep, background: BackgroundTasks) -> Response:
    """Action Events: accept a CloudEvent (PACT v2 event types)."""
    try:
        body = await request.json()
    except ValueError:
        raise PactError("BadRequest", "the body is not JSON") from None
    event = events.validate_event(body)
    done = await events.receive(conn, principal, event,
                                events_url=f"{base_url(request, settings)}/2/events")
    if done.outgoing:
        background.add_task(events.deliver_all, request.app.state.pool, settings,
                            done.outgoing)
    if done.webhooks:
        webhooks.send_soon(request.app.state.pool, settings, done.webhooks)
    return Response(status_code=200)


# ------------------------------------------------------------------------- /v1 routes

v1 = APIRouter(tags=["pact"])
Publisher = Annotated[Principal, Depends(require_roles("buyer", "exporter"))]
Admin = Annotated[Principal, Depends(require_roles("admin"))]
Sender = Annotated[Principal, Depends(require_roles("buyer", "supplier", "exporter"))]
Buyer = Annotated[Principal, Depends(require_roles("buyer"))]


@v1.post("/v1/footprints/{result_id}/pact-publish", status_code=201,
         response_model=PactPublished, operation_id="footprints-pact-publish")
async def publish(result_id: UUID, principal: Publisher, conn: Conn, request_id: RequestId,
                  request: Request, settings: SettingsDep, background: BackgroundTasks,
                  body: PublishRequest | None = None) -> PactPublished:
    """Publish a footprint result on the PACT API (older ones of the product: Deprecated).

    Held partner requests naming one of its productIds are answered Fulfilled, and partners
    registered with ``notify_published`` get ProductFootprint.Published."""
    outgoing: list[UUID] = []
    published = await mapping.publish(conn, principal, result_id, body or PublishRequest(),
                                      request_id=request_id, outgoing=outgoing,
                                      events_url=f"{base_url(request, settings)}/2/events")
    if outgoing:
        background.add_task(events.deliver_all, request.app.state.pool, settings, outgoing)
    return published


@v1.post("/v1/pact/partners", status_code=201, response_model=PartnerPublic,
         operation_id="pact-partners-create")
async def create_partner(body: PartnerCreate, principal: Admin, conn: Conn,
                         settings: SettingsDep, request_id: RequestId) -> PartnerPublic:
    """Register a partner to send events to (and to answer its requests)."""
    events.check_partner_url(body.base_url, settings)
    if body.inbound_client_id and await conn.fetchval(
            "select 1 from client where client_id = $1 and tenant_id = $2",
            body.inbound_client_id, principal.tenant_id) is None:
        raise InvalidInput("inbound_client_id is not a client of this tenant")
    sealed = kek_id = None
    if body.client_secret is not None:
        sealed, kek_id = events.seal_secret(settings, tenant_id=principal.tenant_id,
                                            name=body.name,
                                            secret=body.client_secret.get_secret_value())
    try:
        async with conn.transaction():
            row = await store.insert_partner(
                conn, tenant_id=principal.tenant_id, name=body.name,
                base_url=body.base_url.rstrip("/"), token_url=body.token_url,
                client_id=body.client_id,
                credentials_ref=body.credentials_ref or "sealed", credentials_sealed=sealed,
                kek_id=kek_id, inbound_client_id=body.inbound_client_id,
                data_requests=body.data_requests, notify_published=body.notify_published)
            await auth_store.audit(conn, tenant_id=principal.tenant_id, actor=principal.actor,
                                   action="create", object_type="pact_partner",
                                   object_id=str(row["id"]), detail={"name": body.name},
                                   request_id=request_id)
    except asyncpg.UniqueViolationError:
        raise Conflict("a partner of that name, or with that inbound client, exists") from None
    return PartnerPublic(**dict(row))


@v1.patch("/v1/pact/partners/{partner_id}", response_model=PartnerPublic,
          operation_id="pact-partners-update", responses={404: {"description": "no such partner"}})
async def update_partner(partner_id: UUID, body: PartnerUpdate, principal: Admin, conn: Conn,
                         request_id: RequestId) -> PartnerPublic:
    """Change a partner's opt-ins (``data_requests``, ``notify_published``)."""
    async with conn.transaction():
        row = await store.update_partner_flags(
            conn, principal.tenant_id, partner_id, data_requests=body.data_requests,
            notify_published=body.notify_published)
        if row is None:
            raise NotFound("no such partner")
        await auth_store.audit(conn, tenant_id=principal.tenant_id, actor=principal.actor,
                               action="update", object_type="pact_partner",
                               object_id=str(partner_id),
                               detail=body.model_dump(exclude_none=True), request_id=request_id)
    return PartnerPublic(**dict(row))


@v1.get("/v1/pact/partners", response_model=list[PartnerPublic],
        operation_id="pact-partners-list")
async def list_partners(principal: Sender, conn: Conn) -> list[PartnerPublic]:
    """The tenant's partners."""
    return [PartnerPublic(**dict(r)) for r in await store.list_partners(conn,
                                                                         principal.tenant_id)]


@v1.post("/v1/pact/events", response_model=EventPublic, operation_id="pact-events-send")
async def send_event(body: EventSend, request: Request, principal: Sender, conn: Conn,
                     settings: SettingsDep) -> EventPublic:
    """Send a Published notification or a footprint request to a partner, now."""
    partner = await store.get_partner(conn, principal.tenant_id, body.partner_id)
    if partner is None:
        raise NotFound("no such partner")
    source = f"{base_url(request, settings)}/2/events"
    if body.type == "published":
        for pf_id in body.pf_ids:
            if await store.get_latest(conn, principal.tenant_id, pf_id) is None:
                raise NotFound(f"no published footprint {pf_id}")
        event = events.make_event(events.PUBLISHED,
                                  {"pfIds": [str(i) for i in body.pf_ids]}, source=source)
    else:
        data: dict[str, Any] = {"pf": {"productIds": body.product_ids}}
        if body.comment:
            data["comment"] = body.comment
        event = events.make_event(events.CREATED, data, source=source)
    row = await store.insert_event(conn, tenant_id=principal.tenant_id, direction="out",
                                   partner_id=partner["id"], body=event,
                                   delivery_state="pending", client_id=principal.client_id)
    row = await events.deliver(request.app.state.pool, settings, row["id"])
    return EventPublic(**dict(row))


@v1.post("/v1/pact/events/{event_pk}/deliver", response_model=EventPublic,
         operation_id="pact-events-deliver")
async def redeliver_event(event_pk: UUID, request: Request, principal: Sender,
                          settings: SettingsDep) -> EventPublic:
    """Send a pending or failed outgoing event again (a sent one is returned unchanged)."""
    row = await events.redeliver(request.app.state.pool, settings, principal.tenant_id,
                                 event_pk)
    if row is None:
        raise NotFound("no such outgoing event")
    return EventPublic(**{k: v for k, v in dict(row).items() if k in EventPublic.model_fields})


@v1.get("/v1/pact/events", response_model=list[EventPublic], operation_id="pact-events-list")
async def list_events(principal: Sender, conn: Conn) -> list[EventPublic]:
    """The tenant's latest PACT events (in and out), newest first."""
    return [EventPublic(**dict(r)) for r in await store.list_events(conn, principal.tenant_id)]


@v1.get("/v1/pact/requests", response_model=list[PactRequestPublic],
        operation_id="pact-requests-list")
async def list_requests(principal: Sender, conn: Conn) -> list[PactRequestPublic]:
    """Footprint requests from PACT partners held for this tenant, newest first."""
    return [PactRequestPublic(**dict(r))
            for r in await store.list_requests(conn, principal.tenant_id)]


@v1.get("/v1/pact/requests/{request_pk}", response_model=PactRequestPublic,
        operation_id="pact-requests-get", responses={404: {"description": "no such request"}})
async def get_request(request_pk: UUID, principal: Sender, conn: Conn) -> PactRequestPublic:
    """One footprint request from a PACT partner."""
    row = await store.get_request(conn, principal.tenant_id, request_pk)
    if row is None:
        raise NotFound("no such PACT request")
    return PactRequestPublic(**dict(row))


async def _open_request(conn: Conn, principal: Principal, request_pk: UUID) -> Any:
    row = await store.lock_open_request(conn, principal.tenant_id, request_pk)
    if row is None:
        if await store.get_request(conn, principal.tenant_id, request_pk) is None:
            raise NotFound("no such PACT request")
        raise Conflict("the request was answered already")
    return row


@v1.post("/v1/pact/requests/{request_pk}/fulfil", response_model=PactRequestPublic,
         operation_id="pact-requests-fulfil",
         responses={404: {"description": "no such request or result"},
                    409: {"description": "answered already"}})
async def fulfil_request(request_pk: UUID, body: PactRequestFulfil, principal: Sender,
                         conn: Conn, request: Request, settings: SettingsDep,
                         background: BackgroundTasks,
                         request_id: RequestId) -> PactRequestPublic:
    """Publish a footprint result for the request and answer the partner Fulfilled with it."""
    events_url = f"{base_url(request, settings)}/2/events"
    outgoing: list[UUID] = []
    async with conn.transaction():
        held = await _open_request(conn, principal, request_pk)
        extra = [p for p in held["product_ids"] if p.lower().startswith("urn:")
                 and p not in body.publish.extra_product_ids]
        declarations = body.publish.model_copy(
            update={"extra_product_ids": [*body.publish.extra_product_ids, *extra]})
        published = await mapping.publish(conn, principal, body.result_id, declarations,
                                          request_id=request_id, outgoing=outgoing,
                                          events_url=events_url)
        if await store.lock_open_request(conn, principal.tenant_id, request_pk) is not None:
            # no requested id was a URN the document could carry: answer with it anyway
            outgoing.append(await events.fulfil_request(
                conn, principal.tenant_id, held, published.document, source=events_url))
        await auth_store.audit(conn, tenant_id=principal.tenant_id, actor=principal.actor,
                               action="fulfil", object_type="pact_request",
                               object_id=str(request_pk),
                               detail={"pf_id": str(published.pf_id)}, request_id=request_id)
    background.add_task(events.deliver_all, request.app.state.pool, settings, outgoing)
    return PactRequestPublic(**dict(await store.get_request(conn, principal.tenant_id,
                                                            request_pk)))


@v1.post("/v1/pact/requests/{request_pk}/reject", response_model=PactRequestPublic,
         operation_id="pact-requests-reject",
         responses={404: {"description": "no such request"},
                    409: {"description": "answered already"}})
async def reject_request(request_pk: UUID, body: PactRequestReject, principal: Sender,
                         conn: Conn, request: Request, settings: SettingsDep,
                         background: BackgroundTasks,
                         request_id: RequestId) -> PactRequestPublic:
    """Turn the request down: the partner gets Rejected (code NotFound) with the message."""
    async with conn.transaction():
        held = await _open_request(conn, principal, request_pk)
        event_pk = await events.reject_request(
            conn, principal.tenant_id, held, message=body.message,
            source=f"{base_url(request, settings)}/2/events")
        await auth_store.audit(conn, tenant_id=principal.tenant_id, actor=principal.actor,
                               action="reject", object_type="pact_request",
                               object_id=str(request_pk), request_id=request_id)
    background.add_task(events.deliver_all, request.app.state.pool, settings, [event_pk])
    return PactRequestPublic(**dict(await store.get_request(conn, principal.tenant_id,
                                                            request_pk)))


@v1.post("/v1/pact/pulls", response_model=PullResult, operation_id="pact-pulls-create")
async def create_pull(body: PullRequest, principal: Buyer, conn: Conn,
                      settings: SettingsDep, request_id: RequestId) -> PullResult:
    """Fetch a supplier's footprints from its PACT API and keep them as received data."""
    result = await events.pull(conn, settings, principal, body)
    await auth_store.audit(conn, tenant_id=principal.tenant_id, actor=principal.actor,
                           action="pact-pull", object_type="pact_received",
                           object_id=None, detail={"endpoint": result.endpoint,
                                                   "stored": len(result.stored)},
                           request_id=request_id)
    return result


@v1.get("/v1/pact/received", response_model=list[ReceivedPublic],
        operation_id="pact-received-list")
async def list_received(principal: Buyer, conn: Conn) -> list[ReceivedPublic]:
    """Footprints received from partners (pulled or sent to us), oldest first."""
    return [ReceivedPublic(**dict(r)) for r in await store.list_received(conn,
                                                                         principal.tenant_id)]


@v1.post("/v1/pact/received/{received_id}/primary-data", status_code=201,
         response_model=PrimaryDataPublic, operation_id="pact-received-to-primary-data",
         responses={422: {"description": "the footprint cannot serve as a declared record"}})
async def received_as_primary_data(received_id: UUID, principal: Buyer, conn: Conn,
                                   request_id: RequestId) -> PrimaryDataPublic:
    """Keep a partner's footprint as a declared primary-data record of this tenant; its
    ``link_hint`` puts it on BOM lines, so footprints use the partner's own number."""
    received = await store.get_received(conn, principal.tenant_id, received_id)
    if received is None:
        raise NotFound("no such received footprint")
    declared = {k: v for k, v in received["declared"].items() if k != "pact"}
    try:
        body = PrimaryDataCreate(**declared)
    except ValidationError as exc:
        raise InvalidInput("the partner's footprint cannot serve as primary data",
                           [{"field": ".".join(map(str, e["loc"])), "message": e["msg"]}
                            for e in exc.errors()]) from exc
    async with conn.transaction():
        row = await primary_store.insert(conn, principal.tenant_id, body)
        await auth_store.audit(conn, tenant_id=principal.tenant_id, actor=principal.actor,
                               action="create", object_type="primary_data",
                               object_id=str(row["id"]),
                               detail={"from_pact_received": str(received_id),
                                       "pf_id": str(received["pf_id"])},
                               request_id=request_id)
    return PrimaryDataPublic(**dict(row), link_hint=f"primary:{row['id']}")


router = APIRouter()
router.include_router(pact_v2)
router.include_router(v1)
