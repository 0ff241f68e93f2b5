"""Co-control measures and scenarios through the API on TianGong + US LCI (one snapshot).

A product with primary aluminium and Jiangsu grid power; measures: recycled aluminium, the
power from another province's grid (shifts SO2 between provinces), a primary-data swap and
lightweighting. The scenario job's deltas must equal a full recalculation of the changed
product minus the baseline (1e-9 relative), and the relocation must agree with plain bw2calc.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import asyncpg
import bw2calc
import numpy as np
import pytest

from lca import cocontrol as cc
from lca.footprint import footprint
from lca.linking import link_leaves
from lca.precompute import UnitTable
from lca.primary import resolve_records
from lca.snapshot import load_snapshot, unpack_snapshot
from service.measures.handlers import build_measure
from tests.support.api import wait_job

RTOL = 1e-9


async def search(http, snapshot_hash: str, q: str, **params: str) -> list[dict]:
    response = await http.get(f"/v1/snapshots/{snapshot_hash}/activities",
                              params={"q": q, "limit": 200, **params})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
async def scenario(china_owner) -> dict:
    tenant, snapshot_hash = china_owner
    async with await tenant.client("buyer") as http:
        grid_js = (await search(http, snapshot_hash, "混合电力 江苏"))[0]
        assert grid_js["location"] == "JS-CN"
        grids = [a for a in await search(http, snapshot_hash, "混合电力")
                 if a["location"] not in ("JS-CN", None) and a["location"].endswith("-CN")
                 and a["unit"] == grid_js["unit"]
                 and a["reference_product"] == grid_js["reference_product"]]
        assert grids, "no other provincial grid"
        other = next((g for g in grids if g["location"] == "SD-CN"), grids[0])
        primary_alu = (await search(http, snapshot_hash, "aluminum ingot primary"))[0]
        recycled = [a for a in await search(http, snapshot_hash, "aluminum secondary")
                    if a["unit"] == primary_alu["unit"]]
        recycled = recycled or [a for a in await search(http, snapshot_hash, "aluminum recycled")
                                if a["unit"] == primary_alu["unit"]]
        assert recycled, "no secondary aluminium dataset"
        cement = (await search(http, snapshot_hash, "portland cement", location="CN"))[0]
        lines = [
            {"line_id": "housing", "part_number": "H", "description": "Housing", "quantity": 1,
             "unit": "piece", "supplier": "Jiangsu Works", "origin": "JS-CN"},
            {"line_id": "alu", "parent_line_id": "housing", "part_number": "A",
             "description": "Aluminium frame", "material_class": "Aluminium", "quantity": 2,
             "unit": "kg", "link_hint": primary_alu["link_hint"], "stage": "raw_materials"},
            {"line_id": "cement", "parent_line_id": "housing", "part_number": "C",
             "description": "水泥", "quantity": 12, "unit": "kg",
             "link_hint": cement["link_hint"], "stage": "raw_materials"},
            {"line_id": "power", "parent_line_id": "housing", "part_number": "E",
             "description": "江苏电网", "quantity": 30, "unit": "MJ",
             "link_hint": grid_js["link_hint"], "stage": "production"},
        ]
        product = (await http.post("/v1/products", json={"part_number": "CC-1",
                                                         "name": "Co-control housing"})).json()
        revision = (await http.post(f"/v1/products/{product['id']}/boms",
                                    json={"lines": lines})).json()
        job = (await http.post("/v1/footprints", json={
            "bom_revision_id": revision["id"],
            "options": {"snapshot_hash": snapshot_hash}})).json()
        done = await wait_job(http, job["id"], limit_s=300)
        assert done["state"] == "succeeded", done
        baseline_id = done["result_id"]

        declared = await http.post("/v1/primary-data", json={
            "kind": "declared", "name": "Cement, supplier EPD", "declared_unit": "kg",
            "values": {"gwp100_kg_co2e": 0.6, "so2_kg": 0.0004}})
        assert declared.status_code == 201, declared.text

        async def measure(body: dict) -> dict:
            response = await http.post("/v1/measures", json={"product_id": product["id"],
                                                             **body})
            assert response.status_code == 201, response.text
            return response.json()

        measures = {
            "recycled": await measure({
                "name": "Recycled aluminium", "cost_per_unit": 1.5, "currency": "CNY",
                "changes": [{"type": "substitute", "select": {"material_class": "aluminium"},
                             "target": recycled[0]["link_hint"]}]}),
            "light": await measure({
                "name": "Lighter frame", "cost_per_unit": 0.8, "currency": "CNY",
                "changes": [{"type": "scale", "select": {"line_ids": ["alu"]},
                             "factor": 0.85}]}),
            "relocate": await measure({
                "name": "Power from another province", "cost_per_unit": 0.1,
                "currency": "CNY",
                "changes": [{"type": "relocate", "select": {"description": "*电网*"},
                             "location": other["location"]}]}),
            "grid": await measure({
                "name": "Cement plant on the Jiangsu grid", "cost_per_unit": 0.05,
                "currency": "CNY",
                "changes": [{"type": "switch_electricity", "select": {"line_ids": ["cement"]},
                             "target": grid_js["link_hint"]}]}),
            "epd": await measure({
                "name": "Cement supplier EPD", "cost_per_unit": 0.0, "currency": "CNY",
                "changes": [{"type": "use_primary", "select": {"part_number": "C"},
                             "target": declared.json()["link_hint"]}]}),
        }
        again = await measure({"name": "Lighter frame", "cost_per_unit": 0.7, "currency": "CNY",
                               "changes": [{"type": "scale", "select": {"line_ids": ["alu"]},
                                            "factor": 0.8}]})
        assert again["version"] == measures["light"]["version"] + 1
        ghg_total = (await http.get(done["result_url"])).json()["result"]["ghg"]["total"]
        response = await http.post("/v1/scenarios", json={
            "baseline_result_id": baseline_id,
            "measure_ids": [m["id"] for m in measures.values()],
            "portfolio": {"goal": "cheapest", "ghg_cut_kg_co2e": 0.01 * ghg_total,
                          "region_apeq_cap": None, "pareto_points": 5}})
        assert response.status_code == 202, response.text
        finished = await wait_job(http, response.json()["id"], limit_s=300)
        assert finished["state"] == "succeeded", finished
        got = await http.get(f"/v1/scenarios/{finished['id']}")
        assert got.status_code == 200, got.text
        return {"tenant": tenant, "snapshot_hash": snapshot_hash, "scenario": got.json(),
                "measures": measures, "revision_id": revision["id"], "baseline_id": baseline_id,
                "other_location": other["location"]}


async def _engine(database_url: str, snapshot_hash: str, revision_id: str, tmp: Path):
    conn = await asyncpg.connect(database_url)
    try:
        package = await conn.fetchval("select package from snapshot where snapshot_hash = $1",
                                      snapshot_hash)
        blob = await conn.fetchval("select unit_table from snapshot where snapshot_hash = $1",
                                   snapshot_hash)
        leaves = await conn.fetchval("select explosion::text from bom_revision where id = $1",
                                     __import__("uuid").UUID(revision_id))
        rows = await conn.fetch("select id, kind, declared_unit, location, payload::text "
                                "from primary_data")
        measure_rows = await conn.fetch(
            "select id, name, version, changes::text, cost_per_unit, currency, exclusive_group "
            "from measure")
    finally:
        await conn.close()
    import json

    snapshot = load_snapshot(unpack_snapshot(package, tmp))
    table = UnitTable.from_bytes(blob)
    records = [{"id": str(r["id"]), "kind": r["kind"], "declared_unit": r["declared_unit"],
                "location": r["location"], "payload": json.loads(r["payload"])} for r in rows]
    measures = {str(r["id"]): {**dict(r), "changes": json.loads(r["changes"])}
                for r in measure_rows}
    return snapshot, table, json.loads(leaves), records, measures


async def test_deltas_equal_full_recalculation_minus_baseline(scenario, database_url) -> None:
    body = scenario["scenario"]["result"]
    assert not body["errors"], body["errors"]
    assert body["baseline"]["differs_from_stored_result"] == []
    with tempfile.TemporaryDirectory() as tmp:
        snapshot, table, leaves, records, rows = await _engine(
            database_url, scenario["snapshot_hash"], scenario["revision_id"], Path(tmp))
        primary, problems = resolve_records(records, snapshot)
        linked = link_leaves(leaves, snapshot, [], primary=primary, primary_problems=problems)
        model = cc.ProductModel(tuple(linked.lines), {leaf["line_id"]: leaf for leaf in leaves},
                                linked.unit_by_line)
        before = footprint(model.lines, table, snapshot)
        for result in body["measures"]:
            measure = build_measure(rows[result["measure_id"]], snapshot, primary, problems)
            after = footprint(cc.apply_measure(measure, model, snapshot).lines, table, snapshot)
            full = after.total - before.total
            scale = np.maximum(np.abs(before.total), np.abs(after.total))
            got = np.array([result["delta"][i] for i in before.indicator_ids])
            assert np.all(np.abs(got - full) <= RTOL * np.maximum(np.abs(full), 1e-6 * scale)
                          + 1e-300), result["name"]
            for pollutant, by_location in after.pollutants_by_location.items():
                old = before.pollutants_by_location.get(pollutant, {})
                for location in by_location.keys() | old:
                    expected = by_location.get(location, 0.0) - old.get(location, 0.0)
                    value = result["delta_pollutants_by_location"].get(pollutant, {}).get(
                        location, 0.0)
                    assert value == pytest.approx(expected, rel=RTOL, abs=1e-15 + 1e-12 * abs(
                        by_location.get(location, 0.0))), (result["name"], pollutant, location)
            ghg = result["delta"]["gwp100_kg_co2e"]
            assert result["classification"] == cc.classify(
                ghg, result["apeq"]["delta"], ghg_base=before.value("gwp100_kg_co2e"),
                ap_base=body["baseline"]["apeq"])
        # The relocation, independently: plain bw2calc on the changed demand.
        relocate = next(r for r in body["measures"] if r["name"].startswith("Power"))
        measure = build_measure(rows[relocate["measure_id"]], snapshot, primary, problems)
        changed = cc.apply_measure(measure, model, snapshot).lines
        ids = [a.id for a in snapshot.activities]
        demand: dict[int, float] = {}
        for line in changed:
            if line.line_id == "cement":
                continue  # background lines only here
            node = ids[line.link.product_index]
            demand[node] = demand.get(node, 0.0) + line.amount
        lca = bw2calc.LCA(demand, data_objs=[*snapshot.inventory_datapackages(),
                                             snapshot.characterization_datapackage(
                                                 "gwp100_kg_co2e")])
        lca.lci()
        lca.lcia()
        cement = before.per_line[before.line_ids.index("cement"),
                                 before.indicator_ids.index("gwp100_kg_co2e")]
        expected = lca.score + cement - before.value("gwp100_kg_co2e")
        assert relocate["delta"]["gwp100_kg_co2e"] == pytest.approx(expected, rel=1e-6)


async def test_classification_and_region_shift(scenario) -> None:
    body = scenario["scenario"]["result"]
    by_name = {m["name"]: m for m in body["measures"]}
    relocate = by_name["Power from another province"]
    so2 = relocate["delta_pollutants_by_location"]["so2_kg"]
    assert so2.get("JS-CN", 0.0) < 0, so2
    assert relocate["region_shift"]["shifted"], relocate["region_shift"]
    assert "JS-CN" in relocate["region_shift"]["falling"]
    assert scenario["other_location"] in relocate["region_shift"]["rising"]
    assert relocate["classification_by_location"]["JS-CN"] in (cc.CO_BENEFIT,
                                                                cc.POLLUTION_ONLY,
                                                                cc.NEGATIVE_SYNERGY)
    recycled = by_name["Recycled aluminium"]
    assert recycled["delta_ghg_kg_co2e"]["total"] < 0
    assert recycled["cost"]["per_t_co2e_abated"] == pytest.approx(
        1.5 / (-recycled["delta_ghg_kg_co2e"]["total"] / 1000))
    c = recycled["coordinates"]
    assert c["x_ghg_relative"] == pytest.approx(
        recycled["delta_ghg_kg_co2e"]["total"] / body["baseline"]["ghg_kg_co2e"])
    if c["elasticity"] is not None:
        assert c["elasticity"] == pytest.approx(c["y_apeq_relative"] / c["x_ghg_relative"])
    epd = by_name["Cement supplier EPD"]
    assert "gwp100_fossil_kg_co2e" in epd["missing_declared"]["cement"]
    light = by_name["Lighter frame"]
    assert light["classification"] in (cc.CO_BENEFIT, cc.CARBON_ONLY)


async def test_portfolio(scenario) -> None:
    body = scenario["scenario"]["result"]
    portfolio = body["portfolio"]
    ids = {m["name"]: m["measure_id"] for m in body["measures"]}
    # recycled aluminium and lightweighting touch the same line: alternatives
    assert any({ids["Recycled aluminium"], ids["Lighter frame"]} <= set(g)
               for g in portfolio["exclusive_groups"])
    chosen = portfolio["chosen"]
    assert chosen["status"] == "optimal"
    assert not {ids["Recycled aluminium"], ids["Lighter frame"]} <= set(chosen["measure_ids"])
    assert chosen["ghg_delta_kg_co2e"] <= -0.01 * body["baseline"]["ghg_kg_co2e"] + 1e-12
    if "combined" in portfolio:
        assert portfolio["combined"]["delta_ghg_kg_co2e"]["total"] == pytest.approx(
            chosen["ghg_delta_kg_co2e"], rel=1e-9)
    assert portfolio["pareto_front"]


async def test_cross_tenant_and_roles(scenario, make_tenant) -> None:
    stranger = await make_tenant("stranger")
    measure_id = scenario["measures"]["recycled"]["id"]
    async with await stranger.client("buyer") as http:
        assert (await http.get(f"/v1/measures/{measure_id}")).status_code == 404
        assert (await http.get(f"/v1/scenarios/{scenario['scenario']['id']}")).status_code == 404
        response = await http.post("/v1/scenarios", json={
            "baseline_result_id": scenario["baseline_id"], "measure_ids": [measure_id]})
        assert response.status_code == 404
        assert (await http.get("/v1/measures")).json() == []
    owner = scenario["tenant"]
    async with await owner.client("supplier") as http:
        assert (await http.get(f"/v1/measures/{measure_id}")).status_code == 403
        response = await http.post("/v1/measures", json={
            "product_id": scenario["measures"]["recycled"]["product_id"], "name": "x",
            "changes": [{"type": "scale", "select": {"line_ids": ["alu"]}, "factor": 0.5}]})
        assert response.status_code == 403


async def test_water_groups_on_the_real_snapshot(scenario, database_url) -> None:
    """The water groups find their flows in TianGong + US LCI; the product's COD, NH3-N, TN,
    TP and water equivalents computed from a unit table of the groups (as a snapshot built
    with them would hold)."""
    from lca.indicators import characterization_matrix
    from lca.pollution_equivalents import WATER, pollution_equivalents, water_indicators
    from lca.precompute import unit_indicator_table

    with tempfile.TemporaryDirectory() as tmp:
        snapshot, _, leaves, records, _ = await _engine(
            database_url, scenario["snapshot_hash"], scenario["revision_id"], Path(tmp))
        groups = water_indicators()
        c = characterization_matrix(snapshot.flows, groups)
        emitted = np.asarray(abs(c @ snapshot.biosphere_matrix).sum(axis=1)).ravel()
        assert all(emitted > 0), dict(zip([g.id for g in groups], emitted, strict=True))
        u = unit_indicator_table(snapshot.technosphere_matrix, snapshot.biosphere_matrix, c)
        primary, problems = resolve_records(records, snapshot)
        linked = link_leaves(leaves, snapshot, [], primary=primary, primary_problems=problems)
        values = {g.id: 0.0 for g in groups}
        for line in linked.lines:
            for k, g in enumerate(groups):
                values[g.id] += line.amount * u[line.link.product_index, k]
        assert values["tn_kg"] >= values["nh3n_kg"] >= 0
        assert pollution_equivalents(values, WATER) > 0
