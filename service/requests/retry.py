"""The retry schedule shared by webhook deliveries and outgoing PACT events.

A delivery row carries ``next_attempt_at`` (when the sweeper may try it) and a lease
(``lease_token``, ``lease_until``): whoever sends (the in-process task right after the change,
the sweeper of any API process, a manual redeliver) first claims the lease with a conditional
``UPDATE``, and records the outcome only while it still holds it, so a row is attempted by one
sender at a time and marked delivered once. Receivers dedupe by the delivery id
(``Tanji-Delivery`` for webhooks, the CloudEvent ``id`` for PACT events), which stays the same
on every attempt.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar
from uuid import UUID

import asyncpg

T = TypeVar("T")
logger = logging.getLogger(__name__)

BACKOFF_S = (1.0, 2.0, 4.0, 8.0, 30.0, 120.0, 600.0, 1800.0, 3600.0)
"""Wait after the n-th failed attempt (n = 1, 2, ...) before the next one."""
MAX_ATTEMPTS = len(BACKOFF_S) + 1
"""Attempts after which the sweeper gives up (state ``failed``, no next attempt)."""
FIRST_SWEEP_AFTER_S = 30.0
"""A new row waits this long for its in-process sender before the sweeper may take it."""
LEASE_S = 120.0
"""How long a sender holds a row (longer than any send: webhook 10 s, PACT 2 x 30 s)."""
SWEEP_BATCH = 50
"""Rows one sweep claims at most (per kind)."""


def next_delay(attempts: int) -> float | None:
    """Seconds until the next attempt after ``attempts`` failed ones; None: give up."""
    if attempts < 1 or attempts >= MAX_ATTEMPTS:
        return None
    return BACKOFF_S[attempts - 1]

SWEEP_CONCURRENCY = 4
"""Sends one sweep runs at once (each holds a pool connection while it sends)."""


async def gather_bounded(coros: Iterable[Awaitable[T]],
                         limit: int = SWEEP_CONCURRENCY) -> list[T | BaseException]:
    """Await ``coros`` with at most ``limit`` at a time; exceptions are returned, not raised."""
    gate = asyncio.Semaphore(limit)

    async def one(coro: Awaitable[T]) -> T:
        async with gate:
            return await coro

    return await asyncio.gather(*(one(c) for c in coros), return_exceptions=True)


Claim = Callable[..., Awaitable[list[UUID]]]
Send = Callable[[UUID, UUID], Awaitable[object]]


async def sweep_due(pool: asyncpg.Pool, *, claim: Claim, send: Send, kind: str,
                    limit: int = SWEEP_BATCH) -> list[UUID]:
    """Claim the rows of one kind whose next attempt is due (``claim`` leases them under a
    fresh token) and ``send`` each once, concurrently; returns the ids attempted."""
    token = uuid.uuid4()
    async with pool.acquire() as conn:
        ids = await claim(conn, token=token, lease_s=LEASE_S, max_attempts=MAX_ATTEMPTS,
                          limit=limit)
    if ids:
        logger.info("sweeping due deliveries", extra={"kind": kind, "count": len(ids)})
        outcomes = await gather_bounded(send(i, token) for i in ids)
        for row_id, outcome in zip(ids, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                logger.error("sweep attempt crashed", exc_info=outcome,
                             extra={"kind": kind, "id": str(row_id)})
    return ids
