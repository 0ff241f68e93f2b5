"""PACT v2 through the real API: the checks PACT's conformance service runs, and more.

Footprints are computed on the real US LCI snapshot (fixture ``uslci_owner``), published, and
served; every document and response body is held against the spec's own JSON schema
(``tests/pact/spec/openapi.yaml``). A small partner API (FastAPI under uvicorn, in a thread)
receives the events we send. A second tenant pulls the first one's footprints as a buyer.

The list and pagination checks count the footprints of the shared US LCI tenant: this
module runs before test_requests_pact_bridge.py (alphabetical collection), which publishes
more for that tenant.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import time
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from tests.pact.schema import errors, response_validator
from tests.support.api import wait_job
from tests.support.servers import serve_in_thread

PARTNER_ID, PARTNER_SECRET = "partner-client", "partner-secret"
FULFILLED = "org.wbcsd.pathfinder.ProductFootprintRequest.Fulfilled.v1"
REJECTED = "org.wbcsd.pathfinder.ProductFootprintRequest.Rejected.v1"
PUBLISHED = "org.wbcsd.pathfinder.ProductFootprint.Published.v1"
CREATED = "org.wbcsd.pathfinder.ProductFootprintRequest.Created.v1"


class Partner:
    """A partner's PACT endpoint: /auth/token and /2/events, keeping what it receives."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.app = FastAPI()
        self.tokens: set[str] = set()
        self.refuse = False

        @self.app.post("/auth/token")
        async def token(request: Request) -> dict:
            _, _, value = request.headers.get("authorization", "").partition(" ")
            if base64.b64decode(value).decode() != f"{PARTNER_ID}:{PARTNER_SECRET}":
                return Response(status_code=401)  # type: ignore[return-value]
            issued = uuid.uuid4().hex
            self.tokens.add(issued)
            return {"access_token": issued, "token_type": "Bearer", "expires_in": 60}

        @self.app.post("/2/events")
        async def event(request: Request) -> Response:
            if request.headers.get("authorization", "")[7:] not in self.tokens:
                return Response(status_code=400)
            if self.refuse:
                return Response(status_code=503)
            self.events.append(await request.json())
            return Response(status_code=200)

    async def wait_for(self, event_type: str, request_id: str | None = None,
                       limit_s: float = 20) -> dict:
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            for event in self.events:
                if event["type"] == event_type and (
                        request_id is None or event["data"].get("requestEventId") == request_id):
                    return event
            await asyncio.sleep(0.1)
        raise TimeoutError(f"no {event_type} for {request_id}; got {self.events}")


@pytest.fixture(scope="module")
def partner():
    """The partner API on a free local port for the module."""
    holder = Partner()
    with serve_in_thread(holder.app) as base:
        holder.url = f"{base}"  # type: ignore[attr-defined]
        yield holder


async def find(http, snapshot_hash: str, q: str) -> dict:
    response = await http.get(f"/v1/snapshots/{snapshot_hash}/activities", params={"q": q})
    assert response.status_code == 200, response.text
    assert response.json(), q
    return response.json()[0]


async def compute(http, product_id: str, lines: list[dict]) -> str:
    revision = (await http.post(f"/v1/products/{product_id}/boms", json={"lines": lines})).json()
    job = (await http.post("/v1/footprints", json={"bom_revision_id": revision["id"]})).json()
    done = await wait_job(http, job["id"], limit_s=300)
    assert done["state"] == "succeeded", done
    return done["result_id"]


@pytest.fixture(scope="module")
async def published(uslci_owner) -> dict:
    """Three footprints published by the US LCI tenant: frame v1 (then Deprecated), pump,
    frame v2 (preceded by v1)."""
    tenant, snapshot_hash = uslci_owner
    async with await tenant.client("buyer") as http:
        steel = await find(http, snapshot_hash, "hot rolled")
        coal = await find(http, snapshot_hash, "electricity bituminous coal at power plant")
        truck = await find(http, snapshot_hash, "transport combination truck diesel")
        frame = (await http.post("/v1/products", json={
            "part_number": f"FRAME-{uuid.uuid4().hex[:6]}", "name": "Steel frame",
            "unit": "piece"})).json()
        pump = (await http.post("/v1/products", json={
            "part_number": f"PUMP-{uuid.uuid4().hex[:6]}", "name": "Pump casing",
            "unit": "kg"})).json()
        frame_lines = [
            {"line_id": "tube", "part_number": "S", "description": "Steel tube",
             "quantity": 2.4, "unit": "kg", "link_hint": steel["link_hint"],
             "stage": "raw_materials"},
            {"line_id": "weld", "part_number": "E", "description": "Welding power",
             "quantity": 3, "unit": "kWh", "link_hint": coal["link_hint"],
             "stage": "production"},
            {"line_id": "ship", "part_number": "T", "description": "Trucking",
             "quantity": 0.2, "unit": "t*km", "link_hint": truck["link_hint"],
             "stage": "distribution"}]
        pump_lines = [
            {"line_id": "cast", "part_number": "C", "description": "Steel", "quantity": 1,
             "unit": "kg", "link_hint": steel["link_hint"], "stage": "raw_materials"}]
        frame_v1 = await compute(http, frame["id"], frame_lines)
        pump_result = await compute(http, pump["id"], pump_lines)
        frame_lines[1]["quantity"] = 2.5
        frame_v2 = await compute(http, frame["id"], frame_lines)
        declared = {"product_mass_kg": 2.4, "geography_country": "US",
                    "product_category_cpc": "49921"}
        first = await http.post(f"/v1/footprints/{frame_v1}/pact-publish", json=declared)
        assert first.status_code == 201, first.text
        second = await http.post(f"/v1/footprints/{pump_result}/pact-publish")
        assert second.status_code == 201, second.text
        third = await http.post(f"/v1/footprints/{frame_v2}/pact-publish", json=declared)
        assert third.status_code == 201, third.text
    return {"tenant": tenant, "frame": frame, "pump": pump,
            "docs": [first.json()["document"], second.json()["document"],
                     third.json()["document"]],
            "third": third.json(), "frame_v1_result": frame_v1}


async def pact_client(tenant, role: str = "exporter") -> httpx.AsyncClient:
    return await tenant.client(role)


# ------------------------------------------------------------------------------ publish


async def test_published_documents_follow_the_spec(published) -> None:
    first, second, third = published["docs"]
    for document in published["docs"]:
        assert errors("ProductFootprint", document) == [], document
        assert document["specVersion"] == "2.3.0"
        assert document["status"] == "Active"
        assert float(document["pcf"]["pCfExcludingBiogenic"]) > 0
    assert first["pcf"]["declaredUnit"] == "kilogram"
    assert first["pcf"]["unitaryProductAmount"] == "2.4"
    assert first["pcf"]["geographyCountry"] == "US"
    assert second["pcf"]["declaredUnit"] == "kilogram"
    assert second["pcf"]["secondaryEmissionFactorSources"][0]["name"]
    assert third["precedingPfIds"] == [first["id"]]
    assert published["third"]["deprecated_pf_ids"] == [first["id"]]
    assert third["productIds"] == first["productIds"]
    assert second["companyIds"] == [f"urn:tanji:company:{published['tenant'].tenant_id}"]


async def test_published_numbers_are_the_result_per_declared_unit(published) -> None:
    tenant = published["tenant"]
    async with await tenant.client("buyer") as http:
        result = (await http.get(f"/v1/footprints/{published['frame_v1_result']}")).json()
    ghg = result["result"]["ghg"]
    pcf = published["docs"][0]["pcf"]
    assert float(pcf["pCfExcludingBiogenic"]) == pytest.approx(ghg["total"] / 2.4, rel=1e-12)
    assert float(pcf["fossilGhgEmissions"]) == pytest.approx(ghg["fossil"] / 2.4, rel=1e-12)
    share = result["result"]["primary_data_share"]["gwp100_kg_co2e"]
    assert pcf["primaryDataShare"] == pytest.approx(100 * (share or 0))


async def test_publish_refusals(published, make_tenant) -> None:
    tenant = published["tenant"]
    async with await tenant.client("verifier") as http:
        response = await http.post(f"/v1/footprints/{uuid.uuid4()}/pact-publish")
        assert response.status_code == 403
    async with await tenant.client("buyer") as http:
        response = await http.post(f"/v1/footprints/{uuid.uuid4()}/pact-publish")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
    other = await make_tenant("pact-other")
    async with await other.client("buyer") as http:
        response = await http.post(
            f"/v1/footprints/{published['frame_v1_result']}/pact-publish")
        assert response.status_code == 404


# ------------------------------------------------------------ conformance: auth, list, get


async def test_token_with_valid_and_invalid_credentials(published, api_url: str) -> None:
    client_id, secret = published["tenant"].credentials["exporter"]
    async with httpx.AsyncClient(base_url=api_url) as http:
        good = await http.post("/auth/token", data={"grant_type": "client_credentials"},
                               auth=(client_id, secret))
        assert good.status_code == 200
        assert good.json()["access_token"]
        bad = await http.post("/auth/token", data={"grant_type": "client_credentials"},
                              auth=(client_id, "wrong"))
        assert bad.status_code in (400, 401)


async def test_list_footprints(published) -> None:
    async with await pact_client(published["tenant"]) as http:
        response = await http.get("/2/footprints")
    assert response.status_code == 200
    body = response.json()
    assert list(response_validator("/2/footprints").iter_errors(body)) == []
    ids = [d["id"] for d in body["data"]]
    assert len(ids) == len(set(ids)) == 3
    assert set(ids) == {d["id"] for d in published["docs"]}
    statuses = {d["id"]: (d["status"], d["version"]) for d in body["data"]}
    assert statuses[published["docs"][0]["id"]] == ("Deprecated", 2)
    assert statuses[published["docs"][2]["id"]] == ("Active", 1)


async def test_pagination_follows_next_links_until_exhausted(published, api_url: str,
                                                             conn) -> None:
    seen: list[str] = []
    async with await pact_client(published["tenant"]) as http:
        url: str | None = "/2/footprints?limit=1"
        pages = 0
        while url:
            response = await http.get(url)
            assert response.status_code == 200, response.text
            assert list(response_validator("/2/footprints").iter_errors(response.json())) == []
            seen += [d["id"] for d in response.json()["data"]]
            pages += 1
            link = response.links.get("next")
            url = link["url"] if link else None
            if url:
                assert url.startswith(api_url + "/2/footprints?")  # absolute
        assert pages == 3
        assert len(seen) == len(set(seen)) == 3
        assert set(seen) == {d["id"] for d in published["docs"]}
        # a link expires: the cursor table holds its expiry
        first = await http.get("/2/footprints?limit=2")
        next_url = first.links["next"]["url"]
        token = next_url.split("cursor=")[1]
        await conn.execute("update pact_cursor set expires_at = now() - interval '1 second' "
                           "where token_hash = $1", hashlib.sha256(token.encode()).digest())
        expired = await http.get(next_url)
        assert expired.status_code == 400
        assert expired.json()["code"] == "BadRequest"


async def test_get_footprint(published) -> None:
    document = published["docs"][2]
    async with await pact_client(published["tenant"]) as http:
        response = await http.get(f"/2/footprints/{document['id']}")
    assert response.status_code == 200
    body = response.json()
    assert list(response_validator("/2/footprints/{id}").iter_errors(body)) == []
    assert body["data"] == document


async def test_unknown_footprint_is_no_such_footprint(published) -> None:
    async with await pact_client(published["tenant"]) as http:
        for pf_id in ("00000000-0000-0000-0000-000000000000", "non-existent-id"):
            response = await http.get(f"/2/footprints/{pf_id}")
            assert response.status_code == 404
            assert response.json()["code"] == "NoSuchFootprint"
            assert errors("Error", {**response.json(), "code": "NotFound"}) == []


async def test_invalid_and_expired_tokens(published, api_url: str, conn) -> None:
    async with httpx.AsyncClient(base_url=api_url) as http:
        for path in ("/2/footprints", f"/2/footprints/{published['docs'][0]['id']}"):
            response = await http.get(path, headers={"Authorization": "Bearer nope"})
            assert response.status_code == 400
            assert response.json() == {"code": "BadRequest", "message": "Invalid token provided"}
        missing = await http.get("/2/footprints")
        assert missing.status_code == 400
        assert missing.json()["code"] == "BadRequest"
        event = await http.post("/2/events", json={}, headers={"Authorization": "Bearer nope"})
        assert event.status_code == 400
        token = await published["tenant"].token("exporter")
        await conn.execute("update access_token set expires_at = now() - interval '1 second' "
                           "where token_hash = $1", hashlib.sha256(token.encode()).digest())
        expired = await http.get("/2/footprints", headers={"Authorization": f"Bearer {token}"})
        assert expired.status_code == 401
        assert expired.json()["code"] == "TokenExpired"
        assert "Bearer" in expired.headers["www-authenticate"]


async def test_verifier_clients_are_denied(published) -> None:
    async with await published["tenant"].client("verifier") as http:
        response = await http.get("/2/footprints")
    assert response.status_code == 403
    assert response.json()["code"] == "AccessDenied"


async def test_filters(published) -> None:
    docs = published["docs"]
    async with await pact_client(published["tenant"]) as http:
        created = docs[1]["created"]
        response = await http.get("/2/footprints",
                                  params={"$filter": f"created ge '{created}'"})
        assert response.status_code == 200
        found = response.json()["data"]
        assert {d["id"] for d in found} == {docs[1]["id"], docs[2]["id"]}
        assert all(d["created"] >= created for d in found)
        product = docs[1]["productIds"][0]
        response = await http.get("/2/footprints", params={
            "$filter": f"productIds/any(productId:(productId eq '{product}'))"})
        assert [d["id"] for d in response.json()["data"]] == [docs[1]["id"]]
        response = await http.get("/2/footprints", params={
            "$filter": "pcf/geographyCountry eq 'US' and status eq 'Active'"})
        assert [d["id"] for d in response.json()["data"]] == [docs[2]["id"]]
        company = docs[0]["companyIds"][0]
        response = await http.get("/2/footprints", params={
            "$filter": f"companyIds/any(c:(c eq '{company}'))", "limit": "2"})
        assert len(response.json()["data"]) == 2
        following = await http.get(response.links["next"]["url"])
        assert len(following.json()["data"]) == 1  # the filter travels with the link
        for text in ("created ge '2020-01-01T00:00:00Z' or status eq 'Active'",
                     "pcf/pCfExcludingBiogenic gt '1'", "created ge 'yesterday'"):
            response = await http.get("/2/footprints", params={"$filter": text})
            assert response.status_code == 400, text
            assert response.json()["code"] == "BadRequest"
        assert (await http.get("/2/footprints?limit=0")).json()["code"] == "BadRequest"


async def test_other_tenants_see_nothing(published, make_tenant) -> None:
    other = await make_tenant("pact-b")
    async with await other.client("exporter") as http:
        listed = await http.get("/2/footprints")
        assert listed.status_code == 200
        assert listed.json() == {"data": []}
        for document in published["docs"]:
            response = await http.get(f"/2/footprints/{document['id']}")
            assert response.status_code == 404
            assert response.json()["code"] == "NoSuchFootprint"


# ---------------------------------------------------------------------------------- events


@pytest.fixture(scope="module")
async def registered(published, partner) -> dict:
    """The partner registered by the publishing tenant; it calls us as the 'supplier' client."""
    tenant = published["tenant"]
    async with await tenant.client("admin") as http:
        response = await http.post("/v1/pact/partners", json={
            "name": f"partner-{uuid.uuid4().hex[:6]}", "base_url": partner.url,
            "client_id": PARTNER_ID, "client_secret": PARTNER_SECRET,
            "inbound_client_id": tenant.credentials["supplier"][0]})
        assert response.status_code == 201, response.text
        assert "secret" not in response.text
    return response.json()


def cloud_event(event_type: str, data: dict) -> dict:
    return {"specversion": "1.0", "id": str(uuid.uuid4()), "source": "https://partner.example",
            "time": "2026-05-19T10:30:00Z", "type": event_type, "data": data}


async def test_events_published_and_malformed(published, registered) -> None:
    headers = {"Content-Type": "application/cloudevents+json; charset=UTF-8"}
    async with await published["tenant"].client("supplier") as http:
        ok = await http.post("/2/events", headers=headers, json=cloud_event(
            PUBLISHED, {"pfIds": [str(uuid.uuid4())]}))
        assert ok.status_code == 200
        malformed = await http.post("/2/events", headers=headers, json=cloud_event(
            PUBLISHED, {"pfIds": ["urn:gtin:4712345060507"]}))
        assert malformed.status_code == 400
        assert malformed.json()["code"] == "BadRequest"
        unknown = await http.post("/2/events", json=cloud_event("com.example.Other", {}))
        assert unknown.status_code == 400


async def test_request_is_fulfilled_to_the_partner(published, registered, partner) -> None:
    document = published["docs"][2]
    event = cloud_event(CREATED, {"pf": {"productIds": document["productIds"]},
                                  "comment": "Please send PCF data for this year."})
    async with await published["tenant"].client("supplier") as http:
        response = await http.post("/2/events", json=event)
    assert response.status_code == 200
    answer = await partner.wait_for(FULFILLED, event["id"])
    assert errors("RequestFulfilledEvent", answer) == []
    assert [pf["id"] for pf in answer["data"]["pfs"]] == [document["id"]]  # Active only
    assert answer["source"].endswith("/2/events")


async def test_request_for_unknown_product_is_rejected(published, registered, partner) -> None:
    event = cloud_event(CREATED, {"pf": {"productIds": ["urn:pact:null"]}})
    async with await published["tenant"].client("supplier") as http:
        assert (await http.post("/2/events", json=event)).status_code == 200
    answer = await partner.wait_for(REJECTED, event["id"])
    assert errors("RequestRejectedEvent", answer) == []
    assert answer["data"]["error"]["code"] == "NotFound"


async def test_send_published_event_to_partner(published, registered, partner) -> None:
    pf_id = published["docs"][2]["id"]
    async with await published["tenant"].client("exporter") as http:
        response = await http.post("/v1/pact/events", json={
            "partner_id": registered["id"], "type": "published", "pf_ids": [pf_id]})
        assert response.status_code == 200, response.text
        assert response.json()["delivery_state"] == "sent"
        log = (await http.get("/v1/pact/events")).json()
        assert {e["direction"] for e in log} == {"in", "out"}
    received = await partner.wait_for(PUBLISHED)
    assert errors("PublishedEvent", received) == []
    assert received["data"]["pfIds"] == [pf_id]


async def test_failed_delivery_is_recorded(published, partner) -> None:
    tenant = published["tenant"]
    async with await tenant.client("admin") as http:
        wrong = (await http.post("/v1/pact/partners", json={
            "name": f"wrong-{uuid.uuid4().hex[:6]}", "base_url": partner.url,
            "client_id": PARTNER_ID, "client_secret": "not-it"})).json()
        response = await http.post("/v1/pact/events", json={
            "partner_id": wrong["id"], "type": "request", "product_ids": ["urn:gtin:1"]})
    assert response.status_code == 200
    assert response.json()["delivery_state"] == "failed"
    assert "token" in response.json()["delivery_error"]


async def test_refused_delivery_can_be_sent_again(published, registered, partner,
                                                  make_tenant) -> None:
    tenant = published["tenant"]
    partner.refuse = True
    try:
        async with await tenant.client("buyer") as http:
            first = (await http.post("/v1/pact/events", json={
                "partner_id": registered["id"], "type": "request",
                "product_ids": ["urn:gtin:4712345060507"]})).json()
    finally:
        partner.refuse = False
    assert first["delivery_state"] == "failed"
    assert first["delivery_status"] == 503
    async with await tenant.client("buyer") as http:
        again = await http.post(f"/v1/pact/events/{first['id']}/deliver")
        assert again.status_code == 200
        assert again.json()["delivery_state"] == "sent"
        assert again.json()["delivery_attempts"] == 2
    assert errors("RequestCreatedEvent", await partner.wait_for(CREATED)) == []
    other = await make_tenant("pact-c")
    async with await other.client("buyer") as http:
        assert (await http.post(f"/v1/pact/events/{first['id']}/deliver")).status_code == 404


async def test_fulfilled_event_stores_received_footprints(published, make_tenant) -> None:
    buyer = await make_tenant("pact-recipient")
    event = cloud_event(FULFILLED, {"requestEventId": "r-1", "pfs": [published["docs"][1]]})
    async with await buyer.client("buyer") as http:
        assert (await http.post("/2/events", json=event)).status_code == 200
        received = (await http.get("/v1/pact/received")).json()
    assert [r["pf_id"] for r in received] == [published["docs"][1]["id"]]
    assert received[0]["received_via"] == "event"


# ------------------------------------------------------------------------------------ pull


async def test_buyer_pulls_suppliers_footprints(published, make_tenant, api_url: str) -> None:
    supplier = published["tenant"]
    client_id, secret = supplier.credentials["exporter"]
    buyer = await make_tenant("pact-buyer")
    async with await buyer.client("buyer") as http:
        response = await http.post("/v1/pact/pulls", json={
            "endpoint": api_url, "client_id": client_id, "client_secret": secret})
        assert response.status_code == 200, response.text
        pulled = response.json()
        assert pulled["listed"] == 3
        assert pulled["skipped"] == []
        stored = {r["pf_id"]: r for r in pulled["stored"]}
        assert set(stored) == {d["id"] for d in published["docs"]}
        frame = stored[published["docs"][2]["id"]]
        pcf = published["docs"][2]["pcf"]
        assert frame["declared"]["declared_unit"] == "kg"
        assert frame["declared"]["values"]["gwp100_kg_co2e"] == pytest.approx(
            float(pcf["pCfExcludingBiogenic"]))
        assert frame["declared"]["pact"]["fossilGhgEmissions"] == pytest.approx(
            float(pcf["fossilGhgEmissions"]))
        assert frame["company_name"]
        assert frame["status"] == "Active"
        again = (await http.post("/v1/pact/pulls", json={
            "endpoint": api_url, "client_id": client_id, "client_secret": secret,
            "product_ids": published["docs"][1]["productIds"], "page_size": 1})).json()
        assert again["pages"] == 3  # followed Link rel="next" to the end
        assert again["listed"] == 3
        assert again["stored"] == []
        assert again["already_known"] == [published["docs"][1]["id"]]
        bad = await http.post("/v1/pact/pulls", json={
            "endpoint": api_url, "client_id": client_id, "client_secret": "wrong"})
        assert bad.status_code == 422
        listed = (await http.get("/v1/pact/received")).json()
        assert len(listed) == 3
        kept = await http.post(f"/v1/pact/received/{frame['id']}/primary-data")
        assert kept.status_code == 201, kept.text
        record = kept.json()
        assert record["link_hint"] == f"primary:{record['id']}"
        assert record["kind"] == "declared"
        assert record["payload"]["values"]["gwp100_kg_co2e"] == pytest.approx(
            float(pcf["pCfExcludingBiogenic"]))
        assert (await http.get(f"/v1/primary-data/{record['id']}")).status_code == 200
    async with await supplier.client("buyer") as http:
        assert (await http.get("/v1/pact/received")).json() == []  # tenant-scoped
        refused = await http.post(f"/v1/pact/received/{frame['id']}/primary-data")
        assert refused.status_code == 404
