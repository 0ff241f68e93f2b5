"""Pollution equivalents of the Environmental Protection Tax Law (Annex 2) and water groups."""

from __future__ import annotations

import pytest

from lca import pollution_equivalents as pe
from lca.indicators import DEFAULT_INDICATORS, Flow, characterization_matrix


def test_every_value_is_cited_to_its_row() -> None:
    rows = pe.equivalents()
    assert rows
    for row in rows:
        assert row.medium in (pe.AIR, pe.WATER)
        assert row.row > 0
        assert row.annex_section
        assert row.source_url.startswith("http")
        assert row.equivalent_kg > 0
    assert len({(r.medium, r.row) for r in rows}) == len(rows)


@pytest.mark.parametrize(("medium", "row", "indicator_id", "value"), [
    ("air", 1, "so2_kg", 0.95),
    ("air", 2, "nox_kg", 0.95),
    ("air", 3, "co_kg", 16.7),
    ("water", 13, "cod_kg", 1.0),
    ("water", 20, "nh3n_kg", 0.8),
    ("water", 30, "tp_kg", 0.25),
])
def test_annex_values(medium, row, indicator_id, value) -> None:
    found = [r for r in pe.equivalents() if r.medium == medium and r.row == row]
    assert len(found) == 1
    assert found[0].indicator_id == indicator_id
    assert found[0].equivalent_kg == value


def test_mapped_indicators_exist() -> None:
    known = {i.id for i in DEFAULT_INDICATORS} | {i.id for i in pe.water_indicators()}
    for row in pe.equivalents():
        assert not row.indicator_id or row.indicator_id in known


def test_equivalents_of_emissions() -> None:
    assert pe.pollution_equivalents({"so2_kg": 0.95, "nox_kg": 1.9}) == pytest.approx(3.0)
    assert pe.pollution_equivalents({"pm10_kg": 5.0}) == 0.0  # no cited value: not counted
    assert pe.pollution_equivalents({"cod_kg": 2.0, "tp_kg": 0.5}, pe.WATER) == pytest.approx(4)
    by_location = pe.equivalents_by_location({"so2_kg": {"JS-CN": 0.95, "SD-CN": 1.9},
                                              "co_kg": {"JS-CN": 16.7}})
    assert by_location == pytest.approx({"JS-CN": 2.0, "SD-CN": 2.0})


def test_tax_exposure_only_where_a_rate_is_cited() -> None:
    exposure = pe.tax_exposure({"BJ-CN": 2.0, "JS-CN": 1.0, "XX-CN": 5.0})
    assert exposure["BJ-CN"] == {"low_cny": 24.0, "high_cny": 24.0}
    assert exposure["JS-CN"] == {"low_cny": 4.8, "high_cny": 8.4}
    assert "XX-CN" not in exposure
    for rate in pe.PROVINCE_RATES:
        lo, hi = (1.2, 12.0) if rate.medium == pe.AIR else (1.4, 14.0)
        assert lo <= rate.low_cny <= rate.high_cny <= hi  # Annex 1 range
        assert rate.source_url.startswith("http")


def test_water_groups_convert_to_n_and_p() -> None:
    nh4_as_n, po4_as_p = pe.NH4_AS_N, pe.PO4_AS_P
    assert nh4_as_n == pytest.approx(14.007 / 18.039)
    assert po4_as_p == pytest.approx(30.974 / 94.970)
    groups = {i.id: i for i in pe.water_indicators()}
    assert set(groups) == {"cod_kg", "nh3n_kg", "tn_kg", "tp_kg"}
    assert all(i.kind == "pollutant" for i in groups.values())
    ammonium = pe.water_flow_keys()["Ammonium"]
    assert all(groups["nh3n_kg"].member_keys[k] == pe.NH4_AS_N for k in ammonium)
    assert all(groups["tn_kg"].member_keys[k] == pe.NH4_AS_N for k in ammonium)


def test_water_groups_characterise_flows_to_water_only() -> None:
    cod_water = pe.water_flow_keys()["COD, Chemical Oxygen Demand"][0]
    phosphate = pe.water_flow_keys()["Phosphate"][0]
    flows = [Flow(cod_water, "COD, Chemical Oxygen Demand", ("water",)),
             Flow(phosphate, "Phosphate", ("water",)),
             Flow(("biosphere3", "x"), "COD, Chemical Oxygen Demand", ("air",))]
    matrix = characterization_matrix(flows, pe.water_indicators()).toarray()
    ids = [i.id for i in pe.water_indicators()]
    assert matrix[ids.index("cod_kg")].tolist() == [1.0, 0.0, 0.0]
    assert matrix[ids.index("tp_kg")][1] == pytest.approx(pe.PO4_AS_P)
