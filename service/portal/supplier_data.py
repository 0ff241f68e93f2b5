"""Supplier primary-data files: the template, reading CSV/XLSX rows, checking each cell.

A file has one row per item of one record, columns ``kind, item, amount, unit``:

- ``emission``: a direct emission per declared unit (item: ``so2``, ``nox``, ``co2_fossil``,
  ...; unit: a mass, converted to kg),
- ``input``: a purchased input per declared unit (item: a background dataset as
  ``database:code``; unit: any unit the dataset's quantity converts from),
- ``value``: a declared footprint value per declared unit (item: an indicator id such as
  ``gwp100_kg_co2e``; unit left empty or the indicator's unit).

Emissions and inputs make a *process*, values a *declared footprint*; the two do not mix.
The record's name, declared unit and location come from the page's form. Problems come back
as ``{row, field, message}`` with spreadsheet row numbers (the header is row 1), the same shape
as BOM problems, so the page shows each one on its row and field.
"""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from lca.primary import DIRECT_EMISSION_FLOWS
from lca.units import UnitError, canonical_unit, conversion_factor
from service.primary.schemas import INDICATOR_IDS, PrimaryDataCreate

COLUMNS = ("kind", "item", "amount", "unit")
KINDS = ("emission", "input", "value")
MAX_ROWS = 700
XLSX_MAX_UNCOMPRESSED = 16 * 1024 * 1024
LINK_HINT = re.compile(r"^[^:\s]+:[^\s]+$")

TEMPLATE_ROWS = (
    ("emission", "co2_fossil", "0.5", "kg"),
    ("emission", "so2", "2", "g"),
    ("emission", "nox", "1", "g"),
    ("input", "database:code", "1.2", "kWh"),
)


@dataclass
class Checked:
    """What a file or an edited grid gave: rows as text, problems, and the record if none."""

    rows: list[dict[str, str]]
    issues: list[dict[str, Any]] = field(default_factory=list)
    record: PrimaryDataCreate | None = None

    def issues_at(self, row: int | None, column: str | None) -> list[str]:
        """Messages on one cell (``row`` None: messages about the whole record)."""
        return [i["message"] for i in self.issues if i["row"] == row and i["field"] == column]

    def row_has_issues(self, row: int) -> bool:
        """True when any problem names this row."""
        return any(i["row"] == row for i in self.issues)


class FileUnreadable(ValueError):
    """Not a CSV or XLSX file the portal can read (message says why)."""


def template_csv() -> bytes:
    """The template as CSV (UTF-8 with BOM, so spreadsheet programs read it as UTF-8)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(TEMPLATE_ROWS)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx() -> bytes:
    """The template as an XLSX workbook with one sheet."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "primary data"
    sheet.append(COLUMNS)
    for row in TEMPLATE_ROWS:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cells(values: list[Any]) -> list[str]:
    return ["" if v is None else str(v).strip() for v in values]


def read_rows(filename: str, content: bytes) -> list[dict[str, str]]:
    """Rows of a CSV or XLSX file as ``{column: text}``; :class:`FileUnreadable` if not."""
    if not content.strip():
        raise FileUnreadable("the file is empty")
    name = filename.lower()
    if name.endswith(".xlsx") or content[:4] == b"PK\x03\x04":
        from openpyxl import load_workbook

        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                if sum(i.file_size for i in archive.infolist()) > XLSX_MAX_UNCOMPRESSED:
                    raise FileUnreadable("the XLSX file inflates beyond the allowed size")
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
            table = [_cells(list(r)) for r in book.worksheets[0].iter_rows(values_only=True)]
        except FileUnreadable:
            raise
        except Exception as exc:  # openpyxl raises many kinds on broken files
            raise FileUnreadable(f"not a readable XLSX file ({type(exc).__name__})") from exc
    elif name.endswith((".csv", ".txt")):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise FileUnreadable("the CSV file is not UTF-8") from exc
        try:
            dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        table = [_cells(r) for r in csv.reader(io.StringIO(text), dialect)]
    else:
        raise FileUnreadable("unsupported file type: upload .csv or .xlsx")
    table = [r for r in table if any(r)]
    if not table:
        raise FileUnreadable("the file is empty")
    header = [c.lower().replace(" ", "_") for c in table[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise FileUnreadable(f"missing columns: {', '.join(missing)} "
                             f"(the template has {', '.join(COLUMNS)})")
    if len(table) - 1 > MAX_ROWS:
        raise FileUnreadable(f"at most {MAX_ROWS} rows")
    position = {c: header.index(c) for c in COLUMNS}
    return [{c: (r[position[c]] if position[c] < len(r) else "") for c in COLUMNS}
            for r in table[1:]]


def _amount(text: str) -> float | None:
    try:
        value = float(text.replace(",", "")) if text else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


def check(rows: list[dict[str, str]], *, name: str, declared_unit: str,
          location: str | None) -> Checked:
    """Check every cell; when nothing is wrong, build the record to store."""
    result = Checked(rows=rows)
    issues = result.issues
    emissions: dict[str, float] = {}
    inputs: list[dict[str, Any]] = []
    values: dict[str, float] = {}
    if not rows:
        issues.append({"row": None, "field": "file", "message": "the file has no rows"})
    for number, row in enumerate(rows, start=2):
        kind = row["kind"].lower()
        item, unit = row["item"], row["unit"]
        amount = _amount(row["amount"])
        if kind not in KINDS:
            issues.append({"row": number, "field": "kind",
                           "message": f"must be one of {', '.join(KINDS)}"})
            continue
        if amount is None:
            issues.append({"row": number, "field": "amount",
                           "message": "not a number" if row["amount"] else "required"})
        elif amount < 0 and kind != "value":
            issues.append({"row": number, "field": "amount", "message": "negative"})
        if kind == "emission":
            if item.lower() not in DIRECT_EMISSION_FLOWS:
                issues.append({"row": number, "field": "item", "message":
                               f"unknown substance; one of {', '.join(DIRECT_EMISSION_FLOWS)}"})
            try:
                factor = conversion_factor(unit or "kg", "kg")
            except UnitError:
                issues.append({"row": number, "field": "unit", "message": "not a mass unit"})
                continue
            if amount is not None and item.lower() in DIRECT_EMISSION_FLOWS:
                key = item.lower()
                emissions[key] = emissions.get(key, 0.0) + amount * factor
        elif kind == "input":
            if not LINK_HINT.match(item):
                issues.append({"row": number, "field": "item",
                               "message": "a background dataset as database:code"})
            try:
                canonical_unit(unit)
            except UnitError as exc:
                issues.append({"row": number, "field": "unit",
                               "message": str(exc) if unit else "required"})
                continue
            if amount is not None:
                inputs.append({"link_hint": item, "amount": amount, "unit": unit})
        else:
            if item not in INDICATOR_IDS:
                issues.append({"row": number, "field": "item", "message":
                               f"unknown indicator; one of {', '.join(INDICATOR_IDS)}"})
            elif item in values:
                issues.append({"row": number, "field": "item", "message": "given twice"})
            elif amount is not None:
                values[item] = amount
    kinds = {r["kind"].lower() for r in rows} & set(KINDS)
    if "value" in kinds and kinds - {"value"}:
        issues.append({"row": None, "field": "kind", "message":
                       "a file gives either values (declared footprint) or emissions and "
                       "inputs (process), not both"})
    if issues:
        return result
    body = {"kind": "declared" if "value" in kinds else "process", "name": name,
            "declared_unit": declared_unit, "location": location or None}
    if body["kind"] == "declared":
        body["values"] = values
    else:
        body["emissions"] = [{"substance": s, "amount_kg": a} for s, a in emissions.items()]
        body["inputs"] = inputs
    try:
        result.record = PrimaryDataCreate.model_validate(body)
    except ValidationError as exc:
        for error in exc.errors():
            where = str(error["loc"][0]) if error["loc"] else None
            column = where if where in ("name", "declared_unit", "location") else None
            issues.append({"row": None, "field": column,
                           "message": str(error["msg"]).removeprefix("Value error, ")})
    return result
