"""Server-side SVG bar chart of votes per project, funded projects marked (no script)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup, escape

BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 220
CHART_WIDTH = 340
VALUE_WIDTH = 110


def votes_chart(chart_id: str, rows: list[dict[str, Any]], *, key: str = "votes", title: str | None = None) -> Markup:
    """``rows``: dicts with ``title``, ``funded`` and the charted number ``key`` (votes, or points for
    cumulative and ranking ballots), in display order."""
    top = max([r[key] for r in rows] + [1])
    height = len(rows) * (BAR_HEIGHT + GAP) + GAP
    width = LABEL_WIDTH + CHART_WIDTH + VALUE_WIDTH
    title = title or _("Votes per project; funded projects in green and marked “funded”")
    parts = [
        f'<svg class="budget-chart" role="img" aria-labelledby="{chart_id}" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}">{escape(title)}</title>',
    ]
    for i, row in enumerate(rows):
        y = GAP + i * (BAR_HEIGHT + GAP)
        bar = CHART_WIDTH * row[key] / top
        kind = "funded" if row["funded"] else "unfunded"
        label = row["title"] if len(row["title"]) <= 28 else row["title"][:27] + "…"
        value = str(row[key]) + (" · " + _("funded") if row["funded"] else "")
        parts.append(f'<text x="{LABEL_WIDTH - 6}" y="{y + BAR_HEIGHT - 6}" text-anchor="end" '
                     f'class="chart-label">{escape(label)}</text>')
        parts.append(f'<rect x="{LABEL_WIDTH}" y="{y}" width="{bar:.1f}" height="{BAR_HEIGHT}" '
                     f'class="bar bar-{kind}"/>')
        parts.append(f'<text x="{LABEL_WIDTH + bar + 4:.1f}" y="{y + BAR_HEIGHT - 6}" class="chart-value">'
                     f'{escape(value)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every piece of text above is escaped)
