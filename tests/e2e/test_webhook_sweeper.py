"""Deliveries left pending are resumed by the sweeper of the API processes, exactly once.

Rows are written as an API process that stopped would leave them: pending, next attempt in the
past, no in-process task to send them. Two API processes (the session's and a second one
started here) sweep every second; local receivers on 127.0.0.1 count every request by
delivery id (``Tanji-Delivery`` for webhooks, the CloudEvent ``id`` for PACT events).
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from service.requests import retry
from service.requests.webhooks import verify
from tests.pact.schema import errors
from tests.support.servers import api_process, free_port, serve_in_thread, wait_ready

SECRET = "whsec-" + "s" * 24
PARTNER_ID, PARTNER_SECRET = "sweep-partner", "sweep-partner-secret"
PUBLISHED = "org.wbcsd.pathfinder.ProductFootprint.Published.v1"


class Receivers:
    """A webhook endpoint and a partner's PACT API (/auth/token, /2/events) in one app."""

    def __init__(self) -> None:
        self.webhook_requests: Counter[str] = Counter()
        self.webhook_ok: Counter[str] = Counter()
        self.webhook_valid = True
        self.fail_first: dict[str, int] = {}
        self.events: Counter[str] = Counter()
        self.event_bodies: dict[str, dict[str, Any]] = {}
        self.tokens: set[str] = set()

        async def hook(request: Request) -> Response:
            delivery = request.headers.get("tanji-delivery", "")
            self.webhook_requests[delivery] += 1
            if self.fail_first.get(delivery, 0) > 0:
                self.fail_first[delivery] -= 1
                return Response(status_code=503)
            body = await request.body()
            self.webhook_valid &= verify(SECRET, request.headers.get("tanji-signature", ""),
                                         body)
            self.webhook_valid &= json.loads(body)["id"] == delivery
            self.webhook_ok[delivery] += 1
            return Response(status_code=204)

        async def token(request: Request) -> Response:
            _, _, value = request.headers.get("authorization", "").partition(" ")
            if base64.b64decode(value).decode() != f"{PARTNER_ID}:{PARTNER_SECRET}":
                return Response(status_code=401)
            issued = uuid.uuid4().hex
            self.tokens.add(issued)
            return JSONResponse({"access_token": issued, "token_type": "Bearer"})

        async def event(request: Request) -> Response:
            if request.headers.get("authorization", "")[7:] not in self.tokens:
                return Response(status_code=400)
            body = await request.json()
            self.events[body["id"]] += 1
            self.event_bodies[body["id"]] = body
            return Response(status_code=200)

        self.app = Starlette(routes=[Route("/hook", hook, methods=["POST"]),
                                     Route("/auth/token", token, methods=["POST"]),
                                     Route("/2/events", event, methods=["POST"])])


@pytest.fixture(scope="module")
def receivers() -> Iterator[Receivers]:
    """Both receivers on one free local port for the module."""
    holder = Receivers()
    with serve_in_thread(holder.app) as base:
        holder.url = f"{base}"  # type: ignore[attr-defined]
        yield holder


@pytest.fixture(scope="module")
def second_api(service_env: dict[str, str], log_dir) -> Iterator[str]:
    """Another API process on the same database: its reaper loop sweeps too."""
    port = free_port()
    process = api_process(service_env, port, log_dir).start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, process=process.process)
    except Exception:
        process.stop()
        raise
    yield base
    process.stop()


async def wait_until(check, limit_s: float = 30) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if check():
            return
        await asyncio.sleep(0.2)
    raise TimeoutError("condition not met in time")


async def test_pending_webhook_deliveries_are_sent_once_by_two_sweepers(
        make_tenant, conn, receivers, second_api, api_url) -> None:
    tenant, stranger = await make_tenant("sweep"), await make_tenant("sweep-x")
    async with await tenant.client("buyer") as http:
        hook = await http.post("/v1/webhooks", json={"url": f"{receivers.url}/hook",
                                                     "secret": SECRET})
        assert hook.status_code == 201, hook.text
    webhook_id = uuid.UUID(hook.json()["id"])
    ids = [uuid.uuid4() for _ in range(20)]
    flaky, exhausted = ids[0], uuid.uuid4()
    receivers.fail_first[str(flaky)] = 2  # down for the first two attempts: backoff 1 s, 2 s
    for delivery_id, attempts in [*((i, 0) for i in ids), (exhausted, retry.MAX_ATTEMPTS)]:
        body = {"id": str(delivery_id), "type": "data_request.created",
                "created_at": datetime.now(UTC).isoformat(), "tenant_id": str(tenant.tenant_id),
                "data": {"request_id": str(uuid.uuid4())}}
        await conn.execute(
            "insert into webhook_delivery(id, tenant_id, webhook_id, event_type, body, state, "
            "attempts, next_attempt_at) values ($1, $2, $3, $4, $5, $6, $7, "
            "now() - interval '1 second')", delivery_id, tenant.tenant_id, webhook_id,
            "data_request.created", body, "pending" if attempts == 0 else "failed", attempts)

    await wait_until(lambda: all(receivers.webhook_ok[str(i)] for i in ids))
    await asyncio.sleep(4)  # time for any duplicate from either process to show up
    assert receivers.webhook_valid
    assert {i: receivers.webhook_ok[str(i)] for i in ids} == dict.fromkeys(ids, 1)
    assert receivers.webhook_requests[str(flaky)] == 3
    assert all(receivers.webhook_requests[str(i)] == 1 for i in ids[1:])
    assert receivers.webhook_requests[str(exhausted)] == 0  # retries are bounded
    rows = {r["id"]: r for r in await conn.fetch(
        "select id, state, attempts, next_attempt_at, lease_token from webhook_delivery "
        "where id = any($1::uuid[])", [*ids, exhausted])}
    assert {(rows[i]["state"], rows[i]["attempts"]) for i in ids[1:]} == {("sent", 1)}
    assert (rows[flaky]["state"], rows[flaky]["attempts"]) == ("sent", 3)
    assert all(rows[i]["next_attempt_at"] is None and rows[i]["lease_token"] is None
               for i in ids)
    assert (rows[exhausted]["state"], rows[exhausted]["attempts"]) == (
        "failed", retry.MAX_ATTEMPTS)

    async with await tenant.client("buyer") as http:
        listed = {d["id"]: d for d in (await http.get("/v1/webhook-deliveries")).json()}
        assert listed[str(flaky)]["state"] == "sent"
        again = await http.post(f"/v1/webhook-deliveries/{flaky}/redeliver")
        assert again.json()["attempts"] == 3  # sent: left alone
    async with await stranger.client("buyer") as http:
        assert (await http.get("/v1/webhook-deliveries")).json() == []
        assert (await http.post(f"/v1/webhook-deliveries/{exhausted}/redeliver")
                ).status_code == 404
    # the redeliver route still sends an exhausted one by hand
    async with await tenant.client("buyer") as http:
        manual = await http.post(f"/v1/webhook-deliveries/{exhausted}/redeliver")
        assert manual.json()["state"] == "sent"
    assert receivers.webhook_ok[str(exhausted)] == 1


async def test_pending_pact_events_are_sent_once_by_two_sweepers(
        make_tenant, conn, receivers, second_api) -> None:
    tenant, stranger = await make_tenant("sweep-pact"), await make_tenant("sweep-pact-x")
    async with await tenant.client("admin") as http:
        partner = await http.post("/v1/pact/partners", json={
            "name": "sweep-partner", "base_url": receivers.url, "client_id": PARTNER_ID,
            "client_secret": PARTNER_SECRET})
        assert partner.status_code == 201, partner.text
    partner_id = uuid.UUID(partner.json()["id"])
    rows = []
    for _ in range(12):
        event = {"type": PUBLISHED, "specversion": "1.0", "id": str(uuid.uuid4()),
                 "source": "https://tanji.example/2/events",
                 "time": "2026-05-19T10:30:00.000Z", "data": {"pfIds": [str(uuid.uuid4())]}}
        rows.append(await conn.fetchval(
            "insert into pact_event(tenant_id, direction, partner_id, event_id, event_type, "
            "source, body, delivery_state, next_attempt_at) values ($1, 'out', $2, $3, $4, $5, "
            "$6, 'pending', now() - interval '1 second') returning id", tenant.tenant_id,
            partner_id, event["id"], PUBLISHED, event["source"], event))
    wanted = {r["event_id"] for r in await conn.fetch(
        "select event_id from pact_event where id = any($1::uuid[])", rows)}
    await wait_until(lambda: wanted <= set(receivers.events))
    await asyncio.sleep(4)
    assert {e: receivers.events[e] for e in wanted} == dict.fromkeys(wanted, 1)
    assert all(errors("PublishedEvent", receivers.event_bodies[e]) == [] for e in wanted)
    states = await conn.fetch("select delivery_state, delivery_attempts, next_attempt_at "
                              "from pact_event where id = any($1::uuid[])", rows)
    assert {(s["delivery_state"], s["delivery_attempts"]) for s in states} == {("sent", 1)}
    assert all(s["next_attempt_at"] is None for s in states)
    async with await stranger.client("buyer") as http:
        assert (await http.get("/v1/pact/events")).json() == []
        assert (await http.post(f"/v1/pact/events/{rows[0]}/deliver")).status_code == 404
    async with await tenant.client("buyer") as http:
        log = (await http.get("/v1/pact/events")).json()
        assert {e["id"] for e in log} >= {str(r) for r in rows}
