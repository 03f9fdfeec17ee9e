"""Fixtures for the annotate tests: a small raw OmniBehavior trace and ready-made cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def _ev(t, ts, ctx=None, act=None):
    e = {"type": t, "timestamp": ts, "action": act or []}
    if ctx is not None:
        e["context"] = ctx
    return e


def raw_history() -> list[dict]:
    return [
        _ev("Video Browsing", "2025-09-03 21:14:05",
            {"caption": "cat <b>video</b>", "duration": 30, "upload_timestamp": "2025-08-30 08:01:02"},
            [{"type": "watch", "play_duration": 12, "is_complete_play": False}]),
        _ev("Video Browsing", "2025-09-03 21:20:00", {"caption": "dog", "duration": 20},
            [{"type": "watch", "play_duration": 20, "is_complete_play": True}, {"type": "like"}]),
        _ev("Live Streaming", "2025-09-04 10:00:00", {"live_title": "sale", "is_shop_live": True},
            [{"type": "watch", "play_duration": 100}, {"type": "click_cart", "is_click_cart_action": True}]),
        _ev("E-commerce", "2025-09-04 11:00:00", {"item_title": "shoes", "item_price": 20.0},
            [{"type": "cart", "is_add_to_cart": True}, {"type": "purchase", "is_pay": False}]),
        _ev("Customer Service", "2025-09-04 12:00:00",
            {"ticket_category": "refund", "product_name": "shoes", "pay_order_time": "2025-09-01 10:11:12"},
            [{"type": "dialogue", "content": [
                {"role": "user", "content": "hello, my shoes are broken"},
                {"role": "assistant", "content": "Sorry, could you please send a photo?"},
                {"role": "user", "content": "I want a refund, this is your fault"}]}]),
        _ev("Advertisement", "2025-09-05", {"product": "game", "show_cnt": 1},
            [{"type": "watch", "is_complete_play": True}, {"type": "activation", "activation_cnt": 1}]),
        _ev("Search Behavior", "2025-09-05 09:00:00", None, [{"type": "search", "keyword": "小米"}]),
    ]


@pytest.fixture
def history() -> list[dict]:
    return raw_history()


@pytest.fixture
def trace_file(tmp_path) -> Path:
    hist = raw_history()
    data = {"user_0001": {"user_profile": "A woman, 30-40.", "action_history": hist},
            "user_0002": {"user_profile": "A man.", "action_history": hist[:3]}}
    path = tmp_path / "trace.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def sample_cases(history):
    """Three cases: a video event with two models, a dialogue with simulated messages, a range."""
    from workbench.annotate.context import case_for_range, case_from_events
    from workbench.annotate.model import CasePrediction
    from workbench.simulate.types import Prediction
    from dataclasses import replace

    video = case_from_events(
        history, source="/data/traces/user_0001.json", user_id="user_0001", event_index=1,
        fields=["video_liked", "video_watch_seconds"],
        predictions=[
            CasePrediction.from_prediction(Prediction("gpt-4o", "video_liked", 0.9, 1, "Yes", True),
                                           memory="truncate", prompt_hash="a" * 64),
            CasePrediction.from_prediction(Prediction("gpt-4o", "video_watch_seconds", 55.0, 55.0, "55", True),
                                           memory="truncate", prompt_hash="a" * 64),
            CasePrediction("baseline:user", "video_liked", 0.2, 0, "", True),
        ],
        tags=["hyper-activity"], severity=2, note="liked it? user_0001 watched at 2025-09-03 21:20:00",
        author="ana", prompt="## history\n时间: 2025-09-03 21:14:05 user_0001 watched a cat video")
    service = case_from_events(
        history, source="/data/traces/user_0001.json", user_id="user_0001", event_index=4,
        predictions=[CasePrediction("gpt-4o", "next_user_message", "Could you please kindly help me, thank you!",
                                    "Could you please kindly help me, thank you!", "Could you please ...", True,
                                    memory="retrieve", prompt_hash="b" * 64),
                     CasePrediction("qwen3", "next_user_message", None, None, "<think>...", False,
                                    error="empty answer")],
        tags=["utopian-tone", "parse-failure"], severity=3, note="far too polite", author="ana")
    rng = case_for_range(history, source="/data/traces/user_0001.json", user_id="user_0002",
                         start_ts="2025-09-03 21:00:00", end_ts="2025-09-04 10:30:00",
                         tags=["long-horizon-miss"], note="binge then shop", author="bo")
    return [video, service, replace(rng, severity=1)]
