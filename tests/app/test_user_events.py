"""One owner for the current user's events: the window, the inspector, Predict, Cases and Evaluation
all read the same decoded ``UserEvents``. Selecting a user, predicting, marking a case, drilling into
an evaluation cell and marking a case from it decode that user once."""

from __future__ import annotations

from tests.app.conftest import open_window
from tests.app.data import chain_indices


def test_select_predict_mark_and_drill_down_decode_the_user_once(qtbot, qasync_loop, make_window, trace_path):
    win = open_window(qtbot, make_window, trace_path)
    traces = win.state.dataset
    events = win.state.user_events
    assert events is not None and events.user_id == "user_a"
    assert traces.user("user_a") is events and traces.decodes == {"user_a": 1}
    video = chain_indices()[1]
    win.select(video)
    assert f"event #{video}" in win.inspector.plain_text()

    panel = win.predict_here()                      # Predict: prompt built from the shared events
    assert panel.predict_button.isEnabled()
    panel.predict_button.click()                    # baseline:user only: no server needed
    qasync_loop.run_until_complete(panel.task)
    assert panel.last_result is not None and "baseline:user" in panel.last_result.predictions
    panel.mark_button.click()                       # a case marked from Predict

    win.docks["Evaluation"].raise_()
    qtbot.waitUntil(lambda: win.eval_panel is not None, timeout=5000)
    ev = win.eval_panel
    row = {"user_id": "user_a", "event_index": video, "scenario": "视频浏览", "field": "video_liked",
           "kind": "binary", "true_value": 0, "predicted_value": 1.0, "predicted_label": 1, "raw_output": "Yes",
           "model": "m", "parse_ok": True, "error": ""}
    ev.show_results([row], {"models": {"m": {}}})
    ev.cases_model.set_cases([row])
    win.select(chain_indices()[0])
    with qtbot.waitSignal(win.state.selection_changed):
        ev.cases_view.selectRow(0)                  # drill down into the cell's case
    assert win.state.selected_index == video and win.state.user_events is events
    ev.mark_button.click()                          # a case marked from the evaluation cell
    cases = win.cases_panel.store.list_cases()
    assert len(cases) == 2 and {c.event_index for c in cases} == {video}
    assert all(c.event == events.event(video) for c in cases)
    assert traces.decodes["user_a"] == 1


def test_switching_users_announces_their_events(qtbot, make_window, trace_path):
    win = open_window(qtbot, make_window, trace_path)
    seen = []
    win.state.user_events_changed.connect(seen.append)
    win.state.set_user("user_b")
    qtbot.waitUntil(lambda: win.track is not None and win.track.user_id == "user_b" and not win.busy,
                    timeout=20000)
    assert seen[0] is None and seen[-1] is win.state.user_events and seen[-1].user_id == "user_b"
    win.state.set_user("user_a")
    qtbot.waitUntil(lambda: win.track is not None and win.track.user_id == "user_a" and not win.busy,
                    timeout=20000)
    assert win.state.dataset.decodes == {"user_a": 1, "user_b": 1}   # user_a came from the cache
