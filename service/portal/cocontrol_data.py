"""Reads the co-control pages need beyond ``service.measures.store``: scenario jobs of a
product, the latest result, datasets of a snapshot to substitute with. All tenant-scoped.

Measures are written through ``service.measures.store.insert`` (as the API writes them) and
scenario jobs through ``service.jobs.service.accept``; this module only reads.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from service.snapshots import cache
from service.snapshots import store as snapshot_store

LIST_SCENARIOS_FOR_PRODUCT = """
select j.id, j.state, j.progress, j.created_at, j.finished_at, j.error,
       j.request->>'baseline_result_id' as baseline_result_id,
       jsonb_array_length(coalesce(j.request->'measure_ids', '[]'::jsonb)) as measure_count,
       (j.request ? 'portfolio' and j.request->'portfolio' <> 'null'::jsonb) as has_portfolio
  from job j
 where j.tenant_id = $1 and j.kind = 'scenario'
   and (j.request->>'baseline_result_id')::uuid in (
        select r.id from footprint_result r
          join bom_revision b on b.id = r.bom_revision_id and b.tenant_id = r.tenant_id
         where r.tenant_id = $1 and b.product_id = $2)
 order by j.created_at desc limit $3"""

MAX_SEARCH_RESULTS = 30


async def list_scenarios_for_product(conn: asyncpg.Connection, tenant_id: UUID,
                                     product_id: UUID, *, limit: int = 30
                                     ) -> list[asyncpg.Record]:
    """Scenario jobs whose baseline is a result of the product, newest first."""
    return await conn.fetch(LIST_SCENARIOS_FOR_PRODUCT, tenant_id, product_id, limit)


async def search_datasets(conn: asyncpg.Connection, tenant_id: UUID, snapshot_hash: str | None,
                          data_dir: Any, q: str, *, limit: int = MAX_SEARCH_RESULTS
                          ) -> tuple[list[dict[str, Any]], list[str]]:
    """Datasets of the snapshot whose name holds every word of ``q`` (as
    ``GET /v1/snapshots/{hash}/activities`` searches), and the snapshot's locations."""
    if snapshot_hash is None or await snapshot_store.get_snapshot(conn, tenant_id,
                                                                  snapshot_hash) is None:
        return [], []
    snapshot, _ = await cache.load(conn, snapshot_hash, data_dir / "snapshots")
    locations = sorted({a.location for a in snapshot.activities if a.location})
    words = q.casefold().split()
    found: list[dict[str, Any]] = []
    if words:
        for activity in snapshot.activities:
            text = " ".join((activity.name, activity.reference_product or "",
                             activity.name_zh or "")).casefold()
            if all(w in text for w in words):
                found.append({"link_hint": f"{activity.database}:{activity.code}",
                              "name": activity.name, "name_zh": activity.name_zh,
                              "location": activity.location, "unit": activity.unit})
                if len(found) >= limit:
                    break
    return found, locations


async def dataset_names(conn: asyncpg.Connection, tenant_id: UUID, snapshot_hash: str | None,
                        data_dir: Any, hints: list[str]) -> dict[str, str]:
    """``database:code`` -> "name [location]" for the hints found in the snapshot."""
    if not hints or snapshot_hash is None or await snapshot_store.get_snapshot(
            conn, tenant_id, snapshot_hash) is None:
        return {}
    snapshot, _ = await cache.load(conn, snapshot_hash, data_dir / "snapshots")
    names = {}
    for hint in hints:
        database, _, code = hint.partition(":")
        index = snapshot.product_index_by_key.get((database, code))
        if index is not None:
            activity = snapshot.activities[index]
            names[hint] = f"{activity.name} [{activity.location or ''}]"
    return names
