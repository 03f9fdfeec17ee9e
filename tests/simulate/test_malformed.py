"""Malformed values in events: filters and true values read them as the benchmark does, and where the
benchmark would stop with an exception the question is still asked and carries a warning."""

from __future__ import annotations

import pytest

from tests.simulate import events as E
from workbench.simulate.filters import is_filtered
from workbench.simulate.questions import questions_for_event


def _q(event, field):
    return next(q for q in questions_for_event(event) if q.field == field)


@pytest.mark.parametrize("play,filtered", [
    (0, True), (0.0, True), (False, True), ("0", True), ("0秒", True), (" 0 秒", True), ("0.0", True),
    ("00", True), ("-0", True), ("5秒", False), ("0分", False), ("", False), ("abc", False),
    (None, False), ([0], False), (3, False),
])
def test_filter_play_duration(play, filtered):
    assert is_filtered(E.video(play=play)) is filtered


@pytest.mark.parametrize("show,filtered", [
    (0, True), (0.0, True), (False, True), ("0", False), (None, False), (1, False), ("", False),
])
def test_filter_ad_show_cnt_compares_raw(show, filtered):
    assert is_filtered(E.ad(show=show)) is filtered


@pytest.mark.parametrize("seconds,filtered", [(0, True), (0.0, True), ("0", False), (None, False), (4, False)])
def test_filter_watch_seconds_compares_raw(seconds, filtered):
    assert is_filtered(E.ad(actions=({"type": "watch", "watch_seconds": seconds},))) is filtered


def test_filter_live_minimal_context_compares_raw():
    ev = {"type": "Live Streaming", "timestamp": "t", "context": {"live_comment_cnt": "0", "live_like_cnt": 0},
          "action": [{"type": "like"}]}
    assert not is_filtered(ev)
    ev["context"]["live_comment_cnt"] = 0.0
    assert is_filtered(ev)


@pytest.mark.parametrize("play,seconds", [
    (12, 12.0), ("12", 12.0), ("12秒", 12.0), (" 12 秒 ", 12.0), ("1分30秒", 0.0), ("12 s", 0.0),
    (None, 0.0), ([3], 0.0), (True, 1.0),
])
def test_watch_seconds_true_value(play, seconds):
    assert _q(E.video(play=play), "video_watch_seconds").true_value == seconds
    assert _q(E.live(play=play), "live_watch_seconds").true_value == seconds


@pytest.mark.parametrize("duration,norm,completed", [
    (30, 30.0, 0), ("30秒", 30.0, 0), ("10", 10.0, 1), ("半分钟", 0.0, 0), (None, 0.0, 0), (-5, -5.0, 0),
])
def test_video_duration_and_completion(duration, norm, completed):
    ev = E.video(play=12, duration=duration)
    assert _q(ev, "video_watch_seconds").video_duration == norm
    assert _q(ev, "video_completed").true_value == completed


@pytest.mark.parametrize("count,label,warned", [
    (1, 1, False), (0, 0, False), (-1, 0, False), (True, 1, False), (2.5, 1, False),
    ("3", 1, True), ("0", 0, True), ("abc", 0, True), (None, 0, True),
])
def test_ad_counts_compare_as_benchmark_or_warn(count, label, warned):
    ev = E.ad(actions=({"type": "activation", "activation_cnt": count},
                       {"type": "submit", "form_submit_total_cnt": count}))
    for field, key in (("ad_activated", "activation_cnt"), ("ad_form_submitted", "form_submit_total_cnt")):
        q = _q(ev, field)
        assert q.true_value == label
        warnings = q.extra.get("warnings", [])
        assert bool(warnings) is warned
        if warned:
            assert key in warnings[0] and "benchmark" in warnings[0]


def test_missing_count_is_zero_without_warning():
    q = _q(E.ad(actions=({"type": "activation"},)), "ad_activated")
    assert q.true_value == 0 and "warnings" not in q.extra


def test_first_positive_count_stops_the_scan():
    """The benchmark stops at the first positive count, so a later malformed one is never seen."""
    ev = E.ad(actions=({"type": "activation", "activation_cnt": 2}, {"type": "activation", "activation_cnt": "x"}))
    q = _q(ev, "ad_activated")
    assert q.true_value == 1 and "warnings" not in q.extra


@pytest.mark.parametrize("raw,value,warned", [(7, 7.0, False), (7.5, 7.5, False), ("7", 7.0, True),
                                              ("7秒", 7.0, True), (None, 0.0, True)])
def test_ad_watch_seconds_raw_or_warned(raw, value, warned):
    q = _q(E.ad(actions=({"type": "watch", "watch_seconds": raw},)), "ad_watch_seconds")
    assert q.true_value == value and bool(q.extra.get("warnings")) is warned


@pytest.mark.parametrize("raw,value", [("9", 9.0), ("9秒", 9.0), ("9 s", 0.0), (None, 0.0), (9, 9.0)])
def test_ad_play_duration_reading(raw, value):
    q = _q(E.ad(actions=({"type": "watch", "play_duration": raw},)), "ad_watch_seconds")
    assert q.true_value == value and "warnings" not in q.extra


def _service_event(turns):
    return {"type": "Customer Service", "timestamp": "2025-10-02 10:00:00", "context": {},
            "action": [{"type": "dialogue", "content": turns}]}


def test_dialogue_context_keeps_only_the_two_speakers():
    ev = _service_event([{"role": "user", "content": "你好在吗"}, {"role": "system", "content": "转接人工"},
                         {"role": "assistant", "content": "在的"}, {"role": "user", "content": "什么时候发货"}])
    q = _q(ev, "next_user_message")
    assert [t["role"] for t in q.extra["dialogue_context"]] == ["user", "assistant"]
    assert "warnings" not in q.extra


@pytest.mark.parametrize("bad,needle", [("oops", "not an object"), (None, "not an object"),
                                        ({"role": "assistant", "content": 42}, "not text")])
def test_dialogue_turns_the_benchmark_cannot_read_warn(bad, needle):
    ev = _service_event([{"role": "user", "content": "你好在吗"}, bad, {"role": "user", "content": "什么时候发货"}])
    q = _q(ev, "next_user_message")
    assert q.true_value == "什么时候发货"
    assert any(needle in w and "benchmark stops" in w for w in q.extra["warnings"])


def test_empty_or_null_content_is_not_a_warning():
    ev = _service_event([{"role": "user", "content": None}, {"role": "assistant", "content": ""},
                         {"role": "user", "content": "什么时候发货"}])
    q = _q(ev, "next_user_message")
    assert "warnings" not in q.extra and q.extra["dialogue_context"] == []
