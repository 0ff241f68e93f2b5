"""EF 3.x elementary flows (as TianGong references them) -> ecoinvent biosphere3 3.9 flows.

TianGong's processes reference elementary flows of the EF 3.x reference package
(and some older ILCD 2008 reference flows) by UUID. The table
``connectors/data/ef3_biosphere3.csv`` turns each referenced flow UUID into a
target flow ``(database, code)`` and a conversion factor (amount in the target's
unit = amount x factor), with a ``source`` saying why. It is built by
`build_rows` (``python -m connectors.ef_biosphere3``) in this order; the first
step that answers wins:

1. ``manual``: decisions written out in ``MANUAL`` below (PM10 total and NO2 to
   our extension flows, flows whose dataset is missing from the release,
   aggregate or ambiguous flows), each with its reason;
2. ``biosphere3 UUID``: TianGong sometimes references an ecoinvent flow directly;
3. ``EF 3.1 -> ecoinvent UUID``: the GLAD-based ecoinvent 3.9.1 <-> EF 3.1
   mapping shipped by the ``randonneur-data`` package, read in reverse; where
   several ecoinvent flows map onto one EF flow, the one in the compartment
   the EF context names is taken;
4. ``name + compartment (+ CAS)``: names compared case-insensitively with
   biosphere3 names and synonyms, after light normalisation ("x (fossil)" ->
   "x, fossil", biogenic -> non-fossil, ", total" dropped, metal emissions to
   water as ions); CAS must agree where both have one;
5. otherwise the row is ``unmatched`` (no target): the import counts such
   exchanges as unlinked.

Rows whose ``source`` starts with ``no counterpart`` carry a documented
decision not to link (the import counts them as ``no_counterpart``).
"""

from __future__ import annotations

import csv
import gzip
import json
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

__all__ = [
    "DEFAULT_MAPPING_PATH",
    "MAPPING_COLUMNS",
    "NO_COUNTERPART",
    "UNMATCHED",
    "ElementaryTarget",
    "build_rows",
    "ef_compartment",
    "load_ef_mapping",
    "read_biosphere3",
    "read_ef31_reverse",
    "referenced_elementary_flows",
    "write_mapping",
]

logger = logging.getLogger(__name__)

DEFAULT_MAPPING_PATH = Path(__file__).parent / "data" / "ef3_biosphere3.csv"
NO_COUNTERPART = "no counterpart"
UNMATCHED = "unmatched"
EXT = "tanji_biosphere_ext"

MAPPING_COLUMNS = (
    "flow_uuid",
    "flow_name",
    "flow_categories",
    "flow_cas",
    "flow_unit",
    "flow_dataset",
    "exchanges",
    "target_database",
    "target_code",
    "target_name",
    "target_categories",
    "target_unit",
    "conversion_factor",
    "source",
)


@dataclass(frozen=True)
class ElementaryTarget:
    """Where one TianGong elementary flow goes, or why it goes nowhere."""

    flow_uuid: str
    database: str
    code: str
    name: str
    categories: tuple[str, ...]
    unit: str
    conversion_factor: float
    source: str

    @property
    def key(self) -> tuple[str, str] | None:
        """The bw2data ``(database, code)`` key, or None for a row without target."""
        return (self.database, self.code) if self.code else None

    @property
    def link_class(self) -> str:
        """``linked``, ``no_counterpart`` (documented decision) or ``unlinked``."""
        if self.code:
            return "linked"
        return "no_counterpart" if self.source.startswith(NO_COUNTERPART) else "unlinked"


def load_ef_mapping(path: str | Path = DEFAULT_MAPPING_PATH) -> dict[str, ElementaryTarget]:
    """Read the mapping table: TianGong flow UUID -> `ElementaryTarget` (every row)."""
    mapping: dict[str, ElementaryTarget] = {}
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            mapping[row["flow_uuid"]] = ElementaryTarget(
                flow_uuid=row["flow_uuid"],
                database=row["target_database"],
                code=row["target_code"],
                name=row["target_name"],
                categories=tuple(c for c in row["target_categories"].split("::") if c),
                unit=row["target_unit"],
                conversion_factor=float(row["conversion_factor"] or 1.0),
                source=row["source"],
            )
    return mapping


# EF 3.x context (levels 1 and 2 of the elementary flow categorisation) -> biosphere3.
_EF_CONTEXT: dict[str, tuple[str, ...]] = {
    "Emissions to air, unspecified": ("air",),
    "Emissions to air, unspecified (long-term)": ("air", "low population density, long-term"),
    "Emissions to air, indoor": ("air",),
    "Emissions to urban air close to ground": ("air", "urban air close to ground"),
    "Emissions to non-urban air or from high stacks": ("air", "non-urban air or from high stacks"),
    "Emissions to lower stratosphere and upper troposphere": (
        "air", "lower stratosphere + upper troposphere"),
    "Emissions to water, unspecified": ("water",),
    "Emissions to water, unspecified (long-term)": ("water", "ground-, long-term"),
    "Emissions to fresh water": ("water", "surface water"),
    "Emissions to sea water": ("water", "ocean"),
    "Emissions to soil, unspecified": ("soil",),
    "Emissions to agricultural soil": ("soil", "agricultural"),
    "Emissions to non-agricultural soil": ("soil", "industrial"),
}
_EF_TOP: dict[str, tuple[str, ...]] = {
    "Emissions to air": ("air",),
    "Emissions to water": ("water",),
    "Emissions to soil": ("soil",),
    "Resources from ground": ("natural resource", "in ground"),
    "Resources from water": ("natural resource", "in water"),
    "Resources from air": ("natural resource", "in air"),
    "Resources from biosphere": ("natural resource", "biotic"),
    "Land use": ("natural resource", "land"),
}


def ef_compartment(categories: Iterable[str]) -> tuple[str, ...] | None:
    """biosphere3 categories for an EF 3.x / ILCD elementary flow categorisation."""
    levels = list(categories)
    for level in reversed(levels):
        if level in _EF_CONTEXT:
            return _EF_CONTEXT[level]
    for level in levels:
        if level in _EF_TOP:
            return _EF_TOP[level]
    return None


# Manual decisions by TianGong flow UUID: (target name, categories) in biosphere3, or an
# extension key, with factor and reason; or a no-counterpart reason.
_NH4_PER_N = 18.038 / 14.007  # ammonia nitrogen (as N) -> ammonium ion mass
_EXT_PM10 = ("ext", "pm10-total")
_EXT_NO2 = ("ext", "nitrogen-dioxide")
_MISSING = "flow dataset missing from the release; "
_PRODUCT_EMISSION = "typed as product flow but classified 'Emissions' and only ever an output: "
_TSP = ("total suspended particulates; biosphere3 has only size fractions, and putting all of "
        "it in one fraction would misstate PM2.5 / PM10")

MANUAL: dict[str, dict[str, Any]] = {
    # Extension flows (indicators read them by key)
    "08a91e70-3ddc-11dd-91be-0050c2490048": {
        "target": _EXT_PM10, "reason": "PM10 total (all particles <= 10 um, PM2.5 included) has "
        "no biosphere3 flow; extension flow pm10-total"},
    # Greenhouse gases and air pollutants whose flow dataset is missing (old ILCD 2008
    # UUIDs, not in EF 3.1): compartment and origin from the exchange comments and datasets.
    "08a91e70-3ddc-11dd-960e-0050c2490048": {
        "target": ("Methane, fossil", ("air",)), "reason": _MISSING + "ILCD 2008 'methane' to "
        "air (comments, coke and transport datasets): fossil"},
    "fe0acd60-3ddc-11dd-af57-0050c2490048": {
        "target": ("Carbon dioxide, fossil", ("air",)), "reason": _MISSING + "ILCD 2008 "
        "'carbon dioxide' to air ('CO2 (emitted into the air)'): fossil"},
    "fe0acd60-3ddc-11dd-af54-0050c2490048": {
        "target": ("Carbon dioxide, fossil", ("air",)), "reason": _MISSING + "ILCD 2008 "
        "'carbon dioxide' to air: fossil"},
    "08a91e70-3ddc-11dd-9250-0050c2490048": {
        "target": ("Carbon monoxide, fossil", ("air",)), "reason": _MISSING + "ILCD 2008 "
        "'carbon monoxide' to air ('CO (emitted into the air)'): fossil"},
    "08a91e70-3ddc-11dd-9252-0050c2490048": {
        "target": ("Carbon monoxide, fossil", ("air",)), "reason": _MISSING + "ILCD 2008 "
        "'carbon monoxide' to air: fossil"},
    "f3a4125d-88c7-4a75-b21f-3475bf129590": {
        "target": ("Carbon dioxide, fossil", ("air",)), "reason": _MISSING + "'greenhouse gas' "
        "aggregate in kg CO2-eq (aluminium casting): linked as fossil CO2 so its GWP100 is the "
        "published CO2-eq"},
    "NMVOC": {
        "target": ("NMVOC, non-methane volatile organic compounds", ("air",)),
        "reason": _MISSING + "'NMVOC (emitted to air)'"},
    "NMHC": {
        "target": ("NMVOC, non-methane volatile organic compounds", ("air",)),
        "reason": _MISSING + "non-methane hydrocarbons, counted as NMVOC"},
    "6ce44f77-d181-4396-8fa2-2276eeeb4c08": {
        "target": ("Sulfur dioxide", ("air",)), "reason": _MISSING + "'Sulfur dioxide' to air"},
    "4ec70203-13b0-58cc-b4dd-2fcce8a96732": {
        "target": ("VOC, volatile organic compounds", ("air",)),
        "reason": _MISSING + "ecoinvent name, to air"},
    # Water pollutants of the pollution census (NESPS2 '废水' indicators)
    "adace266-38eb-4979-877e-45a826bb798d": {
        "target": ("Ammonium", ("water",)), "factor": _NH4_PER_N,
        "reason": _MISSING + "NESPS2 ammonia nitrogen (NH3-N, as N) in wastewater -> "
        "ammonium ion mass (x 18.038/14.007)"},
    "d8d345e5-5ad7-47c0-9e41-c71ee3c7d4d9": {
        "target": ("Ammonium", ("water",)), "factor": _NH4_PER_N,
        "reason": _MISSING + "ammonia nitrogen (as N) in wastewater -> ammonium ion mass"},
    "Ammonia nitrogen": {
        "target": ("Ammonium", ("water",)), "factor": _NH4_PER_N,
        "reason": _MISSING + "ammonia nitrogen (as N) in wastewater -> ammonium ion mass"},
    "8faa3412-a561-4f94-a167-31006cbecfb7": {
        "target": ("Nitrogen", ("water",)), "reason": _MISSING + "NESPS2 total nitrogen in "
        "wastewater (as N)"},
    "948573a0-a842-4c2d-b765-2559221bf0f3": {
        "target": ("Nitrogen", ("water",)), "reason": _MISSING + "total nitrogen in wastewater"},
    "TN": {"target": ("Nitrogen", ("water",)), "reason": _MISSING + "total nitrogen (TN)"},
    "total phosphorous": {
        "target": ("Phosphorus", ("water",)), "reason": _MISSING + "total phosphorus (TP)"},
    "3844f446-ded5-4727-8421-17a00ef4eba7": {
        "target": ("Suspended solids, unspecified", ("water",)), "reason": _MISSING + "to water"},
    "dc08e010-0bf9-4a36-a1dd-779684c84b3b": {
        "target": ("Suspended solids, unspecified", ("water",)), "reason": _MISSING + "to water"},
    # Emissions that the release types as product flows (classified "Emissions", always
    # outputs): linked as the emissions they are rather than left as by-products.
    "35e30f21-daa2-4e39-9229-2e8c0e13a3a7": {
        "target": ("Nitrogen oxides", ("air",)), "reason": _PRODUCT_EMISSION + "NOx to air"},
    "97bec5db-b0c6-4117-b38a-25a8a33f1b28": {
        "target": ("Ammonium", ("water",)), "factor": _NH4_PER_N,
        "reason": _PRODUCT_EMISSION + "ammonia nitrogen (as N) in wastewater -> ammonium ion "
        "mass"},
    "e57fc631-2c77-457a-aa30-be79e357792b": {
        "target": ("COD, Chemical Oxygen Demand", ("water",)),
        "reason": _PRODUCT_EMISSION + "COD to water"},
    "f31ec7ac-eebf-4bad-8665-a6511dcfa0f1": {
        "target": ("VOC, volatile organic compounds", ("air",)),
        "reason": _PRODUCT_EMISSION + "VOCs to air"},
    "0f15889e-20ac-4912-80a7-23d0309aaefa": {
        "target": ("NMVOC, non-methane volatile organic compounds", ("air",)),
        "reason": _PRODUCT_EMISSION + "NMVOC to air"},
    "a1340a27-01c7-4e5c-a4c0-42658a154501": {"reason": NO_COUNTERPART + ": " + _TSP},
    "435d78a4-6a6d-4637-95a5-059092198678": {"reason": NO_COUNTERPART + ": " + _TSP},
    "2a6c9b60-a075-45ec-b611-c3b4dd255935": {"reason": NO_COUNTERPART + ": 'Dust' (an emission "
                                             "typed as product flow): " + _TSP},
    "14d56ab9-50eb-4f49-9605-d45ce6ba82b1": {
        "reason": NO_COUNTERPART + ": NESPS2 industrial exhaust gas volume (m3, typed as product "
        "flow); the pollutants in it are exchanges of their own"},
    # Resources whose EF flow lacks an ecoinvent match
    "5fdac403-9f2c-4a10-b8d6-5367cc9d2d9b": {
        "target": ("Water, unspecified natural origin", ("natural resource", "in water")),
        "reason": "EF 'freshwater' (renewable resource from water, m3)"},
    "726a7406-294b-4da6-b772-5612b0be0014": {
        "target": ("Carbon dioxide, in air", ("natural resource", "in air")),
        "reason": "EF 'Carbon dioxide (fossil)' as a resource from air: CO2 taken up from air"},
    "e99843b7-e598-447a-ab73-d01f179f0f8c": {
        "target": ("Carbon dioxide, in air", ("natural resource", "in air")),
        "reason": "EF 'carbon dioxide (fossil)' as a resource from air: CO2 taken up from air"},
    # Volumes, not substances
    "72721c4e-d589-4ad7-8c5e-4228b8690ddb": {
        "reason": NO_COUNTERPART + ": NESPS2 industrial wastewater volume; the pollutants in it "
        "(COD, ammonia nitrogen, metals) are exchanges of their own, and the release gives the "
        "volume no unit (flow dataset missing)"},
    # Totals that biosphere3 splits and cannot hold whole
    "b878c6b0-0f6e-4557-b349-2caa76f3100c": {"reason": NO_COUNTERPART + ": " + _TSP},
}

# Name rules for the name step: applied in order, each giving another candidate name.
_NAME_VARIANTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(.*) \((fossil)\)$", re.I), r"\1, fossil"),
    (re.compile(r"^(.*) \((biogenic)\)$", re.I), r"\1, non-fossil"),
    (re.compile(r"^(.*) \(([^)]*)\)$"), r"\1, \2"),
    (re.compile(r"^(.*), total$", re.I), r"\1"),
    (re.compile(r"^(.*)$"), r"\1, ion"),
    (re.compile(r"^(.*)$"), r"\1 ion"),
    (re.compile(r"^(.*)$"), r"\1 I"),
    (re.compile(r"^(.*)$"), r"\1 II"),
    (re.compile(r"^(.*)$"), r"\1 III"),
)
_ION = re.compile(r"(, ion| ion| I| II| III)$")

# (EF name, compartment) -> (biosphere3 name, factor, reason): species that biosphere3
# keeps under another name in that compartment.
_SPECIES: dict[tuple[str, str], tuple[str, float, str]] = {
    ("ammonia", "water"): ("Ammonium", 18.038 / 17.031, "ammonia in water is ammonium "
                           "(NH3 -> NH4+ mass, x 18.038/17.031)"),
    ("ammonium", "air"): ("Ammonia", 17.031 / 18.038, "ammonium to air counted as ammonia "
                          "(NH4+ -> NH3 mass)"),
    ("sulfide", "air"): ("Hydrogen sulfide", 34.08 / 32.06, "sulfide to air is hydrogen "
                         "sulfide (S -> H2S mass)"),
    ("fluoride", "air"): ("Hydrogen fluoride", 20.006 / 18.998, "fluorides to air as "
                          "hydrogen fluoride (F -> HF mass)"),
    ("carbon dioxide (biogenic)", "soil"): ("Carbon dioxide, to soil or biomass stock", 1.0,
                                            "biogenic CO2 to soil is a soil/biomass stock "
                                            "flow in biosphere3"),
    ("fluorine", "water"): ("Fluoride", 1.0, "fluorine in water is fluoride (same F mass)"),
    ("particles (pm0.2 - pm2.5)", "air"): ("Particulate Matter, < 2.5 um", 1.0,
                                           "PM0.2-2.5 is within PM2.5"),
    ("water vapour", "air"): ("Water", 0.001, "water vapour kg -> water m3 (x 0.001)"),
    ("water (evapotranspiration)", "air"): ("Water", 1.0, "evapotranspiration, m3"),
    ("hydrocarbons (unspecified)", "air"): ("Hydrocarbons, unspecified", 1.0,
                                            "biosphere3 keeps it in high-stack air only"),
}
_EF_NAME_AS_ECOINVENT = {
    "particles (pm2.5)": "Particulate Matter, < 2.5 um",
    "particles (pm2.5 - pm10)": "Particulate Matter, > 2.5 um and < 10um",
    "particles (> pm10)": "Particulate Matter, > 10 um",
    "nitrogen oxides": "Nitrogen oxides",
    "sulfur dioxide": "Sulfur dioxide",
    "sulphur dioxide": "Sulfur dioxide",
    "ammonia": "Ammonia",
    "nmvoc, non-methane volatile organic compounds": "NMVOC, non-methane volatile organic "
    "compounds",
    "carbon monoxide": "Carbon monoxide, fossil",
    "carbon dioxide": "Carbon dioxide, fossil",
    "methane": "Methane, fossil",
    "dinitrogen monoxide": "Dinitrogen monoxide",
    "nitrous oxide": "Dinitrogen monoxide",
}


def _cas(text: str | None) -> str:
    return (text or "").strip().lstrip("0")


def read_biosphere3(path: str | Path | None = None) -> list[dict[str, Any]]:
    """The ecoinvent 3.9 elementary flow list bw2io bundles, as biosphere3 holds it.

    Same fields as ``bw2io.create_default_biosphere3()`` writes: code, name,
    categories (``unspecified`` subcompartments dropped), unit (Brightway
    name), CAS number, synonyms.
    """
    from bw2io.units import normalize_units

    if path is None:
        import bw2io

        path = Path(bw2io.__file__).parent / "data" / "lci" / "ecoinvent elementary flows 3.9.xml"
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.parse(str(path), parser).getroot()
    flows = []
    for element in root.iterchildren("{*}elementaryExchange"):
        compartment = element.find("{*}compartment")
        top = compartment.findtext("{*}compartment")
        sub = compartment.findtext("{*}subcompartment")
        categories = (top,) if sub == "unspecified" else (top, sub)
        flows.append({
            "code": element.get("id"),
            "name": element.findtext("{*}name"),
            "categories": categories,
            "unit": normalize_units(element.findtext("{*}unitName")),
            "CAS number": element.get("casNumber") or "",
            "synonyms": [s.text for s in element.iterchildren("{*}synonym") if s.text],
        })
    return flows


def read_ef31_reverse(path: str | Path | None = None) -> dict[str, list[dict[str, Any]]]:
    """EF 3.1 flow UUID -> ecoinvent 3.9.1 flows mapped onto it (randonneur-data, GLAD)."""
    if path is None:
        import randonneur_data

        path = (Path(randonneur_data.__file__).parent / "data"
                / "ecoinvent-3.9.1-biosphere-EF-3.1-biosphere.gz")
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        data = json.load(handle)
    reverse: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for edge in data["replace"]:
        reverse[edge["target"]["uuid"]].append(edge)
    return reverse


@dataclass(frozen=True)
class _Referenced:
    uuid: str
    name: str
    categories: tuple[str, ...]
    cas: str
    unit: str
    has_dataset: bool
    exchanges: int


def _row(flow: _Referenced, target: Mapping[str, Any] | None, factor: float,
         source: str) -> dict[str, Any]:
    return {
        "flow_uuid": flow.uuid,
        "flow_name": flow.name,
        "flow_categories": "::".join(flow.categories),
        "flow_cas": flow.cas,
        "flow_unit": flow.unit,
        "flow_dataset": "yes" if flow.has_dataset else "missing",
        "exchanges": flow.exchanges,
        "target_database": target["database"] if target else "",
        "target_code": target["code"] if target else "",
        "target_name": target["name"] if target else "",
        "target_categories": "::".join(target["categories"]) if target else "",
        "target_unit": target["unit"] if target else "",
        "conversion_factor": repr(float(factor)) if target else "",
        "source": source,
    }


class _Biosphere:
    def __init__(self, flows: list[dict[str, Any]]) -> None:
        self.by_code = {f["code"]: {**f, "database": "biosphere3"} for f in flows}
        self.by_name: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}
        self.by_synonym: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = defaultdict(
            list)
        for flow in self.by_code.values():
            self.by_name[(flow["name"].lower(), flow["categories"])] = flow
            for synonym in flow["synonyms"]:
                self.by_synonym[(synonym.lower(), flow["categories"])].append(flow)

    def named(self, name: str, categories: tuple[str, ...]) -> dict[str, Any] | None:
        flow = self.by_name.get((name.lower(), categories))
        if flow is not None:
            return flow
        found = self.by_synonym.get((name.lower(), categories), [])
        return found[0] if len(found) == 1 else None


def _ext_target(code: str) -> dict[str, Any]:
    from connectors.biosphere_extension import EXTENSION_FLOWS

    flow = EXTENSION_FLOWS[(EXT, code)]
    return {"database": EXT, "code": code, "name": flow["name"],
            "categories": tuple(flow["categories"]), "unit": flow["unit"]}


def _by_species(flow: _Referenced, bio: _Biosphere) -> tuple[dict[str, Any] | None, float, str]:
    compartment = ef_compartment(flow.categories)
    if compartment is None:
        return None, 1.0, ""
    rule = _SPECIES.get((flow.name.lower(), compartment[0]))
    if rule is None:
        return None, 1.0, ""
    name, factor, reason = rule
    same_top = sorted(
        (f for (n, c), f in bio.by_name.items() if n == name.lower() and c[0] == compartment[0]),
        key=lambda f: (f["categories"] != compartment, len(f["categories"])),
    )
    if not same_top:
        return None, 1.0, ""
    target = same_top[0]
    return target, factor, f"species rule: {reason}; in {'/'.join(target['categories'])}"


def _by_name(flow: _Referenced, bio: _Biosphere) -> tuple[dict[str, Any] | None, str]:
    compartment = ef_compartment(flow.categories)
    if compartment is None:
        return None, ""
    fallbacks = [compartment]
    if len(compartment) == 2 and compartment[0] != "natural resource":
        fallbacks.append(compartment[:1])
    names = [flow.name]
    if flow.name.lower() in _EF_NAME_AS_ECOINVENT:
        names.insert(0, _EF_NAME_AS_ECOINVENT[flow.name.lower()])
    for pattern, replacement in _NAME_VARIANTS:
        if pattern.match(flow.name):
            names.append(pattern.sub(replacement, flow.name))
    for categories in fallbacks:
        for name in names:
            target = bio.named(name, categories)
            if target is None or target["unit"] != flow.unit:
                continue
            ion = bool(_ION.search(name)) and not _ION.search(flow.name)
            if (flow.cas and target["CAS number"] and not ion
                    and _cas(flow.cas) != _cas(target["CAS number"])):
                continue
            how = "same name" if name == flow.name else f"name {flow.name!r} read as {name!r}"
            cas = f", CAS {_cas(flow.cas)}" if flow.cas and target["CAS number"] else ""
            return target, f"name + compartment{cas}: {how} in {'/'.join(categories)}"
    return None, ""


def _by_ef_uuid(flow: _Referenced, edges: list[dict[str, Any]],
                bio: _Biosphere) -> tuple[dict[str, Any] | None, float, str]:
    compartment = ef_compartment(flow.categories)
    candidates = []
    for edge in edges:
        target = bio.by_code.get(edge["source"]["uuid"])
        if target is None:
            continue
        candidates.append((target, float(edge["target"].get("unit_scaling") or 1.0)))
    if not candidates:
        return None, 1.0, ""
    exact = [c for c in candidates if c[0]["categories"] == compartment]
    top = [c for c in candidates if compartment and c[0]["categories"] == compartment[:1]]
    chosen = exact or top or sorted(candidates, key=lambda c: (len(c[0]["categories"]),
                                                                c[0]["categories"]))
    target, scaling = chosen[0]
    # The edge's unit_scaling is EF amount per ecoinvent amount.
    factor = 1.0 / scaling if scaling else 1.0
    how = "same compartment" if exact else ("unspecified subcompartment" if top
                                            else "first of several compartments")
    return target, factor, (f"EF 3.1 -> ecoinvent 3.9.1 UUID (randonneur-data, GLAD); "
                            f"{len(candidates)} ecoinvent flow(s), {how}")


def build_rows(
    referenced: Iterable[_Referenced] | Any,
    biosphere3: list[dict[str, Any]],
    ef_reverse: Mapping[str, list[dict[str, Any]]],
) -> list[dict[str, Any]]:
    """One mapping row per referenced elementary flow (see the module docstring)."""
    bio = _Biosphere(biosphere3)
    rows = []
    for flow in referenced:
        manual = MANUAL.get(flow.uuid)
        if manual is None and flow.name.lower() == "nitrogen dioxide" and (
            ef_compartment(flow.categories) or ("",))[0] == "air":
            manual = {"target": _EXT_NO2, "reason": "NO2 to air has no biosphere3 flow "
                      "(biosphere3 has NO2 only to water); extension flow nitrogen-dioxide"}
        if manual is None and flow.name.lower() == "particles (pm10)" and (
            ef_compartment(flow.categories) or ("",))[0] == "air":
            manual = {"target": _EXT_PM10, "reason": "PM10 total to air; extension flow"}
        if manual is not None:
            spec = manual.get("target")
            if spec is None:
                rows.append(_row(flow, None, 1.0, manual["reason"]))
                continue
            if spec[0] == "ext":
                target = _ext_target(spec[1])
            else:
                target = bio.by_name.get((spec[0].lower(), spec[1]))
                if target is None:
                    raise KeyError(f"manual target {spec} not in biosphere3")
            rows.append(_row(flow, target, manual.get("factor", 1.0), "manual: "
                             + manual["reason"]))
            continue
        if flow.uuid in bio.by_code:
            rows.append(_row(flow, bio.by_code[flow.uuid], 1.0,
                             "biosphere3 UUID referenced directly"))
            continue
        target, factor, source = None, 1.0, ""
        if flow.uuid in ef_reverse:
            target, factor, source = _by_ef_uuid(flow, ef_reverse[flow.uuid], bio)
        if target is not None and target["unit"] != flow.unit and factor == 1.0 and flow.unit:
            source += f" (unit {flow.unit} vs {target['unit']}: not linked)"
            target = None
        if target is None and flow.has_dataset:
            target, factor, source = _by_species(flow, bio)
        if target is None and flow.has_dataset:
            target, source = _by_name(flow, bio)
            factor = 1.0
        compartment = ef_compartment(flow.categories) or ("",)
        if target is None and compartment[0] == "natural resource" and flow.unit == "megajoule":
            rows.append(_row(flow, None, 1.0, NO_COUNTERPART + ": energy resource in MJ (net "
                             "calorific value); biosphere3 counts it by mass or volume and the "
                             "factor depends on the deposit; no GHG or pollutant indicator uses "
                             "it"))
            continue
        if target is None:
            reason = (UNMATCHED + ": no biosphere3 flow by UUID, EF 3.1 mapping, name or CAS"
                      + ("" if flow.has_dataset else "; flow dataset missing from the release"))
            rows.append(_row(flow, None, 1.0, reason if not source else f"{UNMATCHED}: {source}"))
            continue
        rows.append(_row(flow, target, factor, source))
    return rows


def referenced_elementary_flows(archive: Any, biosphere3: list[dict[str, Any]],
                                ef_reverse: Mapping[str, Any]) -> list[_Referenced]:
    """Elementary flows TianGong's processes reference: flow datasets typed elementary,
    plus flows without dataset that are biosphere3 / EF 3.1 UUIDs or manual decisions."""
    counts: Counter[str] = Counter()
    names: dict[str, str] = {}
    provided = {e.flow_uuid for p in archive.processes for e in p.reference_exchanges}
    codes = {f["code"] for f in biosphere3}
    for process in archive.processes:
        for exchange in process.exchanges:
            if exchange.is_reference:
                continue
            flow = archive.flows.get(exchange.flow_uuid)
            if flow is not None and not flow.is_elementary and exchange.flow_uuid not in MANUAL:
                continue
            if flow is None and exchange.flow_uuid not in MANUAL and (
                    exchange.flow_uuid in provided or not (
                        exchange.flow_uuid in codes or exchange.flow_uuid in ef_reverse)):
                continue
            counts[exchange.flow_uuid] += 1
            names.setdefault(exchange.flow_uuid, exchange.flow_name)
    referenced = []
    for uuid, count in sorted(counts.items()):
        flow = archive.flows.get(uuid)
        referenced.append(_Referenced(
            uuid=uuid,
            name=flow.name if flow else names[uuid],
            categories=flow.categories if flow else (),
            cas=(flow.cas or "") if flow else "",
            unit=(flow.unit or "") if flow else "",
            has_dataset=flow is not None,
            exchanges=count,
        ))
    return referenced


def write_mapping(rows: list[dict[str, Any]], path: str | Path = DEFAULT_MAPPING_PATH) -> None:
    """Write the mapping rows as CSV (sorted by flow name, then UUID)."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=MAPPING_COLUMNS)
        writer.writeheader()
        for row in sorted(rows, key=lambda r: (r["flow_name"].lower(), r["flow_uuid"])):
            writer.writerow(row)


def main() -> None:  # pragma: no cover - a maintenance script
    """Rebuild ``connectors/data/ef3_biosphere3.csv`` from the vendored TianGong zip."""
    from connectors.ilcd import read_ilcd_zip
    from connectors.tiangong import DEFAULT_ZIP_PATH

    logging.basicConfig(level=logging.INFO)
    archive = read_ilcd_zip(DEFAULT_ZIP_PATH)
    biosphere3 = read_biosphere3()
    ef_reverse = read_ef31_reverse()
    rows = build_rows(referenced_elementary_flows(archive, biosphere3, ef_reverse),
                      biosphere3, ef_reverse)
    write_mapping(rows)
    sources = Counter(r["source"].split(":")[0].split(";")[0] for r in rows)
    logger.info("wrote %s rows: %s", len(rows), dict(sources))


if __name__ == "__main__":  # pragma: no cover
    main()
