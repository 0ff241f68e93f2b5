"""Footprints through the API on the real US LCI snapshot, checked against plain bw2calc.

The snapshot is imported by an import job on the real worker (fixture ``uslci_owner``). The
independent calculation loads the same snapshot package from PostgreSQL and runs a plain
``bw2calc.LCA`` for the same demand; totals must agree to 1e-6 relative.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import asyncpg
import bw2calc
import numpy as np
import pytest

from lca.snapshot import load_snapshot, unpack_snapshot
from tests.support.api import wait_job

RTOL = 1e-6


async def find(http, snapshot_hash: str, q: str, **params: str) -> dict:
    response = await http.get(f"/v1/snapshots/{snapshot_hash}/activities",
                              params={"q": q, **params})
    assert response.status_code == 200, response.text
    found = response.json()
    assert found, f"no dataset matches {q!r}"
    return found[0]


@pytest.fixture(scope="module")
async def engine_result(uslci_owner) -> dict:
    """One product priced through the API, with its links."""
    tenant, snapshot_hash = uslci_owner
    async with await tenant.client("buyer") as http:
        coal = await find(http, snapshot_hash, "electricity bituminous coal at power plant")
        truck = await find(http, snapshot_hash, "transport combination truck diesel")
        steel = await find(http, snapshot_hash, "hot rolled")
        alu = await find(http, snapshot_hash, "aluminum ingot primary")
        rule = {"match_field": "material_class", "pattern": "aluminium",
                "target_database": alu["database"], "target_code": alu["code"]}
        assert (await http.put("/v1/link-rules", json=rule)).status_code == 200
        lines = [
            {"line_id": "frame", "part_number": "F", "description": "Frame", "quantity": 2,
             "unit": "piece", "supplier": "Frames Ltd", "origin": "US"},
            {"line_id": "tube", "parent_line_id": "frame", "part_number": "S",
             "description": "Steel tube", "quantity": 1.5, "unit": "kg",
             "link_hint": steel["link_hint"], "stage": "raw_materials"},
            {"line_id": "bracket", "parent_line_id": "frame", "part_number": "A",
             "description": "Bracket", "quantity": 300, "unit": "g",
             "material_class": "Aluminium", "stage": "raw_materials"},
            {"line_id": "power", "part_number": "E", "description": "Assembly power",
             "quantity": 18, "unit": "MJ", "link_hint": coal["link_hint"],
             "stage": "production"},
            {"line_id": "ship", "part_number": "T", "description": "Trucking",
             "quantity": 0.05, "unit": "t*km", "link_hint": truck["link_hint"],
             "stage": "distribution"},
            {"line_id": "mystery", "part_number": "M", "description": "Unobtainium",
             "quantity": 1, "unit": "kg"},
        ]
        process = await http.post("/v1/primary-data", json={
            "kind": "process", "name": "Die casting, plant A", "declared_unit": "kg",
            "location": "CN-SD",
            "emissions": [{"substance": "so2", "amount_kg": 0.002},
                          {"substance": "co2_fossil", "amount_kg": 0.5},
                          {"substance": "nox", "amount_kg": 0.001},
                          {"substance": "pm25", "amount_kg": 0.0004}],
            "inputs": [{"link_hint": coal["link_hint"], "amount": 1.2, "unit": "kWh"},
                       {"link_hint": alu["link_hint"], "amount": 1.02, "unit": "kg"}]})
        assert process.status_code == 201, process.text
        declared = await http.post("/v1/primary-data", json={
            "kind": "declared", "name": "Motor, supplier EPD", "declared_unit": "piece",
            "values": {"gwp100_kg_co2e": 12.0, "gwp100_fossil_kg_co2e": 11.5,
                       "gwp100_biogenic_kg_co2e": 0.3, "gwp100_luc_kg_co2e": 0.2,
                       "so2_kg": 0.01}})
        assert declared.status_code == 201, declared.text
        lines += [
            {"line_id": "casting", "part_number": "C", "description": "Housing casting",
             "quantity": 0.8, "unit": "kg", "link_hint": process.json()["link_hint"],
             "supplier": "Casting Co", "stage": "production"},
            {"line_id": "motor", "part_number": "MO", "description": "Motor", "quantity": 1,
             "unit": "piece", "link_hint": declared.json()["link_hint"],
             "supplier": "Motor Co", "stage": "production"},
        ]
        product = (await http.post("/v1/products", json={"part_number": "ENG-1",
                                                         "name": "Engine test"})).json()
        revision = (await http.post(f"/v1/products/{product['id']}/boms",
                                    json={"lines": lines})).json()
        options = {"contributions_top_n": 5, "monte_carlo_iterations": 20,
                   "monte_carlo_seed": 7}
        job = (await http.post("/v1/footprints", json={"bom_revision_id": revision["id"],
                                                       "options": options})).json()
        done = await wait_job(http, job["id"], limit_s=300)
        assert done["state"] == "succeeded", done
        result = (await http.get(done["result_url"])).json()
        again = (await http.post("/v1/footprints", json={"bom_revision_id": revision["id"],
                                                         "options": options})).json()
        second = (await http.get((await wait_job(http, again["id"]))["result_url"])).json()
    return {"result": result, "second": second, "snapshot_hash": snapshot_hash,
            "process": process.json(), "declared": declared.json()}


async def test_totals_equal_plain_bw2calc(engine_result: dict, database_url: str) -> None:
    result = engine_result["result"]
    assert result["snapshot_hash"] == engine_result["snapshot_hash"]
    body = result["result"]
    conn = await asyncpg.connect(database_url)
    try:
        package = await conn.fetchval("select package from snapshot where snapshot_hash = $1",
                                      result["snapshot_hash"])
    finally:
        await conn.close()
    process, declared = engine_result["process"], engine_result["declared"]
    with tempfile.TemporaryDirectory() as tmp:
        path = unpack_snapshot(package, Path(tmp), expected_hash=result["snapshot_hash"])
        snapshot = load_snapshot(path)
        ids = {a.key: a.id for a in snapshot.activities}
        flow_ids = {(f.name, tuple(f.categories)): f.id for f in snapshot.flows}
        lines = {line["line_id"]: line for line in body["lines"]}
        demand: dict[int, float] = {}
        for line in body["lines"]:
            link = line["link"]
            if link is not None and link["type"] == "background":
                node = ids[(link["database"], link["code"])]
                demand[node] = demand.get(node, 0.0) + line["amount"]
        casting_kg = lines["casting"]["amount"]
        for item in process["payload"]["inputs"]:
            node = ids[tuple(item["link_hint"].split(":", 1))]
            demand[node] = demand.get(node, 0.0) + casting_kg * item["amount"]
        assert len(demand) == 4
        substances = {"so2": ("Sulfur dioxide", ("air",)), "nox": ("Nitrogen oxides", ("air",)),
                      "co2_fossil": ("Carbon dioxide, fossil", ("air",)),
                      "pm25": ("Particulate Matter, < 2.5 um", ("air",))}
        for indicator in body["indicators"]:
            lca = bw2calc.LCA(demand, data_objs=[
                *snapshot.inventory_datapackages(),
                snapshot.characterization_datapackage(indicator["id"])])
            lca.lci()
            lca.lcia()
            direct = 0.0
            for emission in process["payload"]["emissions"]:
                flow_id = flow_ids[substances[emission["substance"]]]
                if flow_id in lca.dicts.biosphere:
                    row = lca.dicts.biosphere[flow_id]
                    factor = lca.characterization_matrix[row, row]
                else:  # a flow the background never emits: read its factor from the package
                    factor = _factor(snapshot, indicator["id"], flow_id)
                direct += casting_kg * emission["amount_kg"] * factor
            declared_value = declared["payload"]["values"].get(indicator["id"], 0.0)
            expected = lca.score + direct + lines["motor"]["amount"] * declared_value
            ours = body["totals"][indicator["id"]]
            assert ours == pytest.approx(expected, rel=RTOL, abs=1e-15), indicator["id"]
    assert body["missing_declared"]["motor"]


def _factor(snapshot, indicator_id: str, flow_id: int) -> float:
    package = snapshot.characterization_datapackage(indicator_id)
    indices, data = None, None
    for resource in package.resources:
        if resource["name"].endswith("indices"):
            indices = package.get_resource(resource["name"])[0]
        elif resource["name"].endswith("data"):
            data = package.get_resource(resource["name"])[0]
    hits = np.nonzero(indices["row"] == flow_id)[0]
    return float(data[hits].sum()) if len(hits) else 0.0


async def test_result_shape_carbon_and_pollution(engine_result: dict) -> None:
    body = engine_result["result"]["result"]
    assert body["status"] == "partial"
    assert [u["line_id"] for u in body["unlinked"]] == ["mystery"]
    share = body["primary_data_share"]["gwp100_kg_co2e"]
    assert 0 < share < 1
    assert set(body["by_supplier"]) >= {"Casting Co", "Motor Co", "Frames Ltd"}
    assert "CN-SD" in body["pollutants_by_location"]["so2_kg"]
    lines = {line["line_id"]: line for line in body["lines"]}
    assert lines["bracket"]["link"]["how"].startswith("rule material_class")
    assert lines["bracket"]["amount"] == pytest.approx(0.6)  # 2 frames x 300 g, in kg
    assert lines["power"]["amount"] == pytest.approx(5.0)  # 18 MJ = 5 kWh, top level
    ghg = body["ghg"]
    assert ghg["total"] > 0
    assert ghg["fossil"] + ghg["biogenic"] + ghg["luc"] == pytest.approx(ghg["total"], rel=1e-9)
    for pollutant in ("so2_kg", "nox_kg", "pm25_kg", "pm10_kg", "nmvoc_kg", "nh3_kg", "co_kg"):
        assert pollutant in body["pollutants"], pollutant
    so2_by_location = body["pollutants_by_location"]["so2_kg"]
    assert sum(so2_by_location.values()) == pytest.approx(body["pollutants"]["so2_kg"],
                                                          rel=1e-9)
    stages = body["by_stage"]
    assert set(stages) >= {"raw_materials", "production", "distribution"}
    assert sum(s["gwp100_kg_co2e"] for s in stages.values()) == pytest.approx(ghg["total"])
    assert body["contributions"]["processes"]["gwp100_kg_co2e"]
    assert engine_result["result"]["method_versions"]["gwp100_kg_co2e"]


async def test_monte_carlo_is_reproducible(engine_result: dict) -> None:
    first = engine_result["result"]["result"]["monte_carlo"]
    second = engine_result["second"]["result"]["monte_carlo"]
    assert first["iterations"] == 20
    assert first == second
    stats = first["statistics"]["gwp100_kg_co2e"]
    assert stats["p2_5"] <= stats["median"] <= stats["p97_5"]
    assert np.isfinite(stats["mean"])


async def test_snapshot_routes_and_tenancy(uslci_owner, make_tenant) -> None:
    owner, snapshot_hash = uslci_owner
    async with await owner.client("buyer") as http:
        listed = (await http.get("/v1/snapshots")).json()
        assert snapshot_hash in [s["snapshot_hash"] for s in listed]
        report = (await http.get(f"/v1/snapshots/{snapshot_hash}/report")).json()
        assert report["counts"]["linked"] > 0
    other = await make_tenant("other")
    async with await other.client("admin") as http:
        assert all(s["snapshot_hash"] != snapshot_hash
                   for s in (await http.get("/v1/snapshots")).json())
        for path in ("", "/report", "/activities"):
            response = await http.get(f"/v1/snapshots/{snapshot_hash}{path}")
            assert response.status_code == 404, path
    async with await other.client("buyer") as http:
        response = await http.post("/v1/imports", json={"source": "uslci"})
        assert response.status_code == 403
