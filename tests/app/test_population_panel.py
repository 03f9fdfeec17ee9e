"""The Population dock: built on first show, users as rows, a row opens that user, a run adds
real and simulated Yes shares per user."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt

from tests.app.conftest import open_window


def test_population_dock_opens_a_user_and_compares_a_run(qtbot, make_window, trace_path, tmp_path):
    win = open_window(qtbot, make_window, trace_path)
    assert win.population_panel is None                        # nothing built at start-up
    assert win.docks["Population"] in win.tabifiedDockWidgets(win.docks["Events"])
    panel = win.show_dock("Population")
    assert win.population_panel is panel
    view = panel.view
    qtbot.waitUntil(lambda: view.model.rowCount() == 2, timeout=10000)
    assert [view.model.user_at(r) for r in range(2)] == ["user_a", "user_b"]
    assert view.model.headerData(2, Qt.Orientation.Horizontal) == "events"
    assert "2 users" in view.summary.text()
    assert view.table.currentIndex().row() == view.model.row_of("user_a")   # follows the window
    with qtbot.waitSignal(win.state.user_changed, timeout=10000):
        view.table.doubleClicked.emit(view.model.index(view.model.row_of("user_b"), 0))
    qtbot.waitUntil(lambda: win.track is not None and win.track.user_id == "user_b" and not win.busy,
                    timeout=20000)
    run = tmp_path / "run"
    run.mkdir()
    rows = [{"model": "m", "user_id": u, "event_index": i, "field": "video_liked", "kind": "binary",
             "true_value": t, "predicted_value": 1, "predicted_label": 1, "parse_ok": True}
            for i, (u, t) in enumerate([("user_a", 0), ("user_a", 1), ("user_b", 0), ("user_b", 0)])]
    (run / "predictions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    panel.load_run(str(run))
    qtbot.waitUntil(lambda: panel.rates is not None, timeout=10000)
    headers = [view.model.headerData(c, Qt.Orientation.Horizontal) for c in range(view.model.columnCount())]
    assert "real Yes (m)" in headers and "simulated Yes (m)" in headers
    col = headers.index("real Yes (m)")
    assert view.model.data(view.model.index(view.model.row_of("user_a"), col)) == "50.0%"
    assert view.model.data(view.model.index(view.model.row_of("user_b"), col + 1)) == "100.0%"
    assert "spread of Yes share" in view.summary.text()
    panel.clear_run()
    assert "real Yes (m)" not in [view.model.headerData(c, Qt.Orientation.Horizontal) for c in range(view.model.columnCount())]


def test_a_folder_that_is_not_a_run_is_a_clear_error(qtbot, make_window, trace_path, tmp_path):
    win = open_window(qtbot, make_window, trace_path)
    panel = win.show_dock("Population")
    errors = []
    win.state.error_posted.connect(lambda title, msg: errors.append(msg))
    panel.load_run(str(tmp_path))
    qtbot.waitUntil(lambda: bool(errors), timeout=10000)
    assert "not an evaluation run" in errors[0] and panel.rates is None
