"""Full TianGong import into a temporary Brightway directory, then LCA sanity checks.

Slow (about a minute): parses the vendored 29 MB ILCD zip (4,133 processes),
links, checks the matrix, writes about 4,100 activities, builds the matrices.
"""

from __future__ import annotations

import csv
import json
import re
import time
import zipfile
from pathlib import Path

import bw2data as bd
import numpy as np
import pytest

from connectors.biosphere_extension import NITROGEN_DIOXIDE, PM10_TOTAL
from connectors.ef_biosphere3 import DEFAULT_MAPPING_PATH
from connectors.errors import ImportFailed
from connectors.import_report import ImportReport
from connectors.tiangong import DEFAULT_MAX_UNLINKED_SHARE, import_tiangong
from tests.support.brightway import use_project

pytestmark = pytest.mark.slow

DATABASE = "tiangong"
GWP100 = ("IPCC 2021", "climate change", "global warming potential (GWP100)")
GHG_NAME = re.compile(
    r"carbon dioxide|(?<!non-)methane|nitrous oxide|dinitrogen monoxide|hfc|pfc|hexafluoride|"
    r"trifluoride|fluoromethane|fluoroethane|greenhouse",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def project() -> str:
    return use_project("tanji-test-tiangong")


@pytest.fixture(scope="module")
def report(project: str) -> ImportReport:
    started = time.perf_counter()
    result = import_tiangong(database_name=DATABASE)
    result.notes.append(f"wall clock in test: {time.perf_counter() - started:.1f} s")
    return result


@pytest.fixture(scope="module")
def gwp100(project: str, report: ImportReport) -> tuple:
    """bw2io's bundled IPCC 2021 GWP100 factors, written as a method (read from its data
    file: bw2io 0.9's create_default_lcia_methods() fails on bw2data 4.8)."""
    import bw2io

    path = Path(bw2io.__file__).parent / "data" / "lcia" / "lcia_39_ecoinvent.zip"
    with zipfile.ZipFile(path) as archive:
        (method,) = [m for m in json.loads(archive.read("data.json")) if tuple(m["name"]) == GWP100]
    factors = [(tuple(e["input"]), e["amount"]) for e in method["exchanges"]]
    key = ("tanji-test-tiangong", *GWP100)
    bd.Method(key).register()
    bd.Method(key).write(factors)
    return key, dict(factors)


def test_report_counts_are_plausible(report: ImportReport) -> None:
    assert report.written
    assert report.datasets == 4133
    assert 4000 < report.activities <= 4133
    assert len(bd.Database(DATABASE)) == report.activities
    kinds = report.exchanges_by_kind
    assert kinds["reference flow"] >= 4133
    assert kinds["elementary output"] > 20_000
    assert kinds["product flow input"] > 25_000
    assert kinds["census alternatives merged away"] > 10_000
    shares = report.shares
    assert sum(shares.values()) == pytest.approx(1.0, abs=1e-5)
    assert shares["unlinked"] < DEFAULT_MAX_UNLINKED_SHARE
    assert report.counts_by_kind["biosphere"]["linked"] > 15_000
    assert report.counts_by_kind["technosphere"]["linked"] > 2_000
    assert report.duration_s < 600
    json.loads(report.model_dump_json())


def test_locations_and_both_names_are_kept(report: ImportReport) -> None:
    activities = list(bd.Database(DATABASE))
    locations = {a["location"] for a in activities}
    assert {"CN", "SD-CN", "NMG-CN", "SH-CN", "JS-CN"} <= locations
    china = [a for a in activities if a["location"] == "CN"]
    assert len(china) > 3000
    with_chinese = [a for a in activities if a.get("name_zh")]
    assert len(with_chinese) > 0.9 * len(activities)
    kiln = "Lime ; Solid type fuel (coal) ; Earth kiln"
    lime = [a for a in activities if a["name"].startswith(kiln)]
    assert lime
    assert lime[0]["name_zh"].startswith("石灰")
    assert lime[0]["ilcd_classification"][:2] == [
        "Reference Parameters", "Energy carriers and technologies"]


def test_every_greenhouse_gas_exchange_links(report: ImportReport, gwp100: tuple) -> None:
    _, factors = gwp100
    dropped = [
        (flow.name, flow.category, flow.count)
        for flow in report.unlinked_flows + report.no_counterpart_flows
        if GHG_NAME.search(flow.name) and "air" in flow.category.lower()
    ]
    assert dropped == []
    with open(DEFAULT_MAPPING_PATH, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    ghg_rows = [
        r for r in rows
        if GHG_NAME.search(r["flow_name"]) and (
            "air" in r["flow_categories"].lower() or r["target_categories"].startswith("air"))
        and "Resources" not in r["flow_categories"]
    ]
    assert len(ghg_rows) > 20
    for row in ghg_rows:
        assert row["target_code"], row["flow_name"]
        key = (row["target_database"], row["target_code"])
        # biogenic CO2 is linked but has no GWP100 factor in IPCC 2021 (carbon neutral)
        assert key in factors or row["target_name"].startswith("Carbon dioxide, non-fossil"), (
            row["flow_name"])


def test_air_pollutants_link_to_biosphere3_or_the_extension(report: ImportReport) -> None:
    with open(DEFAULT_MAPPING_PATH, encoding="utf-8") as handle:
        targets = {r["target_name"] for r in csv.DictReader(handle) if r["target_code"]}
    assert {
        "Sulfur dioxide",
        "Nitrogen oxides",
        "Particulate Matter, < 2.5 um",
        "Particulate Matter, > 2.5 um and < 10um",
        "NMVOC, non-methane volatile organic compounds",
        "Ammonia",
        "Carbon monoxide, fossil",
    } <= targets
    used = {
        tuple(e["input"])
        for a in bd.Database(DATABASE)
        for e in a.biosphere()
        if tuple(e["input"]) in (PM10_TOTAL, NITROGEN_DIOXIDE)
    }
    assert used == {PM10_TOTAL, NITROGEN_DIOXIDE}


def test_truncations_are_recorded_on_activities(report: ImportReport) -> None:
    activities = list(bd.Database(DATABASE))
    assert sum(len(a.get("tanji_cutoff", [])) for a in activities) == report.counts["cut_off"]
    assert sum(len(a.get("tanji_ambiguous", [])) for a in activities) == report.counts[
        "ambiguous"]
    cutoff = next(a["tanji_cutoff"][0] for a in activities if a.get("tanji_cutoff"))
    assert {"name", "amount", "unit"} <= set(cutoff)
    assert report.ambiguous_flows[0].reason.endswith("in CN")
    census = [a for a in activities if a.get("tanji_census_alternatives")]
    assert len(census) > 1000


def test_matrix_solves_and_scores_are_plausible(report: ImportReport, gwp100: tuple) -> None:
    import bw2calc as bc
    from scipy.sparse.linalg import splu

    method_key, _ = gwp100
    power = _activity("Electricity production ; Thermal power ; China", "CN")
    assert power["unit"] == "megajoule"
    lca = bc.LCA({power: 3.6}, method_key)  # 1 kWh
    lca.lci()
    lca.lcia()
    assert 0.8 <= lca.score <= 1.2, lca.score  # Chinese coal-dominated thermal power

    # every activity solves: one adjoint solve gives the score of each unit of output
    factorised = splu(lca.technosphere_matrix.T.tocsc())
    characterised = lca.biosphere_matrix.T @ lca.characterization_matrix.diagonal()
    unit_scores = factorised.solve(np.asarray(characterised, dtype=float))
    assert np.all(np.isfinite(unit_scores))
    assert unit_scores[lca.dicts.activity[power.id]] * 3.6 == pytest.approx(lca.score, rel=1e-6)

    cement = _activity("cement production;cement, common portland cement;China average", "CN",
                       first=True)
    lca.redo_lcia({cement.id: 1})
    assert 0.5 <= lca.score <= 1.0, lca.score  # kg CO2e per kg cement

    mix = _activity("Electricity production ; Electricity mix ; Shandong", "SD-CN")
    lca.redo_lcia({mix.id: 3.6})
    assert 0.5 <= lca.score <= 1.2, lca.score  # coal-heavy provincial grid, per kWh

    for activity in list(bd.Database(DATABASE))[:50]:
        lca.redo_lcia({activity.id: 1})
        assert np.isfinite(lca.score)


def test_too_many_unlinked_refuses_and_writes_nothing(project: str) -> None:
    with pytest.raises(ImportFailed) as failure:
        import_tiangong(database_name="tiangong_refused", max_unlinked_share=0.0)
    assert "tiangong_refused" not in bd.databases
    assert failure.value.report.counts["unlinked"] > 0
    assert not failure.value.report.written


def _activity(prefix: str, location: str, *, first: bool = False) -> bd.backends.proxies.Activity:
    matches = sorted(
        (a for a in bd.Database(DATABASE)
         if a["name"].startswith(prefix) and a["location"] == location),
        key=lambda a: a["code"],
    )
    assert matches, prefix
    assert first or len(matches) == 1, (prefix, len(matches))
    return matches[0]
