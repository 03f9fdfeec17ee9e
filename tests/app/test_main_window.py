"""The main window: linked selection, filters, navigation keys, chains, bookmarks, restore, errors."""

from __future__ import annotations

import sys

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from tests.app.conftest import open_window, wait_loaded
from tests.app.data import chain_indices
from workbench.app.navigation import EventFilter


def _click_row(qtbot, view, row: int) -> None:
    index = view.model().index(row, 1)
    view.scrollTo(index)
    rect = view.visualRect(index)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_click_in_table_selects_everywhere(qtbot, make_window, trace_path):
    win = open_window(qtbot, make_window, trace_path)
    assert win.users_model.rowCount() == 2 and win.timeline.event_count == 70
    view = win.events_panel.view
    row = win.events_model.row_of(chain_indices()[1])
    _click_row(qtbot, view, row)
    ev = chain_indices()[1]
    assert win.state.selected_index == ev
    assert win.timeline.selected_id == ev
    assert win.inspector.current_event == ev
    text = win.inspector.plain_text()
    assert f"event #{ev}" in text and "缓震跑鞋实测" in text and "1,234,567 (123.5万) followers" in text


def test_timeline_click_selects_table_row_and_keyboard_moves_on(qtbot, make_window, trace_path):
    win = open_window(qtbot, make_window, trace_path)
    live = chain_indices()[2]
    win.timeline.event_clicked.emit(live)             # what the timeline emits on a click
    assert win.state.selected_index == live
    view = win.events_panel.view
    assert win.events_model.event_at(view.currentIndex().row()) == live
    assert "跑鞋专场" in win.inspector.plain_text()
    # keyboard in the table: Down selects the next event in time everywhere
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Down)
    nxt = win.track.step(live, +1)
    assert win.state.selected_index == nxt and win.timeline.selected_id == nxt


def test_navigation_keys(qtbot, make_window, trace_path):
    win = open_window(qtbot, make_window, trace_path)
    win.activateWindow()
    win.events_panel.view.setFocus()
    first = int(win.track.ids[0])
    win.select(first)
    qtbot.keyClick(win.events_panel.view, Qt.Key.Key_J)
    assert win.state.selected_index == int(win.track.ids[1])
    qtbot.keyClick(win.events_panel.view, Qt.Key.Key_K)          # previous event
    assert win.state.selected_index == first
    qtbot.keyClick(win.events_panel.view, Qt.Key.Key_C)          # next conversion
    assert win.state.selected_index == chain_indices()[-1]
    assert win.events_model.event_at(win.events_panel.view.currentIndex().row()) == chain_indices()[-1]
    # jump to date
    ev = win.jump_to_date(np.datetime64("2025-09-13").astype(object))
    assert win.track.row(ev)["ts_raw"].startswith("2025-09-13") and win.state.selected_index == ev
    t0, t1 = win.timeline.visible_range()
    assert t0 <= win.track.t[win.track.position(ev)] <= t1


def test_free_text_filter_dims_marks_and_next_matching_jumps(qtbot, make_window, trace_path):
    win = open_window(qtbot, make_window, trace_path)
    with qtbot.waitSignal(win.state.filter_changed, timeout=3000):
        win.filter_bar.text.setText("跑鞋")                           # typed; debounced
    assert win.mask is not None and win.mask.sum() == 6
    assert win.timeline._data.has_dimmed                             # non-matching marks are faded
    assert "6 of 70" in win.filter_bar.count.text()
    hits = win.track.ids[win.mask].tolist()
    win.timeline.setFocus()
    qtbot.keyClick(win.timeline, Qt.Key.Key_N)                    # nothing selected: the first match
    assert win.state.selected_index == hits[0]
    qtbot.keyClick(win.timeline, Qt.Key.Key_N)
    assert win.state.selected_index == hits[1]
    assert win.timeline.selected_id == hits[1]
    qtbot.keyClick(win.timeline, Qt.Key.Key_N, Qt.KeyboardModifier.ShiftModifier)
    assert win.state.selected_index == hits[0]
    win.filter_bar.hide_box.setChecked(True)
    assert win.events_model.rowCount() == 6
    win.set_filter(EventFilter(scenarios=frozenset({"Customer Service"})))
    assert win.mask.sum() == 1 and win.events_model.rowCount() == 1
    win.set_filter(EventFilter())
    assert win.mask is None and not win.timeline._data.has_dimmed and win.events_model.rowCount() == 70


def test_selecting_a_conversion_draws_its_causal_chain(qtbot, make_window, trace_path):
    win = open_window(qtbot, make_window, trace_path)
    purchase = chain_indices()[-1]
    with qtbot.waitSignal(win.chain_found, timeout=10000) as blocker:
        win.select(purchase)
    chain = blocker.args[0]
    assert chain.event_indices == tuple(chain_indices())
    hl = win.state.highlights["causal chain"]
    assert hl.connect and hl.event_indices == tuple(chain_indices()) and hl.user_id == "user_a"
    assert win.timeline.highlight_items                             # drawn on the timeline
    rows = win.chain_panel.rows()
    assert [r[1] for r in rows] == ["—", "2.5", "4.0", "3.8"]       # gaps in days
    assert rows[0][3].startswith("matched: shared keywords")        # the rule that matched, per link
    assert "Rule" in win.chain_panel.rule.text() and "30 days" in win.chain_panel.rule.text()
    assert "score" in win.chain_panel.rule.toolTip()                 # the full rule text
    # clicking a link selects that event everywhere, and keeps the chain
    win.chain_panel.tree.setCurrentItem(win.chain_panel.tree.topLevelItem(0))
    assert win.state.selected_index == chain_indices()[0]
    assert "causal chain" in win.state.highlights


def test_bookmarks_survive_a_restart(qtbot, make_window, trace_path):
    win = open_window(qtbot, make_window, trace_path)
    win.select(chain_indices()[2])
    b = win.add_bookmark("the live stream")
    assert b is not None and win.bookmarks_panel.list.count() == 1
    win.close()
    win2 = open_window(qtbot, make_window, trace_path, user="user_b")
    assert [x.name for x in win2.bookmarks()] == ["the live stream"]
    assert win2.bookmarks_panel.list.item(0).text() == "the live stream"
    win2.go_to_bookmark(win2.bookmarks()[0])                         # switches user, then selects
    wait_loaded(qtbot, win2, "user_a")
    qtbot.waitUntil(lambda: win2.state.selected_index == chain_indices()[2], timeout=5000)
    assert win2.timeline.selected_id == chain_indices()[2]


def test_open_file_user_and_layout_are_restored(qtbot, make_window, trace_path):
    win = open_window(qtbot, make_window, trace_path, size=(900, 650))
    win.state.set_user("user_b")
    wait_loaded(qtbot, win, "user_b")
    win.docks["Bookmarks"].hide()
    t0 = win.track.t[win.track.plot][0]
    win.timeline.set_range(t0, t0 + 6 * 3600.0)
    win.close()
    win2 = make_window()
    win2.show()
    win2.start()
    wait_loaded(qtbot, win2, "user_b")
    assert win2.source == trace_path
    assert win2.height() == 650                  # (the 800-px offscreen screen clamps the width)
    assert win2.docks["Bookmarks"].isHidden()
    r0, r1 = win2.timeline.visible_range()
    assert abs(r0 - t0) < 60 and abs(r1 - (t0 + 6 * 3600.0)) < 60
    assert str(trace_path) in win2.settings.recent_files


def test_errors_go_to_one_place_and_never_crash(qtbot, make_window, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"user_1": {"action_history": [{"type": "Video', encoding="utf-8")
    win = make_window()
    win.show()
    win.open_path(tmp_path / "missing.json")
    qtbot.waitUntil(lambda: bool(win.errors) and not win.busy, timeout=10000)
    assert win.error_banner.isVisible() and "missing.json" in win.error_banner.label.text()
    assert win.isVisible()
    from workbench.app.excepthook import install_excepthook

    previous = install_excepthook(win.state)
    try:
        with qtbot.waitSignal(win.state.error_posted) as blocker:
            sys.excepthook(RuntimeError, RuntimeError("boom"), None)
        assert blocker.args == ["Unexpected error", "RuntimeError: boom"]
    finally:
        sys.excepthook = previous


def test_add_panel_is_one_line_and_listed_in_view_menu(qtbot, make_window):
    win = make_window()
    dock = win.add_panel("Predict", QLabel("panel"))
    assert win.docks["Predict"] is dock and dock.widget().text() == "panel"
    assert "Predict" in [a.text() for a in win.view_menu.actions()]
    menus = [a.text() for a in win.menuBar().actions()]
    assert menus == ["&File", "&Edit", "&View", "&Go", "&Help"]


def test_start_opens_demo_data_when_nothing_else_is_open(qtbot, make_window, tmp_path, monkeypatch):
    generator = __import__("pytest").importorskip("workbench.demo.generator")
    import workbench.demo

    folder = tmp_path / "demo"
    generator.generate(folder, 0, heavy_events=300, scale=0.03)
    monkeypatch.setattr(workbench.demo, "ensure_demo_dataset", lambda seed=0: folder)
    monkeypatch.setattr("workbench.demo.prebuilt.prebuilt_demo", lambda seed=0: None)   # as if stale
    win = make_window()
    win.show()
    job = win.start()
    assert job is not None and win.progress.isVisible()          # loading runs in a worker, with progress
    qtbot.waitUntil(lambda: win.track is not None and not win.busy, timeout=20000)
    assert win.source == folder and win.users_model.rowCount() >= 10
    assert not win.progress.isVisible()


def test_start_opens_the_prebuilt_demo_without_generating(qtbot, make_window, monkeypatch):
    import workbench.demo
    from workbench.demo.prebuilt import prebuilt_path

    def no_generation(seed=0):
        raise AssertionError("the demo was generated although the prebuilt file is current")

    monkeypatch.setattr(workbench.demo, "ensure_demo_dataset", no_generation)
    win = make_window()
    win.show()
    win.start()
    qtbot.waitUntil(lambda: win.track is not None and not win.busy, timeout=30000)
    assert win.source == prebuilt_path() and win.users_model.rowCount() == 12
    assert win.track.user_id == "user_0001" and len(win.track) > 1000


def test_ghosts_and_highlights_from_state_reach_the_timeline(qtbot, make_window, trace_path):
    from workbench.app.state import GhostMark, Highlight

    win = open_window(qtbot, make_window, trace_path)
    live = chain_indices()[2]
    win.select(live)                   # predicted values are drawn beside their own (selected) event
    win.state.set_ghosts([GhostMark("user_a", live, "model-x", "live_like", True, False, False),
                          GhostMark("user_b", 0, "model-x", "video_like", True, True, True)])
    agree, disagree = win.timeline.ghost_items
    assert len(disagree.data) == 1 and len(agree.data) == 0       # only the current user's ghost
    win.state.set_highlight(Highlight("memory", "user_a", (1, 2, 3)))
    assert len(win.timeline.highlight_items) >= 1


def test_load_warnings_are_reported_with_their_location(qtbot, make_window, tmp_path):
    import json

    from tests.app.data import user_b_events

    events = user_b_events()
    events[1] = {**events[1], "action": "not a list"}
    path = tmp_path / "warn.json"
    path.write_text(json.dumps({"user_w": {"user_profile": "p", "action_history": events}}), encoding="utf-8")
    win = make_window()
    win.show()
    win.open_path(path)
    wait_loaded(qtbot, win, "user_w")
    assert win.errors, "a load warning must reach the error sink"
    title, message = win.errors[0]
    assert "warn.json" in title and "user_w" in message and "event 1" in message
    assert "user_w" in win.warnings_text()


def test_text_index_of_a_big_user_is_built_off_the_ui_thread(qtbot, make_window, trace_path, monkeypatch):
    import workbench.app.session as session

    monkeypatch.setattr(session, "SYNC_INDEX_EVENTS", 10)                # treat the 70-event user as big
    win = open_window(qtbot, make_window, trace_path)
    win.set_filter(EventFilter(text="太慢了"))
    assert win.mask is None and win.filter_bar.count.text() == "indexing…"   # not computed inline
    qtbot.waitUntil(lambda: win.mask is not None and not win.busy, timeout=10000)
    assert int(win.mask.sum()) == 1 and win.timeline._data.has_dimmed


def test_menus_help_and_recent_work_without_blocking(qtbot, make_window, trace_path):
    from PySide6.QtWidgets import QMessageBox

    win = open_window(qtbot, make_window, trace_path)
    win._fill_recent_menu()
    assert [a.text() for a in win.recent_menu.actions()] == [str(trace_path)]
    before = set(win.findChildren(QMessageBox))
    win._show_shortcuts()
    win._on_menu_about()
    win.show_warnings()
    boxes = [b for b in win.findChildren(QMessageBox) if b not in before]
    assert len(boxes) == 3 and all(b.isVisible() for b in boxes)      # non-blocking dialogs
    assert any("Next conversion" in b.text() for b in boxes)
    for b in boxes:
        b.close()
    win.zoom_to_selected()                                             # nothing selected: no-op
    win.select(chain_indices()[0])
    win.zoom_to_selected()
    t0, t1 = win.timeline.visible_range()
    assert t1 - t0 <= 3700


def test_benchmark_checkout_setting_survives_a_restart(qtbot, make_window, trace_path, tmp_path):
    win = open_window(qtbot, make_window, trace_path)
    panel = win.show_dock("Predict")
    panel.reference.setText(str(tmp_path / "checkout"))
    panel.reference.editingFinished.emit()
    win.close()
    win2 = make_window()
    win2.show()
    win2.start()
    wait_loaded(qtbot, win2, "user_a")
    assert win2.settings.reference_checkout == str(tmp_path / "checkout")
    assert win2.show_dock("Predict").reference.text() == str(tmp_path / "checkout")
