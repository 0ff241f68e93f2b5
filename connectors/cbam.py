"""EU CBAM: specific embedded emissions of a good from a footprint result, the EU default
value for its origin, and the communication file (JSON and XLSX).

How our data maps to CBAM is defined in ``docs/cbam.md``. In short, per unit of product:

    installation direct    production-stage lines (or lines with no stage) outside any
                           precursor, not electricity                  -> AttrEm_dir
    installation indirect  the same lines when they are electricity    -> AttrEm_indir
    precursors             BOM lines (sub-assemblies or leaves) whose CN code is a CBAM good:
                           every line below them, split direct / indirect the same way
                                                                       -> EE_InpMat
    excluded               distribution, use, end of life; raw materials that are not
                           precursors (CBAM counts only relevant precursors)

    SEE_dir   = (AttrEm_dir   + sum_i EE_i,dir)   / mass of the good
    SEE_indir = (AttrEm_indir + sum_i EE_i,indir) / mass of the good

kg CO2e per kg of good is t CO2e per t of good. Default values come from the vendored
``data/cbam/default_values_2621.json`` (opencbam 0.1.0, Implementing Regulation (EU)
2025/2621 Annex I): a country's own table, else "Other countries and territories" where the
country is not listed, the good is not in its table or the value is "–"; never a value that
is not in the file.

Pure: no I/O beyond reading the vendored data, no service imports.

ConnectorError
  + CbamError   the CBAM data cannot be derived (no CN code, no mass of the good, ...)
"""

from __future__ import annotations

import io
import json
import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from connectors.errors import ConnectorError
from lca.units import UnitError, conversion_factor, to_canonical

__all__ = [
    "COUNTRY_NAME_BY_ISO2",
    "DATA_SOURCE",
    "CbamError",
    "cbam_goods",
    "default_value",
    "default_value_rows",
    "embedded_emissions",
    "goods_entry",
    "is_cbam_good",
    "is_electricity",
    "normalize_cn",
    "to_xlsx",
]

DATA_DIR = Path(__file__).resolve().parent / "data" / "cbam"
DEFAULT_VALUES_FILE = DATA_DIR / "default_values_2621.json"
GOODS_FILE = DATA_DIR / "cbam_goods_cn.json"
DATA_SOURCE = {
    "regulation": "Commission Implementing Regulation (EU) 2025/2621, Annex I "
                  "(default values and mark-ups for 2026, 2027, 2028 onwards)",
    "package": "opencbam 0.1.0 (Apache-2.0), opencbam/engine/data/default_values_2621.json",
    "file": "connectors/data/cbam/default_values_2621.json",
    "sha256": "334be5109b044dfe0ece70f8a507ce43f2853169feb35e9508570c7a9ca4ada4",
    "caveat": "Annex I as published in 2025/2621; Implementing Regulation (EU) 2026/1740 "
              "corrected it. Only the Official Journal text is legally binding.",
}
OTHER = "Other Countries and Territories"
GHG_INDICATOR = "gwp100_kg_co2e"
EXCLUDED_STAGES = ("distribution", "use", "end_of_life")
MARKUP_YEARS = (2026, 2027, 2028)
SUSPECT_ROWS = {("albania", "2523 21 00", "White Portland cement")}
"""Rows whose published tokens contradict each other (see data/cbam/NOTICE): read as '–'."""

COUNTRY_NAME_BY_ISO2 = {
    "AL": "Albania", "DZ": "Algeria", "AO": "Angola", "AR": "Argentina", "AM": "Armenia",
    "AU": "Australia", "AZ": "Azerbaijan", "BH": "Bahrain", "BD": "Bangladesh",
    "BY": "Belarus", "BJ": "Benin", "BO": "Bolivia", "BA": "Bosnia and Herzegovina",
    "BR": "Brazil", "BN": "Brunei", "KH": "Cambodia", "CM": "Cameroon", "CA": "Canada",
    "CL": "Chile", "CN": "China", "CO": "Colombia", "CG": "Congo", "CR": "Costa Rica",
    "CU": "Cuba", "CW": "Curaçao", "CI": "Côte d'Ivoire",
    "CD": "Democratic Republic of the Congo", "DO": "Dominican Republic", "EC": "Ecuador",
    "EG": "Egypt", "SV": "El Salvador", "ER": "Eritrea", "SZ": "Eswatini", "ET": "Ethiopia",
    "GA": "Gabon", "GE": "Georgia", "GH": "Ghana", "GT": "Guatemala", "HT": "Haiti",
    "HN": "Honduras", "HK": "Hong Kong", "IN": "India", "ID": "Indonesia", "IR": "Iran",
    "IQ": "Iraq", "IL": "Israel", "JM": "Jamaica", "JP": "Japan", "JO": "Jordan",
    "KZ": "Kazakhstan", "KE": "Kenya", "KW": "Kuwait", "KG": "Kyrgyzstan", "LA": "Laos",
    "LB": "Lebanon", "LY": "Libya", "MG": "Madagascar", "MY": "Malaysia", "ML": "Mali",
    "MR": "Mauritania", "MU": "Mauritius", "MX": "Mexico", "MD": "Moldova", "MN": "Mongolia",
    "ME": "Montenegro", "MA": "Morocco", "MZ": "Mozambique", "MM": "Myanmar/Burma",
    "NA": "Namibia", "NP": "Nepal", "NZ": "New Zealand", "NI": "Nicaragua", "NE": "Niger",
    "NG": "Nigeria", "KP": "North Korea", "MK": "North Macedonia", "OM": "Oman",
    "PK": "Pakistan", "PA": "Panama", "PG": "Papua New Guinea", "PY": "Paraguay", "PE": "Peru",
    "PH": "Philippines", "QA": "Qatar", "RU": "Russia", "RW": "Rwanda", "SA": "Saudi Arabia",
    "SN": "Senegal", "RS": "Serbia", "SL": "Sierra Leone", "SG": "Singapore",
    "ZA": "South Africa", "KR": "South Korea", "LK": "Sri Lanka", "SD": "Sudan",
    "SR": "Suriname", "SY": "Syria", "TW": "Taiwan", "TJ": "Tajikistan", "TZ": "Tanzania",
    "TH": "Thailand", "TG": "Togo", "TT": "Trinidad and Tobago", "TN": "Tunisia",
    "TM": "Turkmenistan", "TR": "Türkiye", "UG": "Uganda", "UA": "Ukraine",
    "AE": "United Arab Emirates", "GB": "United Kingdom", "US": "United States",
    "UY": "Uruguay", "UZ": "Uzbekistan", "VE": "Venezuela", "VN": "Vietnam", "YE": "Yemen",
    "ZM": "Zambia", "ZW": "Zimbabwe",
}
"""ISO 3166-1 alpha-2 -> the table name used in Annex I (as the vendored file spells it)."""

EU_MEMBER_STATES = frozenset({
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "EL", "HU", "IE",
    "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"})
CBAM_EXEMPT = frozenset({"NO", "IS", "LI", "CH"})
"""Annex III to Regulation (EU) 2023/956: countries outside the scope of CBAM."""


class CbamError(ConnectorError):
    """The CBAM data cannot be derived from this result (the message says why)."""


# -- reference data -----------------------------------------------------------------------


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


def normalize_cn(cn_code: str) -> str:
    """Digits only (``'7601 10 00'``, ``'7601.10.00'`` -> ``'76011000'``); TARIC cut to 8."""
    digits = "".join(c for c in str(cn_code) if c.isdigit())
    if not 2 <= len(digits) <= 10:
        raise CbamError(f"{cn_code!r} is not a CN code (2 to 10 digits)")
    return digits[:8]


@lru_cache(maxsize=1)
def _rows_by_key() -> dict[tuple[str, str], list[dict[str, Any]]]:
    rows = json.loads(DEFAULT_VALUES_FILE.read_text(encoding="utf-8"))
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault((_fold(row["country"]), row["cn_code"].replace(" ", "")), []).append(row)
    return out


@lru_cache(maxsize=1)
def cbam_goods() -> dict[str, dict[str, Any]]:
    """CN8 code -> the goods entry (sector, category, description) of CBAM Annex I."""
    data = json.loads(GOODS_FILE.read_text(encoding="utf-8"))
    return {g["cn"]: g for g in data["goods"]}


def goods_entry(cn_code: str) -> dict[str, Any]:
    """The covered-goods entry of a CN code (exact, else the first code under its heading);
    empty when the code is not a CBAM good."""
    digits = normalize_cn(cn_code)
    if digits in cbam_goods():
        return cbam_goods()[digits]
    while len(digits) > 4 and digits.endswith("00"):
        digits = digits[:-2]
    return next((g for code, g in cbam_goods().items() if code.startswith(digits)), {})


def is_cbam_good(cn_code: str | None) -> bool:
    """Whether a CN code (any length 4-8) is, or falls under, a CBAM good."""
    if not cn_code:
        return False
    try:
        digits = normalize_cn(cn_code)
    except CbamError:
        return False
    if len(digits) < 4:
        return False
    while len(digits) > 4 and digits.endswith("00"):  # 7601 10 00 covers 7601 10 10, ...
        digits = digits[:-2]
    return any(code.startswith(digits) or digits.startswith(code) for code in cbam_goods())


def default_value_rows(country_name: str, cn_code: str) -> list[dict[str, Any]]:
    """The published rows for a table (country name) and CN code, most specific heading first
    (8, then 6, then 4 digits): the rows of the first heading that has any."""
    digits = normalize_cn(cn_code)
    folded = _fold(country_name)
    for n in (8, 6, 4):
        if len(digits) >= n and (folded, digits[:n]) in _rows_by_key():
            return _rows_by_key()[(folded, digits[:n])]
    return []


def _number(token: Any) -> float | None:
    if token in (None, "DASH", "NA"):
        return None
    return float(token)


def _has_value(row: Mapping[str, Any]) -> bool:
    key = (_fold(row["country"]), row["cn_code"], row["description"])
    return row.get("total") not in (None, "DASH") and key not in SUSPECT_ROWS


def _pick(rows: Sequence[Mapping[str, Any]], route: str | None,
          description: str | None) -> tuple[Mapping[str, Any] | None, list[Mapping[str, Any]]]:
    """One row of ``rows`` (by route or description when several), and the candidates."""
    candidates = list(rows)
    if route is not None:
        candidates = [r for r in candidates if (r.get("route") or "").upper() == route.upper()]
    if description is not None and len(candidates) > 1:
        wanted = _fold(description)
        candidates = [r for r in candidates if wanted in _fold(r["description"])] or candidates
    if len(candidates) > 1:
        distinct = {(r["direct"], r["indirect"], r["total"], r.get("route"), _has_value(r))
                    for r in candidates}
        return (candidates[0] if len(distinct) == 1 else None), candidates
    return (candidates[0] if candidates else None), candidates


def default_value(cn_code: str, country: str | None, *, route: str | None = None,
                  description: str | None = None, year: int = 2026) -> dict[str, Any]:
    """The EU default value (t CO2e / t) for a good from ``country`` (ISO 3166-1 alpha-2).

    ``status``: ``"found"`` (``table`` says whose values), ``"none"`` (no default exists:
    ``reason`` says why), ``"ambiguous"`` (several variants, e.g. grey / white clinker:
    give ``route`` or ``description``; ``candidates`` lists them). Never a value not in the file.
    """
    digits = normalize_cn(cn_code)
    iso = (country or "").strip().upper() or None
    base: dict[str, Any] = {"cn_code": digits, "country": iso, "year": year,
                            "source": DATA_SOURCE}
    if iso in EU_MEMBER_STATES or iso in CBAM_EXEMPT:
        return {**base, "status": "none",
                "reason": f"{iso} is an EU Member State or listed in Annex III to Regulation "
                          "(EU) 2023/956: CBAM does not apply, there is no default value"}
    if not is_cbam_good(digits):
        return {**base, "status": "none",
                "reason": f"{digits} is not a good listed in Annex I to Regulation (EU) 2023/956"}
    name = COUNTRY_NAME_BY_ISO2.get(iso or "")
    notes: list[str] = []
    row = None
    if name is None:
        notes.append(f"country {iso or '(none)'} has no table of its own in Annex I: "
                     "'Other countries and territories' applies")
    else:
        own = default_value_rows(name, digits)
        row, candidates = _pick(own, route, description)
        if row is None and len(candidates) > 1:
            return {**base, "status": "ambiguous", "table": name,
                    "reason": "several variants for this CN code: give route or description",
                    "candidates": [_public_row(r) for r in candidates]}
        if row is not None and not _has_value(row):
            notes.append(f"{name}'s table shows '–' for this good: 'Other countries and "
                         "territories' applies")
            row = None
        elif row is None:
            notes.append(f"{name}'s table does not list this good: 'Other countries and "
                         "territories' applies")
    table = name if row is not None else OTHER
    if row is None:
        row, candidates = _pick(default_value_rows(OTHER, digits), route, description)
        if row is None and len(candidates) > 1:
            return {**base, "status": "ambiguous", "table": OTHER, "notes": notes,
                    "reason": "several variants for this CN code: give route or description",
                    "candidates": [_public_row(r) for r in candidates]}
        if row is None or not _has_value(row):
            return {**base, "status": "none", "notes": notes,
                    "reason": f"no default value for {digits} in Annex I "
                              f"(neither {name or iso} nor 'Other countries and territories')"}
    column = f"markup_{min(max(year, MARKUP_YEARS[0]), MARKUP_YEARS[-1])}"
    return {**base, "status": "found", "table": table, "notes": notes,
            **_public_row(row),
            "marked_up_year": year if year >= MARKUP_YEARS[0] else None,
            "total_with_markup": _number(row.get(column)) if year >= MARKUP_YEARS[0] else None}


def _public_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"table_cn_code": row["cn_code"], "description": row["description"],
            "sector": row["sector"], "route": row.get("route"),
            "direct": _number(row["direct"]),
            "indirect": _number(row["indirect"]),
            "indirect_applicable": row["indirect"] != "NA",
            "total": _number(row["total"]),
            "markup": {str(y): _number(row.get(f"markup_{y}")) for y in MARKUP_YEARS},
            "published": {k: row.get(k) for k in ("direct", "indirect", "total", "markup_2026",
                                                  "markup_2027", "markup_2028")}}


# -- the good's tree ----------------------------------------------------------------------


def is_electricity(link: Mapping[str, Any] | None, unit: str | None = None) -> bool:
    """A linked dataset that supplies electricity: 'electricity' in its name and an energy unit
    (the dataset's, else ``unit``, the line's)."""
    if not link or "electricity" not in str(link.get("name") or "").lower():
        return False
    try:
        conversion_factor(str(link.get("unit") or unit or ""), "MWh")
    except UnitError:
        return False
    return True


@dataclass
class _Node:
    line: Mapping[str, Any]
    children: list[_Node]
    amount: float = 0.0  # canonical units per unit of product
    unit: str = ""

    @property
    def line_id(self) -> str:
        return str(self.line["line_id"])

    def mass_kg(self) -> float | None:
        """Mass per unit of product; None when neither unit nor mass_kg nor children tell."""
        if self.unit == "kg":
            return self.amount
        if self.line.get("mass_kg"):
            return self.amount * float(self.line["mass_kg"])
        if self.children:
            masses = [c.mass_kg() for c in self.children]
            known = [m for m in masses if m is not None]
            return sum(known) if known else None
        return None


def _tree(lines: Sequence[Mapping[str, Any]]) -> tuple[list[_Node], dict[str, _Node]]:
    nodes = {str(line["line_id"]): _Node(line, []) for line in lines}
    roots: list[_Node] = []
    for line in lines:
        node = nodes[str(line["line_id"])]
        parent = line.get("parent_line_id")
        (nodes[str(parent)].children if parent else roots).append(node)

    stack = [(n, 1.0) for n in roots]
    while stack:
        node, multiplier = stack.pop()
        try:
            amount, unit = to_canonical(float(node.line["quantity"]), str(node.line["unit"]))
        except (UnitError, TypeError, ValueError):
            amount, unit = float("nan"), ""
        node.amount, node.unit = amount * multiplier, unit
        stack.extend((c, node.amount) for c in node.children)
    return roots, nodes


def _product_mass_kg(product: Mapping[str, Any]) -> float | None:
    try:
        amount, unit = to_canonical(1.0, str(product.get("unit") or "piece"))
    except UnitError:
        return None
    return amount if unit == "kg" else None


# -- embedded emissions -------------------------------------------------------------------


def _t(kg: float, mass_kg: float) -> float:
    """kg CO2e (or MWh x 1000) per unit of product over kg of good: t per t."""
    return kg / mass_kg


def _round(value: float | None, digits: int = 6) -> float | None:
    return None if value is None or not math.isfinite(value) else round(value, digits)


def embedded_emissions(*, result: Mapping[str, Any], lines: Sequence[Mapping[str, Any]],
                       leaves: Sequence[Mapping[str, Any]], product: Mapping[str, Any],
                       installation: str, country: str | None, cn_code: str | None = None,
                       route: str | None = None, mass_kg: float | None = None,
                       year: int = 2026) -> dict[str, Any]:
    """The CBAM communication data of one good (see module docstring and docs/cbam.md).

    ``result``: the stored footprint result (per unit of product); ``lines``: the BOM
    revision's lines (line_id, parent_line_id, quantity, unit, mass_kg, cn_code, ...);
    ``leaves``: its explosion (line_id, path); ``product``: part_number, name, unit.
    """
    if "lines" not in result:
        raise CbamError("the footprint has no per-line results (status "
                        f"{result.get('status')!r}); CBAM data needs a computed footprint")
    roots, nodes = _tree(lines)

    good_root: _Node | None = None
    if cn_code is None:
        with_cn = [r for r in roots if r.line.get("cn_code")]
        if len(roots) == 1 and with_cn:
            good_root = roots[0]
            cn_code = str(good_root.line["cn_code"])
        else:
            raise CbamError("the good's CN code is unknown: give cn_code, or make the BOM one "
                            "top-level line (the good) that carries its CN code")
    else:
        if len(roots) == 1 and roots[0].line.get("cn_code") and normalize_cn(
                str(roots[0].line["cn_code"])) == normalize_cn(cn_code):
            good_root = roots[0]
    cn = normalize_cn(cn_code)
    warnings: list[str] = []
    if not is_cbam_good(cn):
        warnings.append(f"{cn} is not a CBAM good (Annex I to Regulation (EU) 2023/956)")

    if mass_kg is not None:
        good_mass, mass_basis = float(mass_kg), "given (mass_kg)"
    elif (unit_mass := _product_mass_kg(product)) is not None:
        good_mass, mass_basis = unit_mass, f"product unit {product.get('unit')}"
    else:
        masses = [m for m in ([good_root.mass_kg()] if good_root else
                              [r.mass_kg() for r in roots]) if m is not None]
        good_mass, mass_basis = sum(masses), "BOM (lines in kg, or pieces x mass_kg)"
    if not (good_mass > 0 and math.isfinite(good_mass)):
        raise CbamError("the mass of the good is unknown: give mass_kg, use a mass unit for the "
                        "product, or give BOM lines in kg or with mass_kg")

    path_by_line = {str(leaf["line_id"]): [str(p) for p in leaf.get("path") or [leaf["line_id"]]]
                    for leaf in leaves}
    excluded_ids = {good_root.line_id} if good_root else set()

    def precursor_of(line_id: str) -> _Node | None:
        for ancestor in path_by_line.get(line_id, [line_id]):
            if ancestor in excluded_ids:
                continue
            node = nodes.get(ancestor)
            if node is not None and is_cbam_good(node.line.get("cn_code")):
                return node
        return None

    acc = {"direct": 0.0, "indirect": 0.0, "electricity_mwh": 0.0}
    per_precursor: dict[str, dict[str, float]] = {}
    excluded: dict[str, float] = {}
    unlinked: list[str] = []
    no_stage: list[str] = []
    line_rows: list[dict[str, Any]] = []
    for line in result["lines"]:
        line_id = str(line["line_id"])
        values = line.get("values")
        value = None if values is None else values.get(GHG_INDICATOR)
        if value is None:
            unlinked.append(line_id)
            continue
        link = line.get("link")
        energy_unit = (link or {}).get("unit") or line.get("unit")
        electric = is_electricity(link, energy_unit)
        mwh = float(line["amount"]) * conversion_factor(energy_unit, "MWh") if electric else 0.0
        stage = line.get("stage")
        precursor = precursor_of(line_id)
        if precursor is not None:
            bucket = per_precursor.setdefault(precursor.line_id,
                                              {"direct": 0.0, "indirect": 0.0,
                                               "electricity_mwh": 0.0})
            role = f"precursor {precursor.line_id}"
        elif stage in EXCLUDED_STAGES:
            excluded[stage] = excluded.get(stage, 0.0) + value
            line_rows.append({"line_id": line_id, "role": f"excluded: {stage}",
                              "kg_co2e": value})
            continue
        elif stage == "raw_materials":
            excluded["raw_materials_not_precursor"] = (
                excluded.get("raw_materials_not_precursor", 0.0) + value)
            line_rows.append({"line_id": line_id,
                              "role": "excluded: raw material that is not a CBAM precursor",
                              "kg_co2e": value})
            continue
        else:
            bucket, role = acc, "installation"
            if stage is None:
                no_stage.append(line_id)
        kind = "indirect" if electric else "direct"
        bucket[kind] += value
        bucket["electricity_mwh"] += mwh
        line_rows.append({"line_id": line_id, "role": f"{role}, {kind}", "kg_co2e": value,
                          "electricity_mwh": mwh or None})
    if no_stage:
        warnings.append(f"{len(no_stage)} line(s) have no life-cycle stage and are counted as "
                        f"the installation's own: {', '.join(no_stage)}")
    if unlinked:
        warnings.append(f"{len(unlinked)} line(s) are not linked and carry no emissions: "
                        f"{', '.join(unlinked)}")

    precursors = []
    for precursor_id, sums in per_precursor.items():
        node = nodes[precursor_id]
        p_mass = node.mass_kg()
        p_cn = normalize_cn(str(node.line["cn_code"]))
        origin = node.line.get("origin") or _leaf_origin(result, precursor_id, path_by_line)
        precursors.append({
            "line_id": precursor_id, "part_number": node.line.get("part_number"),
            "description": node.line.get("description"), "cn_code": p_cn,
            "category": goods_entry(p_cn).get("category"),
            "supplier": node.line.get("supplier"), "origin": origin,
            "mass_kg_per_unit": _round(p_mass),
            "quantity_t_per_t_good": _round(p_mass / good_mass) if p_mass else None,
            "see_direct": _round(_t(sums["direct"], p_mass)) if p_mass else None,
            "see_indirect": _round(_t(sums["indirect"], p_mass)) if p_mass else None,
            "electricity_mwh_per_t": _round(sums["electricity_mwh"] / (p_mass / 1000))
            if p_mass else None,
            "embedded_direct_per_t_good": _round(_t(sums["direct"], good_mass)),
            "embedded_indirect_per_t_good": _round(_t(sums["indirect"], good_mass)),
            "default_value": default_value(p_cn, _iso2(origin), year=year)
            if is_cbam_good(p_cn) else None,
        })

    ee_direct = sum(p["direct"] for p in per_precursor.values())
    ee_indirect = sum(p["indirect"] for p in per_precursor.values())
    see_direct = _t(acc["direct"] + ee_direct, good_mass)
    see_indirect = _t(acc["indirect"] + ee_indirect, good_mass)
    electricity_mwh_per_t = acc["electricity_mwh"] / (good_mass / 1000)
    ef = acc["indirect"] / 1000 / acc["electricity_mwh"] if acc["electricity_mwh"] else None

    default = default_value(cn, country, route=route, year=year)
    comparison = None
    if default["status"] == "found":
        relevant = see_direct + (see_indirect if default["indirect_applicable"] else 0.0)
        comparison = {
            "basis": "direct + indirect" if default["indirect_applicable"] else
                     "direct only (indirect emissions do not count for this good: the default "
                     "shows N/A, Annex II to Regulation (EU) 2023/956)",
            "see_relevant": _round(relevant), "default_total": default["total"],
            "default_with_markup": default["total_with_markup"],
            "difference_to_default": _round(relevant - default["total"]),
            "ratio_to_default": _round(relevant / default["total"]) if default["total"] else None,
            "ratio_to_default_with_markup": _round(relevant / default["total_with_markup"])
            if default["total_with_markup"] else None,
        }

    total_kg = (result.get("totals") or {}).get(GHG_INDICATOR)
    in_see = acc["direct"] + acc["indirect"] + ee_direct + ee_indirect
    goods = goods_entry(cn)
    return {
        "format": "tanji-cbam/1",
        "installation": installation,
        "country_of_origin": (country or "").upper() or None,
        "reporting_year": year,
        "good": {
            "cn_code": cn, "product_name": product.get("name"),
            "part_number": product.get("part_number"), "declared_unit": product.get("unit"),
            "aggregated_goods_category": goods.get("category"), "sector": goods.get("sector"),
            "production_route": route, "mass_kg_per_unit": _round(good_mass),
            "mass_basis": mass_basis,
        },
        "unit": "t CO2e per t of good (electricity: MWh per t; EF: t CO2e per MWh)",
        "see_direct": _round(see_direct), "see_indirect": _round(see_indirect),
        "see_total": _round(see_direct + see_indirect),
        "attributed": {"direct_per_t": _round(_t(acc["direct"], good_mass)),
                       "indirect_per_t": _round(_t(acc["indirect"], good_mass))},
        "precursors_embedded": {"direct_per_t": _round(_t(ee_direct, good_mass)),
                                "indirect_per_t": _round(_t(ee_indirect, good_mass))},
        "electricity_mwh_per_t": _round(electricity_mwh_per_t),
        "electricity_ef_t_co2e_per_mwh": _round(ef),
        "electricity_ef_source": "life-cycle GWP100 of the linked electricity datasets "
                                 "(Tanji footprint), weighted by consumption" if ef else None,
        "precursors": precursors,
        "default_value": default,
        "comparison": comparison,
        "reconciliation": {
            "indicator": GHG_INDICATOR, "total_kg_co2e_per_unit": total_kg,
            "in_see_kg_co2e_per_unit": _round(in_see, 9),
            "excluded_kg_co2e_per_unit": {k: _round(v, 9) for k, v in excluded.items()},
            "unlinked_line_ids": unlinked,
            "total_per_t": _round(_t(total_kg, good_mass)) if total_kg is not None else None,
        },
        "lines": line_rows,
        "warnings": warnings,
        "result_status": result.get("status"),
        "snapshot_hash": result.get("snapshot_hash"),
        "method": "docs/cbam.md: Implementing Regulation (EU) 2023/1773 Annex III; GWP100 "
                  "(IPCC AR6) of all greenhouse gases, not only those listed in Annex I to "
                  "Regulation (EU) 2023/956",
    }


def _iso2(origin: str | None) -> str | None:
    """'CN-TJ' -> 'CN'; None when the origin does not start with two letters."""
    if not origin:
        return None
    head = origin.strip()[:2].upper()
    return head if head.isalpha() and len(head) == 2 else None


def _leaf_origin(result: Mapping[str, Any], line_id: str,
                 path_by_line: Mapping[str, Sequence[str]]) -> str | None:
    for line in result.get("lines") or []:
        if line_id in path_by_line.get(str(line["line_id"]), ()) and line.get("origin"):
            return line["origin"]
    return None


# -- the file -----------------------------------------------------------------------------

PRODUCT_HEADERS = (
    "Row type", "Installation", "Country of origin", "CN code", "Product name",
    "Aggregated goods category", "Production route", "Quantity (t per t of good)",
    "Direct SEE (t CO2e/t)", "Indirect SEE (t CO2e/t)", "Total SEE (t CO2e/t)",
    "Electricity consumption (MWh/t)", "Electricity EF (t CO2e/MWh)", "Source of EF",
    "Default value direct (t CO2e/t)", "Default value indirect (t CO2e/t)",
    "Default value total (t CO2e/t)", "Default value incl. mark-up (t CO2e/t)",
    "Default value table",
)


def _default_cells(default: Mapping[str, Any] | None) -> list[Any]:
    if not default or default.get("status") != "found":
        reason = (default or {}).get("reason") or "no default value"
        return [None, None, None, None, f"none: {reason}"]
    return [default["direct"], default["indirect"], default["total"],
            default["total_with_markup"], default["table"]]


def to_xlsx(data: Mapping[str, Any]) -> bytes:
    """The communication summary as an XLSX workbook (sheets Summary_Products, Lines, Notes)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Summary_Products"
    ws.append(PRODUCT_HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    good = data["good"]
    ws.append(["good", data["installation"], data["country_of_origin"], good["cn_code"],
               good["product_name"], good["aggregated_goods_category"],
               good["production_route"], 1.0, data["see_direct"], data["see_indirect"],
               data["see_total"], data["electricity_mwh_per_t"],
               data["electricity_ef_t_co2e_per_mwh"], data["electricity_ef_source"],
               *_default_cells(data["default_value"])])
    for p in data["precursors"]:
        see_total = (None if p["see_direct"] is None
                     else p["see_direct"] + (p["see_indirect"] or 0.0))
        ws.append(["precursor", data["installation"], _iso2(p["origin"]), p["cn_code"],
                   p["description"], p["category"], None, p["quantity_t_per_t_good"],
                   p["see_direct"], p["see_indirect"], see_total, p["electricity_mwh_per_t"],
                   None, None, *_default_cells(p["default_value"])])
    for column, width in zip("ABCDEFGHIJKLMNOPQRS", (10, 22, 10, 11, 30, 22, 10, *(14,) * 12),
                             strict=True):
        ws.column_dimensions[column].width = width

    lines = wb.create_sheet("Lines")
    lines.append(("Line id", "Role", "kg CO2e per unit of product", "Electricity MWh per unit"))
    for cell in lines[1]:
        cell.font = Font(bold=True)
    for row in data["lines"]:
        lines.append((row["line_id"], row["role"], row["kg_co2e"], row.get("electricity_mwh")))

    notes = wb.create_sheet("Notes")
    notes.append(("Item", "Value"))
    for cell in notes[1]:
        cell.font = Font(bold=True)
    rec = data["reconciliation"]
    for item in (
        ("Format", data["format"]), ("Unit", data["unit"]),
        ("Mass of the good (kg per declared unit)", good["mass_kg_per_unit"]),
        ("Mass basis", good["mass_basis"]), ("Method", data["method"]),
        ("Footprint total (kg CO2e per unit)", rec["total_kg_co2e_per_unit"]),
        ("Counted in SEE (kg CO2e per unit)", rec["in_see_kg_co2e_per_unit"]),
        ("Excluded (kg CO2e per unit)", json.dumps(rec["excluded_kg_co2e_per_unit"])),
        ("Snapshot", data["snapshot_hash"]),
        ("Default values", f"{DATA_SOURCE['regulation']}; {DATA_SOURCE['package']}; "
                           f"{DATA_SOURCE['caveat']}"),
        *(("Warning", w) for w in data["warnings"]),
        *(("Default value note", n) for n in (data["default_value"].get("notes") or [])),
    ):
        notes.append(item)
    notes.column_dimensions["A"].width = 40
    notes.column_dimensions["B"].width = 100
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
