"""Session marks and the rationale track of the timeline. Layer: widgets (Qt; nothing from workbench).

* :class:`SessionMarks` draws, on the lanes plot, a line at each session start and end and, for
  each gap that a :class:`~widgets._time_fold.TimeFold` folds, a hatched break with the real length
  of the gap ("⋯ 5 d 23 h ⋯"), so a folded axis never hides how much time passed.
* :class:`SessionAxisMixin` gives :class:`~widgets.timeline.TimelineWidget` its session API
  (``set_sessions``, ``set_folded``, ``set_notes``) and the real <-> display time conversions: the
  widget's public times (``set_data``, ``set_range``, ``visible_range``, its signals) stay real
  epoch seconds, the plots draw display time.
* :class:`RationaleTrack` uses the row under the lanes (the watch track's plot, which web-shopping
  traces leave empty) for the shopper's own words: a marker at each rationale and, when few are in
  view, the words themselves. With no rationales it gives the row back to the watch track.

Both take display times (after folding) and are redrawn by the timeline when the view changes.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from widgets._time_fold import TimeFold, fold_label
from widgets._timeline_data import LaneIndex
from widgets._timeline_lanes import FG

SESSION_COLOR = "#9aa3b2"
FOLD_COLOR = "#4a5060"
RATIONALE_COLOR = "#f0c674"
#: At most this many rationales get their words drawn (else markers only; hover shows the text).
MAX_LABELS = 8
LABEL_CHARS = 70
#: Labels closer than this many pixels to the previous one shown are hidden.
LABEL_GAP_PX = 90.0
#: Rationale words are drawn only when the previous one shown is this many pixels away.
NOTE_GAP_PX = 260.0


class SessionMarks:
    """Session boundaries and folded gaps on the lanes plot (display coordinates)."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self.plot = plot
        self.bounds = pg.PlotCurveItem(pen=pg.mkPen(SESSION_COLOR, width=1, style=Qt.PenStyle.DashLine),
                                       connect="pairs")
        self.bounds.setZValue(5)
        plot.addItem(self.bounds, ignoreBounds=True)
        self.items: list[pg.GraphicsObject] = []
        self.fold: TimeFold | None = None
        self.n_lanes = 1

    def clear(self) -> None:
        for item in self.items:
            self.plot.removeItem(item)
        self.items = []
        self.bounds.setData([], [])

    def set_fold(self, fold: TimeFold | None, starts: np.ndarray, ends: np.ndarray, n_lanes: int) -> None:
        """Draw session ``starts``/``ends`` (display seconds) and the folds of ``fold`` (None: none)."""
        self.clear()
        self.fold = fold
        self.n_lanes = max(1, n_lanes)
        top, bottom = -0.5, self.n_lanes - 0.5
        xs = np.concatenate([np.asarray(starts, float), np.asarray(ends, float)])
        if xs.size:
            x = np.repeat(xs, 2)
            y = np.tile([top, bottom], xs.size)
            self.bounds.setData(x=x, y=y, connect="pairs")
        for f in (fold.folds if fold is not None else []):
            band = pg.LinearRegionItem((f.display_start, f.display_end), movable=False,
                                       brush=pg.mkBrush(QColor(FOLD_COLOR)), pen=pg.mkPen(None))
            band.setZValue(4)
            label = pg.TextItem(f"⋯ {fold_label(f.real_seconds)} ⋯", color=FG, anchor=(0.5, 0.0))
            label.setPos((f.display_start + f.display_end) / 2.0, top)
            label.setZValue(6)
            for item in (band, label):
                self.plot.addItem(item, ignoreBounds=True)
                self.items.append(item)

    @property
    def fold_labels(self) -> list[str]:
        return [i.toPlainText() for i in self.items if isinstance(i, pg.TextItem)]

    def layout(self, units_per_px: float) -> None:
        """Show a fold's label only where it does not run into the previous one shown."""
        if units_per_px <= 0:
            return
        last = -np.inf
        for item in self.items:
            if isinstance(item, pg.TextItem):
                x = item.pos().x()
                room = (x - last) / units_per_px
                show = room >= LABEL_GAP_PX
                item.setVisible(bool(show))
                if show:
                    last = x


class RationaleTrack:
    """The shopper's rationales in the row under the lanes (see the module docstring)."""

    def __init__(self, plot: pg.PlotItem, axis: pg.AxisItem, default_label: str) -> None:
        self.plot = plot
        self.axis = axis
        self.default_label = default_label
        col = QColor(RATIONALE_COLOR)
        self.markers = pg.ScatterPlotItem(symbol="o", size=9, pen=pg.mkPen(col.darker(150)), brush=pg.mkBrush(col))
        self.markers.setZValue(8)
        plot.addItem(self.markers)
        self.labels: list[pg.TextItem] = []
        self.x = np.zeros(0)
        self.texts: list[str] = []
        self.ids = np.zeros(0, np.int64)

    @property
    def active(self) -> bool:
        return bool(self.x.size)

    def set_notes(self, x: np.ndarray, texts: list[str], ids: np.ndarray, y: float) -> None:
        """Rationales at display times ``x`` (with their event ids), drawn at height ``y``."""
        order = np.argsort(np.asarray(x, float), kind="stable")
        self.x = np.asarray(x, float)[order]
        self.texts = [texts[i] for i in order]
        self.ids = np.asarray(ids, np.int64)[order]
        self._y = float(y)
        self.markers.setData(x=self.x, y=np.full(self.x.size, self._y), data=self.ids)
        self.axis.setLabel("rationale" if self.active else self.default_label, color=FG)
        if self.active:
            self.axis.setTicks([[], []])   # the watch track's decades mean nothing here
        self._clear_labels()

    def _clear_labels(self) -> None:
        for label in self.labels:
            self.plot.removeItem(label)
        self.labels = []

    def draw(self, x0: float, x1: float, units_per_px: float = 0.0) -> None:
        """Words of the rationales in ``[x0, x1]`` when there are at most ``MAX_LABELS`` of them,
        each far enough (``NOTE_GAP_PX``) from the previous one drawn; hover shows the others."""
        self._clear_labels()
        if not self.active:
            return
        lo, hi = np.searchsorted(self.x, [x0, x1])
        if hi - lo > MAX_LABELS:
            return
        last = -np.inf
        for k in range(lo, hi):
            if units_per_px > 0 and (self.x[k] - last) / units_per_px < NOTE_GAP_PX:
                continue
            last = self.x[k]
            text = self.texts[k]
            short = text if len(text) <= LABEL_CHARS else text[:LABEL_CHARS - 1] + "…"
            label = pg.TextItem(f"“{short}”", color=RATIONALE_COLOR, anchor=(0.0, 0.5))
            label.setPos(self.x[k], self._y)
            self.plot.addItem(label)
            self.labels.append(label)

    def text_near(self, x: float, tolerance: float) -> str | None:
        """The rationale whose marker is within ``tolerance`` of ``x`` (display seconds)."""
        if not self.active:
            return None
        k = int(np.searchsorted(self.x, x))
        best = min((i for i in (k - 1, k) if 0 <= i < self.x.size), key=lambda i: abs(self.x[i] - x), default=None)
        if best is None or abs(self.x[best] - x) > tolerance:
            return None
        return self.texts[best]


class SessionAxisMixin:
    """Session API of the timeline widget (mixed into ``TimelineWidget``; uses its parts)."""

    _fold: TimeFold | None
    _folded: bool
    _sessions: tuple[np.ndarray, np.ndarray]
    _notes: tuple[np.ndarray, list[str], np.ndarray]
    _t_real: np.ndarray

    def set_sessions(self, starts: np.ndarray, ends: np.ndarray, fold: bool = True,
                     min_gap: float | None = None) -> None:
        """Session spans (real epoch seconds) of the current data: their boundaries are marked and,
        with ``fold``, the long gaps between them are folded. Empty arrays: no sessions (linear
        axis). Call after :meth:`set_data`; raises ValueError for bad spans."""
        starts = np.asarray(starts, dtype=np.float64)
        ends = np.asarray(ends, dtype=np.float64)
        kwargs = {} if min_gap is None else {"min_gap": float(min_gap)}
        new_fold = TimeFold.from_sessions(starts, ends, **kwargs) if starts.size else None
        was_folded = self.time_fold is not None
        real = self.visible_range() if self._data.n else None
        self._fold = new_fold
        self._sessions = (starts, ends)
        self._folded = bool(fold and new_fold is not None)
        # a first fold shows every session (the range before was the linear one); a refold keeps it
        self._reapply_time(real if was_folded or not self._folded else None)

    def set_folded(self, folded: bool) -> None:
        """Fold the gaps between sessions (True) or show linear time (False: unfold on demand)."""
        folded = bool(folded and self._fold is not None)
        if folded != self._folded:
            real = self.visible_range() if self._data.n else None
            self._folded = folded
            self._reapply_time(real)

    @property
    def folded(self) -> bool:
        return self._folded

    @property
    def time_fold(self) -> TimeFold | None:
        """The fold in use (None when the axis is linear)."""
        return self._fold if self._folded else None

    def set_notes(self, t: np.ndarray, texts: list[str], ids: np.ndarray) -> None:
        """Rationales (the shopper's own words) at real times ``t`` for events ``ids``, drawn in the
        row under the lanes; empty arrays remove them."""
        self._notes = (np.asarray(t, dtype=np.float64), list(texts), np.asarray(ids, dtype=np.int64))
        self.rationale_track.set_notes(self._to_display(self._notes[0]), self._notes[1], self._notes[2], 1.0)
        self._last_key = None
        self._refresh(force=True)

    def _to_display(self, t: object) -> np.ndarray:
        fold = self.time_fold
        return np.asarray(t, dtype=np.float64) if fold is None else fold.to_display(t)

    def _to_real(self, x: object) -> np.ndarray:
        fold = self.time_fold
        return np.asarray(x, dtype=np.float64) if fold is None else fold.to_real(x)

    def _reapply_time(self, real: tuple[float, float] | None) -> None:
        """Re-place everything after the time mapping changed, keeping the selection and showing the
        real range ``real`` (None: everything)."""
        selected = self._selected_id
        self._rebuild_data()
        self._apply_time_axis()
        self.rationale_track.set_notes(self._to_display(self._notes[0]), self._notes[1], self._notes[2], 1.0)
        self._draw_sessions()
        if selected is not None:
            self.set_selected(selected)
        if real is not None:
            self.set_range(*real)
        elif self._data.n:
            self.fit_all()
        self._last_key = None
        self._refresh(force=True)

    def _apply_time_axis(self) -> None:
        """Date labels of the real time at each tick; night bands only on a linear axis."""
        fold = self.time_fold
        self.lanes_plot.bands.show_night = fold is None
        self.lanes_plot.bands.update()
        for axis, strings in self._date_axes:  # ticks sit at display times, labels say the real time
            axis.tickStrings = strings if fold is None else (
                lambda values, scale, spacing, f=strings: f(list(fold.to_real(values)), scale, spacing))
            axis.picture = None
            axis.update()

    def _rebuild_data(self) -> None:
        """The lane index again from the real times (display times follow the current mapping)."""
        d = self._data
        if not d.n:
            return
        dim = None
        if d.has_dimmed:  # the mask in set_data order (``active`` is in sorted order)
            dim = np.empty(d.n, dtype=bool)
            dim[d.order] = d.active
        self._data = LaneIndex(self._to_display(self._t_real), d.lane, d.kind, d.value, d.ids, d.n_lanes)
        if dim is not None:
            self._data.set_dim_mask(dim)
        self._apply_lanes()
        self._rebuild_overview()
        self._rebuild_highlights()
        self._rebuild_ghosts()
        self._update_cursor()

    def _draw_sessions(self) -> None:
        starts, ends = self._sessions
        if not starts.size:
            self.session_marks.set_fold(None, np.zeros(0), np.zeros(0), len(self._lanes))
            return
        self.session_marks.set_fold(self.time_fold, self._to_display(starts), self._to_display(ends),
                                    len(self._lanes))
