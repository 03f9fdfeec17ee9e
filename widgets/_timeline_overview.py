"""The timeline's overview strip: the whole trace at a glance, with a brush showing (and setting) the
visible range. Layer: widgets."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsItem

from widgets._timeline_data import LaneIndex, overview_rgba
from widgets._timeline_lanes import FG, TidyDateAxis

#: Columns of the overview image (it is computed once per data set, never per frame).
OVERVIEW_COLUMNS = 1200
#: The view shown before any data: 90 days from the epoch.
DEFAULT_SPAN = 90 * 86400.0


class Overview:
    """Row 2 of the timeline's layout: a density image of the whole trace and a draggable brush."""

    def __init__(self, glw: pg.GraphicsLayoutWidget) -> None:
        self.vb = pg.ViewBox(enableMenu=False)
        self.axis = TidyDateAxis("bottom", utcOffset=0)
        self.axis.setTextPen(pg.mkPen(FG))
        self.axis.setPen(pg.mkPen("#3a3f4b"))
        self.left = pg.AxisItem("left")
        self.left.setTicks([[(0.5, "overview")]])
        self.left.setStyle(tickLength=0)
        self.left.setTextPen(pg.mkPen("#7d8594"))
        self.left.setPen(pg.mkPen("#3a3f4b"))
        self.plot = glw.addPlot(row=2, col=0, viewBox=self.vb, axisItems={"bottom": self.axis, "left": self.left})
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.vb.setMouseEnabled(x=False, y=False)
        self.vb.enableAutoRange(x=False, y=False)
        self.vb.invertY(True)
        self.plot.setMaximumHeight(78)
        self.plot.setMinimumHeight(60)
        self.image = pg.ImageItem(axisOrder="row-major")
        # the overview never pans or zooms: cache it as a device pixmap instead of rescaling each frame
        self.image.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.plot.addItem(self.image)
        brush_col = QColor("#ffffff")
        brush_col.setAlpha(55)
        self.brush = pg.LinearRegionItem(brush=pg.mkBrush(brush_col), pen=pg.mkPen("#ffffff", width=2),
                                         hoverBrush=pg.mkBrush(255, 255, 255, 80))
        self.brush.setZValue(10)
        self.plot.addItem(self.brush, ignoreBounds=True)

    def set_lanes(self, n: int) -> None:
        """Fit ``n`` lanes in the strip's height."""
        self.vb.setYRange(0, n, padding=0.0)

    def show_default(self) -> None:
        """The strip and brush before any data (no signal from the brush)."""
        self.brush.blockSignals(True)
        self.brush.setRegion((0.0, DEFAULT_SPAN))
        self.brush.blockSignals(False)
        self.vb.setXRange(0.0, DEFAULT_SPAN, padding=0.0)

    def rebuild(self, data: LaneIndex, lo: float, hi: float) -> None:
        """Draw ``data`` over ``lo..hi`` (seconds) and bound the brush to it."""
        img = overview_rgba(data.column_counts(lo, hi, OVERVIEW_COLUMNS))
        self.image.setImage(img, autoLevels=False)
        self.image.setRect(QRectF(lo, 0.0, hi - lo, float(data.n_lanes)))
        self.vb.setLimits(xMin=None, xMax=None)
        self.vb.setXRange(lo, hi, padding=0.0)
        self.brush.setBounds((lo, hi))
