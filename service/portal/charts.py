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
