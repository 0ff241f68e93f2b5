"""FEDEFL -> biosphere3 mapping table and unit conversion table (no database)."""

from __future__ import annotations

import csv
import json
import math
import re
import zipfile
from pathlib import Path

import pytest

from connectors.biosphere_extension import (
    EXTENSION_DATABASE,
    EXTENSION_FLOWS,
    NITROGEN_DIOXIDE,
    PM10_TOTAL,
)
from connectors.fedefl import (
    DEFAULT_MAPPING_PATH,
    FlowKey,
    flow_key,
    load_biosphere_mapping,
    target_compartment,
)
from connectors.uslci import (
    DEFAULT_UNIT_CONVERSIONS_PATH,
    conversion_factor,
    load_unit_conversions,
)

GHG_NAMES = {
    "Carbon dioxide",
    "Methane",
    "Nitrous oxide",
    "Sulfur hexafluoride",
    "Nitrogen trifluoride",
    "Hexafluoroethane",
    "Tetrafluoromethane",
    "Carbon tetrachloride",
    "Chloroform",
    "Methylene chloride",
}
GHG_PATTERN = r"^(HFC|HCFC|CFC|Halon)[- ]\d"
AIR_CONTEXTS = {
    ("emission", "air"),
    ("troposphere", "rural"),
    ("troposphere", "urban"),
    ("troposphere", "very high"),
    ("air", "stratosphere"),
}


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with open(DEFAULT_MAPPING_PATH, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def gwp100_codes() -> set[str]:
    """biosphere3 codes with an IPCC 2021 GWP100 factor, from bw2io's bundled LCIA data."""
    import bw2io

    path = Path(bw2io.__file__).parent / "data" / "lcia" / "lcia_39_ecoinvent.zip"
    with zipfile.ZipFile(path) as archive:
        methods = json.loads(archive.read("data.json"))
    (method,) = [
        m
        for m in methods
        if m["name"] == ["IPCC 2021", "climate change", "global warming potential (GWP100)"]
    ]
    return {e["input"][1] for e in method["exchanges"]}


def test_every_row_names_its_source(rows: list[dict[str, str]]) -> None:
    assert rows
    assert all(row["source"].strip() for row in rows)
    keys = [
        (
            r["fedefl_name"],
            r["fedefl_category"],
            r["fedefl_subcategory"],
            r["direction"],
            r["fedefl_unit"],
        )
        for r in rows
    ]
    assert len(keys) == len(set(keys))


def test_conversion_factors_are_identity_sign_prefix_or_water_density(rows) -> None:
    factors = {float(r["conversion_factor"]) for r in rows if r["target_code"]}
    assert factors <= {1.0, -1.0, 0.001}
    for row in rows:
        if row["conversion_factor"] == "0.001":
            water = row["fedefl_name"].startswith("Water") and "density" in row["source"]
            becquerel = row["fedefl_unit"] == "Bq" and "SI prefix" in row["source"]
            assert water or becquerel, row


def test_greenhouse_gases_link_to_flows_with_an_ipcc_factor(rows, gwp100_codes) -> None:
    """Named GHGs to air link to a flow with an IPCC 2021 factor (or to the extension,
    for the two HFCs biosphere3 3.9 lacks). Unspecified groups ("Hydrofluorocarbons")
    have no single factor and are documented as having no counterpart."""
    ghg_rows = [
        r
        for r in rows
        if r["direction"] == "output"
        and (r["fedefl_category"], r["fedefl_subcategory"]) in AIR_CONTEXTS
        and (r["fedefl_name"] in GHG_NAMES or re.match(GHG_PATTERN, r["fedefl_name"]))
    ]
    assert {r["fedefl_name"] for r in ghg_rows} >= {
        "Carbon dioxide",
        "Methane",
        "Nitrous oxide",
        "HFC-134a",
        "HFC-245fa",
    }
    extension = {code for _, code in EXTENSION_FLOWS}
    unlinked = [
        r["fedefl_name"] for r in ghg_rows if r["target_code"] not in gwp100_codes | extension
    ]
    assert unlinked == []


def test_plain_carbon_flows_read_as_fossil(rows) -> None:
    targets = {
        r["fedefl_name"]: r["target_name"]
        for r in rows
        if (r["fedefl_category"], r["fedefl_subcategory"]) == ("emission", "air")
        and r["direction"] == "output"
    }
    assert targets["Carbon dioxide"] == "Carbon dioxide, fossil"
    assert targets["Methane"] == "Methane, fossil"
    assert targets["Carbon monoxide"] == "Carbon monoxide, fossil"
    assert targets["Nitrous oxide"] == "Dinitrogen monoxide"


def test_pollutants_without_biosphere3_counterpart_go_to_the_extension() -> None:
    mapping = load_biosphere_mapping()
    pm10 = mapping[FlowKey("Particulate matter, ≤ 10μm", "emission", "air", "output", "kg")]
    no2 = mapping[FlowKey("Nitrogen dioxide", "emission", "air", "output", "kg")]
    assert pm10.key == PM10_TOTAL == (EXTENSION_DATABASE, "pm10-total")
    assert no2.key == NITROGEN_DIOXIDE == ("tanji_biosphere_ext", "nitrogen-dioxide")
    pm25 = mapping[FlowKey("Particulate matter, ≤ 2.5μm", "troposphere", "urban", "output", "kg")]
    assert (pm25.name, pm25.categories) == (
        "Particulate Matter, < 2.5 um",
        ("air", "urban air close to ground"),
    )


@pytest.mark.parametrize(
    "name",
    [
        "Sulfur dioxide",
        "Nitrogen oxides",
        "Ammonia",
        "Volatile organic compounds",
        "Carbon monoxide",
        "Particulate matter, ≤ 2.5μm",
        "Particulate matter, > 2.5μm and ≤ 10μm",
    ],
)
def test_air_pollutants_link(name: str) -> None:
    mapping = load_biosphere_mapping()
    target = mapping[FlowKey(name, "emission", "air", "output", "kg")]
    assert target.database == "biosphere3"
    assert target.categories[0] == "air"


def test_co2_uptake_written_as_emission_input_is_co2_from_air() -> None:
    mapping = load_biosphere_mapping()
    target = mapping[FlowKey("Carbon dioxide", "emission", "air", "input", "kg")]
    assert target.name == "Carbon dioxide, in air"
    assert target.conversion_factor == 1.0


def test_flow_key_and_compartments() -> None:
    exchange = {
        "name": "Methane",
        "categories": ("troposphere", "urban"),
        "ecospold_group": ("output", 4),
        "unit": "kg",
    }
    key = flow_key(exchange)
    assert key == FlowKey("Methane", "troposphere", "urban", "output", "kg")
    assert target_compartment(key) == ("air", "urban air close to ground")
    water = FlowKey("Water", "resource", "water", "input", "m3")
    assert target_compartment(water) == ("natural resource", "in water")
    land = FlowKey("Transformation, from forest, used", "Ecosystem Services", "", "input", "m2")
    assert target_compartment(land) == ("natural resource", "land")
    assert target_compartment(FlowKey("x", "nowhere", "", "output", "kg")) is None


def test_unit_conversions_cite_a_basis_and_are_consistent() -> None:
    with open(DEFAULT_UNIT_CONVERSIONS_PATH, newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    assert all(row["basis"].strip() for row in table)
    for row in table:
        if not row["flow"]:
            assert "density" not in row["basis"]
    conversions = load_unit_conversions()
    assert conversion_factor(conversions, "kWh", "MJ", "Electricity") == 3.6
    assert conversion_factor(conversions, "l", "m3", "Diesel") == 0.001
    assert conversion_factor(conversions, "t*mi", "t*km", "Transport") == 1.609344
    assert conversion_factor(conversions, "m3", "kg", "Diesel") is None
    gas = "Natural gas, production mixture, to energy use"
    assert conversion_factor(conversions, "m3", "kg", gas) == pytest.approx(1 / 1.357)
    for (a, b, flow), factor in conversions.items():
        back = conversions.get((b, a, flow))
        if back is not None:
            assert math.isclose(factor * back, 1.0, rel_tol=1e-12)
