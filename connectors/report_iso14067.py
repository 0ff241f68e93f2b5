"""An ISO 14067-style carbon-footprint study report of one footprint result, as PDF.

Sections follow the reporting items of ISO 14067:2018 clause 7 (CFP study report): declared
unit, system boundary and life-cycle stages, GHG results with fossil / biogenic / dLUC apart,
aircraft emissions, data sources and their versions, data quality, allocation, uncertainty,
limitations; beside the carbon, the air-pollutant inventory of the same result (the same
chimneys), in total and by where it is emitted. Charts are reportlab graphics (vector).

    render_report(result=..., product=..., meta=..., databases=[...]) -> PDF bytes

Pure: no I/O, no service imports. The page style (Helvetica, STSong-Light for CJK text, A4,
20 mm margins) is the certificate's (:mod:`connectors.certificate`).
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

__all__ = ["ALLOCATION_BY_DATABASE", "render_report"]

GHG = "gwp100_kg_co2e"
STAGES = ("raw_materials", "production", "distribution", "use", "end_of_life")
STAGE_LABELS = {"raw_materials": "Raw materials", "production": "Production",
                "distribution": "Distribution", "use": "Use", "end_of_life": "End of life",
                "unknown": "No stage given"}
POLLUTANTS = ("so2_kg", "nox_kg", "pm25_kg", "pm10_kg", "nmvoc_kg", "nh3_kg", "co_kg")
POLLUTANT_LABELS = {"so2_kg": "SO2", "nox_kg": "NOx (as NO2)", "pm25_kg": "PM2.5",
                    "pm10_kg": "PM10", "nmvoc_kg": "NMVOC", "nh3_kg": "NH3", "co_kg": "CO"}

ALLOCATION_BY_DATABASE = {
    "uslci": (
        "US LCI fy21 q3 (docs/data/uslci.md, 'Multi-output datasets'): the release has no "
        "allocation elements. One dataset that states mass allocation factors in its comments "
        "('Diesel, at refinery') is split into 9 activities by those factors (sum 1.0000). The "
        "other 84 multi-output datasets keep all burdens on the reference product, as "
        "published; their by-products leave the matrix and inputs that name such a by-product "
        "are cut off ('unallocated by-product'). No allocation is invented."),
    "tiangong": (
        "TianGong (docs/data/tiangong.md, 'Reference flows'): of processes declaring several "
        "reference flows the first is the product and the others are listed as unallocated "
        "by-products; no allocation is invented."),
}
"""What each background database's import did about multi-output processes (ISO 14067 6.4.6)."""

_CJK_FONT = "STSong-Light"
_COLORS = ("#1f5f7a", "#d9822b", "#4f9d69", "#8c5fa8", "#c94f4f", "#7a7a7a", "#b8a44c",
           "#3f8fc9")


def _num(value: Any, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    value = float(value)
    if abs(value) < 1e-12:  # float noise of sums that cancel (e.g. biogenic in and out)
        return "0"
    return f"{value:.{digits}g}" if abs(value) < 1e5 else f"{value:.{digits}e}"


def _pct(value: Any) -> str:
    return "n/a" if value is None else f"{100 * float(value):.1f} %"


def _latin(text: str) -> bool:
    """Whether Helvetica (WinAnsi encoding) can draw the text."""
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _text(text: Any) -> str:
    """Escaped paragraph markup; non-Latin text in the CJK font."""
    value = escape("" if text is None else str(text))
    return value if _latin(value) else f'<font name="{_CJK_FONT}">{value}</font>'


def _short(text: Any, limit: int = 38) -> str:
    value = "" if text is None else str(text)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _chart_label(text: str) -> str:
    return text if _latin(text) else text.encode("ascii", "replace").decode("ascii")


def _bar_chart(labels: Sequence[str], values: Sequence[float], *, width: float,
               unit: str, horizontal: bool) -> Any:
    from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib.colors import HexColor

    n = max(len(values), 1)
    height = 24 + 16 * n if horizontal else 170
    drawing = Drawing(width, height)
    chart = HorizontalBarChart() if horizontal else VerticalBarChart()
    chart.x = 150 if horizontal else 45
    chart.y = 18 if horizontal else 40
    chart.width = width - chart.x - 15
    chart.height = height - chart.y - 10
    chart.data = [list(values) or [0.0]]
    chart.categoryAxis.categoryNames = [_chart_label(_short(lb, 34)) for lb in labels] or [""]
    chart.categoryAxis.labels.fontName = "Helvetica"
    chart.categoryAxis.labels.fontSize = 7
    if horizontal:
        chart.categoryAxis.reverseDirection = 1
    else:
        chart.categoryAxis.labels.angle = 20
        chart.categoryAxis.labels.boxAnchor = "ne"
    chart.valueAxis.labels.fontName = "Helvetica"
    chart.valueAxis.labels.fontSize = 7
    low = min([0.0, *values])
    chart.valueAxis.valueMin = low * 1.1 if low < 0 else 0
    chart.valueAxis.valueMax = max([0.0, *values]) * 1.1 or 1.0
    chart.valueAxis.labelTextFormat = lambda v: _num(v, 3)
    chart.bars[0].fillColor = HexColor(_COLORS[0])
    chart.bars[0].strokeColor = None
    drawing.add(chart)
    drawing.add(String(width - 5, height - 8, unit, fontName="Helvetica", fontSize=7,
                       textAnchor="end"))
    return drawing


def _stacked_shares(categories: Sequence[str], series: Sequence[tuple[str, Sequence[float]]],
                    *, width: float) -> Any:
    """100 % stacked vertical bars: one bar per pollutant, one colour per region."""
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.charts.legends import Legend
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib.colors import HexColor

    drawing = Drawing(width, 200)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 30, width - 190, 155
    chart.categoryAxis.style = "stacked"
    chart.data = [list(values) for _, values in series] or [[0.0] * len(categories)]
    chart.categoryAxis.categoryNames = list(categories)
    chart.categoryAxis.labels.fontName = "Helvetica"
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, 20
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = "%d %%"
    for i in range(len(series)):
        chart.bars[i].fillColor = HexColor(_COLORS[i % len(_COLORS)])
        chart.bars[i].strokeColor = None
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = width - 140, 185
    legend.fontName, legend.fontSize = "Helvetica", 7
    legend.alignment = "right"
    legend.colorNamePairs = [(HexColor(_COLORS[i % len(_COLORS)]), _chart_label(_short(name, 24)))
                             for i, (name, _) in enumerate(series)]
    drawing.add(legend)
    return drawing


def _regions(by_location: Mapping[str, Mapping[str, float | None]],
             top: int = 6) -> tuple[list[str], list[tuple[str, list[float]]]]:
    """Pollutant shares (%) of the locations that emit most, the rest as 'other'."""
    pollutants = [p for p in POLLUTANTS if by_location.get(p)]
    weight: dict[str, float] = {}
    for p in pollutants:
        total = sum(abs(v or 0.0) for v in by_location[p].values()) or 1.0
        for loc, v in by_location[p].items():
            weight[loc] = weight.get(loc, 0.0) + abs(v or 0.0) / total
    leaders = [loc for loc, _ in sorted(weight.items(), key=lambda kv: -kv[1])[:top]]
    series: list[tuple[str, list[float]]] = []
    for loc in [*leaders, "other"]:
        values = []
        for p in pollutants:
            total = sum(abs(v or 0.0) for v in by_location[p].values()) or 1.0
            if loc == "other":
                part = sum(abs(v or 0.0) for k, v in by_location[p].items() if k not in leaders)
            else:
                part = abs(by_location[p].get(loc) or 0.0)
            values.append(100 * part / total)
        if any(values):
            series.append((loc, values))
    return [POLLUTANT_LABELS[p].split(" ")[0] for p in pollutants], series


COCONTROL_TITLE = "Co-control analysis: carbon and air pollutants together"
CLASS_LABELS = {"co-benefit": "co-benefit (both fall)", "carbon-only": "carbon only",
                "pollution-only": "pollution only", "negative-synergy": "negative synergy",
                "both-rise": "both rise", "rise-only": "one rises", "no-change": "no change"}
_QUADRANTS = (("co-benefit (both fall)", "#dcefe3", 0, 0, "start"),
              ("negative synergy", "#fbf0dc", 0, 1, "start"),
              ("negative synergy", "#fbf0dc", 1, 0, "end"),
              ("both rise", "#f7dede", 1, 1, "end"))
_CLASS_COLORS = {"co-benefit": "#2f6f4f", "carbon-only": "#3d6fa8", "pollution-only": "#3d6fa8",
                 "negative-synergy": "#c9812b", "both-rise": "#a33b3b", "rise-only": "#a33b3b",
                 "no-change": "#7a7a7a"}


def _cocontrol_chart(points: Sequence[Mapping[str, Any]], *, width: float) -> Any:
    """The co-control coordinate system (x = dGHG/GHG, y = dAPeq/APeq, negative = falls):
    four coloured quadrants, the carbon-only and pollution-only half-axes, one labelled
    point per measure. Axes are symmetric about zero."""
    from reportlab.graphics.shapes import Circle, Drawing, Line, Rect, String
    from reportlab.lib.colors import HexColor

    shown = [p for p in points if p.get("x") is not None and p.get("y") is not None]
    height = 250.0
    left, bottom, right, top = 55.0, 32.0, 10.0, 8.0
    plot_w, plot_h = width - left - right, height - bottom - top
    sx = max([abs(p["x"]) for p in shown] + [0.0]) * 1.25 or 0.01
    sy = max([abs(p["y"]) for p in shown] + [0.0]) * 1.25 or 0.01
    cx, cy = left + plot_w / 2, bottom + plot_h / 2
    drawing = Drawing(width, height)
    for name, fill, col, row, anchor in _QUADRANTS:
        x0, y0 = left + col * plot_w / 2, bottom + row * plot_h / 2
        drawing.add(Rect(x0, y0, plot_w / 2, plot_h / 2, fillColor=HexColor(fill),
                         strokeColor=None))
        label_y = y0 + plot_h / 2 - 11 if row else y0 + 5
        label_x = x0 + 5 if anchor == "start" else x0 + plot_w / 2 - 5
        drawing.add(String(label_x, label_y, name, fontName="Helvetica-Bold", fontSize=7,
                           textAnchor=anchor, fillColor=HexColor("#3b4a42")))
    blue = HexColor("#3d6fa8")
    drawing.add(Line(left, cy, cx, cy, strokeColor=blue, strokeWidth=2))
    drawing.add(Line(cx, bottom, cx, cy, strokeColor=blue, strokeWidth=2))
    drawing.add(String(left + 5, cy + 3, "carbon only", fontName="Helvetica", fontSize=6.5,
                       fillColor=blue))
    drawing.add(String(cx + 4, bottom + plot_h / 4, "pollution only", fontName="Helvetica",
                       fontSize=6.5, fillColor=blue))
    grey = HexColor("#8a978f")
    drawing.add(Line(cx, cy, left + plot_w, cy, strokeColor=grey, strokeWidth=0.7))
    drawing.add(Line(cx, cy, cx, bottom + plot_h, strokeColor=grey, strokeWidth=0.7))
    drawing.add(Rect(left, bottom, plot_w, plot_h, fillColor=None, strokeColor=grey,
                     strokeWidth=0.5))
    for k in (-1.0, -0.5, 0.5, 1.0):
        xv, yv = k * sx / 1.25, k * sy / 1.25
        drawing.add(String(cx + xv / sx * plot_w / 2, bottom - 10, f"{100 * xv:.3g} %",
                           fontName="Helvetica", fontSize=6.5, textAnchor="middle"))
        drawing.add(String(left - 3, cy + yv / sy * plot_h / 2 - 2, f"{100 * yv:.3g} %",
                           fontName="Helvetica", fontSize=6.5, textAnchor="end"))
    drawing.add(String(left + plot_w / 2, 4, "relative GHG change  dGHG / GHG",
                       fontName="Helvetica", fontSize=7.5, textAnchor="middle"))
    y_label = String(0, 0, "relative APeq change  dAPeq / APeq", fontName="Helvetica",
                     fontSize=7.5, textAnchor="middle")
    from reportlab.graphics.shapes import Group

    rotated = Group(y_label)
    rotated.rotate(90)
    rotated.translate(cy, -10)
    drawing.add(rotated)
    for p in shown:
        x = cx + p["x"] / sx * plot_w / 2
        y = cy + p["y"] / sy * plot_h / 2
        drawing.add(Circle(x, y, 3.5, fillColor=HexColor(_CLASS_COLORS.get(
            p.get("classification") or "", "#3f8fc9")), strokeColor=HexColor("#ffffff"),
            strokeWidth=0.8))
        anchor, dx = ("end", -6) if x > left + plot_w * 0.7 else ("start", 6)
        name = _short(p.get("name"), 30)  # CJK names in the CJK font (registered by then)
        drawing.add(String(x + dx, y + 4, name, fontSize=7, textAnchor=anchor,
                           fontName="Helvetica-Bold" if _latin(name) else _CJK_FONT))
    return drawing


def render_report(*, result: Mapping[str, Any], product: Mapping[str, Any],
                  meta: Mapping[str, Any], databases: Sequence[str] = (),
                  generated_at: datetime | None = None, top_lines: int = 12,
                  scenarios: Sequence[Mapping[str, Any]] = ()) -> bytes:
    """The report as PDF bytes.

    ``result``: the stored footprint result; ``product``: part_number, name, unit;
    ``meta``: result_id, bom_revision_hash, snapshot_hash, method_versions, code_version,
    created_at; ``databases``: the snapshot's background databases (for allocation);
    ``scenarios``: finished co-control scenarios with this result as baseline, newest first
    (``id``, ``finished_at``, ``output`` = the scenario job's output); the newest one gives
    the co-control section, which is left out when there is none.
    """
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_LEFT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import (
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    if _CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(_CJK_FONT))
    body = ParagraphStyle("body", fontName="Helvetica", fontSize=9, leading=12,
                          alignment=TA_LEFT, spaceAfter=4)
    small = ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5)
    mono = ParagraphStyle("mono", parent=small, fontName="Courier")
    h1 = ParagraphStyle("h1", parent=body, fontName="Helvetica-Bold", fontSize=17, leading=21,
                        spaceAfter=8)
    h2 = ParagraphStyle("h2", parent=body, fontName="Helvetica-Bold", fontSize=12, leading=15,
                        spaceBefore=8, spaceAfter=4, textColor=colors.HexColor("#1f5f7a"))
    width = A4[0] - 40 * mm
    story: list[Any] = []

    def para(text: str, style: ParagraphStyle = body) -> None:
        story.append(Paragraph(text, style))

    def table(rows: Sequence[Sequence[Any]], widths: Sequence[float] | None = None,
              numeric_from: int = 1) -> None:
        cells = [[Paragraph(f"<b>{_text(c)}</b>" if r == 0 else _text(c), small)
                  for c in row] for r, row in enumerate(rows)]
        t = Table(cells, colWidths=widths, repeatRows=1, hAlign="LEFT")
        style = [("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b0b0b0")),
                 ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef1")),
                 ("VALIGN", (0, 0), (-1, -1), "TOP"),
                 ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5)]
        if numeric_from is not None:
            style.append(("ALIGN", (numeric_from, 1), (-1, -1), "RIGHT"))
        t.setStyle(TableStyle(style))
        story.append(t)
        story.append(Spacer(1, 3 * mm))

    ghg = result.get("ghg") or {}
    by_stage = result.get("by_stage") or {}
    lines = result.get("lines") or []
    unit = product.get("unit") or "piece"
    generated = (generated_at or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)

    # -- title and goal --------------------------------------------------------------------
    para("Carbon footprint of a product (ISO 14067) and air-pollutant inventory", h1)
    para(f"<b>Product:</b> {_text(product.get('part_number'))} {_text(product.get('name'))}")
    para(f"<b>Declared unit:</b> 1 {_text(unit)} of the product, as described by BOM revision "
         f"{_text(meta.get('bom_revision_hash'))}")
    stamp = generated.isoformat().replace("+00:00", "Z")
    para(f"<b>Result:</b> {_text(meta.get('result_id'))} computed "
         f"{_text(meta.get('created_at'))}; status <b>{_text(result.get('status'))}</b>. "
         f"Report generated {stamp} by Tanji {_text(meta.get('code_version'))}.")
    para("Goal: a partial or full carbon footprint of the product (CFP) per ISO 14067:2018 for "
         "business-to-business communication; the impact category is climate change only "
         "(GWP100). The air pollutants reported beside it are an inventory, not an impact "
         "assessment, and are not part of the CFP.", small)

    # -- system boundary -------------------------------------------------------------------
    para("System boundary and life-cycle stages", h2)
    present = [s for s in (*STAGES, "unknown") if s in by_stage]
    gate = "cradle-to-grave" if {"use", "end_of_life"} & set(present) else "cradle-to-gate"
    para(f"Stages with BOM lines: {', '.join(STAGE_LABELS.get(s, s) for s in present) or 'none'}"
         f" (a {gate} study as far as the BOM reaches). Background processes are whole supply "
         "chains from the snapshot; cut-off flows of the background are quantified below.")
    if "unknown" in by_stage:
        para("Some BOM lines carry no life-cycle stage ('No stage given').", small)

    # -- results ---------------------------------------------------------------------------
    para("Results: greenhouse gases (GWP100, IPCC AR6)", h2)
    total = ghg.get("total")
    rows = [("Part", f"kg CO2e per {unit}", "share of total")]
    for key, label in (("total", "Total CFP"), ("fossil", "Fossil GHG emissions and removals"),
                       ("biogenic", "Biogenic GHG emissions and removals"),
                       ("luc", "Direct land-use change (dLUC)")):
        value = ghg.get(key)
        share = None if value is None or not total else value / total
        rows.append((label, _num(value), _pct(share) if key != "total" else ""))
    rows.append(("Aircraft GHG emissions", "not separately tracked", ""))
    table(rows, [70 * mm, 45 * mm, 30 * mm])
    para("Aircraft emissions (ISO 14067 requires them documented separately) are not tracked "
         "apart: air transport in the background is inside the totals above. Biogenic carbon "
         "uses the -1/+1 convention of the IPCC factors; dLUC is the 'land use' part of the IPCC "
         "2021 method. Fossil + biogenic + dLUC = total.", small)

    stage_rows = [(STAGE_LABELS.get(s, s), (by_stage.get(s) or {}).get(GHG)) for s in present]
    story.append(KeepTogether([
        Paragraph("GHG by life-cycle stage", h2),
        _bar_chart([r[0] for r in stage_rows], [float(r[1] or 0.0) for r in stage_rows],
                   width=width, unit=f"kg CO2e per {unit}", horizontal=False)]))
    table([("Stage", f"kg CO2e per {unit}", "share"),
           *((label, _num(v), _pct(None if v is None or not total else v / total))
             for label, v in stage_rows)], [70 * mm, 45 * mm, 30 * mm])

    linked = [ln for ln in lines if ln.get("values")]
    ranked = sorted(linked, key=lambda ln: -abs(ln["values"].get(GHG) or 0.0))
    top = ranked[:top_lines]
    heading = Paragraph("Contribution by BOM line", h2)
    if top:
        labels = [f"{ln.get('part_number') or ln['line_id']} {ln.get('description') or ''}"
                  for ln in top]
        story.append(KeepTogether([heading, _bar_chart(
            labels, [float(ln["values"].get(GHG) or 0.0) for ln in top], width=width,
            unit=f"kg CO2e per {unit}", horizontal=True)]))
        rows = [("Line", "Description", "Stage", "Amount", "Dataset", "kg CO2e", "share")]
        for ln in top:
            value = ln["values"].get(GHG)
            link = ln.get("link") or {}
            rows.append((ln["line_id"], _short(ln.get("description"), 30), ln.get("stage") or "",
                         f"{_num(ln.get('amount'))} {ln.get('unit') or ''}",
                         _short(f"{link.get('name', '')} [{link.get('location', '')}]", 44),
                         _num(value), _pct(None if value is None or not total else value / total)))
        table(rows, [16 * mm, 30 * mm, 18 * mm, 20 * mm, 50 * mm, 18 * mm, 14 * mm],
              numeric_from=5)
        if len(ranked) > top_lines:
            para(f"{len(ranked) - top_lines} further linked line(s) not shown.", small)
    else:
        story.append(heading)
        para("No linked BOM line.")

    # -- data sources ----------------------------------------------------------------------
    para("Data sources", h2)
    para(f"Background snapshot (content hash): {_text(meta.get('snapshot_hash') or 'none')}",
         mono)
    para(f"Background databases: {_text(', '.join(databases) or 'unknown')}. Result pinned to "
         f"BOM revision {_text(meta.get('bom_revision_hash'))} and code version "
         f"{_text(meta.get('code_version'))}.", small)
    indicators = result.get("indicators") or []
    if indicators:
        rows = [("Indicator", "Unit", "Version", "Source")]
        for ind in indicators:
            source = ind.get("source") or {}
            described = "; ".join(str(v) for v in source.values() if v) if isinstance(
                source, Mapping) else str(source)
            rows.append((ind.get("id"), ind.get("unit"), ind.get("version"),
                         _short(described, 120)))
        table(rows, [48 * mm, 22 * mm, 20 * mm, 80 * mm], numeric_from=None)

    # -- data quality ----------------------------------------------------------------------
    para("Data quality", h2)
    unlinked = result.get("unlinked") or []
    missing = result.get("missing_declared") or {}
    para(f"Primary data share (supplier direct emissions and declared footprints / total): "
         f"<b>{_pct((result.get('primary_data_share') or {}).get(GHG))}</b>. Cut-off share "
         f"(emitted by background activities with recorded cut-off or ambiguous inputs): "
         f"<b>{_pct((result.get('cutoff_share') or {}).get(GHG))}</b>. Unlinked BOM lines "
         f"(left out of every sum): <b>{len(unlinked)}</b>. Declared footprints missing an "
         f"indicator: <b>{len(missing)}</b>.")
    if unlinked:
        table([("Unlinked line", "Reason"),
               *((u.get("line_id"), _short(u.get("reason"), 90)) for u in unlinked[:20])],
              [35 * mm, 135 * mm], numeric_from=None)

    # -- allocation ------------------------------------------------------------------------
    para("Allocation", h2)
    known = [db for db in databases if db in ALLOCATION_BY_DATABASE]
    for db in known:
        para(_text(ALLOCATION_BY_DATABASE[db]), small)
    if not known:
        para("The background databases of this snapshot carry no allocation note in Tanji; see "
             "their import documentation.", small)
    para("Foreground: the BOM assigns every line wholly to the product; no co-products are "
         "modelled, so no foreground allocation is applied.", small)

    # -- uncertainty -----------------------------------------------------------------------
    para("Uncertainty", h2)
    mc = result.get("monte_carlo")
    if mc and mc.get("statistics"):
        para(f"Monte Carlo over the background's uncertainty distributions: "
             f"{mc.get('iterations')} iterations, seed {mc.get('seed')}.")
        rows = [("Indicator", "mean", "median", "2.5 %", "97.5 %")]
        shown = [i for i in mc["statistics"] if i.startswith("gwp100")]
        shown += [i for i in POLLUTANTS if i in mc["statistics"]]
        for ind in shown:
            stats = mc["statistics"][ind]
            if stats:
                rows.append((ind, _num(stats.get("mean")), _num(stats.get("median")),
                             _num(stats.get("p2_5")), _num(stats.get("p97_5"))))
        table(rows, [55 * mm, 28 * mm, 28 * mm, 28 * mm, 28 * mm])
    else:
        para("No Monte Carlo analysis was run for this result (request it with "
             "options.monte_carlo_iterations); the uncertainty is not quantified.")

    # -- pollutants ------------------------------------------------------------------------
    pollutants = result.get("pollutants") or {}
    by_location = result.get("pollutants_by_location") or {}
    block: list[Any] = [Paragraph("Air-pollutant inventory beside the carbon", h2),
                        Paragraph("Same system, same chimneys: kg emitted to air per declared "
                                  "unit, by where the emitting activity is located.", small)]
    story.extend(block)
    rows = [("Pollutant", f"kg per {unit}", "largest location", "its share")]
    for p in POLLUTANTS:
        if p not in pollutants:
            continue
        locs = by_location.get(p) or {}
        lead = max(locs.items(), key=lambda kv: abs(kv[1] or 0.0), default=(None, None))
        share = None if not pollutants.get(p) or lead[1] is None else lead[1] / pollutants[p]
        rows.append((POLLUTANT_LABELS[p], _num(pollutants.get(p)), lead[0] or "", _pct(share)))
    table(rows, [40 * mm, 35 * mm, 40 * mm, 25 * mm])
    categories, series = _regions(by_location)
    if categories and series:
        story.append(KeepTogether([Paragraph("Pollutants by region (share of each pollutant)",
                                             small),
                                   _stacked_shares(categories, series, width=width)]))
        locations = sorted({loc for p in POLLUTANTS for loc in (by_location.get(p) or {})},
                           key=lambda loc: -sum(abs((by_location.get(p) or {}).get(loc) or 0.0)
                                                / (abs(pollutants.get(p) or 0.0) or 1.0)
                                                for p in POLLUTANTS))
        rows = [("Location", *(POLLUTANT_LABELS[p].split(" ")[0] for p in POLLUTANTS
                               if p in by_location))]
        for loc in locations[:15]:
            rows.append((loc, *(_num((by_location.get(p) or {}).get(loc), 3)
                                for p in POLLUTANTS if p in by_location)))
        table(rows)
        if len(locations) > 15:
            para(f"{len(locations) - 15} further location(s) in the JSON result.", small)

    # -- co-control (降碳减污协同) ------------------------------------------------------------
    if scenarios:
        scenario = scenarios[0]
        output = scenario.get("output") or {}
        measures = output.get("measures") or []
        base = output.get("baseline") or {}
        story.append(Paragraph(COCONTROL_TITLE, h2))
        para(f"Scenario {_text(scenario.get('id'))} (finished {_text(scenario.get('finished_at'))})"
             f" evaluated {len(measures)} measure(s) against this result: baseline "
             f"{_num(base.get('ghg_kg_co2e'))} kg CO2e and {_num(base.get('apeq'))} air "
             f"pollution equivalents (APeq) per {_text(unit)}. Co-control coordinates after Mao "
             "Xianqiang et al. (2011, 2012) and Xing Youkai et al. (2020): x = dGHG / GHG, "
             "y = dAPeq / APeq, elasticity = y / x; negative values are reductions, so "
             "co-benefit is the lower-left quadrant. APeq weights SO2, NOx and CO by the "
             "pollution equivalent values of Annex 2 of the Environmental Protection Tax Law "
             "of the PRC (docs/cocontrol.md). Measures are changes to the product model "
             "evaluated from the same background; they are scenarios, not part of the CFP.",
             small)
        if len(scenarios) > 1:
            para(f"{len(scenarios) - 1} earlier scenario(s) with this baseline are not shown.",
                 small)
        if base.get("differs_from_stored_result"):
            para("The scenario's relinked baseline differs from this stored result in: "
                 f"{_text(', '.join(base['differs_from_stored_result']))} (link rules or "
                 "primary data changed since).", small)
        points = [{"name": m.get("name"),
                   "x": (m.get("coordinates") or {}).get("x_ghg_relative"),
                   "y": (m.get("coordinates") or {}).get("y_apeq_relative"),
                   "classification": m.get("classification")} for m in measures]
        story.append(KeepTogether([
            Paragraph("Co-control coordinate system (one point per measure)", small),
            _cocontrol_chart(points, width=width)]))
        rows = [("Measure", "dGHG kg CO2e", "x", "dAPeq", "y", "elasticity", "class",
                 "cost per t CO2e", "cost per APeq", "regions")]
        for m in measures:
            c = m.get("coordinates") or {}
            cost = m.get("cost") or {}
            shift = m.get("region_shift") or {}
            currency = cost.get("currency") or ""
            rows.append((
                _short(f"{m.get('name')} v{m.get('version')}", 34),
                _num((m.get("delta_ghg_kg_co2e") or {}).get("total"), 3),
                _pct(c.get("x_ghg_relative")), _num((m.get("apeq") or {}).get("delta"), 3),
                _pct(c.get("y_apeq_relative")), _num(c.get("elasticity"), 3),
                CLASS_LABELS.get(m.get("classification"), m.get("classification") or ""),
                f"{_num(cost.get('per_t_co2e_abated'), 3)} {currency}".strip(),
                f"{_num(cost.get('per_apeq_abated'), 3)} {currency}".strip(),
                (f"shifted: falls in {', '.join(shift.get('falling') or [])}; rises in "
                 f"{', '.join(shift.get('rising') or [])}") if shift.get("shifted") else "-"))
        table(rows, [26 * mm, 14 * mm, 15 * mm, 14 * mm, 15 * mm, 17 * mm, 20 * mm, 15 * mm,
                     15 * mm, 19 * mm])
        errors = output.get("errors") or []
        if errors:
            para("Measures that could not be applied: " + "; ".join(
                f"{_text(e.get('name'))}: {_text(e.get('error'))}" for e in errors), small)
        portfolio = output.get("portfolio")
        if portfolio:
            chosen = portfolio.get("chosen") or {}
            names = {m.get("measure_id"): m.get("name") for m in measures}
            picked = [names.get(i, i) for i in chosen.get("measure_ids") or []]
            goal = portfolio.get("goal") or {}
            para(f"Portfolio ({_text(goal.get('goal'))}, {chosen.get('status')}): "
                 f"{_text(' + '.join(picked) or 'none')}; cost {_num(chosen.get('cost'))}, "
                 f"dGHG {_num(chosen.get('ghg_delta_kg_co2e'))} kg CO2e, dAPeq "
                 f"{_num(chosen.get('apeq_delta'))} per {_text(unit)}; Pareto front of "
                 f"{len(portfolio.get('pareto_front') or [])} point(s) in the scenario.",
                 small)

    # -- limitations -----------------------------------------------------------------------
    para("Limitations", h2)
    para("A CFP addresses climate change only and is not an assessment of the overall "
         "environmental performance of the product. Results rest on the background snapshot "
         "named above and on the BOM as submitted; unlinked lines and cut-off flows are not "
         "in the totals. This report has not been critically reviewed unless a review "
         "statement is attached.", small)

    buffer = io.BytesIO()

    def decorate(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.drawString(20 * mm, 10 * mm, f"Tanji ISO 14067 report - result "
                                            f"{meta.get('result_id')}")
        canvas.drawRightString(A4[0] - 20 * mm, 10 * mm, f"page {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm,
                            topMargin=18 * mm, bottomMargin=18 * mm, invariant=True,
                            title=f"CFP report {product.get('part_number') or ''}",
                            author="Tanji", subject="ISO 14067 carbon footprint report",
                            creator="Tanji")
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()
