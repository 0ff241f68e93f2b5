"""The unit-indicator table equals a plain bw2calc LCA per product and indicator."""

from __future__ import annotations

import bw2calc as bc
import numpy as np
import pytest
from scipy import sparse

from lca.errors import SingularSystemError
from lca.precompute import UnitTable, location_masks, unit_indicator_table


def _bw2calc_score(snapshot, product_index: int, indicator_id: str) -> float:
    activity = snapshot.activities[product_index]
    data_objs = [
        *snapshot.inventory_datapackages(),
        snapshot.characterization_datapackage(indicator_id),
    ]
    lca = bc.LCA({activity.id: 1.0}, data_objs=data_objs)
    lca.lci()
    try:
        lca.lcia()
    except ValueError:  # no characterisation data for this indicator in the system
        return 0.0
    return float(lca.score)


def test_unit_table_equals_bw2calc(tiny_snapshot, tiny_table) -> None:
    snapshot = tiny_snapshot
    expected = np.array(
        [
            [_bw2calc_score(snapshot, i, indicator_id) for indicator_id in snapshot.indicator_ids]
            for i in range(len(snapshot.activities))
        ]
    )
    scale = np.abs(expected).max(axis=0, keepdims=True)
    assert np.allclose(tiny_table.scores, expected, rtol=1e-9, atol=1e-12 * scale.max())
    for k in range(expected.shape[1]):
        assert np.allclose(
            tiny_table.scores[:, k], expected[:, k], rtol=1e-9, atol=1e-12 * scale[0, k]
        )
    assert np.count_nonzero(expected) > 30
    # same through the public signature
    direct = unit_indicator_table(
        snapshot.technosphere_matrix, snapshot.biosphere_matrix, snapshot.characterization
    )
    assert direct.shape == (4, len(snapshot.indicators))
    assert direct.dtype == np.float64
    np.testing.assert_allclose(direct, tiny_table.scores, rtol=1e-12, atol=0)


def test_masks_split_the_total(tiny_snapshot, tiny_table) -> None:
    names, masks = location_masks(tiny_snapshot.locations)
    assert names == ("BR", "CN", "US")
    split = unit_indicator_table(
        tiny_snapshot.technosphere_matrix,
        tiny_snapshot.biosphere_matrix,
        tiny_snapshot.characterization,
        activity_masks=sparse.csr_matrix(masks),
    )
    assert split.shape == (4, 3, len(tiny_snapshot.indicators))
    np.testing.assert_allclose(split.sum(axis=1), tiny_table.scores, rtol=1e-12, atol=1e-15)
    # regional pollutant table of precompute agrees
    cols = [tiny_snapshot.indicator_index(i) for i in tiny_table.regional_indicator_ids]
    np.testing.assert_allclose(tiny_table.regional_scores, split[:, :, cols], rtol=1e-12, atol=0)
    # wood (BR) needs no BR activity but itself: its own emissions are the BR part
    wood = tiny_snapshot.product_index_by_key[("tiny", "wood")]
    nmvoc = tiny_table.regional_indicator_ids.index("nmvoc_kg")
    assert tiny_table.regional_scores[wood, 0, nmvoc] == pytest.approx(5e-4)
    # cut-off part lies between 0 and the total for non-negative indicators
    assert np.all(tiny_table.cutoff_scores <= tiny_table.scores + 1e-15)


def test_singular_system_is_refused() -> None:
    technosphere = sparse.csr_matrix(np.array([[1.0, -1.0], [-1.0, 1.0]]))
    biosphere = sparse.csr_matrix(np.eye(2))
    with pytest.raises(SingularSystemError):
        unit_indicator_table(technosphere, biosphere, sparse.csr_matrix(np.eye(2)))
    with pytest.raises(SingularSystemError):
        unit_indicator_table(sparse.csr_matrix(np.ones((2, 3))), biosphere, biosphere)


def test_unit_table_bytes_roundtrip(tiny_table) -> None:
    again = UnitTable.from_bytes(tiny_table.to_bytes())
    assert again.indicator_ids == tiny_table.indicator_ids
    assert again.locations == tiny_table.locations
    np.testing.assert_array_equal(again.scores, tiny_table.scores)
    np.testing.assert_array_equal(again.regional_scores, tiny_table.regional_scores)


def test_regions_group_locations(tiny_snapshot, tiny_table) -> None:
    from lca.precompute import precompute

    grouped = precompute(
        tiny_snapshot, region_by_location={"CN": "Asia", "US": "Americas", "BR": "Americas"}
    )
    assert grouped.locations == ("Americas", "Asia")
    np.testing.assert_allclose(grouped.scores, tiny_table.scores, rtol=0, atol=0)
    americas = tiny_table.regional_scores[:, [0, 2], :].sum(axis=1)
    np.testing.assert_allclose(grouped.regional_scores[:, 0, :], americas, rtol=1e-12, atol=1e-18)
