"""Chinese parts on TianGong + US LCI (one snapshot): footprints with province-level
pollutants through the API, equal to plain bw2calc on the same snapshot."""

from __future__ import annotations

import tempfile
from pathlib import Path

import asyncpg
import bw2calc
import pytest

from lca.snapshot import load_snapshot, unpack_snapshot
from tests.support.api import wait_job

RTOL = 1e-6


async def first(http, snapshot_hash: str, **params: str) -> dict:
    response = await http.get(f"/v1/snapshots/{snapshot_hash}/activities", params=params)
    assert response.status_code == 200, response.text
    assert response.json(), params
    return response.json()[0]


@pytest.fixture(scope="module")
async def china_result(china_owner) -> dict:
    tenant, snapshot_hash = china_owner
    async with await tenant.client("buyer") as http:
        grid_js = await first(http, snapshot_hash, q="混合电力 江苏")
        assert grid_js["location"] == "JS-CN"
        assert grid_js["name_zh"].startswith("电力生产")
        cement = await first(http, snapshot_hash, q="portland cement", location="CN")
        us_truck = await first(http, snapshot_hash, q="transport combination truck diesel")
        assert us_truck["database"] == "uslci"
        lines = [
            {"line_id": "housing", "part_number": "H", "description": "Concrete housing",
             "quantity": 1, "unit": "piece", "supplier": "Jiangsu Works", "origin": "JS-CN"},
            {"line_id": "cement", "parent_line_id": "housing", "part_number": "C",
             "description": "水泥", "quantity": 12, "unit": "kg",
             "link_hint": cement["link_hint"], "stage": "raw_materials"},
            {"line_id": "power", "parent_line_id": "housing", "part_number": "E",
             "description": "江苏电网", "quantity": 30, "unit": "MJ",
             "link_hint": grid_js["link_hint"], "stage": "production"},
            {"line_id": "export", "part_number": "T", "description": "US trucking",
             "quantity": 0.2, "unit": "t*km", "link_hint": us_truck["link_hint"],
             "stage": "distribution"},
        ]
        product = (await http.post("/v1/products", json={"part_number": "CN-1",
                                                         "name": "Chinese housing"})).json()
        revision = (await http.post(f"/v1/products/{product['id']}/boms",
                                    json={"lines": lines})).json()
        job = (await http.post("/v1/footprints", json={
            "bom_revision_id": revision["id"],
            "options": {"snapshot_hash": snapshot_hash}})).json()
        done = await wait_job(http, job["id"], limit_s=300)
        assert done["state"] == "succeeded", done
        return (await http.get(done["result_url"])).json()


async def test_province_level_pollutants_beside_national_carbon(china_result: dict) -> None:
    body = china_result["result"]
    assert body["status"] == "complete", body["unlinked"]
    assert body["ghg"]["total"] > 0
    so2 = body["pollutants_by_location"]["so2_kg"]
    provinces = [loc for loc in so2 if loc.endswith("-CN")]
    assert provinces, so2
    assert sum(so2.values()) == pytest.approx(body["pollutants"]["so2_kg"], rel=1e-9)
    lines = {line["line_id"]: line for line in body["lines"]}
    assert lines["power"]["link"]["location"] == "JS-CN"
    air = body["pollution_equivalents"]["air"]
    assert air["total"] > 0
    assert sum(air["by_location"].values()) == pytest.approx(air["total"], rel=1e-9)
    assert "JS-CN" in air["tax_exposure_cny"]  # Jiangsu's rate is sourced
    exposure = air["tax_exposure_cny"]["JS-CN"]
    assert exposure["low_cny"] <= exposure["high_cny"]
    for water in ("cod_kg", "nh3n_kg", "tn_kg", "tp_kg"):
        assert water in body["pollutants"], water


async def test_china_totals_equal_plain_bw2calc(china_result: dict, database_url: str) -> None:
    body = china_result["result"]
    conn = await asyncpg.connect(database_url)
    try:
        package = await conn.fetchval("select package from snapshot where snapshot_hash = $1",
                                      china_result["snapshot_hash"])
    finally:
        await conn.close()
    with tempfile.TemporaryDirectory() as tmp:
        snapshot = load_snapshot(unpack_snapshot(package, Path(tmp)))
        ids = {a.key: a.id for a in snapshot.activities}
        demand: dict[int, float] = {}
        for line in body["lines"]:
            node = ids[(line["link"]["database"], line["link"]["code"])]
            demand[node] = demand.get(node, 0.0) + line["amount"]
        for indicator in body["indicators"]:
            lca = bw2calc.LCA(demand, data_objs=[
                *snapshot.inventory_datapackages(),
                snapshot.characterization_datapackage(indicator["id"])])
            lca.lci()
            lca.lcia()
            assert body["totals"][indicator["id"]] == pytest.approx(
                lca.score, rel=RTOL, abs=1e-15), indicator["id"]


async def test_search_in_both_languages(china_owner) -> None:
    tenant, snapshot_hash = china_owner
    async with await tenant.client("buyer") as http:
        chinese = (await http.get(f"/v1/snapshots/{snapshot_hash}/activities",
                                  params={"q": "水泥", "limit": 200})).json()
        english = (await http.get(f"/v1/snapshots/{snapshot_hash}/activities",
                                  params={"q": "cement", "limit": 200})).json()
        assert chinese
        assert english
        assert {a["code"] for a in chinese} & {a["code"] for a in english}
        paged = (await http.get(f"/v1/snapshots/{snapshot_hash}/activities",
                                params={"q": "cement", "limit": 2, "offset": 1})).json()
        assert paged == english[1:3]
        report = (await http.get(f"/v1/snapshots/{snapshot_hash}/report")).json()
        assert {p["database"] for p in report["parts"]} == {"tiangong", "uslci"}
