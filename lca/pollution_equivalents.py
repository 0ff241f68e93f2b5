"""Pollution equivalents (污染当量) and water-pollutant groups.

The Environmental Protection Tax Law of the PRC (2016, in force 1 January 2018) taxes air and
water pollutants by *pollution equivalents*: equivalents = emission (kg) / equivalent value (kg)
(Art. 8), with the equivalent values of Annex 2 《应税污染物和当量值表》 and the tax per
equivalent of Annex 1 (air 1.2-12 CNY, water 1.4-14 CNY), fixed within that range by each
province's people's congress standing committee (Art. 6).

``lca/data/pollution_equivalents.csv`` keeps the values used, each with its Annex 2 section
and row and the address it was read from. Values not found in a citable source are left out
(see docs/cocontrol.md); a pollutant without a value adds nothing to the equivalents.

Water groups (COD, ammonia nitrogen, total nitrogen, total phosphorus) are `Indicator`s of
kind ``pollutant`` whose members are biosphere3 flows to water (every water
sub-compartment), listed by key from the ecoinvent 3.9 elementary-flow list that bw2io ships;
append `water_indicators()` to ``DEFAULT_INDICATORS`` when building a snapshot to get them
(regionalised like the air groups).
"""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lca.indicators import FlowKey, Indicator, Source

DATA_FILE = Path(__file__).parent / "data" / "pollution_equivalents.csv"
AIR = "air"
WATER = "water"

# IUPAC standard atomic weights (abridged, 2021): N 14.007, H 1.008, O 15.999, P 30.974.
_N, _H, _O, _P = 14.007, 1.008, 15.999, 30.974
NH4_AS_N = _N / (_N + 4 * _H)
NH3_AS_N = _N / (_N + 3 * _H)
NO3_AS_N = _N / (_N + 3 * _O)
NO2_AS_N = _N / (_N + 2 * _O)
PO4_AS_P = _P / (_P + 4 * _O)

WATER_VERSION = "tanji-water-1"
TANJI_WATER = Source(
    publication="Tanji water-pollutant flow groups over ecoinvent 3.9 elementary flows "
                "(docs/cocontrol.md)",
    table="docs/cocontrol.md, section 'Water pollutant groups'",
    year=2026,
)

WATER_GROUPS: dict[str, tuple[str, dict[str, float]]] = {
    "cod_kg": ("Chemical oxygen demand (COD, as O2)", {"COD, Chemical Oxygen Demand": 1.0}),
    "nh3n_kg": ("Ammonia nitrogen (NH3-N, as N)",
                {"Ammonium": NH4_AS_N, "Ammonium, ion": NH4_AS_N, "Ammonia": NH3_AS_N}),
    "tn_kg": ("Total nitrogen (TN, as N)",
              {"Nitrogen": 1.0, "Nitrogen, organic bound": 1.0, "Nitrogen, total": 1.0,
               "Ammonium": NH4_AS_N, "Ammonium, ion": NH4_AS_N, "Ammonia": NH3_AS_N,
               "Nitrate": NO3_AS_N, "Nitrite": NO2_AS_N}),
    "tp_kg": ("Total phosphorus (TP, as P)",
              {"Phosphorus": 1.0, "Phosphorus, total": 1.0, "Phosphate": PO4_AS_P}),
}
"""Water group id -> (name, biosphere3 flow name to water -> factor to the group's unit)."""


@dataclass(frozen=True)
class Equivalent:
    """One row of Annex 2 as used here; ``indicator_id`` is empty where no Tanji group maps."""

    medium: str
    annex_section: str
    row: int
    pollutant_zh: str
    pollutant_en: str
    equivalent_kg: float
    indicator_id: str
    source_url: str
    note: str


@lru_cache(maxsize=1)
def equivalents() -> tuple[Equivalent, ...]:
    """The rows of ``lca/data/pollution_equivalents.csv``."""
    with DATA_FILE.open(encoding="utf-8", newline="") as handle:
        return tuple(
            Equivalent(medium=r["medium"], annex_section=r["annex_section"], row=int(r["row"]),
                       pollutant_zh=r["pollutant_zh"], pollutant_en=r["pollutant_en"],
                       equivalent_kg=float(r["equivalent_kg"]), indicator_id=r["tanji_indicator"],
                       source_url=r["source_url"], note=r["note"])
            for r in csv.DictReader(handle))


def weights(medium: str = AIR) -> dict[str, float]:
    """Pollution equivalents per kg of each mapped Tanji indicator (1 / equivalent value)."""
    return {e.indicator_id: 1.0 / e.equivalent_kg for e in equivalents()
            if e.medium == medium and e.indicator_id}


def pollution_equivalents(values_kg: Mapping[str, float], medium: str = AIR) -> float:
    """Σ kg_i / equivalent value_i over the mapped pollutants present in ``values_kg``."""
    return sum(w * float(values_kg.get(i, 0.0) or 0.0) for i, w in weights(medium).items())


def equivalents_by_location(pollutants_by_location: Mapping[str, Mapping[str, float]],
                            medium: str = AIR) -> dict[str, float]:
    """Pollution equivalents per location of emission (pollutant -> location -> kg in)."""
    out: dict[str, float] = {}
    for indicator_id, w in weights(medium).items():
        for location, kg in (pollutants_by_location.get(indicator_id) or {}).items():
            out[location] = out.get(location, 0.0) + w * float(kg or 0.0)
    return dict(sorted(out.items()))


@dataclass(frozen=True)
class ProvinceRate:
    """Tax per pollution equivalent (CNY) a province's standing committee decided.

    ``low``/``high``: the range within the province (cities or zones differ); equal where one
    rate applies everywhere.
    """

    location: str
    name: str
    medium: str
    low_cny: float
    high_cny: float
    decision: str
    source_url: str


PROVINCE_RATES: tuple[ProvinceRate, ...] = (
    ProvinceRate("BJ-CN", "Beijing", AIR, 12.0, 12.0,
                 "北京市人大常委会关于北京市应税大气污染物和水污染物环境保护税适用税额的决定 "
                 "(2017-12-01), item 1",
                 "http://shuijihua.com/bj-fg/2916.html"),
    ProvinceRate("BJ-CN", "Beijing", WATER, 14.0, 14.0, "same decision, item 2",
                 "http://shuijihua.com/bj-fg/2916.html"),
    ProvinceRate("JS-CN", "Jiangsu", AIR, 4.8, 8.4,
                 "江苏省人大常委会关于大气污染物和水污染物环境保护税适用税额的决定 "
                 "(2017-12-02, 公告第67号), item 1: Nanjing 8.4; Wuxi, Changzhou, Suzhou, "
                 "Zhenjiang 6; other cities 4.8",
                 "http://www.jumpstarthappiness.com/tax/32878.html"),
    ProvinceRate("JS-CN", "Jiangsu", WATER, 5.6, 8.4,
                 "same decision, item 2: Nanjing 8.4; Wuxi, Changzhou, Suzhou, Zhenjiang 7; "
                 "other cities 5.6",
                 "http://www.jumpstarthappiness.com/tax/32878.html"),
    ProvinceRate("SC-CN", "Sichuan", AIR, 3.9, 3.9,
                 "四川省人大常委会关于大气污染物和水污染物环境保护税适用税额的决定 (2017-12-01)",
                 "https://zh.m.wikisource.org/zh-hans/四川省人民代表大会常务委员会关于大气污染物"
                 "和水污染物环境保护税适用税额的决定"),
    ProvinceRate("SC-CN", "Sichuan", WATER, 2.8, 2.8, "same decision",
                 "https://zh.m.wikisource.org/zh-hans/四川省人民代表大会常务委员会关于大气污染物"
                 "和水污染物环境保护税适用税额的决定"),
    ProvinceRate("HEB-CN", "Hebei", AIR, 4.8, 9.6,
                 "河北省环境保护税应税大气污染物和水污染物适用税额方案, adopted by the 12th "
                 "Hebei PCSC, 33rd session (2017-12-02): SO2 and NOx 9.6 / 6 / 4.8 by zone, "
                 "other air pollutants 4.8",
                 "http://www.bao228.com/hbhjt/xwzx/meitibobao/101593685543088.html"),
)
"""Only rates found in a citable report of the decision; other provinces are left out."""


def tax_exposure(equivalents_by_loc: Mapping[str, float], medium: str = AIR,
                 rates: Iterable[ProvinceRate] = PROVINCE_RATES) -> dict[str, dict[str, float]]:
    """Tax on the equivalents emitted in each province with a known rate: {low, high} CNY.

    A life-cycle inventory is not a tax base (the tax falls on direct emitters, and only on
    the top three air pollutants per outlet); this is the exposure the supply chain carries.
    """
    by_location = {r.location: r for r in rates if r.medium == medium}
    by_province: dict[str, float] = {}
    for loc, value in equivalents_by_loc.items():
        by_province[province_of(loc)] = by_province.get(province_of(loc), 0.0) + value
    return {loc: {"low_cny": value * by_location[loc].low_cny,
                  "high_cny": value * by_location[loc].high_cny}
            for loc, value in by_province.items() if loc in by_location}


def province_of(location: str) -> str:
    """The province code of a Chinese location as TianGong writes it: a city such as
    ``SZ-JS-CN`` (Suzhou, Jiangsu) belongs to ``JS-CN``; other locations stay as they are."""
    parts = location.split("-")
    if len(parts) >= 3 and parts[-1] == "CN":
        return "-".join(parts[-2:])
    return location


def summary(pollutant_totals: Mapping[str, float],
            pollutants_by_location: Mapping[str, Mapping[str, float]]) -> dict[str, object]:
    """Air and water pollution equivalents of one result, in total and by location where
    emitted, with the environmental-protection-tax exposure where a province rate is known."""
    out: dict[str, object] = {}
    for medium in (AIR, WATER):
        by_location = equivalents_by_location(pollutants_by_location, medium)
        out[medium] = {"total": pollution_equivalents(pollutant_totals, medium),
                       "by_location": by_location,
                       "tax_exposure_cny": tax_exposure(by_location, medium)}
    out["source"] = ("Environmental Protection Tax Law of the PRC (2016), Annex 2; values and "
                     "rows in lca/data/pollution_equivalents.csv")
    return out


_FLOW_LIST = "ecoinvent elementary flows 3.9.xml"


def _bw2io_data(name: str) -> Path:
    import importlib.util

    spec = importlib.util.find_spec("bw2io")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("bw2io is not installed; its elementary-flow list is needed")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "lci" / name


@lru_cache(maxsize=1)
def water_flow_keys() -> dict[str, list[FlowKey]]:
    """biosphere3 keys of every flow to water, by flow name (from bw2io's flow list)."""
    root = ET.parse(_bw2io_data(_FLOW_LIST)).getroot()
    ns = {"e": root.tag.split("}")[0].strip("{")}
    keys: dict[str, list[FlowKey]] = {}
    for exchange in root:
        compartment = exchange.find("e:compartment/e:compartment", ns)
        if compartment is None or compartment.text != "water":
            continue
        name = exchange.find("e:name", ns).text or ""
        keys.setdefault(name, []).append(("biosphere3", exchange.get("id")))
    return keys


def water_indicators() -> tuple[Indicator, ...]:
    """The water groups as pollutant `Indicator`s (members by biosphere3 key)."""
    keys = water_flow_keys()
    indicators = []
    for indicator_id, (name, members) in WATER_GROUPS.items():
        member_keys = {key: factor for flow, factor in members.items()
                       for key in keys.get(flow, [])}
        indicators.append(Indicator(id=indicator_id, name=name, unit="kg",
                                    version=WATER_VERSION, source=TANJI_WATER,
                                    kind="pollutant", member_keys=member_keys))
    return tuple(indicators)
