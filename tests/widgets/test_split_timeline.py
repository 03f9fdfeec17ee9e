"""Two timelines on one axis: linked zoom and pan, shared selection, the difference lane."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from widgets.split_timeline import DIFF_LANE, SplitTimeline, Track

DAY = 86400.0
LANES = ["Video Browsing", "Live Streaming"]


def _track(n: int, title: str, start: float = 1.75e9, engaged_every: int = 0) -> Track:
    t = start + np.arange(n) * 3600.0
    kind = np.zeros(n, dtype=np.int8)
    if engaged_every:
        kind[::engaged_every] = 1
    return Track(t, (np.arange(n) % 2).astype(np.int8), kind, np.full(n, 10.0), np.arange(n, dtype=np.int64),
                 LANES, title)


@pytest.fixture
def split(qtbot):
    w = SplitTimeline()
    qtbot.addWidget(w)
    w.resize(1200, 700)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_axes_are_linked_both_ways(qtbot, split):
    real, sim = _track(200, "Real"), _track(200, "Simulated", engaged_every=3)
    split.set_tracks(real, sim, differs=sim.kind != real.kind)
    assert split.top_title.text() == "Real" and split.bottom_title.text() == "Simulated"
    t0, t1 = real.t[10], real.t[40]
    split.top.set_range(t0, t1)
    assert split.bottom.visible_range() == pytest.approx((t0, t1))
    split.bottom.zoom(0.5)
    assert split.top.visible_range() == pytest.approx(split.bottom.visible_range())
    split.bottom.setFocus()
    before = split.top.visible_range()
    qtbot.keyClick(split.bottom, Qt.Key.Key_Right)            # the keyboard moves both
    assert split.top.visible_range()[0] > before[0]
    assert split.top.visible_range() == pytest.approx(split.bottom.visible_range())


def test_selection_is_shared_and_difference_marks_name_their_event(qtbot, split):
    real, sim = _track(50, "Real"), _track(50, "Simulated", engaged_every=5)
    differs = sim.kind != real.kind
    split.set_tracks(real, sim, differs=differs)
    assert split.bottom.lanes == [*LANES, DIFF_LANE]
    assert split.bottom.event_count == 50 + int(differs.sum())
    with qtbot.waitSignal(split.event_clicked) as sig:
        split.bottom.event_clicked.emit(-1 - 10)              # a click on the difference mark of #10
    assert sig.args == [10]
    assert split.top.selected_id == 10 and split.bottom.selected_id == 10
    split.top.event_clicked.emit(7)
    assert split.bottom.selected_id == 7


def test_offset_aligns_by_days_since_first_event(qtbot, split):
    a = _track(48, "user a")
    b = _track(48, "user b", start=1.75e9 + 30 * DAY)
    split.set_tracks(a, b, offset=-30 * DAY)
    assert "shifted by -30.0 days" in split.bottom_title.text()
    lo, hi = split.visible_range()
    assert lo <= a.t[0] and hi >= a.t[-1] and hi < a.t[-1] + DAY   # both fit the same two days


def test_bad_difference_flags_are_refused(qtbot, split):
    real = _track(5, "Real")
    with pytest.raises(ValueError, match="3 difference flags for 5 events"):
        split.set_tracks(real, real, differs=np.array([True, False, True]))
