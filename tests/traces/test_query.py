"""Query helpers: timeline frame, free-text search, daily activity, info summary."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from workbench.traces import load_traces
from workbench.traces.query import daily_activity, search_events, summary, timeline_frame

FIX = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="module", params=["memory", "cached"])
def en(request, tmp_path_factory):
    if request.param == "memory":
        return load_traces(FIX / "quirks_en.json", use_cache=False)
    # payload on disk: convert once, then open the Parquet (payload read lazily)
    from workbench.traces import write_parquet

    out = tmp_path_factory.mktemp("q") / "en.parquet"
    write_parquet(load_traces(FIX / "quirks_en.json", use_cache=False), out)
    return load_traces(out)


def test_timeline_frame_sorted_with_epoch_seconds(en):
    f = timeline_frame(en, "user_0001")
    t = f["t"].to_numpy()
    assert t.dtype == np.float64 and np.all(np.diff(t) >= 0)
    assert f.height == 18 and "context" not in f.columns
    assert t[0] == pytest.approx(1756933445.0)  # 2025-09-03 21:14:05 UTC-naive
    # identical timestamps keep file order
    same = f.filter(f["ts_raw"] == "2025-11-10")["event_index"].to_list()
    assert same == [10, 11]
    assert f["event_index"].to_list()[:3] == [0, 1, 2]


def test_search_titles_ocr_keywords_dialogue_chinese(en):
    assert search_events(en, "noodles", "user_0001") == [0]  # OCR/ASR/caption
    assert search_events(en, "NOODLES", "user_0001") == [0]  # case-insensitive
    assert search_events(en, "小米", "user_0001") == [3]
    assert search_events(en, "refund now", "user_0001") == [12]  # dialogue turn
    assert search_events(en, "red apron", "user_0001") == [4]  # live cover description
    assert search_events(en, "caption", "user_0001") == []  # keys are not searched
    assert search_events(en, "(", "user_0001") == []  # literal, not a regex
    assert search_events(en, "  ", "user_0001") == []
    hits = search_events(en, "Wireless earbuds")
    assert hits.rows() == [("user_0001", 7), ("user_0001", 8), ("user_0001", 12)]


def test_search_chinese_data():
    zh = load_traces(FIX / "quirks_zh.json", use_cache=False)
    assert search_events(zh, "麻辣面", "user_0101") == [0]
    assert search_events(zh, "吉他", "user_0101") == [2]


def test_daily_activity_is_dense(en):
    d = daily_activity(en)
    u1 = d.filter(d["user_id"] == "user_0001")
    assert u1["day"].to_list()[0] == date(2025, 9, 3) and u1["day"].to_list()[-1] == date(2025, 11, 10)
    assert u1.height == (date(2025, 11, 10) - date(2025, 9, 3)).days + 1
    assert u1["events"].sum() == 18
    assert dict(zip(u1["day"].to_list(), u1["events"].to_list()))[date(2025, 9, 5)] == 3
    assert set(d["user_id"]) == {"user_0001", "user_0002"}  # user_0003 has no events
    assert daily_activity(en, "user_0002")["events"].sum() == 3


def test_summary_shape(en):
    s = summary(en)
    u = s["users"][0]
    assert set(u) == {"user_id", "events", "scenarios", "actions", "first", "last"}
    assert u["events"] == 18
    assert u["scenarios"] == {"Video Browsing": 6, "Live Streaming": 3, "E-commerce": 2, "Customer Service": 1,
                              "Advertisement": 3, "Search Behavior": 3}
    assert u["actions"]["Live Streaming/send_gift"] == 2
    assert u["actions"]["Video Browsing/dislike"] == 2
    assert u["actions"]["Customer Service/dialogue"] == 1
    assert u["first"] == "2025-09-03 21:14:05" and u["last"] == "2025-11-10 00:00:00"
    assert s["users"][2] == {"user_id": "user_0003", "events": 0, "scenarios": {}, "actions": {},
                             "first": None, "last": None}
    assert s["warnings"] == []
