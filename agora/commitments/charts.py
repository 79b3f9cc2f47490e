"""Server-side SVG line charts, safe to inline in a page.

No script, no inline style (the CSP forbids both): colours come from CSS classes in agora.css.
Every piece of text is escaped, so a commitment titled ``<script>`` stays text. The chart is
an image with a title and a description for screen readers; pages also give the numbers in a
table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 24, 20, 44
SERIES_CLASSES = 6  # .series-0 ... .series-5 in agora.css


@dataclass(frozen=True)
class Series:
    name: str
    points: Sequence[tuple[date, float]]
    dashed: bool = False


@dataclass(frozen=True)
class Rule:
    """A horizontal reference line (a target) at ``value``, labelled."""

    value: float
    label: str


@dataclass(frozen=True)
class Chart:
    chart_id: str
    title: str
    description: str
    series: Sequence[Series]
    start: date
    end: date
    y_min: float
    y_max: float
    rules: Sequence[Rule] = field(default_factory=tuple)
    marker: tuple[date, str] | None = None  # a vertical line: the deadline


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def render_svg(chart: Chart, *, format_date: Callable[[date], str] = date.isoformat,
               format_number: Callable[[float], str] = lambda v: f"{v:g}") -> Markup:
    """The chart as an ``<svg>`` element; every label escaped, coordinates computed here."""
    span_days = max(1, (chart.end - chart.start).days)
    low, high = chart.y_min, chart.y_max
    if high <= low:
        high = low + 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: date) -> float:
        days = min(max((day - chart.start).days, 0), span_days)
        return LEFT + plot_w * days / span_days

    def y(value: float) -> float:
        value = min(max(value, low), high)
        return TOP + plot_h * (1 - (value - low) / (high - low))

    cid = escape(chart.chart_id)
    out = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-labelledby="{cid}-title {cid}-desc" focusable="false">',
        f'<title id="{cid}-title">{escape(chart.title)}</title>',
        f'<desc id="{cid}-desc">{escape(chart.description)}</desc>',
    ]
    # Axes and five horizontal grid lines with their values.
    for i in range(5):
        value = low + (high - low) * i / 4
        gy = _fmt(y(value))
        out.append(f'<line class="chart-grid" x1="{LEFT}" y1="{gy}" x2="{WIDTH - RIGHT}" y2="{gy}"/>')
        out.append(f'<text class="chart-label" x="{LEFT - 6}" y="{gy}" text-anchor="end" '
                   f'dominant-baseline="middle">{escape(format_number(value))}</text>')
    base_y = TOP + plot_h
    out.append(f'<line class="chart-axis" x1="{LEFT}" y1="{base_y}" x2="{WIDTH - RIGHT}" y2="{base_y}"/>')
    out.append(f'<line class="chart-axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{base_y}"/>')
    for day, anchor in ((chart.start, "start"), (chart.end, "end")):
        out.append(f'<text class="chart-label" x="{_fmt(x(day))}" y="{base_y + 18}" '
                   f'text-anchor="{anchor}">{escape(format_date(day))}</text>')
    for rule in chart.rules:
        ry = _fmt(y(rule.value))
        out.append(f'<line class="chart-target" x1="{LEFT}" y1="{ry}" x2="{WIDTH - RIGHT}" y2="{ry}"/>')
        out.append(f'<text class="chart-label chart-target-label" x="{WIDTH - RIGHT}" y="{_fmt(y(rule.value) - 5)}" '
                   f'text-anchor="end">{escape(rule.label)}</text>')
    if chart.marker is not None:
        mx = _fmt(x(chart.marker[0]))
        out.append(f'<line class="chart-deadline" x1="{mx}" y1="{TOP}" x2="{mx}" y2="{base_y}"/>')
        where = x(chart.marker[0])
        anchor = "end" if where > WIDTH - 120 else "start" if where < LEFT + 120 else "middle"
        out.append(f'<text class="chart-label" x="{mx}" y="{base_y + 34}" text-anchor="{anchor}">'
                   f'{escape(chart.marker[1])}</text>')
    for index, series in enumerate(chart.series):
        css = f"series-{index % SERIES_CLASSES}" + (" dashed" if series.dashed else "")
        points = sorted(series.points, key=lambda p: p[0])
        if len(points) > 1:
            coords = " ".join(f"{_fmt(x(d))},{_fmt(y(v))}" for d, v in points)
            out.append(f'<polyline class="chart-line {css}" points="{coords}"/>')
        for day, value in points:
            label = f"{series.name}: {format_number(value)} ({format_date(day)})"
            out.append(f'<circle class="chart-point {css}" cx="{_fmt(x(day))}" cy="{_fmt(y(value))}" r="4">'
                       f'<title>{escape(label)}</title></circle>')
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 (every text node and attribute above is escaped or numeric)
