"""The main window with its heavy panels wired in: Predict, Evaluation and Cases docks (built lazily),
Predict here against a local dev server, cases marked from the predict panel, a timeline range and a
dialogue, presentation mode, and a clean exit of the real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from tests.app.conftest import open_window
from tests.app.data import chain_indices, write_traces
from workbench.devserver import DevServer, Reply

ROOT = Path(__file__).resolve().parents[2]


def _script(req) -> Reply:
    task = req.prompt.split("## 预测任务")[-1]
    if "多少秒" in task:
        return Reply("25")
    if "当前客服对话场景" in req.prompt:
        return Reply("到底什么时候发货")
    return Reply("Yes")


def _store(win):
    from workbench.annotate.store import CaseStore, default_store_path

    return CaseStore(default_store_path(win.source))


def _stored_cases(win) -> list:
    store = _store(win)
    try:
        return store.list_cases()
    finally:
        store.close()


def test_docks_are_listed_and_built_on_first_show(qtbot, make_window, trace_path):
    win = open_window(qtbot, make_window, trace_path)
    view_items = [a.text() for a in win.view_menu.actions()]
    for title in ("Predict", "Evaluation", "Cases"):
        assert title in win.docks and title in view_items
    # nothing heavy is built until it is needed (start-up stays fast)
    assert win.predict_panel is None and win.eval_panel is None and win.cases_panel is None
    # default arrangement: Predict tabbed with the Inspector; Evaluation and Cases with Events
    assert win.docks["Predict"] in win.tabifiedDockWidgets(win.docks["Inspector"])
    bottom = win.tabifiedDockWidgets(win.docks["Events"])
    assert win.docks["Evaluation"] in bottom and win.docks["Cases"] in bottom
    win.docks["Evaluation"].raise_()
    qtbot.waitUntil(lambda: win.eval_panel is not None, timeout=5000)
    assert win.docks["Evaluation"].widget() is win.eval_panel
    assert win.eval_panel.mark_button.text() == "Mark case"


def test_predict_here_ghosts_and_mark_case(qtbot, qasync_loop, make_window, trace_path):
    win = open_window(qtbot, make_window, trace_path)
    video = chain_indices()[1]
    win.select(video)
    panel = win.predict_here()
    assert win.predict_panel is panel and win.docks["Predict"].isVisible()
    assert panel.predict_button.isEnabled() and panel.prompt_field.count() > 0
    # the Predict tab is raised in front of the Inspector
    qtbot.waitUntil(lambda: not win.docks["Predict"].visibleRegion().isEmpty()
                    and win.docks["Inspector"].visibleRegion().isEmpty(), timeout=5000)
    with DevServer(script=_script) as srv:
        panel.add_model("openai/dev")
        panel.api_base.setText(srv.base_url)
        panel.predict_button.click()
        assert panel.is_running()
        qasync_loop.run_until_complete(panel.task)
        assert srv.completion_requests()
    assert panel.last_result is not None and "openai/dev" in panel.last_result.predictions
    ghosts = [g for g in win.state.ghosts if g.model == "openai/dev"]
    assert ghosts and all(g.event_index == video for g in ghosts)
    assert len(win.timeline._ghosts) == len(win.state.ghosts)        # drawn on the timeline
    assert panel.mark_button.isEnabled()
    panel.mark_button.click()
    cases = _stored_cases(win)
    assert len(cases) == 1
    case = cases[0]
    assert case.user_id == "user_a" and case.event_index == video
    assert {p.model for p in case.predictions} >= {"openai/dev", "baseline:user"}
    assert case.prompt and case.snapshot_png.startswith(b"\x89PNG")
    assert win.cases_panel is not None and win.cases_panel.model.rowCount() == 1


def test_range_selection_marks_a_range_case_and_reopens_it(qtbot, make_window, trace_path):
    from datetime import datetime, timezone

    win = open_window(qtbot, make_window, trace_path)
    t0 = datetime(2025, 9, 3, tzinfo=timezone.utc).timestamp()
    t1 = datetime(2025, 9, 9, tzinfo=timezone.utc).timestamp()
    assert not win.mark_range_button.isVisible()
    win.timeline.range_selected.emit(t0, t1)
    assert win.mark_range_button.isVisible()
    win.mark_range_button.click()
    assert not win.mark_range_button.isVisible()
    cases = _stored_cases(win)
    assert len(cases) == 1 and cases[0].event_index is None
    assert cases[0].start_ts.startswith("2025-09-03") and cases[0].end_ts.startswith("2025-09-09")
    assert cases[0].snapshot_png.startswith(b"\x89PNG")
    # reopening the range case zooms the timeline to it (range_reopened -> timeline.set_range)
    win.timeline.fit_all()
    win.cases_panel.view.selectRow(0)
    win.cases_panel.reopen_current()
    a, b = win.timeline.visible_range()
    assert a <= t0 + 1 and b >= t1 - 1 and (b - a) < 10 * 86400


def test_mark_dialogue_keeps_the_transcript(qtbot, make_window, trace_path):
    from workbench.app.inspector import _loads, dialogue_turns

    win = open_window(qtbot, make_window, trace_path)
    assert win.mark_dialogue() is None                            # nothing selected: a hint, no case
    track = win.track
    service = next(int(i) for i in track.ids
                   if dialogue_turns(_loads(track.row(int(i)).get("actions")) or []))
    win.select(service)
    case = win.mark_dialogue()
    assert case is not None and case.transcript and case.fields == ("next_user_message",)
    stored = _stored_cases(win)
    assert [c.id for c in stored] == [case.id] and len(stored[0].transcript) == len(case.transcript)


def test_presentation_mode_steps_through_listed_cases(qtbot, make_window, trace_path):
    win = open_window(qtbot, make_window, trace_path)
    for ev in chain_indices()[:3]:
        win.select(ev)
        assert win.mark_selected_event() is not None
    listed = [c.id for c in win.cases_panel.model.cases]
    assert len(listed) == 3
    assert "Presentation mode" in [a.text().replace("&", "") for a in win.view_menu.actions()]
    keys = [k.toString() for k in win.presentation_action.shortcuts()]
    assert "F11" in keys and "Ctrl+Shift+P" in keys
    pres = win.open_presentation()
    qtbot.addWidget(pres)
    assert [c.id for c in pres.cases] == listed and pres.index == 0
    qtbot.keyClick(pres, Qt.Key.Key_Right)
    assert pres.index == 1
    qtbot.keyClick(pres, Qt.Key.Key_Right)
    qtbot.keyClick(pres, Qt.Key.Key_Left)
    assert pres.index == 1
    pres.close()


def test_evaluation_status_shows_first_failure_reason():
    from workbench.app.eval_panel import _first_failure

    report = {"run": {"failed": 3, "failure_reasons": [{"error": "authentication failed: check the API key",
                                                         "count": 2}, {"error": "timeout", "count": 1}]}}
    assert _first_failure(report).startswith(" First failure: authentication failed: check the API key")
    assert _first_failure({"run": {"failed": 0, "failure_reasons": []}}) == ""


def test_state_set_range_and_live_jobs(qtbot):
    from workbench.app import jobs
    from workbench.app.state import AppState

    state = AppState()
    with qtbot.waitSignal(state.range_changed) as blocker:
        state.set_range(1.0, 2.0)
    assert blocker.args == [1.0, 2.0]
    import threading

    gate = threading.Event()
    job = jobs.run_in_thread(lambda task: gate.wait(5))
    assert job in jobs.live_jobs()
    gate.set()
    assert jobs.finish_all(5000)
    qtbot.waitUntil(lambda: job not in jobs.live_jobs(), timeout=5000)


@pytest.mark.parametrize("run", range(3))
def test_exit_after_paint_is_clean(tmp_path, run):
    path = write_traces(tmp_path)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "WORKBENCH_EXIT_AFTER_PAINT": "1"}
    env.pop("LITELLM_LOCAL_MODEL_COST_MAP", None)
    result = subprocess.run([sys.executable, "-m", "workbench", "open", str(path)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "QThread: Destroyed" not in result.stderr
    assert "litellm_imported=False" in result.stdout
