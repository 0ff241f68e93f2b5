"""PACT requests <-> our data requests, through the real API and worker.

A partner (a small PACT API on 127.0.0.1: /auth/token and /2/events) registered by the US LCI
tenant with ``data_requests`` and ``notify_published`` asks for footprints of products the
tenant has not published. The requests are held for the tenant's users
(``/v1/pact/requests``); fulfilling one publishes a computed footprint and the partner gets
``Fulfilled`` with a schema-valid ProductFootprint, a plain publication naming a requested
product fulfils another, a rejection answers ``Rejected``. In our own flow, an accepted answer
whose footprint job succeeds sends the buyer ``data_answer.recalculated`` with the new result
id, and publishing that result sends the partner ``ProductFootprint.Published``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import random
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from service.auth import store as auth_store
from tests.pact.schema import errors
from tests.support.api import wait_job
from tests.support.servers import serve_in_thread

PARTNER_ID, PARTNER_SECRET = "bridge-partner", "bridge-partner-secret"
SECRET = "whsec-" + "b" * 24
CREATED = "org.wbcsd.pathfinder.ProductFootprintRequest.Created.v1"
FULFILLED = "org.wbcsd.pathfinder.ProductFootprintRequest.Fulfilled.v1"
REJECTED = "org.wbcsd.pathfinder.ProductFootprintRequest.Rejected.v1"
PUBLISHED = "org.wbcsd.pathfinder.ProductFootprint.Published.v1"
DUE = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()


class Peer:
    """The partner's PACT endpoint and a webhook receiver, keeping what they receive."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.hooks: list[dict[str, Any]] = []
        self.tokens: set[str] = set()

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
            self.events.append(await request.json())
            return Response(status_code=200)

        async def hook(request: Request) -> Response:
            body = await request.body()
            fields = dict(p.split("=", 1) for p in
                          request.headers.get("tanji-signature", "").split(",") if "=" in p)
            expected = hmac.new(SECRET.encode(), f"{fields.get('t')}.".encode() + body,
                                hashlib.sha256).hexdigest()
            self.hooks.append({"valid": hmac.compare_digest(expected, fields.get("v1", "")),
                               "event": request.headers.get("tanji-event"),
                               "body": json.loads(body)})
            return Response(status_code=204)

        self.app = Starlette(routes=[Route("/auth/token", token, methods=["POST"]),
                                     Route("/2/events", event, methods=["POST"]),
                                     Route("/hook", hook, methods=["POST"])])

    def find(self, event_type: str, request_event_id: str | None = None) -> dict | None:
        for event in self.events:
            if event["type"] == event_type and (
                    request_event_id is None
                    or event["data"].get("requestEventId") == request_event_id):
                return event
        return None

    async def wait_for(self, event_type: str, request_event_id: str | None = None, *,
                       match=None, limit_s: float = 30) -> dict:
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            for event in self.events:
                if event["type"] == event_type and (
                        request_event_id is None
                        or event["data"].get("requestEventId") == request_event_id) and (
                        match is None or match(event)):
                    return event
            await asyncio.sleep(0.1)
        raise TimeoutError(f"no {event_type} for {request_event_id}; got {self.events}")

    async def wait_hook(self, event_type: str, match, limit_s: float = 300) -> dict:
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            for item in self.hooks:
                if item["event"] == event_type and match(item["body"]):
                    return item
            await asyncio.sleep(0.2)
        raise TimeoutError(f"no {event_type}; got {self.hooks}")


@pytest.fixture(scope="module")
def peer() -> Iterator[Peer]:
    """The partner's API and the webhook receiver on a free local port for the module."""
    holder = Peer()
    with serve_in_thread(holder.app) as base:
        holder.url = f"{base}"  # type: ignore[attr-defined]
        yield holder


@pytest.fixture(scope="module")
async def bridged(uslci_owner, peer, database_url: str) -> AsyncIterator[dict]:
    """The partner registered (opted in to both) with a client of its own to call us."""
    from service import db

    tenant, snapshot_hash = uslci_owner
    async with db.connect(database_url) as c:
        inbound = await auth_store.create_client(c, tenant_id=tenant.tenant_id,
                                                 name="bridge-partner-in", roles=["supplier"],
                                                 actor="test")
    async with await tenant.client("admin") as http:
        response = await http.post("/v1/pact/partners", json={
            "name": f"bridge-{uuid.uuid4().hex[:6]}", "base_url": peer.url,
            "client_id": PARTNER_ID, "client_secret": PARTNER_SECRET,
            "inbound_client_id": inbound.client_id, "data_requests": True,
            "notify_published": True})
        assert response.status_code == 201, response.text
    registered = response.json()
    assert registered["data_requests"]
    assert registered["notify_published"]
    async with httpx.AsyncClient(base_url=tenant.api_url) as http:
        token = (await http.post("/auth/token", data={"grant_type": "client_credentials"},
                                 auth=(inbound.client_id, inbound.client_secret))).json()
    yield {"tenant": tenant, "snapshot_hash": snapshot_hash, "partner": registered,
           "token": token["access_token"]}
    async with await tenant.client("admin") as http:  # other modules publish for this tenant
        await http.patch(f"/v1/pact/partners/{registered['id']}",
                         json={"data_requests": False, "notify_published": False})


def gtin() -> str:
    return "urn:gtin:" + "".join(random.choices("0123456789", k=13))


def created_event(product_ids: list[str], comment: str | None = None) -> dict:
    data: dict[str, Any] = {"pf": {"productIds": product_ids}}
    if comment:
        data["comment"] = comment
    return {"specversion": "1.0", "id": str(uuid.uuid4()), "source": "https://partner.example",
            "time": "2026-05-19T10:30:00Z", "type": CREATED, "data": data}


async def send_as_partner(bridged: dict, event: dict) -> None:
    async with httpx.AsyncClient(base_url=bridged["tenant"].api_url, headers={
            "Authorization": f"Bearer {bridged['token']}"}) as http:
        response = await http.post("/2/events", json=event, headers={
            "Content-Type": "application/cloudevents+json; charset=UTF-8"})
    assert response.status_code == 200, response.text


async def held(http: httpx.AsyncClient, event: dict, limit_s: float = 10) -> dict:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        for item in (await http.get("/v1/pact/requests")).json():
            if item["request_event_id"] == event["id"]:
                return item
        await asyncio.sleep(0.1)
    raise TimeoutError(f"request {event['id']} not held")


async def computed_result(http: httpx.AsyncClient, snapshot_hash: str) -> str:
    steel = (await http.get(f"/v1/snapshots/{snapshot_hash}/activities",
                            params={"q": "hot rolled"})).json()[0]
    product = (await http.post("/v1/products", json={
        "part_number": f"BRIDGE-{uuid.uuid4().hex[:6]}", "name": "Steel blank",
        "unit": "kg"})).json()
    revision = (await http.post(f"/v1/products/{product['id']}/boms", json={"lines": [
        {"line_id": "s", "part_number": "S", "description": "Steel", "quantity": 1.1,
         "unit": "kg", "link_hint": steel["link_hint"]}]})).json()
    job = (await http.post("/v1/footprints", json={"bom_revision_id": revision["id"]})).json()
    done = await wait_job(http, job["id"], limit_s=300)
    assert done["state"] == "succeeded", done
    return done["result_id"]


async def test_partner_request_becomes_a_data_request_and_is_fulfilled(
        bridged, peer, make_tenant) -> None:
    tenant = bridged["tenant"]
    product_id = gtin()
    event = created_event([product_id], comment="PCF for 2025, please")
    await send_as_partner(bridged, event)
    async with await tenant.client("supplier") as http:
        request = await held(http, event)
        assert request["state"] == "open"
        assert request["partner_id"] == bridged["partner"]["id"]
        assert request["partner_name"] == bridged["partner"]["name"]
        assert request["product_ids"] == [product_id]
        assert request["comment"] == "PCF for 2025, please"
        one = await http.get(f"/v1/pact/requests/{request['id']}")
        assert one.status_code == 200
        assert one.json() == request
    await send_as_partner(bridged, event)  # the same event again: held once
    async with await tenant.client("supplier") as http:
        assert [r["request_event_id"] for r in (await http.get("/v1/pact/requests")).json()
                ].count(event["id"]) == 1
    await asyncio.sleep(1)
    assert peer.find(REJECTED, event["id"]) is None  # not rejected: waiting for the tenant

    # nobody else sees or answers it
    stranger = await make_tenant("bridge-x")
    rid = request["id"]
    async with await stranger.client("supplier") as http:
        assert (await http.get("/v1/pact/requests")).json() == []
        assert (await http.get(f"/v1/pact/requests/{rid}")).status_code == 404
        assert (await http.post(f"/v1/pact/requests/{rid}/fulfil",
                                json={"result_id": str(uuid.uuid4())})).status_code == 404
        assert (await http.post(f"/v1/pact/requests/{rid}/reject",
                                json={"message": "no"})).status_code == 404
    async with await stranger.client("admin") as http:
        assert (await http.patch(f"/v1/pact/partners/{bridged['partner']['id']}",
                                 json={"data_requests": False})).status_code == 404
    async with await tenant.client("verifier") as http:
        assert (await http.get("/v1/pact/requests")).status_code == 403

    async with await tenant.client("buyer") as http:
        result_id = await computed_result(http, bridged["snapshot_hash"])
    async with await stranger.client("buyer") as http:  # another tenant's result: 404
        other = await http.post(f"/v1/pact/requests/{rid}/fulfil", json={"result_id": result_id})
        assert other.status_code == 404
    async with await tenant.client("supplier") as http:
        missing = await http.post(f"/v1/pact/requests/{rid}/fulfil",
                                  json={"result_id": str(uuid.uuid4())})
        assert missing.status_code == 404
        assert (await http.get(f"/v1/pact/requests/{rid}")).json()["state"] == "open"
        fulfilled = await http.post(f"/v1/pact/requests/{rid}/fulfil", json={
            "result_id": result_id, "publish": {"geography_country": "US"}})
        assert fulfilled.status_code == 200, fulfilled.text
        assert fulfilled.json()["state"] == "fulfilled"
        pf_id = fulfilled.json()["pf_id"]
        again = await http.post(f"/v1/pact/requests/{rid}/fulfil", json={"result_id": result_id})
        assert again.status_code == 409

    answer = await peer.wait_for(FULFILLED, event["id"])
    assert errors("RequestFulfilledEvent", answer) == []
    [document] = answer["data"]["pfs"]
    assert errors("ProductFootprint", document) == []
    assert document["id"] == pf_id
    assert product_id in document["productIds"]
    assert document["status"] == "Active"
    assert document["pcf"]["geographyCountry"] == "US"
    published = await peer.wait_for(PUBLISHED, match=lambda e: e["data"]["pfIds"] == [pf_id])
    assert errors("PublishedEvent", published) == []
    async with await tenant.client("exporter") as http:
        served = await http.get(f"/2/footprints/{pf_id}")
        assert served.json()["data"] == document
        log = (await http.get("/v1/pact/events")).json()
        sent = {e["event_id"]: e for e in log if e["direction"] == "out"}
        assert sent[answer["id"]]["delivery_state"] == "sent"


async def test_publication_naming_a_requested_product_fulfils_it(bridged, peer) -> None:
    tenant = bridged["tenant"]
    product_id = gtin()
    event = created_event([product_id])
    await send_as_partner(bridged, event)
    async with await tenant.client("buyer") as http:
        await held(http, event)
        result_id = await computed_result(http, bridged["snapshot_hash"])
        publish = await http.post(f"/v1/footprints/{result_id}/pact-publish",
                                  json={"extra_product_ids": [product_id]})
        assert publish.status_code == 201, publish.text
        pf_id = publish.json()["pf_id"]
        request = await held(http, event)
        assert (request["state"], request["pf_id"]) == ("fulfilled", pf_id)
    answer = await peer.wait_for(FULFILLED, event["id"])
    assert errors("RequestFulfilledEvent", answer) == []
    assert [d["id"] for d in answer["data"]["pfs"]] == [pf_id]
    assert all(errors("ProductFootprint", d) == [] for d in answer["data"]["pfs"])


async def test_rejecting_and_opting_out(bridged, peer) -> None:
    tenant = bridged["tenant"]
    event = created_event([gtin()])
    await send_as_partner(bridged, event)
    async with await tenant.client("supplier") as http:
        request = await held(http, event)
        refused = await http.post(f"/v1/pact/requests/{request['id']}/reject",
                                  json={"message": "We do not make this product."})
        assert refused.status_code == 200, refused.text
        assert refused.json()["state"] == "rejected"
        assert (await http.post(f"/v1/pact/requests/{request['id']}/reject",
                                json={"message": "again"})).status_code == 409
    answer = await peer.wait_for(REJECTED, event["id"])
    assert errors("RequestRejectedEvent", answer) == []
    assert answer["data"]["error"] == {"code": "NotFound",
                                       "message": "We do not make this product."}

    partner_id = bridged["partner"]["id"]
    async with await tenant.client("admin") as http:
        off = await http.patch(f"/v1/pact/partners/{partner_id}",
                               json={"data_requests": False})
        assert off.status_code == 200
        assert off.json()["data_requests"] is False
        assert off.json()["notify_published"] is True
    try:
        direct = created_event([gtin()])
        await send_as_partner(bridged, direct)
        answer = await peer.wait_for(REJECTED, direct["id"])  # the conformance behaviour
        assert answer["data"]["error"]["code"] == "NotFound"
        async with await tenant.client("supplier") as http:
            assert all(r["request_event_id"] != direct["id"]
                       for r in (await http.get("/v1/pact/requests")).json())
    finally:
        async with await tenant.client("admin") as http:
            await http.patch(f"/v1/pact/partners/{partner_id}", json={"data_requests": True})


async def test_accepted_answer_notifies_buyer_with_result_and_publication(
        bridged, peer, make_tenant) -> None:
    buyer, snapshot_hash = bridged["tenant"], bridged["snapshot_hash"]
    supplier = await make_tenant("bridge-supplier")
    async with await buyer.client("admin") as http:
        code = (await http.post("/v1/partners/invitations", json={})).json()["code"]
    async with await supplier.client("admin") as http:
        assert (await http.post("/v1/partners", json={"code": code})).status_code == 201
    async with await buyer.client("buyer") as http:
        hook = await http.post("/v1/webhooks", json={"url": f"{peer.url}/hook",
                                                     "secret": SECRET})
        assert hook.status_code == 201, hook.text
        steel = (await http.get(f"/v1/snapshots/{snapshot_hash}/activities",
                                params={"q": "hot rolled"})).json()[0]
        product = (await http.post("/v1/products", json={
            "part_number": f"GEAR-{uuid.uuid4().hex[:6]}", "name": "Gear", "unit": "kg"})).json()
        revision = (await http.post(f"/v1/products/{product['id']}/boms", json={"lines": [
            {"line_id": "blank", "part_number": "B-1", "description": "Forged blank",
             "quantity": 1.2, "unit": "kg", "link_hint": steel["link_hint"],
             "supplier": "Forge"}]})).json()
        rid = (await http.post("/v1/requests", json={
            "supplier_tenant_id": str(supplier.tenant_id), "product_id": product["id"],
            "bom_revision_id": revision["id"], "line_ids": ["blank"], "due_date": DUE})
               ).json()["id"]
    async with await supplier.client("supplier") as http:
        answer = await http.post(f"/v1/requests/{rid}/answers", json={"items": [
            {"line_id": "blank", "declared": {
                "name": "Blank EPD", "declared_unit": "kg", "gwp100_kg_co2e": 2.1,
                "fossil_kg_co2e": 2.0, "biogenic_kg_co2e": 0.04, "land_use_kg_co2e": 0.06,
                "reference_period_start": "2025-01-01", "reference_period_end": "2025-12-31"}}]})
        assert answer.status_code == 201, answer.text
    aid = answer.json()["id"]
    async with await buyer.client("buyer") as http:
        accepted = await http.post(f"/v1/requests/{rid}/answers/{aid}/accept")
        assert accepted.status_code == 200, accepted.text
        [revision_out] = accepted.json()["outcome"]["revisions"]
        done = await wait_job(http, revision_out["job_id"], limit_s=300)
        assert done["state"] == "succeeded", done

    notified = await peer.wait_hook("data_answer.recalculated",
                                    lambda b: b["data"]["answer_id"] == aid)
    assert notified["valid"]
    [item] = notified["body"]["data"]["revisions"]
    assert item["job_id"] == revision_out["job_id"]
    assert item["job_state"] == "succeeded"
    assert item["result_id"] == done["result_id"]
    assert item["result_url"] == f"/v1/footprints/{done['result_id']}"
    await asyncio.sleep(3)  # the follow-up goes out once, whichever process sweeps
    assert [h["body"]["data"]["answer_id"] for h in peer.hooks
            if h["event"] == "data_answer.recalculated"].count(aid) == 1

    async with await buyer.client("buyer") as http:
        publish = await http.post(f"/v1/footprints/{done['result_id']}/pact-publish", json={
            "exempted_emissions_percent": 0,  # the supplier's EPD declares no pollutants
            "exempted_emissions_description": "pollutants not declared by the supplier"})
        assert publish.status_code == 201, publish.text
    pf_id = publish.json()["pf_id"]
    event = await peer.wait_for(PUBLISHED, match=lambda e: e["data"]["pfIds"] == [pf_id])
    assert errors("PublishedEvent", event) == []
    async with await supplier.client("supplier") as http:  # the supplier hears nothing of it
        assert all(d["event_type"] != "data_answer.recalculated"
                   for d in (await http.get("/v1/webhook-deliveries")).json())
