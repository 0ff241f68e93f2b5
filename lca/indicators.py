"""The indicator set: what Tanji reports for every calculation, and where each number comes from.

Three kinds of indicator:

- ``ghg``: IPCC 2021 (AR6) GWP100, total and its fossil / biogenic / land-use parts. The parts
  are disjoint and add up to the total, factor by factor.
- ``pollutant``: air-pollutant inventories in kg: a named group of elementary flows to air
  (every air sub-compartment), factor 1 = mass (NOx is counted as NO2).
- ``impact``: EF 3.1 midpoints for the same pollutants (acidification, particulate matter
  formation, photochemical ozone formation).

Factors of ``ghg`` and ``impact`` indicators come from the ecoinvent 3.9 LCIA implementation
that bw2io bundles (``bw2io/data/lcia/lcia_39_ecoinvent.zip``), read directly: bw2io's
``create_default_lcia_methods()`` fails on bw2data 4.8.

`characterization_matrix()` turns the set into a sparse (indicators x flows) matrix for any list
of elementary flows. It runs where the snapshot is built; workers read the frozen result.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from lca.errors import UnknownIndicator

FlowKey = tuple[str, str]
"""An elementary flow's key: (database name, code)."""

EXT_DATABASE = "tanji_biosphere_ext"
EXT_PM10_TOTAL: FlowKey = (EXT_DATABASE, "pm10-total")
EXT_NITROGEN_DIOXIDE: FlowKey = (EXT_DATABASE, "nitrogen-dioxide")

# NO reported as NO mass, counted in NOx as NO2: M(NO2) / M(NO).
NO_AS_NO2 = 46.0055 / 30.0061


@dataclass(frozen=True)
class Source:
    """Where an indicator's factors come from."""

    publication: str
    table: str
    year: int


@dataclass(frozen=True)
class Flow:
    """An elementary flow as the characterisation sees it."""

    key: FlowKey
    name: str
    categories: tuple[str, ...]
    id: int | None = None


@dataclass(frozen=True)
class Indicator:
    """One reported indicator.

    ``lcia_method`` names the method in the bundled LCIA file (``ghg``, ``impact``);
    ``member_names`` (flows to air, matched by name) and ``member_keys`` (flows matched by
    key, with their factor) define a ``pollutant`` group. ``alias_by_key`` lets a flow
    outside biosphere3 take the LCIA factor of a biosphere3 flow given as (name, categories).
    """

    id: str
    name: str
    unit: str
    version: str
    source: Source
    kind: str
    lcia_method: tuple[str, str, str] | None = None
    member_names: Mapping[str, float] = field(default_factory=dict)
    member_keys: Mapping[FlowKey, float] = field(default_factory=dict)
    alias_by_key: Mapping[FlowKey, tuple[str, tuple[str, ...]]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as frozen in a snapshot."""
        data = asdict(self)
        data["lcia_method"] = list(self.lcia_method) if self.lcia_method else None
        data["member_names"] = dict(self.member_names)
        data["member_keys"] = [[k[0], k[1], v] for k, v in self.member_keys.items()]
        data["alias_by_key"] = [
            [k[0], k[1], name, list(categories)]
            for k, (name, categories) in self.alias_by_key.items()
        ]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Indicator:
        """Inverse of `to_dict`."""
        return cls(
            id=data["id"],
            name=data["name"],
            unit=data["unit"],
            version=data["version"],
            source=Source(**data["source"]),
            kind=data["kind"],
            lcia_method=tuple(data["lcia_method"]) if data["lcia_method"] else None,
            member_names=dict(data["member_names"]),
            member_keys={(db, code): float(v) for db, code, v in data["member_keys"]},
            alias_by_key={
                (db, code): (name, tuple(categories))
                for db, code, name, categories in data["alias_by_key"]
            },
        )


LCIA_FILE = "lcia_39_ecoinvent.zip"

IPCC_AR6 = Source(
    publication=(
        "IPCC AR6 WG1 Ch.7 (Forster et al. 2021), as implemented in the ecoinvent 3.9 LCIA "
        "implementation (LCIA_Implementation_3.9.xlsx, bundled with bw2io)"
    ),
    table="Table 7.SM.7",
    year=2021,
)
EF_31 = Source(
    publication=(
        "Environmental Footprint reference package 3.1 (European Commission JRC), as "
        "implemented in the ecoinvent 3.9 LCIA implementation (bundled with bw2io)"
    ),
    table="EF 3.1 characterisation factors",
    year=2022,
)
TANJI_INVENTORY = Source(
    publication="Tanji pollutant flow groups over ecoinvent 3.9 elementary flows (docs/engine.md)",
    table="docs/engine.md, section 'Pollutant groups'",
    year=2026,
)

_GWP = "global warming potential (GWP100)"
_NO2_ALIAS = {EXT_NITROGEN_DIOXIDE: ("Nitrogen oxides", ("air",))}
GHG_VERSION = "IPCC-AR6-2021/ecoinvent-3.9-LCIA"
EF_VERSION = "EF-3.1/ecoinvent-3.9-LCIA"
POLLUTANT_VERSION = "tanji-pollutants-1"


def _ghg(id_: str, name: str, category: str) -> Indicator:
    return Indicator(
        id=id_,
        name=name,
        unit="kg CO2-eq",
        version=GHG_VERSION,
        source=IPCC_AR6,
        kind="ghg",
        lcia_method=("IPCC 2021", category, _GWP),
    )


def _pollutant(
    id_: str,
    name: str,
    names: Mapping[str, float],
    keys: Mapping[FlowKey, float] | None = None,
) -> Indicator:
    return Indicator(
        id=id_,
        name=name,
        unit="kg",
        version=POLLUTANT_VERSION,
        source=TANJI_INVENTORY,
        kind="pollutant",
        member_names=dict(names),
        member_keys=dict(keys or {}),
    )


def _ef(id_: str, name: str, unit: str, method: tuple[str, str, str]) -> Indicator:
    return Indicator(
        id=id_,
        name=name,
        unit=unit,
        version=EF_VERSION,
        source=EF_31,
        kind="impact",
        lcia_method=method,
        alias_by_key=_NO2_ALIAS,
    )


_PM25 = "Particulate Matter, < 2.5 um"
_PM25_10 = "Particulate Matter, > 2.5 um and < 10um"

DEFAULT_INDICATORS: tuple[Indicator, ...] = (
    _ghg("gwp100_kg_co2e", "Climate change, GWP100 (IPCC 2021)", "climate change"),
    _ghg("gwp100_fossil_kg_co2e", "Climate change, fossil, GWP100", "climate change: fossil"),
    _ghg("gwp100_biogenic_kg_co2e", "Climate change, biogenic, GWP100", "climate change: biogenic"),
    _ghg("gwp100_luc_kg_co2e", "Climate change, land use, GWP100", "climate change: land use"),
    _pollutant("so2_kg", "Sulfur dioxide (SO2)", {"Sulfur dioxide": 1.0, "Sulfur oxides": 1.0}),
    _pollutant(
        "nox_kg",
        "Nitrogen oxides (NOx, as NO2)",
        {"Nitrogen oxides": 1.0, "Nitric oxide": NO_AS_NO2},
        {EXT_NITROGEN_DIOXIDE: 1.0},
    ),
    _pollutant("pm25_kg", "Particulate matter < 2.5 um (PM2.5)", {_PM25: 1.0}),
    _pollutant(
        "pm10_kg",
        "Particulate matter < 10 um (PM10)",
        {_PM25: 1.0, _PM25_10: 1.0},
        {EXT_PM10_TOTAL: 1.0},
    ),
    _pollutant(
        "nmvoc_kg",
        "Non-methane volatile organic compounds (NMVOC)",
        {
            "NMVOC, non-methane volatile organic compounds": 1.0,
            "VOC, volatile organic compounds": 1.0,
        },
    ),
    _pollutant("nh3_kg", "Ammonia (NH3)", {"Ammonia": 1.0}),
    _pollutant(
        "co_kg",
        "Carbon monoxide (CO)",
        {
            "Carbon monoxide, fossil": 1.0,
            "Carbon monoxide, non-fossil": 1.0,
            "Carbon monoxide, from soil or biomass stock": 1.0,
        },
    ),
    _ef(
        "ef31_acidification_mol_h_eq",
        "Acidification (EF 3.1)",
        "mol H+-eq",
        ("EF v3.1", "acidification", "accumulated exceedance (AE)"),
    ),
    _ef(
        "ef31_particulate_matter_disease_incidence",
        "Particulate matter formation (EF 3.1)",
        "disease incidence",
        ("EF v3.1", "particulate matter formation", "impact on human health"),
    ),
    _ef(
        "ef31_photochemical_ozone_kg_nmvoc_eq",
        "Photochemical ozone formation, human health (EF 3.1)",
        "kg NMVOC-eq",
        (
            "EF v3.1",
            "photochemical oxidant formation: human health",
            "tropospheric ozone concentration increase",
        ),
    ),
)

GHG_PARTS = {
    "total": "gwp100_kg_co2e",
    "fossil": "gwp100_fossil_kg_co2e",
    "biogenic": "gwp100_biogenic_kg_co2e",
    "luc": "gwp100_luc_kg_co2e",
}
"""Which indicator id carries each part of the GHG split."""


def reported_indicators() -> tuple[Indicator, ...]:
    """What a snapshot carries by default: `DEFAULT_INDICATORS` plus the water pollutant
    groups (COD, ammonia nitrogen, total nitrogen, total phosphorus) of
    `lca.pollution_equivalents`, regionalised like the air pollutants."""
    from lca.pollution_equivalents import water_indicators  # it imports this module

    return (*DEFAULT_INDICATORS, *water_indicators())


def get_indicator(
    indicator_id: str, indicators: Iterable[Indicator] = DEFAULT_INDICATORS
) -> Indicator:
    """The indicator with this id; `UnknownIndicator` if there is none."""
    for indicator in indicators:
        if indicator.id == indicator_id:
            return indicator
    raise UnknownIndicator(indicator_id)


def lcia_file_path() -> Path:
    """Path of the LCIA file bundled with bw2io (found without importing bw2io)."""
    import importlib.util

    spec = importlib.util.find_spec("bw2io")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("bw2io is not installed; its bundled LCIA file is needed")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "lcia" / LCIA_FILE


@lru_cache(maxsize=2)
def load_lcia_methods(path: str | None = None) -> dict[tuple[str, str, str], dict[str, Any]]:
    """The bundled ecoinvent 3.9 LCIA methods by name tuple, list keys turned into tuples.

    Each value keeps ``unit``, ``filename`` and ``exchanges`` (``name``, ``categories``,
    ``amount``, ``input`` = (database, code)).
    """
    with zipfile.ZipFile(path or lcia_file_path()) as archive:
        data = json.load(archive.open("data.json"))
    methods = {}
    for method in data:
        for exchange in method["exchanges"]:
            exchange["input"] = tuple(exchange["input"])
            exchange["categories"] = tuple(exchange["categories"])
        methods[tuple(method["name"])] = method
    return methods


def _lcia_factors(
    method: Mapping[str, Any],
) -> tuple[dict[FlowKey, float], dict[tuple[str, tuple[str, ...]], float]]:
    by_key: dict[FlowKey, float] = {}
    by_name: dict[tuple[str, tuple[str, ...]], float] = {}
    for exchange in method["exchanges"]:
        by_key[exchange["input"]] = float(exchange["amount"])
        by_name[(exchange["name"], exchange["categories"])] = float(exchange["amount"])
    return by_key, by_name


def indicator_factors(
    indicator: Indicator, flows: Sequence[Flow], *, lcia_path: str | None = None
) -> np.ndarray:
    """Factor of each flow (dense vector, flow order) for one indicator.

    LCIA factors match by flow key first, then by (name, categories), then through
    ``alias_by_key``. Pollutant groups match flows to air by name, and listed keys exactly.
    """
    factors = np.zeros(len(flows))
    if indicator.lcia_method is not None:
        methods = load_lcia_methods(lcia_path)
        if indicator.lcia_method not in methods:
            raise UnknownIndicator(f"{indicator.id}: no LCIA method {indicator.lcia_method}")
        by_key, by_name = _lcia_factors(methods[indicator.lcia_method])
        for j, flow in enumerate(flows):
            if flow.key in by_key:
                factors[j] = by_key[flow.key]
            elif (flow.name, flow.categories) in by_name:
                factors[j] = by_name[(flow.name, flow.categories)]
            elif flow.key in indicator.alias_by_key:
                factors[j] = by_name.get(indicator.alias_by_key[flow.key], 0.0)
    else:
        for j, flow in enumerate(flows):
            if flow.key in indicator.member_keys:
                factors[j] = indicator.member_keys[flow.key]
            elif flow.categories[:1] == ("air",) and flow.name in indicator.member_names:
                factors[j] = indicator.member_names[flow.name]
    return factors


def characterization_matrix(
    flows: Sequence[Flow],
    indicators: Sequence[Indicator] = DEFAULT_INDICATORS,
    *,
    lcia_path: str | None = None,
) -> sparse.csr_matrix:
    """Characterisation of ``flows`` as a sparse (len(indicators) x len(flows)) matrix.

    Row k holds indicator k's factor for each flow, column j is ``flows[j]``; flows that an
    indicator does not count have no entry.
    """
    rows = [
        sparse.csr_matrix(indicator_factors(indicator, flows, lcia_path=lcia_path))
        for indicator in indicators
    ]
    if not rows:
        return sparse.csr_matrix((0, len(flows)))
    matrix = sparse.vstack(rows, format="csr")
    matrix.eliminate_zeros()
    return matrix
