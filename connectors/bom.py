"""BOM lines: the validated model, row-by-row validation, tree checks, content hash.

Raw rows come from JSON (:mod:`service.boms.schemas`) or from a table file
(:mod:`connectors.bom_table`); both go through :func:`validate_rows`, which
either returns a complete, exploded BOM or raises :class:`BomInvalid` listing
every problem with its row and field. Nothing partial ever comes out.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from connectors.errors import ConnectorError
from lca.bom import BomNode, BomTreeError, ExplodedLeaf, explode
from lca.units import UnitError, canonical_unit

STAGES = ("raw_materials", "production", "distribution", "use", "end_of_life")
TEXT_FIELDS = ("line_id", "parent_line_id", "part_number", "description", "supplier", "origin",
               "cn_code", "material_class", "stage", "link_hint")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MAX_TEXT_LENGTH = 500


class BomInvalid(ConnectorError):
    """A BOM refused as a whole; ``issues`` lists each problem as {row, field, message}."""

    def __init__(self, message: str, issues: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.detail = message
        self.issues = issues
        self.extra = {"issues": issues}


@dataclass(frozen=True)
class BomLine:
    """One validated BOM line. ``quantity`` is per one unit of the parent, in ``unit``."""

    line_id: str
    parent_line_id: str | None
    part_number: str
    description: str
    quantity: float
    unit: str
    supplier: str | None = None
    origin: str | None = None
    cn_code: str | None = None
    material_class: str | None = None
    mass_kg: float | None = None
    stage: str | None = None
    link_hint: str | None = None


@dataclass(frozen=True)
class ValidBom:
    """A BOM that passed every check, with its explosion and content hash."""

    lines: list[BomLine]
    leaves: list[ExplodedLeaf]
    revision_hash: str


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _number(value: Any) -> float | str | None:
    """A float, None when empty, or the string 'bad' when not a finite number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(str(value).strip().replace(",", "")) if isinstance(value, str) else float(
            value)
    except (TypeError, ValueError):
        return "bad"
    return number if math.isfinite(number) else "bad"


def _stage(value: str) -> str | None:
    key = value.lower().replace(" ", "_").replace("-", "_")
    return key if key in STAGES else None


def _check_text(row: int, name: str, value: str, issues: list[dict[str, Any]]) -> None:
    if value.startswith(FORMULA_PREFIXES):
        issues.append({"row": row, "field": name,
                       "message": "text may not start with =, +, -, @, tab or CR "
                                  "(spreadsheet formula injection)"})
    if len(value) > MAX_TEXT_LENGTH:
        issues.append({"row": row, "field": name,
                       "message": f"longer than {MAX_TEXT_LENGTH} characters"})


def _validate_row(row: int, raw: Mapping[str, Any], issues: list[dict[str, Any]]) -> BomLine | None:
    before = len(issues)
    text = {name: _text(raw.get(name)) for name in TEXT_FIELDS}
    for name, value in text.items():
        if value is not None:
            _check_text(row, name, value, issues)
    for name in ("part_number", "description"):
        if text[name] is None:
            issues.append({"row": row, "field": name, "message": "required"})
    quantity = _number(raw.get("quantity"))
    if quantity is None:
        issues.append({"row": row, "field": "quantity", "message": "required"})
    elif quantity == "bad":
        issues.append({"row": row, "field": "quantity", "message": "not a finite number"})
    elif quantity < 0:
        issues.append({"row": row, "field": "quantity", "message": "negative"})
    unit = _text(raw.get("unit"))
    if unit is None:
        issues.append({"row": row, "field": "unit", "message": "required"})
    else:
        try:
            canonical_unit(unit)
        except UnitError as exc:
            issues.append({"row": row, "field": "unit", "message": str(exc)})
    mass = _number(raw.get("mass_kg"))
    if mass == "bad" or (isinstance(mass, float) and mass < 0):
        issues.append({"row": row, "field": "mass_kg",
                       "message": "not a non-negative finite number"})
    stage = None
    if text["stage"] is not None:
        stage = _stage(text["stage"])
        if stage is None:
            issues.append({"row": row, "field": "stage", "message": f"must be one of {STAGES}"})
    cn_code = text["cn_code"]
    if cn_code is not None:
        cn_code = cn_code.replace(" ", "").replace(".", "")
        if not (cn_code.isdigit() and 2 <= len(cn_code) <= 10):
            issues.append({"row": row, "field": "cn_code",
                           "message": "a CN/HS code is 2 to 10 digits"})
    if len(issues) > before:
        return None
    return BomLine(
        line_id=text["line_id"] or f"L{row}", parent_line_id=text["parent_line_id"],
        part_number=text["part_number"] or "", description=text["description"] or "",
        quantity=float(quantity), unit=unit or "", supplier=text["supplier"],
        origin=text["origin"], cn_code=cn_code, material_class=text["material_class"],
        mass_kg=mass if isinstance(mass, float) else None, stage=stage,
        link_hint=text["link_hint"])


def _tree_issues(lines: Sequence[tuple[int, BomLine]]) -> list[dict[str, Any]]:
    issues: list[dict[str, Any]] = []
    row_by_id: dict[str, int] = {}
    for row, line in lines:
        if line.line_id in row_by_id:
            issues.append({"row": row, "field": "line_id",
                           "message": f"duplicate of row {row_by_id[line.line_id]}"})
        else:
            row_by_id[line.line_id] = row
    for row, line in lines:
        if line.parent_line_id is not None and line.parent_line_id not in row_by_id:
            issues.append({"row": row, "field": "parent_line_id",
                           "message": f"parent {line.parent_line_id!r} does not exist"})
    if issues:
        return issues
    parent = {line.line_id: line.parent_line_id for _, line in lines}
    for row, line in lines:
        seen = {line.line_id}
        current = line.parent_line_id
        while current is not None:
            if current in seen:
                issues.append({"row": row, "field": "parent_line_id",
                               "message": "the line is part of a cycle"})
                break
            seen.add(current)
            current = parent[current]
    return issues


def revision_hash(lines: Sequence[BomLine]) -> str:
    """Content address of a BOM: SHA-256 of its canonical JSON."""
    canonical = json.dumps([asdict(line) for line in lines], sort_keys=True,
                           separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def validate_rows(rows: Sequence[tuple[int, Mapping[str, Any]]], *, max_lines: int) -> ValidBom:
    """Validate ``(row number, raw fields)`` pairs into a complete BOM, or raise BomInvalid."""
    if not rows:
        raise BomInvalid("the BOM has no lines", [{"row": None, "field": None,
                                                    "message": "no lines"}])
    if len(rows) > max_lines:
        raise BomInvalid("too many lines", [{"row": None, "field": None,
                                             "message": f"more than {max_lines} lines"}])
    issues: list[dict[str, Any]] = []
    lines = [(row, line) for row, raw in rows
             if (line := _validate_row(row, raw, issues)) is not None]
    if issues:
        raise BomInvalid(f"{len(issues)} problem(s) in the BOM", issues)
    issues = _tree_issues(lines)
    if issues:
        raise BomInvalid(f"{len(issues)} problem(s) in the BOM structure", issues)
    bom_lines = [line for _, line in lines]
    nodes = [BomNode(line.line_id, line.parent_line_id, line.quantity, line.unit,
                     {k: v for k, v in asdict(line).items()
                      if k not in ("line_id", "parent_line_id", "quantity", "unit")})
             for line in bom_lines]
    try:
        leaves = explode(nodes)
    except (BomTreeError, UnitError) as exc:  # checked above; kept as a last guard
        raise BomInvalid(str(exc), [{"row": None, "field": None, "message": str(exc)}]) from exc
    return ValidBom(lines=bom_lines, leaves=leaves, revision_hash=revision_hash(bom_lines))
