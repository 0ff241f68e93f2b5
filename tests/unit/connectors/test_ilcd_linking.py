"""TianGong linking rules on the tiny ILCD package, and the EF 3.x -> biosphere3 table.

No Brightway project is touched: `build_activities`, `link_elementary`,
`link_technosphere` and `check_solvable` work on plain dicts.
"""

from __future__ import annotations

import copy
import csv
from pathlib import Path

import pytest

from connectors.ef_biosphere3 import (
    DEFAULT_MAPPING_PATH,
    ElementaryTarget,
    ef_compartment,
    load_ef_mapping,
)
from connectors.errors import ImportFailed
from connectors.ilcd import LOGNORMAL, UNIFORM, IlcdArchive, read_ilcd_zip
from connectors.import_report import ImportReport
from connectors.tiangong import (
    _Classified,
    build_activities,
    check_solvable,
    link_elementary,
    link_technosphere,
    location_chain,
    merge_census_alternatives,
)

TINY = Path(__file__).parent / "data" / "tiny_ilcd.zip"
CO2_EF = "08a91e70-3ddc-11dd-923d-0050c2490048"
PM10_EF = "08a91e70-3ddc-11dd-91be-0050c2490048"
CO2_FOSSIL = ("biosphere3", "349b29d1-3e58-4c66-98b9-9d1a076efd2e")
PM10_TOTAL = ("tanji_biosphere_ext", "pm10-total")
MAPPING = {
    CO2_EF: ElementaryTarget(CO2_EF, *CO2_FOSSIL, "Carbon dioxide, fossil", ("air",),
                             "kilogram", 1.0, "test"),
    PM10_EF: ElementaryTarget(PM10_EF, *PM10_TOTAL, "Particulate Matter, < 10 um, total",
                              ("air",), "kilogram", 1.0, "test"),
}


def _linked(archive: IlcdArchive) -> tuple[dict[str, dict], ImportReport, _Classified]:
    report = ImportReport(source="tiny", database="t")
    activities = build_activities(archive, database_name="t", report=report)
    merge_census_alternatives(activities, report)
    classified = _Classified()
    link_elementary(activities, MAPPING, archive, classified, report)
    link_technosphere(activities, archive, classified)
    return {a["name"].split(" ;")[0].split(",")[0]: a for a in activities}, report, classified


@pytest.fixture
def archive() -> IlcdArchive:
    return read_ilcd_zip(TINY)


def test_activities_keep_names_location_unit_and_classification(archive: IlcdArchive) -> None:
    activities, report, _ = _linked(archive)
    steel = activities["Steel production"]
    assert (steel["name_zh"], steel["location"], steel["unit"], steel["reference product"]) == (
        "钢铁生产 ; 转炉", "SD-CN", "kilogram", "Steel")
    assert steel["ilcd_classification"] == ["Materials production", "Metals", "Steel"]
    assert steel["code"] == "00000000-0000-0000-0000-0000000000d1"
    assert steel["exchanges"][0] == {
        "input": ("t", steel["code"]), "type": "production", "amount": 1000.0,
        "unit": "kilogram", "name": "Steel"}
    # a waste as reference input: a treatment, negative production as ecoinvent writes it
    assert activities["Slag landfill"]["exchanges"][0]["amount"] == -1.0
    # the reference flow's dataset is missing: imported, unit unknown, reported
    assert activities["Lime"]["unit"] == "unknown"
    assert any(i.issue.startswith("reference flow dataset missing") for i in report.data_issues)


def test_census_alternatives_are_merged_to_their_mean(archive: IlcdArchive) -> None:
    activities, report, _ = _linked(archive)
    lime = activities["Lime"]
    (pm10,) = [e for e in lime["exchanges"] if e["type"] == "biosphere"]
    assert pm10["input"] == PM10_TOTAL
    assert pm10["amount"] == pytest.approx((1.023 + 20.46) / 2)
    assert (pm10["uncertainty type"], pm10["minimum"], pm10["maximum"]) == (UNIFORM, 1.023, 20.46)
    assert lime["tanji_census_alternatives"] == [
        {"name": "particles (PM10)", "unit": "kilogram", "amounts": [1.023, 20.46]}]
    assert report.exchanges_by_kind == {}  # set by import_tiangong, not here
    assert any("NESPS2" in note for note in report.notes)


def test_elementary_exchanges_link_through_the_mapping(archive: IlcdArchive) -> None:
    activities, _, classified = _linked(archive)
    steel = activities["Steel production"]
    co2 = next(e for e in steel["exchanges"] if e.get("input") == CO2_FOSSIL)
    assert co2["amount"] == 1800.0
    assert co2["uncertainty type"] == LOGNORMAL
    assert co2["ilcd_flow"]["uuid"] == CO2_EF
    assert classified.by_kind["biosphere"]["linked"] == 4  # steel CO2 + PM10, power CO2, lime


def test_technosphere_links_by_flow_location_and_direction(archive: IlcdArchive) -> None:
    activities, _, classified = _linked(archive)
    steel, power, landfill = (activities[n] for n in
                              ("Steel production", "Electricity", "Slag landfill"))
    technosphere = {e["name"]: e for e in steel["exchanges"] if e["type"] == "technosphere"}
    # SD-CN consumer, one CN provider: found up the location chain
    assert technosphere["Electricity"]["input"] == ("t", power["code"])
    assert technosphere["Electricity"]["amount"] == 500.0
    assert technosphere["Electricity"]["uncertainty type"] == UNIFORM
    # waste output to the treatment taking that waste in: negative, as in ecoinvent
    assert technosphere["Slag"]["input"] == ("t", landfill["code"])
    assert technosphere["Slag"]["amount"] == -100.0
    # no provider: cut off, kept on the activity in the flow's reference unit (a -> d)
    (cutoff,) = steel["tanji_cutoff"]
    assert (cutoff["name"], cutoff["amount"], cutoff["unit"]) == ("Machine time", 730.0, "day")
    lime_cutoff = activities["Lime"]["tanji_cutoff"]
    assert lime_cutoff[0]["reason"].endswith("flow dataset missing")
    assert classified.by_kind["technosphere"]["cut_off"] == 2


def test_several_providers_nearest_location_wins_else_ambiguous(archive: IlcdArchive) -> None:
    power = next(p for p in archive.processes if p.name.startswith("Electricity"))
    second = copy.deepcopy(power)
    second.uuid = "00000000-0000-0000-0000-0000000000e1"
    archive.processes.append(second)
    activities, _, classified = _linked(archive)
    steel = activities["Steel production"]
    assert not any(e["name"] == "Electricity" for e in steel["exchanges"]
                   if e["type"] == "technosphere")
    (ambiguous,) = steel["tanji_ambiguous"]
    assert ambiguous["reason"] == "2 providers, 2 in CN"
    assert classified.by_kind["technosphere"]["ambiguous"] == 2  # steel and landfill

    second.location = "SD-CN"
    activities, _, _ = _linked(archive)
    steel = activities["Steel production"]
    electricity = next(e for e in steel["exchanges"] if e["name"] == "Electricity"
                       and e["type"] == "technosphere")
    assert electricity["input"] == ("t", second.uuid)
    assert "tanji_ambiguous" not in steel


def test_location_chain_goes_from_city_to_province_to_country() -> None:
    assert location_chain("ZB-SD-CN") == ["ZB-SD-CN", "SD-CN", "CN", "GLO", "RoW"]
    assert location_chain("CN") == ["CN", "GLO", "RoW"]
    assert location_chain(None) == ["GLO", "RoW"]


def test_tiny_matrix_is_solvable_as_linked(archive: IlcdArchive) -> None:
    activities, report, classified = _linked(archive)
    check_solvable(list(activities.values()), classified, report)
    assert not any(n.startswith("solvability") for n in report.notes)


def _activity(code: str, inputs: dict[str, float]) -> dict:
    return {
        "database": "t", "code": code, "name": code, "unit": "kilogram", "location": "CN",
        "exchanges": [{"input": ("t", code), "type": "production", "amount": 1.0,
                       "name": code, "unit": "kilogram"}]
        + [{"input": ("t", other), "type": "technosphere", "amount": amount, "name": other,
            "unit": "kilogram"} for other, amount in inputs.items()],
    }


def test_loops_that_consume_more_than_they_produce_are_cut() -> None:
    activities = [_activity("a", {"b": 2.0}), _activity("b", {"a": 2.0}), _activity("c", {"a": 1})]
    classified = _Classified()
    classified.by_kind["technosphere"]["linked"] = 3
    report = ImportReport(source="x", database="t")
    check_solvable(activities, classified, report)
    assert [e["type"] for e in activities[0]["exchanges"]] == ["production"]
    assert activities[0]["tanji_cutoff"][0]["reason"].startswith("inside a loop")
    assert activities[2]["exchanges"][1]["input"] == ("t", "a")  # outside the loop: kept
    assert classified.by_kind["technosphere"] == {"linked": 1, "cut_off": 2}
    assert report.notes[0].startswith("solvability check")


def test_a_singular_matrix_with_nothing_to_cut_is_refused() -> None:
    zero = _activity("z", {})
    zero["exchanges"][0]["amount"] = 0.0
    with pytest.raises(ImportFailed):
        check_solvable([zero], _Classified(), ImportReport(source="x", database="t"))


def test_mapping_table_rows_all_have_a_source_and_decide_key_pollutants() -> None:
    with open(DEFAULT_MAPPING_PATH, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) > 500
    assert all(row["source"] for row in rows)
    mapping = load_ef_mapping()
    assert mapping[CO2_EF].key == CO2_FOSSIL
    assert mapping[PM10_EF].key == PM10_TOTAL
    targets = {t.name for t in mapping.values() if t.key}
    assert {"Sulfur dioxide", "Nitrogen oxides", "Particulate Matter, < 2.5 um",
            "NMVOC, non-methane volatile organic compounds", "Ammonia",
            "Carbon monoxide, fossil", "Methane, fossil", "Dinitrogen monoxide"} <= targets
    no2 = [t for t in mapping.values() if t.key == ("tanji_biosphere_ext", "nitrogen-dioxide")]
    assert no2
    classes = {t.link_class for t in mapping.values()}
    assert classes == {"linked", "no_counterpart", "unlinked"}
    # ammonia nitrogen (as N) becomes ammonium ion mass
    nh3_n = mapping["adace266-38eb-4979-877e-45a826bb798d"]
    assert nh3_n.name == "Ammonium"
    assert nh3_n.conversion_factor == pytest.approx(18.038 / 14.007)


@pytest.mark.parametrize(
    ("categories", "expected"),
    [
        (("Emissions", "Emissions to air", "Emissions to air, unspecified"), ("air",)),
        (("Emissions", "Emissions to air", "Emissions to urban air close to ground"),
         ("air", "urban air close to ground")),
        (("Emissions", "Emissions to water", "Emissions to fresh water"),
         ("water", "surface water")),
        (("Resources", "Resources from ground", "Non-renewable material resources from ground"),
         ("natural resource", "in ground")),
        (("Something else",), None),
    ],
)
def test_ef_compartments(categories: tuple[str, ...], expected: tuple[str, ...] | None) -> None:
    assert ef_compartment(categories) == expected
