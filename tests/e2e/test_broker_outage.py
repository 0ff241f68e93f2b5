"""Work accepted while the broker is unreachable is not lost: the job waits in PostgreSQL
and the reaper of a healthy API sends it once a broker answers."""

from __future__ import annotations

import httpx

from tests.support.api import wait_job
from tests.support.servers import api_process, free_port, wait_ready


async def test_job_accepted_without_broker_still_runs(make_tenant, worker, service_env,
                                                      log_dir) -> None:
    env = {**service_env, "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
           "TANJI_JOB_REAPER_INTERVAL_SECONDS": "3600"}
    port = free_port()
    cut_off = api_process(env, port, log_dir).start()
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, process=cut_off.process, path="/healthz")
        tenant = await make_tenant("outage")
        token = await tenant.token("buyer")
        async with httpx.AsyncClient(base_url=base, timeout=30,
                                     headers={"Authorization": f"Bearer {token}"}) as http:
            assert (await http.get("/readyz")).status_code == 503
            product = (await http.post("/v1/products", json={"part_number": "O",
                                                             "name": "o"})).json()
            revision = (await http.post(f"/v1/products/{product['id']}/boms", json={"lines": [
                {"part_number": "A", "description": "a", "quantity": 1, "unit": "kg"}]})).json()
            accepted = await http.post("/v1/footprints",
                                       json={"bom_revision_id": revision["id"]})
            assert accepted.status_code == 202, accepted.text
            assert accepted.json()["state"] == "queued"
    finally:
        cut_off.stop()
    async with await tenant.client("buyer") as http:  # the healthy API and its reaper
        done = await wait_job(http, accepted.json()["id"], limit_s=120)
    assert done["state"] == "succeeded", done
