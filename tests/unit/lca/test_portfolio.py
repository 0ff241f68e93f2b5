"""Portfolios: the MILP (HiGHS) against brute-force enumeration on small cases."""

from __future__ import annotations

import numpy as np
import pytest

from lca import portfolio as pf


def random_options(seed: int, n: int = 9, regions: int = 3) -> list[pf.Option]:
    rng = np.random.default_rng(seed)
    names = [f"R{r}" for r in range(regions)]
    options = []
    for m in range(n):
        options.append(pf.Option(
            measure_id=f"m{m}", cost=float(rng.uniform(-1, 5)),
            ghg_delta=float(rng.uniform(-10, 2)),
            apeq_delta_by_region={r: float(rng.uniform(-1, 0.6)) for r in names
                                  if rng.random() < 0.7},
            group=f"g{m % 3}" if m < 6 and rng.random() < 0.5 else None,
            line_ids=(f"l{rng.integers(0, 12)}",)))
    return options


@pytest.mark.parametrize("seed", range(12))
def test_cheapest_equals_brute_force(seed: int) -> None:
    options = random_options(seed)
    for cap in (0.0, 0.5, None):
        target = 8.0
        milp = pf.cheapest(options, ghg_cut=target, region_cap=cap)
        brute = pf.brute_force(options, objective="cheapest", bound=target, region_cap=cap)
        assert milp.status == brute.status
        if milp.status == "optimal":
            assert milp.cost == pytest.approx(brute.cost, abs=1e-9)
            assert milp.ghg_delta <= -target + 1e-9


@pytest.mark.parametrize("seed", range(12))
def test_max_cut_equals_brute_force(seed: int) -> None:
    options = random_options(seed)
    for budget in (0.0, 3.0, 10.0):
        milp = pf.max_cut(options, budget=budget, region_cap=0.2)
        brute = pf.brute_force(options, objective="max_cut", bound=budget, region_cap=0.2)
        assert milp.status == brute.status
        if milp.status == "optimal":
            assert milp.ghg_delta == pytest.approx(brute.ghg_delta, abs=1e-9)
            assert milp.cost <= budget + 1e-9


def test_measures_on_one_line_exclude_each_other() -> None:
    options = [pf.Option("a", 1.0, -5.0, line_ids=("alu",)),
               pf.Option("b", 1.0, -4.0, line_ids=("alu", "bolt")),
               pf.Option("c", 1.0, -3.0, line_ids=("bolt",)),
               pf.Option("d", 1.0, -2.0, group="x", line_ids=("glass",)),
               pf.Option("e", 1.0, -1.0, group="x", line_ids=("paint",)),
               pf.Option("f", 1.0, -1.0, line_ids=("tyre",))]
    groups = sorted(sorted(options[i].measure_id for i in g) for g in pf.exclusive_groups(options))
    assert groups == [["a", "b", "c"], ["d", "e"]]
    chosen = pf.max_cut(options, budget=10.0, region_cap=None)
    assert set(chosen.measure_ids) == {"a", "d", "f"}


def test_region_cap_keeps_pollution_from_rising_anywhere() -> None:
    options = [pf.Option("shift", 0.0, -10.0, {"JS-CN": -2.0, "SD-CN": 1.0}),
               pf.Option("clean", 5.0, -6.0, {"JS-CN": -0.5})]
    assert pf.cheapest(options, ghg_cut=5.0, region_cap=None).measure_ids == ("shift",)
    assert pf.cheapest(options, ghg_cut=5.0, region_cap=0.0).measure_ids == ("clean",)
    assert pf.cheapest(options, ghg_cut=20.0, region_cap=0.0).status == "infeasible"
    assert pf.cheapest(options, ghg_cut=5.0, region_cap={"SD-CN": 1.0}).measure_ids == ("shift",)


def test_pareto_front_is_non_dominated_and_spans_the_cuts() -> None:
    options = random_options(3)
    front = pf.pareto_front(options, points=9, region_cap=None)
    assert front
    for p in front:
        for q in front:
            assert not pf._dominates(q.portfolio, p.portfolio)
    deepest = pf.max_cut(options, budget=1e9, region_cap=None)
    assert min(p.portfolio.ghg_delta for p in front) == pytest.approx(deepest.ghg_delta)
