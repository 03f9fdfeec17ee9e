"""Sampling from a loaded TraceSet (windows from ``ts_raw``, only what the rules read decoded) gives
exactly what sampling the decoded raw events gives, odd events included, and decodes no user."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from workbench.evaluate import sample_facts as F
from workbench.evaluate import sampling as S
from workbench.traces import load_traces
from workbench.traces.traceset import TraceSet

W = "\u3000"  # ideographic space: blank for Python's strip()


def _odd_events(day: int) -> list[Any]:
    """Events whose rule A / rule B / high-value / window answers are easy to get wrong."""
    ts = f"2025-10-{day:02d} 10:00:00"
    watch = [{"type": "watch", "play_duration": 12}]
    return [
        {"type": "Video Browsing", "timestamp": ts, "context": {"caption": 5, "ocr": "", "asr": "  "},
         "action": watch},
        {"type": "Video Browsing", "timestamp": ts, "context": {"caption": " x "}, "action": watch},
        {"type": "Video Browsing", "timestamp": ts, "context": {"ocr": W}, "action": watch},
        {"type": "Video Browsing", "timestamp": ts, "context": {"ocr": "\x1f"}, "action": watch},
        {"type": "Video Browsing", "timestamp": ts, "context": {"ocr": 0}, "action": watch},
        {"type": "Video Browsing", "timestamp": ts, "context": {"meta": {"ocr": "x"}}, "action": watch},
        {"type": "Video Browsing", "timestamp": ts, "context": {"caption": "{\"ocr\":\"x\"}"}, "action": watch},
        {"type": "Video Browsing", "timestamp": ts, "context": [{"caption": "x"}], "action": watch},
        {"type": "Video Browsing", "timestamp": ts, "context": {"caption": "\n x"}, "action": watch},
        {"type": "Video Browsing", "timestamp": ts, "context": {"caption": "\n", "ocr": "\u2028"}, "action": watch},
        {"type": "Video Browsing", "timestamp": ts, "context": {"caption": "\u00a0"}, "action": watch},
        {"type": "Video Browsing", "timestamp": ts, "context": {"ocr": " ", "asr": "y"}, "action": watch},
        {"type": "Video Browsing", "timestamp": ts, "context": {"caption": "x", "meta": {"a": 1}}, "action": watch},
        {"type": "Video Browsing", "timestamp": ts, "context": {"note": "\",\"ocr\":\"x"}, "action": watch},
        {"type": "Video Browsing", "timestamp": ts, "context": {"ocr": "\"x\""}, "action": watch},
        {"type": "Video Browsing", "timestamp": ts, "context": None, "action": watch},
        {"type": "Video Browsing", "timestamp": ts, "action": watch},
        {"type": " video browsing ", "timestamp": ts, "context": {"asr": "说"},
         "action": [{"type": "watch", "play_duration": "0秒"}, {"type": "like"}]},
        {"type": "视频浏览", "timestamp": ts, "context": {"asr": "说"},
         "action": [{"type": "watch", "play_duration": 3}, {"type": "watch", "watch_seconds": 0}]},
        {"type": "Video Browsing", "timestamp": ts, "context": {"caption": "c"},
         "action": [{"type": "watch", "watch_seconds": "0"}, {"type": "share"}]},
        {"type": "Video Browsing", "timestamp": ts, "context": {"caption": "c"},
         "action": [{"type": "like\x1flike"}, {"type": 7}, "like", None]},
        {"type": "Video Browsing", "timestamp": ts, "context": {"caption": "c"}, "action": {"type": "like"}},
        {"type": "Live Streaming", "timestamp": ts, "context": {"live_title": "  ", "live_category": "游戏"},
         "action": [{"type": "watch", "play_duration": 0.0}, {"type": "send_gift"}]},
        {"type": "Live Streaming", "timestamp": ts, "context": {"live_title": 0, "live_category": []},
         "action": watch},
        {"type": "Live Streaming", "timestamp": ts, "context": {"live_title": "t", "live_comment_cnt": 0,
                                                                 "live_like_cnt": 0}, "action": []},
        {"type": "Live Streaming", "timestamp": ts, "context": {"live_comment_cnt": 0, "live_like_cnt": 0},
         "action": [{"type": "follow"}]},
        {"type": "Advertisement", "timestamp": ts, "context": {"show_cnt": 0}, "action": [{"type": "click"}]},
        {"type": "Advertisement", "timestamp": ts, "context": {"show_cnt": "0"}, "action": [{"type": "click"}]},
        {"type": "Advertisement", "timestamp": ts, "context": {"show_cnt": False}, "action": []},
        {"type": "Advertisement", "timestamp": ts, "context": {"show_cnt": 3},
         "action": [{"type": "watch", "play_duration": None, "watch_seconds": 0.0}]},
        {"type": "E-commerce", "timestamp": ts, "context": {"item": "x"},
         "action": [{"type": "purchase"}, {"type": "watch", "play_duration": " 0 秒"}]},
        {"type": "Customer Service", "timestamp": ts, "context": {}, "action": [{"type": "purchase"}]},
        {"type": "Search Behavior", "timestamp": ts, "action": [{"type": "search", "keyword": "k"}]},
        {"type": "Foo", "timestamp": ts, "context": {"caption": ""}, "action": [{"type": "like"}]},
        {"type": None, "timestamp": ts, "action": []},
        5,                                                          # skipped by the importer: a gap
        {"type": "Video Browsing", "timestamp": f"2025-10-{day:02d}", "context": {"caption": "d"},
         "action": watch},
        {"type": "Video Browsing", "timestamp": "2025-11-30 10:00:00", "context": {"caption": "e"},
         "action": watch},
        {"type": "Video Browsing", "timestamp": "2025-11-30", "context": {"caption": "e"}, "action": watch},
        {"type": "Video Browsing", "timestamp": None, "context": {"caption": "n"}, "action": watch},
        {"type": "Video Browsing", "timestamp": 20251001, "context": {"caption": "n"}, "action": watch},
        {"type": "Video Browsing", "timestamp": "", "context": {"caption": "n"}, "action": watch},
    ]


def _write(path: Path, users: int = 3) -> None:
    rng = random.Random(5)
    doc = {}
    for u in range(users):
        history: list[Any] = [{"type": "Video Browsing", "timestamp": f"2025-09-{d:02d} 08:00:00",
                               "context": {"caption": "h"}, "action": [{"type": "watch", "play_duration": 5}]}
                              for d in range(1, 29, 3)]
        for day in range(1, 31):
            evs = _odd_events(day)
            rng.shuffle(evs)
            history.extend(evs)
        doc[f"user_{u:03d}"] = {"user_profile": f"p{u}", "action_history": history}
    # one hand-written duplicate key: the parser keeps the last ("ocr": "")
    text = json.dumps(doc, ensure_ascii=False)
    text = text.replace('"context": {"ocr": 0}', '"context": {"ocr": "x", "ocr": ""}', 1)
    path.write_text(text, encoding="utf-8")


WINDOWS = [S.TEST_WINDOW, S.HISTORY_WINDOW, None, (None, "2025-10-05"), ("2025-10-01 12:00:00", None),
           ("", "2025-11-30")]


def _tracesets(tmp_path: Path) -> list[TraceSet]:
    src = tmp_path / "odd.json"
    _write(src)
    first = load_traces(src)
    first.wait_cache()
    cached = load_traces(src)          # payload in the cache's Parquet file
    assert not cached.has_payload and cached.parquet is not None
    whole = first.with_payload()       # payload in memory
    in_memory = TraceSet(whole, first.users, [], first.source)
    assert in_memory.has_payload
    return [cached, in_memory]


def test_facts_from_the_table_equal_facts_from_the_raw_events(tmp_path, monkeypatch):
    monkeypatch.setattr(F, "BATCH_ROWS", 700)   # several batches, users split across them
    for ts in _tracesets(tmp_path):
        users = S.users_from_traceset(ts)
        for window in WINDOWS:
            for u in users:
                raw = ts.user(u.user_id).positional()
                assert len(u.events) == len(raw)
                assert F.window_indices(u.events, window) == F.window_indices(raw, window), window
                assert F.test_facts(u.events, window) == F.test_facts(raw, window), window
        some = F.test_facts(users[0].events, S.TEST_WINDOW)
        assert not all(some.sufficient) and any(some.filtered) and any(some.high)


@pytest.mark.parametrize("kwargs", [{}, {"test_length": 7}, {"all_events": True},
                                    {"history_window": None, "test_length": 5},
                                    {"test_window": ("2025-10-03", "2025-10-20"), "test_length": 9}])
def test_sample_from_the_table_equals_sample_from_the_raw_events(tmp_path, kwargs):
    for ts in _tracesets(tmp_path):
        lazy = S.users_from_traceset(ts)
        eager = [S.UserTrace(u.user_id, u.profile, ts.user(u.user_id).positional(), u.source) for u in lazy]
        ts._users.clear()
        ts._users.decodes.clear()
        got = S.sample_events(lazy, **kwargs)
        assert ts.decodes == {}, "sampling decoded whole users"
        want = S.sample_events(eager, **kwargs)
        assert got.to_dict(with_history=True) == want.to_dict(with_history=True)
        assert [u.skipped for u in got.users] == [u.skipped for u in want.users]
        assert got.events, "nothing sampled: the comparison would prove nothing"
        # the lazy events still serve an evaluation: decoded on first use, positional
        assert lazy[0].events[3] == eager[0].events[3] and list(lazy[1].events) == eager[1].events


# Context texts as a hand-made canonical Parquet file may hold them (not re-written by our
# importer): spaces, repeated keys (the parser keeps the last), escapes, nesting, numbers that
# are or are not 0. Sampling may read such a text without decoding it only where that is exact.
_TEXTS = {
    "Video Browsing": [
        '{"caption":"x"}', '{"caption": "x"}', '{"caption":"x","caption":" "}', '{"caption":"x", "caption" : ""}',
        '{"capt\\u0069on":"x","caption":""}', '{"caption":"","capt\\u0069on":"x"}', '{"caption":"\\u3000"}',
        '{"caption":"\u3000x"}', '{"caption":"\u3000"}', '{"caption":"\\u001f"}', '{"caption":5}', '{"caption":"5"}',
        '{"meta":{"ocr":"x"}}', '{"ocr":"x","meta":{}}', '{"note":",\\"ocr\\":\\"x"}', '{"ocr":null,"asr":"y"}',
        '{"asr":[],"ocr":" "}', '{"\\"ocr":"x"}', '{"ocr":"x","ocr":null}', '[{"ocr":"x"}]', '"ocr"', 'null',
        '{ "ocr" :"x" }', '{"caption":"\\nx"}', '{"ocr":"a{b"}',
    ],
    "Live Streaming": [
        '{"live_title":"t","live_comment_cnt":0,"live_like_cnt":0}', '{"live_title":"t","live_title":""}',
        '{"live_comment_cnt":0,"live_like_cnt":0}', '{"live_comment_cnt":0,"live_like_cnt":0,"live_like_cnt":0}',
        '{"live_category":"c","live_like_cnt":0,"live_comment_cnt":0,"x":1}', '{"live_title":0,"a":1}',
        '{"live_title":"0","a":1}', '{"live_title":" ","live_category":"\u00a0","a":1}', '{"live_title":[1],"a":2}',
        '{"live_title":"t","live_comment_cnt":0,"live_like_cnt":0,"live_title":"u"}',
    ],
    "Advertisement": [
        '{"show_cnt":0}', '{"show_cnt":0.0}', '{"show_cnt":-0}', '{"show_cnt":1e-400}', '{"show_cnt":5}',
        '{"show_cnt":5,"show_cnt":0}', '{"show_cnt" : 0}', '{"show_cnt":false}', '{"show_cnt":true}',
        '{"show_cnt":"0"}', '{"show_cnt":null}', '{"x":{"show_cnt":0}}', '{}', '{"show_cnt":10.5}',
        '{"show_cnt":0e3}', '{"sh\\u006fw_cnt":0}', '{"show_cnt":12,"a":"show_cnt"}',
    ],
}


def test_facts_read_from_hand_written_context_texts(tmp_path):
    import polars as pl

    from workbench.traces.canonical import read_parquet, write_parquet

    src = tmp_path / "odd.json"
    _write(src, users=1)
    ts = load_traces(src)
    frame = ts.with_payload()
    watch = '[{"type":"watch","play_duration":4}]'
    rows = frame.filter(pl.col("scenario_raw").is_in(list(_TEXTS))
                        & (pl.col("ts_raw").fill_null("") >= "2025-10-01")).head(1)
    extra = []
    n = frame["event_index"].max() + 1
    for kind, texts in _TEXTS.items():
        for text in texts:
            for acts in (watch, '[{"type":"like"}]'):
                extra.append(rows.with_columns(pl.lit(n).cast(frame["event_index"].dtype).alias("event_index"),
                                               pl.lit(kind).alias("scenario_raw"), pl.lit(text).alias("context"),
                                               pl.lit(True).alias("has_context"), pl.lit(acts).alias("actions")))
                n += 1
    whole = pl.concat([frame, *extra], how="vertical_relaxed")
    users = ts.users.with_columns(pl.lit(int(n)).cast(ts.users["event_count"].dtype).alias("event_count"))
    path = write_parquet(TraceSet(whole, users, [], ts.source), tmp_path / "hand.parquet")
    hand = read_parquet(path)
    lazy = S.users_from_traceset(hand)[0]
    raw = hand.user(lazy.user_id).positional()
    got, want = F.test_facts(lazy.events, S.TEST_WINDOW), F.test_facts(raw, S.TEST_WINDOW)
    assert got == want
    added = [t for t, i in enumerate(got.indices) if i >= frame["event_index"].max() + 1]
    assert len(added) == 2 * sum(map(len, _TEXTS.values()))
    assert {got.sufficient[t] for t in added} == {True, False} and {got.filtered[t] for t in added} == {True, False}
