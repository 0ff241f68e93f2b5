"""The portal in headless Chromium: a buyer asks a supplier for data, the supplier fixes and
sends it, the buyer accepts and the footprint gains primary data; the language switch;
another tenant's pages are 404.

Setup that is not under test (finding background datasets, making two tenants partners)
uses the API; everything the people do goes through the pages.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import asyncpg
import pytest
from playwright.async_api import Page, expect

from tests.browser.fixtures import PortalUser, make_user

JOB_LIMIT_MS = 300_000


async def find(http, snapshot_hash: str, q: str) -> dict:
    response = await http.get(f"/v1/snapshots/{snapshot_hash}/activities", params={"q": q})
    assert response.status_code == 200, response.text
    assert response.json(), f"no dataset matches {q!r}"
    return response.json()[0]


async def partner_up(buyer, supplier) -> None:
    """Setup, not under test: the buyer's admin invites, the supplier's admin accepts."""
    async with await buyer.client("admin") as http:
        invitation = await http.post("/v1/partners/invitations", json={"note": "tier 1"})
        assert invitation.status_code == 201, invitation.text
    async with await supplier.client("admin") as http:
        accepted = await http.post("/v1/partners", json={"code": invitation.json()["code"]})
        assert accepted.status_code == 201, accepted.text


async def sign_in(page: Page, user: PortalUser, path: str = "/portal/") -> None:
    await page.goto(f"/portal/login?next={path}")
    await page.fill("input[name=email]", user.email)
    await page.fill("input[name=password]", user.password)
    await page.click("#sign-in")
    await page.wait_for_load_state()
    assert "/portal/login" not in page.url, await page.content()


async def shot(page: Page, artifacts: Path, name: str) -> None:
    await page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


def bom_csv(steel: str, coal: str, truck: str, *, broken: bool) -> bytes:
    rows = [
        "line_id,parent_line_id,part_number,description,quantity,unit,supplier,origin,stage,"
        "link_hint",
        "frame,,F-1,Frame,1,piece,Frames Ltd,CN-TJ,,",
        f"tube,frame,S-1,Steel tube,{'abc' if broken else '1.5'},kg,,,raw_materials,{steel}",
        f"casting,,C-1,Housing casting,0.8,{'kgs' if broken else 'kg'},Casting Co,CN-SD,"
        f"production,{steel}",
        f"power,,E-1,Assembly power,18,MJ,,,production,{coal}",
        f"ship,,T-1,Trucking,0.05,t*km,,,distribution,{truck}",
    ]
    return ("\n".join(rows) + "\n").encode()


def fill_template(template: bytes, coal: str, *, so2: str) -> tuple[bytes, int]:
    """The request's template with process data for the casting; the so2 row's number."""
    values = {
        ("record", "location"): {"value": "CN-SD"},
        ("record", "reference_period_start"): {"value": "2025-01-01"},
        ("record", "reference_period_end"): {"value": "2025-12-31"},
        ("energy", "electricity"): {"value": "2.0", "link_hint": coal, "region": "CN-SD"},
        ("emission", "co2"): {"value": "0.8"},
        ("emission", "so2"): {"value": so2},
        ("emission", "pm10"): {"value": "0.002"},
    }
    rows = list(csv.DictReader(io.StringIO(template.decode("utf-8-sig"))))
    so2_row = 0
    for number, row in enumerate(rows, start=2):
        assert row["line_id"] == "casting"
        row.update(values.get((row["section"], row["field"]), {}))
        if (row["section"], row["field"]) == ("emission", "so2"):
            so2_row = number
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode(), so2_row


async def primary_share(page: Page) -> float:
    value = await page.get_attribute("#primary-share", "data-value")
    assert value not in (None, ""), "the result shows no primary data share"
    return float(value)


async def wait_result(page: Page) -> None:
    await page.wait_for_url(re.compile(r".*/portal/results/[0-9a-f-]+$"), timeout=JOB_LIMIT_MS)
    await expect(page.locator("#gwp-total")).to_be_visible()


@pytest.mark.slow
async def test_supplier_data_raises_the_buyers_primary_share(
        uslci_owner, worker, make_tenant, conn: asyncpg.Connection, new_page,
        artifacts: Path) -> None:
    tenant, snapshot_hash = uslci_owner
    async with await tenant.client("buyer") as api:
        steel = (await find(api, snapshot_hash, "hot rolled"))["link_hint"]
        coal = (await find(api, snapshot_hash, "electricity bituminous coal at power plant"))[
            "link_hint"]
        truck = (await find(api, snapshot_hash, "transport combination truck diesel"))[
            "link_hint"]
    supplier_tenant = await make_tenant("casting-co")
    await partner_up(tenant, supplier_tenant)
    buyer = await make_user(conn, tenant.tenant_id, "buyer", name="Li Buyer")
    supplier = await make_user(conn, supplier_tenant.tenant_id, "supplier", name="Casting Co")
    exporter = await make_user(conn, tenant.tenant_id, "exporter")

    # The buyer adds a product and uploads a BOM with two mistakes, sees them on their cells.
    page = await new_page()
    await sign_in(page, buyer)
    await expect(page).to_have_url(re.compile(r".*/portal/products$"))
    await page.fill("#new-product input[name=part_number]", "PUMP-7")
    await page.fill("#new-product input[name=name]", "Water pump")
    await page.click("#new-product button[type=submit]")
    await expect(page.locator("h1")).to_contain_text("PUMP-7")
    product_url = page.url
    await page.set_input_files("#bom-upload input[type=file]", files=[{
        "name": "pump.csv", "mimeType": "text/csv",
        "buffer": bom_csv(steel, coal, truck, broken=True)}])
    await page.click("#bom-upload button[type=submit]")
    await expect(page.locator("#upload-problems")).to_be_visible()
    bad_quantity = page.locator('#upload-rows tr[data-row="3"] td[data-field="quantity"]')
    await expect(bad_quantity).to_have_class(re.compile(r"\bbad\b"))
    await expect(bad_quantity.locator(".issue")).to_contain_text("not a finite number")
    bad_unit = page.locator('#upload-rows tr[data-row="4"] td[data-field="unit"]')
    await expect(bad_unit).to_have_class(re.compile(r"\bbad\b"))
    await expect(page.locator('#upload-rows tr[data-row="2"] td.bad')).to_have_count(0)
    await shot(page, artifacts, "01-buyer-bom-errors-inline")

    # Fixed file: stored; the footprint is calculated while the page follows the job.
    await page.set_input_files("#bom-upload input[type=file]", files=[{
        "name": "pump.csv", "mimeType": "text/csv",
        "buffer": bom_csv(steel, coal, truck, broken=False)}])
    await page.click("#bom-upload button[type=submit]")
    await expect(page.locator("#uploaded")).to_be_visible()
    await page.click("#revisions button.calculate")
    await expect(page.locator("#job, #gwp-total").first).to_be_visible()
    await wait_result(page)
    before = await primary_share(page)
    gwp_before = float(await page.get_attribute("#gwp-total", "data-value"))
    assert gwp_before > 0
    await expect(page.locator("#chart-lines svg rect")).not_to_have_count(0)
    await expect(page.locator("#chart-stages svg rect")).not_to_have_count(0)
    await expect(page.locator("#pollutant-table tr[data-pollutant=so2_kg]")).to_be_visible()
    await shot(page, artifacts, "02-buyer-result-before")

    # The buyer asks a partner supplier for data on the casting line.
    await page.goto(product_url)
    await page.click("#revisions tbody tr:first-child td:first-child a")
    await page.check('#ask-supplier input[name=line_id][value="casting"]')
    await page.fill("#ask-supplier input[name=message]", "Casting data for 2025, please")
    await shot(page, artifacts, "03-buyer-ask-supplier")
    await page.click("#ask-supplier button[type=submit]")
    await expect(page.locator("#request-status")).to_have_text("open")
    request_url = page.url

    # The supplier downloads the template, uploads it with a mistake, fixes it, submits.
    spage = await new_page()
    await sign_in(spage, supplier)
    await expect(spage).to_have_url(re.compile(r".*/portal/supplier$"))
    await expect(spage.locator("#received tbody tr")).to_have_count(1)
    await spage.click("#received tbody tr a")
    async with spage.expect_download() as download_info:
        await spage.click("#template-csv")
    download = await download_info.value
    assert download.suggested_filename.endswith(".csv")
    template = await (await spage.request.get(
        await spage.get_attribute("#template-csv", "href"))).body()
    answer, so2_row = fill_template(template, coal, so2="oops")
    await spage.set_input_files("#answer-upload input[type=file]", files=[{
        "name": "answer.csv", "mimeType": "text/csv", "buffer": answer}])
    await spage.click("#answer-upload button[type=submit]")
    await expect(spage.locator("#review-problems")).to_be_visible()
    bad = spage.locator(f'#review-rows tr[data-row="{so2_row}"] td[data-field="value"]')
    await expect(bad).to_have_class(re.compile(r"\bbad\b"))
    await expect(bad.locator(".issue")).to_have_text("not a finite number")
    await expect(spage.locator("#review-rows td.bad")).to_have_count(1)
    await bad.scroll_into_view_if_needed()
    await shot(spage, artifacts, "04-supplier-errors-inline")
    await bad.locator("input").fill("0.004")
    await spage.click("#check-again")
    await expect(spage.locator("#review-ok")).to_be_visible()
    await expect(spage.locator("#review-rows td.bad")).to_have_count(0)
    await spage.click("#submit-data")
    await expect(spage.locator("#answered")).to_be_visible()
    await expect(spage.locator("#request-status")).to_contain_text("answered")
    await shot(spage, artifacts, "05-supplier-answered")

    # The buyer sees the answer, accepts it: a new revision, a new result, more primary data.
    await page.goto("/portal/requests")
    await expect(page.locator("#requests tbody tr")).to_have_count(1)
    await page.goto(request_url)
    await expect(page.locator("#request-status")).to_contain_text("answered")
    await shot(page, artifacts, "06-buyer-answer")
    await page.click("button.accept-answer")
    await wait_result(page)
    after = await primary_share(page)
    assert after > before, (before, after)
    assert after > 0
    await expect(page.locator("#compare")).to_contain_text("0.0 %")
    result_id = page.url.rsplit("/", 1)[-1]
    await expect(page.locator("#by-location-so2_kg")).to_contain_text("CN-SD")
    await expect(page.locator("#result-lines")).to_contain_text("Supplier process")
    await shot(page, artifacts, "07-buyer-result-after")
    await page.goto(page.url + "?lang=zh")
    await expect(page.locator("h1")).to_contain_text("碳足迹")
    await expect(page.locator("#pollutants h2")).to_have_text("大气污染物")
    await shot(page, artifacts, "08-buyer-result-zh")
    await page.goto(request_url + "?lang=en")
    await expect(page.locator("#request-status")).to_have_text("accepted")
    await page.goto(product_url)
    await expect(page.locator("#results tbody tr")).to_have_count(2)
    await shot(page, artifacts, "09-buyer-product")

    # The exporter sees the certificate (issued through the API) and both results' files.
    async with await tenant.client("exporter") as api:
        issued = await api.post(f"/v1/footprints/{result_id}/certificates")
        assert issued.status_code == 201, issued.text
        serial = issued.json()["serial"]
    epage = await new_page()
    await sign_in(epage, exporter)
    await expect(epage).to_have_url(re.compile(r".*/portal/exports$"))
    # (other tests of the session may add products to this tenant: count this product's)
    await expect(epage.locator("article.result-files", has_text="PUMP-7")).to_have_count(2)
    await expect(epage.locator("#certificates")).to_contain_text(serial)
    pdf = await epage.request.get(f"/portal/exports/certificates/{serial}.pdf")
    assert pdf.status == 200
    assert (await pdf.body())[:4] == b"%PDF"
    report = epage.locator("article.result-files a", has_text="ISO 14067").first
    response = await epage.request.get(await report.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    await shot(epage, artifacts, "10-exporter-files")


async def test_language_switch(make_tenant, conn: asyncpg.Connection, new_page,
                               artifacts: Path) -> None:
    tenant = await make_tenant("lang")
    buyer = await make_user(conn, tenant.tenant_id, "buyer")
    page = await new_page(locale="zh-CN")
    await page.goto("/portal/login")
    await expect(page.locator("h1")).to_have_text("登录")
    await expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    await shot(page, artifacts, "11-login-zh")
    await sign_in(page, buyer)
    await expect(page.locator("h1")).to_have_text("产品")
    await expect(page.locator("header nav")).to_contain_text("供应商数据")
    await expect(page.locator("#new-product button")).to_have_text("添加产品")
    await shot(page, artifacts, "12-products-zh")
    await page.click("#lang-switch")
    await expect(page.locator("h1")).to_have_text("Products")
    await page.reload()
    await expect(page.locator("h1")).to_have_text("Products")  # kept in a cookie
    await page.click("#lang-switch")
    await expect(page.locator("h1")).to_have_text("产品")
    await page.click("#logout")
    await expect(page.locator("h1")).to_have_text("登录")


async def test_another_tenants_pages_are_not_found(make_tenant, conn: asyncpg.Connection,
                                                   new_page, artifacts: Path) -> None:
    tenant_a = await make_tenant("a")
    async with await tenant_a.client("buyer") as api:
        product = (await api.post("/v1/products", json={"part_number": "A-ONLY",
                                                        "name": "Tenant A's product"})).json()
    buyer_a = await make_user(conn, tenant_a.tenant_id, "buyer")
    tenant_b = await make_tenant("b")
    buyer_b = await make_user(conn, tenant_b.tenant_id, "buyer")
    page = await new_page()
    await sign_in(page, buyer_a)
    response = await page.goto(f"/portal/products/{product['id']}")
    assert response.status == 200
    other = await new_page()
    await sign_in(other, buyer_b)
    response = await other.goto(f"/portal/products/{product['id']}")
    assert response.status == 404
    await expect(other.locator("h1")).to_contain_text("404")
    await expect(other.locator("main")).not_to_contain_text("A-ONLY")
    await shot(other, artifacts, "13-other-tenant-404")
    await other.goto("/portal/products")
    await expect(other.locator("main")).not_to_contain_text("A-ONLY")
