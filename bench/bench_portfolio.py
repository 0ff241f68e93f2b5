"""Portfolios of measures: MILP (scipy.optimize.milp, HiGHS) vs brute-force enumeration.

``--measures`` measures (default 40) in ``--groups`` exclusive groups (default 10, of 2-4
alternatives each; the rest stand alone), with costs, GHG deltas and APeq deltas in
``--regions`` regions, some rising (pollution shifted). Two goals, each with no region's APeq
allowed to rise: the cheapest portfolio cutting GHG by a target, and the largest cut within a
budget. Brute force enumerates every subset of a ``--subset``-measure subset (2^20 ~ 10^6,
vectorised in chunks);
both must find the same optimum there. The MILP is also timed on all measures, and the
Pareto front (epsilon-constraint over GHG targets) on all of them.

    .venv/bin/python bench/bench_portfolio.py
    .venv/bin/python bench/bench_portfolio.py --subset 14   # seconds
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lca import portfolio as pf


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--measures", type=int, default=40)
    parser.add_argument("--groups", type=int, default=10)
    parser.add_argument("--regions", type=int, default=6)
    parser.add_argument("--subset", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args(argv)


def make_options(n: int, groups: int, regions: int, seed: int) -> list[pf.Option]:
    """Measures with realistic signs: most cut GHG at a cost, some save money, some shift
    pollution between regions."""
    rng = np.random.default_rng(seed)
    names = [f"{code}-CN" for code in ("JS", "SD", "HE", "BJ", "SC", "GD", "ZJ", "HA")][:regions]
    sizes = rng.integers(2, 5, size=groups)
    group_of: list[str | None] = []
    for g, size in enumerate(sizes):
        group_of += [f"g{g}"] * int(size)
    group_of = (group_of + [None] * n)[:n]
    options = []
    for m in range(n):
        ghg = -float(rng.lognormal(0.0, 1.0))
        by_region = {}
        for r in rng.choice(names, size=rng.integers(1, 4), replace=False):
            by_region[str(r)] = float(rng.normal(-0.3, 0.4)) * abs(ghg) / 5
        options.append(pf.Option(measure_id=f"m{m:02d}",
                                 cost=float(rng.normal(1.0, 1.2)) * abs(ghg),
                                 ghg_delta=ghg, apeq_delta_by_region=by_region,
                                 group=group_of[m], line_ids=(f"line-{m}",)))
    return options


def enumerate_all(options: list[pf.Option], goal: str, bound: float,
                  chunk: int = 1 << 16) -> pf.Portfolio:
    """Brute force, vectorised: every subset as a bit pattern, in chunks; the best feasible.

    Same rules as `lca.portfolio.brute_force` (which loops in Python, for small tests).
    """
    n = len(options)
    regions = sorted({r for o in options for r in o.apeq_delta_by_region})
    cost = np.array([o.cost for o in options])
    ghg = np.array([o.ghg_delta for o in options])
    apeq = np.array([[o.apeq_delta_by_region.get(r, 0.0) for r in regions] for o in options])
    group_masks = [sum(1 << i for i in g) for g in pf.exclusive_groups(options)]
    bits = 1 << np.arange(n, dtype=np.int64)
    best_value, best_pattern = np.inf, None
    for start in range(0, 1 << n, chunk):
        patterns = np.arange(start, min(start + chunk, 1 << n), dtype=np.int64)
        x = ((patterns[:, None] & bits) != 0).astype(np.float64)
        ok = np.ones(len(patterns), dtype=bool)
        for mask in group_masks:
            chosen = patterns & mask
            ok &= (chosen & (chosen - 1)) == 0  # at most one bit of the group
        ok &= np.all(x @ apeq <= 1e-9, axis=1) if regions else True
        if goal == "cheapest":
            ok &= x @ ghg <= -bound + 1e-9
            value = x @ cost
        else:
            ok &= x @ cost <= bound + 1e-9
            value = x @ ghg
        value = np.where(ok, value, np.inf)
        k = int(np.argmin(value))
        if value[k] < best_value - 1e-12:
            best_value, best_pattern = float(value[k]), int(patterns[k])
    if best_pattern is None:
        return pf.Portfolio("infeasible", (), 0.0, 0.0, 0.0, {})
    chosen = [i for i in range(n) if best_pattern >> i & 1]
    by_region = {r: float(apeq[chosen, j].sum()) for j, r in enumerate(regions)}
    return pf.Portfolio("optimal", tuple(options[i].measure_id for i in chosen),
                        float(cost[chosen].sum()), float(ghg[chosen].sum()),
                        float(sum(by_region.values())), by_region)


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    options = make_options(args.measures, args.groups, args.regions, args.seed)
    subset = options[: args.subset]
    grouped = pf.exclusive_groups(subset)
    print(f"{len(options)} measures, {args.groups} exclusive groups, {args.regions} regions; "
          f"brute force on the first {len(subset)} ({len(grouped)} groups among them)")
    target = -0.4 * pf.max_cut(subset, budget=np.inf, region_cap=0.0).ghg_delta
    budget = 0.25 * sum(max(o.cost, 0.0) for o in subset)
    for goal, bound, solve in (
        ("cheapest", target, lambda opts, b: pf.cheapest(opts, ghg_cut=b, region_cap=0.0)),
        ("max_cut", budget, lambda opts, b: pf.max_cut(opts, budget=b, region_cap=0.0)),
    ):
        milp_s, milp = timed(lambda solve=solve, bound=bound: solve(subset, bound))
        brute_s, brute = timed(lambda goal=goal, bound=bound: enumerate_all(subset, goal,
                                                                             bound))
        value = (lambda p: p.cost) if goal == "cheapest" else (lambda p: p.ghg_delta)
        print(f"\n{goal} (bound {bound:.3f}), {len(subset)} measures:")
        print(f"  MILP (HiGHS):  {milp_s * 1000:8.1f} ms  {milp.status}, objective "
              f"{value(milp):.6f}, {len(milp.measure_ids)} chosen")
        print(f"  brute force:   {brute_s * 1000:8.1f} ms  {brute.status}, objective "
              f"{value(brute):.6f}, {len(brute.measure_ids)} chosen")
        assert milp.status == brute.status, (milp, brute)
        if milp.status == "optimal":
            assert abs(value(milp) - value(brute)) <= 1e-9 * max(1.0, abs(value(brute))), \
                (milp, brute)
        print(f"  same optimum: yes; brute force / MILP time: {brute_s / milp_s:,.1f}x")
        all_s, whole = timed(lambda solve=solve, bound=bound: solve(options, bound))
        print(f"  MILP on all {len(options)} measures: {all_s * 1000:.1f} ms, {whole.status}, "
              f"objective {value(whole):.6f} (brute force would enumerate "
              f"2^{len(options)} = {2 ** len(options):.1e} subsets)")
    front_s, front = timed(lambda: pf.pareto_front(options, points=21, region_cap=0.0))
    print(f"\nPareto front (21 GHG targets, epsilon-constraint, 2 MILPs each): "
          f"{front_s * 1000:.0f} ms, {len(front)} non-dominated portfolios")
    for p in front[:8]:
        q = p.portfolio
        print(f"  GHG cut {-q.ghg_delta:8.3f}  APeq cut {-q.apeq_delta:8.4f}  cost "
              f"{q.cost:8.3f}  ({len(q.measure_ids)} measures)")


if __name__ == "__main__":
    main()
