"""Footprint of leaf lines: sums over U, supplier data and declarations, and the breakdowns."""

from __future__ import annotations

import time

import numpy as np
import pytest

from lca.errors import ForegroundError
from lca.footprint import footprint, footprint_batch, foreground_demand
from lca.foreground import (
    BackgroundLink,
    BomNode,
    DeclaredFootprint,
    Line,
    SupplierProcess,
    explode,
)

N2O = "20185046-64bb-4c09-a8e7-e8a9e144ca98"  # in no background exchange


@pytest.fixture
def lines(tiny_snapshot) -> list[Line]:
    s = tiny_snapshot
    idx = s.product_index_by_key
    flow = s.flow_index_by_key
    root = BomNode(
        "bike",
        children=[
            BomNode(
                "frame",
                quantity=1.0,
                stage="A1-materials",
                children=[
                    BomNode(
                        "tube",
                        quantity=2.5,
                        link=BackgroundLink(idx[("tiny", "steel")]),
                        supplier="SteelCo",
                        location="CN",
                    ),
                    BomNode(
                        "welding",
                        quantity=0.5,
                        supplier="FrameWorks",
                        location="VN",
                        link=SupplierProcess(
                            "weld-1",
                            emissions={
                                flow[("biosphere3", "349b29d1-3e58-4c66-98b9-9d1a076efd2e")]: 0.3,
                                flow[("tanji_biosphere_ext", "nitrogen-dioxide")]: 0.01,
                                flow[("biosphere3", N2O)]: 0.001,
                            },
                            inputs={idx[("tiny", "electricity")]: 2.0},
                        ),
                    ),
                ],
            ),
            BomNode(
                "box",
                quantity=0.4,
                link=BackgroundLink(idx[("tiny", "wood")]),
                stage="A3-packaging",
                supplier="BoxCo",
                location="BR",
            ),
            BomNode(
                "saddle",
                quantity=1.0,
                stage="A1-materials",
                supplier="SeatCo",
                location="IT",
                link=DeclaredFootprint(
                    "pcf-9",
                    {
                        "gwp100_kg_co2e": 3.0,
                        "gwp100_fossil_kg_co2e": 2.5,
                        "gwp100_biogenic_kg_co2e": 0.5,
                        "gwp100_luc_kg_co2e": 0.0,
                        "nox_kg": 0.002,
                    },
                ),
            ),
            BomNode("bell", quantity=1.0, stage="A1-materials"),
        ],
    )
    return explode(root)


def test_explode_multiplies_down_the_tree(lines) -> None:
    by_id = {line.line_id: line for line in lines}
    assert set(by_id) == {"frame/tube", "frame/welding", "box", "saddle", "bell"}
    assert by_id["frame/tube"].amount == 2.5
    assert by_id["frame/tube"].stage == "A1-materials"  # inherited
    assert by_id["bell"].link is None


def test_footprint_sums_the_lines(lines, tiny_snapshot, tiny_table) -> None:
    s, u = tiny_snapshot, tiny_table
    result = footprint(lines, u, s)
    idx = s.product_index_by_key
    c = s.characterization.toarray()
    flow = s.flow_index_by_key
    co2 = flow[("biosphere3", "349b29d1-3e58-4c66-98b9-9d1a076efd2e")]
    no2 = flow[("tanji_biosphere_ext", "nitrogen-dioxide")]
    declared = np.zeros(len(s.indicators))
    for i, v in {
        "gwp100_kg_co2e": 3.0,
        "gwp100_fossil_kg_co2e": 2.5,
        "gwp100_biogenic_kg_co2e": 0.5,
        "nox_kg": 0.002,
    }.items():
        declared[s.indicator_index(i)] = v
    expected = (
        2.5 * u.scores[idx[("tiny", "steel")]]
        + 0.5
        * (
            0.3 * c[:, co2]
            + 0.01 * c[:, no2]
            + 0.001 * c[:, flow[("biosphere3", N2O)]]
            + 2.0 * u.scores[idx[("tiny", "electricity")]]
        )
        + 0.4 * u.scores[idx[("tiny", "wood")]]
        + declared
    )
    np.testing.assert_allclose(result.total, expected, rtol=1e-12)
    assert result.unlinked_line_ids == ("bell",)
    assert np.isnan(result.per_line[result.line_ids.index("bell")]).all()
    assert not result.complete
    assert set(result.missing_by_line["saddle"]) == set(s.indicator_ids) - {
        "gwp100_kg_co2e",
        "gwp100_fossil_kg_co2e",
        "gwp100_biogenic_kg_co2e",
        "gwp100_luc_kg_co2e",
        "nox_kg",
    }
    # breakdowns add up to the total
    np.testing.assert_allclose(sum(result.by_supplier.values()), result.total, rtol=1e-12)
    np.testing.assert_allclose(sum(result.by_stage.values()), result.total, rtol=1e-12)
    assert set(result.by_stage) == {"A1-materials", "A3-packaging"}
    split = result.ghg_split
    assert split["fossil"] + split["biogenic"] + split["luc"] == pytest.approx(split["total"])
    assert split["luc"] == pytest.approx(0.4 * 0.2)
    for pollutant, by_location in result.pollutants_by_location.items():
        assert sum(by_location.values()) == pytest.approx(result.value(pollutant), rel=1e-12)
    assert result.pollutants_by_location["nox_kg"]["VN"] == pytest.approx(0.5 * 0.01)
    assert result.pollutants_by_location["nox_kg"]["IT"] == pytest.approx(0.002)
    # primary data: welding's direct emissions and the declared saddle
    gwp = s.indicator_index("gwp100_kg_co2e")
    assert result.primary_share[gwp] == pytest.approx(
        (0.5 * (0.3 + 0.001 * 273) + 3.0) / result.total[gwp]
    )
    assert 0 < result.cutoff_share[gwp] < 1


def test_cutoff_share_matches_direct_emissions_of_flagged_activities(
    tiny_snapshot, tiny_table
) -> None:
    from lca.contributions import contributions

    s = tiny_snapshot
    steel = s.product_index_by_key[("tiny", "steel")]
    result = footprint([Line("x", 1.0, BackgroundLink(steel))], tiny_table, s)
    contrib = contributions(s, {steel: 1.0}, top_n=10)
    gwp = s.indicator_index("gwp100_kg_co2e")
    flagged = sum(c.value for c in contrib.processes["gwp100_kg_co2e"] if s.cutoff_mask[c.index])
    assert result.cutoff_share[gwp] == pytest.approx(flagged / result.total[gwp], rel=1e-9)


def test_bad_links_are_refused(tiny_snapshot, tiny_table) -> None:
    with pytest.raises(ForegroundError):
        footprint([Line("x", 1.0, BackgroundLink(99))], tiny_table, tiny_snapshot)
    with pytest.raises(ForegroundError):
        footprint([Line("x", 1.0, None), Line("x", 2.0, None)], tiny_table, tiny_snapshot)


def test_batch_equals_loop_and_is_fast() -> None:
    rng = np.random.default_rng(7)
    n, k, products, lines = 5000, 20, 1000, 200
    unit_scores = rng.random((n, k))
    amounts = rng.random((products, lines))
    product_indices = rng.integers(0, n, size=(products, lines))
    product_indices[:, -10:] = -1  # empty slots
    started = time.perf_counter()
    batch = footprint_batch(amounts, product_indices, unit_scores)
    elapsed = time.perf_counter() - started
    used = product_indices >= 0
    loop = np.einsum(
        "pl,plk->pk", np.where(used, amounts, 0.0), unit_scores[np.where(used, product_indices, 0)]
    )
    np.testing.assert_allclose(batch, loop, rtol=1e-12)
    assert batch.shape == (products, k)
    assert elapsed < 1.0


def test_foreground_demand_feeds_contributions_and_monte_carlo(
    lines, tiny_snapshot, tiny_table
) -> None:
    from lca.contributions import contributions
    from lca.montecarlo import monte_carlo

    s = tiny_snapshot
    result = footprint(lines, tiny_table, s)
    demand, fixed = foreground_demand(lines, s)
    contrib = contributions(s, demand)
    np.testing.assert_allclose(contrib.total + fixed, result.total, rtol=1e-12)
    mc = monte_carlo(s, demand, iterations=200, seed=1, constant=fixed)
    gwp = s.indicator_index("gwp100_kg_co2e")
    assert mc.p2_5[gwp] < result.total[gwp] < mc.p97_5[gwp]
