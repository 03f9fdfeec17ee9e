"""Importer: canonical table, data quirks (docs/benchmark.md#data-quirks), formats, Parquet round trip,
columnar cache."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.traces.conftest import out_of_memory
from workbench import paths
from workbench.traces import (TraceError, TraceSet, build, forked, importer, limits, load as load_mod, load_traces, schema,
                              stream, write_parquet)

FIX = Path(__file__).resolve().parents[1] / "fixtures"


def raw_users(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def row(ts: TraceSet, user: str, index: int) -> dict:
    return ts.user_events(user).filter(pl.col("event_index") == index).row(0, named=True)


@pytest.fixture(scope="module")
def en() -> TraceSet:
    return load_traces(FIX / "quirks_en.json", use_cache=False)


def test_schema_and_user_table(en):
    assert en.events.schema == pl.Schema(schema.EVENT_SCHEMA)  # no cache: payload kept in memory
    assert en.users.schema == pl.Schema(schema.USER_SCHEMA)
    assert en.user_ids() == ["user_0001", "user_0002", "user_0003"]
    assert en.users["event_count"].to_list() == [18, 3, 0]
    assert en.profile("user_0001").startswith("Female, aged 31-40")
    assert en.profile("user_0002") == ""  # missing user_profile
    assert en.warnings == []
    first = en.users.row(0, named=True)
    assert first["first_ts"] == datetime(2025, 9, 3, 21, 14, 5)
    assert first["last_ts"] == datetime(2025, 11, 10)
    assert en.users["first_ts"].to_list()[2] is None
    with pytest.raises(KeyError):
        en.profile("nobody")


def test_event_index_is_file_position_never_resorted(en):
    ev = en.user_events("user_0001")
    assert ev["event_index"].to_list() == list(range(18))
    raw = raw_users(FIX / "quirks_en.json")["user_0001"]["action_history"]
    assert ev["ts_raw"].to_list() == [e["timestamp"] for e in raw]
    # the file is not chronological (date-only ads of November before October events): kept as is
    assert not ev["ts"].drop_nulls().is_sorted()
    # the events frame itself is in file order too
    assert en.events.filter(pl.col("user_id") == "user_0001")["event_index"].to_list() == list(range(18))


@pytest.mark.parametrize("name", ["quirks_en.json", "quirks_zh.json", "quirks.jsonl", "folder"])
def test_payload_is_lossless(name):
    ts = load_traces(FIX / name, use_cache=False)
    if name == "folder":
        source = {}
        for f in sorted((FIX / name).glob("*.json")):
            source.update(raw_users(f))
    elif name.endswith(".jsonl"):
        source = {}
        for line in (FIX / name).read_text(encoding="utf-8").splitlines():
            source.update(json.loads(line))
    else:
        source = raw_users(FIX / name)
    assert ts.user_ids() == list(source)
    for uid, rec in source.items():
        assert ts.raw_events(uid) == rec["action_history"]
        assert schema.events_from_frame(ts.user_events(uid)) == rec["action_history"]


def test_null_absent_zero_and_empty_survive(en):
    old_ad = json.loads(row(en, "user_0001", 9)["context"])
    assert "caption" in old_ad and old_ad["caption"] is None
    video = row(en, "user_0001", 1)
    ctx = json.loads(video["context"])
    assert ctx["duration"] == 0 and ctx["ocr"] == "" and "caption" not in ctx
    assert video["title"] is None
    search = row(en, "user_0001", 3)
    assert search["has_context"] is False and search["context"] is None
    null_ctx = row(en, "user_0001", 17)
    assert null_ctx["has_context"] is True and null_ctx["context"] == "null"
    assert en.raw_events("user_0001")[17]["context"] is None
    assert "context" not in en.raw_events("user_0001")[3]
    empty = row(en, "user_0001", 16)
    assert empty["context"] == "{}" and empty["actions"] == "[]" and empty["action_types"] == []
    shop = json.loads(row(en, "user_0001", 7)["context"])
    assert shop["item_desc"] is None and shop["item_price"] == 0.0 and shop["external_item_title"] == ""


def test_scenarios_timestamps_and_derived_columns(en):
    ev = en.user_events("user_0001")
    assert set(ev["scenario"]) == {schema.VIDEO, schema.LIVE, schema.SHOP, schema.SERVICE, schema.AD, schema.SEARCH}
    r = {i: row(en, "user_0001", i) for i in range(18)}
    # date-only ads are midnight and flagged; identical timestamps kept
    assert r[10]["ts_date_only"] and r[10]["ts"] == datetime(2025, 11, 10) and r[11]["ts"] == r[10]["ts"]
    assert not r[0]["ts_date_only"]
    assert r[15]["ts"] == datetime(2025, 10, 4, 8, 0) and r[15]["ts_raw"] == "2025/10/04 08:00:00"
    assert r[14]["scenario"] == schema.VIDEO and r[14]["scenario_raw"] == "video browsing "
    # watch seconds: ints, "12秒", watch_seconds alias, no watch -> null
    assert r[0]["watch_seconds"] == 58.0
    assert r[1]["watch_seconds"] == 12.0
    assert r[2]["watch_seconds"] == 0.0
    assert r[3]["watch_seconds"] is None
    assert r[10]["watch_seconds"] is None  # ad watch with only is_complete_play
    assert r[11]["watch_seconds"] == 5.0
    # live counts: like_cnt / comment_cnt sums, two gifts
    assert (r[4]["like_count"], r[4]["comment_count"], r[4]["gift_amount"]) == (20000, 3, 12.0)
    # video counts: number of like / comment actions
    assert (r[0]["like_count"], r[0]["comment_count"], r[0]["gift_amount"]) == (1, 1, None)
    # act_ columns, misspelt dislike attribute still a dislike
    assert r[1]["act_dislike"] and r[2]["act_dislike"] and r[5]["act_dislike"] and r[5]["act_unfollow"]
    assert r[4]["action_types"] == ["watch", "like", "comment", "send_gift", "send_gift", "follow",
                                    "join_group", "share", "click_cart"]
    assert all(r[4][schema.act_column(t)] for t in ("watch", "like", "comment", "send_gift", "follow", "click_cart"))
    assert not r[4]["act_purchase"]
    # outcome: booleans that may be false are not conversions
    assert r[7]["act_cart"] and r[7]["act_purchase"] and r[7]["outcome"] == schema.OUTCOME_VIEW
    assert r[8]["outcome"] == schema.OUTCOME_CONVERT
    assert r[4]["outcome"] == schema.OUTCOME_CONVERT  # click_cart
    assert r[0]["outcome"] == schema.OUTCOME_ENGAGE
    assert r[9]["outcome"] == schema.OUTCOME_CONVERT  # conversion_cnt 1
    assert r[12]["outcome"] == schema.OUTCOME_VIEW  # dialogue, unpaid
    assert r[6]["outcome"] == schema.OUTCOME_VIEW
    # titles and categories
    assert r[0]["title"].startswith("Street food tour")
    assert r[3]["title"] == "小米" and r[3]["category"] == "查询型"
    assert r[4]["title"] == "Night market cooking live" and r[4]["category"] == "Other"
    assert r[6]["title"] == "A dim room with a guitar"  # minimal Live variant: cover description
    assert r[7]["title"].startswith("Wireless earbuds") and r[7]["category"] == "Earbuds"
    assert r[8]["category"] == "Electronics"
    assert r[9]["title"] == "Mobile game: Dragon Quest" and r[9]["category"] == "Games"
    assert r[10]["title"] == "Learn English in 30 days" and r[10]["category"] == "Online courses"
    assert r[12]["title"] == "Wireless earbuds" and r[12]["category"] == "Electronics>Audio"
    assert r[17]["title"] is None  # empty keyword


def test_chinese_scenario_names():
    zh = load_traces(FIX / "quirks_zh.json", use_cache=False)
    ev = zh.user_events("user_0101")
    assert ev["scenario"].to_list() == [schema.VIDEO, schema.SEARCH, schema.LIVE, schema.SHOP, schema.AD, schema.SERVICE]
    assert ev["scenario_raw"].to_list()[0] == "视频浏览"
    assert ev["title"][0] == "成都街头美食：麻辣面"
    assert zh.profile("user_0101") == "女性，31-40岁，本科学历。已婚，有一个孩子。"
    assert zh.warnings == []


def test_folder_jsonl_and_single_file_agree(en):
    folder = load_traces(FIX / "folder", use_cache=False)
    jsonl = load_traces(FIX / "quirks.jsonl", use_cache=False)
    assert folder.user_ids() == ["user_0001", "user_0002"]
    assert_frame_equal(folder.events, en.events.filter(pl.col("user_id") != "user_0003"))
    assert_frame_equal(jsonl.events, en.events)
    assert folder.users["source"].to_list() == [str(FIX / "folder" / "user_0001.json"),
                                                str(FIX / "folder" / "user_0002.json")]


def test_parquet_round_trip(tmp_path, en):
    out = write_parquet(en, tmp_path / "canon.parquet")
    back = load_traces(out)
    assert back.parquet == out
    assert "context" not in back.events.columns  # payload stays on disk until asked for
    assert_frame_equal(back.with_payload(), en.events)
    assert_frame_equal(back.events, en.events.drop("context", "actions"))
    assert_frame_equal(back.users.drop("source"), en.users.drop("source"))
    assert back.raw_events("user_0001") == en.raw_events("user_0001")
    # and once more through a second write
    again = write_parquet(back, tmp_path / "again.parquet")
    assert_frame_equal(pl.read_parquet(again), pl.read_parquet(out))


def test_parquet_without_canonical_columns_is_refused(tmp_path):
    bad = tmp_path / "other.parquet"
    pl.DataFrame({"a": [1]}).write_parquet(bad)
    with pytest.raises(TraceError) as err:
        load_traces(bad)
    assert err.value.issue.field == "user_id" and "other.parquet" in str(err.value)


def test_cache_is_written_then_read(tmp_path, monkeypatch):
    src = tmp_path / "traces.json"
    shutil.copy(FIX / "quirks_en.json", src)
    first = load_traces(src)
    assert first.wait_cache(30)
    files = list((paths.cache_dir() / "traces").glob("*.parquet"))
    assert len(files) == 1 and first.parquet == files[0]
    assert "context" not in first.events.columns

    def no_import(*a, **k):
        raise AssertionError("should have been read from the cache")

    with monkeypatch.context() as m:
        m.setattr(load_mod, "_import", no_import)
        second = load_traces(src)
        third_src = tmp_path / "copy.json"
        shutil.copy(src, third_src)
        third = load_traces(third_src)
    assert second.parquet == files[0]
    assert_frame_equal(second.events, first.events)
    assert_frame_equal(second.users, first.users)
    assert second.raw_events("user_0001") == raw_users(FIX / "quirks_en.json")["user_0001"]["action_history"]
    # a copy with the same content under another name hits the same cache entry (content hash)
    assert third.parquet == files[0] and third.source == third_src
    assert third.users["source"].to_list() == [str(third_src)] * 3
    # changed content: a new import and a new cache entry
    data = raw_users(src)
    data["user_0001"]["action_history"] = data["user_0001"]["action_history"][:2]
    src.write_text(json.dumps(data), encoding="utf-8")
    fourth = load_traces(src)
    fourth.wait_cache(30)
    assert fourth.users["event_count"].to_list()[0] == 2
    assert len(list((paths.cache_dir() / "traces").glob("*.parquet"))) == 2
    assert not list((paths.cache_dir() / "traces").glob("*.tmp"))


def test_cache_for_folder_tracks_file_names_and_contents(tmp_path):
    folder = tmp_path / "users"
    shutil.copytree(FIX / "folder", folder)
    a = load_traces(folder)
    a.wait_cache(30)
    (folder / "user_0002.json").rename(folder / "user_0009.json")
    b = load_traces(folder)
    b.wait_cache(30)
    assert a.parquet != b.parquet
    assert b.users["source"].to_list()[1].endswith("user_0009.json")


def test_user_events_reads_payload_lazily_for_one_user(tmp_path):
    src = tmp_path / "t.json"
    shutil.copy(FIX / "quirks_en.json", src)
    load_traces(src).wait_cache(30)
    ts = load_traces(src)
    assert ts.parquet is not None and not ts.has_payload
    ev = ts.user_events("user_0002")
    assert ev.height == 3 and set(ev["user_id"]) == {"user_0002"}
    assert ev.columns == list(schema.EVENT_SCHEMA)


def test_streaming_path_gives_the_same_table(monkeypatch, en):
    monkeypatch.setattr(limits, "FAST_PATH_MAX_BYTES", 0)
    monkeypatch.setattr(limits, "BATCH_EVENTS", 4)
    streamed = load_traces(FIX / "quirks_en.json", use_cache=False)
    assert_frame_equal(streamed.events, en.events)
    assert_frame_equal(streamed.users, en.users)
    assert streamed.warnings == []
    zh_fast = load_traces(FIX / "quirks_zh.json", use_cache=False)
    monkeypatch.setattr(limits, "FAST_PATH_MAX_BYTES", 0)
    assert_frame_equal(load_traces(FIX / "quirks_zh.json", use_cache=False).events, zh_fast.events)


def test_task_state_can_cancel(monkeypatch):
    from workbench.tasks import Cancelled, TaskState

    task = TaskState()
    task.cancel()
    with pytest.raises(Cancelled):
        load_traces(FIX / "quirks_en.json", task=task, use_cache=False)


# -- the two-process path (a forked worker builds the second half of the events) -------------------


def _force_two_processes(monkeypatch, batch: int = 4) -> Path:
    """Make every file take a two-process path; returns a file the worker writes "<how> <pid>" to
    (how: "split" = parsed in two halves, "forked" = parsed whole, then built in two halves,
    "stream" = streamed, the second half of the events by the worker)."""
    import os

    monkeypatch.setattr(limits, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(limits, "PARALLEL_MIN_EVENTS", 2)
    monkeypatch.setattr(limits, "BATCH_EVENTS", batch)
    marker = paths.cache_dir() / "worker-pid"
    for module, name, how in ((forked, "build_worker", "forked"), (forked, "split_worker", "split"),
                              (stream, "stream_worker", "stream")):
        real = getattr(module, name)

        def spy(*args, _real=real, _how=how):
            marker.write_text(f"{_how} {os.getpid()}")
            _real(*args)

        monkeypatch.setattr(module, name, spy)
    return marker


def _worker_ran(marker: Path) -> str:
    import os

    how, pid = marker.read_text().split()
    assert int(pid) != os.getpid()
    return how


def _bad_second_half(path: Path) -> Path:
    users = raw_users(FIX / "quirks_en.json")
    events = users["user_0002"]["action_history"]
    events.append({"type": "Video Browsing", "timestamp": "2025-13-45 99:00:00", "context": [],
                   "action": {"type": "watch"}})
    events.append("not an event")
    events.append({"type": "Ufo Watching", "timestamp": 17, "action": []})
    users["user_0004"] = {"user_profile": "late", "action_history": [
        {"type": "Search Behavior", "timestamp": "2025-10-01", "action": [{"type": "search", "keyword": "x"}]}
        for _ in range(7)]}
    late = users["user_0004"]["action_history"]
    late[4] = {"type": "Search Behavior", "timestamp": "yesterday", "context": "ctx", "action": 3}
    late[5] = [1, 2]
    late.append({"type": "Sky Diving", "timestamp": "2025-10-02 08:00:00", "action": [{"type": 7}]})
    path.write_text(json.dumps(users), encoding="utf-8")
    return path


def test_two_process_path_gives_the_same_table(monkeypatch, tmp_path, en):
    source = _bad_second_half(tmp_path / "bad_late.json")
    single = load_traces(source, use_cache=False)  # small file: one process
    assert not (paths.cache_dir() / "worker-pid").exists()
    marker = _force_two_processes(monkeypatch)
    hows: set[str] = set()
    for name in ("quirks_en.json", "quirks_zh.json"):
        one = en if name == "quirks_en.json" else None
        monkeypatch.setattr(limits, "PARALLEL_MIN_BYTES", 1 << 40)
        one = one or load_traces(FIX / name, use_cache=False)
        monkeypatch.setattr(limits, "PARALLEL_MIN_BYTES", 0)
        marker.unlink(missing_ok=True)
        two = load_traces(FIX / name, use_cache=False)
        hows.add(_worker_ran(marker))
        assert_frame_equal(two.events, one.events)
        assert_frame_equal(two.users, one.users)
        assert two.warnings == one.warnings
    assert "forked" in hows  # quirks_en's last user has no events: it cannot be split
    marker.unlink()
    both = load_traces(source, use_cache=False)
    assert _worker_ran(marker) == "split"
    assert_frame_equal(both.events, single.events)
    assert_frame_equal(both.users, single.users)
    assert sorted(map(str, both.warnings)) == sorted(map(str, single.warnings))
    # the bad events sit in the worker's half: their warnings name the right file, user and event
    where = {(w.user_id, w.event_index, w.field) for w in both.warnings}
    assert {("user_0002", 3, "context"), ("user_0002", 3, "action"), ("user_0002", 3, "timestamp"),
            ("user_0002", 4, ""), ("user_0002", 5, "type"), ("user_0002", 5, "timestamp"),
            ("user_0004", 4, "timestamp"), ("user_0004", 4, "context"), ("user_0004", 4, "action"),
            ("user_0004", 5, ""), ("user_0004", 7, "type")} <= where
    assert all(w.file == str(source) for w in both.warnings)
    assert both.users.filter(pl.col("user_id") == "user_0002")["event_count"].item() == 5
    assert both.user_events("user_0004")["event_index"].to_list() == [0, 1, 2, 3, 4, 6, 7]
    # with the cache (the file's hash is taken while it is parsed) the result is the same again
    cached = load_traces(source)
    cached.wait_cache()
    assert_frame_equal(cached.with_payload(), single.events)
    assert_frame_equal(load_traces(source).events, single.events.drop(list(schema.PAYLOAD_COLUMNS)))


@pytest.mark.parametrize("how", ["forked", "split", "stream"])
def test_two_process_path_survives_a_failing_worker(monkeypatch, tmp_path, how, in_workers):
    source = FIX / "quirks_en.json" if how == "forked" else _bad_second_half(tmp_path / "bad_late.json")
    if how == "stream":
        monkeypatch.setattr(limits, "FAST_PATH_MAX_BYTES", 0)
        monkeypatch.setattr(limits, "BATCH_EVENTS", 4)
    one = load_traces(source, use_cache=False)
    marker = _force_two_processes(monkeypatch)
    in_workers(build.EventBuilder, "add_list", out_of_memory)
    two = load_traces(source, use_cache=False)  # this process builds the worker's part too
    assert _worker_ran(marker) == how
    assert_frame_equal(two.events, one.events)
    assert sorted(map(str, two.warnings)) == sorted(map(str, one.warnings))


@pytest.mark.parametrize("how", ["split", "stream"])
def test_two_process_path_reports_a_fatal_event_in_the_worker_half(monkeypatch, tmp_path, how):
    source = _bad_second_half(tmp_path / "bad_late.json")
    marker = _force_two_processes(monkeypatch)
    if how == "stream":
        monkeypatch.setattr(limits, "FAST_PATH_MAX_BYTES", 0)
    monkeypatch.setattr(build, "MAX_EVENT_BYTES", 50_000)
    users = raw_users(source)
    big = {"type": "Video Browsing", "timestamp": "2025-10-01 10:00:00",
           "context": {"ocr": "x" * 60_000}, "action": []}
    users["user_0004"]["action_history"][5] = big
    source.write_text(json.dumps(users), encoding="utf-8")
    with pytest.raises(TraceError) as err:
        load_traces(source, use_cache=False)
    issue = err.value.issue
    assert (issue.file, issue.user_id, issue.event_index) == (str(source), "user_0004", 5)
    assert _worker_ran(marker) == how


def _streamed_both_ways(monkeypatch, source: Path) -> tuple[TraceSet, TraceSet]:
    """``source`` streamed (batches of 4 events) by one process, then by two."""
    monkeypatch.setattr(limits, "FAST_PATH_MAX_BYTES", 0)
    monkeypatch.setattr(limits, "BATCH_EVENTS", 4)
    one = load_traces(source, use_cache=False)
    assert not (paths.cache_dir() / "worker-pid").exists()
    marker = _force_two_processes(monkeypatch)
    two = load_traces(source, use_cache=False)
    assert _worker_ran(marker) == "stream"
    return one, two


def test_streaming_two_process_path_gives_the_same_table(monkeypatch, tmp_path):
    source = _bad_second_half(tmp_path / "bad_late.json")
    users = raw_users(source)
    users["user_0004"]["action_history"][2]["context"] = {"caption": "BROKEN"}
    users["user_0005"] = {"user_profile": "not a list", "action_history": "nothing"}
    users["user_0006"] = {"action_history": [
        {"type": "E-commerce", "timestamp": f"2025-11-0{d} 12:00:00", "action": [{"type": "cart"}]}
        for d in range(1, 10)]}
    text = json.dumps(users).replace('{"caption": "BROKEN"}', '{"caption": tru}')  # does not parse
    source.write_text(text, encoding="utf-8")
    one, two = _streamed_both_ways(monkeypatch, source)
    assert_frame_equal(two.events, one.events)
    assert_frame_equal(two.users, one.users)
    assert sorted(map(str, two.warnings)) == sorted(map(str, one.warnings))
    where = {(w.user_id, w.event_index, w.field) for w in two.warnings}
    assert {("user_0004", 2, ""), ("user_0004", 4, "timestamp"), ("user_0005", None, "action_history"),
            ("user_0002", 3, "context")} <= where
    assert two.user_events("user_0006")["event_index"].to_list() == list(range(9))
    assert two.users["user_id"].to_list() == ["user_0001", "user_0002", "user_0003", "user_0004",
                                              "user_0005", "user_0006"]


def test_streaming_two_process_path_reads_a_truncated_file(monkeypatch, tmp_path):
    source = _bad_second_half(tmp_path / "bad_late.json")
    text = source.read_text(encoding="utf-8")
    cut = text.rindex('"Search Behavior"')  # inside the last user's history
    source.write_text(text[:cut + 5], encoding="utf-8")
    one, two = _streamed_both_ways(monkeypatch, source)
    assert_frame_equal(two.events, one.events)
    assert sorted(map(str, two.warnings)) == sorted(map(str, one.warnings))
    assert any("truncated" in w.message or "complete" in str(w) for w in two.warnings)
    assert two.user_events("user_0004").height > 0


def test_two_process_split_is_not_fooled_by_a_repeated_user_key(monkeypatch, tmp_path):
    events = [{"type": "Video Browsing", "timestamp": f"2025-10-01 10:00:{i:02d}",
               "action": [{"type": "watch", "play_duration": i}]} for i in range(12)]
    text = ('{"u1": {"action_history": %s}, "u2": {"action_history": %s}, "u1": {"action_history": %s}}'
            % (json.dumps(events[:2]), json.dumps(events[:3]), json.dumps(events)))
    source = tmp_path / "dup.json"
    source.write_text(text, encoding="utf-8")
    one = load_traces(source, use_cache=False)
    marker = _force_two_processes(monkeypatch)
    two = load_traces(source, use_cache=False)
    _worker_ran(marker)
    assert_frame_equal(two.events, one.events)
    assert two.events.filter(pl.col("user_id") == "u1").height == 12


def test_two_process_path_with_the_cache_hashes_beside_the_parse(monkeypatch, tmp_path):
    """On the two-process path the content hash is computed while the file is parsed; the cache
    entry it names is written, a second open reads it without importing, and a copy of the file
    (unknown size/mtime signature) lands on the same entry."""
    import shutil

    from workbench.traces import cache as cache_mod

    marker = _force_two_processes(monkeypatch)
    src = tmp_path / "a.json"
    shutil.copy(FIX / "quirks_zh.json", src)
    first = load_traces(src)
    assert _worker_ran(marker) in ("split", "forked")
    first.wait_cache()
    entry = cache_mod.parquet_path(cache_mod.bytes_hash(src.read_bytes()))
    assert entry.exists()
    imports = []
    real_import = load_mod._import
    monkeypatch.setattr(load_mod, "_import", lambda *a, **k: imports.append(a) or None)
    again = load_traces(src)
    assert imports == [] and again.parquet == entry
    assert_frame_equal(again.user_events(again.user_ids()[0]),
                       first.user_events(first.user_ids()[0]))
    monkeypatch.setattr(load_mod, "_import", real_import)
    copy = tmp_path / "copy.json"
    shutil.copy(src, copy)
    dup = load_traces(copy)
    dup.wait_cache()
    assert dup.parquet == entry
    assert_frame_equal(dup.events, again.events)


# -- memory and reading ---------------------------------------------------------------------------


def test_kept_payloads_take_their_size_not_orjsons_4k_buffers():
    """orjson.dumps hands back a buffer of at least 4 KiB; the builder keeps exact-size copies."""
    import tracemalloc

    from workbench.traces.build import EventBuilder
    from workbench.traces.errors import IssueLog

    events = [{"type": "Video Browsing", "timestamp": "2025-09-01 00:00:00", "context": {"n": i},
               "action": [{"type": "watch", "play_duration": i % 60}]} for i in range(5000)]
    builder = EventBuilder(IssueLog())
    tracemalloc.start()
    try:
        builder.add_list("f.json", "u", events)
        kept, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(builder) == 5000
    assert builder.context.text(7) == b'{"n":7}'
    assert builder.actions.text(7) == b'[{"type":"watch","play_duration":7}]'
    assert kept < 5000 * 1024  # 2 x 4 KiB per event (41 MB) if orjson's buffers were kept


def test_read_file_returns_every_byte_in_a_bytearray(tmp_path):
    f = tmp_path / "t.json"
    body = ('{"u": {"action_history": []}, "名": "' + "x" * 70_000 + '"}').encode()
    f.write_bytes(body)
    data = importer.read_file(f)
    assert isinstance(data, bytearray) and data == body
    (tmp_path / "empty.json").write_bytes(b"")
    assert importer.read_file(tmp_path / "empty.json") == bytearray()


@pytest.mark.parametrize("stage", ["scanning", "reading"])
def test_streaming_two_process_path_can_be_cancelled(monkeypatch, tmp_path, stage, in_workers):
    import multiprocessing

    from workbench.tasks import Cancelled, TaskState

    import time

    source = _bad_second_half(tmp_path / "bad_late.json")
    monkeypatch.setattr(limits, "FAST_PATH_MAX_BYTES", 0)
    _force_two_processes(monkeypatch)
    # that worker takes its time (the scan worker's scan is looked up in forked, which runs it)
    owner, name = (forked, "scan") if stage == "scanning" else (stream, "_build_batch")
    in_workers(owner, name, lambda: time.sleep(30))
    seen: list[str] = []

    def on_progress(done, total, text):
        seen.append(text)
        if text.startswith(stage):
            task.cancel()

    task = TaskState(on_progress)
    with pytest.raises(Cancelled):
        load_traces(source, use_cache=False, task=task)
    assert any(t.startswith(stage) for t in seen)
    assert multiprocessing.active_children() == []  # the sleeping worker was stopped, not waited for


def test_user_table_without_a_join_is_the_joined_one():
    from workbench.traces import canonical

    events = pl.DataFrame({"user_id": ["a", "a", "b", "c"],
                           "ts": [datetime(2025, 1, 2), None, None, datetime(2025, 1, 1)]},
                          schema={"user_id": pl.String, "ts": pl.Datetime("us")})
    users = [("a", "pa", "f1"), ("b", "", "f1"), ("c", "pc", "f2")]
    fast = canonical.user_table(events, users)          # every user has events, in order: no join
    joined = canonical.user_table(events, users + [("d", "", "f2")]).head(3)
    assert fast.equals(joined)
    assert fast.schema == pl.Schema(schema.USER_SCHEMA)
    assert fast.row(0) == ("a", "pa", 2, datetime(2025, 1, 2), datetime(2025, 1, 2), "f1")
    assert fast.row(1)[2:5] == (1, None, None)


def test_the_file_of_each_user_follows_the_users_read():
    from workbench.traces.errors import IssueLog
    from workbench.traces.importer import ImportState

    state = ImportState(IssueLog(), None)
    state.users.append(("a", "", "one.json"))
    assert state.file_of_user.get("a") == "one.json" and state.file_of_user.get("b", "") == ""
    state.users.append(("b", "", "two.json"))
    assert dict(state.file_of_user) == {"a": "one.json", "b": "two.json"} and len(state.file_of_user) == 2
    state.reset()
    state.users.extend([("c", "", "three.json"), ("d", "", "three.json")])   # as many as before
    assert dict(state.file_of_user) == {"c": "three.json", "d": "three.json"}
