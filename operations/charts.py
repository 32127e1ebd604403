"""The dashboard's charts, drawn on the server as inline SVG: no script and nothing from a CDN.

A chart shows the hours of the window: a bar for the webhooks received in each hour, and lines for
how many of them completed and failed, with the
largest hourly count on the y axis, every few hours labelled on the x axis, and each point
carrying a ``<title>`` (its tooltip) with the figures of that hour.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from operations.selectors import WebhookSeries

SERIES = (
    ("received", "Received", "#79aec8"),
    ("completed", "Completed", "#2e8540"),
    ("failed", "Failed", "#ba2121"),
)


def webhook_chart_svg(
    series: WebhookSeries, *, width: int = 720, height: int = 200, compact: bool = False
) -> SafeString:
    left, right, top, bottom = (28, 8, 8, 18) if compact else (44, 12, 24, 28)
    plot_w, plot_h = width - left - right, height - top - bottom
    buckets = series.buckets
    peak = max([max(b.received, b.completed, b.failed) for b in buckets] + [1])
    # Each hour owns an equal slot; its bar and its points sit in the slot's middle.
    step = plot_w / max(len(buckets), 1)

    def x(position: int) -> float:
        return left + (position + 0.5) * step

    def y(value: int) -> float:
        return top + plot_h - plot_h * value / peak

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="vh-chart" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" role="img"'
        f' aria-label="{escape(series.label)}: webhooks per hour, last {len(buckets)} hours">',
        f"<title>{escape(series.label)}: {series.received} received, {series.completed}"
        f" completed, {series.failed} failed in the last {len(buckets)} hours</title>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}"'
        ' stroke="#999" stroke-width="1"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#999"'
        ' stroke-width="1"/>',
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end" class="vh-axis">{peak}</text>',
        f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end" class="vh-axis">0</text>',
    ]
    label_every = 6 if compact else 3
    for position, bucket in enumerate(buckets):
        if position % label_every == 0 or position == len(buckets) - 1:
            hour = timezone.localtime(bucket.start).strftime("%H:00")
            parts.append(
                f'<text x="{x(position):.1f}" y="{height - 4}" text-anchor="middle"'
                f' class="vh-axis">{hour}</text>'
            )
    bar_width = max(step * 0.6, 1)
    for position, bucket in enumerate(buckets):
        if bucket.received:
            parts.append(
                f'<rect class="vh-bar-received" x="{x(position) - bar_width / 2:.1f}"'
                f' y="{y(bucket.received):.1f}" width="{bar_width:.1f}"'
                f' height="{top + plot_h - y(bucket.received):.1f}" fill="#79aec8"/>'
            )
    for attribute, _label, colour in SERIES[1:]:
        points = " ".join(
            f"{x(position):.1f},{y(getattr(bucket, attribute)):.1f}"
            for position, bucket in enumerate(buckets)
        )
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"'
            f' data-series="{attribute}"/>'
        )
    for position, bucket in enumerate(buckets):
        hour = timezone.localtime(bucket.start).strftime("%Y-%m-%d %H:00")
        parts.append(
            f'<rect x="{x(position) - step / 2:.1f}" y="{top}" width="{step:.1f}"'
            f' height="{plot_h}" fill="transparent"><title>{hour}: {bucket.received} received,'
            f" {bucket.completed} completed, {bucket.failed} failed</title></rect>"
        )
    if not compact:
        for number, (_, label, colour) in enumerate(SERIES):
            lx = left + 8 + number * 110
            parts.append(
                f'<rect x="{lx}" y="6" width="10" height="10" fill="{colour}"/>'
                f'<text x="{lx + 14}" y="15" class="vh-legend">{label}</text>'
            )
    parts.append("</svg>")
    # Every interpolated text is a number, an hour or an escaped label.
    return mark_safe("".join(parts))  # noqa: S308
