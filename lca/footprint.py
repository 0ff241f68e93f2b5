"""Where one BOM line becomes a number.

With U the snapshot's unit-indicator table (`lca.precompute`) and C its characterisation, the
score of each leaf line is::

    background product i, amount a:             a · U[i]
    supplier process (emissions e, inputs x):   a · (C e + Σ_i x_i U[i])
    declared footprint (values d):              a · d

and the product's footprint is their sum: exactly what a full LCA of the same system gives,
because the foreground never feeds back into the background. All lines are evaluated at once:
background amounts go into a sparse (lines x products) matrix D, so the background part is
D @ U.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from lca.errors import ForegroundError
from lca.foreground import BackgroundLink, DeclaredFootprint, Line, SupplierProcess
from lca.indicators import GHG_PARTS
from lca.precompute import UnitTable
from lca.snapshot import Snapshot

UNKNOWN = "unknown"


@dataclass(frozen=True)
class Footprint:
    """A product's footprint per unit, every array in ``indicator_ids`` order.

    ``per_line`` rows follow ``line_ids``; rows of unlinked lines are NaN and are left out of
    every sum (their ids are in ``unlinked_line_ids``). ``missing_by_line`` lists, for
    declared-footprint lines, indicators their declaration does not give (counted as 0).
    ``primary_share``: share of the total from supplier primary data (direct emissions of
    supplier processes, declared footprints). ``cutoff_share``: share emitted by background
    activities whose inventory has cut-off or ambiguous inputs. ``pollutants_by_location``:
    pollutant indicator id -> location where emitted -> value.
    """

    indicator_ids: tuple[str, ...]
    total: np.ndarray
    line_ids: tuple[str, ...]
    per_line: np.ndarray
    by_supplier: dict[str, np.ndarray]
    by_stage: dict[str, np.ndarray]
    ghg_split: dict[str, float]
    pollutants_by_location: dict[str, dict[str, float]]
    primary_share: np.ndarray
    cutoff_share: np.ndarray
    unlinked_line_ids: tuple[str, ...]
    missing_by_line: dict[str, tuple[str, ...]]

    @property
    def complete(self) -> bool:
        """True if every line is linked and every declared value is present."""
        return not self.unlinked_line_ids and not self.missing_by_line

    def value(self, indicator_id: str) -> float:
        """Total of one indicator."""
        return float(self.total[self.indicator_ids.index(indicator_id)])


def _share(part: np.ndarray, total: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total != 0, part / np.where(total != 0, total, 1.0), 0.0)


def background_demand(lines: Sequence[Line], n_products: int) -> sparse.csr_matrix:
    """Sparse (lines x products) matrix D of background product amounts per line.

    Background links and the inputs of supplier processes, times the line amount.
    """
    rows: list[int] = []
    cols: list[int] = []
    data: list[float] = []
    for row, line in enumerate(lines):
        if isinstance(line.link, BackgroundLink):
            rows.append(row)
            cols.append(line.link.product_index)
            data.append(line.amount)
        elif isinstance(line.link, SupplierProcess):
            for index, amount in line.link.inputs.items():
                rows.append(row)
                cols.append(index)
                data.append(line.amount * amount)
    if cols and (min(cols) < 0 or max(cols) >= n_products):
        raise ForegroundError(f"background product index out of range 0..{n_products - 1}")
    return sparse.csr_matrix((data, (rows, cols)), shape=(len(lines), n_products))


def direct_emissions(lines: Sequence[Line], n_flows: int) -> sparse.csr_matrix:
    """Sparse (lines x flows) matrix E of supplier-process direct emissions per line."""
    rows: list[int] = []
    cols: list[int] = []
    data: list[float] = []
    for row, line in enumerate(lines):
        if isinstance(line.link, SupplierProcess):
            for index, amount in line.link.emissions.items():
                rows.append(row)
                cols.append(index)
                data.append(line.amount * amount)
    if cols and (min(cols) < 0 or max(cols) >= n_flows):
        raise ForegroundError(f"elementary flow index out of range 0..{n_flows - 1}")
    return sparse.csr_matrix((data, (rows, cols)), shape=(len(lines), n_flows))


def _declared(
    lines: Sequence[Line], indicator_ids: Sequence[str]
) -> tuple[np.ndarray, dict[str, tuple[str, ...]]]:
    values = np.zeros((len(lines), len(indicator_ids)))
    missing: dict[str, tuple[str, ...]] = {}
    position = {indicator_id: k for k, indicator_id in enumerate(indicator_ids)}
    for row, line in enumerate(lines):
        if not isinstance(line.link, DeclaredFootprint):
            continue
        for indicator_id, value in line.link.values.items():
            if indicator_id in position and value is not None and math.isfinite(value):
                values[row, position[indicator_id]] = line.amount * value
        absent = tuple(
            i
            for i in indicator_ids
            if line.link.values.get(i) is None or not math.isfinite(line.link.values[i])
        )
        if absent:
            missing[line.line_id] = absent
    return values, missing


def footprint(lines: Sequence[Line], table: UnitTable, snapshot: Snapshot) -> Footprint:
    """Footprint of one product per unit, from its leaf lines.

    ``table`` must be the unit table of ``snapshot`` (same hash).
    """
    if table.snapshot_hash != snapshot.snapshot_hash:
        raise ForegroundError("unit table and snapshot differ")
    if len({line.line_id for line in lines}) != len(lines):
        raise ForegroundError("line ids are not unique")
    ids = table.indicator_ids
    n_products, k = table.scores.shape
    demand = background_demand(lines, n_products)
    emissions = direct_emissions(lines, snapshot.biosphere_matrix.shape[0])

    background = np.asarray(demand @ table.scores)
    direct = np.asarray((emissions @ snapshot.characterization.T).todense())
    declared, missing = _declared(lines, ids)
    per_line = background + direct + declared

    unlinked = np.array([line.link is None for line in lines], dtype=bool)
    per_line[unlinked] = np.nan
    linked = ~unlinked
    total = per_line[linked].sum(axis=0)

    by_supplier: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(k))
    by_stage: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(k))
    for row, line in enumerate(lines):
        if linked[row]:
            by_supplier[line.supplier or UNKNOWN] += per_line[row]
            by_stage[line.stage or UNKNOWN] += per_line[row]

    primary = (direct + declared)[linked].sum(axis=0)
    cutoff = np.asarray(demand @ table.cutoff_scores).sum(axis=0)
    ghg_split = {part: float(total[ids.index(i)]) for part, i in GHG_PARTS.items() if i in ids}

    return Footprint(
        indicator_ids=ids,
        total=total,
        line_ids=tuple(line.line_id for line in lines),
        per_line=per_line,
        by_supplier=dict(by_supplier),
        by_stage=dict(by_stage),
        ghg_split=ghg_split,
        pollutants_by_location=_pollutants_by_location(lines, table, demand, direct, declared),
        primary_share=_share(primary, total),
        cutoff_share=_share(cutoff, total),
        unlinked_line_ids=tuple(line.line_id for line in lines if line.link is None),
        missing_by_line=missing,
    )


def _pollutants_by_location(
    lines: Sequence[Line],
    table: UnitTable,
    demand: sparse.csr_matrix,
    direct: np.ndarray,
    declared: np.ndarray,
) -> dict[str, dict[str, float]]:
    n_products, n_locations, p = table.regional_scores.shape
    regional = np.asarray(
        demand.sum(axis=0) @ table.regional_scores.reshape(n_products, n_locations * p)
    ).reshape(n_locations, p)
    result: dict[str, dict[str, float]] = {}
    columns = [table.indicator_ids.index(i) for i in table.regional_indicator_ids]
    for j, indicator_id in enumerate(table.regional_indicator_ids):
        by_location: dict[str, float] = defaultdict(float)
        for r, location in enumerate(table.locations):
            by_location[location] += float(regional[r, j])
        for row, line in enumerate(lines):
            if isinstance(line.link, SupplierProcess):
                location = line.link.location or line.location or UNKNOWN
                by_location[location] += float(direct[row, columns[j]])
            elif isinstance(line.link, DeclaredFootprint):
                by_location[line.location or UNKNOWN] += float(declared[row, columns[j]])
        result[indicator_id] = {loc: v for loc, v in sorted(by_location.items()) if v != 0.0}
    return result


def foreground_demand(lines: Sequence[Line], snapshot: Snapshot) -> tuple[np.ndarray, np.ndarray]:
    """What ``lines`` ask of the background, and their fixed part.

    Returns (demand over background products, one value per indicator for supplier direct
    emissions plus declared values). Score = scores of the demand + fixed part; feed them to
    `lca.contributions.contributions` and to `lca.montecarlo.monte_carlo` (``constant``).
    Unlinked lines contribute nothing (see `footprint` for the list).
    """
    demand = background_demand(lines, snapshot.technosphere_matrix.shape[0])
    emissions = direct_emissions(lines, snapshot.biosphere_matrix.shape[0])
    declared, _ = _declared(lines, snapshot.indicator_ids)
    direct = np.asarray((emissions @ snapshot.characterization.T).todense())
    fixed = direct.sum(axis=0) + declared.sum(axis=0)
    return np.asarray(demand.sum(axis=0)).ravel(), fixed


def footprint_batch(
    amounts: np.ndarray,
    product_indices: np.ndarray,
    unit_scores: np.ndarray,
) -> np.ndarray:
    """Footprints of many products whose lines all link to background products.

    ``amounts`` and ``product_indices`` are (P products x L lines); an index of -1 marks an
    empty slot. ``unit_scores`` is U (n x k). Returns (P x k): row p = Σ_l amounts[p, l] ·
    U[product_indices[p, l]].
    """
    amounts = np.asarray(amounts, dtype=np.float64)
    product_indices = np.asarray(product_indices)
    if amounts.shape != product_indices.shape or amounts.ndim != 2:
        raise ForegroundError("amounts and product_indices must be (P x L) arrays of one shape")
    n_products = unit_scores.shape[0]
    if product_indices.size and product_indices.max() >= n_products:
        raise ForegroundError(f"product index out of range 0..{n_products - 1}")
    if product_indices.size and product_indices.min() < -1:
        raise ForegroundError("product index below -1")
    used = product_indices >= 0
    # Gather the rows of U each line needs, then one batched (1 x L) @ (L x k) per product:
    # ~30 ms for 1,000 products x 200 lines x 20 indicators on 2 cores (a sparse (P x n)
    # demand matrix times U took ~70 ms).
    rows = np.take(unit_scores, np.where(used, product_indices, 0), axis=0)
    weights = np.where(used, amounts, 0.0)
    return np.matmul(weights[:, None, :], rows)[:, 0, :]


def indicator_values(footprint_: Footprint) -> Mapping[str, float]:
    """Totals by indicator id."""
    return {i: float(v) for i, v in zip(footprint_.indicator_ids, footprint_.total, strict=True)}
