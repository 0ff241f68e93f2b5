"""Unit normalisation through pint."""

from __future__ import annotations

import pytest

from lca.units import UnitError, conversion_factor, to_canonical


@pytest.mark.parametrize(
    ("unit", "factor", "canonical"),
    [
        ("kg", 1, "kg"),
        ("t", 1000, "kg"),
        ("g", 0.001, "kg"),
        ("kWh", 1, "kWh"),
        ("MJ", 1 / 3.6, "kWh"),
        ("m3", 1, "m3"),
        ("l", 0.001, "m3"),
        ("m2", 1, "m2"),
        ("t*km", 1, "tkm"),
        ("tkm", 1, "tkm"),
        ("piece", 1, "piece"),
        ("p", 1, "piece"),
        ("unit", 1, "piece"),
        ("pcs", 1, "piece"),
    ],
)
def test_lca_units_normalise(unit: str, factor: float, canonical: str) -> None:
    amount, unit_out = to_canonical(1.0, unit)
    assert unit_out == canonical
    assert amount == pytest.approx(factor, rel=1e-12)


def test_incompatible_and_unknown_units_fail() -> None:
    with pytest.raises(UnitError):
        conversion_factor("kg", "kWh")
    with pytest.raises(UnitError):
        to_canonical(1, "bananas")
