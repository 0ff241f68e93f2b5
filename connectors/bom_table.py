"""BOM table files (CSV, XLSX) to raw rows, read defensively with pandas.

Accepted columns (case and spacing free; common aliases allowed): part_number,
description, quantity, unit, and optionally line_id, parent_line_id or level,
supplier, origin, cn_code, material_class, mass_kg, stage, link_hint. A tree is
given by a parent column (naming a line_id) or by a level column (1 = top
level; a line's parent is the nearest line above it one level higher).
Row numbers in problems are spreadsheet rows: the header is row 1.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from typing import Any

import pandas as pd

from connectors.bom import BomInvalid

REQUIRED_COLUMNS = ("part_number", "description", "quantity", "unit")
ALIASES = {
    "part_no": "part_number", "part": "part_number", "partnumber": "part_number",
    "pn": "part_number", "qty": "quantity", "uom": "unit", "parent": "parent_line_id",
    "parent_id": "parent_line_id", "parent_line": "parent_line_id", "id": "line_id",
    "line": "line_id", "country": "origin", "origin_country": "origin", "region": "origin",
    "hs_code": "cn_code", "cn": "cn_code", "hs": "cn_code", "mass": "mass_kg",
    "life_cycle_stage": "stage", "lifecycle_stage": "stage", "dataset": "link_hint",
}
XLSX_MAX_UNCOMPRESSED = 64 * 1024 * 1024
"""Refuse XLSX files that inflate beyond this (zip bombs)."""


def _column(name: Any) -> str:
    key = str(name).strip().lower().replace(" ", "_").replace("-", "_")
    return ALIASES.get(key, key)


def _problem(message: str, field: str | None = None) -> BomInvalid:
    return BomInvalid(message, [{"row": None, "field": field, "message": message}])


def _read_frame(filename: str, content: bytes) -> pd.DataFrame:
    name = filename.lower()
    if not content.strip():
        raise _problem("the file is empty")
    if name.endswith(".xlsx") or content[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                if sum(i.file_size for i in archive.infolist()) > XLSX_MAX_UNCOMPRESSED:
                    raise _problem("the XLSX file inflates beyond the allowed size")
            return pd.read_excel(io.BytesIO(content), dtype=str, engine="openpyxl",
                                 keep_default_na=False)
        except BomInvalid:
            raise
        except Exception as exc:  # openpyxl raises many kinds on broken files
            raise _problem(f"not a readable XLSX file ({type(exc).__name__})") from exc
    if name.endswith((".csv", ".txt")):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _problem("the CSV file is not UTF-8") from exc
        try:
            return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                               sep=None, engine="python")
        except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
            raise _problem(f"not a readable CSV file ({exc})") from exc
    raise _problem("unsupported file type: upload .csv or .xlsx", "file")


def _parents_from_levels(rows: list[dict[str, Any]]) -> list[dict[str, Any]] | BomInvalid:
    issues = []
    stack: list[str] = []
    for number, row in enumerate(rows, start=2):
        raw_level = str(row.get("level") or "").strip()
        if not raw_level.isdigit() or int(raw_level) < 1:
            issues.append({"row": number, "field": "level", "message": "a level is 1, 2, 3, ..."})
            continue
        level = int(raw_level)
        if level > len(stack) + 1:
            issues.append({"row": number, "field": "level",
                           "message": "level jumps by more than one; its parent is missing"})
            continue
        del stack[level - 1:]
        row.setdefault("line_id", "")
        if not str(row["line_id"]).strip():
            row["line_id"] = f"L{number}"
        row["parent_line_id"] = stack[-1] if stack else None
        stack.append(str(row["line_id"]).strip())
    if issues:
        return BomInvalid(f"{len(issues)} problem(s) in the level column", issues)
    return rows


def read_table(filename: str, content: bytes) -> list[tuple[int, Mapping[str, Any]]]:
    """Raw ``(row number, fields)`` pairs from a CSV or XLSX file, or BomInvalid."""
    frame = _read_frame(filename, content)
    frame.columns = [_column(c) for c in frame.columns]
    if frame.columns.duplicated().any():
        dupes = sorted(set(frame.columns[frame.columns.duplicated()]))
        raise _problem(f"duplicate columns: {dupes}", "header")
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise BomInvalid(
            "missing columns",
            [{"row": 1, "field": column, "message": "missing column"} for column in missing])
    rows = frame.to_dict(orient="records")
    if not rows:
        raise _problem("the file has a header but no lines")
    if "level" in frame.columns and "parent_line_id" not in frame.columns:
        result = _parents_from_levels(rows)
        if isinstance(result, BomInvalid):
            raise result
        rows = result
    for row in rows:
        if "line_id" in row and not str(row["line_id"]).strip():
            row["line_id"] = None
    return list(enumerate(rows, start=2))
