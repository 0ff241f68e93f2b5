"""Co-control analysis (降碳减污协同): measures on a product's foreground, their carbon and
per-region pollution deltas, and where they fall in the co-control coordinate system.

A *measure* changes a few leaf lines of a product (`Change`s: another dataset, another region,
another quantity, a supplier's primary data, another electricity supply of a process). The
foreground never feeds back into the background, so every indicator is a sum over lines
(`lca.footprint`), and a measure's delta is the footprint of its changed lines after the
change minus before::

    Δh = Σ_changed (a' · U[i'] + C e' + d')  -  Σ_changed (a · U[i] + C e + d)

computed from the unit table U for the changed lines only; per-region pollutant deltas come
from U's regional columns the same way. `delta_batch` does the same for many background-only
measures at once (a gather of U's rows).

Co-control coordinates and elasticity follow the co-control effect coordinate system and cross
elasticity of Mao Xianqiang et al. (毛显强, 曾桉, 胡涛 et al., 技术减排措施协同控制效应评价研究,
中国人口·资源与环境 2011, 21(12): 1-7; Mao X. et al., Co-control of local air pollutants and
CO2 in the Chinese iron and steel industry, Environ. Sci. Technol. 2013, 47(21)) as applied by
Xing Youkai, Mao Xianqiang et al. (邢有凯, 毛显强 等, 城市蓝天保卫战行动协同控制局地大气污染物和
温室气体效果评估——以唐山市为例, 中国环境管理 2020, 12(4): 20-28)::

    x = ΔGHG / GHG          (relative change of life-cycle GHG, GWP100)
    y = ΔAPeq / APeq        (relative change of air pollution equivalents)
    elasticity = y / x      ((ΔAP/AP) / (ΔGHG/GHG))

APeq weights each air pollutant by the pollution-equivalent values of the Environmental
Protection Tax Law, Annex 2 (`lca.pollution_equivalents`). Changes are reductions when
negative, so co-benefit is x < 0 and y < 0 (Mao et al. draw reductions as positive: their
first quadrant is our third). See docs/cocontrol.md.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from lca.errors import LcaError
from lca.footprint import Footprint, footprint
from lca.foreground import BackgroundLink, DeclaredFootprint, Line, Link, SupplierProcess
from lca.indicators import GHG_PARTS
from lca.pollution_equivalents import (
    AIR,
    WATER,
    equivalents_by_location,
    pollution_equivalents,
    tax_exposure,
)
from lca.precompute import UnitTable
from lca.snapshot import Snapshot
from lca.units import UnitError, conversion_factor


class MeasureError(LcaError):
    """A measure cannot be applied to this product on this snapshot (the reason says why)."""


# --------------------------------------------------------------------------------------------
# Measures: which lines, and what changes


@dataclass(frozen=True)
class Selector:
    """Which leaf lines a change applies to: every given criterion must hold.

    ``line_ids`` (exact), ``part_number`` (exact), ``material_class`` (exact, any case),
    ``description`` (shell-style pattern, any case), as link rules match (`lca.linking`).
    """

    line_ids: tuple[str, ...] = ()
    part_number: str | None = None
    material_class: str | None = None
    description: str | None = None

    def __post_init__(self) -> None:
        if not (self.line_ids or self.part_number or self.material_class or self.description):
            raise MeasureError("a selector needs at least one criterion")

    def matches(self, line_id: str, leaf: Mapping[str, Any]) -> bool:
        """True if the line (its stored leaf attributes) meets every criterion."""
        if self.line_ids and line_id not in self.line_ids:
            return False
        if self.part_number is not None and leaf.get("part_number") != self.part_number:
            return False
        if self.material_class is not None and str(
                leaf.get("material_class") or "").casefold() != self.material_class.casefold():
            return False
        return self.description is None or fnmatch.fnmatch(
            str(leaf.get("description") or "").casefold(), self.description.casefold())


@dataclass(frozen=True)
class Substitute:
    """Link the selected lines to another background dataset (e.g. recycled aluminium).

    ``factor``: amount of the new dataset per amount of the old, after unit conversion
    (e.g. 1.05 for a yield loss).
    """

    selector: Selector
    product_index: int
    factor: float = 1.0


@dataclass(frozen=True)
class Relocate:
    """Source the selected lines from ``location``: the same reference product, same unit,
    in that location (a supplier's inputs too)."""

    selector: Selector
    location: str


@dataclass(frozen=True)
class Scale:
    """Multiply the selected lines' amounts (lightweighting, yield)."""

    selector: Selector
    factor: float


@dataclass(frozen=True)
class UsePrimary:
    """Replace the selected lines' data by a supplier's primary record (``primary:<id>``).

    ``link`` is the resolved record, ``declared_unit`` the unit one of it is declared in.
    """

    selector: Selector
    link: SupplierProcess | DeclaredFootprint
    declared_unit: str


@dataclass(frozen=True)
class SwitchElectricity:
    """Supply the selected processes' electricity from ``product_index`` (another grid).

    A background line is first opened into its own process (direct emissions and inputs, one
    tier, exact: U[i] = (C B[:, i] - Σ_{j≠i} A[j, i] U[j]) / A[i, i]). Inputs moved are those
    in ``sources``, or, if empty, every input whose dataset's reference product or name says
    electricity (``electricity``, ``电力``, ``电网``).
    """

    selector: Selector
    product_index: int
    sources: tuple[int, ...] = ()


Change = Substitute | Relocate | Scale | UsePrimary | SwitchElectricity


@dataclass(frozen=True)
class Measure:
    """A named, versioned change to a product's model.

    ``cost_per_unit``: change of cost per product unit (annualised capital + operating), in
    ``currency``; negative is a saving. ``group``: measures of one group exclude each other in
    portfolios (alternatives).
    """

    measure_id: str
    name: str
    changes: tuple[Change, ...]
    version: int = 1
    cost_per_unit: float | None = None
    currency: str | None = None
    group: str | None = None


@dataclass(frozen=True)
class ProductModel:
    """A product's linked lines with what changes need to read: each line's stored leaf
    attributes and the unit its amount is in."""

    lines: tuple[Line, ...]
    leaf_by_line: Mapping[str, Mapping[str, Any]]
    unit_by_line: Mapping[str, str]


def _convert(amount: float, from_unit: str | None, to_unit: str | None, what: str) -> float:
    if not from_unit or not to_unit or from_unit == to_unit:
        return amount
    try:
        return amount * conversion_factor(from_unit, to_unit)
    except UnitError as exc:
        raise MeasureError(f"{what}: {exc}") from exc


def _line_unit(line: Line, model: ProductModel, snapshot: Snapshot) -> str | None:
    if isinstance(line.link, BackgroundLink):
        return snapshot.activities[line.link.product_index].unit
    return model.unit_by_line.get(line.line_id)


def same_product_in(snapshot: Snapshot, product_index: int, location: str) -> int:
    """The dataset of the same reference product and unit as ``product_index`` in ``location``.

    Among several, the one of the same database and name wins; still several is an error.
    """
    this = snapshot.activities[product_index]
    if this.location == location:
        return product_index
    product = this.reference_product or this.name
    found = [i for i, a in enumerate(snapshot.activities)
             if a.location == location and a.unit == this.unit
             and (a.reference_product or a.name) == product]
    if len(found) > 1:
        found = [i for i in found if snapshot.activities[i].database == this.database] or found
    if len(found) > 1:
        found = [i for i in found if snapshot.activities[i].name == this.name] or found
    if not found:
        raise MeasureError(f"no dataset of {product!r} ({this.unit}) in {location}")
    if len(found) > 1:
        raise MeasureError(f"{len(found)} datasets of {product!r} in {location}: name one")
    return found[0]


def open_process(snapshot: Snapshot, product_index: int) -> SupplierProcess:
    """A background activity as a foreground process: its own direct emissions and inputs per
    unit of its product, one tier, so its footprint from U is exactly U[product_index]."""
    a = snapshot.technosphere_matrix.tocsc()
    b = snapshot.biosphere_matrix.tocsc()
    column = a[:, product_index]
    diagonal = float(column[product_index, 0])
    if diagonal == 0.0:
        raise MeasureError(f"dataset {product_index} has no output of its own product")
    inputs = {int(j): -float(v) / diagonal for j, v in zip(column.indices, column.data,
                                                           strict=True)
              if j != product_index and v != 0.0}
    emissions_column = b[:, product_index]
    emissions = {int(m): float(v) / diagonal for m, v in zip(emissions_column.indices,
                                                             emissions_column.data, strict=True)
                 if v != 0.0}
    activity = snapshot.activities[product_index]
    return SupplierProcess(process_id=f"{activity.database}:{activity.code}",
                           emissions=emissions, inputs=inputs, location=activity.location)


_ELECTRICITY_WORDS = ("electricity", "电力", "电网")


def is_electricity(snapshot: Snapshot, product_index: int) -> bool:
    """True if the dataset's reference product or name says electricity."""
    activity = snapshot.activities[product_index]
    text = f"{activity.reference_product or ''} {activity.name} {activity.name_zh or ''}"
    return any(word in text.casefold() for word in _ELECTRICITY_WORDS)


def _apply_one(change: Change, line: Line, model: ProductModel, snapshot: Snapshot) -> Line:
    what = f"line {line.line_id!r}"
    if line.link is None:
        raise MeasureError(f"{what} is not linked")
    if isinstance(change, Scale):
        return replace(line, amount=line.amount * change.factor)
    if isinstance(change, Substitute):
        target_unit = snapshot.activities[change.product_index].unit
        amount = _convert(line.amount, _line_unit(line, model, snapshot), target_unit, what)
        return replace(line, amount=amount * change.factor,
                       link=BackgroundLink(change.product_index))
    if isinstance(change, UsePrimary):
        amount = _convert(line.amount, _line_unit(line, model, snapshot), change.declared_unit,
                          what)
        return replace(line, amount=amount, link=change.link)
    if isinstance(change, Relocate):
        if isinstance(line.link, BackgroundLink):
            target = same_product_in(snapshot, line.link.product_index, change.location)
            return replace(line, link=BackgroundLink(target), location=change.location)
        if isinstance(line.link, SupplierProcess):
            inputs: dict[int, float] = {}
            for index, amount in line.link.inputs.items():
                try:
                    moved = same_product_in(snapshot, index, change.location)
                except MeasureError:
                    moved = index  # nothing of that product there: keep the supply
                inputs[moved] = inputs.get(moved, 0.0) + amount
            link = replace(line.link, inputs=inputs, location=change.location)
            return replace(line, link=link, location=change.location)
        raise MeasureError(f"{what}: a declared footprint cannot be relocated")
    if isinstance(change, SwitchElectricity):
        link: Link = line.link
        if isinstance(link, BackgroundLink):
            link = open_process(snapshot, link.product_index)
        if not isinstance(link, SupplierProcess):
            raise MeasureError(f"{what}: a declared footprint has no electricity input")
        target_unit = snapshot.activities[change.product_index].unit
        inputs = {}
        moved_any = False
        for index, amount in link.inputs.items():
            chosen = index in change.sources if change.sources else is_electricity(snapshot,
                                                                                   index)
            if chosen and index != change.product_index:
                amount = _convert(amount, snapshot.activities[index].unit, target_unit, what)
                index = change.product_index
                moved_any = True
            inputs[index] = inputs.get(index, 0.0) + amount
        if not moved_any:
            raise MeasureError(f"{what}: the process has no electricity input to switch")
        return replace(line, link=replace(link, inputs=inputs))
    raise MeasureError(f"unknown change {type(change).__name__}")


@dataclass(frozen=True)
class AppliedMeasure:
    """The product's lines after a measure, and which of them changed."""

    lines: tuple[Line, ...]
    changed_line_ids: tuple[str, ...]


def apply_measure(measure: Measure, model: ProductModel, snapshot: Snapshot) -> AppliedMeasure:
    """The product's lines with the measure's changes applied in order.

    A change whose selector matches no line is an error (a measure that does nothing is
    almost always a typo).
    """
    lines = list(model.lines)
    changed: dict[str, None] = {}
    for change in measure.changes:
        hits = 0
        for row, line in enumerate(lines):
            if change.selector.matches(line.line_id, model.leaf_by_line.get(line.line_id, {})):
                lines[row] = _apply_one(change, line, model, snapshot)
                changed[line.line_id] = None
                hits += 1
        if not hits:
            raise MeasureError(f"measure {measure.name!r}: {type(change).__name__} matches no line")
    return AppliedMeasure(tuple(lines), tuple(changed))


# --------------------------------------------------------------------------------------------
# Deltas


def _pollutants_delta(after: Footprint, before: Footprint) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for indicator_id in after.pollutants_by_location.keys() | before.pollutants_by_location:
        a = after.pollutants_by_location.get(indicator_id, {})
        b = before.pollutants_by_location.get(indicator_id, {})
        by_location = {loc: a.get(loc, 0.0) - b.get(loc, 0.0) for loc in a.keys() | b}
        out[indicator_id] = {k: v for k, v in sorted(by_location.items()) if v != 0.0}
    return out


@dataclass(frozen=True)
class Delta:
    """What a measure changes: every indicator, and every pollutant by location of emission."""

    indicator_ids: tuple[str, ...]
    total: np.ndarray
    pollutants_by_location: dict[str, dict[str, float]]
    changed_line_ids: tuple[str, ...]
    missing_by_line: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Changed lines whose new declared footprint lacks indicators (counted as 0 there, as
    `lca.footprint` counts them): deltas of those indicators are not comparable."""

    def value(self, indicator_id: str) -> float:
        """Delta of one indicator (0 if the snapshot lacks it)."""
        if indicator_id not in self.indicator_ids:
            return 0.0
        return float(self.total[self.indicator_ids.index(indicator_id)])


def measure_delta(applied: AppliedMeasure, model: ProductModel, table: UnitTable,
                  snapshot: Snapshot) -> Delta:
    """Footprint of the changed lines after minus before, from U (changed lines only)."""
    changed = set(applied.changed_line_ids)
    before = [line for line in model.lines if line.line_id in changed]
    after = [line for line in applied.lines if line.line_id in changed]
    fp_after = footprint(after, table, snapshot)
    fp_before = footprint(before, table, snapshot)
    if fp_after.unlinked_line_ids or fp_before.unlinked_line_ids:
        raise MeasureError("a changed line is not linked")
    return Delta(indicator_ids=table.indicator_ids, total=fp_after.total - fp_before.total,
                 pollutants_by_location=_pollutants_delta(fp_after, fp_before),
                 changed_line_ids=applied.changed_line_ids,
                 missing_by_line=dict(fp_after.missing_by_line))


def delta_batch(old_indices: np.ndarray, old_amounts: np.ndarray, new_indices: np.ndarray,
                new_amounts: np.ndarray, unit_scores: np.ndarray) -> np.ndarray:
    """Deltas of many background-only measures at once: (M x k).

    Each of the M measures replaces up to C background lines (M x C arrays; index -1 marks an
    empty slot): row m = Σ_c new_amounts · U[new_indices] - old_amounts · U[old_indices].
    Pass ``unit_scores`` = ``regional_scores.reshape(n, -1)`` for the per-location deltas.
    """
    def gathered(indices: np.ndarray, amounts: np.ndarray) -> np.ndarray:
        indices = np.asarray(indices)
        used = indices >= 0
        rows = np.take(unit_scores, np.where(used, indices, 0), axis=0)
        weights = np.where(used, np.asarray(amounts, dtype=np.float64), 0.0)
        return np.einsum("mc,mck->mk", weights, rows)

    return gathered(new_indices, new_amounts) - gathered(old_indices, old_amounts)


# --------------------------------------------------------------------------------------------
# Classification and coordinates

CO_BENEFIT = "co-benefit"
CARBON_ONLY = "carbon-only"
POLLUTION_ONLY = "pollution-only"
NEGATIVE_SYNERGY = "negative-synergy"
BOTH_RISE = "both-rise"
RISE_ONLY = "rise-only"
NO_CHANGE = "no-change"
CLASSES = (CO_BENEFIT, CARBON_ONLY, POLLUTION_ONLY, NEGATIVE_SYNERGY, BOTH_RISE, RISE_ONLY,
           NO_CHANGE)

SIGN_RTOL = 1e-9
"""A change smaller than this share of its baseline counts as no change (rounding)."""


def _sign(delta: float, base: float, rtol: float) -> int:
    if abs(delta) <= rtol * abs(base) or delta == 0.0:
        return 0
    return 1 if delta > 0 else -1


def classify(d_ghg: float, d_ap: float, *, ghg_base: float = 0.0, ap_base: float = 0.0,
             rtol: float = SIGN_RTOL) -> str:
    """Co-control class of a change of GHG and of pollution (negative = falls).

    both fall: co-benefit; GHG falls, pollution unchanged: carbon-only; the reverse:
    pollution-only; one falls, the other rises: negative-synergy; both rise: both-rise; one
    rises, the other unchanged: rise-only; neither changes: no-change.
    """
    g, a = _sign(d_ghg, ghg_base, rtol), _sign(d_ap, ap_base, rtol)
    if g < 0 and a < 0:
        return CO_BENEFIT
    if g < 0 and a == 0:
        return CARBON_ONLY
    if g == 0 and a < 0:
        return POLLUTION_ONLY
    if g * a < 0:
        return NEGATIVE_SYNERGY
    if g > 0 and a > 0:
        return BOTH_RISE
    if g > 0 or a > 0:
        return RISE_ONLY
    return NO_CHANGE


@dataclass(frozen=True)
class Coordinates:
    """Position in the co-control coordinate system: relative changes and their elasticity.

    ``x`` = ΔGHG/GHG, ``y`` = ΔAPeq/APeq (None where the baseline is 0); ``elasticity`` =
    y / x (None where x is 0 or unknown). Elasticity > 0: both move the same way (with x < 0,
    co-benefit; > 1: pollution falls faster than carbon); < 0: negative synergy.
    """

    x: float | None
    y: float | None
    elasticity: float | None


def _ratio(a: float, b: float) -> float | None:
    return a / b if b != 0.0 and math.isfinite(a / b) else None


def coordinates(d_ghg: float, ghg: float, d_ap: float, ap: float) -> Coordinates:
    """x, y and elasticity of a change (Mao et al.; Xing et al. 2020)."""
    x, y = _ratio(d_ghg, ghg), _ratio(d_ap, ap)
    elasticity = _ratio(y, x) if x is not None and y is not None else None
    return Coordinates(x=x, y=y, elasticity=elasticity)


@dataclass(frozen=True)
class RegionShift:
    """Pollution moved between regions: APeq falls in some locations and rises in others."""

    shifted: bool
    rising: tuple[str, ...]
    falling: tuple[str, ...]


def region_shift(delta_by_location: Mapping[str, float], base_by_location: Mapping[str, float],
                 *, rtol: float = SIGN_RTOL, floor: float = 0.0) -> RegionShift:
    """Locations where APeq rises and falls; ``shifted`` if both exist (even if the total
    falls). A change counts if above ``rtol`` of the location's baseline and above ``floor``."""
    rising, falling = [], []
    for location, delta in sorted(delta_by_location.items()):
        if abs(delta) <= max(floor, rtol * abs(base_by_location.get(location, 0.0))):
            continue
        (rising if delta > 0 else falling).append(location)
    return RegionShift(bool(rising and falling), tuple(rising), tuple(falling))


# --------------------------------------------------------------------------------------------
# Evaluation against a baseline


@dataclass(frozen=True)
class Effect:
    """A measure evaluated against a baseline footprint (all values per product unit)."""

    measure: Measure
    delta: Delta
    baseline: Footprint
    apeq_baseline: float
    apeq_delta: float
    apeq_baseline_by_location: dict[str, float]
    apeq_delta_by_location: dict[str, float]
    water_peq_baseline: float
    water_peq_delta: float
    water_peq_delta_by_location: dict[str, float]
    coordinates: Coordinates
    classification: str
    classification_by_location: dict[str, str]
    shift: RegionShift
    cost_per_t_co2e: float | None
    cost_per_apeq: float | None

    @property
    def ghg_delta(self) -> float:
        """Δ GWP100 total, kg CO2e."""
        return self.delta.value(GHG_PARTS["total"])

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, every number finite or None."""
        ids = self.delta.indicator_ids
        ghg = {part: _num(self.delta.value(i)) for part, i in GHG_PARTS.items() if i in ids}
        c = self.coordinates
        return {
            "measure_id": self.measure.measure_id, "name": self.measure.name,
            "version": self.measure.version, "group": self.measure.group,
            "changed_line_ids": list(self.delta.changed_line_ids),
            "missing_declared": {k: list(v) for k, v in self.delta.missing_by_line.items()},
            "delta": {i: _num(v) for i, v in zip(ids, self.delta.total, strict=True)},
            "delta_ghg_kg_co2e": ghg,
            "delta_pollutants_by_location": {
                i: {loc: _num(v) for loc, v in by.items()}
                for i, by in self.delta.pollutants_by_location.items()},
            "apeq": {"baseline": _num(self.apeq_baseline), "delta": _num(self.apeq_delta),
                     "baseline_by_location": _nums(self.apeq_baseline_by_location),
                     "delta_by_location": _nums(self.apeq_delta_by_location),
                     "tax_exposure_delta_cny": tax_exposure(self.apeq_delta_by_location, AIR)},
            "water_peq": {"baseline": _num(self.water_peq_baseline),
                          "delta": _num(self.water_peq_delta),
                          "delta_by_location": _nums(self.water_peq_delta_by_location),
                          "tax_exposure_delta_cny": tax_exposure(
                              self.water_peq_delta_by_location, WATER)},
            "coordinates": {"x_ghg_relative": _num(c.x), "y_apeq_relative": _num(c.y),
                            "elasticity": _num(c.elasticity)},
            "classification": self.classification,
            "classification_by_location": self.classification_by_location,
            "region_shift": {"shifted": self.shift.shifted, "rising": list(self.shift.rising),
                             "falling": list(self.shift.falling)},
            "cost": {"per_unit": _num(self.measure.cost_per_unit),
                     "currency": self.measure.currency,
                     "per_t_co2e_abated": _num(self.cost_per_t_co2e),
                     "per_apeq_abated": _num(self.cost_per_apeq)},
        }


def _num(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _nums(values: Mapping[str, float]) -> dict[str, float | None]:
    return {k: _num(v) for k, v in values.items()}


def _cost_per(cost: float | None, abated: float) -> float | None:
    """Cost per unit abated (abated > 0); None without a cost or without abatement."""
    if cost is None or abated <= 0.0:
        return None
    return cost / abated


@dataclass(frozen=True)
class Baseline:
    """A product's baseline: its model and footprint, with APeq by location precomputed."""

    model: ProductModel
    footprint: Footprint
    apeq: float = field(init=False)
    apeq_by_location: dict[str, float] = field(init=False)
    water_peq: float = field(init=False)

    def __post_init__(self) -> None:
        values = dict(zip(self.footprint.indicator_ids, self.footprint.total.tolist(),
                          strict=True))
        object.__setattr__(self, "apeq", pollution_equivalents(values, AIR))
        object.__setattr__(self, "apeq_by_location",
                           equivalents_by_location(self.footprint.pollutants_by_location, AIR))
        object.__setattr__(self, "water_peq", pollution_equivalents(values, WATER))


def baseline(model: ProductModel, table: UnitTable, snapshot: Snapshot) -> Baseline:
    """The product's footprint and equivalents before any measure."""
    return Baseline(model, footprint(model.lines, table, snapshot))


def effect(measure: Measure, delta: Delta, base: Baseline) -> Effect:
    """Equivalents, coordinates, classes and costs of a measure's delta."""
    values = dict(zip(delta.indicator_ids, delta.total.tolist(), strict=True))
    d_apeq = pollution_equivalents(values, AIR)
    d_apeq_by_loc = equivalents_by_location(delta.pollutants_by_location, AIR)
    d_ghg = delta.value(GHG_PARTS["total"])
    ghg = base.footprint.value(GHG_PARTS["total"]) if GHG_PARTS["total"] in \
        base.footprint.indicator_ids else 0.0
    # Per region, a change below the rounding of the product's total APeq is no change.
    by_location = {loc: classify(d_ghg, d, ghg_base=ghg,
                                 ap_base=max(abs(base.apeq_by_location.get(loc, 0.0)),
                                             abs(base.apeq)))
                   for loc, d in d_apeq_by_loc.items()}
    return Effect(
        measure=measure, delta=delta, baseline=base.footprint,
        apeq_baseline=base.apeq, apeq_delta=d_apeq,
        apeq_baseline_by_location=base.apeq_by_location, apeq_delta_by_location=d_apeq_by_loc,
        water_peq_baseline=base.water_peq, water_peq_delta=pollution_equivalents(values, WATER),
        water_peq_delta_by_location=equivalents_by_location(delta.pollutants_by_location,
                                                            WATER),
        coordinates=coordinates(d_ghg, ghg, d_apeq, base.apeq),
        classification=classify(d_ghg, d_apeq, ghg_base=ghg, ap_base=base.apeq),
        classification_by_location=by_location,
        shift=region_shift(d_apeq_by_loc, base.apeq_by_location,
                           floor=SIGN_RTOL * abs(base.apeq)),
        cost_per_t_co2e=_cost_per(measure.cost_per_unit, -d_ghg / 1000.0),
        cost_per_apeq=_cost_per(measure.cost_per_unit, -d_apeq),
    )


def evaluate(measure: Measure, base: Baseline, table: UnitTable, snapshot: Snapshot) -> Effect:
    """Apply a measure to the baseline's model and evaluate it from U."""
    applied = apply_measure(measure, base.model, snapshot)
    return effect(measure, measure_delta(applied, base.model, table, snapshot), base)


def combine(measures: Sequence[Measure], base: Baseline, table: UnitTable,
            snapshot: Snapshot) -> tuple[Measure, Delta]:
    """Several measures applied together (in order) as one, with its delta."""
    changes = tuple(c for m in measures for c in m.changes)
    costs = [m.cost_per_unit for m in measures if m.cost_per_unit is not None]
    currencies = {m.currency for m in measures if m.currency}
    if len(currencies) > 1:
        raise MeasureError(f"measures in several currencies: {sorted(currencies)}")
    together = Measure(measure_id="+".join(m.measure_id for m in measures),
                       name=" + ".join(m.name for m in measures), changes=changes,
                       cost_per_unit=sum(costs) if costs else None,
                       currency=next(iter(currencies), None))
    applied = apply_measure(together, base.model, snapshot)
    return together, measure_delta(applied, base.model, table, snapshot)
