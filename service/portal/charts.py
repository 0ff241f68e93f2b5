"""Charts as inline SVG, drawn on the server: no script, no fetch, readable without colour.

Each function returns markup (``markupsafe.Markup``) with every label escaped. Bars carry a
``<title>`` so hovering shows the exact value; a table beside each chart gives the numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

PALETTE = ("#2f6f4f", "#c9812b", "#3d6fa8", "#9b4d8a", "#7a7a2e", "#a33b3b")
LABEL_WIDTH = 170
BAR_HEIGHT = 20
GAP = 6
WIDTH = 540


def number(value: float | None, digits: int = 3) -> str:
    """A compact number for labels: 3 significant digits, engineering-friendly."""
    if value is None:
        return "–"
    if abs(value) < 1e-15:  # rounding noise of sums, not a quantity
        return "0"
    magnitude = abs(value)
    if magnitude >= 1e5 or magnitude < 1e-3:
        return f"{value:.{digits - 1}e}"
    return f"{value:.{digits}g}"


def _label(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def hbar(items: Sequence[tuple[str, float | None]], *, unit: str, title: str,
         color: str = PALETTE[0]) -> Markup:
    """Horizontal bars, one per ``(label, value)``; negative values drawn left of zero."""
    values = [v or 0.0 for _, v in items]
    if not items:
        return Markup("")
    low, high = min(0.0, *values), max(0.0, *values)
    span = (high - low) or 1.0
    plot = WIDTH - LABEL_WIDTH - 70
    zero = LABEL_WIDTH + plot * (-low / span)
    height = len(items) * (BAR_HEIGHT + GAP) + GAP
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
             f'width="100%" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>"]
    for i, ((label, _), value) in enumerate(zip(items, values, strict=True)):
        y = GAP + i * (BAR_HEIGHT + GAP)
        w = plot * abs(value) / span
        x = zero if value >= 0 else zero - w
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT * 0.7:.1f}" text-anchor="end" '
            f'class="lbl">{escape(_label(label))}</text>'
            f'<rect x="{x:.1f}" y="{y}" width="{max(w, 0.5):.1f}" height="{BAR_HEIGHT}" '
            f'fill="{color}"><title>{escape(label)}: {escape(number(value, 6))} '
            f"{escape(unit)}</title></rect>"
            f'<text x="{max(x + w, zero) + 6:.1f}" y="{y + BAR_HEIGHT * 0.7:.1f}" '
            f'class="val">{escape(number(value))}</text>')
    parts.append(f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="0" y2="{height}" class="axis"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_bar(categories: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]],
                *, unit: str, title: str) -> Markup:
    """One horizontal bar per category, stacked by series (e.g. fossil / biogenic / LUC).

    Negative parts (biogenic uptake) stack left of zero, positive ones right of it.
    """
    if not categories:
        return Markup("")
    pos = [sum(max(s[1][i] or 0.0, 0.0) for s in series) for i in range(len(categories))]
    neg = [sum(min(s[1][i] or 0.0, 0.0) for s in series) for i in range(len(categories))]
    low, high = min(0.0, *neg), max(0.0, *pos)
    span = (high - low) or 1.0
    plot = WIDTH - LABEL_WIDTH - 70
    zero = LABEL_WIDTH + plot * (-low / span)
    legend_height = 26
    height = len(categories) * (BAR_HEIGHT + GAP) + GAP + legend_height
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="100%" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>"]
    for i, category in enumerate(categories):
        y = GAP + i * (BAR_HEIGHT + GAP)
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT * 0.7:.1f}" '
                     f'text-anchor="end" class="lbl">{escape(_label(category))}</text>')
        right, left = zero, zero
        for k, (name, values) in enumerate(series):
            value = values[i] or 0.0
            w = plot * abs(value) / span
            if value >= 0:
                x, right = right, right + w
            else:
                left -= w
                x = left
            if w > 0:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{BAR_HEIGHT}" '
                    f'fill="{PALETTE[k % len(PALETTE)]}"><title>{escape(category)} – '
                    f'{escape(name)}: {escape(number(value, 6))} {escape(unit)}</title></rect>')
        parts.append(f'<text x="{right + 6:.1f}" y="{y + BAR_HEIGHT * 0.7:.1f}" class="val">'
                     f"{escape(number(pos[i] + neg[i]))}</text>")
    parts.append(f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="0" '
                 f'y2="{height - legend_height}" class="axis"/>')
    x = LABEL_WIDTH
    y = height - legend_height + 8
    for k, (name, _) in enumerate(series):
        parts.append(f'<rect x="{x}" y="{y}" width="12" height="12" '
                     f'fill="{PALETTE[k % len(PALETTE)]}"/>'
                     f'<text x="{x + 16}" y="{y + 10}" class="lbl">{escape(name)}</text>')
        x += 40 + int(sum(13 if ord(c) > 255 else 7 for c in name))
    parts.append("</svg>")
    return Markup("".join(parts))


# -- co-control (降碳减污协同) -----------------------------------------------------------------

QUADRANT_FILLS = {"co-benefit": "#dcefe3", "negative-synergy": "#fbf0dc",
                  "both-rise": "#f7dede"}
CLASS_COLORS = {"co-benefit": "#2f6f4f", "carbon-only": "#3d6fa8", "pollution-only": "#3d6fa8",
                "negative-synergy": "#c9812b", "both-rise": "#a33b3b", "rise-only": "#a33b3b",
                "no-change": "#5d6b64"}
FALL, RISE = "#2f6f4f", "#a33b3b"


def _percent(value: float) -> str:
    text = f"{100 * value:.3g}"
    return f"{text} %"


def _span(values: Sequence[float]) -> float:
    """Half-width of a symmetric axis holding every value, with room for labels."""
    top = max((abs(v) for v in values), default=0.0)
    return top * 1.25 if top > 0 else 0.01


def cocontrol_plot(points: Sequence[dict], *, names: dict[str, str], x_label: str,
                   y_label: str, title: str) -> Markup:
    """The co-control coordinate system: x = ΔGHG/GHG, y = ΔAPeq/APeq (negative = falls).

    ``points``: dicts with ``id``, ``name``, ``x``, ``y``, ``classification``; points without
    x or y are left out (the table lists them). ``names``: the quadrant and half-axis names by
    class (``co-benefit``, ``negative-synergy``, ``both-rise``, ``carbon-only``,
    ``pollution-only``). Each point is a ``<circle class="point">`` with the measure's name as
    its ``<title>`` and a text label beside it. Axes are symmetric about zero so the four
    quadrants keep their places.
    """
    shown = [p for p in points if p.get("x") is not None and p.get("y") is not None]
    width, height, left, right, top, bottom = 560, 440, 64, 18, 18, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    sx, sy = _span([p["x"] for p in shown]), _span([p["y"] for p in shown])
    cx, cy = left + plot_w / 2, top + plot_h / 2

    def px(x: float) -> float:
        return cx + x / sx * plot_w / 2

    def py(y: float) -> float:
        return cy - y / sy * plot_h / 2

    parts = [f'<svg class="chart cocontrol" role="img" viewBox="0 0 {width} {height}" '
             f'width="100%" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>"]
    quadrants = (  # (x, y, class, label anchor)
        (left, cy, "co-benefit", "start", top + plot_h - 8),
        (left, top, "negative-synergy", "start", top + 16),
        (cx, cy, "negative-synergy", "end", top + plot_h - 8),
        (cx, top, "both-rise", "end", top + 16))
    for x0, y0, cls, anchor, label_y in quadrants:
        parts.append(f'<rect class="quadrant q-{cls}" x="{x0:.1f}" y="{y0:.1f}" '
                     f'width="{plot_w / 2:.1f}" height="{plot_h / 2:.1f}" '
                     f'fill="{QUADRANT_FILLS[cls]}"/>')
        label_x = x0 + 8 if anchor == "start" else x0 + plot_w / 2 - 8
        parts.append(f'<text x="{label_x:.1f}" y="{label_y:.1f}" text-anchor="{anchor}" '
                     f'class="quadrant-name">{escape(names.get(cls, cls))}</text>')
    # The negative half-axes: carbon only (x < 0, y = 0) and pollution only (x = 0, y < 0).
    parts.append(f'<line x1="{left}" x2="{cx:.1f}" y1="{cy:.1f}" y2="{cy:.1f}" '
                 f'class="half-axis" stroke="{CLASS_COLORS["carbon-only"]}" stroke-width="3"/>'
                 f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{cy:.1f}" y2="{top + plot_h}" '
                 f'class="half-axis" stroke="{CLASS_COLORS["pollution-only"]}" '
                 f'stroke-width="3"/>')
    parts.append(f'<text x="{left + 8}" y="{cy - 6:.1f}" class="axis-name">'
                 f'{escape(names.get("carbon-only", "carbon-only"))}</text>'
                 f'<text x="{cx + 6:.1f}" y="{top + plot_h * 0.75:.1f}" class="axis-name">'
                 f'{escape(names.get("pollution-only", "pollution-only"))}</text>')
    parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{cy:.1f}" y2="{cy:.1f}" '
                 f'class="axis"/><line x1="{cx:.1f}" x2="{cx:.1f}" y1="{top}" '
                 f'y2="{top + plot_h}" class="axis"/>'
                 f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
                 f'class="frame" stroke="#b9c5be"/>')
    for k in (-1, -0.5, 0.5, 1):
        parts.append(f'<text x="{px(k * sx / 1.25):.1f}" y="{top + plot_h + 16}" '
                     f'text-anchor="middle" class="tick">{escape(_percent(k * sx / 1.25))}'
                     f'</text><text x="{left - 6}" y="{py(k * sy / 1.25) + 4:.1f}" '
                     f'text-anchor="end" class="tick">{escape(_percent(k * sy / 1.25))}</text>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle" '
                 f'class="lbl">{escape(x_label)}</text>'
                 f'<text x="14" y="{top + plot_h / 2:.1f}" text-anchor="middle" class="lbl" '
                 f'transform="rotate(-90 14 {top + plot_h / 2:.1f})">{escape(y_label)}</text>')
    for p in shown:
        x, y = px(p["x"]), py(p["y"])
        color = CLASS_COLORS.get(p.get("classification") or "", PALETTE[2])
        anchor, dx = ("end", -9) if x > left + plot_w * 0.7 else ("start", 9)
        parts.append(
            f'<g class="measure" data-measure-id="{escape(p["id"])}">'
            f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{color}" '
            f'stroke="#fff" stroke-width="1.5" data-measure-id="{escape(p["id"])}" '
            f'data-class="{escape(p.get("classification") or "")}">'
            f'<title>{escape(p["name"])}: ΔGHG {escape(_percent(p["x"]))}, '
            f'ΔAPeq {escape(_percent(p["y"]))}</title></circle>'
            f'<text x="{x + dx:.1f}" y="{y - 8:.1f}" text-anchor="{anchor}" class="point-label">'
            f'{escape(_label(p["name"], 28))}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))


def signed_bars(items: Sequence[tuple[str, float | None]], *, unit: str, title: str) -> Markup:
    """Horizontal bars of a change: falls (negative) in green left of zero, rises in red."""
    if not items:
        return Markup("")
    values = [v or 0.0 for _, v in items]
    low, high = min(0.0, *values), max(0.0, *values)
    span = (high - low) or 1.0
    plot = WIDTH - LABEL_WIDTH - 80
    zero = LABEL_WIDTH + plot * (-low / span)
    height = len(items) * (BAR_HEIGHT + GAP) + GAP
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
             f'width="100%" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>"]
    for i, ((label, _), value) in enumerate(zip(items, values, strict=True)):
        y = GAP + i * (BAR_HEIGHT + GAP)
        w = plot * abs(value) / span
        x = zero if value >= 0 else zero - w
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT * 0.7:.1f}" text-anchor="end" '
            f'class="lbl">{escape(_label(label))}</text>'
            f'<rect x="{x:.1f}" y="{y}" width="{max(w, 0.5):.1f}" height="{BAR_HEIGHT}" '
            f'fill="{RISE if value > 0 else FALL}" class="{"rise" if value > 0 else "fall"}">'
            f'<title>{escape(label)}: {escape(number(value, 6))} {escape(unit)}</title></rect>'
            f'<text x="{(x + w + 6) if value >= 0 else (zero + 6):.1f}" '
            f'y="{y + BAR_HEIGHT * 0.7:.1f}" class="val">{escape(number(value))}</text>')
    parts.append(f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="0" y2="{height}" class="axis"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def pareto_plot(points: Sequence[dict], *, x_label: str, y_label: str, title: str,
                currency: str = "") -> Markup:
    """The Pareto front: x = GHG cut, y = APeq cut (both positive = less), circle area by cost,
    each point labelled with its cost; ``chosen`` points drawn outlined in black."""
    if not points:
        return Markup("")
    width, height, left, right, top, bottom = 560, 340, 70, 24, 20, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    xs = [p["ghg_cut"] for p in points]
    ys = [p["apeq_cut"] for p in points]
    x0, x1 = min(0.0, *xs), max(xs) or 1.0
    y0, y1 = min(0.0, *ys), max(ys) or 1.0
    x1 += (x1 - x0) * 0.12
    y1 += (y1 - y0) * 0.12
    costs = [abs(p.get("cost") or 0.0) for p in points]
    top_cost = max(costs) or 1.0

    def px(x: float) -> float:
        return left + (x - x0) / ((x1 - x0) or 1.0) * plot_w

    def py(y: float) -> float:
        return top + plot_h - (y - y0) / ((y1 - y0) or 1.0) * plot_h

    parts = [f'<svg class="chart pareto" role="img" viewBox="0 0 {width} {height}" '
             f'width="100%" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>",
             f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#f8faf9" '
             f'stroke="#b9c5be"/>',
             f'<line x1="{px(0):.1f}" x2="{px(0):.1f}" y1="{top}" y2="{top + plot_h}" '
             f'class="axis"/><line x1="{left}" x2="{left + plot_w}" y1="{py(0):.1f}" '
             f'y2="{py(0):.1f}" class="axis"/>']
    ordered = sorted(points, key=lambda p: p["ghg_cut"])
    path = " ".join(f"{px(p['ghg_cut']):.1f},{py(p['apeq_cut']):.1f}" for p in ordered)
    parts.append(f'<polyline points="{path}" fill="none" stroke="{PALETTE[2]}" '
                 f'stroke-width="1.5" stroke-dasharray="4 3"/>')
    for k in (0.5, 1.0):
        xv, yv = x0 + (x1 - x0) / 1.12 * k, y0 + (y1 - y0) / 1.12 * k
        parts.append(f'<text x="{px(xv):.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
                     f'class="tick">{escape(number(xv))}</text>'
                     f'<text x="{left - 6}" y="{py(yv) + 4:.1f}" text-anchor="end" '
                     f'class="tick">{escape(number(yv))}</text>')
    for p in points:
        r = 5 + 9 * (abs(p.get("cost") or 0.0) / top_cost) ** 0.5
        x, y = px(p["ghg_cut"]), py(p["apeq_cut"])
        cost = f"{number(p.get('cost'))} {currency}".strip()
        parts.append(
            f'<g class="pareto-point"><circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" '
            f'fill="{PALETTE[2]}" fill-opacity="0.55" '
            f'stroke="{"#000" if p.get("chosen") else PALETTE[2]}" '
            f'stroke-width="{2 if p.get("chosen") else 1}"><title>{escape(p.get("label", ""))}: '
            f'{escape(number(p["ghg_cut"], 6))}, {escape(number(p["apeq_cut"], 6))}, '
            f'{escape(cost)}</title></circle>'
            f'<text x="{x + r + 3:.1f}" y="{y + 4:.1f}" class="val">{escape(cost)}</text></g>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle" '
                 f'class="lbl">{escape(x_label)}</text>'
                 f'<text x="14" y="{top + plot_h / 2:.1f}" text-anchor="middle" class="lbl" '
                 f'transform="rotate(-90 14 {top + plot_h / 2:.1f})">{escape(y_label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
