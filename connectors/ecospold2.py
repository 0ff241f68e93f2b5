"""Import an ecoSpold2 directory (e.g. ecoinvent) with bw2io's stock importer.

A thin wrapper on ``bw2io.SingleOutputEcospold2Importer``: its extraction and
default strategies, linking to ``biosphere_name``, then the Tanji report and
failure rule (above ``max_unlinked_share`` unlinked: ``ImportFailed``, nothing
written).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from connectors.errors import ParseError
from connectors.import_report import (
    ImportReport,
    enforce_unlinked_limit,
    report_from_linked_data,
)

__all__ = ["import_ecospold2"]

logger = logging.getLogger(__name__)


def import_ecospold2(
    dirpath: str | Path,
    *,
    database_name: str,
    max_unlinked_share: float = 0.05,
    biosphere_name: str = "biosphere3",
    use_mp: bool = False,
) -> ImportReport:
    """Import the ``.spold`` files in ``dirpath`` as ``database_name``; return the report.

    An existing database of that name is replaced. ``use_mp`` passes through to
    bw2io (multiprocessing extraction; off by default for use inside workers).
    """
    from bw2io import SingleOutputEcospold2Importer

    from connectors.biosphere_extension import install_biosphere

    started = time.perf_counter()
    dirpath = Path(dirpath)
    if not dirpath.is_dir() or not any(dirpath.glob("*.spold")):
        raise ParseError(f"{dirpath}: not a directory of .spold files")
    install_biosphere(biosphere_name=biosphere_name)
    try:
        importer = SingleOutputEcospold2Importer(
            str(dirpath),
            database_name,
            biosphere_database_name=biosphere_name,
            use_mp=use_mp,
        )
    except (OSError, ValueError, KeyError, AttributeError) as error:
        raise ParseError(f"{dirpath}: {error}") from error
    importer.apply_strategies(verbose=False)
    report = report_from_linked_data(importer.data, source=dirpath.name, database=database_name)
    enforce_unlinked_limit(report, max_unlinked_share, started)
    importer.write_database()
    report.written = True
    report.duration_s = round(time.perf_counter() - started, 3)
    logger.info("ecoSpold2 database imported", extra={"database": database_name})
    return report
