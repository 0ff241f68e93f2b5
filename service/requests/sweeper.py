"""The API process's sweep, run from the reaper loop (:func:`service.jobs.dispatch.reaper_loop`).

Each pass, in the background of the loop (one pass at a time per process):

1. accepted answers whose footprint jobs have all finished get one ``data_answer.recalculated``
   webhook for the buyer, carrying each new revision's job state and footprint result id
   (``FOR UPDATE SKIP LOCKED`` + ``recalc_notified_at`` in one transaction: exactly once);
2. webhook deliveries whose next attempt is due are attempted
   (:func:`service.requests.webhooks.sweep`);
3. so are outgoing PACT events (:func:`service.pact.events.sweep`).

Several API processes may sweep at once: rows are claimed under a lease
(:mod:`service.requests.retry`), so each is attempted by one of them.
"""

from __future__ import annotations

import asyncio
import logging
from uuid import UUID

import asyncpg

from service.config import Settings
from service.pact import events as pact_events
from service.requests import retry, store, webhooks

logger = logging.getLogger(__name__)

_running: asyncio.Task | None = None


async def notify_recalculated(pool: asyncpg.Pool, *, limit: int = retry.SWEEP_BATCH
                              ) -> list[UUID]:
    """Queue ``data_answer.recalculated`` for every accepted answer whose jobs are done;
    returns the webhook deliveries queued."""
    deliveries: list[UUID] = []
    async with pool.acquire() as conn, conn.transaction():
        for answer in await store.due_recalculations(conn, limit):
            revisions = (answer["outcome"] or {}).get("revisions") or []
            if revisions:
                outcomes = await store.job_outcomes(
                    conn, answer["buyer_tenant_id"], [UUID(r["job_id"]) for r in revisions])
                listed = []
                for revision in revisions:
                    job = outcomes.get(UUID(revision["job_id"]))
                    result_id = job["result_id"] if job else None
                    listed.append({
                        **revision, "job_state": job["state"] if job else "missing",
                        "error": job["error"] if job else None,
                        "result_id": str(result_id) if result_id else None,
                        "result_url": f"/v1/footprints/{result_id}" if result_id else None,
                        "pact_publish_url": (f"/v1/footprints/{result_id}/pact-publish"
                                             if result_id else None)})
                deliveries += await webhooks.emit(
                    conn, tenant_id=answer["buyer_tenant_id"],
                    event_type="data_answer.recalculated",
                    data={"request_id": str(answer["request_id"]),
                          "answer_id": str(answer["id"]), "revisions": listed})
            await store.mark_recalc_notified(conn, answer["id"])
    return deliveries


async def sweep_once(pool: asyncpg.Pool, settings: Settings) -> None:
    """One pass: follow-up webhooks, then due webhook deliveries and PACT events."""
    try:
        webhooks.send_soon(pool, settings, await notify_recalculated(pool))
    except Exception:
        logger.warning("recalculation follow-up failed", exc_info=True)
    await asyncio.gather(webhooks.sweep(pool, settings), pact_events.sweep(pool, settings))


async def _sweep_logged(pool: asyncpg.Pool, settings: Settings) -> None:
    try:
        await sweep_once(pool, settings)
    except Exception:  # a background task has no caller to tell
        logger.warning("delivery sweep failed", exc_info=True)


def kick(pool: asyncpg.Pool, settings: Settings) -> None:
    """Start a sweep in the background unless this process's previous one still runs (slow
    receivers never hold up the job reaper)."""
    global _running
    if _running is None or _running.done():
        _running = asyncio.create_task(_sweep_logged(pool, settings))
