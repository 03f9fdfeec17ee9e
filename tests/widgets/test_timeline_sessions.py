"""Timeline with sessions: folded gaps, session boundaries, unfold on demand, the rationale track."""

from __future__ import annotations

import numpy as np
import pytest

from tests.widgets.test_timeline import send_mouse, view_pos
from widgets.timeline import TimelineWidget

LANES = ["E-commerce", "Search Behavior"]
DAY = 86400.0
T0 = 1744675200.0  # 2025-04-15 00:00 UTC


def shopping():
    """Three sessions of a few minutes: day 0, day 6 and day 20; a rationale in the second."""
    starts = T0 + np.array([10 * 3600.0, 6 * DAY + 18 * 3600.0, 20 * DAY + 9 * 3600.0])
    t = np.concatenate([s + np.arange(0, 200, 20.0) for s in starts])
    lane = np.tile(np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 0], dtype=np.int8), 3)
    kind = np.tile(np.array([1, 1, 1, 1, 1, 1, 1, 1, 2, 0], dtype=np.int8), 3)
    ids = np.arange(t.size, dtype=np.int64)
    return t, lane, kind, np.full(t.size, np.nan), ids, starts, starts + 180.0


@pytest.fixture
def timeline(qtbot):
    w = TimelineWidget(LANES)
    qtbot.addWidget(w)
    w.resize(1000, 500)
    w.show()
    qtbot.waitExposed(w)
    t, lane, kind, value, ids, starts, ends = shopping()
    w.set_data(t, lane, kind, value, ids, lanes=LANES)
    w.set_sessions(starts, ends)
    return w


def test_gaps_fold_and_the_axis_stays_in_real_time(timeline):
    t, *_rest, starts, _ends = shopping()
    assert timeline.folded and len(timeline.time_fold.folds) == 2
    d0, d1 = timeline._view_range()
    assert d1 - d0 < 3600          # three minutes-long sessions fill the view, not 20 days
    r0, r1 = timeline.visible_range()
    assert r0 < t.min() and r1 > t.max()   # the public range is real time
    labels = timeline.session_marks.fold_labels
    assert labels == ["⋯ 6 d 7 h ⋯", "⋯ 13 d 14 h ⋯"]
    assert not timeline.lanes_plot.bands.show_night
    strings = timeline.lanes_plot.time_axis.tickStrings([float(timeline.time_fold.to_display(starts[1]))], 1, 60)
    assert strings == ["18:00"]           # the real time of the second session's start, not a display time
    assert "2025-04-21 18:00" in timeline.tooltip_text(10)
    assert "gaps folded" in timeline._info.text()


def test_set_range_and_selection_in_real_time(timeline, qtbot):
    t, *_rest, starts, _ends = shopping()
    timeline.set_range(starts[1] - 30, starts[1] + 240)
    r0, r1 = timeline.visible_range()
    assert r0 == pytest.approx(starts[1] - 30) and r1 == pytest.approx(starts[1] + 240)
    assert timeline.visible_count == 10
    with qtbot.waitSignal(timeline.range_selected) as sig:
        a = view_pos(timeline, float(timeline.time_fold.to_display(starts[1] + 15)), 0)
        b = view_pos(timeline, float(timeline.time_fold.to_display(starts[1] + 150)), 0)
        from PySide6.QtCore import QEvent, Qt

        send_mouse(timeline, QEvent.Type.MouseButtonPress, a, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier)
        send_mouse(timeline, QEvent.Type.MouseMove, b, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier)
        send_mouse(timeline, QEvent.Type.MouseButtonRelease, b, Qt.MouseButton.NoButton, Qt.KeyboardModifier.ShiftModifier)
    lo, hi = sig.args
    assert starts[1] < lo < hi < starts[1] + 180    # emitted in real time


def test_unfold_on_demand_keeps_the_range(timeline):
    t, *_rest, starts, _ends = shopping()
    timeline.set_selected(15)
    timeline.set_range(starts[1], starts[1] + 200)
    timeline.set_folded(False)
    assert not timeline.folded and timeline.time_fold is None
    r0, r1 = timeline.visible_range()
    assert r0 == pytest.approx(starts[1], abs=1) and r1 == pytest.approx(starts[1] + 200, abs=1)
    assert timeline.session_marks.fold_labels == [] and timeline.selected_id == 15
    timeline.fit_all()
    d0, d1 = timeline._view_range()
    assert d1 - d0 > 19 * DAY                        # linear again
    assert timeline.lanes_plot.bands.show_night
    timeline.set_folded(True)
    assert timeline.folded and len(timeline.session_marks.fold_labels) == 2


def test_new_data_starts_linear(timeline):
    t, lane, kind, value, ids, *_ = shopping()
    timeline.set_data(t, lane, kind, value, ids, lanes=LANES)
    assert timeline.time_fold is None and timeline.session_marks.fold_labels == []


def test_rationale_track(timeline):
    t, *_rest, starts, _ends = shopping()
    timeline.set_notes(np.array([t[12]]), ["I want the white one, it matches my kitchen."], np.array([12]))
    assert timeline.rationale_track.active
    assert timeline.watch_track.axis.labelText == "rationale"
    timeline.set_range(starts[1] - 10, starts[1] + 200)
    labels = [lab.toPlainText() for lab in timeline.rationale_track.labels]
    assert labels == ["“I want the white one, it matches my kitchen.”"]
    x = float(timeline.time_fold.to_display(t[12]))
    assert timeline.rationale_track.text_near(x, 5.0).startswith("I want the white one")
    timeline.set_notes(np.zeros(0), [], np.zeros(0, np.int64))
    assert not timeline.rationale_track.active and timeline.watch_track.axis.labelText == "watch s"
