"""The worker side of database imports: a job of kind ``import_database``."""

from __future__ import annotations

import asyncio
import shutil
from uuid import UUID

from service.jobs.runner import JobContext, JobFailed, handler
from service.snapshots.build import (
    SOURCE_NAMES,
    ImportRefused,
    produce,
    report_summary,
    store_produced,
)
from service.snapshots.uploads import fetch_upload, unpack_upload


@handler("import_database")
async def import_database(ctx: JobContext) -> None:
    """Import a bundled or uploaded database into a new snapshot owned by the job's tenant."""
    request = ctx.job["request"]
    work_dir = (ctx.settings.data_dir / "imports" / str(ctx.job["id"])).resolve()
    shutil.rmtree(work_dir, ignore_errors=True)
    file = None
    if request.get("upload_id"):
        upload = await fetch_upload(ctx.conn, ctx.tenant_id, UUID(request["upload_id"]))
        if upload is None:
            raise JobFailed("the uploaded file is gone or damaged")
        file = await asyncio.to_thread(unpack_upload, request["source"], *upload,
                                       work_dir / "upload")
    try:
        produced = await produce(request["source"], work_dir, file=file,
                                 max_unlinked_share=request["max_unlinked_share"],
                                 progress=ctx.report,
                                 database_name=request.get("database_name"))
    except ImportRefused as exc:
        raise JobFailed(str(exc), output={"report": exc.report}) from exc
    finally:
        shutil.rmtree(work_dir / "brightway", ignore_errors=True)
    ctx.output = {"snapshot_hash": produced.snapshot_hash,
                  "report": report_summary(produced.report)}
    async with ctx.finish_transaction() as conn:
        await store_produced(conn, produced, tenant_id=ctx.tenant_id,
                             name=request.get("name") or SOURCE_NAMES[request["source"]])
    shutil.rmtree(work_dir, ignore_errors=True)
