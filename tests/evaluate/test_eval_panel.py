"""The Evaluation view: batch on the qasync loop, matrix, drill-down to cases, bias plots, cancel."""

from __future__ import annotations

import asyncio
import gc
import time

import pytest

from tests.evaluate.test_sampling import _big_user
from workbench.evaluate import sampling as S


@pytest.fixture
def panel(qtbot, qapp):
    from workbench.app.eval_panel import EvaluationPanel
    from workbench.app.theme import apply_theme
    from workbench.app.state import AppState

    apply_theme(qapp)
    state = AppState()
    p = EvaluationPanel(state)
    p.resize(1300, 800)
    qtbot.addWidget(p)
    p.show()
    qtbot.waitExposed(p)
    return p


def _data():
    users = [_big_user(f"user_{i:03d}", 50, seed=i) for i in range(1, 5)]
    return users, S.sample_events(users, test_length=8)


def test_run_matrix_drilldown_and_selection(panel, qtbot, qasync_loop, tmp_path):
    from workbench.devserver import DevServer
    from workbench.simulate.cache import ResponseCache
    from workbench.simulate.types import ModelSpec

    users, sample = _data()

    def answer(req):
        return "30" if "只输出一个整数" in req.prompt else "Yes"

    with DevServer(script=answer) as srv:
        specs = [ModelSpec("openai/dev-model", api_base=srv.base_url), ModelSpec("baseline:user")]
        with qtbot.waitSignal(panel.run_finished, timeout=60000) as finished:
            task = panel.start(specs=specs, users=users, sample=sample, out_dir=tmp_path / "o",
                               cache=ResponseCache(tmp_path / "c.sqlite"))
            assert panel.running and not panel.run_button.isEnabled()
            qasync_loop.run_until_complete(task)
    assert "openai/dev-model" in finished.args[0]["models"]
    assert not panel.running and panel.run_button.isEnabled()
    m = panel.matrix_model
    pairs = {(r.model, r.scenario) for r in m.rows}
    assert ("openai/dev-model", "视频浏览") in pairs and ("baseline:user", "视频浏览") in pairs
    row = next(i for i, r in enumerate(m.rows) if r.model == "openai/dev-model" and r.scenario == "视频浏览")
    gap_col = 2 + [c[0] for c in m.columns].index("rate_gap")
    assert float(m.data(m.index(row, gap_col))) > 0          # an always-Yes model is hyper-active
    rect = panel.matrix_view.visualRect(m.index(row, gap_col))
    from PySide6.QtCore import Qt

    qtbot.mouseClick(panel.matrix_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert panel.cases_model.rowCount() > 0
    first = panel.cases_model.case_at(0)
    assert first["model"] == "openai/dev-model" and first["predicted_label"] == 1
    with qtbot.waitSignal(panel.state.selection_changed) as sel:
        panel.cases_view.selectRow(0)
    assert sel.args == [first["user_id"], first["event_index"]]
    assert panel.state.ghosts and all(g.event_index == first["event_index"] for g in panel.state.ghosts)
    # charts are drawn for the chosen model
    assert "openai/dev-model" in panel.rate_chart.series
    assert panel.rate_chart.series["openai/dev-model"].size == len(panel.rate_chart.categories) > 0
    panel.grab().save(str(tmp_path / "eval_panel.png"))
    # reopening the saved folder shows the same matrix
    n = m.rowCount()
    panel.show_results([], {})
    assert m.rowCount() == 0
    assert panel.open_results(tmp_path / "o") and m.rowCount() == n


async def _until(predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


# litellm's acompletion makes its provider coroutine on an executor thread; a call cancelled while
# that thread runs drops the coroutine unawaited (litellm's own, collected at the end of the test)
@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
def test_cancel_keeps_the_ui_usable(panel, qtbot, qasync_loop, tmp_path):
    from workbench.devserver import DevServer
    from workbench.simulate.cache import ResponseCache
    from workbench.simulate.types import ModelSpec

    users = [_big_user(f"user_{i:03d}", 50, seed=i) for i in range(1, 5)]
    sample = S.sample_events(users, test_length=30)
    with DevServer(default="Yes", latency=0.5) as srv:
        task = panel.start(specs=[ModelSpec("openai/dev-model", api_base=srv.base_url)], users=users,
                           sample=sample, out_dir=tmp_path / "o", cache=ResponseCache(tmp_path / "c.sqlite"))
        # Wait inside the asyncio loop: qtbot.waitUntil spins Qt without marking the qasync loop
        # as running, and the batch's asyncio.to_thread calls need a running loop.
        qasync_loop.run_until_complete(_until(lambda: panel.progress.value() > 0, timeout=60))
        with qtbot.waitSignal(panel.run_cancelled, timeout=10000):
            panel.cancel_button.click()
            with pytest.raises(asyncio.CancelledError):
                qasync_loop.run_until_complete(task)
    assert not panel.running and panel.run_button.isEnabled() and not panel.cancel_button.isEnabled()
    assert "Cancelled" in panel.status.text()
    gc.collect()                    # here, under the filter, not in whichever test runs next


def test_run_without_dataset_posts_an_error(panel, qtbot):
    with qtbot.waitSignal(panel.state.error_posted) as err:
        panel.run_button.click()
    assert "trace file" in err.args[1]
    assert not panel.running


def test_bar_chart_hit_testing(qtbot):
    from widgets.metric_charts import DistributionChart, GroupedBarChart

    c = GroupedBarChart("t", horizontal=False)
    qtbot.addWidget(c)
    c.set_data(["a", "b"], {"real": [0.2, 0.4], "model": [0.9, None]})
    assert c.bar_at(-0.2, 0.1) == ("a", "real")
    assert c.bar_at(0.2, 0.5) == ("a", "model")
    assert c.bar_at(0.2, 0.95) is None            # above the bar
    assert c.bar_at(1.2, 0.1) is None             # missing value
    h = GroupedBarChart("h")
    qtbot.addWidget(h)
    h.set_data(["a", "b"], {"real": [0.2, 0.4], "model": [0.9, None]})
    assert h.bar_at(0.1, -0.2) == ("a", "real") and h.bar_at(0.5, 0.2) == ("a", "model")
    assert h.bar_at(0.3, 0.8) == ("b", "real") and h.bar_at(0.5, 0.8) is None
    d = DistributionChart("d")
    qtbot.addWidget(d)
    d.set_data({"x": [0.1, 0.2, 0.2], "y": []})
    d.set_data({})


def test_run_button_samples_the_open_dataset(panel, qtbot, qasync_loop, tmp_path):
    import json

    from workbench.traces import load_traces

    users, _ = _data()
    path = tmp_path / "t.json"
    path.write_text(json.dumps({u.user_id: {"user_profile": u.profile, "action_history": u.events}
                                for u in users}, ensure_ascii=False))
    panel.state.set_dataset(load_traces(path))
    panel.models_edit.setText("baseline:user")
    panel.n_spin.setValue(3)
    with qtbot.waitSignal(panel.run_finished, timeout=60000) as done:
        panel.run_button.click()
        assert panel.running
        qasync_loop.run_until_complete(panel._task)
    assert list(done.args[0]["models"]) == ["baseline:user"]
    assert done.args[0]["run"]["events"] == 12
    assert panel.matrix_model.rowCount() > 0


def test_api_base_field_takes_several_servers(panel, qtbot, qasync_loop, tmp_path):
    import json

    from tests.evaluate.test_batch import answer
    from workbench.devserver import DevServer
    from workbench.traces import load_traces

    users, _ = _data()
    path = tmp_path / "t.json"
    path.write_text(json.dumps({u.user_id: {"user_profile": u.profile, "action_history": u.events}
                                for u in users}, ensure_ascii=False))
    panel.state.set_dataset(load_traces(path))
    panel.models_edit.setText("openai/dev-model")
    panel.n_spin.setValue(3)
    panel.concurrency_spin.setValue(2)
    panel.api_base_edit.setText("http://127.0.0.1:1/v1 ftp://nowhere")
    errors = []
    panel.state.error_posted.connect(lambda *a: errors.append(a))
    panel.run_button.click()
    assert not panel.running and errors and "not an http(s) URL" in str(errors[-1])
    a, b = DevServer(script=answer, latency=0.02).start(), DevServer(script=answer, latency=0.02).start()
    urls = {a.base_url, b.base_url}
    try:
        panel.api_base_edit.setText(", ".join(sorted(urls)))
        with qtbot.waitSignal(panel.run_finished, timeout=120000) as done:
            panel.run_button.click()
            assert panel.running
            qasync_loop.run_until_complete(panel._task)
    finally:
        a.stop()
        b.stop()
    report = done.args[0]
    assert set(report["servers"]["openai/dev-model"]) == urls
    assert report["settings"]["concurrency"] == 4 and report["run"]["failed"] == 0
    assert max(a.max_in_flight, b.max_in_flight) <= 2
    assert "Servers of openai/dev-model" in panel.status.text()
