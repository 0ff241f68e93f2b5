"""Supplier answers to data requests: the CSV/XLSX template, and forms to primary-data records.

A template has one block of rows per requested part, in long format, so that a supplier fills
in only what it knows and every problem can be named by row and field:

    line_id, part_number, section, field, value, unit, link_hint, region, note

``section`` is one of

- ``record``: ``field`` is ``kind`` (declared | process, optional: inferred), ``name``,
  ``declared_unit``, ``location``, ``reference_period_start`` / ``_end`` (YYYY-MM-DD),
  ``standard``, ``verification``; the text goes in ``value``;
- ``declared``: a declared footprint per declared unit: ``gwp100_kg_co2e`` (required) and its
  parts ``gwp100_fossil_kg_co2e``, ``gwp100_biogenic_kg_co2e``, ``gwp100_luc_kg_co2e`` (all
  or none), pollutants ``so2_kg``, ``nox_kg``, ``pm25_kg``, ``pm10_kg``, ``nmvoc_kg``,
  ``nh3_kg``, ``co_kg``; GHG in kg CO2e, pollutants in any mass unit;
- ``energy``: ``field`` a carrier (electricity, natural_gas, coal, diesel, ...), amount per
  declared unit in ``value`` with its ``unit``, the background dataset in ``link_hint``
  (``database:code``; for electricity the grid of ``region``);
- ``material``: ``field`` a free description, amount, unit, ``link_hint``;
- ``emission``: ``field`` a substance (co2, ch4, n2o, so2, nox, pm25, pm10, nmvoc, nh3, co,
  or the explicit ``co2_fossil``, ``co2_biogenic``, ``ch4_fossil``, ``ch4_biogenic``,
  ``pm25_10``, ``co_fossil``), mass per declared unit.

Rows whose ``value`` is empty are ignored, so the blank template parses to "nothing given".
A part answered with declared rows becomes a ``declared`` record; with energy, material or
emission rows a ``process`` record (both at once is refused). CO2, CH4 and CO without a
qualifier count as fossil. PM10 is a total: biosphere3 keeps PM2.5 and the 2.5-10 um class
apart, so PM10 becomes ``pm25_10 = pm10 - pm25`` (all of it when no PM2.5 is given, with a
note); PM10 below PM2.5 is refused.

The output is a list of dicts shaped like ``service.primary.schemas.PrimaryDataCreate`` (one
per part) which the service validates again; this module never stores anything. Row numbers
are spreadsheet rows (the header is row 1).
"""

from __future__ import annotations

import csv
import io
import math
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from connectors.errors import ConnectorError
from lca.indicators import DEFAULT_INDICATORS, GHG_PARTS
from lca.primary import DIRECT_EMISSION_FLOWS
from lca.units import UnitError, canonical_unit, conversion_factor

__all__ = ["COLUMNS", "TemplateInvalid", "declared_record", "parse_answer", "process_record",
           "read_rows", "template_csv", "template_rows", "template_xlsx"]

COLUMNS = ("line_id", "part_number", "section", "field", "value", "unit", "link_hint", "region",
           "note")
SECTIONS = ("record", "declared", "energy", "material", "emission")
RECORD_FIELDS = ("kind", "name", "declared_unit", "location", "reference_period_start",
                 "reference_period_end", "standard", "verification")
GHG_IDS = tuple(GHG_PARTS.values())
POLLUTANT_IDS = tuple(ind.id for ind in DEFAULT_INDICATORS if ind.kind == "pollutant")
DECLARED_IDS = GHG_IDS + POLLUTANT_IDS
CARRIER_UNITS: dict[str, tuple[str, ...]] = {
    "electricity": ("kWh",), "heat": ("kWh",), "steam": ("kWh", "kg"),
    "natural_gas": ("kWh", "m3"), "lpg": ("kWh", "kg", "m3"), "coal": ("kWh", "kg"),
    "coke": ("kWh", "kg"), "diesel": ("kWh", "kg", "m3"), "gasoline": ("kWh", "kg", "m3"),
    "fuel_oil": ("kWh", "kg", "m3"), "biomass": ("kWh", "kg"), "hydrogen": ("kWh", "kg", "m3"),
}
"""Energy carriers and the dimensions (as canonical units) their amounts may be given in."""
EMISSION_ALIASES = {
    "co2": "co2_fossil", "ch4": "ch4_fossil", "co": "co_fossil", "sox": "so2",
    "pm2.5": "pm25", "pm2_5": "pm25", "pm10": "pm10", "voc": "nmvoc",
    **{key: key for key in DIRECT_EMISSION_FLOWS},
}
"""Substance names a supplier may write, to the keys of ``lca.primary.DIRECT_EMISSION_FLOWS``
(``pm10`` is a total, split below)."""
GHG_UNITS = ("kgco2e", "kgco2eq", "kgco2-eq", "kg", "kgco2equivalent")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MAX_TEXT = 300
MAX_ROWS = 5000
XLSX_MAX_UNCOMPRESSED = 64 * 1024 * 1024


class TemplateInvalid(ConnectorError):
    """An answer refused as a whole; ``issues`` lists each problem as {row, field, message}."""

    def __init__(self, message: str, issues: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.detail = message
        self.issues = issues
        self.extra = {"issues": issues}


# ------------------------------------------------------------------------------ template


def template_rows(parts: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The blank template for ``parts`` (each with line_id, part_number, description, unit)."""
    rows: list[dict[str, str]] = []
    for part in parts:
        base = {"line_id": str(part["line_id"]), "part_number": str(part["part_number"])}

        def add(section: str, name: str, value: str = "", unit: str = "", note: str = "",
                region: str = "", base: dict[str, str] = base) -> None:
            rows.append({**base, "section": section, "field": name, "value": value,
                         "unit": unit, "link_hint": "", "region": region, "note": note})

        add("record", "kind", note="declared or process (optional: inferred from the rows)")
        add("record", "name", str(part.get("description") or part["part_number"]))
        add("record", "declared_unit", str(part.get("unit") or "kg"),
            note="every amount below is per one of this unit")
        add("record", "location", note="where the plant is, e.g. CN-SD (process data)")
        add("record", "reference_period_start", note="YYYY-MM-DD")
        add("record", "reference_period_end", note="YYYY-MM-DD")
        add("record", "standard", note="declared: e.g. ISO 14067, PACT 2.3")
        add("record", "verification", note="declared: e.g. third-party verified by ...")
        add("declared", "gwp100_kg_co2e", unit="kg CO2e",
            note="declared footprint per declared unit (leave the process rows empty)")
        for name in GHG_IDS[1:]:
            add("declared", name, unit="kg CO2e", note="give all three parts or none")
        for name in POLLUTANT_IDS:
            add("declared", name, unit="kg")
        add("energy", "electricity", unit="kWh", region="",
            note="process data per declared unit; link_hint = grid dataset of the region")
        add("energy", "natural_gas", unit="m3", note="link_hint = background dataset")
        add("energy", "coal", unit="kg")
        add("energy", "diesel", unit="l")
        add("material", "", unit="kg", note="field = what it is; link_hint = dataset")
        for name in ("co2", "ch4", "n2o", "so2", "nox", "pm25", "pm10", "nmvoc", "nh3", "co"):
            add("emission", name, unit="kg", note="direct emission per declared unit")
    return rows


def template_csv(parts: Sequence[Mapping[str, Any]]) -> bytes:
    """The template as UTF-8 CSV (with BOM, so spreadsheet programs read it as UTF-8)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(template_rows(parts))
    return out.getvalue().encode("utf-8-sig")


def template_xlsx(parts: Sequence[Mapping[str, Any]], *, title: str = "") -> bytes:
    """The template as XLSX: sheet ``answer`` to fill in, sheet ``help`` explaining it."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "answer"
    sheet.append(list(COLUMNS))
    for row in template_rows(parts):
        sheet.append([row[c] for c in COLUMNS])
    for column, width in zip("ABCDEFGHI", (12, 16, 10, 26, 18, 10, 30, 10, 60), strict=True):
        sheet.column_dimensions[column].width = width
    helper = book.create_sheet("help")
    for line in [title, *(__doc__ or "").split("\n\n")[1:3]]:
        helper.append([_cell_text(line)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell_text(text: str) -> str:
    text = " ".join(text.split())
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


# ------------------------------------------------------------------------------ reading


def _problem(message: str, field_name: str | None = None) -> TemplateInvalid:
    return TemplateInvalid(message, [{"row": None, "field": field_name, "message": message}])


def _column(name: Any) -> str:
    return str(name).strip().lower().replace(" ", "_").replace("-", "_")


def read_rows(filename: str, content: bytes) -> list[tuple[int, dict[str, str]]]:
    """``(row number, fields)`` pairs of a filled template (CSV or XLSX), or TemplateInvalid."""
    import pandas as pd

    name = filename.lower()
    if not content.strip():
        raise _problem("the file is empty", "file")
    if name.endswith(".xlsx") or content[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                if sum(i.file_size for i in archive.infolist()) > XLSX_MAX_UNCOMPRESSED:
                    raise _problem("the XLSX file inflates beyond the allowed size", "file")
            frame = pd.read_excel(io.BytesIO(content), sheet_name=0, dtype=str,
                                  engine="openpyxl", keep_default_na=False)
        except TemplateInvalid:
            raise
        except Exception as exc:  # openpyxl raises many kinds on broken files
            raise _problem(f"not a readable XLSX file ({type(exc).__name__})", "file") from exc
    elif name.endswith((".csv", ".txt")):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _problem("the CSV file is not UTF-8", "file") from exc
        try:
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                                sep=None, engine="python")
        except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
            raise _problem(f"not a readable CSV file ({exc})", "file") from exc
    else:
        raise _problem("unsupported file type: upload .csv or .xlsx", "file")
    frame.columns = [_column(c) for c in frame.columns]
    if frame.columns.duplicated().any():
        raise _problem("duplicate columns", "header")
    missing = [c for c in ("line_id", "section", "field", "value") if c not in frame.columns]
    if missing:
        raise TemplateInvalid("missing columns", [
            {"row": 1, "field": c, "message": "missing column"} for c in missing])
    records = frame.to_dict(orient="records")
    if len(records) > MAX_ROWS:
        raise _problem(f"more than {MAX_ROWS} rows", "file")
    return [(number, {k: "" if v is None else str(v) for k, v in row.items()})
            for number, row in enumerate(records, start=2)]


# ------------------------------------------------------------------------------ parsing


@dataclass
class _Part:
    line_id: str
    record: dict[str, str] = field(default_factory=dict)
    declared: dict[str, float] = field(default_factory=dict)
    energy: list[dict[str, Any]] = field(default_factory=list)
    materials: list[dict[str, Any]] = field(default_factory=list)
    emissions: list[dict[str, Any]] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)


def _number(text: str) -> float | None:
    try:
        value = float(text.strip().replace(",", "")) if isinstance(text, str) else float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _mass_kg(amount: float, unit: str) -> float:
    if canonical_unit(unit) != "kg":
        raise UnitError(f"{unit!r} is not a mass unit")
    return amount * conversion_factor(unit, "kg")


def _check_text(value: str, where: dict[str, Any], issues: list[dict[str, Any]]) -> bool:
    if value.startswith(FORMULA_PREFIXES):
        issues.append({**where, "message": "text may not start with =, +, -, @, tab or CR "
                                           "(spreadsheet formula injection)"})
        return False
    if len(value) > MAX_TEXT:
        issues.append({**where, "message": f"longer than {MAX_TEXT} characters"})
        return False
    return True


def _date(value: str) -> str | None:
    try:
        return date.fromisoformat(value.strip()[:10]).isoformat()
    except ValueError:
        return None


def _ghg_unit(unit: str) -> bool:
    return not unit or unit.lower().replace(" ", "").replace("₂", "2") in GHG_UNITS


def _row(part: _Part, number: int, row: Mapping[str, str], issues: list[dict[str, Any]]) -> None:
    section = row.get("section", "").strip().lower()
    name = row.get("field", "").strip()
    value = row.get("value", "").strip()
    unit = row.get("unit", "").strip()
    hint = row.get("link_hint", "").strip()
    where = {"row": number, "field": "value"}
    if section not in SECTIONS:
        issues.append({"row": number, "field": "section", "message": f"one of {SECTIONS}"})
        return
    if section == "record":
        if name not in RECORD_FIELDS:
            issues.append({"row": number, "field": "field",
                           "message": f"a record field is one of {RECORD_FIELDS}"})
        elif name in part.record:
            issues.append({"row": number, "field": "field",
                           "message": f"{name} given twice (row {part.rows[name]})"})
        elif _check_text(value, where, issues):
            part.record[name], part.rows[name] = value, number
        return
    amount = _number(value)
    if amount is None:
        issues.append({**where, "message": "not a finite number"})
        return
    if amount < 0 and not (section == "declared" and name in GHG_IDS):
        issues.append({**where, "message": "negative"})
        return
    if section == "declared":
        key = name if name in DECLARED_IDS else f"{name.lower()}_kg"
        if key not in DECLARED_IDS:
            issues.append({"row": number, "field": "field",
                           "message": f"a declared value is one of {DECLARED_IDS}"})
        elif key in part.declared:
            issues.append({"row": number, "field": "field", "message": f"{key} given twice"})
        elif key in GHG_IDS:
            if not _ghg_unit(unit):
                issues.append({"row": number, "field": "unit", "message": "must be kg CO2e"})
            else:
                part.declared[key], part.rows[key] = amount, number
        else:
            try:
                part.declared[key] = _mass_kg(amount, unit or "kg")
                part.rows[key] = number
            except UnitError as exc:
                issues.append({"row": number, "field": "unit", "message": str(exc)})
        return
    if section == "emission":
        part.emissions.append({"substance": name, "amount": amount, "unit": unit or "kg",
                               "row": number})
        return
    item = {"amount": amount, "unit": unit, "link_hint": hint, "row": number,
            "region": row.get("region", "").strip() or None}
    if section == "energy":
        part.energy.append({**item, "carrier": name})
    else:
        part.materials.append({**item, "description": name})


def parse_answer(rows: Sequence[tuple[int, Mapping[str, str]]],
                 parts: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One ``{line_id, record, notes}`` per requested part, or TemplateInvalid.

    ``record`` has the shape of ``PrimaryDataCreate``; ``notes`` say how values were mapped
    (e.g. the PM10 split). Every requested part must be answered.
    """
    wanted = {str(p["line_id"]): p for p in parts}
    issues: list[dict[str, Any]] = []
    by_line: dict[str, _Part] = {}
    for number, row in rows:
        if not row.get("value", "").strip():
            continue
        line_id = row.get("line_id", "").strip()
        if line_id not in wanted:
            issues.append({"row": number, "field": "line_id",
                           "message": f"{line_id!r} is not a part of this request"})
            continue
        _row(by_line.setdefault(line_id, _Part(line_id)), number, row, issues)
    answers = []
    for line_id in wanted:
        part = by_line.get(line_id)
        if part is None:
            issues.append({"row": None, "field": "line_id",
                           "message": f"part {line_id!r} has no values"})
            continue
        built = _part_record(part, issues)
        if built is not None:
            answers.append({"line_id": line_id, **built})
    if issues:
        raise TemplateInvalid(f"{len(issues)} problem(s) in the answer file", issues)
    return answers


def _part_record(part: _Part, issues: list[dict[str, Any]]) -> dict[str, Any] | None:
    before = len(issues)
    process = bool(part.energy or part.materials or part.emissions)
    if not (process or part.declared):
        issues.append({"row": None, "field": "line_id",
                       "message": f"part {part.line_id!r} has no values"})
        return None
    kind = part.record.get("kind", "").lower() or ("process" if process else "declared")
    kind_row = part.rows.get("kind")
    if kind not in ("declared", "process"):
        issues.append({"row": kind_row, "field": "value", "message": "declared or process"})
        return None
    if kind == "declared" and process:
        first = [*part.energy, *part.materials, *part.emissions][0]["row"]
        issues.append({"row": kind_row or first, "field": "section",
                       "message": f"part {part.line_id!r}: a declared footprint gives declared "
                                  "values, not energy, material or emission rows"})
    if kind == "process" and part.declared:
        issues.append({"row": min(part.rows[k] for k in part.declared), "field": "section",
                       "message": f"part {part.line_id!r}: process data gives energy, material "
                                  "and emission rows, not declared values"})
    record: dict[str, Any] = {
        "kind": kind, "name": part.record.get("name") or part.line_id,
        "declared_unit": part.record.get("declared_unit", ""),
        "location": part.record.get("location") or None,
        "standard": part.record.get("standard") or None,
        "verification": part.record.get("verification") or None}
    if not record["declared_unit"]:
        issues.append({"row": part.rows.get("declared_unit"), "field": "declared_unit",
                       "message": f"part {part.line_id!r}: required"})
    else:
        try:
            canonical_unit(record["declared_unit"])
        except UnitError as exc:
            issues.append({"row": part.rows["declared_unit"], "field": "value",
                           "message": str(exc)})
    for name in ("reference_period_start", "reference_period_end"):
        text = part.record.get(name)
        if text:
            parsed = _date(text)
            if parsed is None:
                issues.append({"row": part.rows[name], "field": "value",
                               "message": f"{name}: a date is YYYY-MM-DD"})
            record[name] = parsed
    start, end = record.get("reference_period_start"), record.get("reference_period_end")
    if start and end and end < start:
        issues.append({"row": part.rows["reference_period_end"], "field": "value",
                       "message": "reference_period_end is before reference_period_start"})
    notes: list[str] = []
    if kind == "declared":
        mapped = _declared_values(part.declared, {k: part.rows.get(k) for k in part.declared},
                                  issues, row=part.rows.get("kind"))
        record["values"] = mapped
    else:
        record["inputs"] = _inputs(part.energy, part.materials, issues)
        record["emissions"] = _emissions(part.emissions, issues, notes)
    if len(issues) > before:
        return None
    return {"record": record, "notes": notes, "rows": dict(part.rows)}


def _declared_values(values: Mapping[str, float], rows: Mapping[str, int | None],
                     issues: list[dict[str, Any]], *, row: int | None = None,
                     prefix: str = "") -> dict[str, float]:
    out = dict(values)
    parts = GHG_IDS[1:]
    given = [p for p in parts if p in out]
    if given and len(given) != len(parts):
        missing = [p for p in parts if p not in out]
        issues.append({"row": rows.get(given[0], row), "field": prefix + missing[0],
                       "message": f"give all GHG parts {list(parts)} or none"})
    if GHG_IDS[0] not in out:
        if given and len(given) == len(parts):
            out[GHG_IDS[0]] = sum(out[p] for p in parts)
        else:
            issues.append({"row": row, "field": prefix + GHG_IDS[0], "message": "required"})
    elif given and len(given) == len(parts):
        total, summed = out[GHG_IDS[0]], sum(out[p] for p in parts)
        if abs(summed - total) > 1e-6 * max(abs(total), 1e-12):
            issues.append({"row": rows.get(GHG_IDS[0], row), "field": prefix + GHG_IDS[0],
                           "message": f"the parts add up to {summed}, not {total}"})
    return out


def _namer(row: int | None, path: str) -> Callable[[str], str]:
    """Field names of an issue: the column for a file row, the JSON path for a form item."""

    def name(field_name: str) -> str:
        return field_name if row is not None else path + field_name

    return name


def _inputs(energy: Sequence[Mapping[str, Any]], materials: Sequence[Mapping[str, Any]],
            issues: list[dict[str, Any]], *, prefix: str = "") -> list[dict[str, Any]]:
    out = []
    for kind, items in (("energy", energy), ("materials", materials)):
        for i, item in enumerate(items):
            row = item.get("row")
            where = _namer(row, f"{prefix}{kind}.{i}.")
            unit = str(item.get("unit") or "")
            try:
                dimension = canonical_unit(unit)
            except UnitError as exc:
                issues.append({"row": row, "field": where("unit"), "message": str(exc)})
                continue
            if kind == "energy":
                carrier = str(item.get("carrier") or "").strip().lower().replace(" ", "_")
                allowed = CARRIER_UNITS.get(carrier)
                if allowed is None:
                    issues.append({"row": row, "field": where("field" if row else "carrier"),
                                   "message": f"a carrier is one of {sorted(CARRIER_UNITS)}"})
                    continue
                if dimension not in allowed:
                    issues.append({"row": row, "field": where("unit"),
                                   "message": f"{carrier} is given in units of "
                                              f"{' or '.join(allowed)} (not {unit})"})
                    continue
            hint = str(item.get("link_hint") or "")
            database, sep, code = hint.partition(":")
            if not (sep and database and code) or any(c.isspace() for c in hint) \
                    or len(hint) > MAX_TEXT:
                issues.append({"row": row, "field": where("link_hint"),
                               "message": "required: the background dataset as database:code"})
                continue
            out.append({"link_hint": hint, "amount": float(item["amount"]), "unit": unit})
    return out


def _emissions(items: Sequence[Mapping[str, Any]], issues: list[dict[str, Any]],
               notes: list[str], *, prefix: str = "") -> list[dict[str, Any]]:
    kg: dict[str, float] = {}
    row_of: dict[str, int | None] = {}
    for i, item in enumerate(items):
        row = item.get("row")
        name = _namer(row, f"{prefix}emissions.{i}.")
        substance = EMISSION_ALIASES.get(str(item.get("substance") or "").strip().lower())
        if substance is None:
            issues.append({"row": row, "field": name("field" if row else "substance"),
                           "message": "a substance is one of "
                                      f"{sorted(set(EMISSION_ALIASES))}"})
            continue
        try:
            amount = _mass_kg(float(item["amount"]), str(item.get("unit") or "kg"))
        except UnitError as exc:
            issues.append({"row": row, "field": name("unit"), "message": str(exc)})
            continue
        if amount < 0:
            issues.append({"row": row, "field": name("value" if row else "amount"),
                           "message": "negative"})
            continue
        kg[substance] = kg.get(substance, 0.0) + amount
        row_of.setdefault(substance, row)
    if "pm10" in kg:
        pm10 = kg.pop("pm10")
        if "pm25_10" in kg:
            issues.append({"row": row_of["pm10"], "field": "field" if row_of["pm10"] else
                           f"{prefix}emissions", "message": "give PM10 or pm25_10, not both"})
        elif pm10 < kg.get("pm25", 0.0):
            issues.append({"row": row_of["pm10"], "field": "value" if row_of["pm10"] else
                           f"{prefix}emissions", "message": "PM10 is below PM2.5 (PM10 "
                                                             "includes PM2.5)"})
        else:
            kg["pm25_10"] = pm10 - kg.get("pm25", 0.0)
            if "pm25" in kg:
                notes.append("PM10 given as a total: reported as PM2.5 (pm25) plus the "
                             "2.5-10 um class (pm25_10 = PM10 - PM2.5)")
            else:
                notes.append("PM10 given without PM2.5: all of it counted as 2.5-10 um "
                             "(pm25_10), so PM2.5 has no direct emission from this process")
    return [{"substance": s, "amount_kg": a} for s, a in kg.items()]


# ------------------------------------------------------------------------ JSON forms


def declared_record(form: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Our declared-footprint form to a record (or TemplateInvalid).

    Form keys: name, declared_unit, gwp100_kg_co2e, fossil_kg_co2e, biogenic_kg_co2e,
    land_use_kg_co2e, pollutants_kg {so2, nox, pm25, pm10, nmvoc, nh3, co}, reference period,
    standard, verification.
    """
    issues: list[dict[str, Any]] = []
    values: dict[str, float] = {}
    for key, target in (("gwp100_kg_co2e", GHG_PARTS["total"]),
                        ("fossil_kg_co2e", GHG_PARTS["fossil"]),
                        ("biogenic_kg_co2e", GHG_PARTS["biogenic"]),
                        ("land_use_kg_co2e", GHG_PARTS["luc"])):
        if form.get(key) is not None:
            values[target] = float(form[key])
    for name, amount in (form.get("pollutants_kg") or {}).items():
        key = f"{str(name).lower().replace('.', '')}_kg".replace("_kg_kg", "_kg")
        if key not in POLLUTANT_IDS:
            issues.append({"row": None, "field": f"pollutants_kg.{name}",
                           "message": f"one of {[p.removesuffix('_kg') for p in POLLUTANT_IDS]}"})
        else:
            values[key] = float(amount)
    names = {GHG_PARTS["total"]: "gwp100_kg_co2e", GHG_PARTS["fossil"]: "fossil_kg_co2e",
             GHG_PARTS["biogenic"]: "biogenic_kg_co2e", GHG_PARTS["luc"]: "land_use_kg_co2e"}
    mapped = _declared_values(values, {}, issues)
    for issue in issues:
        issue["field"] = names.get(issue["field"], issue["field"])
    if issues:
        raise TemplateInvalid(f"{len(issues)} problem(s) in the declared footprint", issues)
    record = {"kind": "declared", "values": mapped,
              **{k: form.get(k) for k in ("name", "declared_unit", "location",
                                           "reference_period_start", "reference_period_end",
                                           "standard", "verification")}}
    return record, []


def process_record(form: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Our process-data form to a record (or TemplateInvalid); returns notes on mappings.

    Form keys: name, declared_unit, location, reference period, energy [{carrier, amount,
    unit, link_hint, region}], materials [{description, amount, unit, link_hint}],
    emissions [{substance, amount, unit}].
    """
    issues: list[dict[str, Any]] = []
    notes: list[str] = []
    inputs = _inputs(form.get("energy") or [], form.get("materials") or [], issues)
    emissions = _emissions(form.get("emissions") or [], issues, notes)
    if issues:
        raise TemplateInvalid(f"{len(issues)} problem(s) in the process data", issues)
    record = {"kind": "process", "inputs": inputs, "emissions": emissions,
              **{k: form.get(k) for k in ("name", "declared_unit", "location",
                                           "reference_period_start", "reference_period_end")}}
    return record, notes
