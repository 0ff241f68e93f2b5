"""Shaping stored data for pages: uploaded rows with their problems, a result's charts."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from markupsafe import Markup

from lca.indicators import GHG_PARTS
from service.portal import charts

GWP = GHG_PARTS["total"]
STAGE_ORDER = ("raw_materials", "production", "distribution", "use", "end_of_life")
POLLUTANTS = ("so2_kg", "nox_kg", "pm25_kg", "pm10_kg", "nmvoc_kg", "nh3_kg", "co_kg")
TOP_LINES = 15
TOP_LOCATIONS = 12


def upload_table(filename: str, rows: Sequence[tuple[int, Mapping[str, Any]]],
                 issues: Sequence[Mapping[str, Any]], *, limit: int) -> dict[str, Any]:
    """The uploaded rows as a table, each problem on its row and column.

    Problems naming no row, or a row or column the table does not show, are listed apart
    (``general``) or at the row's end (``extra``), so none is lost.
    """
    columns: list[str] = []
    for _, raw in rows:
        columns.extend(k for k in raw if k not in columns and raw.get(k) not in (None, ""))
    shown = {number for number, _ in rows[:limit]}
    general = [dict(i) for i in issues if i.get("row") not in shown]
    table = []
    for number, raw in rows[:limit]:
        mine = [i for i in issues if i.get("row") == number]
        cells = [{"column": c, "value": "" if raw.get(c) is None else str(raw.get(c)),
                  "messages": [i["message"] for i in mine if i.get("field") == c]}
                 for c in columns]
        extra = [f"{i.get('field') or ''}: {i['message']}".lstrip(": ") for i in mine
                 if i.get("field") not in columns]
        table.append({"row": number, "cells": cells, "extra": extra, "bad": bool(mine)})
    return {"filename": filename, "columns": columns, "rows": table, "general": general,
            "issue_count": len(issues), "truncated": len(rows) > limit}


def _unit(indicators: Sequence[Mapping[str, Any]], indicator_id: str) -> str:
    for indicator in indicators:
        if indicator.get("id") == indicator_id:
            return str(indicator.get("unit") or "")
    return ""


def result_view(result: Mapping[str, Any], t: Callable[..., str]) -> dict[str, Any]:
    """Numbers and charts of one footprint result, labelled in the page's language."""
    indicators = result.get("indicators") or []
    totals = result.get("totals") or {}
    view: dict[str, Any] = {"status": result.get("status"), "ok": bool(totals),
                            "note": result.get("note")}
    if not totals:
        return view
    gwp_unit = _unit(indicators, GWP)
    lines = result.get("lines") or []
    by_line = sorted(((f"{line.get('line_id')} · {line.get('description') or ''}".strip(" ·"),
                       (line.get("values") or {}).get(GWP)) for line in lines
                      if line.get("values")), key=lambda item: -(item[1] or 0.0))
    stages = result.get("by_stage") or {}
    stage_keys = [s for s in STAGE_ORDER if s in stages] + sorted(
        s for s in stages if s not in STAGE_ORDER)
    parts = ("fossil", "biogenic", "luc")
    series = [(t(f"ghg.{part}"), [(stages[s] or {}).get(GHG_PARTS[part]) for s in stage_keys])
              for part in parts]
    pollutants = result.get("pollutants") or {}
    by_location = result.get("pollutants_by_location") or {}
    pollutant_rows = []
    for pid in [p for p in POLLUTANTS if p in pollutants] + sorted(
            p for p in pollutants if p not in POLLUTANTS):
        locations = sorted(((loc or t("result.unknown_location"), v)
                            for loc, v in (by_location.get(pid) or {}).items()),
                           key=lambda item: -(item[1] or 0.0))
        unit = _unit(indicators, pid)
        pollutant_rows.append({
            "id": pid, "label": t(f"pollutant.{pid}", default=pid), "total": pollutants[pid],
            "unit": unit, "locations": locations[:TOP_LOCATIONS],
            "more_locations": max(0, len(locations) - TOP_LOCATIONS),
            "chart": charts.hbar(locations[:TOP_LOCATIONS], unit=unit,
                                 title=t("result.pollutant_by_location",
                                         pollutant=t(f"pollutant.{pid}", default=pid)),
                                 color=charts.PALETTE[2])})
    ghg = result.get("ghg") or {}
    view.update({
        "gwp": totals.get(GWP), "gwp_unit": gwp_unit, "ghg": ghg,
        "primary_share": (result.get("primary_data_share") or {}).get(GWP),
        "cutoff_share": (result.get("cutoff_share") or {}).get(GWP),
        "line_chart": charts.hbar(by_line[:TOP_LINES], unit=gwp_unit,
                                  title=t("result.by_line")) if by_line else Markup(""),
        "more_lines": max(0, len(by_line) - TOP_LINES),
        "stage_chart": charts.stacked_bar([t(f"stage.{s}", default=s) for s in stage_keys],
                                          series, unit=gwp_unit, title=t("result.by_stage")),
        "stage_rows": [(t(f"stage.{s}", default=s),
                        *[(stages[s] or {}).get(GHG_PARTS[p]) for p in (*parts, "total")])
                       for s in stage_keys],
        "pollutants": pollutant_rows,
        "suppliers": sorted(((name or "–", (values or {}).get(GWP))
                             for name, values in (result.get("by_supplier") or {}).items()),
                            key=lambda item: -(item[1] or 0.0)),
        "lines": lines,
        "unlinked": result.get("unlinked") or [],
    })
    return view
