"""Webhooks: per-tenant endpoints, signed deliveries with retries.

Each delivery is a JSON body ``{id, type, created_at, tenant_id, data}`` POSTed with

    Tanji-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>
    Tanji-Event: <type>
    Tanji-Delivery: <id>

so a receiver checks the HMAC over the exact bytes it received and refuses old timestamps
(replays). The secret must be usable for signing, so it cannot be hashed: it is sealed with
AES-256-GCM under the KEK derived (HKDF) from ``TANJI_SECRET_PEPPER``, as signing keys are
(:mod:`service.certificates.keys`), bound to the webhook id and tenant.

Deliveries are rows first (``webhook_delivery``, written in the same transaction as the
change they announce), then sent by an asyncio task of the API process with exponential
backoff (:data:`RETRY_DELAYS_S`). Whatever that task did not finish (the process stopped, or
the receiver stayed down) is resumed by :func:`sweep` from the API's reaper loop, on the
schedule of :mod:`service.requests.retry`, under a lease so that two API processes never send
one row at once. A delivery still pending or failed can be sent again with
``POST /v1/webhook-deliveries/{id}/redeliver``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
import httpx

from service.certificates.keys import KeyUnavailable, kek_for
from service.config import Settings
from service.errors import InvalidInput
from service.requests import retry, store

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "Tanji-Signature"
RETRY_DELAYS_S = (0.0, 1.0, 2.0, 4.0, 8.0)
TIMEOUT_S = 10.0
_tasks: set[asyncio.Task] = set()


def sign(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    """The ``Tanji-Signature`` header value for ``body``."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify(secret: str, header: str, body: bytes, *, tolerance_s: int = 300,
           now: float | None = None) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` within ``tolerance_s`` (receivers)."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        t = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - t) > tolerance_s:
        return False
    expected = sign(secret, body, timestamp=t).split("v1=", 1)[1]
    return hmac.compare_digest(expected, fields.get("v1", ""))


def _aad(webhook_id: UUID) -> str:
    return f"webhook:{webhook_id}"


def check_url(url: str, settings: Settings) -> None:
    """http(s) only; outside development, https only."""
    scheme = url.split(":", 1)[0].lower()
    ok = scheme == "https" or (scheme == "http" and settings.environment == "development")
    if not ok or "://" not in url or any(c.isspace() for c in url):
        raise InvalidInput("the webhook URL is not acceptable",
                           issues=[{"field": "url", "message": "an https URL (http only in "
                                                                "development)"}])


async def register(conn: asyncpg.Connection, settings: Settings, *, tenant_id: UUID, url: str,
                   secret: str) -> asyncpg.Record:
    """Store a webhook with its secret sealed."""
    check_url(url, settings)
    webhook_id = uuid.uuid4()
    kek = kek_for(settings)
    sealed = kek.seal(secret.encode(), key_id=_aad(webhook_id), tenant_id=tenant_id)
    return await store.insert_webhook(conn, webhook_id=webhook_id, tenant_id=tenant_id, url=url,
                                      secret_sealed=sealed, kek_id=kek.kek_id)


async def emit(conn: asyncpg.Connection, *, tenant_id: UUID, event_type: str,
               data: dict[str, Any]) -> list[UUID]:
    """Queue one event for each enabled webhook of the tenant (inside the caller's
    transaction); returns the delivery ids to hand to :func:`send_soon` after commit."""
    ids = []
    for webhook_id in await store.active_webhooks(conn, tenant_id):
        delivery_id = uuid.uuid4()
        body = {"id": str(delivery_id), "type": event_type,
                "created_at": datetime.now(UTC).isoformat(), "tenant_id": str(tenant_id),
                "data": data}
        ids.append(await store.insert_delivery(conn, delivery_id=delivery_id,
                                               tenant_id=tenant_id, webhook_id=webhook_id,
                                               event_type=event_type, body=body,
                                               sweep_after_s=retry.FIRST_SWEEP_AFTER_S))
    return ids


async def attempt(pool: asyncpg.Pool, settings: Settings, delivery_id: UUID, *,
                  token: UUID | None = None) -> asyncpg.Record | None:
    """One delivery attempt, recorded; returns the delivery row after it.

    Without ``token`` the lease is claimed here first; when someone else holds it (or the
    delivery was sent meanwhile) nothing is sent and the row is returned as it is. With
    ``token`` (the sweeper's) the caller holds the lease already.
    """
    async with pool.acquire() as conn:
        if token is None:
            token = uuid.uuid4()
            if not await store.claim_delivery(conn, delivery_id, token=token,
                                              lease_s=retry.LEASE_S):
                return await store.get_delivery_by_id(conn, delivery_id)
        row = await store.get_delivery_for_sending(conn, delivery_id)
        if row["disabled_at"] is not None:
            return await _record(conn, delivery_id, token, state="failed", status=None,
                                 error="the webhook is disabled", retry_in_s=None)
        status: int | None = None
        try:
            secret = kek_for(settings).open(bytes(row["secret_sealed"]),
                                            key_id=_aad(row["webhook_id"]),
                                            tenant_id=row["tenant_id"]).decode()
            body = json.dumps(row["body"], separators=(",", ":"), ensure_ascii=False).encode()
            headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body),
                       "Tanji-Event": row["event_type"], "Tanji-Delivery": str(delivery_id),
                       "User-Agent": "tanji-webhooks/1"}
            async with httpx.AsyncClient(timeout=TIMEOUT_S, follow_redirects=False) as http:
                response = await http.post(row["url"], content=body, headers=headers)
            status = response.status_code
            ok = 200 <= status < 300
            error = None if ok else f"HTTP {status}"
        except (httpx.HTTPError, KeyUnavailable) as exc:
            ok, error = False, f"{type(exc).__name__}: {exc}"[:500]
        if not ok:
            logger.warning("webhook delivery failed", extra={
                "tenant_id": str(row["tenant_id"]), "delivery_id": str(delivery_id),
                "error": error})
        return await _record(conn, delivery_id, token, state="sent" if ok else "failed",
                             status=status, error=error,
                             retry_in_s=None if ok else retry.next_delay(row["attempts"] + 1))


async def _record(conn: asyncpg.Connection, delivery_id: UUID, token: UUID, *, state: str,
                  status: int | None, error: str | None,
                  retry_in_s: float | None) -> asyncpg.Record:
    row = await store.record_attempt(conn, delivery_id, token=token, state=state,
                                     status=status, error=error, retry_in_s=retry_in_s)
    if row is None:  # the lease ran out while sending and another sender took the row
        logger.warning("webhook delivery lease lost", extra={"delivery_id": str(delivery_id)})
        row = await store.get_delivery_by_id(conn, delivery_id)
    return row


async def deliver(pool: asyncpg.Pool, settings: Settings, delivery_id: UUID,
                  delays: Iterable[float] = RETRY_DELAYS_S) -> asyncpg.Record | None:
    """Attempt a delivery until it is sent or the retries run out (the sweeper goes on)."""
    row = None
    for delay in delays:
        await asyncio.sleep(delay)
        row = await attempt(pool, settings, delivery_id)
        if row is not None and row["state"] == "sent":
            break
    return row


async def sweep(pool: asyncpg.Pool, settings: Settings, *,
                limit: int = retry.SWEEP_BATCH) -> list[UUID]:
    """Claim the unsent deliveries whose next attempt is due and attempt each once
    (concurrently); returns the ids attempted."""
    return await retry.sweep_due(
        pool, claim=store.claim_due_deliveries, kind="webhook", limit=limit,
        send=lambda delivery_id, token: attempt(pool, settings, delivery_id, token=token))


def send_soon(pool: asyncpg.Pool, settings: Settings, delivery_ids: Iterable[UUID]) -> None:
    """Deliver in the background of the API process (after the response)."""
    for delivery_id in delivery_ids:
        task = asyncio.create_task(_deliver_logged(pool, settings, delivery_id))
        _tasks.add(task)
        task.add_done_callback(_tasks.discard)


async def _deliver_logged(pool: asyncpg.Pool, settings: Settings, delivery_id: UUID) -> None:
    try:
        await deliver(pool, settings, delivery_id)
    except Exception:  # a background task has no caller to tell
        logger.exception("webhook delivery crashed", extra={"delivery_id": str(delivery_id)})
