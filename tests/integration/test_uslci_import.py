"""Full US LCI import into a temporary Brightway directory, then LCA sanity checks.

Slow (about 10-20 s): parses the vendored 19 MB EcoSpold 1 file, writes 647
activities, builds the matrices.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import bw2data as bd
import numpy as np
import pytest

from connectors.biosphere_extension import (
    EXTENSION_DATABASE,
    EXTENSION_FLOWS,
    NITROGEN_DIOXIDE,
    PM10_TOTAL,
    install_biosphere,
)
from connectors.ecospold1 import parse_ecospold1_zip
from connectors.errors import ImportFailed
from connectors.fedefl import DEFAULT_MAPPING_PATH
from connectors.import_report import ImportReport
from connectors.uslci import DEFAULT_ZIP_PATH, import_uslci
from tests.support.brightway import use_project

pytestmark = pytest.mark.slow

GWP100 = ("IPCC 2021", "climate change", "global warming potential (GWP100)")
AIR = {
    "emission/air",
    "troposphere/rural",
    "troposphere/urban",
    "troposphere/very high",
    "air/stratosphere",
    "troposphere/high",
    "troposphere/low",
}


@pytest.fixture(scope="module")
def project() -> str:
    return use_project("tanji-test-uslci")


@pytest.fixture(scope="module")
def report(project: str) -> ImportReport:
    return import_uslci(database_name="uslci")


@pytest.fixture(scope="module")
def gwp100(project: str, report: ImportReport) -> tuple[tuple, dict]:
    """bw2io's bundled IPCC 2021 GWP100 factors (read from its data file; bw2io 0.9's
    create_default_lcia_methods() fails on bw2data 4.8), written as a method."""
    import bw2io

    path = Path(bw2io.__file__).parent / "data" / "lcia" / "lcia_39_ecoinvent.zip"
    with zipfile.ZipFile(path) as archive:
        (method,) = [m for m in json.loads(archive.read("data.json")) if tuple(m["name"]) == GWP100]
    factors = [(tuple(e["input"]), e["amount"]) for e in method["exchanges"]]
    key = ("tanji-test", *GWP100)
    bd.Method(key).register()
    bd.Method(key).write(factors)
    return key, dict(factors)


def test_the_file_holds_what_the_readme_says() -> None:
    datasets = parse_ecospold1_zip(DEFAULT_ZIP_PATH, database_name="x")
    assert len(datasets) == 639
    assert sum(len(d["exchanges"]) for d in datasets) == 45_656


def test_report_counts_are_plausible(report: ImportReport) -> None:
    assert report.written
    assert report.datasets == 639
    assert report.activities == 647  # the refinery split into its 9 products
    kinds = report.exchanges_by_kind
    assert kinds["reference product"] == 639
    assert kinds["elementary output (to nature)"] == 31_779
    assert kinds["elementary input (from nature)"] == 5_852
    assert kinds["technosphere input"] + kinds["land transformation (elementary)"] == 6_954
    assert kinds["by-product"] == 187
    assert kinds["waste to treatment"] == 245
    shares = report.shares
    assert sum(shares.values()) == pytest.approx(1.0)
    assert shares["unlinked"] < 0.05
    assert shares["linked"] > 0.75
    assert report.counts_by_kind["land"] == {"linked": 1_122}
    technosphere = report.counts_by_kind["technosphere"]
    assert 3_000 < technosphere["linked"] < 4_000
    assert technosphere["cut_off"] > 2_000  # "CUTOFF Flows" alone are about 2,070
    assert report.ambiguous_flows[0].name == "Electricity, at grid"
    assert report.duration_s < 60
    assert json.loads(report.model_dump_json())["activities"] == 647


def test_every_greenhouse_gas_exchange_links(report: ImportReport, gwp100: tuple) -> None:
    ipcc_codes = {code for _, code in gwp100[1]}
    ghg_cas = {
        str(node.get("CAS number") or "").lstrip("0")
        for node in bd.Database("biosphere3")
        if node["code"] in ipcc_codes and node.get("CAS number")
    }
    ghg_names = {"carbon dioxide", "methane", "nitrous oxide", "hfc-245fa", "hfc-143"}
    dropped = [
        flow
        for flow in report.no_counterpart_flows + report.unlinked_flows
        if flow.category in AIR and flow.name.lower() in ghg_names
    ]
    assert dropped == []
    import csv

    with open(DEFAULT_MAPPING_PATH, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    ghg_rows = [
        r
        for r in rows
        if f"{r['fedefl_category']}/{r['fedefl_subcategory']}" in AIR
        and r["direction"] == "output"
        and (r["fedefl_cas"].lstrip("0") in ghg_cas or r["fedefl_name"].lower() in ghg_names)
    ]
    assert len(ghg_rows) > 50
    extension = {code for _, code in EXTENSION_FLOWS}
    for row in ghg_rows:
        assert row["target_code"] in ipcc_codes | extension, row["fedefl_name"]


def test_pollutants_without_biosphere3_counterpart_link_to_the_extension(report) -> None:
    coal = _activity("Electricity, bituminous coal, at power plant")
    inputs = {tuple(e.input.key) for e in coal.biosphere()}
    assert PM10_TOTAL in inputs
    assert {(n["database"], n["code"]) for n in bd.Database(EXTENSION_DATABASE)} >= {
        PM10_TOTAL,
        NITROGEN_DIOXIDE,
    }
    pm10 = bd.get_node(database=PM10_TOTAL[0], code=PM10_TOTAL[1])
    assert (pm10["name"], tuple(pm10["categories"]), pm10["unit"], pm10["type"]) == (
        "Particulate Matter, < 10 um, total",
        ("air",),
        "kilogram",
        "emission",
    )
    install_biosphere()  # idempotent
    assert len(bd.Database(EXTENSION_DATABASE)) == len(EXTENSION_FLOWS)


def test_truncations_are_recorded_on_activities(report: ImportReport) -> None:
    sheet = _activity("Aluminum, sheet, coated, at plant")
    assert any(c["reason"].startswith("self-input") for c in sheet["tanji_cutoff"])
    ambiguous = [a for a in bd.Database("uslci") if a.get("tanji_ambiguous")]
    assert any(x["name"] == "Electricity, at grid" for a in ambiguous for x in a["tanji_ambiguous"])
    assert (
        sum(len(a.get("tanji_cutoff", [])) for a in bd.Database("uslci"))
        == (report.counts["cut_off"])
    )
    paper = _activity("Paper, freesheet, coated, average production, at mill")
    assert paper["tanji_unallocated_byproducts"]


def test_known_data_errors_are_flagged(report: ImportReport) -> None:
    issues = {(issue.dataset, issue.issue.split(" ")[0]) for issue in report.data_issues}
    assert ("Corn stover, at conversion plant", "rail") in issues
    assert ("Polyvinyl chloride, PVC, resin; at plant", "implausible") in issues
    assert ("Polylactide, PLA, biopolymer resin, at plant", "CO2") in issues


def test_biomass_combustion_carbon_is_non_fossil(report: ImportReport) -> None:
    name = "Wood fuel; hardwood; purchased; combusted in industrial boiler"
    boilers = [a for a in bd.Database("uslci") if a["name"] == name]
    assert len(boilers) == 3  # three US regions
    for boiler in boilers:
        names = {e.input["name"] for e in boiler.biosphere()}
        assert "Carbon dioxide, non-fossil" in names
        assert "Carbon dioxide, fossil" not in names


def test_matrix_solves_and_scores_are_plausible(report: ImportReport, gwp100: tuple) -> None:
    import bw2calc as bc

    method_key, method = gwp100
    assert method[("biosphere3", "349b29d1-3e58-4c66-98b9-9d1a076efd2e")] == 1  # CO2, fossil
    ch4_fossil = ("biosphere3", "0795345f-c7ae-410c-ad25-1845784c75f5")
    n2o = ("biosphere3", "20185046-64bb-4c09-a8e7-e8a9e144ca98")
    assert method[ch4_fossil] == pytest.approx(29.8, abs=0.1)  # IPCC AR6 WG1 Table 7.15
    assert method[n2o] == pytest.approx(273, abs=1)

    coal = _activity("Electricity, bituminous coal, at power plant")
    lca = bc.LCA({coal: 1}, method_key)
    lca.lci()
    lca.lcia()
    assert 1.0 <= lca.score <= 1.1  # published: ~1.0-1.1 kg CO2e/kWh

    # every activity solves: one adjoint solve gives the score of each unit of output
    from scipy.sparse.linalg import splu

    factorised = splu(lca.technosphere_matrix.T.tocsc())
    characterised = lca.biosphere_matrix.T @ lca.characterization_matrix.diagonal()
    unit_scores = factorised.solve(np.asarray(characterised, dtype=float))
    assert np.all(np.isfinite(unit_scores))
    assert unit_scores[lca.dicts.activity[coal.id]] == pytest.approx(lca.score, rel=1e-9)

    published = {
        "Natural gas, combusted in industrial boiler": (2.1, 2.5),
        "Diesel, combusted in industrial boiler": (3.1, 3.4),
        "Transport, combination truck, diesel powered": (0.06, 0.12),
        "Hot rolled sheet, steel, at plant": (2.0, 2.5),
    }
    for name, (low, high) in published.items():
        lca.redo_lcia({_activity(name).id: 1})
        assert low <= lca.score <= high, (name, lca.score)


def test_too_many_unlinked_refuses_and_writes_nothing(project: str) -> None:
    with pytest.raises(ImportFailed) as failure:
        import_uslci(database_name="uslci_refused", max_unlinked_share=0.0)
    assert "uslci_refused" not in bd.databases
    assert failure.value.report.counts["unlinked"] > 0
    assert not failure.value.report.written


def _activity(name: str) -> bd.backends.proxies.Activity:
    matches = [a for a in bd.Database("uslci") if a["name"] == name]
    assert len(matches) == 1, (name, len(matches))
    return matches[0]
