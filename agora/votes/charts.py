"""Server-side SVG bar charts of a count, one per round (no script, no external service)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup, escape

BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 180
CHART_WIDTH = 360
VALUE_WIDTH = 70


def number(value: Any) -> float:
    """A JSON number from ``RankedResult.to_dict()`` (int, decimal string or ``"p/q"``) as a float."""
    if value is None:
        return 0.0
    if isinstance(value, int | float):
        return float(value)
    return float(Fraction(str(value)))


def show_number(value: Any) -> str:
    """Readable number: whole numbers as is, fractions to two decimals."""
    if value is None:
        return ""
    x = number(value)
    return str(int(x)) if x == int(x) else f"{x:.2f}"


def round_chart(result: dict[str, Any], rnd: dict[str, Any]) -> Markup:
    tallies = rnd["tallies"]
    names = [c for c in result["candidates"] if c in tallies]
    values = [number(tallies[c]) for c in names]
    threshold = number(rnd.get("threshold")) if rnd.get("threshold") is not None else None
    top = max([*values, threshold or 0, 1])
    height = len(names) * (BAR_HEIGHT + GAP) + GAP + 18
    width = LABEL_WIDTH + CHART_WIDTH + VALUE_WIDTH
    title_id = f"chart-round-{rnd['round']}"
    title = _("Round %(n)d: votes per option", n=rnd["round"])
    parts = [
        f'<svg class="round-chart" role="img" aria-labelledby="{title_id}" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{title_id}">{escape(title)}</title>',
    ]
    for i, (name, value) in enumerate(zip(names, values, strict=True)):
        y = GAP + i * (BAR_HEIGHT + GAP)
        bar = CHART_WIDTH * value / top
        kind = "elected" if name in rnd.get("elected", []) else (
            "eliminated" if name in rnd.get("eliminated", []) else "continuing")
        label = name if len(name) <= 24 else name[:23] + "…"
        parts.append(f'<text x="{LABEL_WIDTH - 6}" y="{y + BAR_HEIGHT - 6}" text-anchor="end" '
                     f'class="chart-label">{escape(label)}</text>')
        parts.append(f'<rect x="{LABEL_WIDTH}" y="{y}" width="{bar:.1f}" height="{BAR_HEIGHT}" '
                     f'class="bar bar-{kind}"/>')
        parts.append(f'<text x="{LABEL_WIDTH + bar + 4:.1f}" y="{y + BAR_HEIGHT - 6}" class="chart-value">'
                     f'{escape(show_number(tallies[name]))}</text>')
    if threshold:
        x = LABEL_WIDTH + CHART_WIDTH * threshold / top
        caption = _("threshold %(n)s", n=show_number(rnd["threshold"]))
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="2" y2="{height - 16}" class="threshold"/>')
        parts.append(f'<text x="{x:.1f}" y="{height - 4}" text-anchor="middle" class="chart-value">'
                     f'{escape(caption)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every piece of text above is escaped)


def round_charts(result: dict[str, Any]) -> list[Markup]:
    return [round_chart(result, rnd) for rnd in result.get("rounds", [])]
