"""FEDEFL elementary flows (as US LCI writes them) -> ecoinvent biosphere3 flows.

An EcoSpold 1 exchange from US LCI names its elementary flow by FEDEFL name,
the last two levels of the FEDEFL context (``category``, ``subCategory``), the
EcoSpold direction (input = from nature, output = to nature) and a unit. The
mapping table ``connectors/data/fedefl_biosphere3.csv`` turns each such key
into a biosphere flow ``(database, code)`` and a conversion factor (amount in
the target's unit = amount x factor). Every row says where the correspondence
comes from (``source``). Rows without a target document a decision not to link.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_MAPPING_PATH",
    "BiosphereTarget",
    "FlowKey",
    "flow_key",
    "load_biosphere_mapping",
    "target_compartment",
]

DEFAULT_MAPPING_PATH = Path(__file__).parent / "data" / "fedefl_biosphere3.csv"

MAPPING_COLUMNS = (
    "fedefl_name",
    "fedefl_category",
    "fedefl_subcategory",
    "direction",
    "fedefl_unit",
    "target_database",
    "target_code",
    "target_name",
    "target_categories",
    "target_unit",
    "conversion_factor",
    "source",
)


@dataclass(frozen=True)
class FlowKey:
    """How an exchange in a US LCI file names its elementary flow."""

    name: str
    category: str
    subcategory: str
    direction: str  # "input" (from nature) or "output" (to nature)
    unit: str


@dataclass(frozen=True)
class BiosphereTarget:
    """A biosphere flow to link to, with the factor from source to target unit."""

    database: str
    code: str
    name: str
    categories: tuple[str, ...]
    unit: str
    conversion_factor: float
    source: str

    @property
    def key(self) -> tuple[str, str]:
        """The bw2data ``(database, code)`` key."""
        return (self.database, self.code)


def flow_key(exchange: Mapping[str, Any]) -> FlowKey:
    """Build the mapping key of a parsed EcoSpold 1 exchange (see ``connectors.ecospold1``)."""
    categories = tuple(exchange.get("categories") or ())
    group = exchange.get("ecospold_group") or ("output", 4)
    return FlowKey(
        name=str(exchange.get("name", "")),
        category=categories[0] if categories else "",
        subcategory=categories[1] if len(categories) > 1 else "",
        direction=group[0],
        unit=str(exchange.get("original unit") or exchange.get("unit") or ""),
    )


# (category, subcategory) of US LCI's FEDEFL contexts -> biosphere3 compartment.
_EMISSION_CONTEXT: dict[tuple[str, str], tuple[str, str | None]] = {
    ("emission", "air"): ("air", None),
    ("air", "troposphere"): ("air", None),
    ("troposphere", "low"): ("air", None),
    ("troposphere", "rural"): ("air", "non-urban air or from high stacks"),
    ("troposphere", "high"): ("air", "non-urban air or from high stacks"),
    ("troposphere", "very high"): ("air", "non-urban air or from high stacks"),
    ("rural", "low"): ("air", "non-urban air or from high stacks"),
    ("troposphere", "urban"): ("air", "urban air close to ground"),
    ("urban", "low"): ("air", "urban air close to ground"),
    ("urban", "ground-level"): ("air", "urban air close to ground"),
    ("air", "stratosphere"): ("air", "lower stratosphere + upper troposphere"),
    ("emission", "water"): ("water", None),
    ("water", "fresh water body"): ("water", "surface water"),
    ("fresh water body", "river"): ("water", "surface water"),
    ("fresh water body", "lake"): ("water", "surface water"),
    ("saline water body", "ocean"): ("water", "ocean"),
    ("water", "saline water body"): ("water", "ocean"),
    ("water", "subterranean"): ("water", "ground-"),
    ("emission", "ground"): ("soil", None),
    ("ground", "subterranean"): ("soil", None),
    ("ground", "human-dominated"): ("soil", None),
    ("human-dominated", "agricultural"): ("soil", "agricultural"),
    ("human-dominated", "industrial"): ("soil", "industrial"),
    ("terrestrial", "forest"): ("soil", "forestry"),
}

_RESOURCE_CONTEXT: dict[tuple[str, str], tuple[str, str | None]] = {
    ("resource", "ground"): ("natural resource", "in ground"),
    ("ground", "subterranean"): ("natural resource", "in ground"),
    ("air", "subterranean"): ("natural resource", "in ground"),
    ("ground", "human-dominated"): ("natural resource", "in ground"),
    ("resource", "water"): ("natural resource", "in water"),
    ("fresh water body", "river"): ("natural resource", "in water"),
    ("fresh water body", "lake"): ("natural resource", "in water"),
    ("water", "fresh water body"): ("natural resource", "in water"),
    ("water", "subterranean"): ("natural resource", "in water"),
    ("subterranean", "fresh water body"): ("natural resource", "in water"),
    ("saline water body", "ocean"): ("natural resource", "in water"),
    ("water", "saline water body"): ("natural resource", "in water"),
    ("resource", "air"): ("natural resource", "in air"),
    ("air", "troposphere"): ("natural resource", "in air"),
    ("resource", "biotic"): ("natural resource", "biotic"),
    ("human-dominated", "agricultural"): ("natural resource", "land"),
    ("human-dominated", "industrial"): ("natural resource", "land"),
    ("human-dominated", "commercial"): ("natural resource", "land"),
    ("human-dominated", "urban"): ("natural resource", "land"),
    ("terrestrial", "forest"): ("natural resource", "land"),
    ("terrestrial", "shrubland"): ("natural resource", "land"),
    ("terrestrial", "grassland"): ("natural resource", "land"),
    ("Ecosystem Services", ""): ("natural resource", "land"),
}


def target_compartment(key: FlowKey) -> tuple[str, str | None] | None:
    """The biosphere3 (compartment, preferred subcompartment) for a FEDEFL context.

    Inputs from nature go to ``natural resource``; outputs to nature to air,
    water or soil. Emission contexts used as inputs (uptake written as an
    input of an emission flow) resolve to the emission compartment; the table
    then decides (e.g. CO2 taken from air -> "Carbon dioxide, in air").
    ``None`` if the context is unknown.
    """
    context = (key.category, key.subcategory)
    if key.direction == "input":
        if context in _RESOURCE_CONTEXT:
            return _RESOURCE_CONTEXT[context]
        return _EMISSION_CONTEXT.get(context)
    return _EMISSION_CONTEXT.get(context)


def load_biosphere_mapping(
    path: str | Path = DEFAULT_MAPPING_PATH,
) -> dict[FlowKey, BiosphereTarget]:
    """Read the FEDEFL -> biosphere mapping table; rows without a target are skipped."""
    mapping: dict[FlowKey, BiosphereTarget] = {}
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if not row.get("target_code"):
                continue
            key = FlowKey(
                name=row["fedefl_name"],
                category=row["fedefl_category"],
                subcategory=row["fedefl_subcategory"],
                direction=row["direction"],
                unit=row["fedefl_unit"],
            )
            mapping[key] = BiosphereTarget(
                database=row["target_database"],
                code=row["target_code"],
                name=row["target_name"],
                categories=tuple(c for c in row["target_categories"].split("::") if c),
                unit=row["target_unit"],
                conversion_factor=float(row["conversion_factor"] or 1.0),
                source=row["source"],
            )
    return mapping
