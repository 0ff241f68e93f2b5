"""CBAM: SEE from a (hand-made) footprint result, default values from the vendored file, XLSX."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest

from connectors import cbam

GWP = "gwp100_kg_co2e"
ELECTRICITY = {"name": "Electricity, bituminous coal, at power plant", "unit": "kWh"}
GAS = {"name": "Natural gas, combusted in industrial boiler", "unit": "m3"}
INGOT = {"name": "Aluminum, primary, ingot, at plant", "unit": "kg"}
STEEL = {"name": "Steel, hot rolled", "unit": "kg"}
TRUCK = {"name": "Transport, combination truck, diesel powered", "unit": "tkm"}
BOX = {"name": "Corrugated product", "unit": "kg"}

# The good: one aluminium hollow profile (2 kg) per piece, made in the installation from a
# purchased ingot (precursor, a leaf with its own CN code) and four bolts (a precursor
# sub-assembly), with electricity and gas on site, a box and a truck ride that CBAM leaves out.
BOM = [
    {"line_id": "profile", "parent_line_id": None, "quantity": 1, "unit": "piece",
     "mass_kg": 2.0, "cn_code": "76042100", "stage": "production", "description": "Profile"},
    {"line_id": "ingot", "parent_line_id": "profile", "quantity": 2.1, "unit": "kg",
     "cn_code": "76011000", "stage": "raw_materials", "origin": "CN", "description": "Ingot"},
    {"line_id": "power", "parent_line_id": "profile", "quantity": 18, "unit": "MJ"},
    {"line_id": "gas", "parent_line_id": "profile", "quantity": 0.5, "unit": "m3"},
    {"line_id": "bolts", "parent_line_id": "profile", "quantity": 4, "unit": "piece",
     "mass_kg": 0.05, "cn_code": "7318 15 00", "description": "Bolts", "origin": "IN"},
    {"line_id": "bolt_steel", "parent_line_id": "bolts", "quantity": 0.05, "unit": "kg",
     "stage": "raw_materials"},
    {"line_id": "bolt_power", "parent_line_id": "bolts", "quantity": 0.1, "unit": "kWh"},
    {"line_id": "box", "parent_line_id": "profile", "quantity": 0.1, "unit": "kg",
     "cn_code": "48191000", "stage": "raw_materials"},
    {"line_id": "ship", "parent_line_id": "profile", "quantity": 0.05, "unit": "t*km",
     "stage": "distribution"},
]
PATHS = {"ingot": ["profile", "ingot"], "power": ["profile", "power"],
         "gas": ["profile", "gas"], "bolt_steel": ["profile", "bolts", "bolt_steel"],
         "bolt_power": ["profile", "bolts", "bolt_power"], "box": ["profile", "box"],
         "ship": ["profile", "ship"]}
# (line, stage, amount in the dataset's unit, link, kg CO2e per piece)
RESULT_LINES = [
    ("ingot", "raw_materials", 2.1, INGOT, 25.2),
    ("power", "production", 5.0, ELECTRICITY, 5.5),
    ("gas", "production", 0.5, GAS, 1.1),
    ("bolt_steel", "raw_materials", 0.2, STEEL, 0.4),
    ("bolt_power", "production", 0.4, ELECTRICITY, 0.44),
    ("box", "raw_materials", 0.1, BOX, 0.12),
    ("ship", "distribution", 0.05, TRUCK, 0.01),
]
TOTAL = sum(r[4] for r in RESULT_LINES)
PRODUCT = {"part_number": "ALU-P", "name": "Hollow profile", "unit": "piece"}


def result(**extra) -> dict:
    return {"status": "complete", "snapshot_hash": "s" * 64, "totals": {GWP: TOTAL},
            "lines": [{"line_id": lid, "stage": stage, "amount": amount, "unit": link["unit"],
                       "link": link, "values": {GWP: value}, "origin": None}
                      for lid, stage, amount, link, value in RESULT_LINES], **extra}


def leaves() -> list[dict]:
    return [{"line_id": lid, "path": path} for lid, path in PATHS.items()]


def compute(**kwargs) -> dict:
    args = {"result": result(), "lines": BOM, "leaves": leaves(), "product": PRODUCT,
            "installation": "Plant 1", "country": "CN", **kwargs}
    return cbam.embedded_emissions(**args)


def test_see_direct_indirect_and_precursors() -> None:
    data = compute()
    mass = 2.0
    # installation: gas direct, power indirect; precursors: ingot (direct), bolts (both)
    assert data["good"]["cn_code"] == "76042100"
    assert data["good"]["mass_kg_per_unit"] == pytest.approx(mass)
    assert data["attributed"]["direct_per_t"] == pytest.approx(1.1 / mass)
    assert data["attributed"]["indirect_per_t"] == pytest.approx(5.5 / mass)
    assert data["see_direct"] == pytest.approx((1.1 + 25.2 + 0.4) / mass)
    assert data["see_indirect"] == pytest.approx((5.5 + 0.44) / mass)
    assert data["see_total"] == pytest.approx(data["see_direct"] + data["see_indirect"])
    assert data["electricity_mwh_per_t"] == pytest.approx(0.005 / (mass / 1000))
    assert data["electricity_ef_t_co2e_per_mwh"] == pytest.approx(5.5 / 1000 / 0.005)
    precursors = {p["line_id"]: p for p in data["precursors"]}
    assert set(precursors) == {"ingot", "bolts"}
    ingot = precursors["ingot"]
    assert ingot["cn_code"] == "76011000"
    assert ingot["quantity_t_per_t_good"] == pytest.approx(2.1 / mass)
    assert ingot["see_direct"] == pytest.approx(25.2 / 2.1)
    assert ingot["embedded_direct_per_t_good"] == pytest.approx(25.2 / mass)
    assert ingot["default_value"]["table"] == "China"
    bolts = precursors["bolts"]
    assert bolts["mass_kg_per_unit"] == pytest.approx(0.2)
    assert bolts["see_direct"] == pytest.approx(0.4 / 0.2)
    assert bolts["see_indirect"] == pytest.approx(0.44 / 0.2)
    assert bolts["default_value"]["table"] == "India"


def test_reconciliation_adds_up_to_the_footprint() -> None:
    data = compute()
    rec = data["reconciliation"]
    excluded = rec["excluded_kg_co2e_per_unit"]
    assert excluded == {"raw_materials_not_precursor": pytest.approx(0.12),
                        "distribution": pytest.approx(0.01)}
    assert rec["in_see_kg_co2e_per_unit"] + sum(excluded.values()) == pytest.approx(TOTAL)
    assert data["see_total"] + sum(excluded.values()) / 2.0 == pytest.approx(rec["total_per_t"])


def test_only_installation_lines_give_see_equal_to_total_per_tonne() -> None:
    keep = {"ingot", "power", "gas", "bolt_steel", "bolt_power"}
    res = result()
    res["lines"] = [ln for ln in res["lines"] if ln["line_id"] in keep]
    res["totals"] = {GWP: sum(ln["values"][GWP] for ln in res["lines"])}
    data = compute(result=res)
    assert data["see_direct"] + data["see_indirect"] == pytest.approx(res["totals"][GWP] / 2.0)
    assert data["reconciliation"]["excluded_kg_co2e_per_unit"] == {}


def test_default_comparison_direct_only_for_aluminium() -> None:
    data = compute()
    default = data["default_value"]
    assert default["status"] == "found"
    assert default["indirect_applicable"] is False
    assert data["comparison"]["see_relevant"] == pytest.approx(data["see_direct"])
    assert data["comparison"]["default_total"] == default["total"]


def test_cn_code_and_mass_are_needed() -> None:
    lines = [dict(line, cn_code=None) if line["line_id"] == "profile" else line for line in BOM]
    with pytest.raises(cbam.CbamError, match="CN code"):
        compute(lines=lines)
    assert compute(lines=lines, cn_code="7604 21 00")["precursors"]
    no_mass = [dict(line, mass_kg=None) if line["line_id"] == "profile" else line
               for line in BOM]
    data = compute(lines=no_mass)  # children: 2.1 kg ingot + 0.2 kg bolts + 0.1 kg box
    assert data["good"]["mass_kg_per_unit"] == pytest.approx(2.4)
    assert compute(lines=no_mass, mass_kg=2.0)["see_total"] == pytest.approx(
        compute()["see_total"])
    with pytest.raises(cbam.CbamError, match="no per-line results"):
        compute(result={"status": "no-snapshot"})


def test_unlinked_and_stageless_lines_are_reported() -> None:
    res = result()
    res["lines"][2]["stage"] = None  # gas: counted as the installation's, with a warning
    res["lines"].append({"line_id": "x", "stage": "production", "amount": 1, "unit": "kg",
                         "link": None, "values": None})
    data = compute(result=res)
    assert data["reconciliation"]["unlinked_line_ids"] == ["x"]
    assert any("no life-cycle stage" in w for w in data["warnings"])
    assert data["attributed"]["direct_per_t"] == pytest.approx(1.1 / 2.0)


def _vendored_rows(country: str, cn_code: str) -> list[dict]:
    rows = json.loads(cbam.DEFAULT_VALUES_FILE.read_text(encoding="utf-8"))
    return [r for r in rows if r["country"] == country and r["cn_code"] == cn_code]


@pytest.mark.parametrize(("iso", "country", "cn", "table_cn"), [
    ("CN", "China", "76011000", "7601"),
    ("IN", "India", "72083900", "7208"),
    ("TR", "Türkiye", "28141000", "2814 10 00"),
    ("US", "United States", "76042100", "7604 21 00"),
])
def test_default_value_equals_vendored_row(iso: str, country: str, cn: str,
                                           table_cn: str) -> None:
    (row,) = _vendored_rows(country, table_cn)
    found = cbam.default_value(cn, iso, year=2027)
    assert found["status"] == "found"
    assert found["table"] == country
    assert found["published"]["total"] == row["total"]
    assert found["total"] == float(row["total"])
    assert found["direct"] == float(row["direct"])
    assert found["total_with_markup"] == float(row["markup_2027"])


def test_default_value_fallbacks() -> None:
    other = cbam.default_value("76011000", "XK")  # no table of its own
    assert other["table"] == "Other Countries and Territories"
    (row,) = _vendored_rows("Other Countries and Territories", "7601")
    assert other["total"] == float(row["total"])
    assert "no table of its own" in other["notes"][0]
    # Albania's white Portland cement row is '–' (and internally inconsistent): fallback
    albania = cbam.default_value("25232100", "AL")
    assert albania["table"] == "Other Countries and Territories"
    assert "shows '–'" in albania["notes"][0]
    assert cbam.default_value("72083900", "DE")["status"] == "none"
    assert cbam.default_value("72083900", "CH")["status"] == "none"
    assert cbam.default_value("84713000", "CN")["status"] == "none"


def test_clinker_variants_need_a_route() -> None:
    ambiguous = cbam.default_value("25231000", "AL")
    assert ambiguous["status"] == "ambiguous"
    assert {c["description"] for c in ambiguous["candidates"]} == {"White clinker",
                                                                   "Grey clinker"}
    (grey,) = [r for r in _vendored_rows("Albania", "2523 10 00") if r["route"] == "A"]
    assert cbam.default_value("25231000", "AL", route="A")["total"] == float(grey["total"])
    white = cbam.default_value("25231000", "AL", description="white")  # '–' for Albania
    assert white["table"] == "Other Countries and Territories"
    assert white["route"] == "B"


def test_vendored_rows_are_consistent() -> None:
    """Mark-ups are 10/20/30 % (fertilisers 1 %) of the total, simple or compound, to the
    published rounding; total = direct + indirect within the published rounding."""
    rows = json.loads(cbam.DEFAULT_VALUES_FILE.read_text(encoding="utf-8"))
    assert len(rows) == 11391
    checked = 0
    for r in rows:
        if r["total"] in ("DASH",):
            continue
        total = float(r["total"])
        indirect = 0.0 if r["indirect"] == "NA" else float(r["indirect"])
        assert abs(float(r["direct"]) + indirect - total) <= 0.011, r
        for k, year in enumerate((2026, 2027, 2028), start=1):
            rate = 0.01 if r["sector"] == "Fertilisers" else 0.10 * k
            marked = float(r[f"markup_{year}"])
            simple, compound = total * (1 + rate), total * 1.1 ** k
            assert min(abs(marked - simple), abs(marked - compound)) <= 0.0015, (r, year)
        checked += 1
    assert checked > 10_000


def test_xlsx_has_the_summary_layout() -> None:
    data = compute()
    wb = openpyxl.load_workbook(io.BytesIO(cbam.to_xlsx(data)))
    assert wb.sheetnames == ["Summary_Products", "Lines", "Notes"]
    ws = wb["Summary_Products"]
    headers = [c.value for c in ws[1]]
    assert tuple(headers) == cbam.PRODUCT_HEADERS
    good = dict(zip(headers, [c.value for c in ws[2]], strict=True))
    assert good["Row type"] == "good"
    assert good["CN code"] == "76042100"
    assert good["Direct SEE (t CO2e/t)"] == pytest.approx(data["see_direct"])
    assert good["Indirect SEE (t CO2e/t)"] == pytest.approx(data["see_indirect"])
    assert good["Electricity consumption (MWh/t)"] == pytest.approx(
        data["electricity_mwh_per_t"])
    rows = [dict(zip(headers, [c.value for c in row], strict=True))
            for row in ws.iter_rows(min_row=3)]
    assert [r["Row type"] for r in rows] == ["precursor", "precursor"]
    assert {r["CN code"] for r in rows} == {"76011000", "73181500"}


def test_electricity_detection() -> None:
    assert cbam.is_electricity(ELECTRICITY)
    assert cbam.is_electricity({"name": "Electricity, at grid", "unit": "MJ"})
    assert not cbam.is_electricity(GAS)
    assert not cbam.is_electricity({"name": "Electricity meter", "unit": "piece"})
    assert not cbam.is_electricity(None)
