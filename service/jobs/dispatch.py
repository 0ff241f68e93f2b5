"""Sending jobs to workers, and the reaper that re-sends jobs nobody finished."""

from __future__ import annotations

import asyncio
import logging
from uuid import UUID

import asyncpg
from celery import Celery

from service.config import Settings
from service.jobs import store

logger = logging.getLogger(__name__)

RUN_JOB = "tanji.run_job"


async def send(celery: Celery, job_id: UUID) -> bool:
    """Send a job's id to the workers; False (job stays queued for the reaper) on failure."""
    try:
        await asyncio.to_thread(celery.send_task, RUN_JOB, args=[str(job_id)], retry=False)
    except Exception:
        logger.warning("broker unreachable; the reaper will send the job", exc_info=True,
                       extra={"job_id": str(job_id)})
        return False
    return True


async def reap_once(pool: asyncpg.Pool, celery: Celery, settings: Settings) -> list[UUID]:
    """Re-send every job queued too long or whose worker's lease expired."""
    async with pool.acquire() as conn:
        job_ids = await store.reap(conn, requeue_after_seconds=settings.job_requeue_after_seconds,
                                   max_attempts=settings.job_max_attempts)
    for job_id in job_ids:
        logger.info("re-sending job", extra={"job_id": str(job_id)})
        await send(celery, job_id)
    return job_ids


async def reaper_loop(pool: asyncpg.Pool, celery: Celery, settings: Settings) -> None:
    """Run :func:`reap_once` forever at the configured interval."""
    while True:
        await asyncio.sleep(settings.job_reaper_interval_seconds)
        try:
            await reap_once(pool, celery, settings)
        except Exception:
            logger.warning("reaper pass failed", exc_info=True)
        # webhook deliveries and PACT events left pending (service/requests/sweeper.py);
        # imported here: service.requests imports this module
        from service.requests import sweeper

        sweeper.kick(pool, settings)
