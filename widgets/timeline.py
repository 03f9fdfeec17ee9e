"""Timeline explorer: scenario lanes on one date-time axis, fluid at a million events. Layer: widgets.

Imports nothing from ``workbench``: the caller hands over numpy arrays (time, lane, kind, watch
seconds, event ids) and small dataclasses (:class:`HighlightSpec`, :class:`GhostSpec`).

Level of detail: zoomed out, each lane is drawn as per-pixel-column density (one
``np.searchsorted`` per lane into a single RGBA ``ImageItem``); below :data:`MARKS_THRESHOLD` visible
events the real events are drawn as tick marks (one ``PlotCurveItem`` per kind, ``connect='pairs'``)
and, when few, as symbols (shape per kind, for colour-blind readers). Range changes from the mouse are
throttled (~30 Hz) before recomputing; programmatic ``set_range`` recomputes at once. Only the visible
range (plus a margin so a pan does not show empty edges) is ever binned.

Times are epoch seconds treated as naive wall-clock: labelled in UTC, night bands at 22:00-07:00 of
that wall-clock, so no time-zone shift appears anywhere.

The widget is assembled from parts: :mod:`widgets._timeline_lanes` (the lanes and the shared
constants), :mod:`widgets._timeline_watch` (the watch track), :mod:`widgets._timeline_overview` (the
overview strip and its brush), :mod:`widgets._timeline_overlays` (highlights, ghosts, the cursor,
the range selection, the legend), :mod:`widgets._timeline_sessions` (sessions and rationales) and
:mod:`widgets._timeline_input` (mouse, keys, throttled range updates); :mod:`widgets._timeline_data`
holds the pure numpy index. This module holds the public API and decides what the parts draw
(level of detail).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPalette, QPixmap, QTextDocument
from PySide6.QtWidgets import (
    QGraphicsItem,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from widgets._time_fold import TimeFold
from widgets._timeline_data import KIND_COLORS, LaneIndex
from widgets._timeline_input import TimelineInputMixin, fmt_utc
from widgets._timeline_lanes import (
    BG,
    FG,
    MARKS_THRESHOLD,
    MIN_SPAN,
    SYMBOLS_THRESHOLD,
    THROTTLE_MS,
    LanesPlot,
)
from widgets._timeline_overlays import GhostSpec, HighlightSpec, Overlays, legend_html
from widgets._timeline_overview import DEFAULT_SPAN, Overview
from widgets._timeline_sessions import RationaleTrack, SessionAxisMixin, SessionMarks
from widgets._timeline_watch import WatchTrack

__all__ = ["KIND_COLORS", "MARKS_THRESHOLD", "GhostSpec", "HighlightSpec", "TimelineWidget"]


class TimelineWidget(SessionAxisMixin, TimelineInputMixin, QWidget):
    """Scenario lanes on a shared date-time axis, a watch-seconds track and an overview brush;
    for session traces a folded time axis and a rationale track (:class:`SessionAxisMixin`)."""

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
        self._last_key: tuple | None = None
        self._syncing = False
        self._fold: TimeFold | None = None          # folded session axis (None: linear time)
        self._sessions: tuple[np.ndarray, np.ndarray] = (np.zeros(0), np.zeros(0))  # real starts, ends
        self._folded = False                        # whether the fold is applied (unfold on demand)
        self._t_real = np.zeros(0)
        self._notes: tuple[np.ndarray, list[str], np.ndarray] = (np.zeros(0), [], np.zeros(0, np.int64))
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
        layout.addWidget(self._build_header())
        self._glw = pg.GraphicsLayoutWidget(self)
        self._glw.setBackground(BG)
        self._glw.ci.layout.setContentsMargins(4, 2, 10, 4)
        self._glw.ci.layout.setVerticalSpacing(2)
        self._glw.installEventFilter(self)
        self._glw.viewport().installEventFilter(self)
        layout.addWidget(self._glw, 1)
        # said instead of drawing an empty 1970 axis when there is nothing to show
        self._empty_label = QLabel("No events to show.", self._glw)
        self._empty_label.setObjectName("timeline_empty")
        self._empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty_label.setWordWrap(True)
        self._empty_label.setStyleSheet(f"color: {FG}; background: {BG}; font-size: 15px;")
        self._empty_label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)

        self.lanes_plot = LanesPlot(self._glw)
        self.watch_track = WatchTrack(self._glw, self.lanes_plot.plot)
        self.overview = Overview(self._glw)
        self.overlays = Overlays(self.lanes_plot.plot, self.watch_track.cursor)
        self.session_marks = SessionMarks(self.lanes_plot.plot)
        self.rationale_track = RationaleTrack(self.watch_track.plot, self.watch_track.axis, "watch s")
        self._date_axes = [(a, a.tickStrings) for a in (self.lanes_plot.time_axis, self.overview.axis)
                           if isinstance(a, pg.DateAxisItem)]
        # the items the widget drives directly (tests read some of them)
        self._vb = self.lanes_plot.vb
        self._plot = self.lanes_plot.plot
        self._lane_axis = self.lanes_plot.lane_axis
        self._density_image = self.lanes_plot.density_image
        self._tick_curves = self.lanes_plot.tick_curves
        self._dim_curve = self.lanes_plot.dim_curve
        self._cursor = self.overlays.cursor
        self._range_sel = self.overlays.range_sel
        self._ov_vb = self.overview.vb
        self._brush = self.overview.brush

        for axis in (self._lane_axis, self.watch_track.axis, self.overview.left):
            axis.setWidth(150)
        # these never change with the time range: keep them as cached device pixmaps
        for item in (self._lane_axis, self.overview.left, self.overview.axis):
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

    def _build_header(self) -> QWidget:
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
        self._info.installEventFilter(self)          # re-fit the range text when the header resizes
        # the legend may be cut on the right in a narrow window (its full text is the tooltip)
        self._legend.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self._legend.setMinimumWidth(0)
        self._header = header
        return header

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
        # new data starts on a linear axis without sessions or rationales (set_sessions/set_notes follow)
        self._fold, self._folded = None, False
        self._sessions = (np.zeros(0), np.zeros(0))
        self._notes = (np.zeros(0), [], np.zeros(0, np.int64))
        self._apply_time_axis()
        self.rationale_track.set_notes(np.zeros(0), [], np.zeros(0, np.int64), 1.0)
        self._t_real = np.asarray(t, dtype=np.float64)
        data = LaneIndex(self._to_display(t), lane, kind, value, ids, max(len(names), 1))
        if not names and data.n:
            raise ValueError("timeline set_data: no lane names given (pass lanes=[...])")
        self._lanes = names
        self._data = data
        self._selected = self._selected_id = None
        self._highlights = []
        self._ghosts = []
        self._apply_lanes()
        self._rebuild_overview()
        self._rebuild_highlights()
        self._rebuild_ghosts()
        self._update_cursor()
        self._draw_sessions()
        self._last_key = None
        self.fit_all()
        self._refresh()  # no-op when fit_all already recomputed this range

    def set_empty_text(self, text: str) -> None:
        """What the timeline says while it has no events (instead of an empty 1970 axis)."""
        self._empty_label.setText(text)

    def empty_text_shown(self) -> str:
        """The empty-state text when it is shown, else ""."""
        return self._empty_label.text() if self._data.n == 0 and not self._empty_label.isHidden() else ""

    def set_selected(self, event_id: int | None) -> None:
        """Draw the selection cursor at ``event_id``; scroll it into view if outside. None clears."""
        idx = None if event_id is None else self._data.index_of(int(event_id))
        self._selected = idx
        self._selected_id = None if idx is None else int(event_id)
        self._update_cursor()
        if idx is not None:
            t = float(self._data.t[idx])
            t0, t1 = self._view_range()
            if not (t0 <= t <= t1):
                half = (t1 - t0) / 2.0
                self._set_view(t - half, t + half)

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
        """Show [t0, t1] (real epoch seconds; clamped to the zoom limits) and recompute the lanes now."""
        t0, t1 = float(t0), float(t1)
        if not (math.isfinite(t0) and math.isfinite(t1)):
            raise ValueError(f"timeline set_range: non-finite range ({t0}, {t1})")
        self._set_view(float(self._to_display(t0)), float(self._to_display(t1)))

    def _set_view(self, t0: float, t1: float) -> None:
        """Show [t0, t1] in display time (what the plots draw; equal to real time unless folded)."""
        if t1 < t0:
            t0, t1 = t1, t0
        if t1 - t0 < MIN_SPAN:
            mid = (t0 + t1) / 2.0
            t0, t1 = mid - MIN_SPAN / 2.0, mid + MIN_SPAN / 2.0
        self._vb.setXRange(t0, t1, padding=0.0)
        self._refresh()

    def link_x(self, other: TimelineWidget) -> None:
        """Share the time axis with ``other``: zoom and pan in either move both at once (pyqtgraph's
        X-link of the two view boxes); each still bins its own lanes for the visible range."""
        self._vb.setXLink(other._vb)

    def visible_range(self) -> tuple[float, float]:
        """The visible range in real epoch seconds."""
        x0, x1 = self._view_range()
        return float(self._to_real(x0)), float(self._to_real(x1))

    def _view_range(self) -> tuple[float, float]:
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
        self._set_view(lo - pad, lo + width + pad if hi - lo < 3600.0 else hi + pad)

    def zoom(self, factor: float, center: float | None = None) -> None:
        """Zoom in by ``factor`` (> 1 zooms in, < 1 out) around ``center`` (default: view centre)."""
        if factor <= 0 or not math.isfinite(factor):
            raise ValueError(f"timeline zoom: factor must be a positive number, got {factor}")
        t0, t1 = self._view_range()
        c = (t0 + t1) / 2.0 if center is None else float(center)
        new0 = c - (c - t0) / factor
        new1 = c + (t1 - c) / factor
        self._set_view(*self._clamped(new0, new1))

    def pan(self, fraction: float) -> None:
        """Move the view by ``fraction`` of its width (positive = later)."""
        t0, t1 = self._view_range()
        d = (t1 - t0) * float(fraction)
        self._set_view(*self._clamped(t0 + d, t1 + d))

    # == internals: layout and static layers =========================================================
    # == internals: layout and static layers =========================================================

    def _set_default_range(self) -> None:
        self._vb.setXRange(0.0, DEFAULT_SPAN, padding=0.0)
        self.overview.show_default()

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
        counts = self._data.lane_counts
        self.lanes_plot.set_lanes(self._lanes, [int(counts[i]) if i < counts.shape[0] else 0
                                                for i in range(len(self._lanes))], self._limits())
        self.overview.set_lanes(max(len(self._lanes), 1))

    def _rebuild_overview(self) -> None:
        span = self._data.span()
        if span is None:
            self.overview.image.clear()
            self._set_default_range()
            return
        lo, hi = self._limits() or span
        self.overview.rebuild(self._data, lo, hi)

    # == internals: level of detail ==================================================================

    def _columns(self) -> int:
        return max(1, int(round(self._vb.width())))

    def _refresh(self, force: bool = False) -> None:
        t0, t1 = self._view_range()
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
            self.lanes_plot.draw_density(data, m0, m1, ext_cols)
        else:
            ext = data.slices(m0, m1)
            # the margin too, unless that alone would be heavy
            self.lanes_plot.draw_marks(data, ext if ext.total <= MARKS_THRESHOLD else vis, m0, m1, ext_cols)
        points = self._mode == "marks" and self._visible_count <= SYMBOLS_THRESHOLD
        units_per_px = span / max(cols, 1)
        self.session_marks.layout(units_per_px)
        if self.rationale_track.active:
            self.watch_track.curve.setData([], [])
            self.watch_track._top = None  # the watch axis gets its ticks back when rationales go
            self.rationale_track.draw(t0, t1, units_per_px)
        else:
            self.watch_track.draw(data, m0, m1, ext_cols, points)
        self._place_ghosts()
        self._sync_brush(t0, t1)
        self._update_info()

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
        self.overlays.set_highlights(self._data, self._highlights)

    @property
    def highlight_items(self) -> list[pg.GraphicsObject]:
        """The graphics items currently drawing highlights (for inspection/tests)."""
        return list(self.overlays.highlight_items)

    def _ghost_px(self) -> float:
        return self._vb.viewPixelSize()[0] if self._vb.width() > 0 else 0.0

    def _rebuild_ghosts(self) -> None:
        self.overlays.set_ghosts(self._data, self._ghosts, self._ghost_px())

    def _place_ghosts(self) -> None:
        self.overlays.place_ghosts(self._ghost_px())

    @property
    def ghost_items(self) -> tuple[pg.ScatterPlotItem, pg.ScatterPlotItem]:
        """(agreeing, disagreeing) ghost scatter items (for inspection/tests)."""
        return self.overlays.ghost_items

    def _update_cursor(self) -> None:
        self.overlays.set_cursor(self._data, self._selected)

    # == internals: legend ===========================================================================

    def _update_legend(self) -> None:
        text = legend_html(self._data.has_dimmed, self._ghosts, self._highlights)
        if text != self._legend_html:
            self._legend_html = text
            pix = self._render_legend(text)
            self._legend.setPixmap(pix)
            self._legend.setMaximumWidth(int(math.ceil(pix.width() / pix.devicePixelRatio())))
            self._legend.setMinimumWidth(min(120, self._legend.maximumWidth()))
            self._legend.setToolTip(QTextDocument(text).toPlainText() if text else "")
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

    def info_candidates(self) -> list[str]:
        """The header's range text, longest first (the first that fits is shown)."""
        if self._data.n == 0:
            return ["no events"]
        mode = "density" if self._mode == "density" else "events"
        t0, t1 = self.visible_range()
        counts = f"{self._visible_count:,} / {self._data.n:,}"
        full = f"{fmt_utc(t0)} \u2013 {fmt_utc(t1)} UTC"
        days = f"{fmt_utc(t0)[:10]} \u2013 {fmt_utc(t1)[:10]}"
        short = f"{fmt_utc(t0)[5:10]} \u2013 {fmt_utc(t1)[5:10]}"
        folded = f" \u00b7 {len(self._fold.folds)} gaps folded" if self.time_fold else ""
        return [f"{full} \u00b7 {counts} \u00b7 {mode}{folded}", f"{full} \u00b7 {counts}{folded}",
                f"{days} \u00b7 {counts}{folded}", f"{days} \u00b7 {counts}", days, short]

    def _update_info(self) -> None:
        candidates = self.info_candidates()
        fm = self._info.fontMetrics()
        room = self._info.width()
        info = next((c for c in candidates if fm.horizontalAdvance(c) <= room), candidates[-1])
        if info != self._info.text():
            self._info.setText(info)           # never clipped: a shorter form, never a cut one
        self._info.setToolTip(candidates[0])
        self._empty_label.setVisible(self._data.n == 0)
