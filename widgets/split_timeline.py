"""Two timelines on one time axis: real above, simulated below. Layer: widgets (Qt + pyqtgraph;
knows nothing of the workbench: it takes numpy arrays).

:class:`SplitTimeline` stacks two :class:`~widgets.timeline.TimelineWidget` under a title each, with
their time axes linked (zoom, pan, the keyboard and the overview brush in either move both) and the
selection shared: clicking an event in one selects the event with the same id in the other. The
lower track can carry a *difference lane*: a mark wherever the two sides disagree (engaged in one,
not in the other), drawn as one more lane of the lower timeline so it lines up with the lanes
exactly. The same view compares two users or two runs: ``offset`` shifts the lower track in time
(align by date: 0; align by days since each one's first event: the difference of the first events).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from widgets.timeline import TimelineWidget

__all__ = ["DIFF_LANE", "SplitTimeline", "Track"]

DIFF_LANE = "≠ disagree"
_DIFF_KIND = 2          # drawn in the conversion colour, so the marks stand out


@dataclass(frozen=True)
class Track:
    """One side's events, as :meth:`TimelineWidget.set_data` takes them."""

    t: np.ndarray          # epoch seconds
    lane: np.ndarray       # lane index per event
    kind: np.ndarray       # 0 view, 1 engagement, 2 conversion
    value: np.ndarray      # watch seconds (NaN: none)
    ids: np.ndarray        # event ids (unique, >= 0)
    lanes: list[str]
    title: str = ""


def _with_difference(track: Track, differs: np.ndarray | None) -> Track:
    """``track`` plus one lane holding a copy of every event where ``differs`` is True; the copies get
    the ids ``-1 - id`` so a click on them still names the event."""
    if differs is None or not np.any(differs):
        return Track(track.t, track.lane, track.kind, track.value, track.ids, [*track.lanes, DIFF_LANE],
                     track.title)
    d = np.asarray(differs, dtype=bool)
    if len(d) != len(track.t):
        raise ValueError(f"split timeline: {len(d)} difference flags for {len(track.t)} events")
    lane_no = len(track.lanes)
    return Track(np.concatenate([track.t, track.t[d]]),
                 np.concatenate([track.lane, np.full(int(d.sum()), lane_no, dtype=track.lane.dtype)]),
                 np.concatenate([track.kind, np.full(int(d.sum()), _DIFF_KIND, dtype=track.kind.dtype)]),
                 np.concatenate([track.value, np.full(int(d.sum()), np.nan)]),
                 np.concatenate([track.ids, -1 - track.ids[d]]),
                 [*track.lanes, DIFF_LANE], track.title)


class SplitTimeline(QWidget):
    """Real above, simulated below; see the module docstring. Emits :attr:`event_clicked` with the
    event id (the same id names the event on both sides)."""

    event_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.top = TimelineWidget(parent=self)
        self.bottom = TimelineWidget(parent=self)
        self.top_title = QLabel(self)
        self.bottom_title = QLabel(self)
        for lab in (self.top_title, self.bottom_title):
            lab.setStyleSheet("font-weight: 600; padding: 2px 6px;")
        for tl in (self.top, self.bottom):
            tl.setMinimumHeight(200)         # two stacked timelines still fit a 768-pixel screen
        self.bottom.link_x(self.top)
        self.top.event_clicked.connect(self.select)
        self.bottom.event_clicked.connect(self.select)
        self.top.event_clicked.connect(self._emit_clicked)
        self.bottom.event_clicked.connect(self._emit_clicked)
        split = QSplitter(Qt.Orientation.Vertical, self)
        for title, tl in ((self.top_title, self.top), (self.bottom_title, self.bottom)):
            box = QWidget(split)
            lay = QVBoxLayout(box)
            lay.setContentsMargins(0, 0, 0, 0)
            lay.setSpacing(0)
            lay.addWidget(title)
            lay.addWidget(tl, 1)
            split.addWidget(box)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(split)
        self.offset = 0.0

    def set_tracks(self, top: Track, bottom: Track, *, differs: np.ndarray | None = None,
                   offset: float = 0.0) -> None:
        """Show ``top`` above and ``bottom`` below; ``differs`` (one flag per bottom event) fills the
        difference lane; ``offset`` seconds are added to the bottom's times (alignment)."""
        self.offset = float(offset)
        shifted = Track(bottom.t + self.offset, bottom.lane, bottom.kind, bottom.value, bottom.ids,
                        bottom.lanes, bottom.title)
        low = _with_difference(shifted, differs)
        self.top.set_data(top.t, top.lane, top.kind, top.value, top.ids, top.lanes)
        self.bottom.set_data(low.t, low.lane, low.kind, low.value, low.ids, low.lanes)
        finite = np.concatenate([top.t[np.isfinite(top.t)], low.t[np.isfinite(low.t)]])
        if len(finite):                    # both sides' events in view (each set_data fitted its own)
            lo, hi = float(finite.min()), float(finite.max())
            pad = max(hi - lo, 3600.0) * 0.01
            self.set_range(lo - pad, max(hi, lo + 3600.0) + pad)
        self.top_title.setText(top.title)
        self.bottom_title.setText(bottom.title + (f"  (shifted by {self.offset / 86400:+.1f} days)"
                                                  if self.offset else ""))

    def set_range(self, t0: float, t1: float) -> None:
        """Show ``[t0, t1]`` on both (the axes are linked)."""
        self.top.set_range(t0, t1)

    def visible_range(self) -> tuple[float, float]:
        """The shared visible range, epoch seconds."""
        return self.top.visible_range()

    def select(self, event_id: int) -> None:
        """Select ``event_id`` on both sides (a difference mark selects its event)."""
        eid = int(event_id)
        if eid < 0:
            eid = -1 - eid
        self.top.set_selected(eid)
        self.bottom.set_selected(eid)

    def _emit_clicked(self, event_id: int) -> None:
        eid = int(event_id)
        self.event_clicked.emit(-1 - eid if eid < 0 else eid)
