"""PredictPanel: prompt preview, run on the qasync loop against the dev server, cancel, keys dialog."""

from __future__ import annotations

import asyncio
import json
import threading

import keyring
import keyring.backends.fail
import pytest
from PySide6.QtCore import Qt

from tests.simulate import events as E
from workbench.app.predict_panel import ApiKeysDialog, PredictPanel
from workbench.app.state import AppState
from workbench.devserver import DevServer, Reply


@pytest.fixture
def loaded_state(tmp_path):
    from workbench.traces import load_traces

    evs = E.trace(2) + [E.video(ts="2025-09-10 08:00:00", caption="目标视频", play=40, actions=("like",)),
                        E.service(ts="2025-09-12 08:00:00")]
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"u1": {"user_profile": "女，31-40岁。", "action_history": evs},
                                "u2": {"user_profile": "男", "action_history": E.trace(2)}}, ensure_ascii=False))
    state = AppState()
    state.set_dataset(load_traces(path))
    return state


def script(req):
    task = req.prompt.split("## 预测任务")[-1]
    if "多少秒" in task:
        return Reply("25")
    if "当前客服对话场景" in req.prompt:
        return Reply("到底什么时候发货")
    return Reply("Yes" if "点赞" in task else "No")


def make_panel(qtbot, state):
    from workbench.simulate.providers import RetryPolicy

    panel = PredictPanel(state, policy=RetryPolicy(max_retries=1, base_delay=0.01))
    qtbot.addWidget(panel)
    return panel


def test_preview_run_and_ghosts(qtbot, qasync_loop, loaded_state):
    state = loaded_state
    panel = make_panel(qtbot, state)
    assert not panel.predict_button.isEnabled()
    state.select_event("u1", 6)
    assert panel.prompt_field.count() == 7 and panel.predict_button.isEnabled()
    assert "## 输入三：当前测试场景" in panel.prompt_view.toPlainText()
    assert "tokens (approx.)" in panel.prompt_info.text()
    assert state.highlights["memory"].event_indices == (0, 1, 2, 3, 4, 5)
    panel.memory.setCurrentText("retrieve")
    assert state.highlights["memory"].label == "memory: retrieve"
    with DevServer(script=script) as srv:
        panel.add_model("openai/dev-model")
        panel.api_base.setText(srv.base_url)
        panel.predict_button.click()
        assert panel.is_running() and panel.cancel_button.isEnabled()
        qasync_loop.run_until_complete(panel.task)
        assert len(srv.completion_requests()) == 7
    cols = panel.table.columns()
    assert cols == ["baseline:user", "openai/dev-model"]
    rows = [r.label.split(" ")[0] for r in panel.table.rows()]
    liked = rows.index("video_liked")
    assert panel.table.cell_text(liked, 1) == "Yes" and panel.table.cell_text(liked, 3) == "Yes"
    assert panel.table.cell_background(liked, 3) == "#dff3df"          # agrees with the real like
    shared = rows.index("video_shared")
    assert panel.table.cell_text(shared, 3) == "No"
    assert len(state.ghosts) == 14 and {g.model for g in state.ghosts} == set(cols)
    assert all(g.event_index == 6 and g.user_id == "u1" for g in state.ghosts)
    assert panel.progress.value() == panel.progress.maximum()
    assert "Done: 14 predictions" in panel.status.text()
    assert "estimated" in panel.prompt_info.text()                     # litellm loaded now


def test_customer_service_shows_real_and_simulated_message(qtbot, qasync_loop, loaded_state):
    state = loaded_state
    panel = make_panel(qtbot, state)
    state.select_event("u1", 7)
    with DevServer(script=script) as srv:
        panel.add_model("openai/dev-model")
        panel.api_base.setText(srv.base_url)
        panel.predict_button.click()
        qasync_loop.run_until_complete(panel.task)
    note = panel.dialogue_note.text()
    assert panel.dialogue_note.isVisibleTo(panel)
    assert "我的快递怎么还没到" in note and "到底什么时候发货" in note


def test_customer_service_transcript_marks_words_of_the_simulated_message(qtbot, qasync_loop, loaded_state,
                                                                         tmp_path):
    """The Predict panel's dialogue (the shared marking component): a mark in the simulated message
    makes the case with the run's predictions and stores a code-point span; undo takes both back."""
    from workbench.annotate.store import CaseStore
    from workbench.app.cases_panel import CasesPanel
    from workbench.app.transcript_marks import MarkingHost

    state = loaded_state
    store = CaseStore(tmp_path / "cases.db")
    cases = CasesPanel(state, store, author="ana")
    qtbot.addWidget(cases)
    panel = make_panel(qtbot, state)
    panel.marker.set_host(MarkingHost(lambda: cases, cases))
    panel.make_case = lambda: cases.mark_event(**panel.case_payload())
    state.select_event("u1", 7)
    assert panel.transcript.isVisibleTo(panel) and "我的快递怎么还没到" in panel.transcript.toPlainText()
    with DevServer(script=script) as srv:
        panel.add_model("openai/dev-model")
        panel.api_base.setText(srv.base_url)
        panel.predict_button.click()
        qasync_loop.run_until_complete(panel.task)
    assert "到底什么时候发货" in panel.transcript.toPlainText()
    panel.transcript.setTextCursor(panel.transcript.document().find("什么时候"))
    span = panel.marker.mark_selection("front-loaded")
    (case,) = store.list_cases()
    assert span is not None and [p.model for p in case.predictions if p.field == "next_user_message"]
    (stored,) = store.spans(case.id)
    assert (stored.target, stored.start, stored.end, stored.quote) == (
        "pred:openai/dev-model:next_user_message", 2, 6, "什么时候")
    cases.undo_stack.undo()
    assert store.list_cases() == [] and store.spans() == []
    cases.shutdown()
    store.close()


def test_cancel_drops_late_results(qtbot, qasync_loop, loaded_state):
    state = loaded_state
    panel = make_panel(qtbot, state)
    state.select_event("u1", 6)
    release = threading.Event()
    with DevServer(script=lambda req: (release.wait(5), Reply("Yes"))[1]) as srv:
        panel.models.item(0).setCheckState(Qt.CheckState.Unchecked)
        panel.add_model("openai/dev-model")
        panel.api_base.setText(srv.base_url)
        panel.predict_button.click()
        task = panel.task

        async def until_requests():
            while len(srv.completion_requests()) < 7:
                await asyncio.sleep(0.01)

        qasync_loop.run_until_complete(until_requests())
        panel.cancel_button.click()
        assert task.cancelled() or task.cancelling()
        release.set()

        async def until_idle():
            while srv.in_flight:
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.1)

        qasync_loop.run_until_complete(until_idle())
    assert panel.last_result is None and state.ghosts == []
    assert all(panel.table.cell_text(r, 2) == "…" for r in range(panel.table.row_count()))
    assert "Cancelled" in panel.status.text() and panel.predict_button.isEnabled()


def test_api_keys_dialog_keyring_and_memory_note(qtbot):
    from workbench import secrets

    dialog = ApiKeysDialog(provider="openai")
    qtbot.addWidget(dialog)
    assert "keyring" in dialog.note.text()
    dialog.key.setText("sk-dialog-test")
    dialog.save_button.click()
    assert secrets.get_key("openai") == "sk-dialog-test" and dialog.key.text() == ""
    assert "openai" in dialog.listing.text()
    dialog.remove_button.click()
    assert secrets.get_key("openai") is None
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        d2 = ApiKeysDialog()
        qtbot.addWidget(d2)
        assert "memory for this session only" in d2.note.text() and "fff3cd" in d2.note.styleSheet()
    finally:
        keyring.set_keyring(previous)
        secrets._reset_for_tests()


def test_panel_preview_never_imports_litellm(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    code = f"""
import json, os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
for d in ("CONFIG", "CACHE", "DATA"):
    os.environ["WORKBENCH_" + d + "_DIR"] = {str(tmp_path)!r}
from PySide6.QtWidgets import QApplication
app = QApplication([])
from tests.simulate import events as E
from workbench.traces import load_traces
from workbench.app.state import AppState
from workbench.app.predict_panel import PredictPanel
p = os.path.join({str(tmp_path)!r}, "t.json")
json.dump({{"u1": {{"user_profile": "", "action_history": E.trace(2)}}}}, open(p, "w"))
state = AppState(); state.set_dataset(load_traces(p)); panel = PredictPanel(state)
panel.add_model("openai/gpt-4o-mini")
state.select_event("u1", 4)
assert panel.prompt_field.count() > 0
print("litellm" in sys.modules)
"""
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_comparison_table_colours_and_disagreement_marker(qtbot):
    from widgets.comparison import AGREE_BG, DISAGREE_BG, FAILED_BG, ComparisonCell, ComparisonRow, ComparisonTable

    table = ComparisonTable()
    qtbot.addWidget(table)
    rows = [ComparisonRow("liked", "Yes", (ComparisonCell("Yes", agrees=True, key="Yes"),
                                           ComparisonCell("Yes (P(yes)=0.7)", agrees=True, key="Yes")), "binary"),
            ComparisonRow("shared", "No", (ComparisonCell("No", agrees=True), ComparisonCell(pending=True)), "binary")]
    table.set_data(["m1", "m2"], rows)
    assert table.cell_text(0, 0) == "liked"                       # same key: no disagreement marker
    assert table.cell_background(0, 2) == AGREE_BG and table.cell_text(1, 3) == "…"
    table.set_cell(1, 1, ComparisonCell("Yes", agrees=False))
    assert table.cell_text(1, 0) == "shared ≠" and table.cell_background(1, 3) == DISAGREE_BG
    table.set_cell(0, 1, ComparisonCell("failed", failed=True, tooltip="bad"))
    assert table.cell_background(0, 3) == FAILED_BG and table.cell_text(0, 0) == "liked"
    table.set_cell(5, 5, ComparisonCell("ignored"))                # out of range: no crash
    assert table.row_count() == 2


def test_big_users_events_are_read_off_the_ui_thread(qtbot, loaded_state, monkeypatch):
    """A user above BIG_USER_EVENTS (100k events take ~1.2 s to read) is read on a worker: the
    panel says so at once and builds the prompts when the events arrive."""
    import workbench.app.predict_panel as P

    monkeypatch.setattr(P, "BIG_USER_EVENTS", 3)
    read_on: list[str] = []
    real = P._read_user_events

    def spy(task, ds, user):
        read_on.append(threading.current_thread().name)
        return real(task, ds, user)

    monkeypatch.setattr(P, "_read_user_events", spy)
    state = loaded_state
    panel = make_panel(qtbot, state)
    state.select_event("u1", 6)
    assert "Reading the events of u1" in panel.status.text() and panel.prompt_field.count() == 0
    qtbot.waitUntil(lambda: panel.prompt_field.count() == 7, timeout=10000)
    assert read_on and read_on[0] != threading.main_thread().name
    assert panel.predict_button.isEnabled()
    state.select_event("u1", 5)                      # same user: no second read
    assert len(read_on) == 1 and panel.prompt_field.count() > 0


def test_rolling_history_checkout_and_diff_dialog(qtbot, tmp_path):
    """An event in the test window gets the benchmark's rolling history (a timed 09-30 event is left
    out) and the panel says which rule chose it; a benchmark checkout builds the prompts and the diff
    dialog shows ours beside it."""
    from pathlib import Path

    from workbench.traces import load_traces

    evs = [E.video(ts="2025-09-29 08:00:00", caption="九月"), E.video(ts="2025-09-30 09:28:22", caption="月末"),
           E.video(ts="2025-10-02 08:00:00", caption="十月"), E.video(ts="2025-10-03 08:00:00", caption="目标")]
    path = tmp_path / "w.json"
    path.write_text(json.dumps({"u1": {"user_profile": "女。", "action_history": evs}}, ensure_ascii=False))
    state = AppState()
    state.set_dataset(load_traces(path))
    panel = PredictPanel(state)
    qtbot.addWidget(panel)
    state.select_event("u1", 3)
    assert "history rule: benchmark rolling history" in panel.status.text()
    assert state.highlights["memory"].event_indices == (0, 2)
    assert "月末" not in panel.prompt_view.toPlainText()
    state.select_event("u1", 1)
    assert "history rule: every earlier event (outside the test window" in panel.status.text()

    panel.reference.setText(str(tmp_path / "nowhere"))
    state.select_event("u1", 3)
    assert "Benchmark checkout not used:" in panel.status.text() and "no such folder" in panel.status.text()
    panel.reference.setText(str(Path(__file__).resolve().parents[1] / "fixtures" / "benchmark_standin"))
    panel.refresh()
    assert panel.prompt_view.toPlainText().startswith("STANDIN ROLE")
    assert "prompts by the benchmark's own code" in panel.status.text()
    panel.diff_button.click()
    dialog = panel.diff_dialog
    assert dialog is not None and dialog.field.count() == 7
    assert dialog.differing_lines() > 0 and "lines differ" in dialog.summary.text()
    assert dialog.ours.toPlainText().startswith("你是快手平台上的一名真实用户")
    assert "STANDIN ROLE" in dialog.theirs.toPlainText()
    dialog.close()


def test_cost_estimate_fills_in_when_the_background_import_ends(qtbot, loaded_state, monkeypatch):
    """The estimate line said "once litellm has loaded" until the panel's next change; now the end of
    the window's background import (on its own thread) refreshes it at once."""
    from workbench.app import preload
    from workbench.simulate import providers, standby, tokens

    loaded = threading.Event()
    monkeypatch.setattr(tokens, "litellm_loaded", loaded.is_set)
    monkeypatch.setattr(standby, "wait_quiet", lambda *a: True)
    monkeypatch.setattr(standby, "retire", lambda: None)
    monkeypatch.setattr(providers, "warm_up", loaded.set)          # the import "ends" on the thread
    monkeypatch.setattr(preload, "_state", dict(preload._state, started=0.0, ok=False, error=""))
    state = loaded_state
    panel = make_panel(qtbot, state)
    state.select_event("u1", 6)
    panel.add_model("openai/dev-model")
    qtbot.waitUntil(lambda: "once litellm has loaded" in panel.prompt_info.text(), timeout=5000)
    thread = preload.start_litellm_preload(on_finished=state.litellm_loaded.emit)
    assert thread is not None
    thread.join(5)
    qtbot.waitUntil(lambda: "estimated openai/dev-model" in panel.prompt_info.text(), timeout=5000)
