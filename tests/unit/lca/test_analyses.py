"""Contributions and Monte Carlo on the tiny system, against plain bw2calc."""

from __future__ import annotations

import bw2calc as bc
import numpy as np
import pytest

from lca.contributions import contributions
from lca.montecarlo import monte_carlo


def test_contributions_add_up(tiny_snapshot, tiny_table) -> None:
    s = tiny_snapshot
    steel = s.product_index_by_key[("tiny", "steel")]
    result = contributions(s, {steel: 2.0}, top_n=10)
    np.testing.assert_allclose(result.total, 2.0 * tiny_table.scores[steel], rtol=1e-12)
    for k, indicator_id in enumerate(s.indicator_ids):
        top = result.processes[indicator_id]
        assert sum(c.value for c in top) == pytest.approx(result.total[k], rel=1e-9, abs=1e-15)
        flows = result.flows[indicator_id]
        assert sum(c.value for c in flows) == pytest.approx(result.total[k], rel=1e-9, abs=1e-15)
    gwp_top = result.processes["gwp100_kg_co2e"][0]
    assert s.activities[gwp_top.index].code == "steel"
    assert result.flows["gwp100_kg_co2e"][0].label.startswith("Carbon dioxide, fossil")
    # supply equals bw2calc's
    lca = bc.LCA({s.activities[steel].id: 2.0}, data_objs=s.inventory_datapackages())
    lca.lci()
    np.testing.assert_allclose(result.supply, lca.supply_array, rtol=1e-12)


def test_monte_carlo_is_reproducible_and_matches_bw2calc(tiny_snapshot) -> None:
    s = tiny_snapshot
    electricity = s.product_index_by_key[("tiny", "electricity")]
    first = monte_carlo(s, {electricity: 1.0}, iterations=50, seed=42)
    again = monte_carlo(s, {electricity: 1.0}, iterations=50, seed=42)
    other = monte_carlo(s, {electricity: 1.0}, iterations=50, seed=43)
    np.testing.assert_array_equal(first.samples, again.samples)
    assert first.summary() == again.summary()
    assert not np.array_equal(first.samples, other.samples)
    gwp = s.indicator_index("gwp100_kg_co2e")
    assert first.samples[:, gwp].std() > 0
    assert first.p2_5[gwp] < first.median[gwp] < first.p97_5[gwp]

    lca = bc.LCA(
        {s.activities[electricity].id: 1.0},
        data_objs=[*s.inventory_datapackages(), s.characterization_datapackage("gwp100_kg_co2e")],
        use_distributions=True,
        seed_override=42,
    )
    lca.lci()
    lca.lcia()
    bw2calc_scores = [lca.score]
    for _ in range(4):
        next(lca)
        bw2calc_scores.append(lca.score)
    np.testing.assert_allclose(first.samples[:5, gwp], bw2calc_scores, rtol=1e-9)
