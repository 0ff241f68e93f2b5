"""The one process that writes Brightway data: import a source, freeze it into a snapshot.

Run as a child process (``python -m service.snapshots.writer SOURCE OUT_DIR``) with
``BRIGHTWAY2_DIR`` pointing at a private folder, so bw2data's global state and
SQLite never live in a long-running worker. It prints one JSON line per step
(``{"progress": n, "step": ...}``), writes ``OUT_DIR/report.json`` and
``OUT_DIR/snapshot/``, and exits 0, or 3 when the import is refused (the report
says why), or 1 on any other error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

SOURCES = ("uslci", "tiangong", "tiangong+uslci", "tabular", "ecospold2")
"""Bundled databases by name (``+`` joins several into one snapshot), and ``tabular`` for a
user's own file (``--file``)."""


def _say(progress: int, step: str, **extra: Any) -> None:
    sys.stdout.write(json.dumps({"progress": progress, "step": step, **extra}) + "\n")
    sys.stdout.flush()


def _importers() -> dict[str, Callable[..., Any]]:
    from connectors.ecospold2 import import_ecospold2
    from connectors.tabular import import_tabular
    from connectors.tiangong import import_tiangong
    from connectors.uslci import import_uslci

    return {"uslci": lambda _file, limit: import_uslci(max_unlinked_share=limit),
            "tiangong": lambda _file, limit: import_tiangong(
                max_unlinked_share=max(limit, TIANGONG_MIN_SHARE)),
            "tabular": lambda file, limit: import_tabular(file, max_unlinked_share=limit),
            "ecospold2": lambda folder, limit: import_ecospold2(
                folder, database_name=os.environ.get("TANJI_IMPORT_DATABASE", "ecospold2"),
                max_unlinked_share=limit)}


TIANGONG_MIN_SHARE = 0.02
"""TianGong's own refusal threshold (connectors.tiangong: 1.02 % measured unlinked)."""


def combined_report(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """One report for a snapshot of several databases: the parts, and their counts summed."""
    counts: dict[str, int] = {}
    for report in reports:
        for key, value in (report.get("counts") or {}).items():
            counts[key] = counts.get(key, 0) + value
    return {"source": "+".join(r["source"] for r in reports),
            "database": "+".join(r["database"] for r in reports),
            "counts": counts, "parts": reports}


def run(source: str, out_dir: Path, *, file: Path | None, max_unlinked_share: float) -> int:
    """Import ``source`` into a fresh project and build its snapshot in ``out_dir``."""
    if "BRIGHTWAY2_DIR" not in os.environ:
        raise SystemExit("BRIGHTWAY2_DIR must be set before the writer starts")
    Path(os.environ["BRIGHTWAY2_DIR"]).mkdir(parents=True, exist_ok=True)
    import bw2data as bd

    from connectors.biosphere_extension import install_biosphere
    from connectors.errors import ImportFailed
    from lca.snapshot import build_snapshot

    bd.projects.set_current("tanji-writer")
    _say(5, "installing biosphere3 and the Tanji extension flows")
    install_biosphere()
    reports = []
    parts = source.split("+")
    for number, part in enumerate(parts):
        _say(20 + 50 * number // len(parts), f"importing {part}")
        try:
            report = _importers()[part](file, max_unlinked_share)
        except ImportFailed as exc:
            (out_dir / "report.json").write_text(exc.report.model_dump_json())
            _say(100, "import refused", error=str(exc))
            return 3
        reports.append(json.loads(report.model_dump_json()))
    combined = reports[0] if len(reports) == 1 else combined_report(reports)
    (out_dir / "report.json").write_text(json.dumps(combined))
    databases = [r["database"] for r in reports]
    _say(70, "freezing the snapshot", databases=databases)
    snapshot_hash = build_snapshot(databases, out_dir / "snapshot")
    _say(90, "snapshot written", snapshot_hash=snapshot_hash)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command-line entry of the writer process."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("source", choices=SOURCES)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--file", type=Path)
    parser.add_argument("--max-unlinked-share", type=float, default=0.05)
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    return run(args.source, args.out_dir, file=args.file,
               max_unlinked_share=args.max_unlinked_share)


if __name__ == "__main__":
    sys.exit(main())
