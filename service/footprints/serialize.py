"""Footprints as JSON: every number named by indicator id, no NaN, both carbon and pollution."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

import numpy as np

from lca import pollution_equivalents
from lca.contributions import Contributions
from lca.footprint import Footprint
from lca.foreground import BackgroundLink, Link, SupplierProcess
from lca.indicators import GHG_PARTS
from lca.linking import LinkedLeaves
from lca.montecarlo import MonteCarloResult
from lca.snapshot import Snapshot


def _number(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _by_indicator(ids: Sequence[str], values: np.ndarray) -> dict[str, float | None]:
    return {i: _number(v) for i, v in zip(ids, values, strict=True)}


def indicators_block(snapshot: Snapshot) -> list[dict[str, Any]]:
    """Each indicator with its unit, version and source."""
    return [{"id": ind.id, "name": ind.name, "unit": ind.unit, "version": ind.version,
             "kind": ind.kind, "source": asdict(ind.source)} for ind in snapshot.indicators]


def _link_json(link: Link | None, snapshot: Snapshot, how: str | None) -> dict[str, Any] | None:
    if link is None:
        return None
    if isinstance(link, BackgroundLink):
        activity = snapshot.activities[link.product_index]
        return {"type": "background", "database": activity.database, "code": activity.code,
                "name": activity.name, "location": activity.location, "unit": activity.unit,
                "how": how, "rests_on_cutoff": activity.has_cutoff}
    if isinstance(link, SupplierProcess):
        return {"type": "supplier_process", "primary_data_id": link.process_id,
                "location": link.location, "how": how}
    return {"type": "declared_footprint", "primary_data_id": link.declaration_id, "how": how}


def footprint_json(fp: Footprint, snapshot: Snapshot, leaves: Sequence[Mapping[str, Any]],
                   linked: LinkedLeaves) -> dict[str, Any]:
    """The stored result of one product's footprint, per unit of product."""
    ids = fp.indicator_ids
    kinds = {ind.id: ind.kind for ind in snapshot.indicators}
    totals = _by_indicator(ids, fp.total)
    row_by_line = {line_id: r for r, line_id in enumerate(fp.line_ids)}
    lines = []
    for leaf, line in zip(leaves, linked.lines, strict=True):
        row = fp.per_line[row_by_line[line.line_id]]
        lines.append({
            "line_id": line.line_id, "part_number": leaf.get("part_number"),
            "description": leaf.get("description"), "supplier": line.supplier,
            "stage": line.stage, "origin": line.location, "amount": line.amount,
            "unit": linked.unit_by_line.get(line.line_id, leaf.get("unit")),
            "link": _link_json(line.link, snapshot, linked.how_by_line.get(line.line_id)),
            "values": None if line.link is None else _by_indicator(ids, row)})
    return {
        "status": "complete" if fp.complete else "partial",
        "snapshot_hash": snapshot.snapshot_hash,
        "indicators": indicators_block(snapshot),
        "totals": totals,
        "ghg": {part: totals.get(indicator_id) for part, indicator_id in GHG_PARTS.items()},
        "pollutants": {i: v for i, v in totals.items() if kinds.get(i) == "pollutant"},
        "pollutants_by_location": {
            i: {loc: _number(v) for loc, v in by_loc.items()}
            for i, by_loc in fp.pollutants_by_location.items()},
        "pollution_equivalents": pollution_equivalents.summary(
            {i: v for i, v in totals.items() if v is not None}, fp.pollutants_by_location),
        "by_stage": {k: _by_indicator(ids, v) for k, v in fp.by_stage.items()},
        "by_supplier": {k: _by_indicator(ids, v) for k, v in fp.by_supplier.items()},
        "primary_data_share": _by_indicator(ids, fp.primary_share),
        "cutoff_share": _by_indicator(ids, fp.cutoff_share),
        "lines": lines,
        "unlinked": [{"line_id": i, "reason": linked.unlinked_reasons.get(i, "not linked")}
                     for i in fp.unlinked_line_ids],
        "missing_declared": {k: list(v) for k, v in fp.missing_by_line.items()},
    }


def contributions_json(result: Contributions) -> dict[str, Any]:
    """Top processes and elementary flows per indicator."""
    def items(contributions: Mapping[str, list]) -> dict[str, list[dict[str, Any]]]:
        return {i: [{"label": c.label, "value": _number(c.value), "share": _number(c.share)}
                    for c in rows] for i, rows in contributions.items()}

    return {"processes": items(result.processes), "flows": items(result.flows)}


def monte_carlo_json(result: MonteCarloResult) -> dict[str, Any]:
    """Iterations, seed and statistics per indicator."""
    return {"iterations": int(result.samples.shape[0]), "seed": result.seed,
            "statistics": {i: {k: _number(v) for k, v in stats.items()}
                           for i, stats in result.summary().items()}}
