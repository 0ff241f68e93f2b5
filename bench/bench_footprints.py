"""Footprints of many BOMs: bw2calc one LCA per product vs MultiLCA vs the adjoint table.

A "product" is a BOM of ``--lines`` background products with random amounts, scored on
``--indicators`` indicators. All paths compute the same numbers (checked, rtol 1e-6):

(a) naive       a new ``bw2calc.LCA`` per product: a demand of all its lines at once, lci,
                lcia for each indicator (``load_lcia_data`` + ``lcia_calculation``).
                Timed on ``--naive-sample`` products.
(b) MultiLCA    ``bw2calc.MultiLCA`` with ``--multi-products`` demands and all indicators
                (one factorisation, then inventories per demand and indicator).
    FastScores  ``bw2calc.FastScoresOnlyMultiLCA`` (needs PARDISO or UMFPACK; see
                ``--extras``), forward and adjoint directions, on all ``--products``.
(c) ours        ``lca.precompute.unit_indicator_table`` once (factorise Aᵀ, solve Aᵀ U = Bᵀ Cᵀ),
                then ``lca.footprint.footprint_batch`` for all ``--products``.

Wall times on shared machines are noisy: read the ratios, which are measured in the same
process, not the absolute numbers. Nothing here asserts a time.

    .venv/bin/python bench/bench_footprints.py            # ecoinvent scale, minutes
    .venv/bin/python bench/bench_footprints.py --small    # seconds
    .venv/bin/python bench/bench_footprints.py --extras var/bench-extras  # PARDISO
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

import extras

RTOL = 1e-6


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--activities", type=int, default=20_000)
    parser.add_argument("--technosphere-nnz", type=int, default=250_000)
    parser.add_argument("--biosphere-nnz", type=int, default=400_000)
    parser.add_argument("--flows", type=int, default=4_700)
    parser.add_argument("--indicators", type=int, default=20)
    parser.add_argument("--products", type=int, default=1_000, help="BOMs scored by (c)")
    parser.add_argument("--lines", type=int, default=200, help="BOM lines per product")
    parser.add_argument("--naive-sample", type=int, default=5, help="products timed for (a)")
    parser.add_argument("--multi-products", type=int, default=100, help="demands for MultiLCA")
    parser.add_argument("--repeat", type=int, default=5, help="repeats of the cheap batch step")
    parser.add_argument(
        "--precompute-repeat", type=int, default=3, help="repeats of (c)'s precompute"
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--small", action="store_true", help="2,000 activities, 100 products of 50 lines"
    )
    parser.add_argument(
        "--extras",
        default=None,
        help="prefix with pypardiso/MKL (or scikit-umfpack) for bw2calc, e.g. var/bench-extras",
    )
    parser.add_argument("--skip-multi", action="store_true")
    parser.add_argument("--skip-fast", action="store_true")
    args = parser.parse_args(argv)
    if args.small:
        args.activities = 2_000
        args.technosphere_nnz = 25_000
        args.biosphere_nnz = 40_000
        args.flows = 1_000
        args.products = 100
        args.lines = 50
        args.multi_products = 50
        args.naive_sample = 5
    return args


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def check(name: str, theirs: np.ndarray, ours: np.ndarray) -> None:
    """Same numbers, or stop: a speed comparison of different results means nothing."""
    worst = float(np.max(np.abs(theirs - ours) / np.maximum(np.abs(ours), 1e-300)))
    ok = np.allclose(theirs, ours, rtol=RTOL, atol=0.0)
    print(f"    check {name}: {theirs.size} values, max relative difference {worst:.1e}")
    if not ok:
        raise SystemExit(f"{name} disagrees with ours beyond rtol {RTOL}")


def demands_of(bg, indices: np.ndarray, amounts: np.ndarray, products) -> dict[str, dict]:
    ids = bg.product_ids
    return {
        f"p{p}": {int(ids[i]): float(a) for i, a in zip(indices[p], amounts[p], strict=True)}
        for p in products
    }


def naive_one(bg, demand: dict[int, float]) -> np.ndarray:
    """One product with a brand-new bw2calc.LCA, all indicators."""
    import bw2calc

    lca = bw2calc.LCA(demand, data_objs=[bg.lci_datapackage, bg.characterization_package(0)])
    lca.lci()
    lca.lcia()
    scores = [lca.score]
    for k in range(1, len(bg.indicator_ids)):
        lca.load_lcia_data(data_objs=[bg.characterization_package(k)])
        lca.lcia_calculation()
        scores.append(lca.score)
    return np.array(scores)


def method_config(bg) -> dict:
    return {"impact_categories": [bg.method_key(k) for k in range(len(bg.indicator_ids))]}


def multi_lca(bg, demands: dict[str, dict]) -> np.ndarray:
    import bw2calc

    mlca = bw2calc.MultiLCA(
        demands=demands,
        method_config=method_config(bg),
        data_objs=[bg.lci_datapackage, bg.characterization_datapackage],
    )
    mlca.lci()
    mlca.lcia()
    scores = mlca.scores
    return np.array(
        [[scores[(bg.method_key(k), key)] for k in range(len(bg.indicator_ids))] for key in demands]
    )


def fast_scores(bg, demands: dict[str, dict], direction: str) -> tuple[np.ndarray, float]:
    """Scores (demands x indicators) and the seconds spent building matrices."""
    import bw2calc

    started = time.perf_counter()
    flca = bw2calc.FastScoresOnlyMultiLCA(
        demands=demands,
        method_config=method_config(bg),
        data_objs=[bg.lci_datapackage, bg.characterization_datapackage],
        direction=direction,
    )
    # What calculate() does first when the matrices are not built yet; timed apart.
    flca._load_datapackages()
    flca.build_precalculated()
    load_s = time.perf_counter() - started
    scores = flca.calculate()  # xarray [LCIA, processes]
    lcia = [str(bg.method_key(k)) for k in range(len(bg.indicator_ids))]
    return scores.sel(LCIA=lcia, processes=list(demands)).values.T, load_s


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    site = extras.enable(args.extras)
    warnings.simplefilter("ignore")  # bw2calc's solver and FutureWarnings; numbers are checked

    import background

    from lca.footprint import footprint_batch
    from lca.precompute import (
        characterized_biosphere,
        factorize_transposed,
        solve_many,
        unit_indicator_table,
    )

    solver = extras.bw2calc_solver()
    print(f"bw2calc solver: {solver} (extras: {site}); ours: scipy SuperLU (lca.precompute)")
    gen_s, bg = timed(
        lambda: background.generate(
            activities=args.activities,
            technosphere_nnz=args.technosphere_nnz,
            biosphere_nnz=args.biosphere_nnz,
            flows=args.flows,
            indicators=args.indicators,
            seed=args.seed,
        )
    )
    print(f"background: {bg.describe()} (generated in {gen_s:.1f} s)")
    indices, amounts = background.random_boms(
        bg, products=args.products, lines=args.lines, seed=args.seed + 1
    )
    print(
        f"BOMs: {args.products} products x {indices.shape[1]} lines, {args.indicators} indicators"
    )
    _ = bg.lci_datapackage, bg.characterization_datapackage  # built once, outside timings

    # (c) ours: precompute, then the batch.
    print("\n(c) ours")
    pre_times, parts = [], []
    for _ in range(max(1, args.precompute_repeat)):
        pre_s, table = timed(
            lambda: unit_indicator_table(bg.technosphere, bg.biosphere, bg.characterization)
        )
        pre_times.append(pre_s)
        direct_s, direct = timed(lambda: characterized_biosphere(bg.biosphere, bg.characterization))
        fact_s, lu = timed(lambda: factorize_transposed(bg.technosphere))
        solve_s, table2 = timed(lambda lu=lu, direct=direct: solve_many(lu, direct))
        assert np.array_equal(table, table2)
        parts.append((direct_s, fact_s, solve_s))
    pre_s = statistics.median(pre_times)
    direct_s, fact_s, solve_s = (statistics.median(column) for column in zip(*parts, strict=True))
    batch_times = []
    for _ in range(max(1, args.repeat)):
        batch_s, ours = timed(lambda: footprint_batch(amounts, indices, table))
        batch_times.append(batch_s)
    batch_s = min(batch_times)
    ours_rate = args.products / batch_s
    ours_with_pre = args.products / (pre_s + batch_s)
    print(
        f"    precompute (unit_indicator_table): median {pre_s:.2f} s of {len(pre_times)} "
        f"(min {min(pre_times):.2f}, max {max(pre_times):.2f}); parts, timed apart: "
        f"Bᵀ Cᵀ {direct_s:.3f} s, factorise Aᵀ {fact_s:.2f} s, "
        f"{args.indicators} transposed solves {solve_s:.3f} s"
    )
    print(
        f"    footprint_batch, {args.products} products: {batch_s * 1e3:.2f} ms (best of "
        f"{len(batch_times)}) -> {ours_rate:,.0f} products/s; "
        f"{ours_with_pre:,.0f} products/s counting the precompute"
    )

    # (a) naive.
    print(f"\n(a) naive: new bw2calc.LCA per product ({args.naive_sample} products)")
    sample = range(min(args.naive_sample, args.products))
    demands = demands_of(bg, indices, amounts, sample)
    naive_times, naive_scores = [], []
    for demand in demands.values():
        seconds, scores = timed(lambda demand=demand: naive_one(bg, demand))
        naive_times.append(seconds)
        naive_scores.append(scores)
    naive_s = statistics.median(naive_times)
    naive_rate = 1.0 / naive_s
    print(
        f"    per product: median {naive_s:.2f} s (min {min(naive_times):.2f}, "
        f"max {max(naive_times):.2f}) -> {naive_rate:.3f} products/s"
    )
    check("naive vs ours", np.array(naive_scores), ours[list(sample)])

    rates: dict[str, float] = {"naive LCA": naive_rate}

    # (b) bw2calc's multi-product paths.
    if not args.skip_multi:
        count = min(args.multi_products, args.products)
        print(f"\n(b) bw2calc.MultiLCA ({count} demands x {args.indicators} indicators)")
        demands = demands_of(bg, indices, amounts, range(count))
        multi_s, multi = timed(lambda: multi_lca(bg, demands))
        rates["MultiLCA"] = count / multi_s
        print(f"    {multi_s:.2f} s -> {rates['MultiLCA']:.2f} products/s")
        check("MultiLCA vs ours", multi, ours[:count])

    if not args.skip_fast:
        import bw2calc

        print(f"\n(b) bw2calc.FastScoresOnlyMultiLCA ({args.products} demands)")
        if not (bw2calc.PYPARDISO or bw2calc.UMFPACK):
            print("    skipped: bw2calc supports it only with PARDISO or UMFPACK (try --extras)")
        else:
            demands = demands_of(bg, indices, amounts, range(args.products))
            for direction in ("forward", "adjoint"):
                fast_s, (fast, load_s) = timed(lambda d=direction: fast_scores(bg, demands, d))
                label = f"FastScores {direction}"
                rates[label] = args.products / fast_s
                print(
                    f"    {direction}: {fast_s:.2f} s (building matrices {load_s:.2f} s, "
                    f"solving and scoring {fast_s - load_s:.2f} s) -> "
                    f"{rates[label]:,.1f} products/s"
                )
                check(f"{label} vs ours", fast, ours)

    print("\nSummary: products/s; ratio = ours / theirs, measured in this process")
    print("    warm = U already computed for the snapshot (the service case: U is cached);")
    print("    cold = ours pays its precompute inside this one batch")
    print(f"    {'ours, warm (footprint_batch only)':38s} {ours_rate:>14,.1f}")
    print(f"    {'ours, cold (precompute + batch)':38s} {ours_with_pre:>14,.1f}")
    for name, rate in rates.items():
        print(
            f"    {name:38s} {rate:>14,.3f}   warm {ours_rate / rate:>10,.0f}x   "
            f"cold {ours_with_pre / rate:>8,.1f}x"
        )
    budget = naive_s + solve_s
    print(
        f"\nPrecompute (median) {pre_s:.2f} s = {pre_s / naive_s:.2f} x one naive LCA "
        f"({naive_s:.2f} s, median). Target: precompute <= 2 x (one naive LCA + the "
        f"{args.indicators} transposed solves) = 2 x ({naive_s:.2f} + {solve_s:.3f}) s; "
        f"ratio {pre_s / budget:.2f} (<= 2 to meet): "
        f"{'met' if pre_s <= 2 * budget else 'NOT met'}"
    )
    print(f"Break-even: the precompute costs as much as {pre_s / naive_s:.1f} naive products")


if __name__ == "__main__":
    main()
