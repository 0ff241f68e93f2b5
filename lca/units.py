"""Units of BOM lines and datasets, through pint, with the usual LCA units.

Every quantity is normalised to one canonical unit per dimension, so that a BOM
explosion can multiply down the tree and an engine can convert to a dataset's
unit with one factor.
"""

from __future__ import annotations

from functools import lru_cache

import pint


class UnitError(ValueError):
    """A unit that is unknown, ambiguous, or cannot be converted to the one asked for."""


_DEFINITIONS = """
piece = [count] = p = pcs = pc = item = unit = each = ea
tkm = tonne * kilometer = t_km
pkm = [person_transport]
kilometer_hour = [vehicle_time]
"""

CANONICAL_UNITS: tuple[str, ...] = ("kg", "kWh", "m3", "m2", "m", "tkm", "piece", "h", "pkm")
"""The unit every quantity of a dimension is stored in."""

_ALIASES = {
    "t*km": "tkm", "t.km": "tkm", "tonne*km": "tkm", "ton*km": "tkm", "tkm": "tkm",
    "m³": "m3", "m²": "m2", "kwh": "kWh", "mwh": "MWh", "gwh": "GWh", "mj": "MJ", "gj": "GJ",
    "kj": "kJ", "l": "liter", "litre": "liter", "lt": "liter", "m3": "m**3", "m2": "m**2",
    "pieces": "piece", "units": "piece", "nr": "piece", "no": "piece", "pair": None,
    "item(s)": "piece", "items": "piece", "p*km": "pkm", "person*km": "pkm",
    # Brightway / ecoinvent unit names
    "kilogram": "kg", "megajoule": "MJ", "kilowatthour": "kWh", "cubicmeter": "m**3",
    "squaremeter": "m**2", "tonkilometer": "tkm", "metricton*km": "tkm", "liter": "liter",
    "personkilometer": "pkm", "kilometer": "km", "meter": "m", "hour": "h", "ton": "tonne",
    "tonne": "tonne", "gram": "g", "kilowatt hour": "kWh",
}


@lru_cache
def registry() -> pint.UnitRegistry:
    """The shared unit registry with Tanji's extra units."""
    ureg = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
    for line in _DEFINITIONS.strip().splitlines():
        ureg.define(line.strip())
    return ureg


def _parse(unit: str) -> pint.Unit:
    text = unit.strip()
    if not text:
        raise UnitError(f"empty unit: {unit!r}")
    key = text.lower().replace(" ", "")
    if key in _ALIASES:
        alias = _ALIASES[key]
        if alias is None:
            raise UnitError(f"unit {unit!r} is ambiguous; give pieces instead")
        text = alias
    try:
        parsed = registry().parse_units(text.replace("m3", "m**3").replace("m2", "m**2"))
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError,
            AttributeError, TypeError, ValueError, AssertionError) as exc:
        raise UnitError(f"unknown unit {unit!r}") from exc
    return parsed


def canonical_unit(unit: str) -> str:
    """The canonical unit for ``unit``'s dimension; UnitError if unknown or unsupported."""
    dimension = registry().get_dimensionality(_parse(unit))
    canonical = _canonical_by_dimension().get(str(dimension))
    if canonical is None:
        raise UnitError(f"unit {unit!r} has a dimension Tanji does not handle ({dimension})")
    return canonical


@lru_cache
def _canonical_by_dimension() -> dict[str, str]:
    ureg = registry()
    return {str(ureg.get_dimensionality(_parse(u))): u for u in CANONICAL_UNITS}


def conversion_factor(from_unit: str, to_unit: str) -> float:
    """Multiply an amount in ``from_unit`` by this to get it in ``to_unit``."""
    source, target = _parse(from_unit), _parse(to_unit)
    try:
        return float(registry().Quantity(1.0, source).to(target).magnitude)
    except pint.errors.DimensionalityError as exc:
        raise UnitError(f"cannot convert {from_unit!r} to {to_unit!r}") from exc


def to_canonical(amount: float, unit: str) -> tuple[float, str]:
    """``amount`` in ``unit`` expressed in its dimension's canonical unit."""
    target = canonical_unit(unit)
    return amount * conversion_factor(unit, target), target
