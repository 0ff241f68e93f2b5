"""A seeded, synthetic background database at ecoinvent scale, for benchmarks.

Defaults: 20,000 activities, ~250,000 technosphere and ~400,000 biosphere non-zeros over
4,700 elementary flows, 20 indicators. The technosphere is productive, like a real LCA
matrix: diagonal 1 (each activity makes one unit of its product), off-diagonal inputs
negative, and in value terms every column's inputs cost less than its output, so the
Leontief inverse A⁻¹ exists and is non-negative.

How it is built:

* Activities fall into sectors (``sector_size`` ~200, lognormal sizes) and get a random
  position in a supply order. Inputs come from ``n // 100`` *hub* products (markets:
  electricity, heat, transport; Zipf-weighted; ``hub_share`` 40 % of inputs), from the own
  sector (upstream in the supply order, except ``loop_share`` 1 % that close loops), or
  from anywhere (``cross_share`` 0.3 %). Hub inputs close loops too, as in ecoinvent where
  most activities sit in cycles through the markets. The structure keeps LU fill-in
  realistic: with 20 % of inputs from anywhere, SuperLU did not finish in 10 minutes; with
  these defaults it factorises Aᵀ in ~2 s with factors ~7 x nnz(A), like ecoinvent.
* Values: product prices p are lognormal; column j spends a share s_j ∈ [0.15, 0.8] of its
  output value on inputs, split by lognormal weights w_ij (Σ_i w_ij = s_j). The physical
  input is a_ij = w_ij p_j / p_i, so A = I - D⁻¹ W D with D = diag(p): similar to I - W,
  whose column sums are ≤ 0.8, hence A⁻¹ = D⁻¹ (I - W)⁻¹ D ≥ 0 and well conditioned up to
  the price spread.
* Biosphere: a lognormal number of flows per activity, drawn by Zipf popularity (CO2 is
  everywhere), lognormal values with a per-flow scale.
* Indicators: each a random sparse selection of flows (popular flows more likely) with
  lognormal factors. Indicator 0 ("climate change") has flow 0 (CO2) with factor 1.

Row and column order: product i is made by activity i; both have id ``PRODUCT_ID0 + i``,
flows have id ``FLOW_ID0 + f``, so bw2calc's matrices (indices sorted by id) have the same
order as the scipy matrices here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import bw_processing as bwp
import numpy as np
from scipy import sparse

PRODUCT_ID0 = 1
FLOW_ID0 = 10_000_000
GLOBAL_LOCATION = 0


@dataclass(frozen=True)
class Background:
    """Matrices as bw2calc builds them: A (n x n), B (m x n), C (k x m, row k = indicator k)."""

    technosphere: sparse.csr_matrix
    biosphere: sparse.csr_matrix
    characterization: sparse.csr_matrix
    indicator_ids: tuple[str, ...]
    seed: int

    @property
    def n_activities(self) -> int:
        return self.technosphere.shape[0]

    @property
    def n_flows(self) -> int:
        return self.biosphere.shape[0]

    @property
    def product_ids(self) -> np.ndarray:
        return np.arange(self.n_activities, dtype=np.int64) + PRODUCT_ID0

    @property
    def flow_ids(self) -> np.ndarray:
        return np.arange(self.n_flows, dtype=np.int64) + FLOW_ID0

    def method_key(self, k: int) -> tuple[str, str]:
        """bw2calc impact category identifier of indicator k."""
        return ("bench", self.indicator_ids[k])

    @cached_property
    def lci_datapackage(self) -> bwp.Datapackage:
        """Technosphere and biosphere, as bw2data would write them (inputs positive, flipped)."""
        dp = bwp.create_datapackage(name="bench-background", sum_intra_duplicates=True)
        tech = self.technosphere.tocoo()
        production = tech.row == tech.col
        dp.add_persistent_vector(
            matrix="technosphere_matrix",
            name="technosphere",
            indices_array=_indices(self.product_ids[tech.row], self.product_ids[tech.col]),
            data_array=np.abs(tech.data),
            flip_array=~production,
        )
        bio = self.biosphere.tocoo()
        dp.add_persistent_vector(
            matrix="biosphere_matrix",
            name="biosphere",
            indices_array=_indices(self.flow_ids[bio.row], self.product_ids[bio.col]),
            data_array=bio.data.astype(np.float64),
        )
        return dp

    @cached_property
    def characterization_datapackage(self) -> bwp.Datapackage:
        """One resource group per indicator, tagged ``identifier=[...]`` as MultiLCA wants."""
        dp = bwp.create_datapackage(name="bench-characterization")
        for k in range(self.characterization.shape[0]):
            row = self.characterization.getrow(k).tocoo()
            dp.add_persistent_vector(
                matrix="characterization_matrix",
                name=f"cf-{k}",
                identifier=list(self.method_key(k)),
                indices_array=_indices(self.flow_ids[row.col], np.full(row.nnz, GLOBAL_LOCATION)),
                data_array=row.data.astype(np.float64),
                global_index=GLOBAL_LOCATION,
            )
        return dp

    def characterization_package(self, k: int) -> bwp.FilteredDatapackage:
        """The datapackage of indicator k alone (for a single ``bw2calc.LCA``)."""
        return self.characterization_datapackage.filter_by_attribute(
            "identifier", list(self.method_key(k))
        )

    def describe(self) -> str:
        return (
            f"{self.n_activities:,} activities, {self.technosphere.nnz:,} technosphere and "
            f"{self.biosphere.nnz:,} biosphere non-zeros over {self.n_flows:,} flows, "
            f"{self.characterization.shape[0]} indicators "
            f"({self.characterization.nnz:,} factors), seed {self.seed}"
        )


def _indices(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    out = np.empty(len(rows), dtype=bwp.INDICES_DTYPE)
    out["row"] = rows
    out["col"] = cols
    return out


def _counts(rng: np.random.Generator, n: int, mean: float, sigma: float, cap: int) -> np.ndarray:
    """Lognormal counts >= 1 with the given mean (before clipping)."""
    raw = rng.lognormal(np.log(mean) - sigma**2 / 2, sigma, n)
    return np.clip(np.rint(raw), 1, cap).astype(np.int64)


def _distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (numpy's hash-based unique is very slow on these keys)."""
    values = np.sort(values)
    return values[np.concatenate([[True], values[1:] != values[:-1]])] if len(values) else values


def _zipf_weights(n: int, exponent: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** exponent
    return weights / weights.sum()


def generate(
    *,
    activities: int = 20_000,
    technosphere_nnz: int = 250_000,
    biosphere_nnz: int = 400_000,
    flows: int = 4_700,
    indicators: int = 20,
    seed: int = 42,
    loop_share: float = 0.01,
    hub_share: float = 0.4,
    cross_share: float = 0.003,
    sector_size: int = 200,
    price_sigma: float = 1.0,
) -> Background:
    """Build a `Background`. Same arguments, same matrices (bit for bit)."""
    rng = np.random.default_rng(seed)
    n = activities

    # Sectors and supply order.
    n_sectors = max(1, n // sector_size)
    sector_sizes = rng.lognormal(0.0, 0.8, n_sectors)
    sector = rng.choice(n_sectors, size=n, p=sector_sizes / sector_sizes.sum())
    order = rng.permutation(n)  # position in the supply order; lower = further upstream
    n_hubs = max(1, n // 100)
    hubs = rng.choice(n, size=n_hubs, replace=False)
    hub_weights = _zipf_weights(n_hubs, 1.0)
    members = [np.flatnonzero(sector == s) for s in range(n_sectors)]

    # Off-diagonal inputs per column; oversample a little for duplicates.
    per_column = _counts(rng, n, (technosphere_nnz - n) / n * 1.1, 0.7, max(2, n // 20))
    cols = np.repeat(np.arange(n), per_column)
    total = len(cols)
    kind = rng.choice(3, size=total, p=[hub_share, 1.0 - hub_share - cross_share, cross_share])
    rows = np.empty(total, dtype=np.int64)

    is_hub = kind == 0
    rows[is_hub] = hubs[rng.choice(n_hubs, size=int(is_hub.sum()), p=hub_weights)]

    is_any = kind == 2
    rows[is_any] = rng.integers(0, n, int(is_any.sum()))

    is_sector = np.flatnonzero(kind == 1)
    col_sector = sector[cols[is_sector]]
    sizes = np.array([len(m) for m in members])
    picks = (rng.random(len(is_sector)) * sizes[col_sector]).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    flat_members = np.concatenate(members)
    rows[is_sector] = flat_members[offsets[col_sector] + picks]

    # Upstream: a non-hub input from downstream is turned around, but for a share that
    # closes loops (hub inputs close loops anyway).
    downstream = (~is_hub) & (order[rows] > order[cols]) & (rng.random(total) >= loop_share)
    rows[downstream], cols[downstream] = cols[downstream].copy(), rows[downstream].copy()

    keep = rows != cols
    rows, cols = rows[keep], cols[keep]
    pairs = _distinct(rows * n + cols)
    rows, cols = pairs // n, pairs % n

    # Values: shares of output value spent on each input.
    prices = rng.lognormal(0.0, price_sigma, n)
    weights = rng.lognormal(0.0, 1.5, len(rows))
    column_weight = np.bincount(cols, weights=weights, minlength=n)
    spend = rng.uniform(0.15, 0.8, n)
    shares = weights / column_weight[cols] * spend[cols]
    amounts = shares * prices[cols] / prices[rows]

    technosphere = sparse.csr_matrix(
        (
            np.concatenate([np.ones(n), -amounts]),
            (np.concatenate([np.arange(n), rows]), np.concatenate([np.arange(n), cols])),
        ),
        shape=(n, n),
    )

    # Biosphere.
    flow_popularity = _zipf_weights(flows, 0.9)[rng.permutation(flows)]
    flow_popularity[0] = 1.0  # CO2: nearly every activity
    flow_popularity /= flow_popularity.sum()
    per_activity = _counts(rng, n, biosphere_nnz / n, 0.6, flows // 2)
    bio_cols = np.repeat(np.arange(n), per_activity)
    pairs = _distinct(rng.choice(flows, size=len(bio_cols), p=flow_popularity) * n + bio_cols)
    for _ in range(20):  # top up what duplicates took away
        short = biosphere_nnz - len(pairs)
        if short <= 0:
            break
        extra_cols = rng.choice(bio_cols, size=int(short * 1.5) + 10)
        extra_rows = rng.choice(flows, size=len(extra_cols), p=flow_popularity)
        pairs = _distinct(np.concatenate([pairs, extra_rows * n + extra_cols]))
    if len(pairs) > biosphere_nnz:
        pairs = np.sort(rng.choice(pairs, size=biosphere_nnz, replace=False))
    bio_rows, bio_cols = pairs // n, pairs % n
    flow_scale = rng.normal(-4.0, 3.0, flows)
    bio_values = rng.lognormal(flow_scale[bio_rows], 1.5)
    biosphere = sparse.csr_matrix((bio_values, (bio_rows, bio_cols)), shape=(flows, n))

    # Characterisation: indicator k covers a random selection of flows.
    cf_rows, cf_cols, cf_values = [], [], []
    for k in range(indicators):
        size = int(np.clip(rng.lognormal(np.log(120), 1.2), 3, flows))
        chosen = rng.choice(flows, size=size, replace=False, p=flow_popularity)
        factors = rng.lognormal(rng.normal(0.0, 2.0), 1.5, size)
        if k == 0:
            chosen = np.union1d(chosen, [0])
            factors = rng.lognormal(0.0, 1.5, len(chosen))
            factors[chosen == 0] = 1.0
        cf_rows.append(np.full(len(chosen), k))
        cf_cols.append(chosen)
        cf_values.append(factors)
    characterization = sparse.csr_matrix(
        (np.concatenate(cf_values), (np.concatenate(cf_rows), np.concatenate(cf_cols))),
        shape=(indicators, flows),
    )
    names = tuple(["climate change"] + [f"indicator {k:02d}" for k in range(1, indicators)])
    return Background(
        technosphere=technosphere,
        biosphere=biosphere,
        characterization=characterization,
        indicator_ids=names,
        seed=seed,
    )


def random_boms(
    background: Background, *, products: int, lines: int, seed: int = 7
) -> tuple[np.ndarray, np.ndarray]:
    """(products x lines) background product indices (distinct within a BOM) and amounts."""
    rng = np.random.default_rng(seed)
    n = background.n_activities
    lines = min(lines, n)
    indices = np.empty((products, lines), dtype=np.int64)
    for p in range(products):
        indices[p] = rng.choice(n, size=lines, replace=False)
    amounts = rng.lognormal(0.0, 1.5, (products, lines))
    return indices, amounts
