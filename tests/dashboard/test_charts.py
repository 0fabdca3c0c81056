"""The SVG charts: numbers as staff read them, and charts that stay valid on odd series."""

from __future__ import annotations

from datetime import date, timedelta
from xml.etree import ElementTree

from app.dashboard.charts import ChartPoint, Marker, people, series_chart, sparkline
from app.dashboard.text import direction, mark_number

D0 = date(2025, 3, 10)


def _points(values: list[int]) -> list[ChartPoint]:
    return [ChartPoint(D0 + timedelta(days=i), v, v // 2, v * 2, v // 10)
            for i, v in enumerate(values)]


def test_people_are_shortened_for_axes() -> None:
    assert [people(n) for n in (0, 950, 1000, 1500, 12_500, 2_000_000, 2_500_000)] == [
        "0", "950", "1k", "1.5k", "12k", "2M", "2.5M"]
    assert people(None) == "–"


def test_series_chart_is_valid_svg_with_band_bars_and_markers() -> None:
    svg = str(series_chart(_points([100, 4000, 4000, 14000]),
                           [Marker(D0 + timedelta(days=3), "Jump <&> 14k", "critical"),
                            Marker(D0 - timedelta(days=30), "outside", "warning")]))
    root = ElementTree.fromstring(svg)  # well formed, escaping included
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag in ("svg", f"{ns}svg")
    assert svg.count('class="marker') == 1 and "Jump &lt;&amp;&gt; 14k" in svg
    assert 'class="band"' in svg and svg.count('class="arrivals"') == 4
    assert "from 100 to 14,000, peak 14,000" in svg


def test_single_point_and_flat_zero_series_still_draw() -> None:
    for values in ([5000], [0, 0, 0]):
        ElementTree.fromstring(str(series_chart(_points(values))))
        ElementTree.fromstring(str(sparkline(_points(values))))
    assert "No series yet" in str(series_chart([]))


def test_direction_and_number_marking() -> None:
    assert direction("لجأ أكثر من 12 ألف شخص إلى عكار") == "rtl"
    assert direction("More than 12,000 people", "en") == "ltr"
    assert direction("anything", "ar") == "rtl"
    assert str(mark_number("At least <10,000> fled", "10,000")) == (
        "At least &lt;<mark>10,000</mark>&gt; fled")
    assert str(mark_number("no number", "7,000")) == "no number"
