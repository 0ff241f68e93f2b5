"""Sparse direct solvers for the precompute: factorise Aᵀ once, solve Aᵀ X = R for 20..200 RHS.

Candidates (each skipped with a reason if it is not installed):

* SuperLU (``scipy.sparse.linalg.splu``) on Aᵀ with ``permc_spec`` COLAMD (the baseline:
  what ``lca.precompute`` and bw2calc do) and MMD_AT_PLUS_A (and any of ``--permc``);
* ``scipy.sparse.linalg.spsolve`` (SuperLU again, one call per RHS block: it factorises
  each time);
* UMFPACK through scikit-umfpack (``scikits.umfpack.splu``);
* MKL PARDISO through pypardiso (``PyPardisoSolver``: factorize, then solve).

The right-hand sides are Bᵀ Cᵀ (20 indicators) and, for 200, those masked by 10 random
activity masks (as the regional precompute does). Every solution is checked against the
baseline's. Times are wall seconds in this process; read the ratios to SuperLU COLAMD.

    .venv/bin/python bench/bench_solvers.py                    # ecoinvent scale
    .venv/bin/python bench/bench_solvers.py --small
    .venv/bin/python bench/bench_solvers.py --extras var/bench-extras   # + pypardiso
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.sparse import linalg

sys.path.insert(0, str(Path(__file__).resolve().parent))

import background
import extras

Solve = Callable[[np.ndarray], np.ndarray]
Factor = Callable[[], tuple[Solve, int | None]]
"""Factorise; return the solve function and the factors' non-zeros (None if unknown)."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--activities", type=int, default=20_000)
    parser.add_argument("--technosphere-nnz", type=int, default=250_000)
    parser.add_argument("--biosphere-nnz", type=int, default=400_000)
    parser.add_argument("--flows", type=int, default=4_700)
    parser.add_argument("--indicators", type=int, default=20)
    parser.add_argument("--masks", type=int, default=10, help="RHS = indicators x (1 + masks)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=1, help="best of N per solver")
    parser.add_argument(
        "--permc",
        nargs="*",
        default=["COLAMD", "MMD_AT_PLUS_A"],
        help="SuperLU column orderings (COLAMD first: the baseline)",
    )
    parser.add_argument("--small", action="store_true", help="2,000 activities")
    parser.add_argument("--extras", default=None, help="prefix with pypardiso / scikit-umfpack")
    args = parser.parse_args(argv)
    if args.small:
        args.activities, args.technosphere_nnz, args.biosphere_nnz = 2_000, 25_000, 40_000
        args.flows = 1_000
    return args


def superlu(at_csc: sparse.csc_matrix, permc: str) -> Factor:
    def factor():
        lu = linalg.splu(at_csc, permc_spec=permc)
        return lu.solve, lu.L.nnz + lu.U.nnz

    return factor


def spsolve_each(at_csc: sparse.csc_matrix) -> Factor:
    """No reusable factor: every solve call factorises again (how spsolve is used naively)."""

    def factor():
        return (
            lambda rhs: linalg.spsolve(at_csc, rhs, permc_spec="COLAMD").reshape(rhs.shape),
            None,
        )

    return factor


def umfpack(at_csc: sparse.csc_matrix) -> Factor:
    import scikits.umfpack as um

    def factor():
        lu = um.splu(at_csc)
        return (
            lambda rhs: np.column_stack([lu.solve(rhs[:, j]) for j in range(rhs.shape[1])]),
            lu.L.nnz + lu.U.nnz,
        )

    return factor


def pardiso(at_csc: sparse.csc_matrix) -> Factor:
    from pypardiso import PyPardisoSolver

    at_csr = at_csc.tocsr()  # pypardiso wants CSR

    def factor():
        solver = PyPardisoSolver()
        solver.factorize(at_csr)
        nnz = int(solver.iparm[17])  # iparm(18): non-zeros in the factors
        return lambda rhs: np.asarray(solver.solve(at_csr, rhs)).reshape(rhs.shape), nnz

    return factor


def run(
    factor: Factor, rhs_sets: dict[int, np.ndarray], repeat: int
) -> tuple[float, dict[int, float], dict[int, np.ndarray], int | None]:
    best_factor = np.inf
    nnz = None
    best_solve = dict.fromkeys(rhs_sets, np.inf)
    solutions: dict[int, np.ndarray] = {}
    for _ in range(repeat):
        started = time.perf_counter()
        solve, nnz = factor()
        best_factor = min(best_factor, time.perf_counter() - started)
        for r, rhs in rhs_sets.items():
            started = time.perf_counter()
            solutions[r] = solve(rhs)
            best_solve[r] = min(best_solve[r], time.perf_counter() - started)
    return best_factor, best_solve, solutions, nnz


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    site = extras.enable(args.extras)
    warnings.simplefilter("ignore")
    bg = background.generate(
        activities=args.activities,
        technosphere_nnz=args.technosphere_nnz,
        biosphere_nnz=args.biosphere_nnz,
        flows=args.flows,
        indicators=args.indicators,
        seed=args.seed,
    )
    print(f"background: {bg.describe()}; extras: {site}")
    at = sparse.csr_matrix(bg.technosphere).T.tocsc()
    at.sum_duplicates()
    at.sort_indices()
    direct = np.asarray((bg.characterization @ bg.biosphere).T.todense())
    rng = np.random.default_rng(args.seed)
    masks = (rng.random((args.masks, bg.n_activities)) < 0.5).astype(np.float64)
    many = (masks.T[:, :, None] * direct[:, None, :]).reshape(bg.n_activities, -1)
    rhs_sets = {
        direct.shape[1]: np.ascontiguousarray(direct),
        direct.shape[1] + many.shape[1]: np.ascontiguousarray(np.hstack([direct, many])),
    }
    print(f"RHS counts: {list(rhs_sets)}; best of {args.repeat}")

    candidates: list[tuple[str, Callable[[], Factor]]] = [
        (f"SuperLU {permc}", lambda permc=permc: superlu(at, permc)) for permc in args.permc
    ]
    candidates += [
        ("scipy spsolve (refactorises per call)", lambda: spsolve_each(at)),
        ("UMFPACK (scikit-umfpack)", lambda: umfpack(at)),
        ("PARDISO (pypardiso, MKL)", lambda: pardiso(at)),
    ]

    baseline: tuple[float, dict[int, float], dict[int, np.ndarray], int | None] | None = None
    rows = []
    for name, make in candidates:
        try:
            factor = make()
        except ImportError as exc:
            print(f"{name}: not available ({exc}); skipped")
            continue
        try:
            result = run(factor, rhs_sets, args.repeat)
        except Exception as exc:
            print(f"{name}: failed ({type(exc).__name__}: {exc}); skipped")
            continue
        if baseline is None:
            baseline = result
        worst = max(
            float(np.max(np.abs(result[2][r] - baseline[2][r]) / np.abs(baseline[2][r]).max()))
            for r in rhs_sets
        )
        rows.append((name, result, worst))
        fact_s, solve_s, _, nnz = result
        parts = ", ".join(f"{r} RHS {s:.3f} s" for r, s in solve_s.items())
        fill = f"factors {nnz:,} nnz ({nnz / at.nnz:.1f} x A)" if nnz else "factors ?"
        print(
            f"{name}: factorise {fact_s:.3f} s; solve {parts}; {fill}; max diff {worst:.1e}",
            flush=True,
        )

    if baseline is None:
        return
    print("\nRatios to SuperLU COLAMD (time / baseline time; < 1 is faster)")
    header = ["solver", "factorise"] + [f"solve {r}" for r in rhs_sets]
    header += [f"total {r}" for r in rhs_sets]
    print("    " + " | ".join(f"{h:>12s}" if i else f"{h:38s}" for i, h in enumerate(header)))
    base_fact, base_solve, _, _ = baseline
    for name, (fact_s, solve_s, _, _), _worst in rows:
        cells = [fact_s / base_fact]
        cells += [solve_s[r] / base_solve[r] for r in rhs_sets]
        cells += [(fact_s + solve_s[r]) / (base_fact + base_solve[r]) for r in rhs_sets]
        print("    " + f"{name:38s} | " + " | ".join(f"{c:12.2f}" for c in cells))


if __name__ == "__main__":
    main()
