"""Top contributors for one demand: which processes and which elementary flows make the score.

One bw2calc-style solve: supply s = A⁻¹ f (with the factorisation of Aᵀ, transposed solve),
inventory g = B s. Process j contributes (C B)[k, j] · s_j to indicator k (its own direct
emissions, scaled by how much of it the demand needs); flow l contributes C[k, l] · g_l.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import SuperLU

from lca.errors import ForegroundError
from lca.precompute import factorize_transposed
from lca.snapshot import Snapshot


@dataclass(frozen=True)
class Contribution:
    """One contributor: matrix ``index`` (activity column or flow row), label, value, share."""

    index: int
    label: str
    value: float
    share: float


@dataclass(frozen=True)
class Contributions:
    """Per indicator id: total, top processes and top elementary flows (by absolute value)."""

    indicator_ids: tuple[str, ...]
    total: np.ndarray
    supply: np.ndarray
    processes: dict[str, list[Contribution]]
    flows: dict[str, list[Contribution]]


def demand_vector(demand: Mapping[int, float] | np.ndarray, n_products: int) -> np.ndarray:
    """Dense demand over product rows from a {row: amount} mapping or an array."""
    if isinstance(demand, Mapping):
        vector = np.zeros(n_products)
        for index, amount in demand.items():
            if not 0 <= index < n_products:
                raise ForegroundError(f"product index {index} out of range 0..{n_products - 1}")
            vector[index] += amount
        return vector
    vector = np.asarray(demand, dtype=np.float64).ravel()
    if vector.shape != (n_products,):
        raise ForegroundError(f"demand has {vector.shape[0]} entries, expected {n_products}")
    return vector


def _top(values: np.ndarray, labels: list[str], total: float, top_n: int) -> list[Contribution]:
    order = np.argsort(-np.abs(values), kind="stable")[:top_n]
    return [
        Contribution(
            index=int(j),
            label=labels[j],
            value=float(values[j]),
            share=float(values[j] / total) if total else 0.0,
        )
        for j in order
        if values[j] != 0
    ]


def contributions(
    snapshot: Snapshot,
    demand: Mapping[int, float] | np.ndarray,
    *,
    top_n: int = 10,
    lu: SuperLU | None = None,
) -> Contributions:
    """Top ``top_n`` processes and elementary flows per indicator for ``demand``.

    ``demand`` maps background product rows to amounts (a product, or the background demand
    of a BOM: ``lca.footprint.background_demand(lines, n).sum(axis=0)``). Pass ``lu`` from
    `factorize_transposed` to reuse a factorisation.
    """
    n = snapshot.technosphere_matrix.shape[0]
    lu = lu or factorize_transposed(snapshot.technosphere_matrix)
    supply = lu.solve(demand_vector(demand, n), trans="T")
    characterization = sparse.csr_matrix(snapshot.characterization)
    per_process = np.asarray(
        (characterization @ snapshot.biosphere_matrix @ sparse.diags(supply)).todense()
    )
    inventory = snapshot.biosphere_matrix @ supply
    per_flow = np.asarray(characterization.multiply(inventory[None, :]).todense())
    total = per_process.sum(axis=1)

    process_labels = [
        f"{a.name} | {a.reference_product} | {a.location}" for a in snapshot.activities
    ]
    flow_labels = [f"{f.name} | {'::'.join(f.categories)}" for f in snapshot.flows]
    ids = snapshot.indicator_ids
    return Contributions(
        indicator_ids=ids,
        total=total,
        supply=supply,
        processes={
            i: _top(per_process[k], process_labels, total[k], top_n) for k, i in enumerate(ids)
        },
        flows={i: _top(per_flow[k], flow_labels, total[k], top_n) for k, i in enumerate(ids)},
    )
