"""Charts drawn on the server as SVG: no JavaScript, readable by screen readers (a title, a
description, and the figures also in a table beside each chart), coloured by CSS classes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int
    css: str
    href: str | None = None


def _nice_ceiling(value: int) -> int:
    """The axis maximum: 1, 2, 5 x 10^n at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1
    magnitude = 1
    while magnitude * 10 < value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def bar_chart(bars: Sequence[Bar], *, title: str, width: int = 480) -> Markup:
    """Horizontal bars, one per row, each labelled with its value (and a link when given)."""
    row, label_width, value_width = 30, 96, 48
    height = row * len(bars) + 8
    plot = width - label_width - value_width
    top = max((b.value for b in bars), default=0)
    scale = plot / top if top else 0.0
    parts = [
        f'<svg class="chart bar-chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{_id(title)}-t" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{_id(title)}-t">{escape(title)}</title>',
    ]
    for i, bar in enumerate(bars):
        y = 4 + i * row
        length = max(bar.value * scale, 2.0 if bar.value else 0.0)
        shape = (
            f'<text class="chart-label" x="{label_width - 8}" y="{y + 19}" '
            f'text-anchor="end">{escape(bar.label)}</text>'
            f'<rect class="{escape(bar.css)}" x="{label_width}" y="{y + 4}" '
            f'width="{length:.1f}" height="{row - 10}" rx="3"></rect>'
            f'<text class="chart-value" x="{label_width + length + 6:.1f}" y="{y + 19}">'
            f"{bar.value}</text>"
        )
        if bar.href:
            shape = f'<a href="{escape(bar.href)}">{shape}</a>'
        parts.append(shape)
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every interpolated value is escaped)


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: Sequence[int]
    css: str


def line_chart(
    days: Sequence[date], series: Sequence[Series], *, title: str, width: int = 640
) -> Markup:
    """Values per day as lines over a shared, labelled axis (first, middle and last day)."""
    height, left, right, top_pad, bottom = 220, 44, 12, 12, 28
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    peak = _nice_ceiling(max((max(s.values, default=0) for s in series), default=0))
    count = max(len(days) - 1, 1)

    def x(i: int) -> float:
        return left + plot_w * i / count

    def y(value: int) -> float:
        return top_pad + plot_h * (1 - value / peak)

    parts = [
        f'<svg class="chart line-chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{_id(title)}-t" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{_id(title)}-t">{escape(title)}</title>',
    ]
    for tick in (0, peak // 2 if peak >= 2 else None, peak):
        if tick is None:
            continue
        parts.append(
            f'<line class="chart-grid" x1="{left}" x2="{width - right}" '
            f'y1="{y(tick):.1f}" y2="{y(tick):.1f}"></line>'
            f'<text class="chart-axis" x="{left - 6}" y="{y(tick) + 4:.1f}" '
            f'text-anchor="end">{tick}</text>'
        )
    if days:
        for i in sorted({0, len(days) // 2, len(days) - 1}):
            anchor = "start" if i == 0 else ("end" if i == len(days) - 1 else "middle")
            parts.append(
                f'<text class="chart-axis" x="{x(i):.1f}" y="{height - 8}" '
                f'text-anchor="{anchor}">{days[i].strftime("%b %d")}</text>'
            )
    for s in series:
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(s.values))
        if len(s.values) == 1:
            parts.append(
                f'<circle class="{escape(s.css)}" cx="{x(0):.1f}" cy="{y(s.values[0]):.1f}" '
                'r="3"></circle>'
            )
        else:
            parts.append(f'<polyline class="{escape(s.css)}" points="{points}"></polyline>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every interpolated value is escaped)


def _id(title: str) -> str:
    return "chart-" + "".join(c if c.isalnum() else "-" for c in title.lower())[:40]
