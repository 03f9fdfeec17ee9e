"""The Compare dock: two sides, metrics with intervals, filtered questions, open in context."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt

from tests.app.conftest import open_window


def _run(path, rows):
    path.mkdir()
    (path / "predictions.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                            encoding="utf-8")
    return str(path)


def _rows(model, preds):
    truth = [1, 0, 1, 0, 0, 1]
    return [{"model": model, "user_id": "user_a", "event_index": i, "field": "video_liked",
             "kind": "binary", "scenario": "视频浏览", "true_value": t, "predicted_value": p,
             "predicted_label": p, "parse_ok": True, "raw_output": f"{model} says {p}"}
            for i, (t, p) in enumerate(zip(truth, preds))]


def test_compare_two_runs_and_open_a_question(qtbot, make_window, trace_path, tmp_path):
    win = open_window(qtbot, make_window, trace_path)
    assert "Compare runs…" in [a.text().replace("&", "") for a in win.view_menu.actions()]
    panel = win.show_compare()
    assert win.compare_panel is panel
    a = _run(tmp_path / "a", _rows("m1", [1, 0, 0, 0, 0, 0]))
    b = _run(tmp_path / "b", _rows("m2", [1, 1, 1, 0, 1, 1]))
    panel.set_side(True, a)
    panel.set_side(False, b)
    assert panel.base_model.currentText() == "m1" and panel.other_model.currentText() == "m2"
    panel.reps.setValue(200)
    with qtbot.waitSignal(panel.metrics_model.modelReset, timeout=20000):
        panel.compare()
    names = [m.name for m in panel.metrics_model.metrics]
    assert names[0] == "Overall score" and "F1 video_liked" in names
    row = names.index("F1 video_liked")
    # m1: TP 1, FN 2 -> F1 0.5; m2: TP 3, FP 2 -> F1 0.75
    assert panel.metrics_model.data(panel.metrics_model.index(row, 1)) == "50.00"
    assert panel.metrics_model.data(panel.metrics_model.index(row, 2)) == "75.00"
    assert panel.metrics_model.data(panel.metrics_model.index(row, 3)) == "+25.00"
    qm = panel.questions_model
    assert qm.rowCount() == 4                               # changed only (questions 1, 2, 4, 5)
    panel.changed_only.setChecked(False)
    assert qm.rowCount() == 6
    panel.user_filter.setText("nobody")
    assert qm.rowCount() == 0
    panel.user_filter.clear()
    panel.changed_only.setChecked(True)
    first = qm.questions[0]
    panel.questions_view.setCurrentIndex(qm.index(0, 0))
    assert f"m1 says {first.base}" in panel.detail.toPlainText()
    assert f"m2 says {first.other}" in panel.detail.toPlainText()
    panel.questions_view.doubleClicked.emit(qm.index(0, 0))
    qtbot.waitUntil(lambda: win.state.selected_index == first.event_index, timeout=5000)
    out = tmp_path / "cmp.html"
    panel.export_html(out)
    assert "F1 video_liked" in out.read_text(encoding="utf-8")


def test_one_run_two_models_and_errors(qtbot, make_window, trace_path, tmp_path):
    win = open_window(qtbot, make_window, trace_path)
    panel = win.show_compare()
    both = _run(tmp_path / "both", _rows("m1", [0] * 6) + _rows("m2", [1] * 6))
    panel.set_side(True, both)
    panel.set_side(False, both)
    assert (panel.base_model.currentText(), panel.other_model.currentText()) == ("m1", "m2")
    errors = []
    win.state.error_posted.connect(lambda t, m: errors.append(m))
    panel.set_side(True, str(tmp_path))                     # not a run folder
    assert errors and "no predictions.jsonl" in errors[0]
    other = _run(tmp_path / "other", [dict(r, true_value=1 - r["true_value"]) for r in _rows("m3", [1] * 6)])
    panel.set_side(False, other)
    panel.compare()
    qtbot.waitUntil(lambda: len(errors) == 2, timeout=20000)
    assert "not run on the same traces" in errors[1]
    assert panel.compare_button.isEnabled()
    assert panel.metrics_view.model().headerData(0, Qt.Orientation.Horizontal) == "metric"


def test_both_prompts_are_shown_exactly_as_the_models_saw_them(qtbot, make_window, trace_path, tmp_path):
    from workbench.cli import main
    from workbench.devserver import DevServer

    out = tmp_path / "run"
    def answer(req):
        return "30" if "秒" in req.prompt.split("## 预测任务")[-1] else "No"

    with DevServer(script=answer) as srv:
        rc = main(["eval", str(trace_path), "--model", "openai/a", "--model", "openai/b",
                   "--api-base", srv.base_url, "--users", "user_a", "--n-per-user", "3",
                   "--history-window", "2025-08-01", "2025-09-05", "--test-window", "2025-09-05",
                   "2025-09-30", "--out", str(out), "--no-cache", "--no-biases"])
        sent = [r.prompt for r in srv.completion_requests()]
    assert rc == 0 and (out / "prompts.jsonl").exists()
    win = open_window(qtbot, make_window, trace_path)
    panel = win.show_compare()
    panel.set_side(True, str(out))
    panel.set_side(False, str(out))
    panel.reps.setValue(0)
    with qtbot.waitSignal(panel.metrics_model.modelReset, timeout=20000):
        panel.compare()
    panel.changed_only.setChecked(False)
    qm = panel.questions_model
    assert qm.rowCount() > 0
    panel.questions_view.setCurrentIndex(qm.index(0, 0))
    for view in (panel.base_prompt, panel.other_prompt):
        text = view.toPlainText()
        assert text.startswith("(exactly the prompt the model saw)")
        body = text.split("\n\n", 1)[1]
        assert body in sent                                  # character for character what was sent
