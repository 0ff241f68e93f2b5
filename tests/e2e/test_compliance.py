"""Compliance outputs end to end on real US LCI footprints: CBAM JSON and XLSX, battery
declaration, ISO 14067 report PDF (rendered to pixels); tenancy and roles on every route."""

from __future__ import annotations

import io
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import openpyxl
import pytest
from PIL import Image, ImageStat

from connectors import cbam
from tests.support.api import wait_job

GWP = "gwp100_kg_co2e"
CBAM_QUERY = {"installation": "Extrusion plant 1", "country": "CN"}
BATTERY = {"rated_capacity_kwh": 60, "cycles_per_year": 60, "service_life_years": 8}


async def find(http, snapshot_hash: str, q: str) -> dict:
    response = await http.get(f"/v1/snapshots/{snapshot_hash}/activities", params={"q": q})
    assert response.status_code == 200, response.text
    assert response.json(), f"no dataset matches {q!r}"
    return response.json()[0]


async def priced(http, part_number: str, lines: list[dict]) -> dict:
    """A footprint of a new product computed by the worker: (result, product)."""
    product = (await http.post("/v1/products", json={"part_number": part_number,
                                                     "name": f"{part_number} test"})).json()
    revision = await http.post(f"/v1/products/{product['id']}/boms", json={"lines": lines})
    assert revision.status_code == 201, revision.text
    job = await http.post("/v1/footprints",
                          json={"bom_revision_id": revision.json()["id"],
                                "options": {"monte_carlo_iterations": 10,
                                            "monte_carlo_seed": 3}})
    assert job.status_code == 202, job.text
    done = await wait_job(http, job.json()["id"], limit_s=300)
    assert done["state"] == "succeeded", done
    return (await http.get(done["result_url"])).json()


@pytest.fixture(scope="module")
async def footprints(uslci_owner) -> dict:
    """Two aluminium profiles: one with a truck ride (left out of CBAM), one without."""
    tenant, snapshot_hash = uslci_owner
    async with await tenant.client("buyer") as http:
        ingot = await find(http, snapshot_hash, "aluminum ingot primary")
        power = await find(http, snapshot_hash, "electricity bituminous coal at power plant")
        gas = await find(http, snapshot_hash, "natural gas combusted in industrial boiler")
        steel = await find(http, snapshot_hash, "hot rolled")
        truck = await find(http, snapshot_hash, "transport combination truck diesel")
        body = [
            {"line_id": "profile", "part_number": "AP-1", "description": "Hollow profile",
             "quantity": 1, "unit": "piece", "mass_kg": 2.0, "cn_code": "7604 21 00",
             "stage": "production", "origin": "CN"},
            {"line_id": "ingot", "parent_line_id": "profile", "part_number": "IN-1",
             "description": "Primary ingot", "quantity": 2.1, "unit": "kg",
             "cn_code": "76011000", "stage": "raw_materials", "origin": "CN",
             "link_hint": ingot["link_hint"]},
            {"line_id": "power", "parent_line_id": "profile", "part_number": "E-1",
             "description": "Press power", "quantity": 18, "unit": "MJ",
             "link_hint": power["link_hint"]},
            {"line_id": "gas", "parent_line_id": "profile", "part_number": "G-1",
             "description": "Furnace gas", "quantity": 0.5, "unit": "m3",
             "link_hint": gas["link_hint"]},
            {"line_id": "bolts", "parent_line_id": "profile", "part_number": "B-1",
             "description": "Bolts", "quantity": 4, "unit": "piece", "mass_kg": 0.05,
             "cn_code": "73181500", "origin": "IN"},
            {"line_id": "bolt_steel", "parent_line_id": "bolts", "part_number": "S-1",
             "description": "Bolt steel", "quantity": 0.05, "unit": "kg",
             "stage": "raw_materials", "link_hint": steel["link_hint"]},
        ]
        ship = {"line_id": "ship", "part_number": "T-1", "description": "Truck to port",
                "quantity": 0.05, "unit": "t*km", "stage": "distribution",
                "link_hint": truck["link_hint"]}
        stamp = time.time_ns()
        shipped = await priced(http, f"ALU-{stamp}-S", [*body, {**ship,
                                                              "parent_line_id": "profile"}])
        plain = await priced(http, f"ALU-{stamp}-P", body)
    return {"tenant": tenant, "shipped": shipped, "plain": plain}


async def test_cbam_numbers_follow_the_result(footprints) -> None:
    tenant = footprints["tenant"]
    plain, shipped = footprints["plain"], footprints["shipped"]
    async with await tenant.client("exporter") as http:
        response = await http.get(f"/v1/footprints/{plain['id']}/cbam", params=CBAM_QUERY)
        assert response.status_code == 200, response.text
        data = response.json()
        with_ship = (await http.get(f"/v1/footprints/{shipped['id']}/cbam",
                                    params=CBAM_QUERY)).json()
    body = plain["result"]
    lines = {line["line_id"]: line for line in body["lines"]}
    assert not body["unlinked"], body["unlinked"]
    mass = 2.0  # kg per piece: the good's mass_kg
    total = body["totals"][GWP]
    # every line of the plain BOM is in the installation or a precursor: SEE = total per tonne
    assert data["see_direct"] + data["see_indirect"] == pytest.approx(total / mass, rel=1e-6)
    assert data["see_indirect"] == pytest.approx(lines["power"]["values"][GWP] / mass, rel=1e-6)
    assert data["attributed"]["direct_per_t"] == pytest.approx(
        lines["gas"]["values"][GWP] / mass, rel=1e-6)
    assert data["electricity_mwh_per_t"] == pytest.approx(0.005 / (mass / 1000), rel=1e-6)
    assert data["electricity_ef_t_co2e_per_mwh"] == pytest.approx(
        lines["power"]["values"][GWP] / 1000 / 0.005, rel=1e-6)
    precursors = {p["line_id"]: p for p in data["precursors"]}
    assert set(precursors) == {"ingot", "bolts"}
    assert precursors["ingot"]["embedded_direct_per_t_good"] == pytest.approx(
        lines["ingot"]["values"][GWP] / mass, rel=1e-6)
    assert precursors["bolts"]["see_direct"] == pytest.approx(
        lines["bolt_steel"]["values"][GWP] / 0.2, rel=1e-6)
    # the truck ride is reported as excluded, and everything still adds up
    shipped_total = shipped["result"]["totals"][GWP]
    excluded = with_ship["reconciliation"]["excluded_kg_co2e_per_unit"]
    assert set(excluded) == {"distribution"}
    assert with_ship["see_total"] + excluded["distribution"] / mass == pytest.approx(
        shipped_total / mass, rel=1e-6)
    assert with_ship["see_total"] == pytest.approx(data["see_total"], rel=1e-6)


async def test_cbam_default_value_is_the_vendored_row(footprints) -> None:
    tenant = footprints["tenant"]
    async with await tenant.client("buyer") as http:
        data = (await http.get(f"/v1/footprints/{footprints['plain']['id']}/cbam",
                               params={**CBAM_QUERY, "year": 2028})).json()
    (row,) = cbam.default_value_rows("China", "76042100")
    default = data["default_value"]
    assert default["status"] == "found"
    assert default["table"] == "China"
    assert default["published"] == {k: row[k] for k in ("direct", "indirect", "total",
                                                        "markup_2026", "markup_2027",
                                                        "markup_2028")}
    assert default["total_with_markup"] == float(row["markup_2028"])
    assert data["comparison"]["see_relevant"] == pytest.approx(data["see_direct"])
    ingot_default = next(p for p in data["precursors"] if p["line_id"] == "ingot")
    assert ingot_default["default_value"]["total"] == float(
        cbam.default_value_rows("China", "7601")[0]["total"])


async def test_cbam_xlsx(footprints) -> None:
    tenant = footprints["tenant"]
    async with await tenant.client("exporter") as http:
        response = await http.get(f"/v1/footprints/{footprints['plain']['id']}/cbam.xlsx",
                                  params=CBAM_QUERY)
        data = (await http.get(f"/v1/footprints/{footprints['plain']['id']}/cbam",
                               params=CBAM_QUERY)).json()
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert "attachment" in response.headers["content-disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    ws = wb["Summary_Products"]
    headers = [c.value for c in ws[1]]
    for header in ("CN code", "Product name", "Production route", "Installation",
                   "Direct SEE (t CO2e/t)", "Indirect SEE (t CO2e/t)", "Total SEE (t CO2e/t)",
                   "Electricity consumption (MWh/t)", "Electricity EF (t CO2e/MWh)"):
        assert header in headers, header
    good = dict(zip(headers, [c.value for c in ws[2]], strict=True))
    assert good["CN code"] == "76042100"
    assert good["Installation"] == "Extrusion plant 1"
    assert good["Total SEE (t CO2e/t)"] == pytest.approx(data["see_total"])
    kinds = [row[0].value for row in ws.iter_rows(min_row=3)]
    assert kinds == ["precursor", "precursor"]


async def test_cbam_refuses_what_it_cannot_know(footprints) -> None:
    tenant = footprints["tenant"]
    async with await tenant.client("exporter") as http:
        url = f"/v1/footprints/{footprints['plain']['id']}/cbam"
        assert (await http.get(url, params={"installation": "x"})).status_code == 422
        bad = await http.get(url, params={**CBAM_QUERY, "country": "China"})
        assert bad.status_code == 422
        eu = (await http.get(url, params={**CBAM_QUERY, "country": "DE"})).json()
        assert eu["default_value"]["status"] == "none"
        assert eu["comparison"] is None


async def test_battery_declaration(footprints) -> None:
    tenant = footprints["tenant"]
    result = footprints["shipped"]
    async with await tenant.client("exporter") as http:
        response = await http.post(f"/v1/footprints/{result['id']}/battery-declaration",
                                   json={**BATTERY, "study_url": "https://example.com/cfb"})
    assert response.status_code == 200, response.text
    data = response.json()
    stages = result["result"]["by_stage"]
    declared = sum((stages.get(s) or {}).get(GWP, 0.0)
                   for s in ("raw_materials", "production", "distribution", "end_of_life",
                             "unknown"))
    energy = 60 * 60 * 8
    cf = data["carbonFootprint"]
    assert data["functionalUnit"]["totalEnergyKwh"] == pytest.approx(energy)
    assert cf["batteryCarbonFootprint"] == pytest.approx(declared / energy, rel=1e-9)
    assert cf["carbonFootprintStudy"] == "https://example.com/cfb"
    named = {s["lifecycleStage"]: s["carbonFootprint"]
             for s in cf["carbonFootprintPerLifecycleStage"]}
    assert named["Distribution"] == pytest.approx(stages["distribution"][GWP] / energy)
    assert named["Recycling"] == 0.0
    assert data["dataModel"]["aspect"].startswith("urn:samm:io.BatteryPass.CarbonFootprint")
    async with await tenant.client("buyer") as http:
        bad = await http.post(f"/v1/footprints/{result['id']}/battery-declaration",
                              json={**BATTERY, "service_life_years": 0})
        assert bad.status_code == 422


async def test_report_pdf_renders(footprints, tmp_path: Path) -> None:
    tenant = footprints["tenant"]
    async with await tenant.client("verifier") as http:
        response = await http.get(f"/v1/footprints/{footprints['shipped']['id']}/report.pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) not installed")
    image = page_one(response.content, tmp_path)
    assert image.size[0] > 200
    assert ImageStat.Stat(image).stddev[0] > 10  # text and charts, not a blank page


def page_one(pdf: bytes, tmp_path: Path) -> Image.Image:
    """Page 1 of a PDF rendered by poppler, in grey."""
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-png", str(path),
                    str(tmp_path / "page")], check=True, timeout=60)
    (png,) = tmp_path.glob("page*.png")
    return Image.open(png).convert("L")


def routes(result_id: str) -> list[tuple[str, str, dict]]:
    return [("GET", f"/v1/footprints/{result_id}/cbam", {"params": CBAM_QUERY}),
            ("GET", f"/v1/footprints/{result_id}/cbam.xlsx", {"params": CBAM_QUERY}),
            ("POST", f"/v1/footprints/{result_id}/battery-declaration", {"json": BATTERY}),
            ("GET", f"/v1/footprints/{result_id}/report.pdf", {})]


async def test_other_tenants_get_404(footprints, make_tenant) -> None:
    other = await make_tenant("outsider")
    result_id = footprints["plain"]["id"]
    for role in ("exporter", "buyer", "admin"):
        async with await other.client(role) as http:
            for method, url, kwargs in routes(result_id):
                response = await http.request(method, url, **kwargs)
                assert response.status_code == 404, (role, url, response.text)
    async with await footprints["tenant"].client("exporter") as http:
        missing = "00000000-0000-0000-0000-000000000000"
        for method, url, kwargs in routes(missing):
            assert (await http.request(method, url, **kwargs)).status_code == 404, url


async def test_roles(footprints) -> None:
    tenant = footprints["tenant"]
    result_id = footprints["plain"]["id"]
    async with await tenant.client("supplier") as http:
        for method, url, kwargs in routes(result_id):
            response = await http.request(method, url, **kwargs)
            assert response.status_code == 403, (url, response.text)
    async with await tenant.client("verifier") as http:
        allowed = {"report.pdf"}
        for method, url, kwargs in routes(result_id):
            response = await http.request(method, url, **kwargs)
            expected = 200 if url.rsplit("/", 1)[-1] in allowed else 403
            assert response.status_code == expected, (url, response.text)
    async with httpx.AsyncClient(base_url=tenant.api_url, timeout=30) as http:
        for method, url, kwargs in routes(result_id):
            assert (await http.request(method, url, **kwargs)).status_code == 401, url

