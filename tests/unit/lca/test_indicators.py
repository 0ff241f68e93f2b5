"""The indicator set: factors, groups, sources."""

from __future__ import annotations

import numpy as np
import pytest

from lca.errors import UnknownIndicator
from lca.indicators import (
    DEFAULT_INDICATORS,
    EXT_NITROGEN_DIOXIDE,
    EXT_PM10_TOTAL,
    GHG_PARTS,
    NO_AS_NO2,
    Flow,
    Indicator,
    characterization_matrix,
    get_indicator,
    load_lcia_methods,
)


def _flows_of_lcia_file() -> list[Flow]:
    seen = {}
    for method in load_lcia_methods().values():
        for exchange in method["exchanges"]:
            seen[exchange["input"]] = Flow(
                key=exchange["input"], name=exchange["name"], categories=exchange["categories"]
            )
    return list(seen.values())


def test_every_indicator_is_documented() -> None:
    ids = [i.id for i in DEFAULT_INDICATORS]
    assert len(ids) == len(set(ids))
    for indicator in DEFAULT_INDICATORS:
        assert indicator.name
        assert indicator.unit
        assert indicator.version
        assert indicator.source.publication
        assert indicator.source.table
        assert indicator.source.year >= 2021
        assert Indicator.from_dict(indicator.to_dict()) == indicator


def test_ghg_parts_add_up_to_total_factor_by_factor() -> None:
    flows = _flows_of_lcia_file()
    ghg = [get_indicator(GHG_PARTS[p]) for p in ("total", "fossil", "biogenic", "luc")]
    matrix = characterization_matrix(flows, ghg).toarray()
    assert np.count_nonzero(matrix[0]) > 100
    np.testing.assert_allclose(matrix[1:].sum(axis=0), matrix[0], rtol=0, atol=0)
    co2 = next(j for j, f in enumerate(flows) if f.name == "Carbon dioxide, fossil")
    ch4 = next(j for j, f in enumerate(flows) if f.name == "Methane, fossil")
    assert matrix[0, co2] == 1.0
    assert matrix[0, ch4] == pytest.approx(29.8)  # AR6 Table 7.SM.7, fossil methane


def test_pollutant_groups() -> None:
    flows = [
        Flow(
            ("biosphere3", "a"),
            "Particulate Matter, < 2.5 um",
            ("air", "urban air close to ground"),
        ),
        Flow(("biosphere3", "b"), "Particulate Matter, > 2.5 um and < 10um", ("air",)),
        Flow(EXT_PM10_TOTAL, "Particulate Matter, < 10 um, total", ("air",)),
        Flow(("biosphere3", "c"), "Particulate Matter, < 2.5 um", ("water",)),
        Flow(("biosphere3", "d"), "Nitrogen oxides", ("air", "non-urban air or from high stacks")),
        Flow(EXT_NITROGEN_DIOXIDE, "Nitrogen dioxide", ("air",)),
        Flow(("biosphere3", "e"), "Nitric oxide", ("air",)),
        Flow(("biosphere3", "f"), "Nitrogen dioxide", ("water", "surface water")),
    ]
    ids = ["pm25_kg", "pm10_kg", "nox_kg"]
    matrix = characterization_matrix(flows, [get_indicator(i) for i in ids]).toarray()
    np.testing.assert_array_equal(matrix[0], [1, 0, 0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(matrix[1], [1, 1, 1, 0, 0, 0, 0, 0])
    np.testing.assert_allclose(matrix[2], [0, 0, 0, 0, 1, 1, NO_AS_NO2, 0])


def test_extension_no2_takes_the_nox_factor_in_ef() -> None:
    flows = [
        Flow(("biosphere3", "c1b91234-6f24-417b-8309-46111d09c457"), "Nitrogen oxides", ("air",)),
        Flow(EXT_NITROGEN_DIOXIDE, "Nitrogen dioxide", ("air",)),
    ]
    matrix = characterization_matrix(
        flows, [get_indicator("ef31_acidification_mol_h_eq")]
    ).toarray()
    assert matrix[0, 0] == pytest.approx(0.74)
    assert matrix[0, 1] == matrix[0, 0]


def test_unknown_indicator() -> None:
    with pytest.raises(UnknownIndicator):
        get_indicator("gwp1000")
