"""A user's own database through the API: tabular CSV and ecoSpold2 uploads become snapshots."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import asyncpg
import pytest

from tests.support.api import wait_job

DATA = Path(__file__).resolve().parents[1] / "unit" / "connectors" / "data"


async def test_tabular_upload_becomes_a_usable_snapshot(make_tenant, worker) -> None:
    tenant = await make_tenant("own-db")
    content = (DATA / "tabular_3_activities.csv").read_bytes()
    async with await tenant.client("admin") as http:
        response = await http.post("/v1/imports/upload", data={"source": "tabular"},
                                   files={"file": ("my_db.csv", content)})
        assert response.status_code == 202, response.text
        job = await wait_job(http, response.json()["id"], limit_s=300)
        assert job["state"] == "succeeded", job
        snapshot_hash = job["output"]["snapshot_hash"]
    async with await tenant.client("buyer") as http:
        widget = (await http.get(f"/v1/snapshots/{snapshot_hash}/activities",
                                 params={"q": "widget"})).json()
        assert widget[0]["link_hint"] == "tanji_tabular_test:widget"
        product = (await http.post("/v1/products", json={"part_number": "W",
                                                         "name": "W"})).json()
        revision = (await http.post(f"/v1/products/{product['id']}/boms", json={"lines": [
            {"part_number": "W", "description": "widget", "quantity": 2, "unit": "kg",
             "link_hint": "tanji_tabular_test:widget"}]})).json()
        job = (await http.post("/v1/footprints", json={"bom_revision_id": revision["id"]})).json()
        done = await wait_job(http, job["id"])
        body = (await http.get(done["result_url"])).json()["result"]
    assert body["status"] == "complete"
    assert body["ghg"]["total"] > 0
    assert body["pollutants"]["so2_kg"] > 0


async def test_ecospold2_upload(make_tenant, worker) -> None:
    tenant = await make_tenant("own-spold")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted((DATA / "ecospold2").glob("*.spold")):
            archive.write(path, f"datasets/{path.name}")
    async with await tenant.client("admin") as http:
        response = await http.post("/v1/imports/upload", data={"source": "ecospold2"},
                                   files={"file": ("licensed.zip", buffer.getvalue())})
        assert response.status_code == 202, response.text
        job = await wait_job(http, response.json()["id"], limit_s=300)
    assert job["state"] == "succeeded", job
    assert job["output"]["report"]["database"] == "user_licensed"


@pytest.mark.parametrize(("source", "name", "content"), [
    ("tabular", "db.pdf", b"%PDF-1.4"),
    ("ecospold2", "db.zip", b"not a zip"),
    ("ecospold2", "db.zip", b""),
    ("nonsense", "db.csv", b"a,b"),
])
async def test_bad_uploads_are_refused_and_store_nothing(make_tenant, conn: asyncpg.Connection,
                                                         source: str, name: str,
                                                         content: bytes) -> None:
    tenant = await make_tenant("bad-upload")
    async with await tenant.client("admin") as http:
        response = await http.post("/v1/imports/upload", data={"source": source},
                                   files={"file": (name, content)})
        assert response.status_code == 422, response.text
    async with await tenant.client("buyer") as http:
        response = await http.post("/v1/imports/upload", data={"source": "tabular"},
                                   files={"file": ("x.csv", b"a")})
        assert response.status_code == 403
    assert await conn.fetchval("select count(*) from upload where tenant_id = $1",
                               tenant.tenant_id) == 0
    assert await conn.fetchval("select count(*) from job where tenant_id = $1",
                               tenant.tenant_id) == 0
