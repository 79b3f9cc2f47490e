"""The SVG chart: well-formed, escaped, no script, points where they belong."""

from __future__ import annotations

from datetime import date
from xml.etree import ElementTree as ET

from agora.commitments.charts import Chart, Rule, Series, render_svg

SVG = "{http://www.w3.org/2000/svg}"


def test_chart_is_well_formed_and_escapes_every_label():
    chart = Chart(chart_id='c"1', title="<script>alert(1)</script>", description="a & b",
                  series=[Series("</title><script>x</script>", [(date(2026, 1, 1), 40), (date(2026, 7, 1), 55)])],
                  start=date(2026, 1, 1), end=date(2026, 12, 31), y_min=0, y_max=100,
                  rules=[Rule(70, "Target <70>")], marker=(date(2026, 6, 30), "Deadline & more"))
    markup = str(render_svg(chart))
    root = ET.fromstring(markup)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert "<script" not in markup and "style=" not in markup
    assert root.find(f"{SVG}title").text == "<script>alert(1)</script>"
    points = root.findall(f"{SVG}circle")
    assert [p.find(f"{SVG}title").text.split(": ")[-1] for p in points] == ["40 (2026-01-01)", "55 (2026-07-01)"]
    # The first point sits on the left edge, the higher value is drawn higher.
    assert float(points[0].get("cx")) == 64 and float(points[1].get("cy")) < float(points[0].get("cy"))
    assert root.find(f"{SVG}polyline") is not None


def test_empty_chart_renders():
    chart = Chart(chart_id="c", title="t", description="d", series=[Series("s", [])],
                  start=date(2026, 1, 1), end=date(2026, 1, 1), y_min=5, y_max=5)
    root = ET.fromstring(str(render_svg(chart)))
    assert root.find(f"{SVG}circle") is None
