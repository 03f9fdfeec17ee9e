"""The timeline's lanes: one band per scenario on the shared time axis, drawn as density when zoomed
out and as real event marks (ticks, and symbols when few) when zoomed in. Layer: widgets.

Also the timeline's shared constants (level-of-detail thresholds, colours). :class:`LanesPlot` owns
the lanes plot's pyqtgraph items; :class:`widgets.timeline.TimelineWidget` decides what they draw.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont

from widgets._timeline_data import DIM_COLOR, KIND_COLORS, N_KINDS, LaneIndex, density_rgba

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


class TidyDateAxis(pg.DateAxisItem):
    """A date axis whose tick labels never overlap: a label that would touch one already placed
    (finer levels come after coarser ones) is left out, however narrow the axis."""

    GAP = 6.0

    def generateDrawSpecs(self, p):  # noqa: N802 (pyqtgraph naming)
        specs = super().generateDrawSpecs(p)
        if specs is None:
            return None
        axis_spec, tick_specs, text_specs = specs
        return axis_spec, tick_specs, tidy_labels(text_specs, self.GAP)


def tidy_labels(text_specs: list, gap: float) -> list:
    """The ``(rect, flags, text)`` label specs without those overlapping an earlier one (rects are
    widened by ``gap`` pixels on each side)."""
    kept: list = []
    for spec in text_specs:
        rect = spec[0].adjusted(-gap, 0, gap, 0)
        if any(rect.intersects(k[0]) for k in kept):
            continue
        kept.append(spec)
    return kept


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

    def label_rects(self) -> list[tuple[QRectF, str, bool]]:
        """Where each lane's name (and, when the lane is tall enough, its count) goes: ``(rect,
        text, is_count)`` in axis coordinates. Squeezed lanes drop their counts first, then the
        names that would touch a neighbour's, so no two labels ever overlap."""
        view = self.linkedView()
        if view is None or not self.lane_names:
            return []
        right = self.boundingRect().right() - 10
        ys = [self.mapFromScene(view.mapViewToScene(QPointF(0.0, float(i)))).y() for i in range(len(self.lane_names))]
        pitch = min((abs(b - a) for a, b in zip(ys, ys[1:])), default=60.0)
        out: list[tuple[QRectF, str, bool]] = []
        taken: list[QRectF] = []
        for i, name in enumerate(self.lane_names):
            y = ys[i]
            # tall lanes: name above the centre line, count below; squeezed: the name alone, centred
            name_rect = QRectF(0, y - 16, right, 16) if pitch >= 32 else QRectF(0, y - 8, right, 16)
            if not any(name_rect.intersects(r) for r in taken):
                out.append((name_rect, name, False))
                taken.append(name_rect)
            if pitch >= 32 and i < len(self.lane_counts):
                count_rect = QRectF(0, y + 1, right, 14)
                if not any(count_rect.intersects(r) for r in taken):
                    out.append((count_rect, f"{self.lane_counts[i]:,} events", True))
                    taken.append(count_rect)
        return out

    def paint(self, p, opt, widget):  # noqa: D102 (Qt paint)
        rect = self.boundingRect()
        p.setPen(self.pen())
        p.drawLine(rect.topRight(), rect.bottomRight())
        for label_rect, text, is_count in self.label_rects():
            p.setFont(self._count_font if is_count else self._name_font)
            p.setPen(QColor("#7d8594" if is_count else FG))
            flags = Qt.AlignmentFlag.AlignRight | (Qt.AlignmentFlag.AlignTop if is_count else Qt.AlignmentFlag.AlignBottom)
            p.drawText(label_rect, int(flags), text)


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


class LanesPlot:
    """The lanes plot (row 0 of the timeline's layout): axes, bands, density image, ticks, symbols."""

    def __init__(self, glw: pg.GraphicsLayoutWidget) -> None:
        self.vb = _LaneViewBox(enableMenu=False)
        self.lane_axis = _LaneAxis()
        self.time_axis = TidyDateAxis("top", utcOffset=0)
        self.time_axis.setTextPen(pg.mkPen(FG))
        self.time_axis.setPen(pg.mkPen("#3a3f4b"))
        self.plot = glw.addPlot(row=0, col=0, viewBox=self.vb,
                                axisItems={"left": self.lane_axis, "top": self.time_axis})
        self.plot.hideAxis("bottom")
        self.plot.showAxis("top")
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.vb.setMouseEnabled(x=True, y=False)
        self.vb.enableAutoRange(x=False, y=False)
        self.vb.invertY(True)

        self.bands = _LaneBands()
        self.bands.setZValue(-30)
        self.plot.addItem(self.bands, ignoreBounds=True)
        self.density_image = pg.ImageItem(axisOrder="row-major")
        self.density_image.setZValue(-10)
        self.plot.addItem(self.density_image)
        self._build_marks()

    def _build_marks(self) -> None:
        self.tick_curves = []
        for k in range(N_KINDS):
            curve = pg.PlotCurveItem(pen=pg.mkPen(KIND_COLORS[k], width=1), connect="pairs",
                                     skipFiniteCheck=True, antialias=False)
            curve.setZValue(k)
            self.plot.addItem(curve)
            self.tick_curves.append(curve)
        dim = QColor(DIM_COLOR)
        dim.setAlpha(80)
        self.dim_curve = pg.PlotCurveItem(pen=pg.mkPen(dim, width=1), connect="pairs",
                                          skipFiniteCheck=True, antialias=False)
        self.dim_curve.setZValue(-1)
        self.plot.addItem(self.dim_curve)
        # one scatter item for all symbols (per-point shape/colour): one paint call instead of four
        self.symbols = pg.ScatterPlotItem(pxMode=True, antialias=True)
        self.symbols.setZValue(5)
        self.plot.addItem(self.symbols)
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

    def set_lanes(self, names: list[str], counts: list[int], limits: tuple[float, float] | None) -> None:
        """Name the lanes (with their event counts) and bound panning/zooming to ``limits`` (seconds)."""
        n = max(len(names), 1)
        self.lane_axis.set_lanes(names, counts)
        self.vb.setLimits(yMin=-0.5, yMax=n - 0.5, minYRange=n, maxYRange=n)
        self.vb.setYRange(-0.5, n - 0.5, padding=0.0)
        if limits is not None:
            self.vb.setLimits(xMin=limits[0], xMax=limits[1], minXRange=MIN_SPAN, maxXRange=limits[1] - limits[0])
        else:
            self.vb.setLimits(xMin=None, xMax=None, minXRange=MIN_SPAN, maxXRange=None)
        self.bands.set_lanes(n)

    def draw_density(self, data: LaneIndex, m0: float, m1: float, cols: int) -> None:
        """Draw ``m0..m1`` as ``cols`` columns of per-lane density (the marks are hidden)."""
        self.clear_marks()
        counts = data.column_counts(m0, m1, cols)
        self.density_image.setImage(density_rgba(counts), autoLevels=False)
        self.density_image.setRect(QRectF(m0, -0.5, m1 - m0, float(data.n_lanes)))
        self.density_image.show()

    def clear_marks(self) -> None:
        """Hide the ticks and symbols."""
        for c in (*self.tick_curves, self.dim_curve):
            if c.isVisible():
                c.setData([], [])
                c.hide()
        if self.symbols.isVisible():
            self.symbols.clear()
            self.symbols.hide()

    def draw_marks(self, data: LaneIndex, sl, m0: float, m1: float, cols: int) -> None:
        """Real events of the slices: one tick per (lane, kind, pixel column), symbols when few."""
        self.density_image.hide()
        spans = [(int(lo), int(hi)) for lo, hi in zip(sl.lo, sl.hi)]
        # contiguous slices per lane (the arrays are in (lane, time) order): no random gathers
        ts = np.concatenate([data.ts[lo:hi] for lo, hi in spans]) if spans else np.zeros(0)
        ks = np.concatenate([data.ks[lo:hi] for lo, hi in spans]).astype(np.int64) if spans else np.zeros(0, np.int64)
        act = np.concatenate([data.active[lo:hi] for lo, hi in spans]) if spans else np.zeros(0, bool)
        lanes = np.repeat(np.arange(len(spans), dtype=np.int64), [hi - lo for lo, hi in spans])
        few = ts.shape[0] <= SYMBOLS_THRESHOLD
        slot = np.where(act, ks, N_KINDS)  # 0..2 active kinds, 3 = dimmed
        px = (m1 - m0) / cols
        heights = (0.26, 0.32, 0.38, 0.22)
        curves = (*self.tick_curves, self.dim_curve)
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
            self.set_ticks(curves[k], kt, kl.astype(np.float64), heights[k])
        self._draw_symbols(ts, lanes, slot, few)

    def _draw_symbols(self, ts: np.ndarray, lanes: np.ndarray, slot: np.ndarray, few: bool) -> None:
        if few and ts.shape[0]:
            draw = np.argsort(np.where(slot == N_KINDS, -1, slot), kind="stable")  # dimmed below, conversions on top
            sl_ = slot[draw]
            self.symbols.setData(x=ts[draw], y=lanes[draw].astype(np.float64), symbol=self._slot_symbol[sl_],
                                 size=self._slot_size[sl_], brush=self._slot_brush[sl_], pen=self._slot_pen[sl_])
            self.symbols.show()
        elif self.symbols.isVisible():
            self.symbols.clear()
            self.symbols.hide()

    @staticmethod
    def set_ticks(curve: pg.PlotCurveItem, ts: np.ndarray, lanes: np.ndarray, h: float) -> None:
        """Vertical ticks of half-height ``h`` (lane units) at times ``ts`` on ``lanes``; hidden when none."""
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
