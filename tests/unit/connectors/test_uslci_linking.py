"""US LCI linking rules on small synthetic activities (no database)."""

from __future__ import annotations

import math

import pytest

from connectors.ecospold1 import LOGNORMAL, NORMAL, UNDEFINED
from connectors.import_report import ImportReport
from connectors.uslci import (
    is_biomass_combustion,
    link_technosphere,
    load_unit_conversions,
    scale_exchange,
    split_multi_output,
)


def _activity(name: str, location: str, unit: str, inputs: list[dict]) -> dict:
    return {
        "name": name,
        "reference product": name,
        "location": location,
        "unit": unit,
        "code": f"{name}@{location}",
        "exchanges": [
            {
                "name": name,
                "amount": 1.0,
                "unit": unit,
                "type": "production",
                "ecospold_group": ("output", 0),
            },
            *[
                {"type": "technosphere", "ecospold_group": ("input", 5), "categories": (), **i}
                for i in inputs
            ],
        ],
    }


@pytest.fixture
def activities() -> list[dict]:
    grids = [_activity("Electricity, at grid", loc, "kWh", []) for loc in ("RNA", "RNA", "CN")]
    for index, grid in enumerate(grids):
        grid["code"] += str(index)
    consumer = _activity(
        "Widget",
        "RNA",
        "kg",
        [
            {"name": "Electricity, at grid", "amount": 2.0, "unit": "kWh"},
            {"name": "Electricity, at grid", "amount": 3.0, "unit": "kWh", "location": "CN"},
            {"name": "Diesel", "amount": 1000.0, "unit": "l"},
            {"name": "Steam", "amount": 7.2, "unit": "MJ"},
            {"name": "Unobtainium", "amount": 1.0, "unit": "kg"},
            {
                "name": "Disposal, landfill",
                "amount": 1.0,
                "unit": "kg",
                "categories": ("Technosphere Flows", "CUTOFF Flows"),
            },
            {"name": "Sand", "amount": 1.0, "unit": "m3"},
        ],
    )
    return [
        *grids,
        _activity("Diesel", "RNA", "m3", []),
        _activity("Steam", "US", "kWh", []),
        _activity("Sand", "US", "kg", []),
        _activity("Sheet", "RNA", "kg", [{"name": "Sheet", "amount": 1.0, "unit": "kg"}]),
        consumer,
    ]


def test_linking_rules(activities: list[dict]) -> None:
    classified = link_technosphere(
        activities, database_name="db", conversions=load_unit_conversions()
    )
    consumer = activities[-1]
    linked = {e["name"]: e for e in consumer["exchanges"] if e.get("input")}
    assert linked["Electricity, at grid"]["input"] == ("db", "Electricity, at grid@CN2")
    assert linked["Diesel"]["amount"] == pytest.approx(1.0)  # 1000 l -> 1 m3
    assert linked["Diesel"]["unit"] == "m3"
    assert linked["Steam"]["amount"] == pytest.approx(2.0)  # 7.2 MJ -> 2 kWh
    assert [a["name"] for a in consumer["tanji_ambiguous"]] == ["Electricity, at grid"]
    assert consumer["tanji_ambiguous"][0]["candidates"] == 3
    reasons = {c["name"]: c["reason"] for c in consumer["tanji_cutoff"]}
    assert reasons["Unobtainium"] == "provider not in this release"
    assert reasons["Disposal, landfill"] == "US LCI CUTOFF Flows"
    assert [u["name"] for u in consumer["tanji_unlinked"]] == ["Sand"]  # m3 vs kg: no density
    sheet = next(a for a in activities if a["name"] == "Sheet")
    assert sheet["tanji_cutoff"][0]["reason"].startswith("self-input")
    assert len(classified.records["ambiguous"]) == 1
    assert len(classified.records["linked"]) == 3


def test_split_by_stated_mass_factors() -> None:
    refinery = _activity(
        "Diesel, at refinery", "US", "l", [{"name": "Crude", "amount": 1.0, "unit": "kg"}]
    )
    refinery["exchanges"][0]["comment"] = "Mass (0.25 kg/kg output) used for allocation."
    refinery["exchanges"].append(
        {
            "name": "Gasoline, at refinery",
            "amount": 0.9,
            "unit": "l",
            "type": "production",
            "ecospold_group": ("output", 2),
            "comment": "Mass (0.75 kg/kg output) used for allocation.",
        }
    )
    mill = _activity("Paper", "RNA", "kg", [{"name": "Pulp", "amount": 2.0, "unit": "kg"}])
    mill["exchanges"].append(
        {
            "name": "Tall oil",
            "amount": 0.1,
            "unit": "kg",
            "type": "production",
            "ecospold_group": ("output", 2),
        }
    )
    report = ImportReport(source="s", database="d")
    split = split_multi_output([refinery, mill], report)
    assert [a["name"] for a in split] == ["Diesel, at refinery", "Gasoline, at refinery", "Paper"]
    gasoline = split[1]
    crude = next(e for e in gasoline["exchanges"] if e["name"] == "Crude")
    assert crude["amount"] == pytest.approx(0.75)
    assert [e["type"] for e in gasoline["exchanges"]].count("production") == 1
    assert split[2]["tanji_unallocated_byproducts"][0]["name"] == "Tall oil"
    assert [m["action"].split(":")[0] for m in report.multi_output] == [
        "split by stated mass allocation factors",
        "not split",
    ]


def test_scale_exchange_keeps_uncertainty_consistent() -> None:
    lognormal = {"amount": 2.0, "uncertainty type": LOGNORMAL, "loc": math.log(2.0), "scale": 0.3}
    scale_exchange(lognormal, 3.6)
    assert lognormal["amount"] == pytest.approx(7.2)
    assert lognormal["loc"] == pytest.approx(math.log(7.2))
    assert lognormal["scale"] == 0.3
    normal = {"amount": 2.0, "uncertainty type": NORMAL, "loc": 2.0, "scale": 0.5}
    scale_exchange(normal, 2.0)
    assert (normal["loc"], normal["scale"]) == (4.0, 1.0)
    negated = {"amount": 2.0, "uncertainty type": LOGNORMAL, "loc": 0.69, "scale": 0.3}
    scale_exchange(negated, -1.0)
    assert negated == {"amount": -2.0, "uncertainty type": UNDEFINED, "loc": -2.0}


@pytest.mark.parametrize(
    ("name", "biogenic"),
    [
        ("Wood fuel; hardwood; purchased; combusted in industrial boiler", True),
        ("Wood Combusted, at boiler, at hardboard mill", True),
        ("Hog fuel, pur., combusted in industrial boiler, at pulp and paper mill (EXCL.)", True),
        ("Electricity, biomass, at power plant", True),
        ("Natural gas, combusted in industrial boiler", False),
        ("Wood fuel, unspecified", False),
        ("Heat; onsite boiler; hardwood mill; average", False),
    ],
)
def test_biomass_combustion_datasets(name: str, biogenic: bool) -> None:
    assert is_biomass_combustion(name) is biogenic
