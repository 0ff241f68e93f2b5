"""Regenerate ``fedefl_biosphere3.csv`` from the vendored US LCI file and biosphere3 3.9.

Run inside a Brightway project that has biosphere3 (bw2io's
``create_default_biosphere3()``, ecoinvent 3.9 elementary flows)::

    BRIGHTWAY2_DIR=/tmp/bw python -m connectors.data.build_fedefl_biosphere3 [glad.csv]

The rules, in order, each recorded in the row's ``source`` column:

1. curated correspondences (greenhouse gases without fossil/biogenic split,
   particulates, VOC, water, land, renewable energy; see ``CURATED``),
2. the same name in biosphere3 3.9 (case-insensitive), with the same CAS
   number where both carry one,
3. bw2io's ecoinvent 2 -> 3 rename list (``biosphere-2-3.json``),
4. ionic / oxidation-state spelling (FEDEFL "Chromium(III)" -> "Chromium III",
   an element emitted -> its ecoinvent "ion" flow),
5. the same CAS number, when exactly one biosphere3 name in the compartment has it.

The target subcompartment is the one the FEDEFL context implies when
biosphere3 has the flow there, else the unspecified compartment, else any.
Units must agree; the only conversion is water kg -> m3 (density, see below).
Keys that find no target get a row with an empty target and the reason.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from connectors.biosphere_extension import (
    EXTENSION_FLOWS,
    HFC_143,
    HFC_245FA,
    NITROGEN_DIOXIDE,
    PM10_TOTAL,
)
from connectors.ecospold1 import parse_ecospold1_zip
from connectors.fedefl import MAPPING_COLUMNS, FlowKey, flow_key, target_compartment

HERE = Path(__file__).parent
USLCI_ZIP = HERE / "uslci" / "uslci_fy21q3_ecospold1.zip"
OUTPUT = HERE / "fedefl_biosphere3.csv"

UNIT_NAMES = {
    "kg": "kilogram",
    "m3": "cubic meter",
    "MJ": "megajoule",
    "kBq": "kilo Becquerel",
    "m2": "square meter",
    "m2*a": "square meter-year",
    "m3*a": "cubic meter-year",
}

WATER_DENSITY_SOURCE = (
    "water kg -> m3 at 1000 kg/m3 (density of water, 999.97 kg/m3 at 4 °C, "
    "Tanaka et al. 2001 Metrologia 38:301; error < 0.3% from 0-40 °C)"
)

GWP_NO_SPLIT = (
    "curated: FEDEFL has no fossil/biogenic split in US LCI fy21; read as fossil "
    "(docs/data/uslci.md); same CAS per biosphere3 3.9"
)

# FEDEFL name -> biosphere3 name (or an extension key), per target compartment ("*" = any).
CURATED: dict[tuple[str, str], tuple[str | tuple[str, str], str]] = {
    ("Carbon dioxide", "air"): ("Carbon dioxide, fossil", GWP_NO_SPLIT),
    ("Carbon dioxide", "natural resource"): (
        "Carbon dioxide, in air",
        "curated: CO2 taken from air (uptake); same CAS per biosphere3 3.9",
    ),
    ("Methane", "air"): ("Methane, fossil", GWP_NO_SPLIT),
    ("Carbon monoxide", "air"): ("Carbon monoxide, fossil", GWP_NO_SPLIT),
    ("Nitrous oxide", "air"): (
        "Dinitrogen monoxide",
        "curated: synonym, same CAS 10024-97-2 per biosphere3 3.9",
    ),
    ("Particulate matter, ≤ 2.5μm", "air"): (
        "Particulate Matter, < 2.5 um",
        "curated: same size class (PM2.5) per biosphere3 3.9; checked against GLAD ei3.6->FEDEFL",
    ),
    ("Particulate matter, > 2.5μm and ≤ 10μm", "air"): (
        "Particulate Matter, > 2.5 um and < 10um",
        "curated: same size class (PM2.5-10) per biosphere3 3.9; checked against GLAD",
    ),
    ("Particulate matter, > 10μm", "air"): (
        "Particulate Matter, > 10 um",
        "curated: same size class (> PM10) per biosphere3 3.9; checked against GLAD",
    ),
    ("Particulate matter, ≤ 10μm", "air"): (
        PM10_TOTAL,
        "extension: PM10 total has no biosphere3 counterpart (connectors/biosphere_extension.py)",
    ),
    ("Nitrogen dioxide", "air"): (
        NITROGEN_DIOXIDE,
        "extension: NO2 to air has no biosphere3 counterpart (connectors/biosphere_extension.py)",
    ),
    ("HFC-245fa", "air"): (
        HFC_245FA,
        "extension: greenhouse gas (IPCC AR6 GWP100 962) without biosphere3 3.9 counterpart",
    ),
    ("HFC-143", "air"): (
        HFC_143,
        "extension: greenhouse gas (IPCC AR6 GWP100 364) without biosphere3 3.9 counterpart",
    ),
    ("Volatile organic compounds", "*"): (
        "VOC, volatile organic compounds",
        "curated: same definition (VOC, total) per biosphere3 3.9",
    ),
    ("Hydrocarbons", "*"): (
        "Hydrocarbons, unspecified",
        "curated: FEDEFL unspecified hydrocarbons = biosphere3 'Hydrocarbons, unspecified'",
    ),
    ("Aromatic hydrocarbons", "*"): ("Hydrocarbons, aromatic", "curated: synonym"),
    ("Biological Oxygen Demand", "water"): ("BOD5, Biological Oxygen Demand", "curated: synonym"),
    ("Chemical Oxygen Demand", "water"): ("COD, Chemical Oxygen Demand", "curated: synonym"),
    ("Total Organic Carbon", "water"): (
        "TOC, Total Organic Carbon",
        "curated: synonym",
    ),
    ("Dissolved Organic Carbon", "water"): ("DOC, Dissolved Organic Carbon", "curated: synonym"),
    ("Suspended solids, inorganic", "water"): (
        "Solids, inorganic",
        "curated: inorganic solids to water per biosphere3 3.9",
    ),
    ("Total dissolved solids", "water"): ("Dissolved solids", "curated: synonym"),
    ("Adsorbable organic halides", "water"): (
        "AOX, Adsorbable Organic Halogen",
        "curated: synonym",
    ),
    ("Polycyclic aromatic hydrocarbons", "*"): (
        "PAH, polycyclic aromatic hydrocarbons",
        "curated: synonym",
    ),
    ("Energy, heat", "*"): (
        "Heat, waste",
        "curated: FEDEFL waste heat released = biosphere3 'Heat, waste' (MJ)",
    ),
    ("Oils, unspecified", "*"): ("Oils, unspecified", "same name per biosphere3 3.9"),
    ("Water", "water"): ("Water", "same name per biosphere3 3.9 (emission of water)"),
    ("Water", "air"): ("Water", "same name per biosphere3 3.9 (emission of water)"),
    ("Water", "natural resource"): (
        "Water, unspecified natural origin",
        "curated: FEDEFL resource water, origin unspecified",
    ),
    ("Water, fresh", "natural resource"): (
        "Water, unspecified natural origin",
        "curated: fresh water, origin unspecified",
    ),
    ("Water, saline", "natural resource"): ("Water, salt, ocean", "curated: saline water"),
    ("Energy, hydro", "natural resource"): (
        "Energy, potential (in hydropower reservoir), converted",
        "curated: same quantity (MJ converted)",
    ),
    ("Energy, wind", "natural resource"): (
        "Energy, kinetic (in wind), converted",
        "curated: same quantity (MJ converted)",
    ),
    ("Energy, solar", "natural resource"): (
        "Energy, solar, converted",
        "curated: same quantity (MJ converted)",
    ),
    ("Energy, geothermal", "natural resource"): (
        "Energy, geothermal, converted",
        "curated: same quantity (MJ converted)",
    ),
    ("Wood", "natural resource"): (
        "Energy, gross calorific value, in biomass",
        "curated: biomass energy (MJ)",
    ),
    ("Biomass", "natural resource"): (
        "Energy, gross calorific value, in biomass",
        "curated: biomass energy (MJ)",
    ),
    ("Sulfur oxides", "air"): ("Sulfur oxides", "same name per biosphere3 3.9"),
    ("Hydrochloric acid", "air"): (
        "Hydrogen chloride",
        "curated: same substance, CAS 7647-01-0",
    ),
    ("Hydrofluoric acid", "air"): ("Hydrogen fluoride", "curated: same substance, CAS 7664-39-3"),
    ("Chromium", "air"): ("Chromium III", "curated: total Cr as Cr(III); Cr(VI) reported apart"),
    ("Chromium", "water"): ("Chromium III", "curated: total Cr as Cr(III); Cr(VI) reported apart"),
    ("Chromium", "soil"): ("Chromium III", "curated: total Cr as Cr(III); Cr(VI) reported apart"),
}

# FEDEFL fresh-water withdrawals by context -> ecoinvent water resource flow.
FRESH_WATER = {
    ("fresh water body", "river"): "Water, river",
    ("fresh water body", "lake"): "Water, lake",
    ("subterranean", "fresh water body"): "Water, well, in ground",
}

# FEDEFL "Land use" (occupation, m2*a) by context -> ecoinvent occupation class.
LAND_USE = {
    ("human-dominated", "agricultural"): "Occupation, arable land, unspecified use",
    ("human-dominated", "industrial"): "Occupation, industrial area",
    ("human-dominated", "commercial"): "Occupation, urban, discontinuously built",
    ("human-dominated", "urban"): "Occupation, urban, continuously built",
    ("terrestrial", "forest"): "Occupation, forest, unspecified",
    ("terrestrial", "shrubland"): "Occupation, shrub land, sclerophyllous",
    ("terrestrial", "grassland"): "Occupation, grassland, natural (non-use)",
    ("resource", "ground"): "Occupation, unspecified",
    ("ground", "human-dominated"): "Occupation, unspecified",
}


def _normal_cas(cas: str | None) -> str | None:
    if not cas or not re.search(r"\d", cas):
        return None
    return cas.strip().lstrip("0") or None


SPELLING = {"Aluminum": "Aluminium"}
OXIDATION_STATES = ("I", "II", "III", "IV", "V", "VI")


def _variants(name: str) -> list[list[str]]:
    """Ionic spellings, in groups: 'Chromium(III)' -> 'Chromium III'; 'Copper' -> 'Copper ion'.

    Within a group, a spelling is used only if it is the only one biosphere3 has.
    """
    found = re.fullmatch(r"(.+?)\s*\(([IVX]+)\)", name)
    if found:
        base = SPELLING.get(found[1], found[1])
        return [[f"{base} {found[2]}"], [f"{base} ion"]]
    base = SPELLING.get(name, name)
    return [[base], [f"{base} ion"], [f"{base} {state}" for state in OXIDATION_STATES]]


def _pick(
    flows: list[dict[str, Any]], compartment: str, sub: str | None, unit: str
) -> dict[str, Any] | None:
    here = [f for f in flows if f["categories"][0] == compartment]
    if not here:
        return None
    same_unit = [f for f in here if f["unit"] == unit]
    candidates = same_unit or here
    for wanted in ((compartment, sub), (compartment,)):
        for flow in candidates:
            if tuple(flow["categories"]) == wanted:
                return flow
    return sorted(candidates, key=lambda f: f["categories"])[0]


def build_rows(
    keys: Counter[FlowKey], cas_by_key: dict[FlowKey, str | None], biosphere: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """One mapping row per FEDEFL key, targets resolved against biosphere3 flows."""
    by_name: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_cas: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for flow in biosphere:
        by_name[flow["name"].lower()].append(flow)
        cas = _normal_cas(flow.get("CAS number"))
        if cas:
            by_cas[cas].append(flow)
    renames = json.loads(
        (Path(__import__("bw2io").__file__).parent / "data" / "biosphere-2-3.json").read_text()
    )
    rename = {(top, old.lower()): new for top, old, new in renames}

    rows = []
    for key, count in sorted(keys.items(), key=lambda kv: (kv[0].name, kv[0].category)):
        row: dict[str, Any] = {
            "fedefl_name": key.name,
            "fedefl_category": key.category,
            "fedefl_subcategory": key.subcategory,
            "direction": key.direction,
            "fedefl_unit": key.unit,
            "target_database": "",
            "target_code": "",
            "target_name": "",
            "target_categories": "",
            "target_unit": "",
            "conversion_factor": "",
            "source": "",
            "fedefl_cas": cas_by_key.get(key) or "",
            "uslci_exchanges": count,
        }
        rows.append(row)
        compartment = target_compartment(key)
        if compartment is None:
            row["source"] = "not linked: FEDEFL context has no biosphere3 compartment"
            continue
        top, sub = compartment
        unit = UNIT_NAMES.get(key.unit, key.unit)
        flow: dict[str, Any] | None = None
        source = ""
        sign = 1.0
        uptake = key.direction == "input" and top != "natural resource"
        if uptake and key.name == "Carbon dioxide":
            top, sub = "natural resource", "in air"
        elif uptake:
            sign = -1.0
        curated = CURATED.get((key.name, top)) or CURATED.get((key.name, "*"))
        if key.name in ("Water, fresh", "Water") and top == "natural resource":
            water = FRESH_WATER.get((key.category, key.subcategory))
            if water is not None:
                curated = (water, "curated: FEDEFL water context -> ecoinvent water origin")
        if key.name == "Land use":
            name = LAND_USE.get((key.category, key.subcategory))
            curated = (name, "curated: FEDEFL land-use context -> ecoinvent occupation class")
            if name is None:
                curated = None
        if key.name.startswith("Transformation, "):
            base = key.name
            for candidate in (
                base,
                base.replace(", used", ", unspecified"),
                re.sub(r",[^,]*$", ", unspecified", base),
                re.sub(r"^(Transformation, (?:from|to) [^,]+).*$", r"\1, unspecified", base),
                "Transformation, from unspecified"
                if base.startswith("Transformation, from")
                else "Transformation, to unspecified",
            ):
                if candidate.lower() in by_name:
                    curated = (
                        candidate,
                        "same name per biosphere3 3.9"
                        if candidate == base
                        else "curated: FEDEFL land class -> nearest ecoinvent class "
                        "(unspecified intensity)",
                    )
                    break
        if curated is not None:
            target, source = curated
            if isinstance(target, tuple):
                row.update(
                    target_database=target[0],
                    target_code=target[1],
                    target_name=EXTENSION_FLOWS[target]["name"],
                    target_categories="::".join(EXTENSION_FLOWS[target]["categories"]),
                    target_unit=EXTENSION_FLOWS[target]["unit"],
                    conversion_factor=1.0,
                    source=source,
                )
                if key.unit != "kg":
                    row.update(target_database="", target_code="", source="not linked: unit")
                continue
            flow = _pick(by_name.get(target.lower(), []), top, sub, unit)
        if flow is None:
            flow = _pick(by_name.get(key.name.lower(), []), top, sub, unit)
            cas = _normal_cas(cas_by_key.get(key))
            if flow is not None:
                flow_cas = _normal_cas(flow.get("CAS number"))
                if cas and flow_cas and cas != flow_cas:
                    source = (
                        f"same name per biosphere3 3.9 (CAS differs: FEDEFL {cas}, "
                        f"biosphere3 {flow_cas})"
                    )
                else:
                    source = (
                        "same name"
                        + (" + CAS" if cas and flow_cas else "")
                        + (" per biosphere3 3.9")
                    )
        if flow is None and (top, key.name.lower()) in rename:
            flow = _pick(by_name.get(rename[(top, key.name.lower())].lower(), []), top, sub, unit)
            source = "bw2io ecoinvent 2->3 rename (biosphere-2-3.json), per biosphere3 3.9"
        if flow is None and top != "natural resource":
            for group in _variants(key.name):
                found = [
                    (variant, hit)
                    for variant in group
                    if (hit := _pick(by_name.get(variant.lower(), []), top, sub, unit))
                ]
                if len(found) == 1:
                    variant, flow = found[0]
                    source = (
                        f"spelling '{variant}' per biosphere3 3.9 "
                        "(ecoinvent names emitted metals by ion / oxidation state)"
                    )
                    break
        if flow is None:
            cas = _normal_cas(cas_by_key.get(key))
            if cas:
                here = [f for f in by_cas.get(cas, []) if f["categories"][0] == top]
                names = {f["name"] for f in here}
                if len(names) == 1:
                    flow = _pick(here, top, sub, unit)
                    source = f"same CAS {cas} per biosphere3 3.9 (name differs)"
        if flow is None:
            row["source"] = f"not linked: no biosphere3 flow by name or CAS in '{top}'"
            continue
        factor = 1.0
        if flow["unit"] != unit:
            if key.unit == "Bq" and flow["unit"] == "kilo Becquerel":
                factor = 0.001
                source += "; Bq -> kBq (SI prefix, exact)"
            elif (
                key.unit == "kg" and flow["unit"] == "cubic meter" and key.name.startswith("Water")
            ):
                factor = 0.001
                source += "; " + WATER_DENSITY_SOURCE
            else:
                row["source"] = (
                    f"not linked: unit {key.unit} vs biosphere3 '{flow['name']}' in "
                    f"{flow['unit']}: no exact conversion (would need a heating value or density)"
                )
                continue
        if sign < 0:
            factor = -factor
            source += "; input of an emission flow read as a negative emission (as published)"
        elif uptake:
            source += "; CO2 written as an input of an emission flow = uptake from air"
        row.update(
            target_database="biosphere3",
            target_code=flow["code"],
            target_name=flow["name"],
            target_categories="::".join(flow["categories"]),
            target_unit=flow["unit"],
            conversion_factor=factor,
            source=source,
        )
    return rows


def glad_check(rows: list[dict[str, Any]], glad_csv: Path, biosphere: list[dict[str, Any]]) -> None:
    """Annotate ``source`` with the GLAD reviewed ecoinvent 3.6 -> FEDEFL 1.0.3 table's verdict.

    The table (UNEP GLAD-ElementaryFlowResources, mapping/ecoinventEFv3.6toFEDEFLv1.0.3.csv
    at commit a0303de) states no license: it is read as a check only, never copied.
    Its ecoinvent flows are looked up in biosphere3 3.9 by UUID (names changed since 3.6).
    """
    name_by_code = {flow["code"]: flow["name"] for flow in biosphere}
    tops = {"air": "air", "water": "water", "ground": "soil"}
    names: dict[tuple[str, str], set[str]] = defaultdict(set)
    with open(glad_csv, newline="", encoding="utf-8") as handle:
        for entry in csv.DictReader(handle):
            context = entry["TargetFlowContext"].split("/")
            if context[0] == "emission" and len(context) > 1:
                top = tops.get(context[1], "?")
            elif context[0] == "resource":
                top = "natural resource"
            else:
                continue
            source_name = name_by_code.get(entry["SourceFlowUUID"], entry["SourceFlowName"])
            names[(entry["TargetFlowName"].lower(), top)].add(source_name)
    for row in rows:
        if row["target_database"] != "biosphere3":
            continue
        top = row["target_categories"].split("::")[0]
        glad = names.get((row["fedefl_name"].lower(), top))
        if glad is None:
            continue
        if row["target_name"] in glad:
            row["source"] += "; agrees with GLAD ei3.6->FEDEFL review"
        else:
            row["source"] += "; GLAD ei3.6->FEDEFL review differs: " + " | ".join(sorted(glad))


def main(glad_csv: Path | None = None) -> None:
    """Write ``fedefl_biosphere3.csv`` for every elementary flow key in the vendored US LCI file.

    With ``glad_csv`` (a local copy of the GLAD review table), each row's source
    also says whether that independent review agrees.
    """
    import bw2data as bd

    datasets = parse_ecospold1_zip(USLCI_ZIP, database_name="uslci")
    keys: Counter[FlowKey] = Counter()
    cas_by_key: dict[FlowKey, str | None] = {}
    for dataset in datasets:
        for exchange in dataset["exchanges"]:
            elementary = exchange["type"] == "biosphere" or (
                exchange["type"] == "technosphere"
                and exchange.get("categories", ("",))[0] == "Ecosystem Services"
            )
            if elementary:
                key = flow_key(exchange)
                if exchange["type"] == "technosphere":
                    key = FlowKey(key.name, key.category, key.subcategory, "input", key.unit)
                keys[key] += 1
                cas_by_key.setdefault(key, exchange.get("CAS number"))
    biosphere = [
        {
            "name": node["name"],
            "categories": tuple(node["categories"]),
            "unit": node["unit"],
            "code": node["code"],
            "CAS number": node.get("CAS number"),
        }
        for node in bd.Database("biosphere3")
    ]
    rows = build_rows(keys, cas_by_key, biosphere)
    if glad_csv is not None:
        glad_check(rows, glad_csv, biosphere)
    with open(OUTPUT, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=[*MAPPING_COLUMNS, "fedefl_cas", "uslci_exchanges"]
        )
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    import bw2data as bd

    bd.projects.set_current("fedefl-mapping")
    if "biosphere3" not in bd.databases:
        import bw2io

        bw2io.create_default_biosphere3()
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
