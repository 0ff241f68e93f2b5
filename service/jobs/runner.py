"""Run one job attempt: claim, heartbeat, call the kind's handler, finish.

Handlers are plain async functions ``handler(ctx) -> None`` registered per
job kind in :data:`HANDLERS`. They write their results through ``ctx.conn``
inside ``ctx.finish_transaction()``, so a result and the job's success are
committed together, and only by the attempt that still holds the lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from service import db
from service.config import Settings
from service.jobs import store

logger = logging.getLogger(__name__)


class JobFailed(Exception):
    """A handler's verdict that the job cannot succeed (bad input): no retry.

    ``output`` (e.g. an import's report) is kept on the job for the caller to read.
    """

    def __init__(self, message: str, *, output: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.output = output


class LeaseLost(Exception):
    """This attempt no longer holds the job (another attempt took over)."""


@dataclass
class JobContext:
    """What a handler gets: the job row, a connection, and progress reporting."""

    job: asyncpg.Record
    attempt: int
    conn: asyncpg.Connection
    settings: Settings
    progress: int = 0
    output: dict[str, Any] | None = None

    @property
    def tenant_id(self) -> UUID:
        """The job's tenant: every read a handler makes is scoped to it."""
        return self.job["tenant_id"]

    async def report(self, progress: int) -> None:
        """Record progress (0-100) and extend the lease."""
        self.progress = max(self.progress, min(int(progress), 99))
        if not await store.heartbeat(self.conn, self.job["id"], self.attempt,
                                     lease_seconds=self.settings.job_lease_seconds,
                                     progress=self.progress):
            raise LeaseLost(str(self.job["id"]))

    @contextlib.asynccontextmanager
    async def finish_transaction(self) -> AsyncIterator[asyncpg.Connection]:
        """A transaction that also marks the job succeeded; rolled back if the lease is lost.

        Whatever the handler puts in ``ctx.output`` is stored on the job.
        """
        async with self.conn.transaction():
            yield self.conn
            if not await store.finish(self.conn, self.job["id"], self.attempt,
                                      state="succeeded", output=self.output):
                raise LeaseLost(str(self.job["id"]))


Handler = Callable[[JobContext], Awaitable[None]]
HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the handler of a job kind."""

    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return register


async def _keep_lease(conn_dsn: str, job_id: UUID, attempt: int, settings: Settings,
                      ctx: JobContext) -> None:
    async with db.connect(conn_dsn) as conn:
        while True:
            await asyncio.sleep(settings.job_heartbeat_seconds)
            await store.heartbeat(conn, job_id, attempt, lease_seconds=settings.job_lease_seconds,
                                  progress=ctx.progress)


async def run_job(job_id: UUID, settings: Settings, dsn: str) -> str:
    """Run one attempt of a job; returns what happened: done, skipped, failed, retry."""
    async with db.connect(dsn) as conn:
        attempt = await store.claim(conn, job_id, lease_seconds=settings.job_lease_seconds,
                                    max_attempts=settings.job_max_attempts)
        if attempt is None:
            logger.info("job not claimable, skipped", extra={"job_id": str(job_id)})
            return "skipped"
        job = await store.get_job_for_worker(conn, job_id)
        ctx = JobContext(job=job, attempt=attempt, conn=conn, settings=settings)
        log_extra = {"job_id": str(job_id), "tenant_id": str(job["tenant_id"]),
                     "attempt": attempt, "kind": job["kind"]}
        logger.info("job started", extra=log_extra)
        keeper = asyncio.create_task(_keep_lease(dsn, job_id, attempt, settings, ctx))
        try:
            if settings.job_start_delay_seconds:
                await asyncio.sleep(settings.job_start_delay_seconds)
            fn = HANDLERS.get(job["kind"])
            if fn is None:
                raise JobFailed(f"unknown job kind {job['kind']!r}")
            await fn(ctx)
        except LeaseLost:
            logger.warning("job lease lost; another attempt owns it", extra=log_extra)
            return "skipped"
        except JobFailed as exc:
            await store.finish(conn, job_id, attempt, state="failed", error=str(exc),
                               output=exc.output)
            logger.info("job failed", extra={**log_extra, "error": str(exc)})
            return "failed"
        except Exception as exc:
            logger.exception("job attempt crashed", extra=log_extra)
            if attempt >= settings.job_max_attempts:
                await store.finish(conn, job_id, attempt, state="failed",
                                   error=f"internal error after {attempt} attempts")
                return "failed"
            await store.requeue(conn, job_id, attempt, error=f"{type(exc).__name__}: {exc}"[:500])
            return "retry"
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await keeper
        logger.info("job succeeded", extra=log_extra)
        return "done"
