"""The ILCD 1.1 reader on a tiny hand-written package (tests/unit/connectors/data/tiny_ilcd.zip).

The package holds three unit groups (mass; energy with kWh; time whose declared
reference unit "a" has factor 365), four flow properties (one missing), seven
flows (product, waste, elementary, one without unit) and six process files: steel
(province SD-CN, uniform and log-normal uncertainty, an exchange without
amount), coal power, a slag landfill (waste as reference input), a census
dataset with two alternatives of one pollutant and a missing reference flow
dataset, a file with an external entity, and a file that is not XML.
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import pytest

from connectors.errors import ParseError
from connectors.ilcd import (
    LOGNORMAL,
    NORMAL,
    TRIANGULAR,
    UNDEFINED,
    UNIFORM,
    IlcdArchive,
    brightway_unit,
    read_ilcd_zip,
    uncertainty_fields,
)

TINY = Path(__file__).parent / "data" / "tiny_ilcd.zip"
STEEL = "00000000-0000-0000-0000-0000000000c1"
ELECTRICITY = "00000000-0000-0000-0000-0000000000c2"
CO2 = "08a91e70-3ddc-11dd-923d-0050c2490048"


@pytest.fixture(scope="module")
def archive() -> IlcdArchive:
    return read_ilcd_zip(TINY)


def _process(archive: IlcdArchive, name: str):
    (process,) = [p for p in archive.processes if p.name.startswith(name)]
    return process


def test_reads_every_dataset_kind_and_skips_other_folders(archive: IlcdArchive) -> None:
    assert len(archive.unit_groups) == 3
    assert len(archive.flow_properties) == 3
    assert len(archive.flows) == 7
    assert len(archive.processes) == 5  # the sixth file is not XML


def test_process_keeps_english_and_chinese_names_location_and_classification(
    archive: IlcdArchive,
) -> None:
    steel = _process(archive, "Steel production")
    assert steel.name == "Steel production ; converter"
    assert steel.name_zh == "钢铁生产 ; 转炉"
    assert steel.location == "SD-CN"
    assert steel.classification == ("Materials production", "Metals", "Steel")
    assert steel.reference_ids == ("0",)
    assert steel.reference_year == "2019"
    (reference,) = steel.reference_exchanges
    assert (reference.flow_uuid, reference.direction, reference.amount) == (
        STEEL, "Output", 1000.0)
    assert _process(archive, "Slag landfill").name_zh is None


def test_exchanges_prefer_resulting_amount_and_keep_direction_and_flow(
    archive: IlcdArchive,
) -> None:
    steel = _process(archive, "Steel production")
    co2 = next(e for e in steel.exchanges if e.flow_uuid == CO2)
    assert co2.amount == 1800.0  # resultingAmount wins over meanAmount
    assert co2.mean_amount == 1700.0
    assert co2.direction == "Output"
    assert co2.flow_name == "carbon dioxide (fossil)"
    assert not co2.is_reference
    electricity = next(e for e in steel.exchanges if e.flow_uuid == ELECTRICITY)
    assert electricity.direction == "Input"
    assert electricity.comment == "Electricity comment"


def test_uncertainty_becomes_stats_arrays_fields(archive: IlcdArchive) -> None:
    steel = _process(archive, "Steel production")
    by_flow = {e.flow_uuid: e for e in steel.exchanges}
    assert by_flow[ELECTRICITY].uncertainty == {
        "uncertainty type": UNIFORM, "loc": 500.0, "minimum": 400.0, "maximum": 600.0}
    lognormal = by_flow[CO2].uncertainty
    assert lognormal["uncertainty type"] == LOGNORMAL
    assert lognormal["loc"] == pytest.approx(math.log(1800))
    assert lognormal["scale"] == pytest.approx(math.log(1.21) / 2)  # GSD^2 = 1.21
    assert by_flow[STEEL].uncertainty == {"uncertainty type": UNDEFINED, "loc": 1000.0}


def test_uncertainty_fields_rules() -> None:
    assert uncertainty_fields("normal", 10.0, relative_sd95=20.0) == {
        "uncertainty type": NORMAL, "loc": 10.0, "scale": 1.0}
    assert uncertainty_fields("triangular", 5.0, minimum=4.0, maximum=8.0)[
        "uncertainty type"] == TRIANGULAR
    # incomplete or inconsistent: undefined, amount kept
    assert uncertainty_fields("log-normal", 3.0) == {"uncertainty type": UNDEFINED, "loc": 3.0}
    assert uncertainty_fields("uniform", 3.0, minimum=4.0, maximum=8.0)[
        "uncertainty type"] == UNDEFINED
    negative = uncertainty_fields("log-normal", -2.0, relative_sd95=4.0)
    assert negative["negative"] is True
    assert negative["loc"] == pytest.approx(math.log(2.0))


def test_flows_get_reference_unit_through_flow_property_and_unit_group(
    archive: IlcdArchive,
) -> None:
    flows = archive.flows
    assert (flows[STEEL].unit, flows[STEEL].ilcd_unit, flows[STEEL].unit_factor) == (
        "kilogram", "kg", 1.0)
    assert flows[ELECTRICITY].unit == "megajoule"
    assert flows[STEEL].type == "Product flow"
    assert flows[STEEL].name_zh == "钢"
    assert flows[STEEL].categories == ("Materials", "Metals")
    co2 = flows[CO2]
    assert co2.is_elementary
    assert co2.categories == ("Emissions", "Emissions to air", "Emissions to air, unspecified")
    assert co2.cas == "124-38-9"
    # declared reference unit "a" has factor 365: amounts converted to the unit of factor 1
    machine_time = flows["00000000-0000-0000-0000-0000000000c4"]
    assert (machine_time.ilcd_unit, machine_time.unit, machine_time.unit_factor) == (
        "a", "day", 365.0)
    assert flows["00000000-0000-0000-0000-0000000000c5"].unit is None


def test_problems_are_issues_not_exceptions(archive: IlcdArchive) -> None:
    issues = {(Path(i.path).name, i.issue) for i in archive.issues}
    assert ("00000000-0000-0000-0000-0000000000d1.xml",
            "exchange skipped: no flow, amount or direction") in issues
    assert ("00000000-0000-0000-0000-0000000000d4.xml", "flow reference is not a UUID") in issues
    assert ("00000000-0000-0000-0000-0000000000d6.xml", "unreadable XML") in issues
    assert ("00000000-0000-0000-0000-0000000000a3.xml",
            "reference unit has a factor other than 1") in issues
    assert ("00000000-0000-0000-0000-0000000000c5.xml",
            "flow unit unknown: flow property or unit group missing") in issues


def test_external_entities_are_not_resolved(archive: IlcdArchive) -> None:
    process = _process(archive, "Entity")
    hostname = Path("/etc/hostname")
    if hostname.exists() and hostname.read_text().strip():
        assert hostname.read_text().strip() not in process.name


def test_unreadable_archives_raise_parse_error(tmp_path: Path) -> None:
    not_a_zip = tmp_path / "x.zip"
    not_a_zip.write_text("hello")
    with pytest.raises(ParseError):
        read_ilcd_zip(not_a_zip)
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as handle:
        handle.writestr("ILCD/flows/a.xml", "<flowDataSet/>")
    with pytest.raises(ParseError, match="no ILCD process"):
        read_ilcd_zip(empty)


@pytest.mark.parametrize(
    ("ilcd", "brightway"),
    [("kg", "kilogram"), ("MJ", "megajoule"), ("kWh", "kilowatt hour"), ("m3", "cubic meter"),
     ("m2", "square meter"), ("sqm", "square meter"), ("t*km", "ton kilometer"),
     ("Item(s)", "unit"), ("unheard-of", "unheard-of")],
)
def test_brightway_unit_names(ilcd: str, brightway: str) -> None:
    assert brightway_unit(ilcd) == brightway
