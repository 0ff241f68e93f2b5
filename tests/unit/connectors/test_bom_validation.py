"""BOM rows: every problem named by row and field; valid trees explode per unit of product."""

from __future__ import annotations

import pytest

from connectors.bom import BomInvalid, validate_rows
from connectors.bom_table import read_table


def rows(*lines: dict) -> list[tuple[int, dict]]:
    return list(enumerate(lines, start=1))


def line(line_id: str, qty: object = 1, unit: str = "kg", parent: str | None = None,
         **extra: object) -> dict:
    return {"line_id": line_id, "parent_line_id": parent, "part_number": f"P-{line_id}",
            "description": f"part {line_id}", "quantity": qty, "unit": unit, **extra}


def issues_of(raw: list[tuple[int, dict]]) -> list[tuple[int | None, str | None]]:
    with pytest.raises(BomInvalid) as caught:
        validate_rows(raw, max_lines=100)
    return [(i["row"], i["field"]) for i in caught.value.issues]


def test_multi_level_explosion_multiplies_down_the_tree() -> None:
    bom = validate_rows(rows(
        line("frame", 2, "piece"),
        line("steel", 3.5, "kg", "frame", supplier="Baosteel", stage="raw materials"),
        line("paint", 200, "g", "frame"),
        line("power", 1.8, "MJ"),
    ), max_lines=100)
    leaves = {leaf.line_id: leaf for leaf in bom.leaves}
    assert set(leaves) == {"steel", "paint", "power"}
    assert leaves["steel"].amount == pytest.approx(7.0)
    assert leaves["steel"].unit == "kg"
    assert leaves["steel"].path == ("frame", "steel")
    assert leaves["steel"].attributes["supplier"] == "Baosteel"
    assert leaves["steel"].attributes["stage"] == "raw_materials"
    assert leaves["paint"].amount == pytest.approx(0.4)
    assert leaves["power"].amount == pytest.approx(0.5)
    assert leaves["power"].unit == "kWh"


def test_parent_supplier_passes_to_children() -> None:
    bom = validate_rows(rows(line("motor", 1, "piece", supplier="Wolong", origin="CN-ZJ"),
                             line("copper", 0.8, "kg", "motor")), max_lines=10)
    assert bom.leaves[0].attributes["supplier"] == "Wolong"
    assert bom.leaves[0].attributes["origin"] == "CN-ZJ"


def test_content_hash_is_stable_and_content_sensitive() -> None:
    a = validate_rows(rows(line("a", 1), line("b", 2)), max_lines=10)
    b = validate_rows(rows(line("a", 1), line("b", 2)), max_lines=10)
    c = validate_rows(rows(line("a", 1), line("b", 2.5)), max_lines=10)
    assert a.revision_hash == b.revision_hash != c.revision_hash


@pytest.mark.parametrize(("bad", "field"), [
    ({"quantity": "abc"}, "quantity"), ({"quantity": -1}, "quantity"),
    ({"quantity": "nan"}, "quantity"), ({"quantity": None}, "quantity"),
    ({"unit": "furlongs per fortnight"}, "unit"), ({"unit": None}, "unit"),
    ({"description": "=HYPERLINK(\"http://x\")"}, "description"),
    ({"supplier": "+cmd"}, "supplier"), ({"part_number": "@SUM(A1)"}, "part_number"),
    ({"part_number": None}, "part_number"), ({"stage": "recycling-ish"}, "stage"),
    ({"cn_code": "72A8"}, "cn_code"), ({"mass_kg": "-3"}, "mass_kg"),
])
def test_each_bad_field_is_named_with_its_row(bad: dict, field: str) -> None:
    assert issues_of(rows(line("ok"), {**line("bad"), **bad})) == [(2, field)]


def test_tree_problems() -> None:
    assert issues_of(rows(line("a"), line("a"))) == [(2, "line_id")]
    assert issues_of(rows(line("a"), line("b", parent="ghost"))) == [(2, "parent_line_id")]
    cycle = issues_of(rows(line("root"), line("x", parent="y"), line("y", parent="x")))
    assert cycle == [(2, "parent_line_id"), (3, "parent_line_id")]


def test_empty_and_oversized() -> None:
    with pytest.raises(BomInvalid):
        validate_rows([], max_lines=10)
    with pytest.raises(BomInvalid):
        validate_rows(rows(*[line(str(i)) for i in range(11)]), max_lines=10)


def test_csv_with_levels_builds_the_tree() -> None:
    csv = (b"Level,Part No,Description,Qty,UoM,Supplier\n"
           b"1,F-1,Frame,2,pcs,Acme\n2,S-1,Steel tube,1.5,kg,\n2,P-1,Paint,0.1,kg,\n"
           b"1,E-1,Electricity,3,kWh,\n")
    bom = validate_rows(read_table("bom.csv", csv), max_lines=100)
    amounts = {leaf.attributes["part_number"]: leaf.amount for leaf in bom.leaves}
    assert amounts == pytest.approx({"S-1": 3.0, "P-1": 0.2, "E-1": 3.0})


def test_csv_problems_use_spreadsheet_rows() -> None:
    csv = b"part_number,description,quantity,unit\nA,ok,1,kg\nB,bad,-2,kg\n"
    with pytest.raises(BomInvalid) as caught:
        validate_rows(read_table("bom.csv", csv), max_lines=100)
    assert caught.value.issues == [{"row": 3, "field": "quantity", "message": "negative"}]


@pytest.mark.parametrize(("name", "content"), [
    ("bom.csv", b""), ("bom.csv", b"part_number,description,quantity,unit\n"),
    ("bom.pdf", b"%PDF-1.4"), ("bom.xlsx", b"PK\x03\x04not really a zip"),
    ("bom.csv", b"description,quantity\nx,1\n"), ("bom.csv", b"\xff\xfe\x00garbage"),
])
def test_unreadable_files_are_refused(name: str, content: bytes) -> None:
    with pytest.raises(BomInvalid):
        validate_rows(read_table(name, content), max_lines=100)
