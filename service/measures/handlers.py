"""The worker side of scenarios: a job of kind ``scenario`` evaluates measures against a
baseline footprint result and, if asked, chooses a portfolio.

Hops: baseline result -> its BOM revision and snapshot -> links, as the footprint handler
makes them (:func:`lca.linking.link_leaves` with the tenant's rules and primary data) ->
:func:`lca.cocontrol.evaluate` per measure (deltas from U, changed lines only) ->
:mod:`lca.portfolio` -> the job's output.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from lca import cocontrol as cc
from lca import portfolio as pf
from lca.indicators import GHG_PARTS
from lca.linking import PRIMARY_PREFIX, LinkRule, link_leaves
from lca.pollution_equivalents import equivalents
from lca.precompute import UnitTable
from lca.primary import PrimaryLink, resolve_records
from lca.snapshot import Snapshot
from service.boms import store as bom_store
from service.footprints import store as footprint_store
from service.footprints.handlers import _primary_ids, code_version
from service.jobs.runner import JobContext, JobFailed, handler
from service.links import store as link_store
from service.measures import store
from service.primary import store as primary_store
from service.snapshots import cache

BASELINE_RTOL = 1e-9


def _selector(spec: Mapping[str, Any]) -> cc.Selector:
    return cc.Selector(line_ids=tuple(spec.get("line_ids") or ()),
                       part_number=spec.get("part_number"),
                       material_class=spec.get("material_class"),
                       description=spec.get("description"))


def _product(snapshot: Snapshot, hint: str) -> int:
    database, sep, code = hint.partition(":")
    index = snapshot.product_index_by_key.get((database, code)) if sep else None
    if index is None:
        raise cc.MeasureError(f"{hint!r} names no dataset of this snapshot")
    return index


def build_measure(row: Mapping[str, Any], snapshot: Snapshot,
                  primary: Mapping[str, PrimaryLink],
                  primary_problems: Mapping[str, str]) -> cc.Measure:
    """A stored measure as the engine's `Measure`, its targets resolved on ``snapshot``."""
    changes: list[cc.Change] = []
    for spec in row["changes"]:
        selector = _selector(spec["select"])
        kind = spec["type"]
        if kind == "substitute":
            changes.append(cc.Substitute(selector, _product(snapshot, spec["target"]),
                                         float(spec.get("factor", 1.0))))
        elif kind == "relocate":
            changes.append(cc.Relocate(selector, spec["location"]))
        elif kind == "scale":
            changes.append(cc.Scale(selector, float(spec["factor"])))
        elif kind == "use_primary":
            record_id = spec["target"].removeprefix(PRIMARY_PREFIX)
            if record_id not in primary:
                raise cc.MeasureError(primary_problems.get(
                    record_id, f"no primary data {record_id!r} for this tenant"))
            changes.append(cc.UsePrimary(selector, primary[record_id].link,
                                         primary[record_id].declared_unit))
        elif kind == "switch_electricity":
            changes.append(cc.SwitchElectricity(
                selector, _product(snapshot, spec["target"]),
                tuple(_product(snapshot, s) for s in spec.get("sources") or ())))
        else:
            raise cc.MeasureError(f"unknown change type {kind!r}")
    return cc.Measure(measure_id=str(row["id"]), name=row["name"], changes=tuple(changes),
                      version=row["version"], cost_per_unit=row["cost_per_unit"],
                      currency=row["currency"], group=row["exclusive_group"])


def _baseline_check(base: cc.Baseline, stored: Mapping[str, Any]) -> list[str]:
    """Indicators whose relinked baseline differs from the stored result (rules changed)."""
    totals = stored.get("totals") or {}
    differs = []
    for indicator_id, value in zip(base.footprint.indicator_ids, base.footprint.total,
                                   strict=True):
        old = totals.get(indicator_id)
        if old is not None and not math.isclose(value, old, rel_tol=BASELINE_RTOL,
                                                abs_tol=1e-15):
            differs.append(indicator_id)
    return differs


def _portfolio(effects: Sequence[cc.Effect], goal: Mapping[str, Any]) -> dict[str, Any]:
    options = pf.options_from(effects)
    cap = goal.get("region_apeq_cap", 0.0)
    if goal["goal"] == "cheapest":
        chosen = pf.cheapest(options, ghg_cut=float(goal["ghg_cut_kg_co2e"]), region_cap=cap)
    else:
        chosen = pf.max_cut(options, budget=float(goal["budget"]), region_cap=cap)
    points = goal.get("pareto_points", 11)
    front = pf.pareto_front(options, points=points, region_cap=cap) if points else []
    groups = [[options[i].measure_id for i in g] for g in pf.exclusive_groups(options)]
    return {"goal": dict(goal), "chosen": chosen.as_dict(), "exclusive_groups": groups,
            "pareto_front": [p.as_dict() for p in front]}


def _calculate(leaves: list[dict[str, Any]], snapshot: Snapshot, table: UnitTable,
               rules: list[LinkRule], records: list[dict[str, Any]],
               measure_rows: list[dict[str, Any]], stored: Mapping[str, Any],
               goal: Mapping[str, Any] | None) -> dict[str, Any]:
    primary, problems = resolve_records(records, snapshot)
    linked = link_leaves(leaves, snapshot, rules, primary=primary, primary_problems=problems)
    model = cc.ProductModel(lines=tuple(linked.lines),
                            leaf_by_line={str(leaf["line_id"]): leaf for leaf in leaves},
                            unit_by_line=linked.unit_by_line)
    base = cc.baseline(model, table, snapshot)
    effects: list[cc.Effect] = []
    errors: list[dict[str, str]] = []
    for row in measure_rows:
        try:
            measure = build_measure(row, snapshot, primary, problems)
            effects.append(cc.evaluate(measure, base, table, snapshot))
        except cc.MeasureError as exc:
            errors.append({"measure_id": str(row["id"]), "name": row["name"], "error": str(exc)})
    if not effects:
        raise JobFailed("no measure can be applied: " + "; ".join(e["error"] for e in errors),
                        output={"errors": errors})
    ghg_id = GHG_PARTS["total"]
    result: dict[str, Any] = {
        "snapshot_hash": snapshot.snapshot_hash,
        "baseline": {
            "totals": {i: float(v) for i, v in zip(base.footprint.indicator_ids,
                                                   base.footprint.total, strict=True)},
            "ghg_kg_co2e": base.footprint.value(ghg_id),
            "apeq": base.apeq, "apeq_by_location": base.apeq_by_location,
            "water_peq": base.water_peq,
            "complete": base.footprint.complete,
            "differs_from_stored_result": _baseline_check(base, stored)},
        "equivalents": [{"medium": e.medium, "row": e.row, "pollutant": e.pollutant_zh,
                         "equivalent_kg": e.equivalent_kg, "indicator_id": e.indicator_id}
                        for e in equivalents()],
        "measures": [e.as_dict() for e in effects],
        "errors": errors,
    }
    if goal:
        result["portfolio"] = _portfolio(effects, goal)
        chosen_ids = result["portfolio"]["chosen"]["measure_ids"]
        if chosen_ids:
            by_id = {e.measure.measure_id: e.measure for e in effects}
            together, delta = cc.combine([by_id[i] for i in chosen_ids], base, table, snapshot)
            result["portfolio"]["combined"] = cc.effect(together, delta, base).as_dict()
    return result


@handler("scenario")
async def run_scenario(ctx: JobContext) -> None:
    """Evaluate the requested measures against the baseline result; output the result."""
    request = ctx.job["request"]
    stored = await footprint_store.get_result(ctx.conn, ctx.tenant_id,
                                              UUID(request["baseline_result_id"]))
    if stored is None:
        raise JobFailed("the baseline footprint result does not exist")
    if stored["snapshot_hash"] is None:
        raise JobFailed("the baseline was computed without a snapshot")
    revision = await bom_store.get_revision(ctx.conn, ctx.tenant_id, stored["bom_revision_id"])
    if revision is None:
        raise JobFailed("the baseline's BOM revision does not exist")
    rows = [dict(r) for r in await store.get_many(
        ctx.conn, ctx.tenant_id, [UUID(i) for i in request["measure_ids"]])]
    if len(rows) != len(set(request["measure_ids"])):
        raise JobFailed("a measure does not exist")
    other = [str(r["id"]) for r in rows if r["product_id"] != revision["product_id"]]
    if other:
        raise JobFailed(f"measures of another product: {other}")
    order = {m: k for k, m in enumerate(request["measure_ids"])}
    rows.sort(key=lambda r: order[str(r["id"])])
    await ctx.report(10)
    snapshot, table = await cache.load(ctx.conn, stored["snapshot_hash"],
                                       ctx.settings.data_dir / "snapshots")
    await ctx.report(30)
    leaves = revision["explosion"]
    rules = [LinkRule(r["match_field"], r["pattern"],
                      (r["target_database"], r["target_code"]), r["priority"])
             for r in await link_store.list_rules(ctx.conn, ctx.tenant_id)]
    ids = _primary_ids(leaves)
    for row in rows:
        ids += _primary_ids([{"link_hint": c.get("target")} for c in row["changes"]])
    records = [dict(r) for r in await primary_store.get_many(ctx.conn, ctx.tenant_id, ids)]
    result = await asyncio.to_thread(_calculate, leaves, snapshot, table, rules, records, rows,
                                     stored["result"], request.get("portfolio"))
    result["baseline_result_id"] = str(stored["id"])
    result["code_version"] = code_version()
    await ctx.report(90)
    ctx.output = result
    async with ctx.finish_transaction():
        pass
