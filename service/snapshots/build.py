"""Produce a snapshot from a source (writer child process + precompute) and store it.

Used by the import job (:mod:`service.snapshots.handlers`) and the operator CLI.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg

from lca.precompute import precompute
from lca.snapshot import load_snapshot, pack_snapshot
from service.snapshots import store

logger = logging.getLogger(__name__)

Progress = Callable[[int], Awaitable[None]]

SOURCE_NAMES = {
    "uslci": "US LCI fy21 q3",
    "tiangong": "TianGong LCA data (2024-04)",
    "tiangong+uslci": "TianGong LCA data (2024-04) + US LCI fy21 q3",
    "tabular": "uploaded tabular database",
    "ecospold2": "uploaded ecoSpold2 database",
}
"""Default snapshot names of the bundled sources."""


class ImportRefused(Exception):
    """The importer refused the data (too much unlinked); ``report`` says why."""

    def __init__(self, message: str, report: dict[str, Any] | None) -> None:
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class Produced:
    """A snapshot ready to be stored."""

    snapshot_hash: str
    databases: list[str]
    manifest: dict[str, Any]
    package: bytes
    unit_table: bytes
    activity_count: int
    indicator_ids: list[str]
    report: dict[str, Any]


async def _run_writer(source: str, work_dir: Path, file: Path | None,
                      max_unlinked_share: float, progress: Progress,
                      database_name: str | None) -> int:
    command = [sys.executable, "-m", "service.snapshots.writer", source, str(work_dir),
               "--max-unlinked-share", str(max_unlinked_share)]
    if file is not None:
        command += ["--file", str(file)]
    env = dict(os.environ, BRIGHTWAY2_DIR=str(work_dir / "brightway"))
    if database_name:
        env["TANJI_IMPORT_DATABASE"] = database_name
    child = await asyncio.create_subprocess_exec(*command, env=env,
                                                 stdout=asyncio.subprocess.PIPE,
                                                 stderr=asyncio.subprocess.PIPE)
    assert child.stdout is not None
    async for raw in child.stdout:
        try:
            step = json.loads(raw)
        except ValueError:
            continue
        logger.info("writer", extra={"step": step.get("step"), "source": source})
        await progress(int(step.get("progress", 0)) * 80 // 100)
    stderr = await child.stderr.read() if child.stderr else b""
    code = await child.wait()
    if code not in (0, 3):
        logger.error("writer failed", extra={"stderr": stderr.decode(errors="replace")[-4000:]})
    return code


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text()) if path.exists() else None


def _finish_locally(snapshot_dir: Path) -> tuple[Any, bytes, bytes, dict[str, Any]]:
    snapshot = load_snapshot(snapshot_dir)
    table = precompute(snapshot)
    manifest = _read_json(snapshot_dir / "manifest.json")
    return snapshot, pack_snapshot(snapshot_dir), table.to_bytes(), manifest


async def produce(source: str, work_dir: Path, *, file: Path | None = None,
                  max_unlinked_share: float = 0.05, progress: Progress,
                  database_name: str | None = None) -> Produced:
    """Import ``source`` in a writer process, then precompute and pack its snapshot."""
    await asyncio.to_thread(work_dir.mkdir, parents=True, exist_ok=True)
    code = await _run_writer(source, work_dir, file, max_unlinked_share, progress,
                             database_name)
    report = await asyncio.to_thread(_read_json, work_dir / "report.json")
    if code == 3:
        raise ImportRefused("the import was refused: too many unlinked exchanges", report)
    if code != 0 or report is None:
        raise RuntimeError(f"the writer process failed (exit {code})")
    snapshot, package, unit_table, manifest = await asyncio.to_thread(
        _finish_locally, work_dir / "snapshot")
    await progress(95)
    return Produced(snapshot_hash=snapshot.snapshot_hash,
                    databases=sorted({a.database for a in snapshot.activities}),
                    manifest=manifest, package=package, unit_table=unit_table,
                    activity_count=len(snapshot.activities),
                    indicator_ids=list(snapshot.indicator_ids), report=report)


async def store_produced(conn: asyncpg.Connection, produced: Produced, *,
                         tenant_id: UUID | None, name: str) -> bool:
    """Store a produced snapshot; False when the same content was stored before."""
    return await store.insert_snapshot(
        conn, snapshot_hash=produced.snapshot_hash, tenant_id=tenant_id, name=name,
        databases=produced.databases, manifest=produced.manifest, package=produced.package,
        unit_table=produced.unit_table, activity_count=produced.activity_count,
        indicator_ids=produced.indicator_ids, import_report=produced.report)


def report_summary(report: dict[str, Any] | None) -> dict[str, Any]:
    """The headline numbers of an import report (the full report has its own route)."""
    if not report:
        return {}
    summary = {k: report[k] for k in ("source", "database", "datasets", "activities",
                                      "exchanges_by_kind", "counts", "duration_s")
               if k in report}
    counts = report.get("counts") or {}
    total = sum(counts.values())
    if total:
        summary["shares"] = {k: v / total for k, v in counts.items()}
    return summary
