"""EcoSpold 1 parser: layout, uncertainty, defensiveness."""

from __future__ import annotations

import io
import math
import zipfile

import pytest

from connectors.ecospold1 import (
    LOGNORMAL,
    NORMAL,
    TRIANGULAR,
    UNDEFINED,
    UNIFORM,
    parse_ecospold1,
    parse_ecospold1_zip,
    uncertainty_fields,
)
from connectors.errors import ConnectorError, ParseError

LONG_AUTHOR = "United States Department of Agriculture, Economic Research Service  "

DOCUMENT = f"""<?xml version="1.0" encoding="UTF-8"?>
<ecoSpold xmlns="http://www.EcoInvent.org/EcoSpold01">
  <dataset number="7">
    <metaInformation>
      <processInformation>
        <referenceFunction name=" Widget, at plant " unit="kg" category="31-33: Manufacturing"
            subCategory="3261: Plastics" generalComment="A widget &amp; more"/>
        <geography location="US" text="United States"/>
        <technology text="average"/>
        <timePeriod dataValidForEntirePeriod="true"><startDate></startDate></timePeriod>
      </processInformation>
      <modellingAndValidation>
        <source number="1" firstAuthor="{LONG_AUTHOR}" year="2008" title="A report"/>
      </modellingAndValidation>
    </metaInformation>
    <flowData>
      <exchange number="1" name="Widget, at plant" unit="kg" meanValue="2.0"
          category="31-33: Manufacturing" location="US"><outputGroup>0</outputGroup></exchange>
      <exchange number="2" name="Electricity, at grid" unit="kWh" meanValue="1.5"
          uncertaintyType="1" standardDeviation95="1.44" location="RNA"
          category="22: Utilities"><inputGroup>5</inputGroup></exchange>
      <exchange number="3" name="Carbon dioxide" unit="kg" meanValue="0.3" uncertaintyType="1"
          standardDeviation95="1.0" category="emission" subCategory="air"
          CASNumber="124-38-9"><outputGroup>4</outputGroup></exchange>
      <exchange number="4" name="Water, fresh" unit="m3" meanValue="" category="resource"
          subCategory="water"><inputGroup>4</inputGroup></exchange>
      <exchange number="5" name="Offcuts" unit="kg" meanValue="0.1" category="31-33"
          ><outputGroup>2</outputGroup></exchange>
      <exchange number="6" name="Landfill" unit="kg" meanValue="0.05" category="Technosphere Flows"
          subCategory="CUTOFF Flows"><outputGroup>3</outputGroup></exchange>
    </flowData>
  </dataset>
</ecoSpold>
""".encode()


@pytest.fixture(scope="module")
def dataset() -> dict:
    (parsed,) = parse_ecospold1(DOCUMENT, database_name="test")
    return parsed


def test_dataset_fields(dataset: dict) -> None:
    assert dataset["name"] == "Widget, at plant"
    assert dataset["reference product"] == "Widget, at plant"
    assert dataset["location"] == "US"
    assert dataset["unit"] == "kg"
    assert dataset["categories"] == ("31-33: Manufacturing", "3261: Plastics")
    assert dataset["database"] == "test"
    assert dataset["type"] == "process"
    assert "A widget & more" in dataset["comment"]
    assert dataset["references"][0]["authors"] == [LONG_AUTHOR.strip()]


def test_exchange_kinds(dataset: dict) -> None:
    kinds = {e["name"]: e["type"] for e in dataset["exchanges"]}
    assert kinds["Widget, at plant"] == "production"
    assert kinds["Electricity, at grid"] == "technosphere"
    assert kinds["Carbon dioxide"] == "biosphere"
    assert kinds["Offcuts"] == "production"
    assert kinds["Landfill"] == "technosphere"  # waste to treatment: a service consumed
    groups = {e["name"]: e["ecospold_group"] for e in dataset["exchanges"]}
    assert groups["Offcuts"] == ("output", 2)


def test_missing_amount_is_skipped_with_a_warning(dataset: dict) -> None:
    assert "Water, fresh" not in {e["name"] for e in dataset["exchanges"]}
    assert any("Water, fresh" in w for w in dataset["parse_warnings"])


def test_external_entities_are_never_resolved() -> None:
    doctype = b'<!DOCTYPE ecoSpold [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
    head, body = DOCUMENT.split(b"\n", 1)
    in_text = (
        head
        + b"\n"
        + doctype
        + body.replace(b"<startDate></startDate>", b"<startDate>&secret;</startDate>")
    )
    (parsed,) = parse_ecospold1(in_text, database_name="x")
    assert "root:" not in parsed["comment"]
    in_attribute = head + b"\n" + doctype + body.replace(b"A widget &amp; more", b"&secret;")
    with pytest.raises(ParseError):
        parse_ecospold1(in_attribute, database_name="x")


def test_uncertainty_in_stats_arrays_form(dataset: dict) -> None:
    electricity = next(e for e in dataset["exchanges"] if e["name"] == "Electricity, at grid")
    assert electricity["uncertainty type"] == LOGNORMAL
    assert electricity["loc"] == pytest.approx(math.log(1.5))
    assert electricity["scale"] == pytest.approx(math.log(1.2))
    assert electricity["location"] == "RNA"
    co2 = next(e for e in dataset["exchanges"] if e["name"] == "Carbon dioxide")
    assert co2["uncertainty type"] == UNDEFINED  # sd95 = 1 carries no spread
    assert co2["CAS number"] == "124-38-9"
    assert co2["categories"] == ("emission", "air")


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (
            {"mean": 2.0, "uncertainty_type": 2, "sd95": 0.4},
            {"uncertainty type": NORMAL, "scale": 0.2},
        ),
        (
            {
                "mean": 2.0,
                "uncertainty_type": 3,
                "minimum": 1.0,
                "maximum": 4.0,
                "most_likely": 1.5,
            },
            {"uncertainty type": TRIANGULAR, "amount": 1.5, "minimum": 1.0, "maximum": 4.0},
        ),
        (
            {"mean": 2.0, "uncertainty_type": 4, "minimum": 1.0, "maximum": 3.0},
            {"uncertainty type": UNIFORM, "amount": 2.0},
        ),
        ({"mean": -2.0, "uncertainty_type": 1, "sd95": 4.0}, {"negative": True}),
        ({"mean": 0.0, "uncertainty_type": 1, "sd95": 4.0}, {"uncertainty type": UNDEFINED}),
        ({"mean": 2.0, "uncertainty_type": 3}, {"uncertainty type": UNDEFINED, "amount": 2.0}),
        ({"mean": 2.0, "uncertainty_type": None}, {"uncertainty type": UNDEFINED, "loc": 2.0}),
    ],
)
def test_uncertainty_fields(kwargs: dict, expected: dict) -> None:
    fields = uncertainty_fields(**kwargs)
    for key, value in expected.items():
        assert fields[key] == pytest.approx(value)


def test_bad_xml_raises_parse_error() -> None:
    with pytest.raises(ParseError):
        parse_ecospold1(b"<ecoSpold><dataset>", database_name="x")
    with pytest.raises(ConnectorError):
        parse_ecospold1(b"<other/>", database_name="x")


def test_zip(tmp_path) -> None:
    path = tmp_path / "es1.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("EcoSpold01/data.xml", DOCUMENT)
        archive.writestr("EcoSpold01/categories.xml", b"<categories/>")
    (parsed,) = parse_ecospold1_zip(path, database_name="z")
    assert parsed["filename"] == "data.xml"
    with pytest.raises(ParseError):
        parse_ecospold1_zip(io.BytesIO(b"not a zip"), database_name="z")
