"""Timeline explorer: scenario lanes on one date-time axis, fluid at a million events. Layer: widgets.

Imports nothing from ``workbench``: the caller hands over numpy arrays (time, lane, kind, watch
seconds, event ids) and small dataclasses (:class:`HighlightSpec`, :class:`GhostSpec`).

Level of detail (DESIGN habit 5): zoomed out, each lane is drawn as per-pixel-column density (one
``np.searchsorted`` per lane into a single RGBA ``ImageItem``); below :data:`MARKS_THRESHOLD` visible
events the real events are drawn as tick marks (one ``PlotCurveItem`` per kind, ``connect='pairs'``)
and, when few, as symbols (shape per kind, for colour-blind readers). Range changes from the mouse are
throttled (~30 Hz) before recomputing; programmatic ``set_range`` recomputes at once. Only the visible
range (plus a margin so a pan does not show empty edges) is ever binned.

Times are epoch seconds treated as naive wall-clock: labelled in UTC, night bands at 22:00-07:00 of
that wall-clock, so no time-zone shift appears anywhere.
"""

from __future__ import annotations

import datetime
import html
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QKeyEvent, QPainter, QPalette, QPixmap, QTextDocument
from PySide6.QtWidgets import QGraphicsItem, QHBoxLayout, QLabel, QSizePolicy, QToolTip, QVBoxLayout, QWidget

from widgets._timeline_data import (
    DIM_COLOR,
    KIND_COLORS,
    KIND_NAMES,
    KIND_VIEW,
    N_KINDS,
    LaneIndex,
    density_rgba,
    overview_rgba,
)

__all__ = ["TimelineWidget", "HighlightSpec", "GhostSpec", "MARKS_THRESHOLD", "KIND_COLORS"]

#: At or below this many visible events the real marks are drawn; above it, density.
MARKS_THRESHOLD = 20_000
#: At or below this many visible events, symbols are drawn on top of the ticks.
SYMBOLS_THRESHOLD = 1_500
#: Night shading (22:00-07:00) only when the visible span is at most this many seconds.
NIGHT_MAX_SPAN = 30 * 86400.0
#: Clicks and hovers pick the nearest event within this many pixels.
PICK_PIXELS = 6.0
#: Throttle interval for mouse-driven range changes (ms): ~30 Hz.
THROTTLE_MS = 33
#: Narrowest zoom: one minute across the view.
MIN_SPAN = 60.0
DAY = 86400.0

BG = "#1b1d23"
LANE_BG = ((0x22, 0x25, 0x2d), (0x1b, 0x1d, 0x23))
NIGHT_RGBA = (0x00, 0x00, 0x10, 95)
GRID_COLOR = "#2b2f38"
SEPARATOR_COLOR = "#343945"
FG = "#c9ced8"
SELECT_COLOR = "#F0E442"
GHOST_AGREE = "#e8e8e8"
GHOST_DISAGREE = "#D55E00"
SYMBOLS = ("o", "t1", "d")  # view circle, engagement triangle, conversion diamond


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


class _LaneViewBox(pg.ViewBox):
    """x-only pan/zoom; shift+left-drag selects a time range instead of panning."""

    sigRangeSelecting = Signal(float, float, bool)  # t0, t1, finished

    def mouseDragEvent(self, ev, axis=None):  # noqa: N802 (Qt naming)
        if ev.button() == Qt.MouseButton.LeftButton and ev.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            ev.accept()
            x0 = self.mapSceneToView(ev.buttonDownScenePos()).x()
            x1 = self.mapSceneToView(ev.scenePos()).x()
            lo, hi = (x0, x1) if x0 <= x1 else (x1, x0)
            self.sigRangeSelecting.emit(lo, hi, bool(ev.isFinish()))
            return
        super().mouseDragEvent(ev, axis)


class _LaneAxis(pg.AxisItem):
    """Left axis drawing each lane's name (bold) and event count (dim) beside its band."""

    def __init__(self) -> None:
        super().__init__("left")
        self.setStyle(tickLength=0, showValues=False)
        self.setPen(pg.mkPen("#3a3f4b"))
        self.lane_names: list[str] = []
        self.lane_counts: list[int] = []
        self._name_font = QFont()
        self._name_font.setPixelSize(12)
        self._name_font.setBold(True)
        self._count_font = QFont()
        self._count_font.setPixelSize(10)

    def set_lanes(self, names: list[str], counts: list[int]) -> None:
        self.lane_names = list(names)
        self.lane_counts = list(counts)
        self.update()

    def paint(self, p, opt, widget):  # noqa: D102 (Qt paint)
        view = self.linkedView()
        rect = self.boundingRect()
        p.setPen(self.pen())
        p.drawLine(rect.topRight(), rect.bottomRight())
        if view is None:
            return
        right = rect.right() - 10
        for i, name in enumerate(self.lane_names):
            y = self.mapFromScene(view.mapViewToScene(QPointF(0.0, float(i)))).y()
            p.setFont(self._name_font)
            p.setPen(QColor(FG))
            p.drawText(QRectF(0, y - 16, right, 16), int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom),
                       name)
            if i < len(self.lane_counts):
                p.setFont(self._count_font)
                p.setPen(QColor("#7d8594"))
                p.drawText(QRectF(0, y + 1, right, 14), int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop),
                           f"{self.lane_counts[i]:,} events")


def _blend(base: tuple[int, int, int], over: tuple[int, int, int, int]) -> QColor:
    a = over[3] / 255.0
    return QColor(*(int(round(b * (1 - a) + o * a)) for b, o in zip(base, over[:3])))


#: Grid steps (seconds) for the vertical time lines; the first giving >= GRID_MIN_PX between lines wins.
GRID_STEPS = (60.0, 300.0, 900.0, 1800.0, 3600.0, 3 * 3600.0, 6 * 3600.0, 12 * 3600.0, 86400.0,
              7 * 86400.0, 28 * 86400.0)
GRID_MIN_PX = 70.0


class _LaneBands(pg.GraphicsObject):
    """Lane backgrounds, night bands (22:00-07:00) and vertical time grid lines.

    Everything is opaque: solid axis-aligned ``fillRect`` per lane (night colours pre-blended) and
    1-px cosmetic lines, for the visible range only. Far cheaper than stretched images or the axis
    grid (alpha-blended full-height lines for every minor tick).
    """

    def __init__(self) -> None:
        super().__init__()
        self.n_lanes = 1
        self.show_night = True
        self._rect = QRectF(0.0, -0.5, 1.0, 1.0)
        self._lane_colors = [QColor(*LANE_BG[0]), QColor(*LANE_BG[1])]
        self._night_colors = [_blend(LANE_BG[0], NIGHT_RGBA), _blend(LANE_BG[1], NIGHT_RGBA)]
        self._grid_pen = pg.mkPen(GRID_COLOR, width=1)
        self._separator_pen = pg.mkPen(SEPARATOR_COLOR, width=1)

    def set_lanes(self, n: int) -> None:
        self.n_lanes = max(n, 1)
        self._update_rect()

    def viewRangeChanged(self) -> None:  # noqa: N802 (pyqtgraph hook)
        self._update_rect()

    def _update_rect(self) -> None:
        vb = self.getViewBox()
        if vb is None or not hasattr(vb, "viewRange"):
            return
        x0, x1 = vb.viewRange()[0]
        rect = QRectF(x0, -0.5, max(x1 - x0, 1e-9), float(self.n_lanes))
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._rect

    def night_intervals(self) -> list[tuple[float, float]]:
        r = self._rect
        x0, x1 = r.left(), r.right()
        if not self.show_night or x1 - x0 > NIGHT_MAX_SPAN:
            return []
        out = []
        for d in range(math.floor(x0 / DAY) - 1, math.floor(x1 / DAY) + 1):
            a = max(d * DAY + 22 * 3600.0, x0)
            b = min((d + 1) * DAY + 7 * 3600.0, x1)
            if b > a:
                out.append((a, b))
        return out

    def paint(self, p, opt, widget) -> None:  # noqa: D102
        r = self._rect
        x0, w = r.left(), r.width()
        nights = self.night_intervals()
        for i in range(self.n_lanes):
            p.fillRect(QRectF(x0, i - 0.5, w, 1.0), self._lane_colors[i % 2])
            night = self._night_colors[i % 2]
            for a, b in nights:
                p.fillRect(QRectF(a, i - 0.5, b - a, 1.0), night)
        p.setPen(self._separator_pen)
        for i in range(1, self.n_lanes):
            p.drawLine(QPointF(x0, i - 0.5), QPointF(x0 + w, i - 0.5))
        vb = self.getViewBox()
        width_px = vb.width() if vb is not None and hasattr(vb, "width") else 0.0
        if width_px <= 0 or w <= 0:
            return
        px_per_s = width_px / w
        step = next((s for s in GRID_STEPS if s * px_per_s >= GRID_MIN_PX), None)
        if step is None:
            return
        p.setPen(self._grid_pen)
        first = math.ceil(x0 / step) * step
        top, bottom = -0.5, self.n_lanes - 0.5
        x = first
        while x <= x0 + w:
            p.drawLine(QPointF(x, top), QPointF(x, bottom))
            x += step


class TimelineWidget(QWidget):
    """Scenario lanes on a shared date-time axis, a watch-seconds track and an overview brush."""

    event_clicked = Signal(int)
    event_activated = Signal(int)
    range_changed = Signal(float, float)
    range_selected = Signal(float, float)

    def __init__(self, lanes: list[str] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tooltip_provider: Callable[[int], str] | None = None
        self._lanes: list[str] = list(lanes or [])
        self._data = LaneIndex([], [], [], [], [], max(len(self._lanes), 1))
        self._mode = "density"
        self._visible_count = 0
        self._selected: int | None = None           # original index
        self._selected_id: int | None = None
        self._highlights: list[HighlightSpec] = []
        self._ghosts: list[GhostSpec] = []
        self._ghost_by_index: dict[int, list[GhostSpec]] = {}
        self._ghost_rows: list[tuple[float, float, int, bool, int]] = []
        self._highlight_items: list[pg.GraphicsObject] = []
        self._last_key: tuple | None = None
        self._syncing = False
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(400, 240)
        self._build_ui()
        self._throttle = QTimer(self)
        self._throttle.setSingleShot(True)
        self._throttle.setInterval(THROTTLE_MS)
        self._throttle.timeout.connect(self._on_throttle_timeout)
        self._apply_lanes()
        self._set_default_range()

    # == construction ================================================================================

    def _build_ui(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        header = QWidget(self)
        header.setObjectName("timeline_header")
        header.setAutoFillBackground(True)
        pal = header.palette()
        pal.setColor(QPalette.ColorRole.Window, QColor(BG))
        pal.setColor(QPalette.ColorRole.WindowText, QColor(FG))
        header.setPalette(pal)
        header_layout = QHBoxLayout(header)
        header_layout.setContentsMargins(8, 3, 10, 3)
        self._legend = QLabel(header)  # shows a pre-rendered pixmap of the legend (cheap to repaint)
        self._legend.setObjectName("timeline_legend")
        self._legend_html = ""
        self._info = QLabel(header)
        self._info.setTextFormat(Qt.TextFormat.PlainText)
        info_pal = self._info.palette()
        info_pal.setColor(QPalette.ColorRole.WindowText, QColor("#7d8594"))
        self._info.setPalette(info_pal)
        self._info.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        # the legend is as wide as its pixmap (changes rarely); the info label takes the rest and is
        # clipped from the left when narrow, so a changing count never re-lays out the widget.
        self._info.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        header_layout.addWidget(self._legend, 0)
        header_layout.addWidget(self._info, 1)
        self._header = header
        layout.addWidget(header)

        self._glw = pg.GraphicsLayoutWidget(self)
        self._glw.setBackground(BG)
        self._glw.ci.layout.setContentsMargins(4, 2, 10, 4)
        self._glw.ci.layout.setVerticalSpacing(2)
        self._glw.installEventFilter(self)
        self._glw.viewport().installEventFilter(self)
        layout.addWidget(self._glw, 1)

        # -- lanes -----------------------------------------------------------------------------------
        self._vb = _LaneViewBox(enableMenu=False)
        self._lane_axis = _LaneAxis()
        self._time_axis = pg.DateAxisItem("top", utcOffset=0)
        self._time_axis.setTextPen(pg.mkPen(FG))
        self._time_axis.setPen(pg.mkPen("#3a3f4b"))
        self._plot = self._glw.addPlot(row=0, col=0, viewBox=self._vb,
                                       axisItems={"left": self._lane_axis, "top": self._time_axis})
        self._plot.hideAxis("bottom")
        self._plot.showAxis("top")
        self._plot.hideButtons()
        self._plot.setMenuEnabled(False)
        self._vb.setMouseEnabled(x=True, y=False)
        self._vb.enableAutoRange(x=False, y=False)
        self._vb.invertY(True)

        self._bands = _LaneBands()
        self._bands.setZValue(-30)
        self._plot.addItem(self._bands, ignoreBounds=True)
        self._density_image = pg.ImageItem(axisOrder="row-major")
        self._density_image.setZValue(-10)
        self._plot.addItem(self._density_image)

        self._tick_curves = []
        for k in range(N_KINDS):
            curve = pg.PlotCurveItem(pen=pg.mkPen(KIND_COLORS[k], width=1), connect="pairs",
                                     skipFiniteCheck=True, antialias=False)
            curve.setZValue(k)
            self._plot.addItem(curve)
            self._tick_curves.append(curve)
        dim = QColor(DIM_COLOR)
        dim.setAlpha(80)
        self._dim_curve = pg.PlotCurveItem(pen=pg.mkPen(dim, width=1), connect="pairs",
                                           skipFiniteCheck=True, antialias=False)
        self._dim_curve.setZValue(-1)
        self._plot.addItem(self._dim_curve)
        # one scatter item for all symbols (per-point shape/colour): one paint call instead of four
        self._symbols = pg.ScatterPlotItem(pxMode=True, antialias=True)
        self._symbols.setZValue(5)
        self._plot.addItem(self._symbols)
        dim_fill = QColor(DIM_COLOR)
        dim_fill.setAlpha(70)
        outline = pg.mkPen(BG, width=1)
        no_pen = pg.mkPen(None)
        # per slot (view, engagement, conversion, dimmed): symbol, size, brush, pen
        self._slot_symbol = np.array([*SYMBOLS, "o"], dtype=object)
        self._slot_size = np.array([8.0, 10.0, 11.0, 6.0])
        self._slot_brush = np.array([pg.mkBrush(QColor(c)) for c in KIND_COLORS] + [pg.mkBrush(dim_fill)],
                                    dtype=object)
        self._slot_pen = np.array([outline, outline, outline, no_pen], dtype=object)

        self._ghost_items = (
            pg.ScatterPlotItem(pxMode=True, size=11, symbol="o", brush=None, pen=pg.mkPen(GHOST_AGREE, width=1.6)),
            pg.ScatterPlotItem(pxMode=True, size=11, symbol="o", brush=None, pen=pg.mkPen(GHOST_DISAGREE, width=2.2)),
        )
        for g in self._ghost_items:
            g.setZValue(30)
            self._plot.addItem(g)

        self._cursor = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(SELECT_COLOR, width=1.5))
        self._cursor.setZValue(40)
        self._cursor.hide()
        self._plot.addItem(self._cursor, ignoreBounds=True)
        self._cursor_mark = pg.ScatterPlotItem(pxMode=True, size=18, symbol="s", brush=None,
                                               pen=pg.mkPen(SELECT_COLOR, width=2))
        self._cursor_mark.setZValue(41)
        self._plot.addItem(self._cursor_mark)

        sel_brush = QColor(SELECT_COLOR)
        sel_brush.setAlpha(40)
        self._range_sel = pg.LinearRegionItem(movable=False, brush=pg.mkBrush(sel_brush),
                                              pen=pg.mkPen(SELECT_COLOR))
        self._range_sel.setZValue(35)
        self._range_sel.hide()
        self._plot.addItem(self._range_sel, ignoreBounds=True)

        # -- watch seconds track ----------------------------------------------------------------------
        self._watch_vb = pg.ViewBox(enableMenu=False)
        self._watch_axis = pg.AxisItem("left")
        self._watch_axis.setTextPen(pg.mkPen(FG))
        self._watch_axis.setPen(pg.mkPen("#3a3f4b"))
        self._watch_axis.setLabel("watch s", color=FG)
        self._watch = self._glw.addPlot(row=1, col=0, viewBox=self._watch_vb, axisItems={"left": self._watch_axis})
        self._watch.hideAxis("bottom")
        self._watch.hideButtons()
        self._watch.setMenuEnabled(False)
        self._watch_vb.setMouseEnabled(x=True, y=False)
        self._watch_vb.enableAutoRange(x=False, y=False)
        self._watch.setXLink(self._plot)
        self._watch.setMaximumHeight(90)
        self._watch.setMinimumHeight(60)
        wcol = QColor(KIND_COLORS[KIND_VIEW])
        wcol.setAlpha(200)
        self._watch_curve = pg.PlotCurveItem(pen=pg.mkPen(wcol, width=1), connect="pairs", skipFiniteCheck=True)
        self._watch.addItem(self._watch_curve)
        self._watch_cursor = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(SELECT_COLOR, width=1))
        self._watch_cursor.hide()
        self._watch.addItem(self._watch_cursor, ignoreBounds=True)

        # -- overview strip with brush ----------------------------------------------------------------
        self._ov_vb = pg.ViewBox(enableMenu=False)
        self._ov_axis = pg.DateAxisItem("bottom", utcOffset=0)
        self._ov_axis.setTextPen(pg.mkPen(FG))
        self._ov_axis.setPen(pg.mkPen("#3a3f4b"))
        ov_left = pg.AxisItem("left")
        ov_left.setTicks([[(0.5, "overview")]])
        ov_left.setStyle(tickLength=0)
        ov_left.setTextPen(pg.mkPen("#7d8594"))
        ov_left.setPen(pg.mkPen("#3a3f4b"))
        self._ov = self._glw.addPlot(row=2, col=0, viewBox=self._ov_vb,
                                     axisItems={"bottom": self._ov_axis, "left": ov_left})
        self._ov.hideButtons()
        self._ov.setMenuEnabled(False)
        self._ov_vb.setMouseEnabled(x=False, y=False)
        self._ov_vb.enableAutoRange(x=False, y=False)
        self._ov_vb.invertY(True)
        self._ov.setMaximumHeight(78)
        self._ov.setMinimumHeight(60)
        self._ov_image = pg.ImageItem(axisOrder="row-major")
        # the overview never pans or zooms: cache it as a device pixmap instead of rescaling each frame
        self._ov_image.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self._ov.addItem(self._ov_image)
        brush_col = QColor("#ffffff")
        brush_col.setAlpha(55)
        self._brush = pg.LinearRegionItem(brush=pg.mkBrush(brush_col), pen=pg.mkPen("#ffffff", width=2),
                                          hoverBrush=pg.mkBrush(255, 255, 255, 80))
        self._brush.setZValue(10)
        self._ov.addItem(self._brush, ignoreBounds=True)

        for axis in (self._lane_axis, self._watch_axis, ov_left):
            axis.setWidth(150)
        # these never change with the time range: keep them as cached device pixmaps
        for item in (self._lane_axis, ov_left, self._ov_axis):
            item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

        self._glw.ci.layout.setRowStretchFactor(0, 10)
        self._glw.ci.layout.setRowStretchFactor(1, 1)
        self._glw.ci.layout.setRowStretchFactor(2, 1)

        self._vb.sigXRangeChanged.connect(self._on_view_range_changed)
        self._vb.sigResized.connect(self._on_view_resized)
        self._vb.sigRangeSelecting.connect(self._on_view_range_selecting)
        self._brush.sigRegionChanged.connect(self._on_brush_region_changed)
        scene = self._glw.scene()
        scene.sigMouseClicked.connect(self._on_scene_clicked)
        scene.sigMouseMoved.connect(self._on_scene_mouse_moved)
        self._update_legend()

    # == public API ==================================================================================

    @property
    def lanes(self) -> list[str]:
        return list(self._lanes)

    @property
    def mode(self) -> str:
        """``"density"`` or ``"marks"``: what the lanes currently draw (read-only)."""
        return self._mode

    @property
    def visible_count(self) -> int:
        """Number of events inside the visible time range (as of the last recompute)."""
        return self._visible_count

    @property
    def event_count(self) -> int:
        return self._data.n

    def set_data(self, t: np.ndarray, lane: np.ndarray, kind: np.ndarray, value: np.ndarray,
                 ids: np.ndarray, lanes: list[str] | None = None) -> None:
        """Replace all events. Raises ValueError naming the bad field/position/event id."""
        names = list(lanes) if lanes is not None else self._lanes
        data = LaneIndex(t, lane, kind, value, ids, max(len(names), 1))
        if not names and data.n:
            raise ValueError("timeline set_data: no lane names given (pass lanes=[...])")
        self._lanes = names
        self._data = data
        self._selected = self._selected_id = None
        self._highlights = []
        self._ghosts = []
        self._ghost_by_index = {}
        self._apply_lanes()
        self._rebuild_overview()
        self._rebuild_highlights()
        self._rebuild_ghosts()
        self._update_cursor()
        self._last_key = None
        self.fit_all()
        self._refresh()  # no-op when fit_all already recomputed this range

    def set_selected(self, event_id: int | None) -> None:
        """Draw the selection cursor at ``event_id``; scroll it into view if outside. None clears."""
        idx = None if event_id is None else self._data.index_of(int(event_id))
        self._selected = idx
        self._selected_id = None if idx is None else int(event_id)
        self._update_cursor()
        if idx is not None:
            t = float(self._data.t[idx])
            t0, t1 = self.visible_range()
            if not (t0 <= t <= t1):
                half = (t1 - t0) / 2.0
                self.set_range(t - half, t + half)

    @property
    def selected_id(self) -> int | None:
        return self._selected_id

    def set_dim_mask(self, mask: np.ndarray | None) -> None:
        """Fade events where ``mask`` is False (aligned with set_data order); None un-dims all."""
        self._data.set_dim_mask(mask)
        self._last_key = None
        self._refresh(force=True)
        self._update_legend()

    def set_highlights(self, items: list[HighlightSpec]) -> None:
        self._highlights = list(items)
        self._rebuild_highlights()
        self._update_legend()

    def set_ghosts(self, items: list[GhostSpec]) -> None:
        self._ghosts = list(items)
        self._rebuild_ghosts()
        self._update_legend()

    def set_range(self, t0: float, t1: float) -> None:
        """Show [t0, t1] (clamped to the zoom limits) and recompute the lanes now."""
        t0, t1 = float(t0), float(t1)
        if not (math.isfinite(t0) and math.isfinite(t1)):
            raise ValueError(f"timeline set_range: non-finite range ({t0}, {t1})")
        if t1 < t0:
            t0, t1 = t1, t0
        if t1 - t0 < MIN_SPAN:
            mid = (t0 + t1) / 2.0
            t0, t1 = mid - MIN_SPAN / 2.0, mid + MIN_SPAN / 2.0
        self._vb.setXRange(t0, t1, padding=0.0)
        self._refresh()

    def visible_range(self) -> tuple[float, float]:
        x0, x1 = self._vb.viewRange()[0]
        return float(x0), float(x1)

    def fit_all(self) -> None:
        span = self._data.span()
        if span is None:
            self._set_default_range()
            return
        lo, hi = span
        width = max(hi - lo, 3600.0)
        pad = width * 0.01
        self.set_range(lo - pad, lo + width + pad if hi - lo < 3600.0 else hi + pad)

    def zoom(self, factor: float, center: float | None = None) -> None:
        """Zoom in by ``factor`` (> 1 zooms in, < 1 out) around ``center`` (default: view centre)."""
        if factor <= 0 or not math.isfinite(factor):
            raise ValueError(f"timeline zoom: factor must be a positive number, got {factor}")
        t0, t1 = self.visible_range()
        c = (t0 + t1) / 2.0 if center is None else float(center)
        new0 = c - (c - t0) / factor
        new1 = c + (t1 - c) / factor
        self.set_range(*self._clamped(new0, new1))

    def pan(self, fraction: float) -> None:
        """Move the view by ``fraction`` of its width (positive = later)."""
        t0, t1 = self.visible_range()
        d = (t1 - t0) * float(fraction)
        self.set_range(*self._clamped(t0 + d, t1 + d))

    # == internals: layout and static layers =========================================================

    def _set_default_range(self) -> None:
        self._vb.setXRange(0.0, 90 * 86400.0, padding=0.0)
        self._brush.blockSignals(True)
        self._brush.setRegion((0.0, 90 * 86400.0))
        self._brush.blockSignals(False)
        self._ov_vb.setXRange(0.0, 90 * 86400.0, padding=0.0)

    def _limits(self) -> tuple[float, float] | None:
        span = self._data.span()
        if span is None:
            return None
        lo, hi = span
        width = max(hi - lo, 3600.0)
        return lo - width * 0.05, hi + width * 0.05

    def _clamped(self, t0: float, t1: float) -> tuple[float, float]:
        lim = self._limits()
        if lim is None:
            return t0, t1
        lo, hi = lim
        width = t1 - t0
        if width >= hi - lo:
            return lo, hi
        if t0 < lo:
            return lo, lo + width
        if t1 > hi:
            return hi - width, hi
        return t0, t1

    def _apply_lanes(self) -> None:
        n = max(len(self._lanes), 1)
        counts = self._data.lane_counts
        self._lane_axis.set_lanes(self._lanes, [int(counts[i]) if i < counts.shape[0] else 0
                                                for i in range(len(self._lanes))])
        self._vb.setLimits(yMin=-0.5, yMax=n - 0.5, minYRange=n, maxYRange=n)
        self._vb.setYRange(-0.5, n - 0.5, padding=0.0)
        lim = self._limits()
        if lim is not None:
            self._vb.setLimits(xMin=lim[0], xMax=lim[1], minXRange=MIN_SPAN, maxXRange=lim[1] - lim[0])
        else:
            self._vb.setLimits(xMin=None, xMax=None, minXRange=MIN_SPAN, maxXRange=None)
        self._bands.set_lanes(n)
        self._ov_vb.setYRange(0, n, padding=0.0)

    def _rebuild_overview(self) -> None:
        data = self._data
        span = data.span()
        if span is None:
            self._ov_image.clear()
            self._set_default_range()
            return
        lo, hi = self._limits() or span
        cols = 1200
        img = overview_rgba(data.column_counts(lo, hi, cols))
        self._ov_image.setImage(img, autoLevels=False)
        self._ov_image.setRect(QRectF(lo, 0.0, hi - lo, float(data.n_lanes)))
        self._ov_vb.setLimits(xMin=None, xMax=None)
        self._ov_vb.setXRange(lo, hi, padding=0.0)
        self._brush.setBounds((lo, hi))

    # == internals: level of detail ==================================================================

    def _columns(self) -> int:
        return max(1, int(round(self._vb.width())))

    def _refresh(self, force: bool = False) -> None:
        t0, t1 = self.visible_range()
        cols = self._columns()
        key = (t0, t1, cols, self._data.n, id(self._data))
        if not force and key == self._last_key:
            return
        self._last_key = key
        span = t1 - t0
        if span <= 0:
            return
        data = self._data
        vis = data.slices(t0, t1)
        self._visible_count = vis.total
        self._mode = "marks" if self._visible_count <= MARKS_THRESHOLD else "density"
        # draw a margin of a quarter view on each side so a pan shows no empty edge before the refresh.
        m0, m1 = t0 - span * 0.25, t1 + span * 0.25
        ext_cols = int(cols * 1.5)
        if self._mode == "density":
            self._clear_marks()
            counts = data.column_counts(m0, m1, ext_cols)
            self._density_image.setImage(density_rgba(counts), autoLevels=False)
            self._density_image.setRect(QRectF(m0, -0.5, m1 - m0, float(data.n_lanes)))
            self._density_image.show()
        else:
            self._density_image.hide()
            ext = data.slices(m0, m1)
            if ext.total <= MARKS_THRESHOLD:  # the margin too, unless that alone would be heavy
                self._draw_marks(ext, m0, m1, ext_cols)
            else:
                self._draw_marks(vis, m0, m1, ext_cols)
        self._draw_watch(m0, m1, ext_cols)
        self._place_ghosts()
        self._sync_brush(t0, t1)
        self._update_info()

    def _clear_marks(self) -> None:
        for c in (*self._tick_curves, self._dim_curve):
            if c.isVisible():
                c.setData([], [])
                c.hide()
        if self._symbols.isVisible():
            self._symbols.clear()
            self._symbols.hide()

    def _draw_marks(self, sl, m0: float, m1: float, cols: int) -> None:
        """Real events of the slices: one tick per (lane, kind, pixel column), symbols when few."""
        data = self._data
        spans = [(int(lo), int(hi)) for lo, hi in zip(sl.lo, sl.hi)]
        # contiguous slices per lane (the arrays are in (lane, time) order): no random gathers
        ts = np.concatenate([data.ts[lo:hi] for lo, hi in spans]) if spans else np.zeros(0)
        ks = np.concatenate([data.ks[lo:hi] for lo, hi in spans]).astype(np.int64) if spans else np.zeros(0, np.int64)
        act = np.concatenate([data.active[lo:hi] for lo, hi in spans]) if spans else np.zeros(0, bool)
        lanes = np.repeat(np.arange(len(spans), dtype=np.int64), [hi - lo for lo, hi in spans])
        n_pos = ts.shape[0]
        few = n_pos <= SYMBOLS_THRESHOLD
        slot = np.where(act, ks, N_KINDS)  # 0..2 active kinds, 3 = dimmed
        px = (m1 - m0) / cols
        heights = (0.26, 0.32, 0.38, 0.22)
        curves = (*self._tick_curves, self._dim_curve)
        col = None if few else np.clip(((ts - m0) / px).astype(np.int64), 0, cols - 1)
        for k in range(N_KINDS + 1):
            sel = slot == k
            kt, kl = ts[sel], lanes[sel]
            if col is not None and kt.size > 1:
                # ticks closer than a pixel overlap exactly: keep one per (lane, column). Times are
                # sorted within each lane, so equal neighbours are the duplicates (no sort needed).
                kc = col[sel]
                keep = np.empty(kc.shape[0], dtype=bool)
                keep[0] = True
                keep[1:] = (kc[1:] != kc[:-1]) | (kl[1:] != kl[:-1])
                kt = m0 + (kc[keep] + 0.5) * px
                kl = kl[keep]
            self._set_ticks(curves[k], kt, kl.astype(np.float64), heights[k])
        if few and n_pos:
            draw = np.argsort(np.where(slot == N_KINDS, -1, slot), kind="stable")  # dimmed below, conversions on top
            sl_ = slot[draw]
            self._symbols.setData(x=ts[draw], y=lanes[draw].astype(np.float64), symbol=self._slot_symbol[sl_],
                                  size=self._slot_size[sl_], brush=self._slot_brush[sl_], pen=self._slot_pen[sl_])
            self._symbols.show()
        elif self._symbols.isVisible():
            self._symbols.clear()
            self._symbols.hide()

    @staticmethod
    def _set_ticks(curve: pg.PlotCurveItem, ts: np.ndarray, lanes: np.ndarray, h: float) -> None:
        if not ts.size:
            if curve.isVisible():
                curve.setData([], [])
                curve.hide()
            return
        x = np.repeat(ts, 2)
        y = np.empty(x.shape[0], dtype=np.float64)
        y[0::2] = lanes - h
        y[1::2] = lanes + h
        curve.setData(x=x, y=y, connect="pairs", skipFiniteCheck=True)
        curve.show()

    def _draw_watch(self, m0: float, m1: float, cols: int) -> None:
        data = self._data
        top = max(data.w_max, 2.0) + 0.15  # at least 1..100 s, so the log axis shows decades
        if top != getattr(self, "_watch_top", None):
            self._watch_top = top
            self._watch_vb.setYRange(0.0, top, padding=0.0)
            labels = {0: "1", 1: "10", 2: "100", 3: "1k", 4: "10k", 5: "100k", 6: "1M"}
            step = 1 if top < 4.5 else 2
            self._watch_axis.setTicks([[(float(d), labels.get(d, f"1e{d}")) for d in range(0, int(top) + 1, step)],
                                       []])
        if self._mode == "marks" and self._visible_count <= SYMBOLS_THRESHOLD:
            x, y = data.watch_points(m0, m1)
        else:
            x, y = data.watch_columns(m0, m1, cols)
        if not x.size:
            self._watch_curve.setData([], [])
            return
        xs = np.repeat(x, 2)
        ys = np.zeros(xs.shape[0], dtype=np.float64)
        ys[1::2] = y
        self._watch_curve.setData(x=xs, y=ys, connect="pairs", skipFiniteCheck=True)

    def _sync_brush(self, t0: float, t1: float) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            self._brush.setRegion((t0, t1))
        finally:
            self._syncing = False

    # == internals: highlights, ghosts, selection ====================================================

    def _rebuild_highlights(self) -> None:
        for item in self._highlight_items:
            self._plot.removeItem(item)
        self._highlight_items = []
        data = self._data
        for spec in self._highlights:
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
                self._plot.addItem(curve)
                self._highlight_items.append(curve)
            rings = pg.ScatterPlotItem(x=x, y=y, symbol="o", size=15, brush=None, pen=pg.mkPen(color, width=2),
                                       pxMode=True, antialias=True)
            rings.setZValue(21)
            rings.setToolTip(spec.label or spec.name)
            self._plot.addItem(rings)
            self._highlight_items.append(rings)

    @property
    def highlight_items(self) -> list[pg.GraphicsObject]:
        """The graphics items currently drawing highlights (for inspection/tests)."""
        return list(self._highlight_items)

    def _rebuild_ghosts(self) -> None:
        data = self._data
        self._ghost_by_index = {}
        slot_of: dict[tuple[int, int], int] = {}
        rows: list[tuple[float, float, int, bool, int]] = []
        for g in self._ghosts:
            idx = data.index_of(int(g.event_id))
            if idx is None or not (0 <= int(g.lane) < data.n_lanes):
                continue
            key = (idx, int(g.lane))
            slot = slot_of.get(key, 0)
            slot_of[key] = slot + 1
            self._ghost_by_index.setdefault(idx, []).append(g)
            rows.append((float(data.t[idx]), float(g.lane), slot, bool(g.agrees), int(g.event_id)))
        self._ghost_rows = rows
        self._place_ghosts()

    def _place_ghosts(self) -> None:
        """Put each ghost beside its event, ``slot`` symbol widths to the right (pixel offsets)."""
        rows = getattr(self, "_ghost_rows", [])
        px = self._vb.viewPixelSize()[0] if self._vb.width() > 0 else 0.0
        for item, agrees in zip(self._ghost_items, (True, False)):
            sel = [r for r in rows if r[3] == agrees]
            if not sel:
                item.clear()
                continue
            x = np.array([r[0] + (12.0 + 13.0 * r[2]) * px for r in sel])
            y = np.array([r[1] for r in sel])
            item.setData(x=x, y=y, data=np.array([r[4] for r in sel]))

    @property
    def ghost_items(self) -> tuple[pg.ScatterPlotItem, pg.ScatterPlotItem]:
        """(agreeing, disagreeing) ghost scatter items (for inspection/tests)."""
        return self._ghost_items

    def _update_cursor(self) -> None:
        idx = self._selected
        if idx is None:
            self._cursor.hide()
            self._watch_cursor.hide()
            self._cursor_mark.clear()
            return
        t = float(self._data.t[idx])
        self._cursor.setPos(t)
        self._watch_cursor.setPos(t)
        self._cursor.show()
        self._watch_cursor.show()
        self._cursor_mark.setData(x=[t], y=[float(self._data.lane[idx])])

    # == internals: legend ===========================================================================

    def _update_legend(self) -> None:
        def swatch(color: str, text: str, hollow: bool = False) -> str:
            if hollow:
                return (f"<span style='color:{color}; font-size:13px'>&#9675;</span>"
                        f"&nbsp;{text}&nbsp;&nbsp;")
            return f"<span style='color:{color}; font-size:13px'>&#9632;</span>&nbsp;{text}&nbsp;&nbsp;"

        parts = [swatch(KIND_COLORS[k], KIND_NAMES[k]) for k in range(N_KINDS)]
        if self._data.has_dimmed:
            parts.append(swatch(DIM_COLOR, "filtered"))
        if self._ghosts:
            parts.append(swatch(GHOST_AGREE, "predicted: agrees", hollow=True))
            parts.append(swatch(GHOST_DISAGREE, "predicted: differs", hollow=True))
        for spec in self._highlights:
            label = _escape(spec.label or spec.name)
            parts.append(swatch(spec.color, label, hollow=True))
        text = "".join(parts)
        if text != self._legend_html:
            self._legend_html = text
            pix = self._render_legend(text)
            self._legend.setPixmap(pix)
            self._legend.setFixedWidth(int(math.ceil(pix.width() / pix.devicePixelRatio())))
            self._header.layout().activate()
        self._update_info()

    def _render_legend(self, text: str) -> QPixmap:
        doc = QTextDocument()
        doc.setDefaultFont(self._legend.font())
        doc.setDocumentMargin(0)
        doc.setHtml(f"<span style='color:{FG}; white-space:nowrap'>{text}</span>")
        dpr = self.devicePixelRatioF() or 1.0
        size = doc.size()
        pix = QPixmap(max(1, int(math.ceil(size.width() * dpr))), max(1, int(math.ceil(size.height() * dpr))))
        pix.setDevicePixelRatio(dpr)
        pix.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pix)
        doc.drawContents(painter)
        painter.end()
        return pix

    @property
    def legend_text(self) -> str:
        """The legend's current HTML (for inspection/tests)."""
        return self._legend_html

    def _update_info(self) -> None:
        mode = "density" if self._mode == "density" else "events"
        t0, t1 = self.visible_range()
        info = (f"{_fmt_utc(t0)} \u2013 {_fmt_utc(t1)} UTC \u00b7 {self._visible_count:,} / {self._data.n:,}"
                f" \u00b7 {mode}")
        if info != self._info.text():
            self._info.setText(info)

    # == slots =======================================================================================

    def _on_view_range_changed(self, _vb: object, _rng: object) -> None:
        t0, t1 = self.visible_range()
        self._sync_brush(t0, t1)
        if not self._throttle.isActive():
            self._throttle.start()

    def _on_view_resized(self) -> None:
        if not self._throttle.isActive():
            self._throttle.start()

    def _on_throttle_timeout(self) -> None:
        self._refresh()
        t0, t1 = self.visible_range()
        self.range_changed.emit(t0, t1)

    def _on_brush_region_changed(self) -> None:
        if self._syncing:
            return
        lo, hi = self._brush.getRegion()
        if hi - lo < MIN_SPAN:
            return
        self._syncing = True
        try:
            self._vb.setXRange(lo, hi, padding=0.0)
        finally:
            self._syncing = False

    def _on_view_range_selecting(self, t0: float, t1: float, finished: bool) -> None:
        self._range_sel.setRegion((t0, t1))
        self._range_sel.show()
        if finished:
            if t1 > t0:
                self.range_selected.emit(t0, t1)
            else:
                self._range_sel.hide()

    def clear_range_selection(self) -> None:
        self._range_sel.hide()

    def _pick(self, scene_pos: QPointF) -> int | None:
        """Original index of the event under ``scene_pos`` in the lanes plot, or None."""
        if not self._vb.sceneBoundingRect().contains(scene_pos):
            return None
        p = self._vb.mapSceneToView(scene_pos)
        lane = int(round(p.y()))
        px = self._vb.viewPixelSize()[0]
        return self._data.nearest_in_lane(lane, p.x(), PICK_PIXELS * px)

    def _on_scene_clicked(self, ev) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            return
        pos = ev.scenePos()
        if self._ov_vb.sceneBoundingRect().contains(pos):
            t = self._ov_vb.mapSceneToView(pos).x()
            t0, t1 = self.visible_range()
            half = (t1 - t0) / 2.0
            self.set_range(*self._clamped(t - half, t + half))
            return
        if ev.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            return
        idx = self._pick(pos)
        if idx is None:
            self._range_sel.hide()
            return
        event_id = int(self._data.ids[idx])
        self.setFocus()
        if ev.double():
            self.event_activated.emit(event_id)
        else:
            self.event_clicked.emit(event_id)

    def _on_scene_mouse_moved(self, pos: QPointF) -> None:
        idx = self._pick(pos)
        if idx is None:
            if self._glw.toolTip():
                self._glw.setToolTip("")
                QToolTip.hideText()
            return
        text = self.tooltip_text(int(self._data.ids[idx]))
        self._glw.setToolTip(text)
        global_pos = self._glw.mapToGlobal(self._glw.mapFromScene(pos))
        QToolTip.showText(global_pos, text, self._glw)

    def tooltip_text(self, event_id: int) -> str:
        """The hover text for an event: ``tooltip_provider(event_id)`` if set, else time/lane/kind."""
        idx = self._data.index_of(event_id)
        if idx is None:
            return ""
        text = ""
        if self.tooltip_provider is not None:
            try:
                text = str(self.tooltip_provider(event_id))
            except Exception as exc:  # a provider bug must not crash the hover
                text = f"(tooltip failed: {type(exc).__name__})"
        if not text:
            when = _fmt_utc(float(self._data.t[idx]))
            lane = int(self._data.lane[idx])
            lane_name = self._lanes[lane] if lane < len(self._lanes) else str(lane)
            text = f"{when}  {lane_name}  {KIND_NAMES[int(self._data.kind[idx])]}"
            v = float(self._data.value[idx])
            if math.isfinite(v):
                text += f"  watched {v:g} s"
        for g in self._ghost_by_index.get(idx, []):
            text += f"\npredicted: {g.label or ('agrees' if g.agrees else 'differs')}"
        return text

    # == keyboard ====================================================================================

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.KeyPress and self._handle_key(event):  # type: ignore[arg-type]
            return True
        return super().eventFilter(obj, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if not self._handle_key(event):
            super().keyPressEvent(event)

    def _handle_key(self, event: QKeyEvent) -> bool:
        key = event.key()
        big = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom(2.0 if big else 1.5, self._zoom_centre())
        elif key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.zoom(1 / 2.0 if big else 1 / 1.5, self._zoom_centre())
        elif key == Qt.Key.Key_Left:
            self.pan(-0.5 if big else -0.15)
        elif key == Qt.Key.Key_Right:
            self.pan(0.5 if big else 0.15)
        elif key == Qt.Key.Key_Home:
            self.fit_all()
        else:
            return False
        event.accept()
        return True

    def _zoom_centre(self) -> float | None:
        """Zoom around the selected event when it is on screen, else the view centre."""
        if self._selected is not None:
            t = float(self._data.t[self._selected])
            t0, t1 = self.visible_range()
            if t0 <= t <= t1:
                return t
        return None


def _fmt_utc(t: float) -> str:
    try:
        return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
    except (OverflowError, OSError, ValueError):
        return f"{t:.0f}"


def _escape(text: str) -> str:
    return html.escape(str(text), quote=True)
