"""The worker side of footprints: a job of kind ``footprint`` becomes a stored result.

Hops: revision explosion (stored with the BOM) -> snapshot and unit table
(:mod:`service.snapshots.cache`) -> links (:func:`lca.linking.link_leaves`, with the
tenant's link rules) -> :func:`lca.footprint.footprint` -> JSON
(:mod:`service.footprints.serialize`) -> ``footprint_result``.
"""

from __future__ import annotations

import asyncio
from importlib import metadata
from typing import Any
from uuid import UUID

from lca.contributions import contributions
from lca.footprint import footprint, foreground_demand
from lca.linking import PRIMARY_PREFIX, LinkRule, link_leaves
from lca.montecarlo import monte_carlo
from lca.precompute import UnitTable
from lca.primary import resolve_records
from lca.snapshot import Snapshot
from service.boms import store as bom_store
from service.footprints import serialize, store
from service.jobs.runner import JobContext, JobFailed, handler
from service.links import store as link_store
from service.primary import store as primary_store
from service.snapshots import cache
from service.snapshots import store as snapshot_store


def code_version() -> str:
    """The installed Tanji version (pinned into every result)."""
    try:
        return metadata.version("tanji")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def _primary_ids(leaves: list[dict[str, Any]]) -> list[UUID]:
    ids = []
    for leaf in leaves:
        hint = str(leaf.get("link_hint") or "")
        if hint.startswith(PRIMARY_PREFIX):
            try:
                ids.append(UUID(hint.removeprefix(PRIMARY_PREFIX)))
            except ValueError:
                continue  # reported as unlinked by link_leaves
    return ids


def _calculate(leaves: list[dict[str, Any]], snapshot: Snapshot, table: UnitTable,
               rules: list[LinkRule], records: list[dict[str, Any]],
               options: dict[str, Any]) -> dict[str, Any]:
    primary, problems = resolve_records(records, snapshot)
    linked = link_leaves(leaves, snapshot, rules, primary=primary, primary_problems=problems)
    fp = footprint(linked.lines, table, snapshot)
    result = serialize.footprint_json(fp, snapshot, leaves, linked)
    if options.get("contributions_top_n") or options.get("monte_carlo_iterations"):
        demand, constant = foreground_demand(linked.lines, snapshot)
        if options.get("contributions_top_n"):
            result["contributions"] = serialize.contributions_json(
                contributions(snapshot, demand, top_n=options["contributions_top_n"]))
        if options.get("monte_carlo_iterations"):
            seed = options.get("monte_carlo_seed")
            mc = monte_carlo(snapshot, demand, iterations=options["monte_carlo_iterations"],
                             seed=0 if seed is None else seed, constant=constant)
            result["monte_carlo"] = serialize.monte_carlo_json(mc)
    return result


@handler("footprint")
async def compute_footprint(ctx: JobContext) -> None:
    """Link the revision's leaves, compute the footprint and store the result."""
    request = ctx.job["request"]
    options = request.get("options") or {}
    revision = await bom_store.get_revision(ctx.conn, ctx.tenant_id,
                                            UUID(request["bom_revision_id"]))
    if revision is None:
        raise JobFailed("the BOM revision does not exist")
    snapshot_hash = options.get("snapshot_hash")
    if snapshot_hash:
        if await snapshot_store.get_snapshot(ctx.conn, ctx.tenant_id, snapshot_hash) is None:
            raise JobFailed(f"no snapshot {snapshot_hash} for this tenant")
    else:
        snapshot_hash = await snapshot_store.latest_snapshot(ctx.conn, ctx.tenant_id)
    await ctx.report(10)
    leaves = revision["explosion"]
    method_versions: dict[str, str] = {}
    if snapshot_hash is None:
        result: dict[str, Any] = {
            "status": "no-snapshot",
            "note": "no background snapshot is available: import one (POST /v1/imports)",
            "leaves": leaves,
            "unlinked": [{"line_id": leaf["line_id"], "reason": "no snapshot"}
                         for leaf in leaves]}
    else:
        snapshot, table = await cache.load(ctx.conn, snapshot_hash,
                                           ctx.settings.data_dir / "snapshots")
        await ctx.report(30)
        rules = [LinkRule(r["match_field"], r["pattern"],
                          (r["target_database"], r["target_code"]), r["priority"])
                 for r in await link_store.list_rules(ctx.conn, ctx.tenant_id)]
        records = [dict(r) for r in await primary_store.get_many_for_footprint(
            ctx.conn, ctx.tenant_id, _primary_ids(leaves))]
        result = await asyncio.to_thread(_calculate, leaves, snapshot, table, rules, records,
                                         options)
        method_versions = {ind.id: ind.version for ind in snapshot.indicators}
    await ctx.report(90)
    async with ctx.finish_transaction() as conn:
        await store.insert_result(
            conn, tenant_id=ctx.tenant_id, job_id=ctx.job["id"], bom_revision_id=revision["id"],
            bom_revision_hash=revision["bom_revision_hash"], snapshot_hash=snapshot_hash,
            method_versions=method_versions, code_version=code_version(), result=result)
