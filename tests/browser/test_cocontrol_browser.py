"""Co-control (降碳减污协同) pages in headless Chromium, and their tenancy and CSRF over HTTP.

A buyer opens a product with a footprint, creates measures through the form (a substitute
dataset found by search, a scaled quantity), runs a scenario with a portfolio goal, follows
the job and sees each measure as a point of the co-control coordinate chart, the per-region
table of pollution changes and the Pareto front; the baseline's ISO 14067 report then carries
the co-control section. Setup that is not under test (finding
datasets, the product, its BOM and first footprint) uses the API.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import asyncpg
import httpx
import pytest
from playwright.async_api import Page, expect

from tests.browser.fixtures import csrf_from, make_user, sign_in
from tests.browser.test_portal_browser import find, shot
from tests.browser.test_portal_browser import sign_in as page_sign_in
from tests.support.api import wait_job

JOB_LIMIT_MS = 300_000


async def product_with_footprint(tenant, snapshot_hash: str) -> tuple[dict, dict, str]:
    """Setup through the API: a product whose BOM burns coal power, with its footprint."""
    async with await tenant.client("buyer") as api:
        steel = (await find(api, snapshot_hash, "hot rolled"))["link_hint"]
        coal = (await find(api, snapshot_hash, "electricity bituminous coal at power plant"))[
            "link_hint"]
        truck = (await find(api, snapshot_hash, "transport combination truck diesel"))[
            "link_hint"]
        gas = await find(api, snapshot_hash, "electricity natural gas at power plant")
        product = (await api.post("/v1/products", json={
            "part_number": f"CC-{uuid.uuid4().hex[:6]}", "name": "Pump housing"})).json()
        lines = [
            {"line_id": "housing", "part_number": "H", "description": "Housing", "quantity": 1,
             "unit": "piece"},
            {"line_id": "steel", "parent_line_id": "housing", "part_number": "S",
             "description": "Steel sheet", "quantity": 2, "unit": "kg", "link_hint": steel,
             "stage": "raw_materials"},
            {"line_id": "power", "parent_line_id": "housing", "part_number": "E",
             "description": "Assembly power", "quantity": 40, "unit": "MJ", "link_hint": coal,
             "stage": "production"},
            {"line_id": "ship", "parent_line_id": "housing", "part_number": "T",
             "description": "Trucking", "quantity": 0.05, "unit": "t*km", "link_hint": truck,
             "stage": "distribution"},
        ]
        revision = await api.post(f"/v1/products/{product['id']}/boms", json={"lines": lines})
        assert revision.status_code == 201, revision.text
        job = await api.post("/v1/footprints", json={
            "bom_revision_id": revision.json()["id"],
            "options": {"snapshot_hash": snapshot_hash}})
        assert job.status_code == 202, job.text
        done = await wait_job(api, job.json()["id"], limit_s=300)
        assert done["state"] == "succeeded", done
    return product, gas, done["result_id"]


async def add_measure(page: Page, *, name: str, change: str, lines: list[str],
                      factor: str = "1", target: str | None = None, cost: str = "") -> str:
    """Fill and send the new-measure form; the new measure's id (from the list's row)."""
    form = page.locator("#new-measure")
    await form.locator("input[name=name]").fill(name)
    await form.locator(f"input[name=change_type][value={change}]").check()
    for line in lines:
        await form.locator(f'input[name=line_ids][value="{line}"]').check()
    if target:
        await form.locator(f'input[name=target][value="{target}"]').check()
    await form.locator("input[name=factor]").fill(factor)
    await form.locator("input[name=cost_per_unit]").fill(cost)
    await form.locator("#save-measure").click()
    await expect(page.locator("#measure-created")).to_be_visible()
    row = page.locator("#measures tbody tr", has_text=name).first
    measure_id = await row.get_attribute("data-measure-id")
    assert measure_id
    return measure_id


@pytest.mark.slow
async def test_buyer_runs_a_cocontrol_scenario(uslci_owner, worker, conn: asyncpg.Connection,
                                               new_page, artifacts: Path,
                                               tmp_path: Path) -> None:
    tenant, snapshot_hash = uslci_owner
    product, gas, baseline_id = await product_with_footprint(tenant, snapshot_hash)
    buyer = await make_user(conn, tenant.tenant_id, "buyer", name="Wang Buyer")

    page = await new_page()
    await page_sign_in(page, buyer, f"/portal/products/{product['id']}")
    await page.click("#measures-link")
    await expect(page.locator("h1")).to_contain_text("Measures")
    await expect(page.locator("#no-measures")).to_be_visible()

    # A form refused: no line checked, no dataset chosen; the problems come back on the page.
    await page.locator("#new-measure input[name=name]").fill("Nothing chosen")
    await page.click("#save-measure")
    await expect(page.locator("#measure-errors")).to_contain_text("at least one line")

    # Find the natural-gas power dataset by search, substitute the coal power line with it.
    await page.fill("#dataset-search input[name=q]", "electricity natural gas at power plant")
    await page.click("#dataset-search button[type=submit]")
    await expect(page.locator(f'#targets input[value="{gas["link_hint"]}"]')).to_have_count(1)
    gas_id = await add_measure(page, name="Gas power instead of coal", change="substitute",
                               lines=["power"], target=gas["link_hint"], cost="0.4")
    light_id = await add_measure(page, name="Thinner steel sheet", change="scale",
                                 lines=["steel"], factor="0.85", cost="0.2")
    await expect(page.locator("#measures tbody tr")).to_have_count(2)
    await expect(page.locator("#measures")).to_contain_text("Substitute dataset")
    await shot(page, artifacts, "20-buyer-measures")

    # Run both with a portfolio goal; the job page follows the job to the scenario's page.
    await page.check("#run-scenario input[name=goal][value=cheapest]")
    await page.fill("#run-scenario input[name=ghg_cut]", "0.01")
    await page.check("#run-scenario input[name=region_cap]")
    await page.click("#run")
    await expect(page.locator("#job, #cocontrol-chart").first).to_be_visible()
    if "/portal/jobs/" in page.url:
        await shot(page, artifacts, "21-buyer-scenario-progress")
    await page.wait_for_url(re.compile(r".*/portal/scenarios/[0-9a-f-]+$"), timeout=JOB_LIMIT_MS)
    scenario_url = page.url

    chart = page.locator("#cocontrol-chart svg")
    await expect(chart).to_be_visible()
    await expect(chart.locator("rect.quadrant")).to_have_count(4)
    await expect(chart).to_contain_text("Co-benefit: both fall")
    await expect(chart).to_contain_text("Both rise")
    for measure_id, name in ((gas_id, "Gas power instead of coal"),
                             (light_id, "Thinner steel sheet")):
        point = chart.locator(f'circle.point[data-measure-id="{measure_id}"]')
        await expect(point).to_have_count(1)
        await expect(point.locator("title")).to_contain_text(name)
        await expect(chart.locator(f'g.measure[data-measure-id="{measure_id}"] text')
                     ).to_have_text(name)
        row = page.locator(f'#cocontrol-table tr[data-measure-id="{measure_id}"]')
        await expect(row).to_be_visible()
    # Less coal power and less steel: carbon falls with the pollution (co-benefit).
    await expect(page.locator(f'#cocontrol-table tr[data-measure-id="{light_id}"] '
                              f'[data-class]')).to_have_attribute("data-class", "co-benefit")
    gas_class = await page.locator(f'#cocontrol-table tr[data-measure-id="{gas_id}"] '
                                   f'[data-class]').get_attribute("data-class")
    assert gas_class in ("co-benefit", "carbon-only", "negative-synergy"), gas_class
    regions = page.locator(f"#regions-{gas_id} table.region-table tbody tr")
    await expect(regions).not_to_have_count(0)
    await expect(page.locator(f"#regions-{gas_id} svg rect")).not_to_have_count(0)
    await expect(page.locator("#pareto-chart svg circle")).not_to_have_count(0)
    await expect(page.locator("#pareto-table tbody tr")).not_to_have_count(0)
    await shot(page, artifacts, "22-buyer-scenario")

    # The baseline's ISO 14067 report now has the co-control section.
    report = await page.request.get(f"/portal/exports/results/{baseline_id}/report.pdf")
    assert report.status == 200
    assert (await report.body())[:4] == b"%PDF"
    if shutil.which("pdftotext"):
        (tmp_path / "report.pdf").write_bytes(await report.body())
        done = await asyncio.to_thread(
            subprocess.run, ["pdftotext", "-layout", str(tmp_path / "report.pdf"), "-"],
            check=True, capture_output=True, timeout=60)
        text = done.stdout.decode()
        assert "Co-control analysis: carbon and air pollutants together" in text
        assert "Thinner steel sheet" in text

    await page.goto(scenario_url + "?lang=zh")
    await expect(page.locator("h1")).to_contain_text("协同控制情景")
    await expect(page.locator("#cocontrol-chart svg")).to_contain_text("协同增效：两者同降")
    await expect(page.locator("#regions h2")).to_have_text("按排放地区的污染变化")
    await shot(page, artifacts, "23-buyer-scenario-zh")
    await page.goto(f"/portal/products/{product['id']}/measures")
    await expect(page.locator("#scenarios tbody tr")).to_have_count(1)
    await shot(page, artifacts, "24-buyer-measures-zh")
    await page.goto(f"/portal/products/{product['id']}/measures?lang=en")


async def test_cocontrol_pages_keep_tenants_apart_and_need_the_form_token(
        portal_url: str, make_tenant, worker, conn: asyncpg.Connection) -> None:
    tenant_a = await make_tenant("cc-a")
    async with await tenant_a.client("buyer") as api:
        product = (await api.post("/v1/products", json={"part_number": "CC-A",
                                                        "name": "Tenant A's housing"})).json()
        revision = await api.post(f"/v1/products/{product['id']}/boms", json={"lines": [
            {"line_id": "x", "part_number": "X", "description": "Part", "quantity": 1,
             "unit": "kg"}]})
        assert revision.status_code == 201, revision.text
        footprint = await api.post("/v1/footprints",
                                   json={"bom_revision_id": revision.json()["id"]})
        baseline = await wait_job(api, footprint.json()["id"], limit_s=120)
        assert baseline["state"] == "succeeded", baseline  # a result without a snapshot
        measure = await api.post("/v1/measures", json={
            "product_id": product["id"], "name": "Scale A",
            "changes": [{"type": "scale", "select": {"line_ids": ["x"]}, "factor": 0.9}]})
        assert measure.status_code == 201, measure.text
        scenario = await api.post("/v1/scenarios", json={
            "baseline_result_id": baseline["result_id"], "measure_ids": [measure.json()["id"]]})
        assert scenario.status_code == 202, scenario.text
        job = await wait_job(api, scenario.json()["id"], limit_s=120)
        assert job["state"] == "failed", job  # no snapshot: nothing to evaluate against
    buyer_a = await make_user(conn, tenant_a.tenant_id, "buyer")
    tenant_b = await make_tenant("cc-b")
    buyer_b = await make_user(conn, tenant_b.tenant_id, "buyer")
    exporter_a = await make_user(conn, tenant_a.tenant_id, "exporter")
    measures_path = f"/portal/products/{product['id']}/measures"

    async with httpx.AsyncClient(base_url=portal_url) as http:
        await sign_in(http, buyer_a)
        own = await http.get(measures_path)
        assert own.status_code == 200
        assert "Scale A" in own.text
        token = csrf_from(own.text)
        failed = await http.get(f"/portal/scenarios/{job['id']}")
        assert failed.status_code == 200
        assert 'id="scenario-failed"' in failed.text
        # Forms without the session's token are refused and change nothing.
        refused = await http.post(measures_path, data={
            "name": "No token", "change_type": "scale", "line_ids": "x", "factor": "0.5"})
        assert refused.status_code == 403
        stale = await http.post(measures_path, data={
            "csrf_token": "forged", "name": "Forged", "change_type": "scale",
            "line_ids": "x", "factor": "0.5"})
        assert stale.status_code == 403
        run = await http.post(f"/portal/products/{product['id']}/scenarios",
                              data={"measure_ids": measure.json()["id"]})
        assert run.status_code == 403
        assert token
        assert "No token" not in (await http.get(measures_path)).text

    async with httpx.AsyncClient(base_url=portal_url) as http:
        await sign_in(http, buyer_b)
        other = await http.get(measures_path)
        assert other.status_code == 404
        assert "Tenant A" not in other.text
        assert "Scale A" not in other.text
        assert (await http.get(f"/portal/scenarios/{job['id']}")).status_code == 404
        token_b = csrf_from((await http.get("/portal/products")).text)
        posted = await http.post(measures_path, data={
            "csrf_token": token_b, "name": "Intruder", "change_type": "scale",
            "line_ids": "x", "factor": "0.5"})
        assert posted.status_code == 404
        run = await http.post(f"/portal/products/{product['id']}/scenarios",
                              data={"csrf_token": token_b, "measure_ids": measure.json()["id"]})
        assert run.status_code == 404

    async with httpx.AsyncClient(base_url=portal_url) as http:
        await sign_in(http, exporter_a)  # measures are the buyer's, as in the API
        assert (await http.get(measures_path)).status_code == 403

    async with await tenant_a.client("buyer") as api:
        names = [m["name"] for m in (await api.get(
            "/v1/measures", params={"product_id": product["id"]})).json()]
    assert names == ["Scale A"], names
