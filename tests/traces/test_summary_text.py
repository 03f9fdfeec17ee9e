"""``workbench info``'s text made column-wise (summary_text) is the text of the row-by-row summary."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from workbench.traces import load_traces, summary_text
from workbench.traces.query import summary_rows
from workbench.traces.traceset import TraceSet

FIX = Path(__file__).resolve().parents[1] / "fixtures"


def _rows_table(ts: TraceSet) -> str:
    return "".join(f"{u['user_id'][:16]:<16} {u['events']:>9}  {u['first'] or '-':<19}  {u['last'] or '-':<19}  "
                   + ", ".join(f"{k} {v}" for k, v in u["scenarios"].items()) + "\n" for u in summary_rows(ts))


def _rows_json(ts: TraceSet) -> str:
    return "".join(("," if i else "") + "\n " + json.dumps(u, ensure_ascii=False)
                   for i, u in enumerate(summary_rows(ts)))


def _hostile(tmp_path: Path) -> TraceSet:
    """Ids and action types that JSON escapes or that are wide, several scenarios and actions per
    user (in an order the sort must fix), unknown scenarios, a user without events, odd times."""
    def ev(i: int, scen: str, *types: object) -> dict:
        return {"type": scen, "timestamp": f"2025-10-0{1 + i % 9} 12:00:{i % 60:02d}", "context": {},
                "action": [{"type": t} if t is not None else {"x": 1} for t in types]}

    users = {
        'q"uote\\back': [ev(0, "Search Behavior", "search"), ev(1, "Video Browsing", "watch", "like")],
        "tab\there\x1b[2J\x00": [ev(2, "Live Streaming", 'a"b', "é型", "\u202e"), ev(3, "Video Browsing", "zz")],
        "用户一二三四五六七八九十一二三四五六七八": [ev(4, "视频浏览", "watch"), ev(5, "odd type", None, "x")],
        "u_no_events": [],
        "short": [ev(i, s, "watch", "comment") for i, s in enumerate(
            ["Shopping Behavior", "Advertisement", "Video Browsing", "Customer Service", "Live Streaming",
             "Search Behavior", "mystery", "Video Browsing"])],
        "x" * 40: [{"type": "Video Browsing", "timestamp": "not a time", "action": []}],
    }
    f = tmp_path / "hostile.json"
    f.write_text(json.dumps({u: {"user_profile": "p", "action_history": h} for u, h in users.items()}),
                 encoding="utf-8")
    return load_traces(f, use_cache=False)


@pytest.fixture(params=["quirks_en.json", "quirks_zh.json", "bad_types.json", "quirks.jsonl", "hostile"])
def traces(request, tmp_path) -> TraceSet:
    if request.param == "hostile":
        return _hostile(tmp_path)
    return load_traces(FIX / request.param, use_cache=False)


@pytest.mark.parametrize(("chunk", "blocks"), [(1, 1), (2, 1), (1, 2), (4096, 32)])
def test_columns_give_the_rows_text(traces, chunk, blocks, monkeypatch):
    monkeypatch.setattr(summary_text, "CHUNK_USERS", chunk)
    monkeypatch.setattr(summary_text, "BLOCK_CHUNKS", blocks)
    assert summary_text._renderable(traces)     # the column-wise path
    if chunk * blocks < traces.users.height:
        assert len(list(summary_text._blocks(traces))) > 1
    table = list(summary_text.table_chunks(traces))
    assert "".join(table) == _rows_table(traces)
    got = list(summary_text.json_chunks(traces))
    assert "".join(got) == _rows_json(traces)
    assert len(got) == len(table) == -(-traces.users.height // chunk)
    json.loads("[" + "".join(got) + "]")


def test_times_with_microseconds_and_early_years(traces):
    users = traces.users.with_columns(
        pl.Series("first_ts", [datetime(5, 1, 2, 3, 4, 5, 120 * i) for i in range(traces.users.height)]),
        pl.Series("last_ts", [datetime(9999, 12, 31, 23, 59, 59, 999_999 * (i % 2))
                              for i in range(traces.users.height)]))
    ts = TraceSet(traces.events, users, traces.warnings, traces.source)
    assert "".join(summary_text.table_chunks(ts)) == _rows_table(ts)
    assert "".join(summary_text.json_chunks(ts)) == _rows_json(ts)


def test_what_polars_would_render_otherwise_takes_the_row_path(tmp_path):
    ts = _hostile(tmp_path)
    slash = TraceSet(ts.events.with_columns(pl.lit("Video/Live").alias("scenario")), ts.users, [], ts.source)
    assert not summary_text._renderable(slash)
    assert "".join(summary_text.table_chunks(slash)) == _rows_table(slash)
    assert "".join(summary_text.json_chunks(slash)) == _rows_json(slash)
    null_scenario = TraceSet(ts.events.with_columns(pl.lit(None, pl.String).alias("scenario")), ts.users, [],
                             ts.source)
    assert not summary_text._renderable(null_scenario)    # the rows' path decides


def test_events_out_of_the_users_order_are_one_block(tmp_path, monkeypatch):
    monkeypatch.setattr(summary_text, "CHUNK_USERS", 1)
    monkeypatch.setattr(summary_text, "BLOCK_CHUNKS", 1)
    ts = _hostile(tmp_path)
    for events in (ts.events.reverse(), ts.events.sort("event_index"), ts.events.head(ts.events.height - 1)):
        odd = TraceSet(events, ts.users, ts.warnings, ts.source)
        assert len(list(summary_text._blocks(odd))) == 1
        assert "".join(summary_text.table_chunks(odd)) == _rows_table(odd)
        assert "".join(summary_text.json_chunks(odd)) == _rows_json(odd)


def test_chunks_made_ahead_come_in_order_and_errors_reach_the_caller():
    assert list(summary_text.made_ahead(iter(str(i) for i in range(100)), depth=3)) == [str(i) for i in range(100)]

    def failing():
        yield "a"
        raise RuntimeError("polars failed")

    got = []
    with pytest.raises(RuntimeError, match="polars failed"):
        for chunk in summary_text.made_ahead(failing()):
            got.append(chunk)
    assert got == ["a"]


def test_a_caller_that_stops_early_stops_the_thread():
    import threading

    made = []

    def endless():
        i = 0
        while True:
            made.append(i)
            yield str(i)
            i += 1

    chunks = summary_text.made_ahead(endless(), depth=2)
    assert next(chunks) == "0"
    chunks.close()          # what a broken pipe does to the writing loop
    assert not any(t.name == "info-text" for t in threading.enumerate())
    assert len(made) <= 4   # the thread made no more than the queue holds ahead
