"""BOM intake over HTTP: JSON and files, refusals that store nothing, tenancy and roles."""

from __future__ import annotations

import io

import asyncpg
import openpyxl
import pytest

LINES = [
    {"line_id": "frame", "part_number": "F-1", "description": "Frame", "quantity": 1,
     "unit": "piece", "supplier": "Acme", "origin": "CN"},
    {"line_id": "tube", "parent_line_id": "frame", "part_number": "S-1",
     "description": "Steel tube", "quantity": 2.5, "unit": "kg", "cn_code": "7306 30"},
    {"line_id": "power", "part_number": "E-1", "description": "Assembly power",
     "quantity": 7.2, "unit": "MJ", "stage": "production"},
]


async def new_product(http, part: str = "BIKE-1") -> str:
    response = await http.post("/v1/products", json={"part_number": part, "name": "Bike"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def test_json_bom_is_stored_exploded_and_content_addressed(make_tenant) -> None:
    tenant = await make_tenant()
    async with await tenant.client("buyer") as http:
        product_id = await new_product(http)
        first = await http.post(f"/v1/products/{product_id}/boms", json={"lines": LINES})
        assert first.status_code == 201, first.text
        again = await http.post(f"/v1/products/{product_id}/boms", json={"lines": LINES})
        assert again.status_code == 200
        assert again.json()["id"] == first.json()["id"]
        revision = (await http.get(first.headers["location"])).json()
        assert revision["line_count"] == 3
        assert [line["line_id"] for line in revision["lines"]] == ["frame", "tube", "power"]
        assert revision["lines"][1]["cn_code"] == "730630"


async def test_xlsx_and_csv_uploads(make_tenant) -> None:
    tenant = await make_tenant()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Level", "Part No", "Description", "Qty", "UoM"])
    sheet.append([1, "F-1", "Frame", 1, "pcs"])
    sheet.append([2, "S-1", "Steel", 3, "kg"])
    buffer = io.BytesIO()
    book.save(buffer)
    async with await tenant.client("buyer") as http:
        product_id = await new_product(http)
        xlsx = await http.post(f"/v1/products/{product_id}/boms/upload",
                               files={"file": ("bom.xlsx", buffer.getvalue())})
        assert xlsx.status_code == 201, xlsx.text
        csv = await http.post(f"/v1/products/{product_id}/boms/upload",
                              files={"file": ("bom.csv", b"part_number,description,quantity,unit"
                                                         b"\nA,Alu,2,kg\n")})
        assert csv.status_code == 201, csv.text
        listed = await http.get(f"/v1/products/{product_id}/boms")
        assert len(listed.json()) == 2


async def test_refused_boms_store_nothing(make_tenant, conn: asyncpg.Connection) -> None:
    tenant = await make_tenant()
    async with await tenant.client("buyer") as http:
        product_id = await new_product(http)
        bad = [*LINES, {"line_id": "x", "part_number": "=cmd|' /C calc'!A0",
                        "description": "evil", "quantity": -1, "unit": "parsec-ish"}]
        response = await http.post(f"/v1/products/{product_id}/boms", json={"lines": bad})
        assert response.status_code == 422
        problem = response.json()
        assert response.headers["content-type"].startswith("application/problem+json")
        assert {(i["row"], i["field"]) for i in problem["issues"]} == {
            (4, "part_number"), (4, "quantity"), (4, "unit")}
        big = await http.post(f"/v1/products/{product_id}/boms/upload",
                              files={"file": ("bom.csv", b"x" * (6 * 1024 * 1024))})
        assert big.status_code == 413
        pdf = await http.post(f"/v1/products/{product_id}/boms/upload",
                              files={"file": ("bom.pdf", b"%PDF-1.7 ...")})
        assert pdf.status_code == 422
    count = await conn.fetchval("select count(*) from bom_revision where tenant_id = $1",
                                tenant.tenant_id)
    assert count == 0


@pytest.mark.parametrize("role", ["supplier", "verifier"])
async def test_roles_are_enforced(make_tenant, role: str) -> None:
    tenant = await make_tenant()
    async with await tenant.client(role) as http:
        assert (await http.get("/v1/products")).status_code == 403
        response = await http.post("/v1/products", json={"part_number": "X", "name": "X"})
        assert response.status_code == 403
    async with await tenant.client("exporter") as http:
        assert (await http.get("/v1/products")).status_code == 200
        response = await http.post("/v1/products", json={"part_number": "X", "name": "X"})
        assert response.status_code == 403


async def test_other_tenants_objects_are_invisible(make_tenant) -> None:
    owner, intruder = await make_tenant("owner"), await make_tenant("intruder")
    async with await owner.client("buyer") as http:
        product_id = await new_product(http)
        revision = (await http.post(f"/v1/products/{product_id}/boms",
                                    json={"lines": LINES})).json()
        job = (await http.post("/v1/footprints", json={"bom_revision_id": revision["id"]})).json()
    async with await intruder.client("admin") as http:
        for path in (f"/v1/products/{product_id}", f"/v1/products/{product_id}/boms",
                     f"/v1/bom-revisions/{revision['id']}", f"/v1/jobs/{job['id']}"):
            response = await http.get(path)
            assert response.status_code == 404, path
            assert product_id not in response.text
        posted = await http.post(f"/v1/products/{product_id}/boms", json={"lines": LINES})
        assert posted.status_code == 404
        uploaded = await http.post(f"/v1/products/{product_id}/boms/upload",
                                   files={"file": ("b.csv", b"part_number,description,quantity,"
                                                            b"unit\nA,a,1,kg\n")})
        assert uploaded.status_code == 404
        footprint = await http.post("/v1/footprints", json={"bom_revision_id": revision["id"]})
        assert footprint.status_code == 404
        listed = await http.get("/v1/products")
        assert listed.json() == []
