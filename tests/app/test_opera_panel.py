"""The OPeRA evaluation dock: run the next-action batch on the qasync loop over an OPeRA folder
(offline baselines, and a model through litellm's real path to the loopback server), the figures per
model, the steps with "Ask why", double-click to the timeline, cancel, open and resume a run folder,
a clear notice on other data, and a dock that never widens the window."""

from __future__ import annotations

import asyncio
import json

import pytest
from PySide6.QtCore import Qt

from tests.app.conftest import open_window
from tests.traces import opera_fixture as F
from workbench.devserver import DevServer, Reply


@pytest.fixture
def opera_root(tmp_path):
    return F.write_quirks(tmp_path / "opera")


def _answer(req):
    if "Search term: rice cooker" in req.prompt:
        return ("Action: click\nClick type: purchase\nTarget: buy_box.buy_now\n"
                "Reason: It is the cooker I was looking for.")
    return "Action: click\nClick type: product_link\nTarget: nothing.here\nReason: Looking around."


def _opera_panel(qtbot, make_window, root):
    win = open_window(qtbot, make_window, root, user=F.ALICE)
    panel = win.show_dock("OPeRA evaluation")
    assert win.opera_panel is panel
    assert win.docks["OPeRA evaluation"] in win.tabifiedDockWidgets(win.docks["Events"])
    assert not panel.notice.isVisible() and panel.run_button.isEnabled()
    panel.split_combo.setCurrentText("all")
    panel.sessions_spin.setValue(0)
    return win, panel


def _matrix(panel) -> dict[str, dict[str, str]]:
    m = panel.matrix_model
    return {m.models[r]: {m.headerData(c, Qt.Orientation.Horizontal): m.data(m.index(r, c))
                          for c in range(1, m.columnCount())} for r in range(m.rowCount())}


def test_baselines_matrix_cases_ask_why_and_timeline(qtbot, qasync_loop, make_window, opera_root, tmp_path):
    win, panel = _opera_panel(qtbot, make_window, opera_root)
    panel.models_edit.setText("baseline:user, baseline:last")
    with qtbot.waitSignal(panel.run_finished, timeout=60000) as sig:
        qasync_loop.run_until_complete(panel.start(specs=panel.specs(), out_dir=tmp_path / "run"))
    report = sig.args[0]
    saved = json.loads((tmp_path / "run" / "report.json").read_text(encoding="utf-8"))
    assert saved["models"] == report["models"] and list(report["models"]) == ["baseline:user", "baseline:last"]
    shown = _matrix(panel)
    for model, figures in report["models"].items():
        assert shown[model]["Accuracy %"] == f"{figures['next_action_accuracy']:.1f}"
        assert shown[model]["Purchase F1"] == f"{figures['session_purchase_f1']:.1f}"
        assert shown[model]["Shopper stops %"] == f"{figures['terminate_rate_true']:.1f}"
        assert shown[model]["Steps"] == str(figures["actions"])
    assert panel.chart.categories[0] == "Accuracy %" and set(panel.chart.series) == set(report["models"])
    # the steps of the model clicked in the matrix
    panel.matrix_view.clicked.emit(panel.matrix_model.index(1, 2))
    assert panel.model_combo.currentText() == "baseline:last"
    n = report["models"]["baseline:last"]["actions"]
    assert panel.cases_model.rowCount() == n
    panel.filter_combo.setCurrentIndex(2)                  # explained by the shopper (Ask why)
    cases = panel.cases_model.cases
    assert cases and all(c["real_rationale"] for c in cases) and len(cases) < n
    row = next(i for i, c in enumerate(cases) if c["real_rationale"] == "Buy it, the price is good.")
    panel.cases_view.setCurrentIndex(panel.cases_model.index(row, 0))
    assert "Buy it, the price is good." in panel.why_real.text() and "purchase" in panel.why_real.text()
    assert "baseline:last predicted" in panel.why_model.text()
    with qtbot.waitSignal(panel.case_selected):
        panel.cases_view.doubleClicked.emit(panel.cases_model.index(row, 1))
    assert win.state.current_user == F.ALICE and win.state.selected_index == cases[row]["event_index"]


def test_model_through_litellm_cancel_open_and_resume(qtbot, qasync_loop, make_window, opera_root, tmp_path):
    win, panel = _opera_panel(qtbot, make_window, opera_root)
    out = tmp_path / "run"
    # cancel: a slow server, one request in flight
    with DevServer(script=lambda req: Reply(_answer(req), delay=5.0)) as slow:
        panel.models_edit.setText("openai/dev-model")
        panel.api_base_edit.setText(slow.base_url)
        panel.concurrency_spin.setValue(1)
        task = panel.start(specs=panel.specs(), out_dir=out)
        assert panel.cancel_button.isEnabled() and not panel.run_button.isEnabled()

        async def first_request() -> None:
            while not slow.completion_requests():
                await asyncio.sleep(0.05)

        qasync_loop.run_until_complete(asyncio.wait_for(first_request(), 30))
        with qtbot.waitSignal(panel.run_cancelled, timeout=10000):
            panel.cancel_button.click()
            with pytest.raises(asyncio.CancelledError):
                qasync_loop.run_until_complete(task)
    assert "Cancelled" in panel.status.text() and panel.run_button.isEnabled()
    assert not (out / "report.json").exists()
    # the real run: a model through litellm to the loopback server, beside a baseline
    with DevServer(script=_answer) as srv:
        panel.models_edit.setText("openai/dev-model, baseline:last")
        panel.api_base_edit.setText(srv.base_url)
        panel.concurrency_spin.setValue(3)
        with qtbot.waitSignal(panel.run_finished, timeout=60000) as sig:
            qasync_loop.run_until_complete(panel.start(specs=panel.specs(), out_dir=out))
        asked = len(srv.completion_requests())
        report = sig.args[0]
        steps = report["models"]["openai/dev-model"]["actions"]
        assert 0 < asked <= steps
        llm = report["models"]["openai/dev-model"]
        assert llm["terminate_rate_predicted"] == 0.0 and llm["terminate_rate_true"] > 0
        # "never stops" is flagged in the matrix
        col = 1 + [k for k, _h, _t in __import__("workbench.app.opera_panel", fromlist=["x"]).MATRIX_COLUMNS
                   ].index("terminate_rate_predicted")
        assert panel.matrix_model.data(panel.matrix_model.index(0, col), Qt.ItemDataRole.ForegroundRole) is not None
        panel.model_combo.setCurrentText("openai/dev-model")
        panel.filter_combo.setCurrentIndex(2)
        row = next(i for i, c in enumerate(panel.cases_model.cases)
                   if c["real_rationale"] == "Buy it, the price is good.")
        panel.cases_view.setCurrentIndex(panel.cases_model.index(row, 0))
        assert "It is the cooker I was looking for." in panel.why_model.text()
        assert "Buy it, the price is good." in panel.why_real.text()
        assert panel.cases_model.data(panel.cases_model.index(row, 4)) == "✓"

        # open the folder in a fresh panel state, then resume into it: nothing is asked again
        panel.show_results([], {"models": {}})
        assert panel.matrix_model.rowCount() == 0
        with qtbot.waitSignal(panel.results_shown, timeout=20000):
            panel.open_run(out)
        assert set(panel.matrix_model.models) == {"openai/dev-model", "baseline:last"}
        assert panel.resume_check.isChecked() and "openai/dev-model" in panel.models_edit.text()
        assert _matrix(panel)["openai/dev-model"]["Accuracy %"] == f"{llm['next_action_accuracy']:.1f}"
        with qtbot.waitSignal(panel.run_finished, timeout=60000) as sig2:
            panel._on_run_clicked()
            qasync_loop.run_until_complete(panel._task)
        assert len(srv.completion_requests()) == asked
        assert sig2.args[0]["models"] == report["models"] and panel.out_dir == out


def test_other_data_is_named_and_bad_run_folders_are_errors(qtbot, qasync_loop, make_window, trace_path, tmp_path):
    win = open_window(qtbot, make_window, trace_path)
    panel = win.show_dock("OPeRA evaluation")
    assert panel.notice.isVisible() and "not an OPeRA folder" in panel.notice.text()
    assert not panel.run_button.isEnabled() and panel.open_button.isEnabled()
    with pytest.raises(RuntimeError):
        panel.start(specs=panel.specs())
    empty = tmp_path / "empty"
    empty.mkdir()
    job = panel.open_run(empty)
    qtbot.waitUntil(lambda: not job.running and "Could not open the run" in panel.status.text(), timeout=20000)
    assert "predictions.jsonl" in panel.status.text()
    assert any("predictions.jsonl" in m for _t, m in win.errors) or win.error_banner.isVisible()
    other = tmp_path / "omni"
    other.mkdir()
    (other / "predictions.jsonl").write_text(json.dumps(
        {"model": "m", "user_id": "u", "event_index": 1, "field": "like", "true_value": "Yes"}) + "\n")
    panel.open_run(other)
    qtbot.waitUntil(lambda: "not OPeRA next-action predictions" in panel.status.text(), timeout=20000)


def test_dock_never_widens_the_window(qtbot, make_window, opera_root, tmp_path):
    win = open_window(qtbot, make_window, opera_root, user=F.ALICE, size=(1366, 768))
    panel = win.show_dock("OPeRA evaluation")
    panel.status.setText("A very long status line " * 40)
    panel.why_real.setText("<b>Shopper</b>: " + "a long rationale that goes on " * 40)
    panel.notice.setText("A long notice " * 60)
    panel.notice.show()
    qtbot.wait(50)
    assert panel.minimumSizeHint().width() < 400
    assert win.width() <= 1366 and win.minimumSizeHint().width() <= 1366
