"""ISO 14067 report: renders, page 1 is not blank, survives sparse and non-Latin input."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from connectors.report_iso14067 import render_report

GWP = "gwp100_kg_co2e"
RESULT = {
    "status": "partial", "snapshot_hash": "a" * 64, "totals": {GWP: 10.0},
    "ghg": {"total": 10.0, "fossil": 9.0, "biogenic": 0.5, "luc": 0.5},
    "pollutants": {"so2_kg": 0.01, "nox_kg": 0.02, "pm25_kg": 0.001},
    "pollutants_by_location": {"so2_kg": {"US": 0.006, "CN": 0.004},
                               "nox_kg": {"US": 0.01, "RNA": 0.01}, "pm25_kg": {"US": 0.001}},
    "by_stage": {"raw_materials": {GWP: 6.0}, "production": {GWP: 3.0},
                 "distribution": {GWP: 1.0}},
    "primary_data_share": {GWP: 0.0}, "cutoff_share": {GWP: 0.1},
    "lines": [
        {"line_id": "a", "part_number": "A", "description": "钢管 steel tube",
         "stage": "raw_materials", "amount": 1.5, "unit": "kg",
         "link": {"name": "Steel, hot rolled", "location": "US"}, "values": {GWP: 6.0}},
        {"line_id": "b", "part_number": "B", "description": "Power", "stage": "production",
         "amount": 5, "unit": "kWh", "link": {"name": "Electricity, coal", "location": "US"},
         "values": {GWP: 3.0}},
        {"line_id": "m", "part_number": "M", "description": "Mystery", "stage": None,
         "amount": 1, "unit": "kg", "link": None, "values": None}],
    "unlinked": [{"line_id": "m", "reason": "no link hint and no rule matches"}],
    "indicators": [{"id": GWP, "unit": "kg CO2-eq", "version": "1",
                    "source": {"name": "IPCC 2021", "reference": "AR6 WG1 7.SM.7"}}],
    "monte_carlo": {"iterations": 20, "seed": 7, "statistics": {
        GWP: {"mean": 10.0, "median": 10.0, "p2_5": 9.0, "p97_5": 11.0}}},
}
META = {"result_id": "r-1", "bom_revision_hash": "b" * 64, "snapshot_hash": "a" * 64,
        "code_version": "0.1.0", "created_at": "2026-01-01T00:00:00+00:00"}
PRODUCT = {"part_number": "BIKE-1", "name": "城市自行车 city bike", "unit": "piece"}


def page_one_stddev(pdf: bytes, tmp_path: Path) -> float:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-png", str(path),
                    str(tmp_path / "page")], check=True, timeout=60)
    (png,) = tmp_path.glob("page*.png")
    return ImageStat.Stat(Image.open(png).convert("L")).stddev[0]


def test_report_renders(tmp_path: Path) -> None:
    pdf = render_report(result=RESULT, product=PRODUCT, meta=META, databases=["uslci"],
                        generated_at=datetime(2026, 1, 2, tzinfo=UTC))
    assert pdf.startswith(b"%PDF")
    assert b"ISO 14067" in pdf or len(pdf) > 5000
    again = render_report(result=RESULT, product=PRODUCT, meta=META, databases=["uslci"],
                          generated_at=datetime(2026, 1, 2, tzinfo=UTC))
    assert again == pdf  # invariant: same input, same bytes
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) not installed")
    assert page_one_stddev(pdf, tmp_path) > 10


def test_report_of_a_sparse_result(tmp_path: Path) -> None:
    sparse = {"status": "no-snapshot", "unlinked": [{"line_id": "x", "reason": "no snapshot"}]}
    pdf = render_report(result=sparse, product={"part_number": "P", "name": "P"}, meta={})
    assert pdf.startswith(b"%PDF")


SCENARIO = {"id": "s-1", "finished_at": "2026-01-03T00:00:00+00:00", "output": {
    "baseline": {"ghg_kg_co2e": 10.0, "apeq": 0.03, "differs_from_stored_result": []},
    "measures": [
        {"measure_id": "m1", "name": "Recycled steel", "version": 1,
         "classification": "co-benefit", "delta_ghg_kg_co2e": {"total": -2.0},
         "coordinates": {"x_ghg_relative": -0.2, "y_apeq_relative": -0.1, "elasticity": 0.5},
         "apeq": {"delta": -0.003}, "region_shift": {"shifted": False},
         "cost": {"per_unit": 1.0, "currency": "CNY", "per_t_co2e_abated": 500.0,
                  "per_apeq_abated": 333.3}},
        {"measure_id": "m2", "name": "电力 from SD-CN", "version": 2,
         "classification": "negative-synergy", "delta_ghg_kg_co2e": {"total": -0.5},
         "coordinates": {"x_ghg_relative": -0.05, "y_apeq_relative": 0.02,
                         "elasticity": -0.4},
         "apeq": {"delta": 0.0006},
         "region_shift": {"shifted": True, "rising": ["SD-CN"], "falling": ["JS-CN"]},
         "cost": {"per_unit": 0.1, "currency": "CNY", "per_t_co2e_abated": 200.0,
                  "per_apeq_abated": None}}],
    "errors": [{"measure_id": "m3", "name": "Broken", "error": "matches no line"}],
    "portfolio": {"goal": {"goal": "cheapest"}, "chosen": {
        "status": "optimal", "measure_ids": ["m1"], "cost": 1.0, "ghg_delta_kg_co2e": -2.0,
        "apeq_delta": -0.003}, "pareto_front": [{}, {}]}}}


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "cc.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, timeout=60,
                         capture_output=True)
    return out.stdout.decode()


def test_report_with_a_scenario_has_the_cocontrol_section(tmp_path: Path) -> None:
    pdf = render_report(result=RESULT, product=PRODUCT, meta=META, databases=["uslci"],
                        generated_at=datetime(2026, 1, 2, tzinfo=UTC), scenarios=[SCENARIO])
    plain = render_report(result=RESULT, product=PRODUCT, meta=META, databases=["uslci"],
                          generated_at=datetime(2026, 1, 2, tzinfo=UTC))
    assert pdf.startswith(b"%PDF")
    assert pdf != plain
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    text = pdf_text(pdf, tmp_path)
    assert "Co-control analysis: carbon and air pollutants together" in text
    assert "Co-control analysis" not in pdf_text(plain, tmp_path)
    for expected in ("Recycled steel", "co-benefit (both fall)", "negative synergy",
                     "shifted", "SD-CN", "carbon only", "pollution only",
                     "both rise", "Broken: matches no line", "-20.0 %", "s-1"):
        assert expected in text, expected
