"""Server-rendered charts: inline SVG bars, labelled for screen readers; pages put a data table beside
each chart (the accessible alternative), so the chart itself is one image with a text summary."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

BAR = "#1f5fa8"
BAR_ALT = "#b3261e"


def bar_chart(rows: Sequence[tuple[str, float]], *, title: str, unit: str = "", maximum: float | None = None,
              chart_id: str = "chart", table_id: str | None = None, threshold: float | None = None) -> Markup:
    """Horizontal bars, one per (label, value); values below THRESHOLD are drawn in the warning colour."""
    width, label_w, bar_w, row_h = 640, 200, 360, 28
    top = max((v for _, v in rows), default=0.0)
    scale_max = maximum if maximum is not None else (top or 1.0)
    height = 16 + row_h * max(1, len(rows))
    summary = "；".join(f"{label} {value:g}{unit}" for label, value in rows) or "暂无数据"
    described = f' aria-describedby="{escape(table_id)}"' if table_id else ""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px" '
        f'aria-labelledby="{escape(chart_id)}-title"{described}>',
        f'<title id="{escape(chart_id)}-title">{escape(title)}：{escape(summary)}</title>',
    ]
    for i, (label, value) in enumerate(rows):
        y = 8 + i * row_h
        length = 0 if scale_max <= 0 else max(0.0, min(1.0, value / scale_max)) * bar_w
        colour = BAR_ALT if threshold is not None and value < threshold else BAR
        short = label if len(label) <= 14 else label[:13] + "…"
        parts.append(f'<text x="{label_w - 8}" y="{y + 18}" text-anchor="end" font-size="14" '
                     f'fill="#1a1a1a">{escape(short)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{length:.1f}" height="{row_h - 10}" '
                     f'fill="{colour}"></rect>')
        parts.append(f'<text x="{label_w + length + 6:.1f}" y="{y + 18}" font-size="14" '
                     f'fill="#1a1a1a">{value:g}{escape(unit)}</text>')
    if not rows:
        parts.append(f'<text x="{label_w}" y="26" font-size="14" fill="#1a1a1a">暂无数据</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped above
