"""Messages do not outlive their cause, failed files stay out of Recent, an empty trace says so, the
demo says it is synthetic, Jump to date takes typed dates."""

from __future__ import annotations

import json
from datetime import date

from PySide6.QtCore import Qt

from tests.app.conftest import open_window, wait_loaded


def test_a_good_file_clears_the_previous_files_error_and_failures_leave_recent(qtbot, make_window, trace_path,
                                                                               tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"user_1": {"action_history": [{"type": "Video', encoding="utf-8")
    win = make_window(persist=False, restore=False)
    win.show()
    win.settings.recent_files = [str(bad)]              # it opened once; now it is broken
    win.open_path(bad)
    qtbot.waitUntil(lambda: bool(win.errors) and not win.busy, timeout=20000)
    assert win.error_banner.isVisible()
    assert str(bad) not in win.settings.recent_files    # a failed file leaves (and never enters) Recent
    win.open_path(trace_path, user="user_a")
    wait_loaded(qtbot, win, "user_a")
    assert not win.error_banner.isVisible()
    assert "⚠" not in win.status_label.text()
    assert win.settings.recent_files == [str(trace_path)]


def test_an_empty_trace_says_so_and_is_not_recent(qtbot, make_window, trace_path, tmp_path):
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"user_9": {"user_profile": "x", "action_history": []}}), encoding="utf-8")
    win = open_window(qtbot, make_window, trace_path, persist=False, restore=False)
    win.open_path(empty)
    qtbot.waitUntil(lambda: win.source == empty and not win.busy, timeout=20000)
    assert "empty.json holds no events" in win.timeline.empty_text_shown()
    assert str(empty) not in win.settings.recent_files
    assert win.timeline.event_count == 0


def test_filter_message_clears_with_the_filter(qtbot, make_window, trace_path):
    win = open_window(qtbot, make_window, trace_path, persist=False, restore=False)
    win.filter_bar.text.setText("跑鞋")
    qtbot.waitUntil(lambda: win.status_label.text().startswith("Filter:"), timeout=5000)
    win.filter_bar.clear_button.click()
    qtbot.waitUntil(lambda: not win.status_label.text().startswith("Filter:"), timeout=5000)
    assert "text contains" not in win.status_label.text()


def test_demo_title_and_status_say_synthetic(qtbot, make_window, tmp_path, monkeypatch):
    generator = __import__("pytest").importorskip("workbench.demo.generator")
    from workbench import paths

    folder = paths.data_dir() / "demo" / "seed0"
    generator.generate(folder, 0, heavy_events=300, scale=0.03)
    import workbench.demo

    monkeypatch.setattr(workbench.demo, "ensure_demo_dataset", lambda seed=0: folder)
    win = make_window(persist=False, restore=False)
    win.show()
    statuses: list[str] = []
    win.state.status_posted.connect(statuses.append)
    win.open_demo()
    qtbot.waitUntil(lambda: win.track is not None and not win.busy, timeout=30000)
    assert "Synthetic demo data" in win.windowTitle() and "seed0" not in win.windowTitle()
    opened = [s for s in statuses if s.startswith("Opened")]
    assert opened and "Synthetic demo data" in opened[0] and "seed0" not in opened[0]
    assert "parquet" not in win.windowTitle()
    from pathlib import Path

    from workbench.app.main_window import is_demo_path

    assert is_demo_path(Path("/x/synthetic-demo.parquet")) and is_demo_path(folder)
    assert not is_demo_path(Path("/x/traces.json"))


def test_jump_to_date_takes_a_typed_date(qtbot, make_window, trace_path):
    from workbench.app.jump_dialog import JumpDateDialog, parse_date

    assert parse_date("2025-10-20") == date(2025, 10, 20) and parse_date("2025/9/3") == date(2025, 9, 3)
    assert parse_date("20251020") == date(2025, 10, 20) and parse_date("2025-02-30") is None
    dlg = JumpDateDialog(date(2025, 9, 10))
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    dlg.activateWindow()
    dlg.edit.setFocus()
    dlg.edit.selectAll()
    qtbot.keyClicks(dlg.edit, "2025-10-20")            # typed over the preset date, as a person would
    assert dlg.chosen_date() == date(2025, 10, 20)
    assert dlg.calendar.selectedDate().toString(Qt.DateFormat.ISODate) == "2025-10-20"
    qtbot.keyClicks(dlg.edit, "x")
    assert dlg.chosen_date() is None and "not a date" in dlg.problem.text()
    win = open_window(qtbot, make_window, trace_path, persist=False, restore=False)
    ev = win.jump_to_date(dlg.chosen_date() or date(2025, 9, 12))
    from datetime import datetime, timezone

    t = float(win.track.t[win.track.position(ev)])
    assert datetime.fromtimestamp(t, timezone.utc).date() >= date(2025, 9, 12) and win.state.selected_index == ev
