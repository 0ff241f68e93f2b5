"""Import a database in bw2io's tabular format (Excel ``.xlsx`` or ``.csv``).

The format is bw2io's own (``Database`` row, then ``Activity`` blocks with an
``Exchanges`` table); bw2io's ``ExcelImporter`` / ``CSVImporter`` read it and
apply their default strategies (units, codes, links to biosphere3 and within
the file). The same report and failure rule as every Tanji import apply: above
``max_unlinked_share`` unlinked exchanges, ``ImportFailed`` and nothing written.
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

__all__ = ["import_tabular"]

logger = logging.getLogger(__name__)


def import_tabular(
    path: str | Path,
    *,
    max_unlinked_share: float = 0.05,
    biosphere_name: str = "biosphere3",
) -> ImportReport:
    """Import a bw2io tabular database file into the current project; return the report.

    The database name is the file's ``Database`` row; an existing database of
    that name is replaced. Biosphere exchanges link to ``biosphere_name`` by
    name, categories and unit; technosphere exchanges within the file.
    """
    from bw2io import CSVImporter, ExcelImporter

    from connectors.biosphere_extension import install_biosphere

    started = time.perf_counter()
    path = Path(path)
    if path.suffix.lower() not in {".csv", ".xlsx"}:
        raise ParseError(f"{path}: expected a .csv or .xlsx file")
    install_biosphere(biosphere_name=biosphere_name)
    try:
        importer = (CSVImporter if path.suffix.lower() == ".csv" else ExcelImporter)(str(path))
    except (OSError, ValueError, KeyError, IndexError) as error:
        raise ParseError(f"{path}: {error}") from error
    if not getattr(importer, "data", None):
        raise ParseError(f"{path}: no activities found")
    importer.apply_strategies(verbose=False)
    importer.match_database(
        biosphere_name, fields=["name", "categories", "unit"], edge_kinds=["biosphere"]
    )
    report = report_from_linked_data(importer.data, source=path.name, database=importer.db_name)
    enforce_unlinked_limit(report, max_unlinked_share, started)
    importer.write_database()
    report.written = True
    report.duration_s = round(time.perf_counter() - started, 3)
    logger.info("tabular database imported", extra={"database": importer.db_name})
    return report
