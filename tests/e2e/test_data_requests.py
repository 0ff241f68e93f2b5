"""Supplier data exchange through the real API and worker.

A buyer (the tenant owning the US LCI snapshot, fixture ``uslci_owner``) invites a supplier
tenant, asks it for data on two parts, the supplier fills the CSV template (first with a
mistake: 422 naming row and field, nothing stored), the buyer accepts, a new revision links
the parts to the supplier's records and a footprint job on the real worker gives a higher
primary-data share. A webhook receiver on 127.0.0.1 checks every signature. A third tenant
gets 404 on every route; roles without business there get 403; the supplier's process data
never reaches the buyer.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import hmac
import io
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from service.requests.webhooks import verify
from tests.support.api import wait_job
from tests.support.servers import serve_in_thread

SECRET = "whsec-" + "x" * 24
DUE = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()


class Receiver:
    """A webhook endpoint that keeps each delivery with whether its signature verified."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.failures_left = 0

        async def hook(request: Request) -> Response:
            if self.failures_left > 0:
                self.failures_left -= 1
                return Response(status_code=503)
            body = await request.body()
            header = request.headers.get("tanji-signature", "")
            fields = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
            expected = hmac.new(SECRET.encode(), f"{fields.get('t')}.".encode() + body,
                                hashlib.sha256).hexdigest()
            fresh = abs(time.time() - int(fields.get("t", "0"))) < 300
            valid = hmac.compare_digest(expected, fields.get("v1", "")) and fresh
            assert valid == verify(SECRET, header, body)  # the helper receivers may use
            assert not verify(SECRET, header, body + b" ")
            self.received.append({"valid": valid, "event": request.headers.get("tanji-event"),
                                  "body": json.loads(body)})
            return Response(status_code=204)

        self.app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])

    async def wait_for(self, event_type: str, limit_s: float = 20) -> dict[str, Any]:
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            for item in self.received:
                if item["event"] == event_type:
                    return item
            await asyncio.sleep(0.1)
        raise TimeoutError(f"no {event_type}; got {self.received}")


@pytest.fixture(scope="module")
def receiver():
    """The webhook receiver on a free local port for the module."""
    holder = Receiver()
    with serve_in_thread(holder.app) as base:
        holder.url = f"{base}/hook"  # type: ignore[attr-defined]
        yield holder


async def find(http, snapshot_hash: str, q: str) -> dict:
    response = await http.get(f"/v1/snapshots/{snapshot_hash}/activities", params={"q": q})
    assert response.status_code == 200, response.text
    assert response.json(), q
    return response.json()[0]


async def partner_up(buyer, supplier) -> None:
    """Invitation by the buyer's admin, accepted by the supplier's admin."""
    async with await buyer.client("admin") as http:
        invitation = await http.post("/v1/partners/invitations", json={"note": "tier 1"})
        assert invitation.status_code == 201, invitation.text
    async with await supplier.client("admin") as http:
        accepted = await http.post("/v1/partners", json={"code": invitation.json()["code"]})
        assert accepted.status_code == 201, accepted.text
        assert accepted.json()["side"] == "supplier"


async def product_with_bom(http, lines: list[dict]) -> tuple[dict, dict]:
    product = await http.post("/v1/products", json={
        "part_number": f"PUMP-{uuid.uuid4().hex[:8]}", "name": "Pump"})
    assert product.status_code == 201, product.text
    revision = await http.post(f"/v1/products/{product.json()['id']}/boms",
                               json={"lines": lines})
    assert revision.status_code == 201, revision.text
    return product.json(), revision.json()


def fill(template: bytes, values: dict[tuple[str, str, str], dict[str, str]]) -> bytes:
    rows = list(csv.DictReader(io.StringIO(template.decode("utf-8-sig"))))
    for row in rows:
        row.update(values.get((row["line_id"], row["section"], row["field"]), {}))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def leaks(document: Any) -> bool:
    """True when a JSON document carries process detail (inputs or emissions)."""
    text = json.dumps(document)
    return '"inputs"' in text or '"emissions"' in text or '"amount_kg"' in text


async def test_full_flow(uslci_owner, make_tenant, receiver, conn) -> None:
    buyer, snapshot_hash = uslci_owner
    supplier, third = await make_tenant("supplier"), await make_tenant("third")
    async with await buyer.client("buyer") as http:
        hook = await http.post("/v1/webhooks", json={"url": receiver.url, "secret": SECRET})
        assert hook.status_code == 201, hook.text
        assert "secret" not in hook.json()
        steel = await find(http, snapshot_hash, "hot rolled")
        coal = await find(http, snapshot_hash, "electricity bituminous coal at power plant")
        product, revision = await product_with_bom(http, [
            {"line_id": "housing", "part_number": "H-1", "description": "Pump housing",
             "quantity": 2.5, "unit": "kg", "link_hint": steel["link_hint"],
             "supplier": "Castings Co"},
            {"line_id": "shaft", "part_number": "S-1", "description": "Shaft",
             "quantity": 400, "unit": "g", "link_hint": steel["link_hint"],
             "supplier": "Castings Co"},
            {"line_id": "power", "part_number": "E-1", "description": "Assembly power",
             "quantity": 3, "unit": "kWh", "link_hint": coal["link_hint"]}])
        job = (await http.post("/v1/footprints",
                               json={"bom_revision_id": revision["id"]})).json()
        done = await wait_job(http, job["id"], limit_s=300)
        assert done["state"] == "succeeded", done
        before = (await http.get(done["result_url"])).json()
    share_before = before["result"]["primary_data_share"]["gwp100_kg_co2e"]
    steel_lines = {line["line_id"]: line for line in before["result"]["lines"]}
    steel_per_kg = steel_lines["housing"]["values"]["gwp100_kg_co2e"] / 2.5

    await partner_up(buyer, supplier)
    async with await buyer.client("buyer") as http:
        partners = (await http.get("/v1/partners")).json()
        # the buyer is the shared US LCI tenant: other tests may partner it too
        assert str(supplier.tenant_id) in [p["supplier_tenant_id"] for p in partners]
        created = await http.post("/v1/requests", json={
            "supplier_tenant_id": str(supplier.tenant_id), "product_id": product["id"],
            "bom_revision_id": revision["id"], "line_ids": ["housing"],
            "part_numbers": ["S-1"], "due_date": DUE, "message": "Q3 data please"})
        assert created.status_code == 201, created.text
        request = created.json()
        assert request["status"] == "open"
        assert request["side"] == "buyer"
        assert {p["line_id"] for p in request["parts"]} == {"housing", "shaft"}
    rid = request["id"]

    async with await supplier.client("supplier") as http:
        listed = (await http.get("/v1/requests")).json()
        assert [r["id"] for r in listed] == [rid]
        assert listed[0]["side"] == "supplier"
        template = await http.get(f"/v1/requests/{rid}/template.csv")
        assert template.status_code == 200
        assert template.headers["content-type"].startswith("text/csv")
        xlsx = await http.get(f"/v1/requests/{rid}/template.xlsx")
        assert xlsx.status_code == 200
        assert xlsx.content[:2] == b"PK"
        period = {(line, "record", name): {"value": value}
                  for line in ("housing", "shaft")
                  for name, value in (("reference_period_start", "2025-01-01"),
                                      ("reference_period_end", "2025-12-31"))}
        values = {
            **period,
            ("housing", "record", "location"): {"value": "CN-SD"},
            ("housing", "energy", "electricity"): {"value": "2.0",
                                                    "link_hint": coal["link_hint"],
                                                    "region": "CN-SD"},
            ("housing", "emission", "co2"): {"value": "0.8"},
            ("housing", "emission", "so2"): {"value": "oops"},
            ("housing", "emission", "pm10"): {"value": "0.002"},
            # 100x the background steel: flagged, not refused
            ("shaft", "record", "declared_unit"): {"value": "kg"},
            ("shaft", "declared", "gwp100_kg_co2e"): {"value": str(steel_per_kg * 100)},
            ("shaft", "record", "standard"): {"value": "ISO 14067"}}
        bad = await http.post(f"/v1/requests/{rid}/answers/upload",
                              files={"file": ("answer.csv", fill(template.content, values))})
        assert bad.status_code == 422, bad.text
        issues = bad.json()["issues"]
        so2_row = next(i for i, row in enumerate(csv.DictReader(io.StringIO(
            template.content.decode("utf-8-sig"))), start=2)
            if row["line_id"] == "housing" and row["field"] == "so2")
        assert [(i["row"], i["field"]) for i in issues] == [(so2_row, "value")]
        assert await conn.fetchval("select count(*) from primary_data where tenant_id = $1",
                                   supplier.tenant_id) == 0
        values[("housing", "emission", "so2")] = {"value": "0.004"}
        values[("housing", "record", "declared_unit")] = {"value": "piece"}  # the BOM has kg
        wrong_unit = await http.post(
            f"/v1/requests/{rid}/answers/upload",
            files={"file": ("answer.csv", fill(template.content, values))})
        assert wrong_unit.status_code == 422, wrong_unit.text
        unit_row = next(i for i, row in enumerate(csv.DictReader(io.StringIO(
            template.content.decode("utf-8-sig"))), start=2)
            if row["line_id"] == "housing" and row["field"] == "declared_unit")
        [issue] = wrong_unit.json()["issues"]
        assert (issue["row"], issue["line_id"]) == (unit_row, "housing")
        assert issue["field"].endswith("declared_unit")
        values[("housing", "record", "declared_unit")] = {"value": "kg"}
        good = await http.post(f"/v1/requests/{rid}/answers/upload",
                               files={"file": ("answer.csv", fill(template.content, values))})
        assert good.status_code == 201, good.text
        answer = good.json()
        supplier_view = answer
        assert answer["state"] == "submitted"
        housing = next(i for i in answer["items"] if i["line_id"] == "housing")
        assert housing["kind"] == "process"
        assert housing["detail"]["emissions"]  # the supplier sees its own detail
        assert housing["per_unit"]["gwp100_kg_co2e"] > 0.8  # computed on the background
        assert any("PM10" in note for note in housing["notes"])
        assert [f["line_id"] for f in answer["flags"]] == ["shaft"]
        assert answer["flags"][0]["ratio"] == pytest.approx(100, rel=1e-6)
    aid = answer["id"]
    answered = await receiver.wait_for("data_request.answered")
    assert answered["valid"]
    assert answered["body"]["data"]["answer_id"] == aid
    assert answered["body"]["data"]["flags"] == 1

    record_ids = [i["primary_data_id"] for i in supplier_view["items"]]
    async with await buyer.client("buyer") as http:
        view = (await http.get(f"/v1/requests/{rid}/answers/{aid}")).json()
        assert view["flags"] == supplier_view["flags"]  # flagged to both sides
        assert all(item["detail"] is None for item in view["items"])
        assert not leaks(view)
        assert not leaks((await http.get(f"/v1/requests/{rid}/answers")).json())
        assert (await http.get(f"/v1/requests/{rid}")).json()["status"] == "answered"
        for record_id in record_ids:
            assert (await http.get(f"/v1/primary-data/{record_id}")).status_code == 404
        assert all(r["id"] not in record_ids
                   for r in (await http.get("/v1/primary-data")).json())
        accepted = await http.post(f"/v1/requests/{rid}/answers/{aid}/accept")
        assert accepted.status_code == 200, accepted.text
        assert not leaks(accepted.json())
        revisions = accepted.json()["outcome"]["revisions"]
        assert [r["from_revision"] for r in revisions] == [revision["id"]]
        again = await http.post(f"/v1/requests/{rid}/answers/{aid}/accept")
        assert again.status_code == 409
        new_revision = (await http.get(f"/v1/bom-revisions/{revisions[0]['bom_revision_id']}")
                        ).json()
        hints = {line["line_id"]: line["link_hint"] for line in new_revision["lines"]}
        assert hints["housing"] == f"primary:{housing['primary_data_id']}"
        assert hints["shaft"].startswith("primary:")
        assert hints["power"] == coal["link_hint"]
        done = await wait_job(http, revisions[0]["job_id"], limit_s=300)
        assert done["state"] == "succeeded", done
        after = (await http.get(done["result_url"])).json()
        assert (await http.get(f"/v1/footprints/{before['id']}")).status_code == 200
        for record_id in record_ids:
            assert (await http.get(f"/v1/primary-data/{record_id}")).status_code == 404
    body = after["result"]
    assert not body["unlinked"], body["unlinked"]
    assert body["primary_data_share"]["gwp100_kg_co2e"] > share_before
    lines = {line["line_id"]: line for line in body["lines"]}
    assert set(lines["housing"]["link"]) == {"type", "primary_data_id", "location", "how"}
    assert lines["housing"]["link"]["type"] == "supplier_process"
    assert not leaks(after)
    assert lines["housing"]["values"]["gwp100_kg_co2e"] == pytest.approx(
        2.5 * housing["per_unit"]["gwp100_kg_co2e"], rel=1e-9)
    notified = await receiver.wait_for("data_answer.accepted")
    assert notified["valid"]
    assert all(item["valid"] for item in receiver.received)

    # a third tenant learns nothing, on every route; other roles are turned away
    async with await third.client("admin") as http:
        for path in (f"/v1/requests/{rid}", f"/v1/requests/{rid}/template.csv",
                     f"/v1/requests/{rid}/template.xlsx", f"/v1/requests/{rid}/answers",
                     f"/v1/requests/{rid}/answers/{aid}",
                     *(f"/v1/primary-data/{r}" for r in record_ids)):
            assert (await http.get(path)).status_code == 404, path
        for path in (f"/v1/requests/{rid}/answers/{aid}/accept",):
            assert (await http.post(path)).status_code == 404, path
        assert (await http.post(f"/v1/requests/{rid}/answers/{aid}/reject",
                                json={"reason": "x"})).status_code == 404
        assert (await http.post(f"/v1/requests/{rid}/answers", json={"items": [
            {"line_id": "shaft", "declared": {"name": "x", "declared_unit": "kg",
                                              "gwp100_kg_co2e": 1,
                                              "reference_period_start": "2025-01-01",
                                              "reference_period_end": "2025-12-31"}}]})
                ).status_code == 404
        assert (await http.get("/v1/requests")).json() == []
        assert (await http.get("/v1/webhook-deliveries")).json() == []
    for role in ("verifier", "exporter"):
        async with await buyer.client(role) as http:
            for path in ("/v1/requests", f"/v1/requests/{rid}", f"/v1/requests/{rid}/answers",
                         f"/v1/requests/{rid}/template.csv", "/v1/partners", "/v1/webhooks"):
                assert (await http.get(path)).status_code == 403, (role, path)


async def test_partnership_invitations(make_tenant) -> None:
    buyer, supplier, third = (await make_tenant("b"), await make_tenant("s"),
                              await make_tenant("x"))
    async with await buyer.client("buyer") as http:
        assert (await http.post("/v1/partners/invitations", json={})).status_code == 403
    async with await buyer.client("admin") as http:
        own = (await http.post("/v1/partners/invitations", json={})).json()["code"]
        assert (await http.post("/v1/partners", json={"code": own})).status_code == 404
        code = (await http.post("/v1/partners/invitations", json={})).json()["code"]
    async with await supplier.client("supplier") as http:
        assert (await http.post("/v1/partners", json={"code": code})).status_code == 403
    async with await supplier.client("admin") as http:
        wrong = await http.post("/v1/partners", json={"code": code + "x"})
        assert wrong.status_code == 404
        assert (await http.post("/v1/partners", json={"code": code})).status_code == 201
        # partners already: refused, and the buyer's other code stays unused
        assert (await http.post("/v1/partners", json={"code": own})).status_code == 409
    async with await third.client("admin") as http:
        assert (await http.post("/v1/partners", json={"code": code})).status_code == 404
        assert (await http.get("/v1/partners")).json() == []
    async with await buyer.client("buyer") as http:
        sides = {p["side"] for p in (await http.get("/v1/partners")).json()}
        assert sides == {"buyer"}
    async with await supplier.client("supplier") as http:
        assert [p["buyer_tenant_id"] for p in (await http.get("/v1/partners")).json()] == [
            str(buyer.tenant_id)]


async def test_reject_then_answer_again_with_json(make_tenant, conn) -> None:
    buyer, supplier, stranger = (await make_tenant("b"), await make_tenant("s"),
                                 await make_tenant("x"))
    await partner_up(buyer, supplier)
    async with await buyer.client("buyer") as http:
        product, revision = await product_with_bom(http, [
            {"line_id": "frame", "part_number": "F", "description": "Frame", "quantity": 1,
             "unit": "piece"},
            {"line_id": "tube", "parent_line_id": "frame", "part_number": "T",
             "description": "Tube", "quantity": 2, "unit": "kg"},
            {"line_id": "motor", "part_number": "M", "description": "Motor", "quantity": 1,
             "unit": "piece"}])
        base = {"supplier_tenant_id": str(supplier.tenant_id), "product_id": product["id"],
                "bom_revision_id": revision["id"], "due_date": DUE}
        refused = await http.post("/v1/requests", json={**base, "line_ids": ["frame", "nope"]})
        assert refused.status_code == 422
        assert {i["field"] for i in refused.json()["issues"]} == {"line_ids.1", "line_ids"}
        not_partner = await http.post("/v1/requests", json={
            **base, "supplier_tenant_id": str(stranger.tenant_id), "line_ids": ["motor"]})
        assert not_partner.status_code == 404
        past = await http.post("/v1/requests", json={**base, "line_ids": ["motor"],
                                                      "due_date": "2020-01-01"})
        assert past.status_code == 422
        rid = (await http.post("/v1/requests", json={**base, "line_ids": ["motor"]})).json()["id"]
    async with await buyer.client("supplier") as http:  # the buyer's own supplier-role client
        assert (await http.get(f"/v1/requests/{rid}")).status_code == 404
    declared = {"name": "Motor EPD", "declared_unit": "piece", "gwp100_kg_co2e": 12.0,
                "fossil_kg_co2e": 11.5, "biogenic_kg_co2e": 0.3, "land_use_kg_co2e": 0.2,
                "pollutants_kg": {"so2": 0.01, "pm10": 0.002},
                "reference_period_start": "2025-01-01", "reference_period_end": "2025-12-31",
                "standard": "ISO 14067", "verification": "third-party verified"}
    async with await supplier.client("supplier") as http:
        for change, field in (({"declared_unit": "kg"}, "items.0.declared_unit"),
                              ({"fossil_kg_co2e": 1.0}, "items.0.declared.gwp100_kg_co2e"),
                              ({"reference_period_end": "2024-01-01"}, "items.0"),
                              ({"reference_period_start": None}, "reference_period_start")):
            response = await http.post(f"/v1/requests/{rid}/answers", json={
                "items": [{"line_id": "motor", "declared": {**declared, **change}}]})
            assert response.status_code == 422, (change, response.text)
            assert any(field in i["field"] for i in response.json()["issues"]), response.json()
        assert await conn.fetchval("select count(*) from primary_data where tenant_id = $1",
                                   supplier.tenant_id) == 0
        first = await http.post(f"/v1/requests/{rid}/answers", json={
            "items": [{"line_id": "motor", "declared": declared}]})
        assert first.status_code == 201, first.text
        second = await http.post(f"/v1/requests/{rid}/answers", json={
            "items": [{"line_id": "motor", "declared": declared}]})
        assert second.status_code == 409
        assert (await http.post(f"/v1/requests/{rid}/answers/{first.json()['id']}/reject",
                                json={"reason": "x"})).status_code == 403
    async with await buyer.client("buyer") as http:
        view = (await http.get(f"/v1/requests/{rid}/answers/{first.json()['id']}")).json()
        assert view["items"][0]["per_unit"]["gwp100_kg_co2e"] == 12.0
        assert view["flags"] == []  # no footprint of the buyer to compare with
        rejected = await http.post(f"/v1/requests/{rid}/answers/{first.json()['id']}/reject",
                                   json={"reason": "scope 3 upstream missing"})
        assert rejected.status_code == 200, rejected.text
        assert rejected.json()["state"] == "rejected"
        assert (await http.get(f"/v1/requests/{rid}")).json()["state"] == "rejected"
    async with await supplier.client("supplier") as http:
        seen = (await http.get(f"/v1/requests/{rid}/answers")).json()
        assert seen[0]["reject_reason"] == "scope 3 upstream missing"
        process = {"name": "Motor assembly", "declared_unit": "piece", "location": "CN-JS",
                   "reference_period_start": "2025-01-01", "reference_period_end": "2025-12-31",
                   "energy": [{"carrier": "electricity", "amount": 3, "unit": "kWh",
                               "link_hint": "uslci:grid", "region": "CN-JS"}],
                   "emissions": [{"substance": "nox", "amount": 2, "unit": "g"}]}
        wrong_carrier = await http.post(f"/v1/requests/{rid}/answers", json={"items": [
            {"line_id": "motor", "process": {**process, "energy": [
                {**process["energy"][0], "unit": "kg"}]}}]})
        assert wrong_carrier.status_code == 422
        assert wrong_carrier.json()["issues"][0]["field"] == "items.0.process.energy.0.unit"
        again = await http.post(f"/v1/requests/{rid}/answers", json={
            "items": [{"line_id": "motor", "process": process}], "share_detail": True})
        assert again.status_code == 201, again.text
        item = again.json()["items"][0]
        assert item["per_unit"] is None
        assert "no background snapshot" in item["per_unit_basis"]
    async with await buyer.client("buyer") as http:
        view = (await http.get(f"/v1/requests/{rid}/answers/{again.json()['id']}")).json()
        assert view["items"][0]["detail"]["emissions"]  # shared on purpose
        listed = (await http.get("/v1/requests")).json()
        assert [r["status"] for r in listed] == ["answered"]


async def test_overdue_and_webhook_management(make_tenant, conn, receiver) -> None:
    buyer, supplier = await make_tenant("b"), await make_tenant("s")
    await partner_up(buyer, supplier)
    async with await supplier.client("supplier") as http:
        assert (await http.post("/v1/webhooks", json={"url": receiver.url, "secret": SECRET})
                ).status_code == 201
    receiver.failures_left = 2  # the first two attempts fail: retried with backoff
    async with await buyer.client("buyer") as http:
        product, revision = await product_with_bom(http, [
            {"line_id": "m", "part_number": "M", "description": "Motor", "quantity": 1,
             "unit": "piece"}])
        rid = (await http.post("/v1/requests", json={
            "supplier_tenant_id": str(supplier.tenant_id), "product_id": product["id"],
            "bom_revision_id": revision["id"], "part_numbers": ["M"],
            "due_date": datetime.now(UTC).date().isoformat()})).json()["id"]
        await conn.execute("update data_request set due_date = due_date - 2 where id = $1",
                           uuid.UUID(rid))
        assert (await http.get(f"/v1/requests/{rid}")).json()["status"] == "overdue"
        bad = await http.post("/v1/webhooks", json={"url": "ftp://example.org/x",
                                                    "secret": SECRET})
        assert bad.status_code == 422
        short = await http.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/x",
                                                      "secret": "short"})
        assert short.status_code == 422
        hook = (await http.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/x",
                                                      "secret": SECRET})).json()
        sealed = await conn.fetchval("select secret_sealed from webhook where id = $1",
                                     uuid.UUID(hook["id"]))
        assert SECRET.encode() not in bytes(sealed)
        disabled = await http.delete(f"/v1/webhooks/{hook['id']}")
        assert disabled.status_code == 200
        assert disabled.json()["disabled_at"]
    async with await supplier.client("admin") as http:
        assert (await http.delete(f"/v1/webhooks/{hook['id']}")).status_code == 404
        created = await receiver.wait_for("data_request.created")
        assert created["valid"]
        assert created["body"]["data"]["request_id"] == rid
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # the attempt is recorded after the response
            deliveries = (await http.get("/v1/webhook-deliveries")).json()
            if deliveries[0]["state"] == "sent":
                break
            await asyncio.sleep(0.1)
        assert [(d["state"], d["attempts"]) for d in deliveries] == [("sent", 3)]
        again = await http.post(f"/v1/webhook-deliveries/{deliveries[0]['id']}/redeliver")
        assert again.json()["attempts"] == 3  # a sent delivery is left alone
    async with await buyer.client("admin") as http:
        assert (await http.post(f"/v1/webhook-deliveries/{deliveries[0]['id']}/redeliver")
                ).status_code == 404


async def test_pact_product_footprint_as_answer(make_tenant) -> None:
    example = Path(__file__).parents[1] / "pact/spec/examples/get-footprint-response.json"
    document = json.loads(example.read_text())["data"]
    buyer, supplier = await make_tenant("b"), await make_tenant("s")
    await partner_up(buyer, supplier)
    async with await buyer.client("buyer") as http:
        product, revision = await product_with_bom(http, [
            {"line_id": "oil", "part_number": "OIL", "description": "Lubricant",
             "quantity": 0.5, "unit": "l"}])
        rid = (await http.post("/v1/requests", json={
            "supplier_tenant_id": str(supplier.tenant_id), "product_id": product["id"],
            "bom_revision_id": revision["id"], "line_ids": ["oil"], "due_date": DUE})
               ).json()["id"]
    async with await supplier.client("supplier") as http:
        broken = await http.post(f"/v1/requests/{rid}/answers", json={
            "items": [{"line_id": "oil", "pact": {**document, "pcf": None}}]})
        assert broken.status_code == 422
        assert broken.json()["issues"][0]["field"].startswith("items.0.pact")
        answered = await http.post(f"/v1/requests/{rid}/answers", json={
            "items": [{"line_id": "oil", "pact": document}]})
        assert answered.status_code == 201, answered.text
        item = answered.json()["items"][0]
    assert answered.json()["form"] == "pact"
    assert item["kind"] == "declared"
    assert item["declared_unit"] == "l"
    assert item["per_unit"]["gwp100_kg_co2e"] == float(document["pcf"]["pCfExcludingBiogenic"])
    assert item["reference_period_start"] == document["pcf"]["referencePeriodStart"][:10]
