"""Portfolios of measures: which to take, as a small mixed-integer program (HiGHS).

Each option m has a cost c_m per product unit, a GHG change g_m (kg CO2e, negative = cut) and
an APeq change a_{m,r} per region r. Measures that touch disjoint lines add up exactly
(the footprint is linear per line), so with binary x_m::

    cheapest:   min Σ c_m x_m   s.t.  Σ g_m x_m ≤ -target,  Σ_m a_{m,r} x_m ≤ cap_r  ∀r,
                                      Σ_{m∈G} x_m ≤ 1  for every exclusive group G
    max cut:    min Σ g_m x_m   s.t.  Σ c_m x_m ≤ budget, the same region and group rows

Measures that touch the same line do not add up (the second acts on what the first left), so
they must be alternatives: `exclusive_groups` puts every pair that shares a line into one group
(union of the declared groups and the line overlaps), which keeps the model exact.

The Pareto front of GHG cut vs APeq cut vs cost is traced by epsilon-constraint over GHG
targets: for each target the cheapest portfolio, then, at that cost, the one cutting APeq most.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from lca.cocontrol import Effect
from lca.errors import LcaError


class PortfolioError(LcaError):
    """The portfolio problem is malformed (the reason says why)."""


@dataclass(frozen=True)
class Option:
    """One measure as the optimiser sees it (per product unit)."""

    measure_id: str
    cost: float
    ghg_delta: float
    apeq_delta_by_region: Mapping[str, float] = field(default_factory=dict)
    group: str | None = None
    line_ids: tuple[str, ...] = ()

    @property
    def apeq_delta(self) -> float:
        """Δ APeq over all regions."""
        return float(sum(self.apeq_delta_by_region.values()))


@dataclass(frozen=True)
class Portfolio:
    """A chosen set and what it adds up to; ``status`` is ``optimal`` or ``infeasible``."""

    status: str
    measure_ids: tuple[str, ...]
    cost: float
    ghg_delta: float
    apeq_delta: float
    apeq_delta_by_region: dict[str, float]

    def as_dict(self) -> dict:
        """JSON-ready."""
        return {"status": self.status, "measure_ids": list(self.measure_ids),
                "cost": self.cost, "ghg_delta_kg_co2e": self.ghg_delta,
                "apeq_delta": self.apeq_delta, "apeq_delta_by_region": self.apeq_delta_by_region}


def exclusive_groups(options: Sequence[Option]) -> list[list[int]]:
    """Groups of option positions that exclude each other: declared groups merged with
    every pair that touches a common line (union-find). Singletons are left out."""
    parent = list(range(len(options)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_by_key: dict[tuple[str, str], int] = {}
    for i, option in enumerate(options):
        keys = [("group", option.group)] if option.group else []
        keys += [("line", line_id) for line_id in option.line_ids]
        for key in keys:
            if key in first_by_key:
                parent[find(i)] = find(first_by_key[key])
            else:
                first_by_key[key] = i
    groups: dict[int, list[int]] = {}
    for i in range(len(options)):
        groups.setdefault(find(i), []).append(i)
    return [g for g in groups.values() if len(g) > 1]


def _regions(options: Sequence[Option]) -> list[str]:
    return sorted({r for o in options for r in o.apeq_delta_by_region})


def _caps(regions: Sequence[str], cap: float | Mapping[str, float] | None) -> np.ndarray | None:
    if cap is None:
        return None
    if isinstance(cap, Mapping):
        return np.array([float(cap.get(r, np.inf)) for r in regions])
    return np.full(len(regions), float(cap))


@dataclass(frozen=True)
class _Model:
    options: Sequence[Option]
    regions: list[str]
    cost: np.ndarray
    ghg: np.ndarray
    apeq: np.ndarray  # (regions x options)
    groups: list[list[int]]


def _model(options: Sequence[Option]) -> _Model:
    if len({o.measure_id for o in options}) != len(options):
        raise PortfolioError("measure ids are not unique")
    regions = _regions(options)
    apeq = np.array([[o.apeq_delta_by_region.get(r, 0.0) for o in options] for r in regions])
    return _Model(options, regions, np.array([o.cost for o in options], dtype=float),
                  np.array([o.ghg_delta for o in options], dtype=float),
                  apeq.reshape(len(regions), len(options)), exclusive_groups(options))


def _solve(model: _Model, objective: np.ndarray, rows: list[tuple[np.ndarray, float, float]],
           region_cap: np.ndarray | None) -> np.ndarray | None:
    n = len(model.options)
    if n == 0:
        return np.zeros(0)
    constraints = [LinearConstraint(np.atleast_2d(a), lo, hi) for a, lo, hi in rows]
    if region_cap is not None and model.regions:
        finite = np.isfinite(region_cap)
        if finite.any():
            constraints.append(LinearConstraint(model.apeq[finite], -np.inf, region_cap[finite]))
    for group in model.groups:
        row = np.zeros(n)
        row[group] = 1.0
        constraints.append(LinearConstraint(row, 0.0, 1.0))
    result = milp(objective, constraints=constraints, integrality=np.ones(n),
                  bounds=Bounds(0.0, 1.0), options={"mip_rel_gap": 0.0})
    if result.status != 0 or result.x is None:
        return None
    return np.round(result.x)


def _portfolio(model: _Model, x: np.ndarray | None) -> Portfolio:
    if x is None:
        return Portfolio("infeasible", (), 0.0, 0.0, 0.0, {})
    chosen = np.flatnonzero(x > 0.5)
    by_region = {r: float(model.apeq[k, chosen].sum()) for k, r in enumerate(model.regions)}
    return Portfolio("optimal", tuple(model.options[i].measure_id for i in chosen),
                     float(model.cost[chosen].sum()), float(model.ghg[chosen].sum()),
                     float(sum(by_region.values())), by_region)


def cheapest(options: Sequence[Option], *, ghg_cut: float,
             region_cap: float | Mapping[str, float] | None = 0.0) -> Portfolio:
    """The cheapest portfolio cutting GHG by at least ``ghg_cut`` (kg CO2e per unit) while no
    region's APeq rises by more than ``region_cap`` (0: none rises; None: no limit)."""
    model = _model(options)
    x = _solve(model, model.cost, [(model.ghg, -np.inf, -float(ghg_cut))],
               _caps(model.regions, region_cap))
    return _portfolio(model, x)


def max_cut(options: Sequence[Option], *, budget: float,
            region_cap: float | Mapping[str, float] | None = 0.0) -> Portfolio:
    """The portfolio cutting GHG most at a cost of at most ``budget`` per product unit."""
    model = _model(options)
    x = _solve(model, model.ghg, [(model.cost, -np.inf, float(budget))],
               _caps(model.regions, region_cap))
    return _portfolio(model, x)


@dataclass(frozen=True)
class FrontPoint:
    """One point of the front: a GHG target and the portfolio chosen for it."""

    ghg_target: float
    portfolio: Portfolio

    def as_dict(self) -> dict:
        """JSON-ready."""
        return {"ghg_cut_target_kg_co2e": self.ghg_target, **self.portfolio.as_dict()}


def pareto_front(options: Sequence[Option], *, points: int = 11,
                 region_cap: float | Mapping[str, float] | None = None,
                 cost_tolerance: float = 1e-9) -> list[FrontPoint]:
    """Epsilon-constraint front: for ``points`` GHG-cut targets from 0 to the largest cut
    reachable, the cheapest portfolio, and at that cost the largest APeq cut. Dominated and
    repeated portfolios are dropped (GHG cut, APeq cut: more is better; cost: less)."""
    model = _model(options)
    caps = _caps(model.regions, region_cap)
    deepest = _solve(model, model.ghg, [], caps)
    if deepest is None:
        return []
    max_ghg_cut = max(0.0, -float(model.ghg @ deepest))
    front: list[FrontPoint] = []
    seen: set[tuple[str, ...]] = set()
    apeq_total = model.apeq.sum(axis=0) if model.regions else np.zeros(len(options))
    for target in np.linspace(0.0, max_ghg_cut, max(points, 2)):
        ghg_row = (model.ghg, -np.inf, -float(target) + 1e-9 * max(1.0, max_ghg_cut))
        x = _solve(model, model.cost, [ghg_row], caps)
        if x is None:
            continue
        best_cost = float(model.cost @ x)
        slack = cost_tolerance * max(1.0, abs(best_cost))
        x2 = _solve(model, apeq_total, [ghg_row, (model.cost, -np.inf, best_cost + slack)], caps)
        chosen = _portfolio(model, x2 if x2 is not None else x)
        if chosen.measure_ids in seen:
            continue
        seen.add(chosen.measure_ids)
        front.append(FrontPoint(float(target), chosen))
    return [p for p in front if not any(_dominates(q.portfolio, p.portfolio) for q in front)]


def _dominates(a: Portfolio, b: Portfolio, tol: float = 1e-12) -> bool:
    better_or_equal = (a.ghg_delta <= b.ghg_delta + tol and a.apeq_delta <= b.apeq_delta + tol
                       and a.cost <= b.cost + tol)
    strictly = (a.ghg_delta < b.ghg_delta - tol or a.apeq_delta < b.apeq_delta - tol
                or a.cost < b.cost - tol)
    return better_or_equal and strictly


def brute_force(options: Sequence[Option], *, objective: str, bound: float,
                region_cap: float | Mapping[str, float] | None = 0.0) -> Portfolio:
    """Enumerate every feasible subset (for tests and benches; 2^n).

    ``objective`` ``cheapest`` (``bound`` = GHG cut) or ``max_cut`` (``bound`` = budget).
    """
    model = _model(options)
    caps = _caps(model.regions, region_cap)
    in_group = [set(g) for g in model.groups]
    best: np.ndarray | None = None
    best_value = np.inf
    n = len(options)
    for size in range(n + 1):
        for subset in itertools.combinations(range(n), size):
            if any(len(g.intersection(subset)) > 1 for g in in_group):
                continue
            x = np.zeros(n)
            x[list(subset)] = 1.0
            if caps is not None and model.regions and np.any(model.apeq @ x > caps + 1e-9):
                continue
            if objective == "cheapest":
                if model.ghg @ x > -bound + 1e-9:
                    continue
                value = model.cost @ x
            else:
                if model.cost @ x > bound + 1e-9:
                    continue
                value = model.ghg @ x
            if value < best_value - 1e-12:
                best, best_value = x, value
    return _portfolio(model, best)


def options_from(effects: Iterable[Effect]) -> list[Option]:
    """Options from evaluated measures (cost 0 where a measure states none)."""
    return [Option(measure_id=e.measure.measure_id, cost=e.measure.cost_per_unit or 0.0,
                   ghg_delta=e.ghg_delta, apeq_delta_by_region=dict(e.apeq_delta_by_location),
                   group=e.measure.group, line_ids=tuple(e.delta.changed_line_ids))
            for e in effects]
