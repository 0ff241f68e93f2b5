"""Co-control: measures on foreground lines, deltas from U, classes, coordinates, shifts."""

from __future__ import annotations

import numpy as np
import pytest

from lca import cocontrol as cc
from lca.footprint import footprint
from lca.foreground import BackgroundLink, DeclaredFootprint, Line


@pytest.fixture
def model(tiny_snapshot) -> cc.ProductModel:
    idx = tiny_snapshot.product_index_by_key
    lines = (
        Line("frame", 2.5, BackgroundLink(idx[("tiny", "steel")]), location="CN"),
        Line("panel", 1.2, BackgroundLink(idx[("tiny", "wood")]), location="BR"),
        Line("power", 4.0, BackgroundLink(idx[("tiny", "electricity")]), location="US"),
    )
    leaves = {
        "frame": {"part_number": "F-1", "material_class": "Steel", "description": "Steel frame"},
        "panel": {"part_number": "P-1", "material_class": "Wood", "description": "Oak panel"},
        "power": {"part_number": "E-1", "description": "Assembly power"},
    }
    units = {"frame": "kilogram", "panel": "kilogram", "power": "kilowatt hour"}
    return cc.ProductModel(lines, leaves, units)


def full_delta(measure, model, table, snapshot):
    after = footprint(cc.apply_measure(measure, model, snapshot).lines, table, snapshot)
    before = footprint(model.lines, table, snapshot)
    return after, before


def test_selector_criteria() -> None:
    leaf = {"part_number": "F-1", "material_class": "Aluminium", "description": "Frame, 6061"}
    assert cc.Selector(material_class="aluminium").matches("x", leaf)
    assert cc.Selector(description="frame*").matches("x", leaf)
    assert not cc.Selector(description="frame*", part_number="F-2").matches("x", leaf)
    assert cc.Selector(line_ids=("x",)).matches("x", {})
    with pytest.raises(cc.MeasureError):
        cc.Selector()


@pytest.mark.parametrize("change", [
    lambda idx: cc.Substitute(cc.Selector(material_class="steel"), idx[("tiny", "wood")], 1.3),
    lambda idx: cc.Scale(cc.Selector(line_ids=("frame", "power")), 0.8),
    lambda idx: cc.UsePrimary(cc.Selector(part_number="P-1"),
                              DeclaredFootprint("epd", {"gwp100_kg_co2e": 0.4, "so2_kg": 1e-3}),
                              "kg"),
])
def test_delta_from_changed_lines_equals_full_recalculation(change, model, tiny_snapshot,
                                                            tiny_table) -> None:
    measure = cc.Measure("m", "m", (change(tiny_snapshot.product_index_by_key),))
    applied = cc.apply_measure(measure, model, tiny_snapshot)
    delta = cc.measure_delta(applied, model, tiny_table, tiny_snapshot)
    after, before = full_delta(measure, model, tiny_table, tiny_snapshot)
    np.testing.assert_allclose(delta.total, after.total - before.total, rtol=1e-9, atol=1e-15)
    for pollutant, by_location in delta.pollutants_by_location.items():
        for location, value in by_location.items():
            expected = (after.pollutants_by_location[pollutant].get(location, 0.0)
                        - before.pollutants_by_location[pollutant].get(location, 0.0))
            assert value == pytest.approx(expected, rel=1e-9, abs=1e-15)
    assert set(delta.changed_line_ids) < {"frame", "panel", "power"}


def test_opened_process_scores_exactly_as_its_background_row(model, tiny_snapshot,
                                                             tiny_table) -> None:
    idx = tiny_snapshot.product_index_by_key
    for code in ("steel", "electricity", "coal", "wood"):
        line = Line("x", 1.7, BackgroundLink(idx[("tiny", code)]))
        opened = Line("x", 1.7, cc.open_process(tiny_snapshot, idx[("tiny", code)]))
        a = footprint([line], tiny_table, tiny_snapshot)
        b = footprint([opened], tiny_table, tiny_snapshot)
        np.testing.assert_allclose(b.total, a.total, rtol=1e-9, atol=1e-15)
        for pollutant, by_location in a.pollutants_by_location.items():
            noise = 1e-15 + 1e-12 * max(map(abs, by_location.values()), default=0.0)
            for location, value in by_location.items():
                assert b.pollutants_by_location[pollutant].get(location, 0.0) == pytest.approx(
                    value, rel=1e-9, abs=noise)


def test_switch_electricity_moves_only_electricity(model, tiny_snapshot, tiny_table) -> None:
    idx = tiny_snapshot.product_index_by_key
    # the only grid is the one the process uses: nothing to move is an error
    measure = cc.Measure("m", "m", (cc.SwitchElectricity(cc.Selector(line_ids=("frame",)),
                                                          idx[("tiny", "electricity")]),))
    with pytest.raises(cc.MeasureError, match="no electricity input"):
        cc.apply_measure(measure, model, tiny_snapshot)
    assert cc.is_electricity(tiny_snapshot, idx[("tiny", "electricity")])
    assert not cc.is_electricity(tiny_snapshot, idx[("tiny", "coal")])


def test_relocate_needs_the_product_there(model, tiny_snapshot) -> None:
    idx = tiny_snapshot.product_index_by_key
    assert cc.same_product_in(tiny_snapshot, idx[("tiny", "steel")], "CN") == idx[("tiny",
                                                                                     "steel")]
    measure = cc.Measure("m", "m", (cc.Relocate(cc.Selector(line_ids=("frame",)), "DE"),))
    with pytest.raises(cc.MeasureError, match="no dataset"):
        cc.apply_measure(measure, model, tiny_snapshot)


def test_a_change_that_matches_nothing_is_refused(model, tiny_snapshot) -> None:
    measure = cc.Measure("m", "m", (cc.Scale(cc.Selector(part_number="nope"), 0.5),))
    with pytest.raises(cc.MeasureError, match="matches no line"):
        cc.apply_measure(measure, model, tiny_snapshot)


def test_delta_batch_equals_loop(tiny_table) -> None:
    rng = np.random.default_rng(1)
    u = tiny_table.scores
    n = u.shape[0]
    old_i = rng.integers(-1, n, size=(50, 3))
    new_i = rng.integers(-1, n, size=(50, 3))
    old_a, new_a = rng.random((50, 3)), rng.random((50, 3))
    got = cc.delta_batch(old_i, old_a, new_i, new_a, u)
    for m in range(50):
        expected = sum(new_a[m, c] * u[new_i[m, c]] for c in range(3) if new_i[m, c] >= 0) - \
            sum(old_a[m, c] * u[old_i[m, c]] for c in range(3) if old_i[m, c] >= 0)
        np.testing.assert_allclose(got[m], expected + np.zeros(u.shape[1]), rtol=1e-12,
                                   atol=1e-15)


@pytest.mark.parametrize(("d_ghg", "d_ap", "expected"), [
    (-1.0, -1.0, cc.CO_BENEFIT),
    (-1.0, 0.0, cc.CARBON_ONLY),
    (0.0, -1.0, cc.POLLUTION_ONLY),
    (-1.0, 1.0, cc.NEGATIVE_SYNERGY),
    (1.0, -1.0, cc.NEGATIVE_SYNERGY),
    (1.0, 1.0, cc.BOTH_RISE),
    (1.0, 0.0, cc.RISE_ONLY),
    (0.0, 0.0, cc.NO_CHANGE),
    (-1e-13, -1.0, cc.POLLUTION_ONLY),  # below the rounding tolerance of a baseline of 10
])
def test_classify(d_ghg, d_ap, expected) -> None:
    assert cc.classify(d_ghg, d_ap, ghg_base=10.0, ap_base=10.0) == expected


def test_coordinates_and_elasticity() -> None:
    c = cc.coordinates(-20.0, 100.0, -3.0, 10.0)
    assert c.x == pytest.approx(-0.2)
    assert c.y == pytest.approx(-0.3)
    assert c.elasticity == pytest.approx(1.5)  # pollution falls 1.5x as fast as carbon
    assert cc.coordinates(0.0, 100.0, -1.0, 10.0).elasticity is None
    assert cc.coordinates(-1.0, 0.0, -1.0, 10.0).x is None
    assert cc.coordinates(-10.0, 100.0, 2.0, 10.0).elasticity < 0  # negative synergy


def test_region_shift_flagged_even_when_total_falls() -> None:
    shift = cc.region_shift({"JS-CN": -5.0, "SD-CN": 2.0, "US": 0.0},
                            {"JS-CN": 10.0, "SD-CN": 1.0})
    assert shift.shifted
    assert shift.falling == ("JS-CN",)
    assert shift.rising == ("SD-CN",)
    assert not cc.region_shift({"JS-CN": -5.0, "SD-CN": -1.0}, {}).shifted


def test_effect_equivalents_and_costs(model, tiny_snapshot, tiny_table) -> None:
    idx = tiny_snapshot.product_index_by_key
    base = cc.baseline(model, tiny_table, tiny_snapshot)
    measure = cc.Measure("m", "Less power", (cc.Scale(cc.Selector(line_ids=("power",)), 0.5),),
                         cost_per_unit=2.0, currency="CNY")
    effect = cc.evaluate(measure, base, tiny_table, tiny_snapshot)
    d = effect.delta
    expected_apeq = d.value("so2_kg") / 0.95 + d.value("nox_kg") / 0.95 + d.value("co_kg") / 16.7
    assert effect.apeq_delta == pytest.approx(expected_apeq, rel=1e-12)
    assert sum(effect.apeq_delta_by_location.values()) == pytest.approx(expected_apeq,
                                                                        rel=1e-9)
    assert effect.ghg_delta < 0
    assert effect.classification == cc.CO_BENEFIT
    assert effect.cost_per_t_co2e == pytest.approx(2.0 / (-effect.ghg_delta / 1000))
    assert effect.cost_per_apeq == pytest.approx(2.0 / -expected_apeq)
    body = effect.as_dict()
    assert body["classification"] == cc.CO_BENEFIT
    assert body["delta_ghg_kg_co2e"]["total"] == pytest.approx(effect.ghg_delta)
    assert idx  # the model uses the tiny snapshot's products


def test_combined_measures_on_disjoint_lines_add_up(model, tiny_snapshot, tiny_table) -> None:
    idx = tiny_snapshot.product_index_by_key
    base = cc.baseline(model, tiny_table, tiny_snapshot)
    a = cc.Measure("a", "a", (cc.Scale(cc.Selector(line_ids=("power",)), 0.5),), cost_per_unit=1,
                   currency="CNY")
    b = cc.Measure("b", "b", (cc.Substitute(cc.Selector(line_ids=("frame",)),
                                            idx[("tiny", "wood")]),), cost_per_unit=2,
                   currency="CNY")
    together, delta = cc.combine([a, b], base, tiny_table, tiny_snapshot)
    separate = (cc.evaluate(a, base, tiny_table, tiny_snapshot).delta.total
                + cc.evaluate(b, base, tiny_table, tiny_snapshot).delta.total)
    np.testing.assert_allclose(delta.total, separate, rtol=1e-12, atol=1e-15)
    assert together.cost_per_unit == 3
