"""Celery tasks: ids in, state in PostgreSQL, idempotent."""

from __future__ import annotations

import asyncio
from uuid import UUID

from service.config import get_settings
from service.footprints import handlers as _footprint_handlers  # noqa: F401  (registers kinds)
from service.jobs.dispatch import RUN_JOB
from service.jobs.runner import run_job
from service.measures import handlers as _measure_handlers  # noqa: F401
from service.snapshots import handlers as _snapshot_handlers  # noqa: F401
from service.workers import app


@app.task(name=RUN_JOB, bind=True, max_retries=5)
def run_job_task(self, job_id: str) -> str:
    """Run one attempt of the job; a transient failure is retried with backoff."""
    settings = get_settings()
    if settings.database_url is None:
        raise RuntimeError("the worker needs DATABASE_URL")
    outcome = asyncio.run(run_job(UUID(job_id), settings, settings.database_url))
    if outcome == "retry":
        raise self.retry(countdown=min(2 ** self.request.retries, 60))
    return outcome
