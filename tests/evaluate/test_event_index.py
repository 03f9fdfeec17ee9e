"""One index everywhere: an event the importer skips leaves a gap in ``event_index``, never a shift.

A trace whose user has an unreadable event early in the history: the events evaluation samples and
scores, the event an evaluation cell drills down to, and the case marked from that cell must all
be the event at that position of the file's ``action_history``.
"""

from __future__ import annotations

import json

import pytest

from tests.evaluate.test_sampling import _big_user
from workbench.annotate.context import case_from_trace
from workbench.evaluate import sampling as S
from workbench.simulate.questions import questions_for_event
from workbench.traces import load_traces

BAD_AT = 3  # position of the unreadable event in user_001's action_history


@pytest.fixture
def trace(tmp_path):
    """(path, {user: action_history as in the file}); user_001's event BAD_AT is not an object."""
    users = [_big_user(f"user_{i:03d}", 40, seed=i) for i in range(1, 4)]
    histories = {u.user_id: list(u.events) for u in users}
    histories["user_001"].insert(BAD_AT, "not an event")
    path = tmp_path / "skipped.json"
    path.write_text(json.dumps({u: {"user_profile": "p", "action_history": h} for u, h in histories.items()},
                               ensure_ascii=False), encoding="utf-8")
    return path, histories


def test_the_trace_really_skips_an_event(trace):
    path, histories = trace
    ts = load_traces(path, use_cache=False)
    assert any(w.user_id == "user_001" and w.event_index == BAD_AT for w in ts.warnings)
    ue = ts.user("user_001")
    assert BAD_AT not in ue.raw() and len(ue) == len(histories["user_001"]) - 1
    assert ue.event(BAD_AT + 1) == histories["user_001"][BAD_AT + 1]


@pytest.mark.parametrize("reader", ["traceset", "benchmark loader"])
def test_sampled_and_scored_events_are_the_files_events(trace, reader):
    path, histories = trace
    ts = load_traces(path, use_cache=False)
    users = S.users_from_traceset(ts) if reader == "traceset" else S.load_benchmark_users(path)
    sample = S.sample_events(users, test_length=10)
    by_id = {u.user_id: u for u in users}
    late = [e for e in sample.events if e.user_id == "user_001" and e.event_index > BAD_AT]
    assert late, "the sample must hold events after the skipped one"
    for e in sample.events:
        evaluated = by_id[e.user_id].events[e.event_index]   # what evaluation asks and scores
        assert evaluated == histories[e.user_id][e.event_index] == ts.user(e.user_id).event(e.event_index)
        assert all(i != BAD_AT or e.user_id != "user_001" for i in e.history_indices)


def test_drill_down_and_case_from_an_evaluation_cell_select_the_right_event(trace, qtbot, qapp,
                                                                            qasync_loop):
    from workbench.app.eval_panel import EvaluationPanel
    from workbench.app.state import AppState

    path, histories = trace
    state = AppState()
    ts = load_traces(path)
    state.set_dataset(ts)
    panel = EvaluationPanel(state)
    qtbot.addWidget(panel)
    panel.models_edit.setText("baseline:user")
    panel.n_spin.setValue(10)
    with qtbot.waitSignal(panel.run_finished, timeout=60000):
        panel.run_button.click()
        qasync_loop.run_until_complete(panel._task)
    rows = [r for r in panel.rows if r["user_id"] == "user_001" and r["event_index"] > BAD_AT]
    assert rows
    for r in rows:  # every answer was scored against the event at its index in the file
        real = {q.field: q.true_value for q in questions_for_event(histories["user_001"][r["event_index"]])}
        assert real[r["field"]] == r["true_value"]
    panel.cases_model.set_cases(rows)
    with qtbot.waitSignal(state.selection_changed) as sel:
        panel.cases_view.selectRow(0)
    user, index = sel.args
    assert (user, index) == ("user_001", rows[0]["event_index"])
    payload = panel.case_payload()          # what "Mark case" hands to the Cases panel
    assert payload["event_index"] == index
    case = case_from_trace(ts, payload["user_id"], payload["event_index"], fields=payload["fields"])
    assert case.event == histories["user_001"][index]
    assert case.real_values[rows[0]["field"]] == rows[0]["true_value"]
