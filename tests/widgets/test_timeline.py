"""pytest-qt tests of the timeline widget (widgets layer)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from widgets.timeline import MARKS_THRESHOLD, GhostSpec, HighlightSpec, TimelineWidget

LANES = ["Video Browsing", "Live Streaming", "E-commerce", "Customer Service", "Advertisement", "Search Behavior"]
T0 = 1756684800.0  # 2025-09-01 00:00


def small_trace():
    """12 events over two days in three lanes; ids are not positions (100 + i, shuffled order)."""
    t = T0 + np.array([3600, 7200, 9000, 36000, 40000, 50000, 90000, 95000, 100000, 120000, 150000, 160000.0])
    lane = np.array([0, 0, 1, 2, 0, 1, 2, 0, 5, 1, 0, 2], dtype=np.int8)
    kind = np.array([0, 1, 0, 2, 0, 0, 1, 0, 0, 2, 0, 0], dtype=np.int8)
    value = np.array([12, 30, 400, np.nan, 5, 60, np.nan, 8, np.nan, 2, 90, np.nan])
    ids = np.arange(100, 112, dtype=np.int64)
    perm = np.random.default_rng(3).permutation(12)  # any order must work
    return t[perm], lane[perm], kind[perm], value[perm], ids[perm]


@pytest.fixture
def timeline(qtbot):
    w = TimelineWidget(LANES)
    qtbot.addWidget(w)
    w.resize(1000, 600)
    w.show()
    qtbot.waitExposed(w)
    w.set_data(*small_trace(), lanes=LANES)
    return w


def view_pos(w: TimelineWidget, t: float, lane: float) -> QPoint:
    scene = w._vb.mapViewToScene(QPointF(t, lane))
    return w._glw.mapFromScene(scene)


def send_mouse(w: TimelineWidget, kind: QEvent.Type, pos: QPoint, buttons, modifiers) -> None:
    vp = w._glw.viewport()
    button = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else Qt.MouseButton.LeftButton
    ev = QMouseEvent(kind, QPointF(pos), QPointF(vp.mapToGlobal(pos)), button, buttons, modifiers)
    QApplication.sendEvent(vp, ev)


def test_set_data_fits_all_and_reports_counts(timeline):
    t0, t1 = timeline.visible_range()
    assert t0 < T0 + 3600 and t1 > T0 + 160000
    assert timeline.event_count == 12
    assert timeline.visible_count == 12
    assert timeline.mode == "marks"
    assert timeline._lane_axis.lane_counts == [5, 3, 3, 0, 0, 1]


def test_click_on_mark_emits_event_clicked(timeline, qtbot):
    timeline.set_range(T0 + 30000, T0 + 60000)
    pos = view_pos(timeline, T0 + 40000, 0)  # event id 104, lane 0
    with qtbot.waitSignal(timeline.event_clicked, timeout=2000) as blocker:
        qtbot.mouseClick(timeline._glw.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert blocker.args == [104]


def test_click_far_from_marks_emits_nothing(timeline, qtbot):
    timeline.set_range(T0 + 30000, T0 + 60000)
    pos = view_pos(timeline, T0 + 45000, 3)  # empty lane
    with qtbot.assertNotEmitted(timeline.event_clicked, wait=50):
        qtbot.mouseClick(timeline._glw.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def test_double_click_emits_event_activated(timeline, qtbot):
    timeline.set_range(T0 + 30000, T0 + 60000)
    pos = view_pos(timeline, T0 + 50000, 1)  # id 105
    left, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    with qtbot.waitSignal(timeline.event_activated, timeout=2000) as blocker:
        # what Qt delivers for a real double click: press, release, double-click, release
        send_mouse(timeline, QEvent.Type.MouseButtonPress, pos, left, none)
        send_mouse(timeline, QEvent.Type.MouseButtonRelease, pos, Qt.MouseButton.NoButton, none)
        send_mouse(timeline, QEvent.Type.MouseButtonDblClick, pos, left, none)
        send_mouse(timeline, QEvent.Type.MouseButtonRelease, pos, Qt.MouseButton.NoButton, none)
    assert blocker.args == [105]


def test_keyboard_zoom_pan_home(timeline, qtbot):
    timeline.set_range(T0, T0 + 86400)
    timeline.setFocus()
    qtbot.keyClick(timeline, Qt.Key.Key_Plus)
    a0, a1 = timeline.visible_range()
    assert a1 - a0 == pytest.approx(86400 / 1.5, rel=1e-6)
    assert (a0 + a1) / 2 == pytest.approx(T0 + 43200, abs=1.0)
    qtbot.keyClick(timeline, Qt.Key.Key_Minus)
    b0, b1 = timeline.visible_range()
    assert b1 - b0 == pytest.approx(86400, rel=1e-6)
    qtbot.keyClick(timeline, Qt.Key.Key_Right)
    c0, c1 = timeline.visible_range()
    assert c0 == pytest.approx(b0 + 0.15 * 86400, abs=1.0)
    qtbot.keyClick(timeline, Qt.Key.Key_Left)
    qtbot.keyClick(timeline, Qt.Key.Key_Left)
    d0, d1 = timeline.visible_range()
    assert d0 < c0 - 0.15 * 86400  # moved left by more than one pan step...
    assert d0 >= T0 + 3600 - 0.05 * 156400 - 1  # ...but stopped at the limit (5% beyond the data)
    assert d1 - d0 == pytest.approx(86400, rel=1e-6)
    qtbot.keyClick(timeline, Qt.Key.Key_Home)
    e0, e1 = timeline.visible_range()
    assert e0 < T0 + 3600 and e1 > T0 + 160000


def test_keys_reach_the_widget_when_the_plot_has_focus(timeline, qtbot):
    timeline.set_range(T0, T0 + 86400)
    timeline._glw.setFocus()
    qtbot.keyClick(timeline._glw, Qt.Key.Key_Right)
    a0, _ = timeline.visible_range()
    assert a0 == pytest.approx(T0 + 0.15 * 86400, abs=1.0)


def test_overview_brush_and_view_stay_linked(timeline, qtbot):
    timeline.set_range(T0 + 10000, T0 + 20000)
    lo, hi = timeline._brush.getRegion()
    assert (lo, hi) == pytest.approx((T0 + 10000, T0 + 20000), abs=1.0)
    timeline._brush.setRegion((T0 + 50000, T0 + 80000))
    assert timeline.visible_range() == pytest.approx((T0 + 50000, T0 + 80000), abs=1.0)
    with qtbot.waitSignal(timeline.range_changed, timeout=2000) as blocker:
        pass
    assert blocker.args == pytest.approx([T0 + 50000, T0 + 80000], abs=1.0)


def test_mouse_range_change_is_throttled_then_recomputed(timeline, qtbot):
    timeline.set_range(T0, T0 + 200000)
    before = timeline.visible_count
    # as a wheel/drag would: change the view box directly, several times in a row
    for k in range(5):
        timeline._vb.setXRange(T0 + 30000 + k, T0 + 60000 + k, padding=0)
    assert timeline.visible_count == before  # not yet recomputed (throttled)
    with qtbot.waitSignal(timeline.range_changed, timeout=2000):
        pass
    assert timeline.visible_count == 3  # ids 103, 104, 105


def test_lod_switches_between_density_and_marks_at_threshold(qtbot):
    w = TimelineWidget(LANES)
    qtbot.addWidget(w)
    w.resize(1000, 600)
    w.show()
    n = MARKS_THRESHOLD + 1
    t = T0 + np.arange(n, dtype=np.float64) * 60.0
    lane = (np.arange(n) % 6).astype(np.int8)
    kind = np.zeros(n, dtype=np.int8)
    kind[::50] = 2
    w.set_data(t, lane, kind, np.full(n, np.nan), np.arange(n, dtype=np.int64), LANES)
    assert w.visible_count == n
    assert w.mode == "density"
    assert w._density_image.isVisible()
    assert not w._tick_curves[0].isVisible()
    img = w._density_image.image
    assert img is not None and img.shape[0] == 6 * 10 and img[..., 3].max() > 0
    w.set_range(t[1] - 1, t[-1] + 1)  # drops event 0 -> exactly the threshold
    assert w.visible_count == MARKS_THRESHOLD
    assert w.mode == "marks"
    assert not w._density_image.isVisible()
    assert w._tick_curves[0].isVisible() and w._tick_curves[2].isVisible()
    w.fit_all()
    assert w.mode == "density"


def test_dim_mask_draws_dimmed_events_faded(timeline):
    t, lane, kind, value, ids = small_trace()
    mask = lane != 0  # dim lane 0 (5 events)
    timeline.set_dim_mask(mask)
    x, _ = timeline._dim_curve.getData()
    assert x is not None and x.size == 2 * 5
    active_ticks = sum(c.getData()[0].size for c in timeline._tick_curves if c.getData()[0] is not None)
    assert active_ticks == 2 * 7
    assert "filtered" in timeline.legend_text
    timeline.set_dim_mask(None)
    assert not timeline._dim_curve.isVisible()
    with pytest.raises(ValueError, match="dim mask"):
        timeline.set_dim_mask(np.ones(3, dtype=bool))


def test_highlights_draw_rings_and_time_ordered_chain(timeline):
    timeline.set_highlights([
        HighlightSpec("chain", np.array([109, 100, 103, 999]), "#F0E442", connect=True, label="causal chain"),
        HighlightSpec("memory", np.array([101]), "#56B4E9", connect=False, label="memory picks"),
    ])
    items = timeline.highlight_items
    assert len(items) == 3  # chain polyline + chain rings + memory rings
    chain_x, chain_y = items[0].getData()
    assert list(chain_x) == sorted(chain_x) and len(chain_x) == 3  # unknown id 999 dropped
    assert list(chain_y) == [0.0, 2.0, 1.0]
    assert "causal chain" in timeline.legend_text
    timeline.set_highlights([])
    assert timeline.highlight_items == []


def test_ghosts_are_drawn_beside_the_event(timeline):
    timeline.set_range(T0 + 30000, T0 + 60000)
    timeline.set_ghosts([GhostSpec(104, 0, True, "model A: watch"), GhostSpec(104, 0, False, "model B: skip"),
                         GhostSpec(105, 1, False, "")])
    agree, differ = timeline.ghost_items
    ax = agree.data["x"]
    dx = differ.data["x"]
    assert ax.size == 1 and dx.size == 2
    assert ax[0] > T0 + 40000  # beside (to the right of) the real event
    assert sorted(dx)[0] > ax[0] or sorted(dx)[0] > T0 + 40000
    assert "model B: skip" in timeline.tooltip_text(104)
    assert "predicted" in timeline.legend_text


def test_selection_cursor_and_scroll_into_view(timeline):
    timeline.set_range(T0, T0 + 20000)
    timeline.set_selected(110)  # at T0 + 150000, outside the view
    t0, t1 = timeline.visible_range()
    assert t0 <= T0 + 150000 <= t1
    assert t1 - t0 == pytest.approx(20000, rel=1e-6)
    assert timeline._cursor.isVisible() and timeline._cursor.value() == pytest.approx(T0 + 150000)
    assert timeline.selected_id == 110
    timeline.set_selected(None)
    assert not timeline._cursor.isVisible()
    timeline.set_selected(123456)  # unknown id: nothing selected, no error
    assert timeline.selected_id is None


def test_shift_drag_emits_range_selected(timeline, qtbot):
    timeline.set_range(T0, T0 + 100000)
    before = timeline.visible_range()
    a = view_pos(timeline, T0 + 20000, 2.5)
    b = view_pos(timeline, T0 + 60000, 2.5)
    shift = Qt.KeyboardModifier.ShiftModifier
    left = Qt.MouseButton.LeftButton
    with qtbot.waitSignal(timeline.range_selected, timeout=2000) as blocker:
        send_mouse(timeline, QEvent.Type.MouseButtonPress, a, left, shift)
        for k in range(1, 6):
            p = QPoint(a.x() + (b.x() - a.x()) * k // 5, a.y())
            send_mouse(timeline, QEvent.Type.MouseMove, p, left, shift)
        send_mouse(timeline, QEvent.Type.MouseButtonRelease, b, Qt.MouseButton.NoButton, shift)
    lo, hi = blocker.args
    px = (before[1] - before[0]) / timeline._vb.width()
    assert lo == pytest.approx(T0 + 20000, abs=3 * px)
    assert hi == pytest.approx(T0 + 60000, abs=3 * px)
    assert timeline.visible_range() == pytest.approx(before)  # no pan happened
    assert timeline._range_sel.isVisible()


def test_plain_drag_pans_on_x_only(timeline, qtbot):
    timeline.set_range(T0, T0 + 100000)
    a = view_pos(timeline, T0 + 60000, 2)
    b = view_pos(timeline, T0 + 40000, 4)
    left = Qt.MouseButton.LeftButton
    none = Qt.KeyboardModifier.NoModifier
    send_mouse(timeline, QEvent.Type.MouseButtonPress, a, left, none)
    for k in range(1, 6):
        p = QPoint(a.x() + (b.x() - a.x()) * k // 5, a.y() + (b.y() - a.y()) * k // 5)
        send_mouse(timeline, QEvent.Type.MouseMove, p, left, none)
    send_mouse(timeline, QEvent.Type.MouseButtonRelease, b, Qt.MouseButton.NoButton, none)
    t0, t1 = timeline.visible_range()
    assert t0 == pytest.approx(T0 + 20000, rel=0, abs=1500)
    assert t1 - t0 == pytest.approx(100000, rel=1e-6)
    y0, y1 = timeline._vb.viewRange()[1]
    assert (y0, y1) == pytest.approx((-0.5, 5.5))


def test_tooltip_uses_provider(timeline):
    timeline.tooltip_provider = lambda event_id: f"event #{event_id}: a video"
    assert timeline.tooltip_text(104) == "event #104: a video"
    timeline.tooltip_provider = None
    assert "Video Browsing" in timeline.tooltip_text(104)

    def broken(_event_id: int) -> str:
        raise RuntimeError("boom")

    timeline.tooltip_provider = broken
    assert "tooltip failed" in timeline.tooltip_text(104)


def test_bad_input_names_the_field(qtbot):
    w = TimelineWidget(LANES)
    qtbot.addWidget(w)
    t, lane, kind, value, ids = small_trace()
    with pytest.raises(ValueError, match="'lane'.*expected 12"):
        w.set_data(t, lane[:5], kind, value, ids)
    bad_lane = lane.copy()
    bad_lane[4] = 9
    with pytest.raises(ValueError, match="'lane' is 9 at position 4"):
        w.set_data(t, bad_lane, kind, value, ids)
    bad_t = t.copy()
    bad_t[2] = np.nan
    with pytest.raises(ValueError, match=f"event id {int(ids[2])}"):
        w.set_data(bad_t, lane, kind, value, ids)
    with pytest.raises(ValueError, match="'kind'"):
        w.set_data(t, lane, np.full(12, 7), value, ids)
    assert w.event_count == 0  # the widget kept its previous (empty) data


def test_empty_lanes_render_and_navigate(qtbot):
    w = TimelineWidget(LANES)
    qtbot.addWidget(w)
    w.resize(800, 500)
    w.show()
    e = np.zeros(0)
    w.set_data(e, e.astype(np.int8), e.astype(np.int8), e, e.astype(np.int64), LANES)
    w.set_range(T0, T0 + 86400)
    w.zoom(2.0)
    w.pan(0.5)
    w.fit_all()
    w.set_selected(1)
    w.set_highlights([HighlightSpec("x", np.array([1]))])
    w.set_ghosts([GhostSpec(1, 0, True)])
    w.set_dim_mask(None)
    assert w.grab().width() == 800
    assert w.visible_count == 0


def test_wheel_zooms_x_around_the_cursor(timeline):
    from PySide6.QtGui import QWheelEvent

    timeline.set_range(T0, T0 + 100000)
    pos = view_pos(timeline, T0 + 25000, 2)
    vp = timeline._glw.viewport()
    ev = QWheelEvent(QPointF(pos), QPointF(vp.mapToGlobal(pos)), QPoint(0, 0), QPoint(0, 120),
                     Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(vp, ev)
    t0, t1 = timeline.visible_range()
    assert t1 - t0 < 90000  # zoomed in
    # the time under the cursor stays under the cursor
    after = timeline._vb.mapSceneToView(timeline._glw.mapToScene(pos)).x()
    assert after == pytest.approx(T0 + 25000, abs=(t1 - t0) / 500)
    assert timeline._vb.viewRange()[1] == pytest.approx([-0.5, 5.5])


def test_hover_over_a_mark_shows_the_provider_tooltip(timeline):
    timeline.tooltip_provider = lambda event_id: f"hover #{event_id}"
    timeline.set_range(T0 + 30000, T0 + 60000)
    pos = view_pos(timeline, T0 + 40000, 0)
    send_mouse(timeline, QEvent.Type.MouseMove, pos, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    assert timeline._glw.toolTip() == "hover #104"


def test_click_in_overview_recentres_the_view(timeline, qtbot):
    timeline.set_range(T0, T0 + 20000)
    target = T0 + 120000
    scene = timeline._ov_vb.mapViewToScene(QPointF(target, 1.0))
    pos = timeline._glw.mapFromScene(scene)
    qtbot.mouseClick(timeline._glw.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    t0, t1 = timeline.visible_range()
    px = (timeline._ov_vb.viewRange()[0][1] - timeline._ov_vb.viewRange()[0][0]) / timeline._ov_vb.width()
    assert (t0 + t1) / 2 == pytest.approx(target, abs=2 * px)
    assert t1 - t0 == pytest.approx(20000, rel=1e-6)
    assert timeline._brush.getRegion() == pytest.approx((t0, t1), abs=1.0)


def test_set_range_enforces_a_minimum_span_and_new_data_resets_marks(timeline):
    timeline.set_range(T0 + 1000, T0 + 1010)
    t0, t1 = timeline.visible_range()
    assert t1 - t0 == pytest.approx(60.0, abs=1e-6)
    assert (t0 + t1) / 2 == pytest.approx(T0 + 1005, abs=1e-6)
    timeline.set_selected(104)
    timeline.set_highlights([HighlightSpec("chain", np.array([100, 101]), connect=True)])
    t, lane, kind, value, ids = small_trace()
    timeline.set_data(t, lane, kind, value, ids + 1000, lanes=LANES)  # new ids: old marks are stale
    assert timeline.selected_id is None and not timeline._cursor.isVisible()
    assert timeline.highlight_items == []
    with pytest.raises(ValueError, match="non-finite"):
        timeline.set_range(float("nan"), T0)


def test_marks_keep_one_tick_per_pixel_column_without_losing_any_column(qtbot):
    w = TimelineWidget(LANES)
    qtbot.addWidget(w)
    w.resize(1000, 600)
    w.show()
    rng = np.random.default_rng(1)
    n = 5000
    t = np.sort(T0 + rng.uniform(0, 3600, n))
    w.set_data(t, np.zeros(n, np.int8), np.zeros(n, np.int8), np.full(n, np.nan), np.arange(n), LANES)
    w.set_range(T0, T0 + 3600)
    assert w.mode == "marks"
    x, _ = w._tick_curves[0].getData()
    ticks = np.unique(x[0::2])
    cols = int(round(w._vb.width()))
    assert ticks.size < n and ticks.size <= int(cols * 1.5)
    # every event lies within half a drawn column of a tick
    px = (w.visible_range()[1] - w.visible_range()[0]) / cols
    nearest = np.abs(t[:, None] - ticks[None, :]).min(axis=1)
    assert nearest.max() <= px * 0.51
