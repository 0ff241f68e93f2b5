"""Co-control measures on one product: deltas from the unit table vs full bw2calc recalculation.

A product of ``--lines`` background lines on the synthetic background of ``background.py``;
``--measures`` measures, each changing 1-3 lines (another dataset with a factor, or a scaled
amount). Paths, same numbers (checked, rtol 1e-6):

(a) bw2calc   full recalculation per measure: a new ``bw2calc.LCA`` of the changed product
              (all its lines), lci, lcia for every indicator, minus the baseline (computed
              once). Timed on ``--sample`` measures.
(b) ours      ``lca.cocontrol.delta_batch``: for all measures at once, Σ new amounts · U[new]
              - old amounts · U[old] over the changed lines only (U precomputed once per
              snapshot, not timed here: see bench_footprints.py).
    ours/loop the same per measure in a Python loop (one measure at a time, as a request
              would), to show the per-call cost.

Wall times on shared machines are noisy: read the ratio, measured in one process.

    .venv/bin/python bench/bench_measures.py            # 20,000 activities
    .venv/bin/python bench/bench_measures.py --small    # seconds
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

RTOL = 1e-6
TARGET_RATIO = 1_000


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--activities", type=int, default=20_000)
    parser.add_argument("--technosphere-nnz", type=int, default=250_000)
    parser.add_argument("--biosphere-nnz", type=int, default=400_000)
    parser.add_argument("--flows", type=int, default=4_700)
    parser.add_argument("--indicators", type=int, default=20)
    parser.add_argument("--lines", type=int, default=200)
    parser.add_argument("--measures", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=10, help="measures recalculated (a)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--small", action="store_true", help="2,000 activities, 1,000 measures")
    args = parser.parse_args(argv)
    if args.small:
        args.activities, args.technosphere_nnz, args.biosphere_nnz = 2_000, 25_000, 40_000
        args.flows, args.measures, args.sample, args.repeat = 1_000, 1_000, 5, 3
    return args


def random_measures(n: int, lines: int, indices: np.ndarray, amounts: np.ndarray,
                    seed: int, n_products: int) -> tuple[np.ndarray, ...]:
    """(M x 3) old/new product indices and amounts; -1 marks an unused slot."""
    rng = np.random.default_rng(seed)
    count = rng.integers(1, 4, size=n)
    old_i = np.full((n, 3), -1)
    new_i = np.full((n, 3), -1)
    old_a = np.zeros((n, 3))
    new_a = np.zeros((n, 3))
    for m in range(n):
        rows = rng.choice(lines, size=count[m], replace=False)
        for c, row in enumerate(rows):
            old_i[m, c], old_a[m, c] = indices[row], amounts[row]
            if rng.random() < 0.5:  # substitute: another dataset, a factor
                new_i[m, c] = rng.integers(0, n_products)
                new_a[m, c] = amounts[row] * rng.uniform(0.8, 1.2)
            else:  # scale
                new_i[m, c] = indices[row]
                new_a[m, c] = amounts[row] * rng.uniform(0.5, 0.95)
    return old_i, old_a, new_i, new_a


def full_scores(bg, product_ids: np.ndarray, demand_indices: np.ndarray,
                demand_amounts: np.ndarray) -> np.ndarray:
    """All indicators of one product with a brand-new bw2calc.LCA."""
    import bw2calc

    demand: dict[int, float] = {}
    for i, a in zip(demand_indices, demand_amounts, strict=True):
        demand[int(product_ids[i])] = demand.get(int(product_ids[i]), 0.0) + float(a)
    lca = bw2calc.LCA(demand, data_objs=[bg.lci_datapackage, bg.characterization_package(0)])
    lca.lci()
    lca.lcia()
    scores = [lca.score]
    for k in range(1, len(bg.indicator_ids)):
        lca.load_lcia_data(data_objs=[bg.characterization_package(k)])
        lca.lcia_calculation()
        scores.append(lca.score)
    return np.array(scores)


def changed_product(indices: np.ndarray, amounts: np.ndarray, old_i: np.ndarray,
                    new_i: np.ndarray, new_a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The product's lines after one measure (its changed lines replaced)."""
    idx, amt = indices.copy(), amounts.copy()
    for o, n, a in zip(old_i, new_i, new_a, strict=True):
        if o < 0:
            continue
        row = int(np.flatnonzero(idx == o)[0])
        idx[row], amt[row] = n, a
    return idx, amt


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    warnings.simplefilter("ignore")

    import background

    from lca.cocontrol import delta_batch
    from lca.precompute import unit_indicator_table

    bg = background.generate(activities=args.activities,
                             technosphere_nnz=args.technosphere_nnz,
                             biosphere_nnz=args.biosphere_nnz, flows=args.flows,
                             indicators=args.indicators, seed=args.seed)
    print(f"background: {bg.describe()}")
    indices, amounts = background.random_boms(bg, products=1, lines=args.lines,
                                              seed=args.seed + 1)
    indices, amounts = indices[0], amounts[0]
    old_i, old_a, new_i, new_a = random_measures(args.measures, len(indices), indices, amounts,
                                                 args.seed + 2, bg.n_activities)
    print(f"product: {len(indices)} lines; {args.measures:,} measures of 1-3 changed lines, "
          f"{args.indicators} indicators")
    _ = bg.lci_datapackage, bg.characterization_datapackage
    started = time.perf_counter()
    table = unit_indicator_table(bg.technosphere, bg.biosphere, bg.characterization)
    print(f"unit table (once per snapshot, not in the timings): "
          f"{time.perf_counter() - started:.2f} s")

    # (b) ours, batch
    times = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        deltas = delta_batch(old_i, old_a, new_i, new_a, table)
        times.append(time.perf_counter() - started)
    batch_s = min(times)
    batch_rate = args.measures / batch_s
    print(f"\n(b) ours, batch: {batch_s * 1000:.1f} ms for {args.measures:,} measures -> "
          f"{batch_rate:,.0f} measures/s")
    started = time.perf_counter()
    for m in range(args.measures):
        delta_batch(old_i[m:m + 1], old_a[m:m + 1], new_i[m:m + 1], new_a[m:m + 1], table)
    loop_s = time.perf_counter() - started
    loop_rate = args.measures / loop_s
    print(f"    ours, one measure per call: {loop_s:.2f} s -> {loop_rate:,.0f} measures/s")

    # (a) bw2calc full recalculation, on a sample
    rng = np.random.default_rng(args.seed + 3)
    sample = rng.choice(args.measures, size=min(args.sample, args.measures), replace=False)
    base = full_scores(bg, bg.product_ids, indices, amounts)
    started = time.perf_counter()
    recalculated = []
    for m in sample:
        idx, amt = changed_product(indices, amounts, old_i[m], new_i[m], new_a[m])
        recalculated.append(full_scores(bg, bg.product_ids, idx, amt) - base)
    full_s = (time.perf_counter() - started) / len(sample)
    full_rate = 1.0 / full_s
    print(f"(a) bw2calc full recalculation: {full_s * 1000:.0f} ms per measure "
          f"({len(sample)} sampled) -> {full_rate:,.1f} measures/s")
    theirs = np.array(recalculated)
    ours = deltas[sample]
    scale = np.abs(base)[None, :]
    worst = float(np.max(np.abs(theirs - ours) / np.maximum(np.abs(ours), 1e-9 * scale)))
    print(f"    check: {theirs.size} deltas, max relative difference {worst:.1e}")
    if not np.allclose(theirs, ours, rtol=RTOL, atol=1e-9 * float(np.abs(base).max())):
        raise SystemExit(f"deltas disagree with bw2calc beyond rtol {RTOL}")

    ratio = batch_rate / full_rate
    print(f"\nratio batch / bw2calc: {ratio:,.0f}x (target >= {TARGET_RATIO:,}x: "
          f"{'met' if ratio >= TARGET_RATIO else 'NOT met'}); "
          f"one-per-call / bw2calc: {loop_rate / full_rate:,.0f}x")


if __name__ == "__main__":
    main()
