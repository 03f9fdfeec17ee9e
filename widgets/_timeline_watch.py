"""The timeline's watch track: seconds watched per video (log scale) under the lanes. Layer: widgets."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

from widgets._timeline_data import KIND_COLORS, KIND_VIEW, LaneIndex
from widgets._timeline_lanes import FG, SELECT_COLOR

_DECADES = {0: "1", 1: "10", 2: "100", 3: "1k", 4: "10k", 5: "100k", 6: "1M"}


class WatchTrack:
    """Row 1 of the timeline's layout: one bar per video (or per pixel column), x-linked to the lanes."""

    def __init__(self, glw: pg.GraphicsLayoutWidget, lanes_plot: pg.PlotItem) -> None:
        self.vb = pg.ViewBox(enableMenu=False)
        self.axis = pg.AxisItem("left")
        self.axis.setTextPen(pg.mkPen(FG))
        self.axis.setPen(pg.mkPen("#3a3f4b"))
        self.axis.setLabel("watch s", color=FG)
        self.plot = glw.addPlot(row=1, col=0, viewBox=self.vb, axisItems={"left": self.axis})
        self.plot.hideAxis("bottom")
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.vb.setMouseEnabled(x=True, y=False)
        self.vb.enableAutoRange(x=False, y=False)
        self.plot.setXLink(lanes_plot)
        self.plot.setMaximumHeight(90)
        self.plot.setMinimumHeight(60)
        wcol = QColor(KIND_COLORS[KIND_VIEW])
        wcol.setAlpha(200)
        self.curve = pg.PlotCurveItem(pen=pg.mkPen(wcol, width=1), connect="pairs", skipFiniteCheck=True)
        self.plot.addItem(self.curve)
        self.cursor = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(SELECT_COLOR, width=1))
        self.cursor.hide()
        self.plot.addItem(self.cursor, ignoreBounds=True)
        self._top: float | None = None

    def draw(self, data: LaneIndex, m0: float, m1: float, cols: int, points: bool) -> None:
        """Bars for ``m0..m1``: one per video when ``points``, else the longest per pixel column."""
        top = max(data.w_max, 2.0) + 0.15  # at least 1..100 s, so the log axis shows decades
        if top != self._top:
            self._top = top
            self.vb.setYRange(0.0, top, padding=0.0)
            step = 1 if top < 4.5 else 2
            self.axis.setTicks([[(float(d), _DECADES.get(d, f"1e{d}")) for d in range(0, int(top) + 1, step)], []])
        x, y = data.watch_points(m0, m1) if points else data.watch_columns(m0, m1, cols)
        if not x.size:
            self.curve.setData([], [])
            return
        xs = np.repeat(x, 2)
        ys = np.zeros(xs.shape[0], dtype=np.float64)
        ys[1::2] = y
        self.curve.setData(x=xs, y=ys, connect="pairs", skipFiniteCheck=True)
