"""Server-side SVG charts of a panel draw (no script, no external service).

- :func:`composition_chart`: per feature value, the quota range (min–max) as a band and the
  number selected as a bar, so a quota met is a bar ending inside its band.
- :func:`probability_chart`: every pool member's selection probability, sorted, against the
  naive uniform chance k/n; the minimum and the median are marked.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup, escape

ROW = 24
GAP = 6
LABEL_WIDTH = 230
PLOT_WIDTH = 380
VALUE_WIDTH = 90


def _percent(x: float) -> str:
    return f"{100 * x:.1f} %"


def composition_chart(rows: list[dict[str, Any]]) -> Markup:
    top = max([1, *(r["max"] for r in rows), *(r["selected"] for r in rows), *(r["now"] for r in rows)])
    height = len(rows) * (ROW + GAP) + GAP + 24
    width = LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH
    title = _("Panel composition against the quotas: the band is the quota range, the bar the number selected")
    parts = [f'<svg class="chart panel-chart" role="img" aria-labelledby="composition-title" '
             f'viewBox="0 0 {width} {height}" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="composition-title">{escape(title)}</title>']
    scale = PLOT_WIDTH / top
    for i, row in enumerate(rows):
        y = GAP + i * (ROW + GAP)
        label = f"{row['feature']}: {row['value']}"
        label = label if len(label) <= 32 else label[:31] + "…"
        met = row["min"] <= row["selected"] <= row["max"]
        parts.append(f'<text x="{LABEL_WIDTH - 6}" y="{y + ROW - 7}" text-anchor="end" class="chart-label">'
                     f'{escape(label)}</text>')
        band_x = LABEL_WIDTH + row["min"] * scale
        band_w = max(2.0, (row["max"] - row["min"]) * scale)
        parts.append(f'<rect x="{band_x:.1f}" y="{y}" width="{band_w:.1f}" height="{ROW}" class="quota-band"/>')
        parts.append(f'<rect x="{LABEL_WIDTH}" y="{y + 6}" width="{row["selected"] * scale:.1f}" height="{ROW - 12}" '
                     f'class="{"bar-met" if met else "bar-unmet"}"/>')
        text = _("%(n)d (quota %(min)d–%(max)d)", n=row["selected"], min=row["min"], max=row["max"])
        parts.append(f'<text x="{LABEL_WIDTH + PLOT_WIDTH + 4}" y="{y + ROW - 7}" class="chart-label">'
                     f'{escape(text)}</text>')
    axis_y = height - 20
    parts.append(f'<line x1="{LABEL_WIDTH}" x2="{LABEL_WIDTH + PLOT_WIDTH}" y1="{axis_y}" y2="{axis_y}" '
                 f'class="chart-axis"/>')
    for tick in sorted({0, top // 2, top}):
        x = LABEL_WIDTH + tick * scale
        parts.append(f'<text x="{x:.1f}" y="{axis_y + 15}" text-anchor="middle" class="chart-label">{tick}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every piece of text above is escaped)


def probability_chart(result: dict[str, Any], summary: dict[str, float], *, points: int = 400) -> Markup:
    values = sorted(float(p) for p in result["probabilities"].values())
    n = len(values)
    left, right, top_pad, bottom = 70, 20, 20, 50
    plot_w, plot_h = 560, 240
    width, height = left + plot_w + right, top_pad + plot_h + bottom
    top = max(values[-1], summary["uniform"]) * 1.1 or 1.0

    def xy(index: float, value: float) -> tuple[float, float]:
        x = left + (plot_w * index / max(1, n - 1))
        y = top_pad + plot_h * (1 - value / top)
        return x, y

    step = max(1, n // points)
    picked = list(range(0, n, step))
    if picked[-1] != n - 1:
        picked.append(n - 1)
    line = " ".join("{:.1f},{:.1f}".format(*xy(i, values[i])) for i in picked)
    title = _("Selection probability of each person in the pool, sorted from lowest to highest, compared with a "
              "uniform draw (k/n = %(uniform)s); minimum %(min)s, median %(median)s.",
              uniform=_percent(summary["uniform"]), min=_percent(summary["minimum"]),
              median=_percent(summary["median"]))
    parts = [f'<svg class="chart panel-chart" role="img" aria-labelledby="probability-title" '
             f'viewBox="0 0 {width} {height}" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="probability-title">{escape(title)}</title>']
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        value = top * fraction
        _x, y = xy(0, value)
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" class="chart-grid"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="chart-label">'
                     f'{escape(_percent(value))}</text>')
    _x, uy = xy(0, summary["uniform"])
    parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{uy:.1f}" y2="{uy:.1f}" class="chart-uniform"/>')
    parts.append(f'<text x="{left + plot_w}" y="{uy - 5:.1f}" text-anchor="end" class="chart-label">'
                 f'{escape(_("uniform k/n"))}</text>')
    parts.append(f'<polyline points="{line}" class="chart-line chart-probabilities"/>')
    mx, my = xy(0, values[0])
    parts.append(f'<circle cx="{mx:.1f}" cy="{my:.1f}" r="4" class="chart-point"/>')
    parts.append(f'<text x="{mx + 8:.1f}" y="{my + 16:.1f}" class="chart-label">'
                 f'{escape(_("minimum %(p)s", p=_percent(values[0])))}</text>')
    dx, dy = xy((n - 1) / 2, summary["median"])
    parts.append(f'<circle cx="{dx:.1f}" cy="{dy:.1f}" r="4" class="chart-point"/>')
    parts.append(f'<text x="{dx:.1f}" y="{dy - 8:.1f}" text-anchor="middle" class="chart-label">'
                 f'{escape(_("median %(p)s", p=_percent(summary["median"])))}</text>')
    axis_y = top_pad + plot_h
    parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{axis_y}" y2="{axis_y}" class="chart-axis"/>')
    parts.append(f'<text x="{left + plot_w / 2}" y="{axis_y + 35}" text-anchor="middle" class="chart-label">'
                 f'{escape(_("people in the pool, from lowest to highest probability (%(n)d)", n=n))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every piece of text above is escaped)
