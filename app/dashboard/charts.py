"""Charts as inline SVG, drawn on the server: no script and no asset from anywhere else."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from markupsafe import Markup


@dataclass(frozen=True, slots=True)
class ChartPoint:
    day: date
    estimate: int
    low: int
    high: int
    new_arrivals: int
    # the last day the newest figure behind the point is fresh, and that figure's day
    fresh_until: date | None = None
    last_report: date | None = None


@dataclass(frozen=True, slots=True)
class Marker:
    day: date
    label: str
    severity: str


def people(n: int | None) -> str:
    """12,500 -> "12.5k": short enough for an axis or a table cell."""
    if n is None:
        return "–"
    if abs(n) >= 1_000_000:
        return f"{n / 1_000_000:.1f}M".replace(".0M", "M")
    if abs(n) >= 10_000:
        return f"{n / 1000:.0f}k"
    if abs(n) >= 1_000:
        return f"{n / 1000:.1f}k".replace(".0k", "k")
    return str(n)


def _nice_max(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above `value`."""
    if value <= 0:
        return 10
    magnitude: int = 10 ** (len(str(value)) - 1)
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= value:
            return factor * magnitude
    return 10 * magnitude


def sparkline(points: Sequence[ChartPoint], width: int = 120, height: int = 32) -> Markup:
    """A small line of the estimate, for tables; its text alternative states first and last."""
    if not points:
        return Markup('<span class="muted">no data</span>')
    top = max(p.estimate for p in points) or 1
    span = max(len(points) - 1, 1)
    coords = " ".join(
        f"{2 + i * (width - 4) / span:.1f},{height - 2 - p.estimate / top * (height - 4):.1f}"
        for i, p in enumerate(points)
    )
    summary = (f"{people(points[0].estimate)} on {points[0].day:%d %b} to "
               f"{people(points[-1].estimate)} on {points[-1].day:%d %b}")
    return Markup(
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="Estimate from {escape(summary)}">'
        f'<polyline points="{coords}" fill="none" stroke="currentColor" stroke-width="2"/></svg>'
    )


def series_chart(points: Sequence[ChartPoint], markers: Sequence[Marker] = (),
                 width: int = 760, height: int = 320) -> Markup:
    """The estimate as a line over its low-high band, new arrivals as bars below, and a marker
    on each day an alert fired."""
    if not points:
        return Markup('<p class="muted">No series yet for this place.</p>')
    left, right, top_pad, gap = 56, 12, 12, 18
    bars_h = 60
    axis_h = 22
    main_h = height - top_pad - gap - bars_h - axis_h
    first, last = points[0].day, points[-1].day
    days = max((last - first).days, 1)
    plot_w = width - left - right

    def x(d: date) -> float:
        return left + (d - first).days / days * plot_w

    y_max = _nice_max(max(max(p.high, p.estimate) for p in points))

    def y(v: int) -> float:
        return top_pad + main_h - v / y_max * main_h

    bar_max = _nice_max(max((p.new_arrivals for p in points), default=0))
    bar_base = top_pad + main_h + gap + bars_h
    bar_w = max(min(plot_w / (days + 1) * 0.7, 18), 2)
    parts: list[str] = []
    for frac in (0, 0.5, 1):
        value = int(y_max * frac)
        at = y(value)
        parts.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{at:.1f}" '
                     f'y2="{at:.1f}"/><text class="tick" x="{left - 6}" y="{at + 4:.1f}" '
                     f'text-anchor="end">{people(value)}</text>')
    band = [f"{x(p.day):.1f},{y(p.high):.1f}" for p in points]
    band += [f"{x(p.day):.1f},{y(p.low):.1f}" for p in reversed(points)]
    parts.append(f'<polygon class="band" points="{" ".join(band)}"/>')
    line = " ".join(f"{x(p.day):.1f},{y(p.estimate):.1f}" for p in points)
    parts.append(f'<polyline class="estimate" points="{line}"/>')
    for p in points:
        if p.new_arrivals:
            h = p.new_arrivals / bar_max * bars_h
            parts.append(
                f'<rect class="arrivals" x="{x(p.day) - bar_w / 2:.1f}" y="{bar_base - h:.1f}" '
                f'width="{bar_w:.1f}" height="{h:.1f}"><title>{p.day:%d %b %Y}: '
                f'{p.new_arrivals:,} new arrivals</title></rect>')
    parts.append(f'<text class="tick" x="{left - 6}" y="{bar_base - bars_h + 10}" '
                 f'text-anchor="end">{people(bar_max)}</text>'
                 f'<text class="tick" x="{left - 6}" y="{bar_base}" text-anchor="end">0</text>'
                 f'<line class="grid" x1="{left}" x2="{width - right}" y1="{bar_base}" '
                 f'y2="{bar_base}"/>')
    for m in markers:
        if first <= m.day <= last:
            mx = x(m.day)
            parts.append(
                f'<g class="marker {escape(m.severity)}"><line x1="{mx:.1f}" x2="{mx:.1f}" '
                f'y1="{top_pad}" y2="{top_pad + main_h}"/><path d="M{mx - 6:.1f},{top_pad} '
                f'L{mx + 6:.1f},{top_pad} L{mx:.1f},{top_pad + 9} Z"/>'
                f'<title>{escape(m.label)}</title></g>')
    ticks = _date_ticks(points)
    for d in ticks:
        parts.append(f'<text class="tick" x="{x(d):.1f}" y="{height - 6}" '
                     f'text-anchor="middle">{d:%d %b}</text>')
    desc = (f"Estimate of people displaced, {first:%d %b %Y} to {last:%d %b %Y}: from "
            f"{points[0].estimate:,} to {points[-1].estimate:,}, peak "
            f"{max(p.estimate for p in points):,}. Bars: new arrivals per day. "
            f"{len(markers)} alert marker(s).")
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="chart-title chart-desc" preserveAspectRatio="xMidYMid meet">'
        f'<title id="chart-title">Estimate over time</title>'
        f'<desc id="chart-desc">{escape(desc)}</desc>{"".join(parts)}</svg>'
    )


def _date_ticks(points: Sequence[ChartPoint], count: int = 6) -> list[date]:
    if len(points) <= count:
        return [p.day for p in points]
    step = (len(points) - 1) / (count - 1)
    return [points[round(i * step)].day for i in range(count)]
