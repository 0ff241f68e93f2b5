"""Co-control pages (降碳减污协同) for buyers: a product's measures, a form to add one, a form
to run a scenario against the product's latest footprint, and the scenario's page with the
co-control coordinate chart, the per-region pollution changes and the Pareto front.

Measures are stored with ``service.measures.store.insert`` and scenario jobs accepted with
``service.jobs.service.accept``, exactly as ``POST /v1/measures`` and ``POST /v1/scenarios``
do (same schemas, same audit lines). Other tenants' products and scenarios are 404.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response
from pydantic import ValidationError

from service.auth.store import audit
from service.boms import store as bom_store
from service.deps import Conn, SettingsDep
from service.errors import InvalidInput, NotFound
from service.footprints import store as footprint_store
from service.jobs import service as job_service
from service.jobs import store as job_store
from service.measures import store as measure_store
from service.measures.schemas import MeasureCreate, ScenarioRequest
from service.portal import charts, cocontrol_data, i18n, store, users
from service.portal.web import (
    PREFIX,
    PortalRoute,
    checked_role,
    language,
    principal,
    redirect,
    render,
    role,
)

router = APIRouter(route_class=PortalRoute, include_in_schema=False)

Buyer = Annotated[users.User, Depends(role("buyer"))]
BuyerPost = Annotated[users.User, Depends(checked_role("buyer"))]

SCENARIO = "scenario"
CHANGE_TYPES = ("substitute", "scale", "relocate")
POLLUTANTS = ("so2_kg", "nox_kg", "co_kg", "pm25_kg", "pm10_kg", "nmvoc_kg", "nh3_kg")
TOP_LOCATIONS = 12
NOISE = 1e-9
"""Share of the product's APeq below which a region's change is rounding (as lca.cocontrol)."""
QUADRANT_CLASSES = ("co-benefit", "negative-synergy", "both-rise", "carbon-only",
                    "pollution-only")


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def class_key(cls: str | None) -> str:
    """Catalog key of a co-control class (``co-benefit`` -> ``cc.class.co_benefit``)."""
    return "cc.class." + (cls or "no-change").replace("-", "_")


async def _own_product(conn: Conn, user: users.User, product_id: UUID) -> Any:
    product = await bom_store.get_product(conn, user.tenant_id, product_id)
    if product is None:
        raise NotFound("no such product")
    return product


async def _latest_result(conn: Conn, user: users.User, product_id: UUID) -> Any:
    results = await store.list_results_for_product(conn, user.tenant_id, product_id, limit=1)
    if not results:
        return None
    return await footprint_store.get_result(conn, user.tenant_id, results[0]["id"])


def _change_text(change: Mapping[str, Any], t: Callable[..., str],
                 names: Mapping[str, str] | None = None) -> str:
    select = change.get("select") or {}
    lines = ", ".join(select.get("line_ids") or []) or ", ".join(
        f"{k}={v}" for k, v in select.items() if v and k != "line_ids")
    kind = change.get("type", "")
    what = t(f"cc.type.{kind}", default=kind)
    if kind == "substitute":
        target = str(change.get("target") or "")
        detail = f"→ {(names or {}).get(target, target)} × {change.get('factor', 1.0):g}"
    elif kind == "scale":
        detail = f"× {change.get('factor', 1.0):g}"
    elif kind == "relocate":
        detail = f"→ {change.get('location')}"
    else:
        detail = str(change.get("target") or "")
    return f"{what} [{lines}] {detail}"


async def _measures_page(request: Request, conn: Conn, settings: SettingsDep,
                         user: users.User, product: Any, *, form: dict[str, Any] | None = None,
                         errors: Sequence[str] = (), status_code: int = 200) -> Response:
    t = i18n.translator(language(request))
    baseline = await _latest_result(conn, user, product["id"])
    scenarios = await cocontrol_data.list_scenarios_for_product(conn, user.tenant_id,
                                                                product["id"])
    q = (request.query_params.get("q") or "").strip()[:200]
    measures = await measure_store.list_measures(conn, user.tenant_id, product_id=product["id"],
                                                 limit=200, offset=0)
    snapshot_hash = baseline["snapshot_hash"] if baseline else None
    found, locations = await cocontrol_data.search_datasets(
        conn, user.tenant_id, snapshot_hash, settings.data_dir, q)
    names = await cocontrol_data.dataset_names(
        conn, user.tenant_id, snapshot_hash, settings.data_dir,
        [str(c.get("target")) for m in measures for c in m["changes"] if c.get("target")])
    lines = [ln for ln in ((baseline["result"].get("lines") or []) if baseline else [])
             if ln.get("link")]
    form = form or {"name": "", "change_type": "substitute", "line_ids": [], "target": "",
                    "factor": "1", "location": "", "cost_per_unit": "", "currency": "CNY",
                    "exclusive_group": ""}
    return render(request, "measures.html", {
        "product": product, "baseline": baseline, "lines": lines,
        "measures": [{**dict(m), "summary": [_change_text(c, t, names) for c in m["changes"]]}
                     for m in measures],
        "scenarios": scenarios, "q": q, "found": found, "locations": locations,
        "form": form, "errors": list(errors), "change_types": CHANGE_TYPES},
        status_code=status_code)


@router.get("/products/{product_id}/measures")
async def measures_page(product_id: UUID, request: Request, conn: Conn, settings: SettingsDep,
                        user: Buyer) -> Response:
    """The product's measures, the form to add one and the form to run a scenario."""
    product = await _own_product(conn, user, product_id)
    return await _measures_page(request, conn, settings, user, product)


def _float(text: str, field: str, errors: list[str], t: Callable[..., str]) -> float | None:
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        errors.append(t("cc.error.number", field=t(f"cc.form.{field}")))
        return None
    if not math.isfinite(value):
        errors.append(t("cc.error.number", field=t(f"cc.form.{field}")))
        return None
    return value


@router.post("/products/{product_id}/measures")
async def create_measure(product_id: UUID, request: Request, conn: Conn, settings: SettingsDep,
                         user: BuyerPost) -> Response:
    """Store a measure from the form (a name used before gets the next version)."""
    product = await _own_product(conn, user, product_id)
    t = i18n.translator(language(request))
    data = await request.form()
    text = {k: str(data.get(k) or "").strip() for k in (
        "name", "change_type", "target", "target_manual", "factor", "location",
        "cost_per_unit", "currency", "exclusive_group")}
    form: dict[str, Any] = {**text, "line_ids": [str(v) for v in data.getlist("line_ids")][:1000]}
    form["target"] = text["target_manual"] or text["target"]
    errors: list[str] = []
    if form["change_type"] not in CHANGE_TYPES:
        errors.append(t("cc.error.type"))
    if not form["line_ids"]:
        errors.append(t("cc.error.lines"))
    factor = _float(form["factor"], "factor", errors, t)
    cost = _float(form["cost_per_unit"], "cost_per_unit", errors, t)
    change: dict[str, Any] = {"type": form["change_type"],
                              "select": {"line_ids": form["line_ids"]}}
    if factor is not None:
        change["factor"] = factor
    if form["change_type"] == "substitute":
        if not form["target"]:
            errors.append(t("cc.error.target"))
        change["target"] = form["target"] or None
    elif form["change_type"] == "relocate":
        if not form["location"]:
            errors.append(t("cc.error.location"))
        change["location"] = form["location"] or None
    elif form["change_type"] == "scale" and factor is None:
        errors.append(t("cc.error.factor"))
    body = None
    if not errors:
        try:
            body = MeasureCreate(product_id=product["id"], name=form["name"],
                                 changes=[change], cost_per_unit=cost,
                                 currency=(form["currency"] or None) if cost is not None
                                 else None,
                                 exclusive_group=form["exclusive_group"] or None)
        except ValidationError as exc:
            errors.extend(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}".lstrip(": ")
                          for e in exc.errors())
    if body is None:
        return await _measures_page(request, conn, settings, user, product, form=form,
                                    errors=errors, status_code=422)
    async with conn.transaction():
        row = await measure_store.insert(conn, user.tenant_id, body)
        await audit(conn, tenant_id=user.tenant_id, actor=user.actor, action="create",
                    object_type="measure", object_id=str(row["id"]),
                    detail={"name": body.name, "version": row["version"], "via": "portal"},
                    request_id=_request_id(request))
    return redirect(f"{PREFIX}/products/{product['id']}/measures?created={row['id']}")


@router.post("/products/{product_id}/scenarios")
async def run_scenario(product_id: UUID, request: Request, conn: Conn, user: BuyerPost
                       ) -> Response:
    """A scenario job: the checked measures against the product's latest footprint result."""
    product = await _own_product(conn, user, product_id)
    baseline = await _latest_result(conn, user, product["id"])
    if baseline is None:
        raise InvalidInput("the product has no footprint result to compare with")
    data = await request.form()
    try:
        ids = [UUID(str(v)) for v in data.getlist("measure_ids")]
    except ValueError:
        raise NotFound("no such measure") from None
    if not ids:
        raise InvalidInput("choose at least one measure")
    found = await measure_store.get_many(conn, user.tenant_id, ids)
    if len(found) != len(set(ids)) or any(m["product_id"] != product["id"] for m in found):
        raise NotFound("no such measure")
    goal = str(data.get("goal") or "")
    portfolio: dict[str, Any] | None = None
    if goal in ("cheapest", "max_ghg_cut"):
        def number(name: str) -> float | None:
            text = str(data.get(name) or "").strip().replace(",", ".")
            try:
                return float(text) if text else None
            except ValueError:
                raise InvalidInput(f"{name}: not a number") from None

        portfolio = {"goal": goal, "pareto_points": 11,
                     "region_apeq_cap": None if data.get("region_cap") == "none" else 0.0}
        if goal == "cheapest":
            portfolio["ghg_cut_kg_co2e"] = number("ghg_cut")
        else:
            portfolio["budget"] = number("budget")
    try:
        body = ScenarioRequest(baseline_result_id=baseline["id"], measure_ids=ids,
                               portfolio=portfolio)
    except ValidationError as exc:
        raise InvalidInput("; ".join(e["msg"] for e in exc.errors())) from None
    job = await job_service.accept(conn, request.app.state.celery, principal(user),
                                   kind=SCENARIO, request=body.model_dump(mode="json"),
                                   idempotency_key=None, request_id=_request_id(request),
                                   response=Response())
    return redirect(f"{PREFIX}/jobs/{job.id}")


@router.get("/scenarios/{scenario_id}")
async def scenario_page(scenario_id: UUID, request: Request, conn: Conn, user: Buyer
                        ) -> Response:
    """A scenario: coordinates, per-region pollution changes, Pareto front, with tables."""
    job = await job_store.get_job(conn, user.tenant_id, scenario_id)
    if job is None or job["kind"] != SCENARIO:
        raise NotFound("no such scenario")
    if job["state"] in ("queued", "running"):
        return redirect(f"{PREFIX}/jobs/{job['id']}")
    baseline_id = UUID(job["request"]["baseline_result_id"])
    product = await store.result_product(conn, user.tenant_id, baseline_id)
    if product is None:
        raise NotFound("no such scenario")
    t = i18n.translator(language(request))
    view = scenario_view(job["output"] or {}, t) if job["state"] == "succeeded" else None
    return render(request, "scenario.html", {"job": job, "product": product, "view": view,
                                             "baseline_id": baseline_id})


# -- the scenario's numbers and charts ------------------------------------------------------


def _rel(delta: float | None, base: float | None) -> float | None:
    if delta is None or not base:
        return None
    return delta / base


def _region_rows(m: Mapping[str, Any], t: Callable[..., str],
                 totals: Mapping[str, float]) -> list[dict[str, Any]]:
    """One row per region where the measure changes something, biggest change first.

    Changes below ``NOISE`` of the product's APeq (and of each pollutant's total) are
    rounding of sums in regions the measure does not touch: such regions are left out, and a
    baseline that small gives no relative change.
    """
    apeq = m.get("apeq") or {}
    base = apeq.get("baseline_by_location") or {}
    delta = apeq.get("delta_by_location") or {}
    by_pollutant = m.get("delta_pollutants_by_location") or {}
    classes = m.get("classification_by_location") or {}
    floor = NOISE * abs(apeq.get("baseline") or 0.0)
    rows = []
    for loc in set(delta) | {loc for p in by_pollutant.values() for loc in p}:
        d = delta.get(loc)
        moved = any(abs((by_pollutant.get(p) or {}).get(loc) or 0.0)
                    > NOISE * abs(totals.get(p) or 0.0) for p in POLLUTANTS)
        if abs(d or 0.0) <= floor and not moved:
            continue
        b = base.get(loc)
        rows.append({"location": loc or t("result.unknown_location"), "baseline": b,
                     "delta": d, "relative": _rel(d, b) if abs(b or 0.0) > floor else None,
                     "pollutants": {p: (by_pollutant.get(p) or {}).get(loc) for p in POLLUTANTS},
                     "classification": classes.get(loc)})
    rows.sort(key=lambda r: (-abs(r["delta"] or 0.0), r["location"]))
    return rows


def scenario_view(output: Mapping[str, Any], t: Callable[..., str]) -> dict[str, Any]:
    """Numbers and charts of a finished scenario job's output, labelled in the page's
    language."""
    measures = output.get("measures") or []
    currency = next((m["cost"]["currency"] for m in measures
                     if (m.get("cost") or {}).get("currency")), "")
    rows, points = [], []
    for m in measures:
        coords = m.get("coordinates") or {}
        cost = m.get("cost") or {}
        shift = m.get("region_shift") or {}
        row = {
            "id": m["measure_id"], "name": m["name"], "version": m.get("version"),
            "classification": m.get("classification"),
            "class_label": t(class_key(m.get("classification"))),
            "d_ghg": (m.get("delta_ghg_kg_co2e") or {}).get("total"),
            "x": coords.get("x_ghg_relative"), "y": coords.get("y_apeq_relative"),
            "d_apeq": (m.get("apeq") or {}).get("delta"),
            "elasticity": coords.get("elasticity"),
            "cost": cost.get("per_unit"), "currency": cost.get("currency") or "",
            "per_t": cost.get("per_t_co2e_abated"), "per_apeq": cost.get("per_apeq_abated"),
            "tax": (m.get("apeq") or {}).get("tax_exposure_delta_cny"),
            "shifted": bool(shift.get("shifted")), "rising": shift.get("rising") or [],
            "falling": shift.get("falling") or [],
            "missing_declared": m.get("missing_declared") or {},
        }
        regions = _region_rows(m, t, (output.get("baseline") or {}).get("totals") or {})
        row["regions"] = regions
        row["region_chart"] = charts.signed_bars(
            [(r["location"], r["delta"]) for r in regions[:TOP_LOCATIONS]],
            unit=t("cc.apeq_unit"), title=t("cc.region_chart", name=m["name"]))
        row["more_regions"] = max(0, len(regions) - TOP_LOCATIONS)
        row["pollutants"] = [p for p in POLLUTANTS
                             if any(r["pollutants"].get(p) for r in regions)]
        rows.append(row)
        points.append({"id": row["id"], "name": row["name"], "x": row["x"], "y": row["y"],
                       "classification": row["classification"]})
    names = {cls: t(class_key(cls)) for cls in QUADRANT_CLASSES}
    view: dict[str, Any] = {
        "baseline": output.get("baseline") or {}, "rows": rows, "currency": currency,
        "errors": output.get("errors") or [],
        "chart": charts.cocontrol_plot(points, names=names, x_label=t("cc.x_axis"),
                                       y_label=t("cc.y_axis"), title=t("cc.chart")),
        "unplotted": [r for r in rows if r["x"] is None or r["y"] is None],
        "pollutant_labels": {p: t(f"pollutant.{p}", default=p) for p in POLLUTANTS},
        "portfolio": None,
    }
    portfolio = output.get("portfolio")
    if portfolio:
        name_by_id = {r["id"]: r["name"] for r in rows}
        chosen_ids = list((portfolio.get("chosen") or {}).get("measure_ids") or [])
        front = []
        for k, p in enumerate(portfolio.get("pareto_front") or [], start=1):
            ids = list(p.get("measure_ids") or [])
            front.append({"n": k, "ids": ids,
                          "label": " + ".join(name_by_id.get(i, i) for i in ids) or "–",
                          "ghg_cut": -(p.get("ghg_delta_kg_co2e") or 0.0),
                          "apeq_cut": -(p.get("apeq_delta") or 0.0), "cost": p.get("cost"),
                          "chosen": ids == chosen_ids and bool(ids)})
        chosen = portfolio.get("chosen") or {}
        view["portfolio"] = {
            "goal": portfolio.get("goal") or {}, "status": chosen.get("status"),
            "chosen": [name_by_id.get(i, i) for i in chosen_ids],
            "cost": chosen.get("cost"), "ghg_cut": -(chosen.get("ghg_delta_kg_co2e") or 0.0),
            "apeq_cut": -(chosen.get("apeq_delta") or 0.0),
            "combined": portfolio.get("combined"),
            "groups": [[name_by_id.get(i, i) for i in g]
                       for g in portfolio.get("exclusive_groups") or []],
            "front": front,
            "chart": charts.pareto_plot(front, x_label=t("cc.pareto.x"),
                                        y_label=t("cc.pareto.y"), title=t("cc.pareto"),
                                        currency=currency)}
    return view
