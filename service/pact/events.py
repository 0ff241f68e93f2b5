"""Exchange with partners: CloudEvents in and out, partner credentials, pulls.

Incoming (POST /2/events, validated against the spec's event schemas):

- ``ProductFootprintRequest.Created.v1``: answered asynchronously with ``Fulfilled.v1`` (our
  Active footprints naming one of the requested productIds) or ``Rejected.v1`` (code
  NotFound), POSTed to the partner registered for the calling client. When nothing is
  published for the products and that partner opted in (``data_requests``), the request is
  held instead (``pact_request``, shown to the tenant's users under ``/v1/pact/requests``)
  and answered ``Fulfilled.v1`` once the tenant publishes a footprint naming one of the
  products (:func:`on_published`), or ``Rejected.v1`` when a user turns it down.
- ``ProductFootprintRequest.Fulfilled.v1``: the footprints are stored as received data.
- ``ProductFootprint.Published.v1`` and ``Rejected.v1``: logged.

Outgoing events are logged first (``pact_event``, direction ``out``), then delivered with
:class:`service.pact.client.PactClient`; the row records every attempt. Sending claims a lease
on the row first (:mod:`service.requests.retry`); what is left pending or failed is resumed by
:func:`sweep` from the API's reaper loop. Every attempt sends the same CloudEvent ``id``.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg

from connectors import pact
from service.auth.schemas import Principal
from service.certificates.keys import KeyUnavailable, kek_for
from service.config import Settings
from service.errors import InvalidInput
from service.pact import PactError, store
from service.pact.client import PactClient, PartnerError
from service.pact.schemas import PullRequest, PullResult, PullSkipped, ReceivedPublic
from service.requests import retry, webhooks

logger = logging.getLogger(__name__)

PUBLISHED = "org.wbcsd.pathfinder.ProductFootprint.Published.v1"
CREATED = "org.wbcsd.pathfinder.ProductFootprintRequest.Created.v1"
FULFILLED = "org.wbcsd.pathfinder.ProductFootprintRequest.Fulfilled.v1"
REJECTED = "org.wbcsd.pathfinder.ProductFootprintRequest.Rejected.v1"
EVENT_TYPES = (PUBLISHED, CREATED, FULFILLED, REJECTED)
ERROR_CODES = ("BadRequest", "AccessDenied", "TokenExpired", "NotFound", "InternalError",
               "NotImplemented")


def make_event(event_type: str, data: dict[str, Any], *, source: str) -> dict[str, Any]:
    """A CloudEvents 1.0 envelope as PACT v2 uses it."""
    return {"type": event_type, "specversion": "1.0", "id": str(uuid.uuid4()),
            "source": source, "time": pact.iso_time(pact_now()), "data": data}


def pact_now() -> datetime:
    """The current UTC time."""
    return datetime.now(UTC)


def _bad(message: str) -> PactError:
    return PactError("BadRequest", message)


def validate_event(body: Any) -> dict[str, Any]:
    """The event when it follows the spec's event schemas; else PactError BadRequest."""
    if not isinstance(body, Mapping):
        raise _bad("the event must be a JSON object")
    for key in ("specversion", "id", "source", "type"):
        if not isinstance(body.get(key), str) or not body[key]:
            raise _bad(f"the event needs a non-empty string {key!r}")
    if not pact._is_datetime(body.get("time")):
        raise _bad("the event's time must be an RFC 3339 date-time")
    if body["type"] not in EVENT_TYPES:
        raise _bad(f"unsupported event type {body['type']!r}")
    data = body.get("data")
    if not isinstance(data, Mapping):
        raise _bad("the event needs a data object")
    if body["type"] == PUBLISHED:
        ids = data.get("pfIds")
        if not isinstance(ids, list) or not all(pact._is_uuid(i) for i in ids):
            raise _bad("data.pfIds must be a list of ProductFootprint ids (UUIDs)")
    elif body["type"] == CREATED:
        if not isinstance(data.get("pf"), Mapping):
            raise _bad("data.pf (a ProductFootprint fragment) is required")
        if "comment" in data and not isinstance(data["comment"], str):
            raise _bad("data.comment must be a string")
    elif body["type"] == FULFILLED:
        if not isinstance(data.get("requestEventId"), str) or not isinstance(
                data.get("pfs"), list):
            raise _bad("data.requestEventId and data.pfs are required")
    else:
        error = data.get("error")
        if not isinstance(data.get("requestEventId"), str) or not isinstance(error, Mapping) \
                or error.get("code") not in ERROR_CODES or not isinstance(
                    error.get("message"), str):
            raise _bad("data.requestEventId and data.error {code, message} are required")
    return dict(body)


@dataclass
class Received:
    """What receiving an event leaves to do after commit."""

    outgoing: list[UUID] = field(default_factory=list)
    """Outgoing PACT events to deliver."""
    webhooks: list[UUID] = field(default_factory=list)
    """Webhook deliveries to send (a request held for the tenant's users)."""


async def receive(conn: asyncpg.Connection, principal: Principal, event: dict[str, Any], *,
                  events_url: str) -> Received:
    """Log an incoming event and act on it; returns what to deliver after commit."""
    partner = await store.partner_for_client(conn, principal.client_id)
    if partner is not None and partner["tenant_id"] != principal.tenant_id:
        partner = None
    parsed: list[tuple[dict[str, Any], dict[str, Any]]] = []
    if event["type"] == FULFILLED:
        issues = []
        for index, document in enumerate(event["data"]["pfs"]):
            try:
                parsed.append((pact.parse_product_footprint(document), document))
            except pact.SchemaError as exc:
                issues.append(f"pfs[{index}]: {exc}")
        if issues:
            raise _bad("; ".join(issues))
    done = Received()
    async with conn.transaction():
        await store.insert_event(conn, tenant_id=principal.tenant_id, direction="in",
                                 partner_id=partner["id"] if partner else None, body=event,
                                 client_id=principal.client_id)
        if event["type"] == FULFILLED:
            endpoint = partner["base_url"] if partner else event["source"]
            for item, document in parsed:
                await store.insert_received(conn, tenant_id=principal.tenant_id,
                                            endpoint=endpoint, parsed=item, document=document,
                                            via="event")
        elif event["type"] == CREATED:
            reply = await _answer_request(conn, principal.tenant_id, event, events_url)
            if (partner is not None and partner["data_requests"] and reply["type"] == REJECTED
                    and reply["data"]["error"]["code"] == "NotFound"):
                done.webhooks += await _hold_request(conn, principal.tenant_id, partner, event)
                return done
            row = await store.insert_event(
                conn, tenant_id=principal.tenant_id, direction="out",
                partner_id=partner["id"] if partner else None, body=reply,
                delivery_state="pending" if partner else "undeliverable",
                sweep_after_s=retry.FIRST_SWEEP_AFTER_S)
            if partner is not None:
                done.outgoing.append(row["id"])
            else:
                logger.warning("PACT request from a client with no registered partner: the "
                               "answer is logged, not sent",
                               extra={"tenant_id": str(principal.tenant_id),
                                      "client_id": principal.client_id})
    return done


async def _hold_request(conn: asyncpg.Connection, tenant_id: UUID, partner: Mapping[str, Any],
                        event: dict[str, Any]) -> list[UUID]:
    """Keep a partner's request for the tenant's users (no answer yet); tell them by webhook."""
    data = event["data"]
    request_pk = await store.insert_request(
        conn, tenant_id=tenant_id, partner_id=partner["id"], request_event_id=event["id"],
        product_ids=list(data["pf"]["productIds"]), pf_fragment=dict(data["pf"]),
        comment=data.get("comment"))
    if request_pk is None:  # the same event again: already held
        return []
    return await webhooks.emit(conn, tenant_id=tenant_id, event_type="pact_request.created",
                               data={"pact_request_id": str(request_pk),
                                     "partner_id": str(partner["id"]),
                                     "partner_name": partner["name"],
                                     "request_event_id": event["id"],
                                     "product_ids": list(data["pf"]["productIds"]),
                                     "comment": data.get("comment")})


async def on_published(conn: asyncpg.Connection, tenant_id: UUID, document: dict[str, Any], *,
                       source: str) -> list[UUID]:
    """After a publication (inside its transaction): ``Fulfilled.v1`` for every open request
    naming one of the document's productIds, ``Published.v1`` to every partner that asked for
    it. Returns the outgoing events to deliver after commit."""
    outgoing = []
    for request in await store.open_requests_for_products(conn, tenant_id,
                                                          list(document["productIds"])):
        outgoing.append(await fulfil_request(conn, tenant_id, request, document, source=source))
    for partner_id in await store.notified_partners(conn, tenant_id):
        row = await store.insert_event(
            conn, tenant_id=tenant_id, direction="out", partner_id=partner_id,
            body=make_event(PUBLISHED, {"pfIds": [document["id"]]}, source=source),
            delivery_state="pending", sweep_after_s=retry.FIRST_SWEEP_AFTER_S)
        outgoing.append(row["id"])
    return outgoing


async def fulfil_request(conn: asyncpg.Connection, tenant_id: UUID,
                         request: Mapping[str, Any], document: dict[str, Any], *,
                         source: str) -> UUID:
    """Answer a held request with the footprint (inside a transaction, request locked)."""
    row = await store.insert_event(
        conn, tenant_id=tenant_id, direction="out", partner_id=request["partner_id"],
        body=make_event(FULFILLED, {"requestEventId": request["request_event_id"],
                                    "pfs": [document]}, source=source),
        delivery_state="pending", sweep_after_s=retry.FIRST_SWEEP_AFTER_S)
    await store.decide_request(conn, request["id"], state="fulfilled",
                               pf_id=UUID(document["id"]), reject_message=None,
                               answer_event_pk=row["id"])
    return row["id"]


async def reject_request(conn: asyncpg.Connection, tenant_id: UUID,
                         request: Mapping[str, Any], *, message: str, source: str) -> UUID:
    """Turn a held request down (``Rejected.v1``, code NotFound, with the user's message)."""
    row = await store.insert_event(
        conn, tenant_id=tenant_id, direction="out", partner_id=request["partner_id"],
        body=make_event(REJECTED, {"requestEventId": request["request_event_id"],
                                   "error": {"code": "NotFound", "message": message}},
                        source=source),
        delivery_state="pending", sweep_after_s=retry.FIRST_SWEEP_AFTER_S)
    await store.decide_request(conn, request["id"], state="rejected", pf_id=None,
                               reject_message=message, answer_event_pk=row["id"])
    return row["id"]


async def _answer_request(conn: asyncpg.Connection, tenant_id: UUID, event: dict[str, Any],
                          events_url: str) -> dict[str, Any]:
    product_ids = event["data"]["pf"].get("productIds")
    if not isinstance(product_ids, list) or not product_ids or not all(
            isinstance(p, str) for p in product_ids):
        return make_event(REJECTED, {"requestEventId": event["id"], "error": {
            "code": "BadRequest", "message": "the request names no productIds"}},
            source=events_url)
    documents = await store.active_for_products(conn, tenant_id, product_ids)
    if not documents:
        return make_event(REJECTED, {"requestEventId": event["id"], "error": {
            "code": "NotFound",
            "message": f"no published footprint for the products {product_ids}"}},
            source=events_url)
    return make_event(FULFILLED, {"requestEventId": event["id"], "pfs": documents},
                      source=events_url)


# ------------------------------------------------------------------- partner credentials


def _aad_key(name: str) -> str:
    """Associated data for a sealed partner secret (the tenant id is bound by the KEK too)."""
    return f"pact-partner:{name}"


def seal_secret(settings: Settings, *, tenant_id: UUID, name: str,
                secret: str) -> tuple[bytes, str]:
    """The sealed secret and the KEK id it was sealed with."""
    kek = kek_for(settings)
    return kek.seal(secret.encode(), key_id=_aad_key(name),
                    tenant_id=tenant_id), kek.kek_id


def partner_secret(settings: Settings, partner: Mapping[str, Any]) -> str:
    """The partner's client secret from its credentials reference."""
    ref = partner["credentials_ref"]
    if ref.startswith("env:"):
        value = os.environ.get(ref[4:])
        if not value:
            raise PartnerError(f"the variable {ref[4:]} holding the partner's secret is unset")
        return value
    try:
        return kek_for(settings).open(
            partner["credentials_sealed"], key_id=_aad_key(partner["name"]),
            tenant_id=partner["tenant_id"]).decode()
    except KeyUnavailable as exc:
        raise PartnerError(str(exc)) from exc


def partner_client(settings: Settings, partner: Mapping[str, Any]) -> PactClient:
    """A client for the partner's API with its stored credentials."""
    return PactClient(partner["base_url"], partner["client_id"],
                      partner_secret(settings, partner), token_url=partner["token_url"])


async def deliver(pool: asyncpg.Pool, settings: Settings, event_pk: UUID, *,
                  token: UUID | None = None) -> asyncpg.Record:
    """Send one logged outgoing event to its partner and record the outcome.

    Without ``token`` the row's lease is claimed first; when another sender holds it (or it
    was sent meanwhile) nothing is sent and the row is returned as it is.
    """
    async with pool.acquire() as conn:
        if token is None:
            token = uuid.uuid4()
            if not await store.claim_event(conn, event_pk, token=token, lease_s=retry.LEASE_S):
                return await store.get_event(conn, event_pk)
        event = await store.get_event(conn, event_pk)
        partner = await store.get_partner(conn, event["tenant_id"], event["partner_id"])
        status: int | None = None
        try:
            async with partner_client(settings, partner) as client:
                response = await client.send_event(event["body"])
            status, state, error = response.status_code, "sent", None
        except PartnerError as exc:
            status, state, error = exc.status, "failed", str(exc)[:1000]
            logger.warning("PACT event delivery failed",
                           extra={"tenant_id": str(event["tenant_id"]), "error": error})
        row = await store.record_delivery(
            conn, event_pk, token=token, state=state, status=status, error=error,
            retry_in_s=None if state == "sent" else retry.next_delay(
                event["delivery_attempts"] + 1))
        if row is None:  # the lease ran out while sending and another sender took the row
            logger.warning("PACT event delivery lease lost", extra={"event": str(event_pk)})
            row = await store.get_event(conn, event_pk)
        return row


async def redeliver(pool: asyncpg.Pool, settings: Settings, tenant_id: UUID,
                    event_pk: UUID) -> asyncpg.Record | None:
    """Send a pending or failed outgoing event of the tenant again; None if there is none."""
    async with pool.acquire() as conn:
        event = await store.get_event(conn, event_pk)
    if (event is None or event["tenant_id"] != tenant_id or event["direction"] != "out"
            or event["partner_id"] is None):
        return None
    if event["delivery_state"] == "sent":
        return event
    return await deliver(pool, settings, event_pk)


async def deliver_all(pool: asyncpg.Pool, settings: Settings, event_pks: list[UUID]) -> None:
    """Deliver several events (a background task after a response)."""
    for event_pk in event_pks:
        try:
            await deliver(pool, settings, event_pk)
        except Exception:  # a background task has no caller to tell
            logger.exception("PACT event delivery crashed", extra={"event": str(event_pk)})


async def sweep(pool: asyncpg.Pool, settings: Settings, *,
                limit: int = retry.SWEEP_BATCH) -> list[UUID]:
    """Claim the outgoing events whose next attempt is due and send each once (concurrently);
    returns the ids attempted."""
    return await retry.sweep_due(
        pool, claim=store.claim_due_events, kind="pact-event", limit=limit,
        send=lambda event_pk, token: deliver(pool, settings, event_pk, token=token))


# ---------------------------------------------------------------------------------- pulls


def check_partner_url(url: str, settings: Settings) -> None:
    """Outside development, partners are reached over HTTPS only."""
    if settings.environment != "development" and not url.startswith("https://"):
        raise InvalidInput("partner URLs must use https", issues=[{"field": "url",
                                                                    "message": url}])


def _wanted(document: Mapping[str, Any], product_ids: list[str]) -> bool:
    return not product_ids or bool(set(document.get("productIds") or []) & set(product_ids))


async def pull(conn: asyncpg.Connection, settings: Settings, principal: Principal,
               body: PullRequest) -> PullResult:
    """List the supplier's footprints (all pages), store the wanted ones as received data."""
    check_partner_url(body.endpoint, settings)
    endpoint = body.endpoint.rstrip("/")
    pages = listed = 0
    documents: list[dict[str, Any]] = []
    try:
        async with PactClient(endpoint, body.client_id, body.client_secret.get_secret_value(),
                              token_url=body.token_url) as client:
            async for page in client.pages(limit=body.page_size):
                pages += 1
                listed += len(page)
                documents.extend(d for d in page if isinstance(d, dict) and _wanted(
                    d, body.product_ids))
    except PartnerError as exc:
        raise InvalidInput(f"the supplier's PACT API failed: {exc}",
                           issues=[{"field": "endpoint", "message": str(exc)}]) from None
    stored: list[ReceivedPublic] = []
    known: list[UUID] = []
    skipped: list[PullSkipped] = []
    async with conn.transaction():
        for document in documents:
            try:
                parsed = pact.parse_product_footprint(document)
            except pact.SchemaError as exc:
                skipped.append(PullSkipped(pf_id=str(document.get("id")), reason=str(exc)))
                continue
            received_id = await store.insert_received(conn, tenant_id=principal.tenant_id,
                                                      endpoint=endpoint, parsed=parsed,
                                                      document=document, via="pull")
            if received_id is None:
                known.append(parsed["pf_id"])
                continue
            row = await store.get_received(conn, principal.tenant_id, received_id)
            stored.append(ReceivedPublic(**{k: v for k, v in dict(row).items()
                                            if k in ReceivedPublic.model_fields}))
    return PullResult(endpoint=endpoint, pages=pages, listed=listed, stored=stored,
                      already_known=known, skipped=skipped)
