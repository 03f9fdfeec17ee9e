"""Compare two users: two tracks on one linked axis, aligned by date or by first event, the lower
side from another trace file."""

from __future__ import annotations

import json

from tests.app.conftest import open_window
from workbench.app.split_view import ALIGN_FIRST


def test_two_users_aligned_and_a_lower_trace_from_a_file(qtbot, make_window, trace_path, tmp_path):
    win = open_window(qtbot, make_window, trace_path)
    view = win.open_split_view()
    qtbot.addWidget(view)
    assert [view.top_user.itemText(i) for i in range(view.top_user.count())] == ["user_a", "user_b"]
    assert (view.top_user.currentText(), view.bottom_user.currentText()) == ("user_a", "user_b")
    split = view.split
    assert split.top.event_count == 70 and split.bottom.event_count == 3
    assert split.offset == 0.0
    view.set_users("user_a", "user_b", ALIGN_FIRST)
    top_first = float(split.top._data.t.min())
    assert split.offset != 0.0
    assert abs(float(split.bottom._data.t.min()) - top_first) < 1.0   # first events line up
    assert "shifted by" in split.bottom_title.text()
    other = tmp_path / "sim.json"
    other.write_text(json.dumps({"sim_user": {"user_profile": "", "action_history": [
        {"type": "Video Browsing", "timestamp": "2025-09-03 10:00:00", "context": {"caption": "x"},
         "action": [{"type": "watch", "play_duration": 5}, {"type": "like"}]}]}}), encoding="utf-8")
    view.load_lower(other)
    assert view.bottom_user.currentText() == "sim_user" and split.bottom.event_count == 1
    errors = []
    win.state.error_posted.connect(lambda t, m: errors.append(m))
    view.load_lower(tmp_path / "missing.json")
    assert errors and "missing.json" in errors[0]
