"""Monte Carlo over the uncertainty distributions stored in the snapshot datapackages.

Technosphere and biosphere matrices are resampled with matrix_utils (stats_arrays
distributions), exactly as ``bw2calc.LCA(..., use_distributions=True, seed_override=seed)``
does: with the same seed, iteration i here equals iteration i of bw2calc. Characterisation
factors are fixed. Runs without bw2data.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import matrix_utils as mu
import numpy as np
from scipy import sparse

from lca.contributions import demand_vector
from lca.errors import SnapshotError
from lca.precompute import factorize_transposed
from lca.snapshot import Snapshot

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MonteCarloResult:
    """Samples (iterations x indicators) and their statistics per indicator."""

    indicator_ids: tuple[str, ...]
    seed: int
    samples: np.ndarray
    mean: np.ndarray
    median: np.ndarray
    p2_5: np.ndarray
    p97_5: np.ndarray

    def summary(self) -> dict[str, dict[str, float]]:
        """indicator id -> {mean, median, p2_5, p97_5}."""
        return {
            i: {
                "mean": float(self.mean[k]),
                "median": float(self.median[k]),
                "p2_5": float(self.p2_5[k]),
                "p97_5": float(self.p97_5[k]),
            }
            for k, i in enumerate(self.indicator_ids)
        }


def monte_carlo(
    snapshot: Snapshot,
    demand: Mapping[int, float] | np.ndarray,
    *,
    iterations: int,
    seed: int,
    constant: np.ndarray | None = None,
) -> MonteCarloResult:
    """Sample the scores of ``demand`` (background product rows -> amounts) ``iterations`` times.

    ``constant`` (one value per indicator) is added to every sample: the fixed part of a
    foreground, e.g. supplier direct emissions and declared footprints. Same seed, same numbers.
    """
    if iterations < 1:
        raise ValueError("iterations must be >= 1")
    packages = snapshot.inventory_datapackages()
    technosphere = mu.MappedMatrix(
        packages=packages,
        matrix="technosphere_matrix",
        use_distributions=True,
        seed_override=seed,
    )
    biosphere = mu.MappedMatrix(
        packages=packages,
        matrix="biosphere_matrix",
        use_distributions=True,
        seed_override=seed,
        col_mapper=technosphere.col_mapper,
        empty_ok=True,
    )
    m = snapshot.matrix_flow_count
    if technosphere.matrix.shape != snapshot.technosphere_matrix.shape or not np.array_equal(
        biosphere.row_mapper.array, np.array([f.id for f in snapshot.flows[:m]])
    ):
        raise SnapshotError("resampled matrices do not match the snapshot's")
    f = demand_vector(demand, snapshot.technosphere_matrix.shape[0])
    characterization = sparse.csr_matrix(snapshot.characterization)[:, :m]
    k = characterization.shape[0]
    offset = np.zeros(k) if constant is None else np.asarray(constant, dtype=np.float64)
    samples = np.empty((iterations, k))
    for it in range(iterations):
        if it:
            next(technosphere)
            next(biosphere)
        supply = factorize_transposed(technosphere.matrix).solve(f, trans="T")
        samples[it] = characterization @ (biosphere.matrix @ supply) + offset
    logger.info(
        "monte carlo done",
        extra={"snapshot_hash": snapshot.snapshot_hash, "iterations": iterations, "seed": seed},
    )
    return MonteCarloResult(
        indicator_ids=snapshot.indicator_ids,
        seed=seed,
        samples=samples,
        mean=samples.mean(axis=0),
        median=np.median(samples, axis=0),
        p2_5=np.percentile(samples, 2.5, axis=0),
        p97_5=np.percentile(samples, 97.5, axis=0),
    )
