"""The blind test from the Predict panel (keyboard only) and the Evaluation panel's detection-rate chart."""

from __future__ import annotations

import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.app.conftest import open_window
from tests.app.data import chain_indices
from workbench.annotate.blind import build_items, wilson
from workbench.annotate.store import CaseStore
from workbench.app.settings import annotator_name
from workbench.devserver import DevServer, Reply


def _script(req) -> Reply:
    task = req.prompt.split("## 预测任务")[-1]
    if "多少秒" in task:
        return Reply("25")
    if "当前客服对话场景" in req.prompt:
        return Reply("您好，麻烦帮我看一下，谢谢您！")
    return Reply("Yes")


def _predict(qasync_loop, win, index, srv):
    win.select(index)
    panel = win.predict_here()
    panel.add_model("openai/dev")
    panel.api_base.setText(srv.base_url)
    panel.predict_button.click()
    qasync_loop.run_until_complete(panel.task)
    return panel


def _chart_rows(chart):
    ticks = chart.plot.getAxis("left")._tickLevels[0]
    return [label for _, label in ticks]


def test_blind_test_of_panel_predictions_by_keyboard_and_chart(qtbot, qasync_loop, make_window, trace_path):
    from workbench.app.inspector import _loads, dialogue_turns

    win = open_window(qtbot, make_window, trace_path)
    win.settings.annotator = "Rita Blind"                                 # Edit ▸ Settings…: picks record her
    service = next(int(i) for i in win.track.ids if dialogue_turns(_loads(win.track.row(int(i)).get("actions")) or []))
    with DevServer(script=_script) as srv:
        panel = _predict(qasync_loop, win, chain_indices()[1], srv)        # a video
        assert panel.blind_button.isEnabled() and "1 event(s)" in panel.blind_button.toolTip()
        _predict(qasync_loop, win, service, srv)                           # a customer-service dialogue
    assert "2 event(s)" in panel.blind_button.toolTip()
    eval_panel = win.show_dock("Evaluation")                              # its chart follows every pick
    win.show_dock("Predict")
    panel.blind_button.setFocus()
    qtbot.keyClick(panel.blind_button, Qt.Key.Key_Space)                  # keyboard: the focused button
    dlg = win.blind_dialog
    assert dlg is not None and dlg.isVisible() and dlg.among is not None
    store = win.cases_panel.store
    items = {i.id: i for i in store.blind_items()}
    mine = [items[i] for i in dlg.among]
    # one item per event and model that answered (the baseline writes no message: no dialogue item of it)
    assert sorted((i.event_index, i.model) for i in mine) == sorted(
        [(chain_indices()[1], "baseline:user"), (chain_indices()[1], "openai/dev"), (service, "openai/dev")])
    msg = next(i for i in mine if i.kind == "message" and i.model == "openai/dev")
    assert "您好，麻烦帮我看一下，谢谢您！" in (msg.a_text, msg.b_text) and msg.context
    assert not panel.blind_button.isEnabled()                             # the pool went into this test
    assert dlg.header.text().startswith("Item 1 of 3")
    cases_before = store.count()
    # the keys go where a person's keys go: to the focused widget (the reasons list), not to the dialog
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None and dlg.isAncestorOf(QApplication.focusWidget()),
                    timeout=5000)
    focus = QApplication.focusWidget()
    assert focus is dlg.reasons
    for n, _ in enumerate(mine):                                          # A/B, 1-3, Enter (reveal), Enter (next)
        item = dlg.item
        right = n % 2 == 0
        side = item.real_side if right else ("B" if item.real_side == "A" else "A")
        qtbot.keyClick(focus, Qt.Key.Key_A if side == "A" else Qt.Key.Key_B)
        qtbot.keyClick(focus, Qt.Key.Key_3)
        if n == 0:                                                        # arrows and Space still tick a reason
            qtbot.keyClick(focus, Qt.Key.Key_Down)
            qtbot.keyClick(focus, Qt.Key.Key_Space)
            ticked = dlg.reasons.item(dlg.reasons.currentRow())
            assert ticked.checkState() == Qt.CheckState.Checked
            reason = ticked.data(Qt.ItemDataRole.UserRole)
        qtbot.keyClick(focus, Qt.Key.Key_Return)
        assert ("Right" if right else "Wrong") in dlg.status.text()
        assert f"{n + 1} pick(s)" in eval_panel.blind_label.text()
        qtbot.keyClick(focus, Qt.Key.Key_Return)
    assert dlg.item is None and "Done" in dlg.header.text()
    picks = store.blind_picks()
    assert next(p for p in picks if p.item_id == mine[0].id).reasons == (reason,)
    assert len(picks) == 3 and {p.annotator for p in picks} == {"Rita Blind"} == {annotator_name(win.settings)}
    assert store.count() == cases_before + 2                              # the sure, right picks are cases
    easy = [c for c in store.list_cases() if c.note.startswith("Blind test")]
    assert easy and {c.scenario for c in easy} <= {"Video Browsing", "Customer Service"}   # English, as cases are
    # the Evaluation panel's chart: per model and per scenario, with the counts of these picks
    rows = _chart_rows(eval_panel.blind_chart)
    assert "openai/dev · all" in rows and "baseline:user · all" in rows
    assert sum(label.startswith("    ") for label in rows) == 3            # per model and scenario
    assert "3 pick(s)" in eval_panel.blind_label.text() and "none drawn from this run" in eval_panel.blind_label.text()


def test_chart_counts_the_run_items_and_follows_new_picks(qtbot, tmp_path):
    from workbench.app.eval_panel import EvaluationPanel
    from workbench.app.state import AppState

    run = tmp_path / "run"
    run.mkdir()
    rows = [{"user_id": f"u{i}", "event_index": i, "scenario": "视频浏览", "field": "video_liked", "true_value": i % 2,
             "predicted_label": 1, "predicted_value": 1.0, "parse_ok": True, "model": m}
            for i in range(6) for m in ("gpt", "qwen")]
    db = tmp_path / "s.db"
    with CaseStore(db) as store:
        ours = store.append_blind_items(build_items(rows, "gpt", 6, seed=1, source=str(run / "predictions.jsonl")))
        other = store.append_blind_items(build_items(rows, "qwen", 6, seed=1, source=str(tmp_path / "elsewhere.jsonl")))
        for item in ours[:5]:
            store.record_pick(item, "ana", item.real_side, 2)         # 5 right of 5
        store.record_pick(other[0], "ana", other[0].real_side, 2)
    panel = EvaluationPanel(AppState())
    qtbot.addWidget(panel)
    panel.resize(1366, 500)
    panel.out_dir = run
    panel.blind_store_path = lambda: db
    panel.refresh_blind()
    chart = panel.blind_chart
    assert _chart_rows(chart) == ["gpt · all", "    Video Browsing"]   # only the items drawn from this run
    assert "5 pick(s) by ana on the 6 item(s) drawn from this run" in panel.blind_label.text()
    bars = [i for i in chart.plot.items if isinstance(i, pg.ErrorBarItem)]
    low, high = wilson(5, 5)
    assert len(bars) == 1
    x, left, right = (bars[0].opts[k] for k in ("x", "left", "right"))
    assert list(x) == [1.0, 1.0] and list(x - left) == pytest.approx([low, low]) and list(x + right) == [high, high]
    chance = [i for i in chart.plot.items if isinstance(i, pg.InfiniteLine)]
    assert [c.value() for c in chance] == [0.5]
    with CaseStore(db) as store:                                      # a new (wrong) pick: the chart follows
        store.record_pick(ours[5], "bo", "A" if ours[5].real_side == "B" else "B", 1)
    panel.refresh_blind()
    bars = [i for i in chart.plot.items if isinstance(i, pg.ErrorBarItem)]
    assert list(bars[0].opts["x"]) == pytest.approx([5 / 6, 5 / 6]) and "6 pick(s) by ana, bo" in panel.blind_label.text()
    panel.out_dir = tmp_path / "another-run"                          # no item from that run: all items, said so
    panel.refresh_blind()
    assert _chart_rows(chart)[0] == "gpt · all" and "qwen · all" in _chart_rows(chart)
    assert "none drawn from this run" in panel.blind_label.text()


def test_gui_export_takes_the_gap_from_the_evaluation_run_it_shows(qtbot, make_window, trace_path, tmp_path, capsys):
    import re

    from workbench.app.export_dialog import ExportDialog
    from workbench.cli import main

    run = tmp_path / "run-for-report"
    assert main(["eval", str(trace_path), "--model", "baseline:user", "--n-per-user", "12", "--history-window",
                 "none", "--test-window", "none", "--allow-failures", "1000", "--out", str(run)]) == 0
    capsys.readouterr()
    win = open_window(qtbot, make_window, trace_path, persist=False, restore=False)
    win.select(chain_indices()[1])
    win.mark_selected_event()
    assert win.show_dock("Evaluation").open_results(run)
    dialog = win.export_cases()
    assert isinstance(dialog, ExportDialog) and dialog.run_path.text() == str(run)   # linked: the shown run
    dialog.set_format("html")
    out = tmp_path / "report.html"
    dialog.path.setText(str(out))
    with qtbot.waitSignal(dialog.exported, timeout=30000):
        dialog.start_export()
    first = re.search(r'<section class="stakeholder">(.*?)</section>', out.read_text(encoding="utf-8"), re.S).group(1)
    assert "Measured by evaluation run <b>run-for-report</b>" in first and "<b>baseline:user</b> engaged" in first
    dialog.run_path.setText(str(tmp_path / "no-such-run"))              # a bad run: said, nothing written
    out.unlink()
    dialog.start_export()
    qtbot.waitUntil(lambda: dialog.job is None, timeout=30000)
    assert "Export failed" in dialog.message.text() and "no-such-run" in dialog.message.text()
    assert not out.exists()


def test_chart_reads_the_store_the_window_holds_and_survives_another_writer(qtbot, tmp_path):
    """A second connection opened and closed in this process drops SQLite's locks on the file, and a
    writer in another process (``workbench blind build``) then leaves the held connection stale or
    failing; the chart therefore reads the store object the window already holds."""
    import subprocess
    import sys

    from workbench.app.eval_panel import EvaluationPanel
    from workbench.app.state import AppState

    rows = [{"user_id": f"u{i}", "event_index": i, "scenario": "视频浏览", "field": "video_liked", "true_value": i % 2,
             "predicted_label": 1, "predicted_value": 1.0, "parse_ok": True, "model": "gpt"} for i in range(8)]
    db = tmp_path / "held.db"
    held = CaseStore(db)
    try:
        first = held.append_blind_items(build_items(rows, "gpt", 4, seed=1))
        held.record_pick(first[0], "ana", first[0].real_side, 2)
        panel = EvaluationPanel(AppState())
        qtbot.addWidget(panel)
        panel.blind_store_path = lambda: held
        panel.refresh_blind()
        assert "1 pick(s)" in panel.blind_label.text()
        code = ("import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
                "[c.execute(\"INSERT INTO blind_picks(item_id, annotator, pick, confidence, reasons, note, created) "
                "VALUES (?, 'bo', 'A', 1, '[]', '', '2026-12-02T21:00:00')\", (i,)) for i in sys.argv[2:]]; c.close()")
        subprocess.run([sys.executable, "-c", code, str(db), *[i.id for i in first[1:]]], check=True)
        held.record_pick(first[1], "ana", first[1].real_side, 2)       # the held connection still works
        assert len(held.blind_picks()) == 5 and held.integrity_check() == "ok"
        panel.refresh_blind()
        assert "5 pick(s) by ana, bo" in panel.blind_label.text()
    finally:
        held.close()
