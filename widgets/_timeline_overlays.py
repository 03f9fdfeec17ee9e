"""What the timeline draws over the events: highlights (a causal chain, memory picks), predicted
values (ghosts), the selection cursor and a Shift+drag range, and the legend naming them.
Layer: widgets."""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from widgets._timeline_data import DIM_COLOR, KIND_COLORS, KIND_NAMES, N_KINDS, LaneIndex
from widgets._timeline_lanes import GHOST_AGREE, GHOST_DISAGREE, SELECT_COLOR


@dataclass(frozen=True, eq=False)
class HighlightSpec:
    """A named set of events to emphasise (memory picks, a causal chain)."""

    name: str
    ids: np.ndarray
    color: str = "#f0a030"
    connect: bool = False  # draw a polyline through them in time order
    label: str = ""


@dataclass(frozen=True)
class GhostSpec:
    """A predicted behaviour drawn as a hollow mark beside the real event."""

    event_id: int
    lane: int
    agrees: bool
    label: str = ""


class Overlays:
    """The overlay items of the lanes plot (and the watch track's cursor line)."""

    def __init__(self, plot: pg.PlotItem, watch_cursor: pg.InfiniteLine) -> None:
        self.plot = plot
        self.watch_cursor = watch_cursor
        self.highlight_items: list[pg.GraphicsObject] = []
        self.ghost_by_index: dict[int, list[GhostSpec]] = {}
        self._ghost_rows: list[tuple[float, float, int, bool, int]] = []
        self.ghost_items = (
            pg.ScatterPlotItem(pxMode=True, size=11, symbol="o", brush=None, pen=pg.mkPen(GHOST_AGREE, width=1.6)),
            pg.ScatterPlotItem(pxMode=True, size=11, symbol="o", brush=None, pen=pg.mkPen(GHOST_DISAGREE, width=2.2)),
        )
        for g in self.ghost_items:
            g.setZValue(30)
            plot.addItem(g)
        self.cursor = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(SELECT_COLOR, width=1.5))
        self.cursor.setZValue(40)
        self.cursor.hide()
        plot.addItem(self.cursor, ignoreBounds=True)
        self.cursor_mark = pg.ScatterPlotItem(pxMode=True, size=18, symbol="s", brush=None,
                                              pen=pg.mkPen(SELECT_COLOR, width=2))
        self.cursor_mark.setZValue(41)
        plot.addItem(self.cursor_mark)
        sel_brush = QColor(SELECT_COLOR)
        sel_brush.setAlpha(40)
        self.range_sel = pg.LinearRegionItem(movable=False, brush=pg.mkBrush(sel_brush), pen=pg.mkPen(SELECT_COLOR))
        self.range_sel.setZValue(35)
        self.range_sel.hide()
        plot.addItem(self.range_sel, ignoreBounds=True)

    # -- highlights -----------------------------------------------------------------------------------
    def set_highlights(self, data: LaneIndex, highlights: list[HighlightSpec]) -> None:
        """Rings around each highlight's events (and a dashed line through them when ``connect``)."""
        for item in self.highlight_items:
            self.plot.removeItem(item)
        self.highlight_items = []
        for spec in highlights:
            idx = data.indices_of(spec.ids)
            if not idx.size:
                continue
            idx = idx[np.argsort(data.t[idx], kind="stable")]
            x = data.t[idx]
            y = data.lane[idx].astype(np.float64)
            color = QColor(spec.color)
            if spec.connect and idx.size > 1:
                line_col = QColor(color)
                line_col.setAlpha(200)
                curve = pg.PlotCurveItem(x=x, y=y, pen=pg.mkPen(line_col, width=2, style=Qt.PenStyle.DashLine),
                                         antialias=True)
                curve.setZValue(20)
                self.plot.addItem(curve)
                self.highlight_items.append(curve)
            rings = pg.ScatterPlotItem(x=x, y=y, symbol="o", size=15, brush=None, pen=pg.mkPen(color, width=2),
                                       pxMode=True, antialias=True)
            rings.setZValue(21)
            rings.setToolTip(spec.label or spec.name)
            self.plot.addItem(rings)
            self.highlight_items.append(rings)

    # -- ghosts ---------------------------------------------------------------------------------------
    def set_ghosts(self, data: LaneIndex, ghosts: list[GhostSpec], px: float) -> None:
        """Index the ghosts by event (several on one event go side by side) and place them."""
        self.ghost_by_index = {}
        slot_of: dict[tuple[int, int], int] = {}
        rows: list[tuple[float, float, int, bool, int]] = []
        for g in ghosts:
            idx = data.index_of(int(g.event_id))
            if idx is None or not (0 <= int(g.lane) < data.n_lanes):
                continue
            key = (idx, int(g.lane))
            slot = slot_of.get(key, 0)
            slot_of[key] = slot + 1
            self.ghost_by_index.setdefault(idx, []).append(g)
            rows.append((float(data.t[idx]), float(g.lane), slot, bool(g.agrees), int(g.event_id)))
        self._ghost_rows = rows
        self.place_ghosts(px)

    def place_ghosts(self, px: float) -> None:
        """Put each ghost beside its event, ``slot`` symbol widths to the right (``px``: seconds per pixel)."""
        rows = self._ghost_rows
        for item, agrees in zip(self.ghost_items, (True, False)):
            sel = [r for r in rows if r[3] == agrees]
            if not sel:
                item.clear()
                continue
            x = np.array([r[0] + (12.0 + 13.0 * r[2]) * px for r in sel])
            y = np.array([r[1] for r in sel])
            item.setData(x=x, y=y, data=np.array([r[4] for r in sel]))

    # -- selection ------------------------------------------------------------------------------------
    def set_cursor(self, data: LaneIndex, idx: int | None) -> None:
        """The selection cursor (a line through lanes and watch track, a square on the event)."""
        if idx is None:
            self.cursor.hide()
            self.watch_cursor.hide()
            self.cursor_mark.clear()
            return
        t = float(data.t[idx])
        self.cursor.setPos(t)
        self.watch_cursor.setPos(t)
        self.cursor.show()
        self.watch_cursor.show()
        self.cursor_mark.setData(x=[t], y=[float(data.lane[idx])])


def legend_html(has_dimmed: bool, ghosts: list[GhostSpec], highlights: list[HighlightSpec]) -> str:
    """The legend: the kinds' colours, then what is drawn over them (filtered, ghosts, highlights)."""
    def swatch(color: str, text: str, hollow: bool = False) -> str:
        if hollow:
            return (f"<span style='color:{color}; font-size:13px'>&#9675;</span>"
                    f"&nbsp;{text}&nbsp;&nbsp;")
        return f"<span style='color:{color}; font-size:13px'>&#9632;</span>&nbsp;{text}&nbsp;&nbsp;"

    parts = [swatch(KIND_COLORS[k], KIND_NAMES[k]) for k in range(N_KINDS)]
    if has_dimmed:
        parts.append(swatch(DIM_COLOR, "filtered"))
    if ghosts:
        parts.append(swatch(GHOST_AGREE, "predicted: agrees", hollow=True))
        parts.append(swatch(GHOST_DISAGREE, "predicted: differs", hollow=True))
    for spec in highlights:
        label = html.escape(str(spec.label or spec.name), quote=True)
        parts.append(swatch(spec.color, label, hollow=True))
    return "".join(parts)
