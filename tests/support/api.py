"""Helpers for talking to the API in tests."""

from __future__ import annotations

import asyncio
import time

import httpx


async def wait_job(http: httpx.AsyncClient, job_id: str, limit_s: float = 120) -> dict:
    """Poll a job until it succeeds or fails."""
    deadline = time.monotonic() + limit_s
    job: dict = {}
    while time.monotonic() < deadline:
        job = (await http.get(f"/v1/jobs/{job_id}")).json()
        if job["state"] in ("succeeded", "failed"):
            return job
        await asyncio.sleep(0.3)
    raise TimeoutError(f"job {job_id} still {job.get('state')}")
