"""Supplier answer templates: written, read back, every problem named by row and field."""

from __future__ import annotations

import csv
import io

import pytest

from connectors.supplier_template import (
    COLUMNS,
    TemplateInvalid,
    declared_record,
    parse_answer,
    process_record,
    read_rows,
    template_csv,
    template_xlsx,
)

PARTS = [{"line_id": "casting", "part_number": "C-1", "description": "Housing casting",
          "unit": "kg"},
         {"line_id": "motor", "part_number": "MO-1", "description": "Motor", "unit": "piece"}]


def filled(values: dict[tuple[str, str, str], dict[str, str]], extra: list[dict] = ()) -> bytes:
    """The CSV template with some rows filled: (line_id, section, field) -> column values."""
    rows = list(csv.DictReader(io.StringIO(template_csv(PARTS).decode("utf-8-sig"))))
    for row in rows:
        key = (row["line_id"], row["section"], row["field"])
        if key in values:
            row.update(values[key])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows([*rows, *extra])
    return out.getvalue().encode()


def period(line: str) -> dict:
    return {(line, "record", "reference_period_start"): {"value": "2025-01-01"},
            (line, "record", "reference_period_end"): {"value": "2025-12-31"}}


GOOD = {
    **period("casting"), **period("motor"),
    ("casting", "record", "location"): {"value": "CN-SD"},
    ("casting", "energy", "electricity"): {"value": "1.2", "link_hint": "uslci:grid",
                                            "region": "CN-SD"},
    ("casting", "emission", "co2"): {"value": "500", "unit": "g"},
    ("casting", "emission", "pm25"): {"value": "0.001"},
    ("casting", "emission", "pm10"): {"value": "0.003"},
    ("motor", "declared", "gwp100_kg_co2e"): {"value": "12"},
    ("motor", "declared", "so2_kg"): {"value": "10", "unit": "g"},
}


def issues_of(content: bytes, name: str = "answer.csv") -> list[tuple[int | None, str | None]]:
    with pytest.raises(TemplateInvalid) as caught:
        parse_answer(read_rows(name, content), PARTS)
    return [(i["row"], i["field"]) for i in caught.value.issues]


def test_blank_template_lists_every_part_and_parses_to_nothing_given() -> None:
    rows = read_rows("t.csv", template_csv(PARTS))
    assert {r["line_id"] for _, r in rows} == {"casting", "motor"}
    assert rows[0][0] == 2  # spreadsheet rows: the header is row 1
    with pytest.raises(TemplateInvalid) as caught:
        parse_answer(rows, PARTS)
    assert {i["message"] for i in caught.value.issues} == {"part 'casting' has no values",
                                                          "part 'motor' has no values"}


def test_filled_template_gives_one_record_per_part() -> None:
    answers = {a["line_id"]: a for a in parse_answer(read_rows("a.csv", filled(GOOD)), PARTS)}
    casting = answers["casting"]["record"]
    assert casting["kind"] == "process"
    assert casting["declared_unit"] == "kg"
    assert casting["location"] == "CN-SD"
    assert casting["inputs"] == [{"link_hint": "uslci:grid", "amount": 1.2, "unit": "kWh"}]
    emissions = {e["substance"]: e["amount_kg"] for e in casting["emissions"]}
    assert emissions["co2_fossil"] == pytest.approx(0.5)  # grams to kg; CO2 counts as fossil
    assert emissions["pm25"] == pytest.approx(0.001)
    assert emissions["pm25_10"] == pytest.approx(0.002)  # PM10 total minus PM2.5
    assert "pm10" not in emissions
    assert any("PM10" in note for note in answers["casting"]["notes"])
    motor = answers["motor"]["record"]
    assert motor["kind"] == "declared"
    assert motor["declared_unit"] == "piece"
    assert motor["values"] == {"gwp100_kg_co2e": 12.0, "so2_kg": pytest.approx(0.01)}
    assert motor["reference_period_end"] == "2025-12-31"


def test_xlsx_round_trip() -> None:
    content = template_xlsx(PARTS, title="request")
    rows = read_rows("t.xlsx", content)
    assert len(rows) == len(read_rows("t.csv", template_csv(PARTS)))
    assert rows[0][1]["section"] == "record"


@pytest.mark.parametrize(("change", "expected"), [
    ({("casting", "emission", "so2"): {"value": "abc"}}, "value"),
    ({("casting", "emission", "so2"): {"value": "1", "unit": "kWh"}}, "unit"),
    ({("casting", "emission", "nox"): {"value": "-1"}}, "value"),
    ({("casting", "energy", "electricity"): {"value": "1", "unit": "kg",
                                             "link_hint": "uslci:grid"}}, "unit"),
    ({("casting", "energy", "natural_gas"): {"value": "1"}}, "link_hint"),
    ({("casting", "record", "reference_period_end"): {"value": "31/12/2025"}}, "value"),
    ({("motor", "declared", "gwp100_fossil_kg_co2e"): {"value": "11"}},
     "gwp100_biogenic_kg_co2e"),
    ({("motor", "declared", "gwp100_kg_co2e"): {"value": "12", "unit": "kg SO2"}}, "unit"),
    ({("motor", "record", "declared_unit"): {"value": "bananas"}}, "value"),
    ({("motor", "record", "name"): {"value": "=HYPERLINK(1)"}}, "value"),
    ({("casting", "emission", "pm10"): {"value": "0.0001"}}, "value"),
])
def test_problems_are_named_by_row_and_field(change: dict, expected: str) -> None:
    found = issues_of(filled({**GOOD, **change}))
    assert found, found
    assert any(field == expected and row is not None and row >= 2 for row, field in found), found


def test_row_numbers_point_at_the_spreadsheet_row() -> None:
    content = filled({**GOOD, ("casting", "emission", "so2"): {"value": "lots"}})
    rows = read_rows("a.csv", content)
    so2_row = next(n for n, r in rows if r["line_id"] == "casting" and r["field"] == "so2")
    assert issues_of(content) == [(so2_row, "value")]


def test_unknown_part_and_mixed_kinds_are_refused() -> None:
    stray = {"line_id": "nope", "part_number": "X", "section": "emission", "field": "so2",
             "value": "1", "unit": "kg", "link_hint": "", "region": "", "note": ""}
    assert ("line_id" in {f for _, f in issues_of(filled(GOOD, [stray]))})
    mixed = {**GOOD, ("motor", "emission", "so2"): {"value": "1"}}
    assert "section" in {f for _, f in issues_of(filled(mixed))}


@pytest.mark.parametrize(("name", "content"), [
    ("a.csv", b""), ("a.pdf", b"%PDF-1.4"), ("a.xlsx", b"PK\x03\x04broken"),
    ("a.csv", "x\xff".encode("latin-1")), ("a.csv", b"a,b\n1,2\n"),
])
def test_unreadable_files_are_refused_whole(name: str, content: bytes) -> None:
    with pytest.raises(TemplateInvalid):
        read_rows(name, content)


def test_json_forms_map_to_records() -> None:
    record, _ = declared_record({
        "name": "Motor", "declared_unit": "piece", "fossil_kg_co2e": 11.5,
        "biogenic_kg_co2e": 0.3, "land_use_kg_co2e": 0.2, "pollutants_kg": {"pm10": 0.01},
        "reference_period_start": "2025-01-01", "reference_period_end": "2025-12-31"})
    assert record["values"]["gwp100_kg_co2e"] == pytest.approx(12.0)
    assert record["values"]["pm10_kg"] == 0.01  # declared PM10 is an indicator of its own
    with pytest.raises(TemplateInvalid) as caught:
        declared_record({"name": "x", "declared_unit": "kg", "gwp100_kg_co2e": 1,
                         "fossil_kg_co2e": 1})
    assert caught.value.issues[0]["field"] in ("biogenic_kg_co2e", "land_use_kg_co2e")
    record, notes = process_record({
        "name": "Casting", "declared_unit": "kg",
        "energy": [{"carrier": "natural gas", "amount": 0.3, "unit": "m3",
                    "link_hint": "uslci:gas"}],
        "emissions": [{"substance": "PM10", "amount": 2, "unit": "g"},
                      {"substance": "CH4", "amount": 1, "unit": "g"}]})
    assert record["inputs"][0]["unit"] == "m3"
    assert {e["substance"] for e in record["emissions"]} == {"pm25_10", "ch4_fossil"}
    assert notes
    with pytest.raises(TemplateInvalid) as caught:
        process_record({"energy": [{"carrier": "plutonium", "amount": 1, "unit": "kg",
                                    "link_hint": "a:b"}],
                        "emissions": [{"substance": "so2", "amount": 1, "unit": "m3"}]})
    assert {i["field"] for i in caught.value.issues} == {"energy.0.carrier",
                                                         "emissions.0.unit"}
