"""Footprint jobs through a real broker and a real worker, including a worker crash."""

from __future__ import annotations

import asyncio
import time

import asyncpg

from tests.support.api import wait_job
from tests.support.servers import worker_process

LINES = [{"line_id": "a", "part_number": "A", "description": "Aluminium", "quantity": 2,
          "unit": "kg"},
         {"line_id": "b", "part_number": "B", "description": "Power", "quantity": 3.6,
          "unit": "MJ"}]


async def submit(http, lines=LINES, **headers: str) -> tuple[dict, str]:
    product = (await http.post("/v1/products", json={"part_number": f"P{time.time_ns()}",
                                                     "name": "p"})).json()
    revision = (await http.post(f"/v1/products/{product['id']}/boms",
                                json={"lines": lines})).json()
    response = await http.post("/v1/footprints", json={"bom_revision_id": revision["id"]},
                               headers=headers)
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"/v1/jobs/{response.json()['id']}"
    return response.json(), revision["id"]


async def test_footprint_job_runs_on_the_worker(make_tenant, worker) -> None:
    tenant = await make_tenant()
    async with await tenant.client("buyer") as http:
        job, revision_id = await submit(http, **{"Idempotency-Key": "k-1"})
        repeat = await http.post("/v1/footprints", json={"bom_revision_id": revision_id},
                                 headers={"Idempotency-Key": "k-1"})
        assert repeat.status_code == 202
        assert repeat.json()["id"] == job["id"]
        done = await wait_job(http, job["id"])
        assert done["state"] == "succeeded", done
        assert done["progress"] == 100
        result = (await http.get(done["result_url"])).json()
        assert result["bom_revision_id"] == revision_id
        leaves = {leaf["line_id"]: leaf for leaf in result["result"]["leaves"]}
        assert leaves["b"]["amount"] == 1.0
        assert leaves["b"]["unit"] == "kWh"


async def test_idempotency_key_with_other_body_conflicts(make_tenant) -> None:
    tenant = await make_tenant()
    async with await tenant.client("buyer") as http:
        await submit(http, **{"Idempotency-Key": "same"})
        _, other_revision = await submit(http, **{"Idempotency-Key": "other"})
        clash = await http.post("/v1/footprints", json={"bom_revision_id": other_revision},
                                headers={"Idempotency-Key": "same"})
        assert clash.status_code == 409


async def test_worker_killed_mid_job_finishes_exactly_once(
        make_tenant, worker, service_env, log_dir, conn: asyncpg.Connection) -> None:
    """SIGKILL the worker while it holds the job; a new worker finishes it, once."""
    worker.stop()
    slow_env = {**service_env, "TANJI_JOB_START_DELAY_SECONDS": "30"}
    doomed = worker_process(slow_env, log_dir, name="doomed").start()
    tenant = await make_tenant()
    async with await tenant.client("buyer") as http:
        job, _ = await submit(http)
        deadline = time.monotonic() + 60
        while (await http.get(f"/v1/jobs/{job['id']}")).json()["state"] != "running":
            assert time.monotonic() < deadline, doomed.log()[-3000:]
            await asyncio.sleep(0.2)
        doomed.kill()
        rescuer = worker_process(service_env, log_dir, name="rescuer").start()
        try:
            done = await wait_job(http, job["id"])
        finally:
            rescuer.stop()
            worker.start()
        assert done["state"] == "succeeded", done
        assert done["attempts"] == 2
    results = await conn.fetchval("select count(*) from footprint_result where job_id = $1",
                                  job["id"])
    assert results == 1
