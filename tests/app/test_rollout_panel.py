"""The Rollout dock: start from the selected event, run open and closed loop on the qasync loop,
draw real above simulated, the daily charts, and the clicked event's answers."""

from __future__ import annotations

import json

from tests.app.conftest import open_window
from tests.app.data import chain_indices


def test_rollout_from_the_selected_event(qtbot, qasync_loop, make_window, trace_path, tmp_path):
    win = open_window(qtbot, make_window, trace_path)
    panel = win.show_rollout()
    assert win.rollout_panel is panel
    video = chain_indices()[1]                              # 2025-09-04 20:00
    win.select(video)
    assert panel.start_edit.dateTime().toString("yyyy-MM-dd HH:mm") == "2025-09-04 20:00"
    panel.model.setCurrentText("baseline:user")
    panel.days_spin.setValue(3.0)
    with qtbot.waitSignal(panel.rollout_finished, timeout=60000) as sig:
        qasync_loop.run_until_complete(panel.start(out_dir=tmp_path / "ro"))
    results = sig.args[0]
    assert set(results) == {"open", "closed"}
    assert all(r.steps and len(r.steps) == r.planned for r in results.values())
    saved = json.loads((tmp_path / "ro" / "rollout.json").read_text(encoding="utf-8"))
    # 3 days from 20:00 touch 4 calendar days
    assert set(saved["days"]) == {"real", "open", "closed"} and len(saved["days"]["real"]) == 4
    assert (tmp_path / "ro" / "simulated_closed.json").exists()
    # real above (every event of user_a), the closed loop below (events before t0 + the steps)
    assert panel.split.top.event_count == 70
    closed = results["closed"]
    assert panel.split.bottom_title.text().startswith("simulated · closed loop")
    assert panel.split.bottom.event_count >= len(closed.steps)
    lo, hi = panel.split.visible_range()
    assert hi - lo < 5 * 86400                               # zoomed to the horizon
    assert len(panel.charts.ci.items) == 4       # engagement, drift, diversity, closed-minus-open
    step = closed.steps[0]
    panel.split.event_clicked.emit(step.event_index)
    assert panel.detail.row_count() == len(step.real)
    assert panel.detail.columns()[-2:] == ["open loop", "closed loop"]
    panel.lower.setCurrentText("open loop")
    assert panel.split.bottom_title.text().startswith("simulated · open loop")
    assert "Saved in" in panel.status.text()
    slide = panel.present()
    qtbot.addWidget(slide)
    assert slide.split.bottom.event_count == panel.split.bottom.event_count
    assert slide.minimumSizeHint().width() <= 1366 and slide.minimumSizeHint().height() <= 768
    slide.setFocus()
    from PySide6.QtCore import Qt

    qtbot.keyClick(slide, Qt.Key.Key_Escape)
    assert not slide.isVisible()


def test_rollout_without_events_says_so(qtbot, qasync_loop, make_window, trace_path, tmp_path):
    win = open_window(qtbot, make_window, trace_path)
    panel = win.show_rollout()
    errors = []
    win.state.error_posted.connect(lambda t, m: errors.append(m))
    panel.start_edit.setDateTime(panel.start_edit.dateTime().fromString("2030-01-01 00:00", "yyyy-MM-dd HH:mm"))
    qasync_loop.run_until_complete(panel.start(out_dir=tmp_path / "ro"))
    assert errors and "no event to predict" in errors[0]
    assert panel.run_button.isEnabled()


def test_a_panel_built_after_the_selection_starts_from_it(qtbot, make_window, trace_path):
    win = open_window(qtbot, make_window, trace_path)
    win.select(chain_indices()[2])                          # 2025-09-08 19:30, before the dock exists
    panel = win.show_rollout()
    assert panel.start_edit.dateTime().toString("yyyy-MM-dd HH:mm") == "2025-09-08 19:30"
