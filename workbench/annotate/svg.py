"""Inline SVG drawings for the HTML report, in pure Python. Layer: annotate (pure; no Qt).

* :func:`timeline_svg`: a case's neighbourhood on six scenario lanes (a seventh, "Other", only when
  such events occur); one mark per event coloured by outcome (view / engagement / conversion); the
  case's event ringed, or its time range shaded.
* :func:`bar_chart_svg` and :func:`grouped_bar_svg`: small horizontal bar charts for the summary.

The SVG is meant to sit inline in an HTML5 page (no ``xmlns`` needed, so the report holds no URL at
all). Every piece of text goes through :func:`e` (``html.escape(quote=True)`` of the text with its
control and bidi characters made visible); colours are checked against a
``#rgb``/``#rrggbb`` pattern; the drawings hold no links and no external references.
"""

from __future__ import annotations

import re
from datetime import datetime
from html import escape
from typing import Iterable, Sequence

from workbench.annotate.context import Mark
from workbench.textsafe import visible
from workbench.traces.schema import OTHER, SCENARIOS, parse_timestamp

OUTCOME_COLORS = ("#9aa5b1", "#2f80ed", "#27ae60")       # view, engagement, conversion
OUTCOME_LABELS = ("view", "engagement", "conversion")
HIGHLIGHT = "#e8590c"
SERIES_COLORS = ("#495057", "#d9534f", "#5b8def", "#f0a030", "#9b59b6", "#16a085")
_COLOR_RE = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def e(text: object) -> str:
    """``text`` for HTML (text or attribute value): escaped, with control, bidi-override and
    zero-width characters shown as ``\\xNN``/``\\uNNNN`` (:func:`workbench.textsafe.visible`), so
    nothing in a trace, a model answer or a note can reorder or hide what the reader sees.
    Windows line ends count as line ends."""
    s = str(text)
    if "\r" in s:
        s = s.replace("\r\n", "\n")
    return escape(visible(s), quote=True)


def safe_color(color: str, default: str = "#888888") -> str:
    """``color`` when it is a ``#rgb``/``#rrggbb`` colour (safe inside SVG/HTML), else ``default``."""
    return color if isinstance(color, str) and _COLOR_RE.match(color) else default


def _fmt(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def timeline_svg(marks: Sequence[Mark], *, event_index: int | None = None, start_ts: str | None = None,
                 end_ts: str | None = None, width: int = 760, title: str = "",
                 coarsen: str | None = None) -> str:
    """The timeline sketch of one case (an empty-state drawing when there are no timed marks).
    ``coarsen`` ("hour"/"day") makes the axis labels no finer than the redacted times."""
    axis_fmt = {"day": "%Y-%m-%d", "hour": "%Y-%m-%d %H:00"}.get(coarsen or "", "%Y-%m-%d %H:%M")
    parsed = [(m, parse_timestamp(m.ts)[0]) for m in marks]
    timed = [(m, t) for m, t in parsed if t is not None]
    lanes = [s for s in SCENARIOS if s != OTHER]
    if any(m.scenario == OTHER for m, _ in timed):
        lanes.append(OTHER)
    label_w, lane_h, top, axis_h = 120, 20, 8, 36
    plot_w = width - label_w - 16
    height = top + lane_h * len(lanes) + axis_h
    range_t = [parse_timestamp(x)[0] for x in (start_ts, end_ts) if x]
    times = [t for _, t in timed] + [t for t in range_t if t is not None]
    parts = [f'<svg class="timeline" role="img" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}">',
             f"<title>{e(title or 'case timeline')}</title>"]
    y: float
    for i, lane in enumerate(lanes):
        y = top + i * lane_h
        fill = "#f6f7f9" if i % 2 == 0 else "#ffffff"
        parts.append(f'<rect x="{label_w}" y="{y}" width="{plot_w}" height="{lane_h}" fill="{fill}"/>')
        parts.append(f'<text x="{label_w - 6}" y="{y + lane_h * 0.68:.1f}" text-anchor="end" '
                     f'class="lane">{e(lane)}</text>')
    if not times:
        parts.append(f'<text x="{label_w + plot_w / 2:.1f}" y="{top + lane_h * len(lanes) / 2:.1f}" '
                     f'text-anchor="middle" class="empty">no timed events stored with this case</text>')
        parts.append("</svg>")
        return "".join(parts)
    t0, t1 = min(times), max(times)
    span = (t1 - t0).total_seconds()
    pad = span * 0.04 if span > 0 else 3600.0

    def x_of(t: datetime) -> float:
        total = span + 2 * pad
        return label_w + ((t - t0).total_seconds() + pad) / total * plot_w

    lane_of = {s: i for i, s in enumerate(lanes)}
    plot_h = lane_h * len(lanes)
    rs, re_ = (range_t + [None, None])[:2]
    if len(range_t) == 2 and rs is not None and re_ is not None:
        x0, x1 = x_of(rs), x_of(re_)
        parts.append(f'<rect class="range" x="{x0:.1f}" y="{top}" width="{max(x1 - x0, 2.0):.1f}" '
                     f'height="{plot_h}" fill="{HIGHLIGHT}" fill-opacity="0.15" stroke="{HIGHLIGHT}" '
                     f'stroke-width="1"/>')
    for m, t in timed:
        x = x_of(t)
        y = top + lane_of.get(m.scenario, len(lanes) - 1) * lane_h + lane_h / 2
        color = OUTCOME_COLORS[m.outcome] if 0 <= m.outcome < 3 else OUTCOME_COLORS[0]
        r = 4.5 if m.outcome else 3.5
        tip = f"#{m.event_index} {m.ts} {m.scenario} ({OUTCOME_LABELS[max(0, min(2, m.outcome))]})"
        if m.event_index == event_index:
            parts.append(f'<line class="focus" x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}" '
                         f'stroke="{HIGHLIGHT}" stroke-width="1.5" stroke-dasharray="3 2"/>')
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="8" fill="none" stroke="{HIGHLIGHT}" '
                         f'stroke-width="2.5"/>')
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{color}"><title>{e(tip)}</title></circle>')
    ay = top + plot_h
    parts.append(f'<line x1="{label_w}" y1="{ay}" x2="{label_w + plot_w}" y2="{ay}" stroke="#adb5bd"/>')
    parts.append(f'<text x="{label_w}" y="{ay + 14}" class="axis">{e(t0.strftime(axis_fmt))}</text>')
    if span > 0:
        parts.append(f'<text x="{label_w + plot_w}" y="{ay + 14}" text-anchor="end" class="axis">'
                     f'{e(t1.strftime(axis_fmt))}</text>')
    lx = label_w
    for label, color in zip(OUTCOME_LABELS, OUTCOME_COLORS):
        parts.append(f'<circle cx="{lx + 5}" cy="{ay + 27}" r="4" fill="{color}"/>'
                     f'<text x="{lx + 13}" y="{ay + 31}" class="axis">{e(label)}</text>')
        lx += 100
    parts.append(f'<circle cx="{lx + 5}" cy="{ay + 27}" r="5" fill="none" stroke="{HIGHLIGHT}" stroke-width="2"/>'
                 f'<text x="{lx + 15}" y="{ay + 31}" class="axis">this case</text>')
    parts.append("</svg>")
    return "".join(parts)


def bar_chart_svg(items: Iterable[tuple[str, float, str]], *, title: str, width: int = 460,
                  value_format: str = "{:g}", max_value: float | None = None) -> str:
    """Horizontal bars: ``(label, value, colour)`` each."""
    rows = list(items)
    label_w, bar_h, gap, top = 170, 16, 6, 26
    height = top + max(1, len(rows)) * (bar_h + gap) + 8
    vmax = max_value if max_value is not None else max([v for _, v, _ in rows] + [0.0])
    plot_w = width - label_w - 60
    parts = [f'<svg class="chart" role="img" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}"><title>{e(title)}</title>',
             f'<text x="4" y="16" class="chart-title">{e(title)}</text>']
    if not rows:
        parts.append(f'<text x="{label_w}" y="{top + 12}" class="empty">nothing to show</text>')
    for i, (label, value, color) in enumerate(rows):
        y = top + i * (bar_h + gap)
        w = (value / vmax * plot_w) if vmax > 0 else 0.0
        parts.append(f'<text x="{label_w - 6}" y="{y + bar_h * 0.75:.1f}" text-anchor="end" class="lane">'
                     f'{e(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{max(w, 0.0):.1f}" height="{bar_h}" '
                     f'fill="{safe_color(color)}"/>')
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h * 0.75:.1f}" class="axis">'
                     f'{e(value_format.format(value))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def grouped_bar_svg(groups: Sequence[tuple[str, Sequence[tuple[str, float | None]]]], *, title: str,
                    width: int = 560, max_value: float = 1.0, value_format: str = "{:.0%}") -> str:
    """Grouped horizontal bars: per group (e.g. a field) one bar per series (real, each model).
    Series keep their colour across groups; ``None`` values are drawn as "n/a"."""
    series: list[str] = []
    for _, bars in groups:
        for name, _ in bars:
            if name not in series:
                series.append(name)
    color = {s: SERIES_COLORS[i % len(SERIES_COLORS)] for i, s in enumerate(series)}
    label_w, bar_h, top = 170, 11, 26
    legend_h = 18
    group_h = [len(bars) * (bar_h + 2) + 10 for _, bars in groups]
    height = top + legend_h + sum(group_h) + 6
    plot_w = width - label_w - 50
    parts = [f'<svg class="chart" role="img" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}"><title>{e(title)}</title>',
             f'<text x="4" y="16" class="chart-title">{e(title)}</text>']
    lx = label_w
    for s in series:
        parts.append(f'<rect x="{lx}" y="{top - 2}" width="10" height="10" fill="{color[s]}"/>'
                     f'<text x="{lx + 14}" y="{top + 7}" class="axis">{e(s)}</text>')
        lx += 14 + 7 * min(len(s), 28) + 12
    y = top + legend_h
    if not groups:
        parts.append(f'<text x="{label_w}" y="{y + 12}" class="empty">nothing to show</text>')
    for (label, bars), gh in zip(groups, group_h):
        parts.append(f'<text x="{label_w - 6}" y="{y + 10}" text-anchor="end" class="lane">{e(label)}</text>')
        by = y
        for name, value in bars:
            if value is None:
                parts.append(f'<text x="{label_w + 2}" y="{by + bar_h - 1}" class="axis">n/a</text>')
            else:
                w = max(0.0, min(value / max_value, 1.0)) * plot_w if max_value > 0 else 0.0
                parts.append(f'<rect x="{label_w}" y="{by}" width="{w:.1f}" height="{bar_h}" '
                             f'fill="{color[name]}"><title>{e(name)}: {e(value_format.format(value))}'
                             f'</title></rect>')
                parts.append(f'<text x="{label_w + w + 4:.1f}" y="{by + bar_h - 1}" class="axis">'
                             f'{e(value_format.format(value))}</text>')
            by += bar_h + 2
        y += gh
    parts.append("</svg>")
    return "".join(parts)
