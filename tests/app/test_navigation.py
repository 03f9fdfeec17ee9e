"""Filters and navigation over one user's events (pure: no window)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from tests.app.data import chain_indices, write_traces
from workbench.app.navigation import EventFilter, UserTrack, filter_mask
from workbench.traces import load_traces


@pytest.fixture
def track(tmp_path) -> UserTrack:
    return UserTrack("user_a", load_traces(write_traces(tmp_path)).user_events("user_a"))


def test_track_arrays_are_time_ordered(track):
    finite = track.t[track.plot]
    assert np.all(np.diff(finite) >= 0)
    assert len(track.ids) == 70 and track.plot.size == 70
    assert track.lanes[:6] == ["Video Browsing", "Live Streaming", "E-commerce", "Customer Service",
                               "Advertisement", "Search Behavior"]
    pos = track.position(chain_indices()[-1])
    assert track.kind[pos] == 2 and track.lane[pos] == 2


def test_free_text_filter_chinese_titles_keywords_and_dialogue(track):
    mask = track.mask(EventFilter(text="跑鞋"))
    hits = set(track.ids[mask].tolist())
    assert set(chain_indices()) <= hits                    # search keyword, caption, live title, product
    cs = int(track.frame.filter(track.frame["scenario"] == "Customer Service")["event_index"][0])
    assert cs in hits                                      # the dialogue mentions 跑鞋
    assert track.mask(EventFilter(text="太慢了")).sum() == 1  # a dialogue turn only
    assert track.mask(EventFilter(text="CHENGDU")).sum() == track.mask(EventFilter(text="chengdu")).sum() > 0
    # JSON keys are not searched: every video has a like_cnt key, but few have "like" in a value
    assert track.mask(EventFilter(text="caption")).sum() == 0


def test_scenario_and_action_filters_combine(track):
    m = track.mask(EventFilter(scenarios=frozenset({"E-commerce"})))
    assert m.sum() == 2
    m = track.mask(EventFilter(scenarios=frozenset({"E-commerce"}), action_types=frozenset({"purchase"})))
    assert track.ids[m].tolist() == [chain_indices()[-1]]
    assert track.mask(EventFilter(action_types=frozenset({"dialogue"}))).sum() == 1
    assert filter_mask(track.frame, EventFilter()).all()


def test_step_navigation(track):
    first, last = int(track.ids[0]), int(track.ids[-1])
    assert track.step(-1, +1) == first and track.step(-1, -1) == last
    assert track.step(first, -1) == -1 and track.step(last, +1) == -1
    second = int(track.ids[1])
    assert track.step(first, +1) == second and track.step(second, -1) == first
    conv = track.conversion_mask()
    assert track.step(first, +1, conv) == chain_indices()[-1]
    assert track.step(chain_indices()[-1], +1, conv) == -1
    empty = np.zeros(len(track), dtype=bool)
    assert track.step(first, +1, empty) == -1


def test_jump_to_date(track):
    ev = track.first_on_or_after(date(2025, 9, 12))
    row = track.row(ev)
    assert row["ts_raw"].startswith("2025-09-12")
    assert track.first_on_or_after(date(2030, 1, 1)) == -1
    # date-only ads sort at midnight of their day
    ev = track.first_on_or_after(date(2025, 9, 10))
    assert track.row(ev)["ts_raw"] == "2025-09-10"
