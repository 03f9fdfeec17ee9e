"""The timeline session: the window's per-user state and decisions, tested without a window or Qt."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from tests.app.data import PRODUCT, chain_indices
from tests.blocked_imports import run_blocked
from workbench.app.navigation import EventFilter, UserTrack
from workbench.app.session import TimelineSession


def _session(trace_path) -> TimelineSession:
    from workbench.traces import load_traces

    traces = load_traces(trace_path)
    return TimelineSession(source=trace_path, track=UserTrack("user_a", traces.user_events("user_a")))


def test_session_module_imports_no_qt():
    proc = run_blocked("import workbench.app.session")
    assert proc.returncode == 0, proc.stderr


def test_stepping_through_events_matches_and_conversions(trace_path):
    s = _session(trace_path)
    purchase = chain_indices()[-1]
    assert s.step(-1, +1, "conversion") == purchase and s.is_conversion(purchase)
    assert s.step(purchase, +1, "conversion") == -1
    s.event_filter = EventFilter(text=PRODUCT)
    s.update_mask()
    assert s.mask is not None and 0 < s.matching() < len(s.track)
    first = s.step(-1, +1, "matching event")
    assert s.mask[s.track.position(first)] and s.step(-1, +1, "event") == int(s.track.ids[0])


def test_choose_user_reports_an_unknown_one_and_falls_back(trace_path):
    s = TimelineSession()
    s.expect("nobody")
    assert s.choose_user(["user_a", "user_b"], "user_b") == ("user_a", "nobody")
    s.expect(None)
    assert s.choose_user(["user_a", "user_b"], "user_b") == ("user_b", None)
    gen = s.begin_user()
    assert not s.is_current(SimpleNamespace(user_id="user_a"), gen - 1, "user_a")
    assert s.is_current(SimpleNamespace(user_id="user_a"), gen, "user_a")


def test_range_selection_tooltip_ghosts_and_bookmark_names(trace_path):
    s = _session(trace_path)
    purchase = chain_indices()[-1]
    t = s.time_of(purchase)
    assert t is not None
    first, n = s.select_range(t - 60.0, t + 10.0)
    assert first == purchase and n == 1 and s.last_range == (t - 60.0, t + 10.0)
    assert s.select_range(t - 60.0, t + 60.0) == (purchase, 2)     # and the video 17 s later
    assert s.select_range(t + 10.0, t + 11.0) is None
    assert s.tooltip(purchase).startswith(f"#{purchase}  2025-09-12 14:00:00") and PRODUCT in s.tooltip(purchase)
    ghost = SimpleNamespace(user_id="user_a", event_index=purchase, agrees=False, model="m", field="f",
                            predicted=1, real=0)
    other = SimpleNamespace(user_id="user_b", event_index=purchase, agrees=True, model="m", field="f",
                            predicted=1, real=1)
    (mark,) = s.ghost_marks([ghost, other])
    assert mark.event_id == purchase and mark.lane == int(s.track.lane[s.track.position(purchase)])
    assert mark.label == "m: f = 1 (real 0)"
    assert s.bookmark_name(purchase) == f"#{purchase} {PRODUCT}" and s.bookmark_name(purchase, " x ") == "x"
    assert s.date_for_jump(purchase).day == 12 and np.isfinite(t)
