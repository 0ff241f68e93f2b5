"""The worker side of footprints: a job of kind ``footprint`` becomes a stored result."""

from __future__ import annotations

from importlib import metadata
from uuid import UUID

from service.boms import store as bom_store
from service.footprints import store
from service.jobs.runner import JobContext, JobFailed, handler


def code_version() -> str:
    """The installed Tanji version (pinned into every result)."""
    try:
        return metadata.version("tanji")
    except metadata.PackageNotFoundError:
        return "0+unknown"


@handler("footprint")
async def compute_footprint(ctx: JobContext) -> None:
    """Read the revision's explosion and store the footprint result."""
    request = ctx.job["request"]
    revision = await bom_store.get_revision(ctx.conn, ctx.tenant_id,
                                            UUID(request["bom_revision_id"]))
    if revision is None:
        raise JobFailed("the BOM revision does not exist")
    await ctx.report(10)
    leaves = revision["explosion"]
    result = {
        "status": "explosion-only",
        "note": "background data not yet linked: leaves per unit of product",
        "leaves": leaves,
        "unlinked_lines": [leaf["line_id"] for leaf in leaves],
    }
    await ctx.report(90)
    async with ctx.finish_transaction() as conn:
        await store.insert_result(
            conn, tenant_id=ctx.tenant_id, job_id=ctx.job["id"], bom_revision_id=revision["id"],
            bom_revision_hash=revision["bom_revision_hash"], snapshot_hash=None,
            method_versions={}, code_version=code_version(), result=result)
