"""Bad input: clear errors naming file/user/event/field; what can be read is loaded with warnings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.traces import TraceError, TraceIssue, load_traces, build, importer, limits

FIX = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(params=["fast", "streaming", "fast, two processes", "streaming, two processes"])
def path_kind(request, monkeypatch):
    """Run a test on the whole-file path and on the streaming (scan + batches) path, each on one
    process and on two (as files from ``PARALLEL_MIN_BYTES`` on are read)."""
    if request.param.startswith("streaming"):
        monkeypatch.setattr(limits, "FAST_PATH_MAX_BYTES", 0)
        monkeypatch.setattr(limits, "BATCH_EVENTS", 2)
    if request.param.endswith("two processes"):
        monkeypatch.setattr(limits, "PARALLEL_MIN_BYTES", 0)
        monkeypatch.setattr(limits, "PARALLEL_MIN_EVENTS", 2)
    return request.param


def load(name: str):
    return load_traces(FIX / name, use_cache=False)


@pytest.mark.parametrize("name", ["bad_empty.json", "bad_whitespace.json"])
def test_empty_files(name, path_kind):
    with pytest.raises(TraceError) as err:
        load(name)
    assert name in str(err.value) and "empty" in str(err.value)
    assert isinstance(err.value.issue, TraceIssue) and err.value.issue.file.endswith(name)


def test_truncated_file_loads_the_complete_events(path_kind):
    ts = load("bad_truncated.json")
    assert ts.user_ids() == ["user_0001"]
    ev = ts.user_events("user_0001")
    assert ev["event_index"].to_list() == [0, 1, 2, 3]
    full = json.loads((FIX / "quirks_en.json").read_text(encoding="utf-8"))
    assert ts.raw_events("user_0001") == full["user_0001"]["action_history"][:4]
    assert len(ts.warnings) == 1 and "truncated" in ts.warnings[0].message


@pytest.mark.parametrize("name", ["bad_utf8.json", "bad_nan.json", "bad_deep.json"])
def test_one_bad_event_is_named_and_skipped(name, path_kind):
    ts = load(name)
    assert ts.user_events("user_0001")["event_index"].to_list() == [0, 2]
    [w] = ts.warnings
    assert (w.file, w.user_id, w.event_index) == (str(FIX / name), "user_0001", 1)
    assert "skipped" in w.message
    assert "user user_0001, event 1" in str(w)


def test_wrong_types_are_kept_and_warned(path_kind):
    ts = load("bad_types.json")
    assert ts.user_ids() == ["user_0001", "user_0002", "user_0004"]
    ev = ts.user_events("user_0001")
    # the string event (index 5) is skipped; every other event is kept at its own index
    assert ev["event_index"].to_list() == [0, 1, 2, 3, 4, 6, 7, 8]
    by = {(w.user_id, w.event_index, w.field): w for w in ts.warnings}
    assert by[("user_0001", 1, "action")].expected == "a list of actions"
    assert by[("user_0001", 2, "context")].expected == "an object"
    assert "Teleportation" in by[("user_0001", 4, "type")].message
    assert by[("user_0001", 5, "")].expected == "an event object"
    assert "yesterday evening" in by[("user_0001", 3, "timestamp")].message
    assert "2025-02-30" in by[("user_0001", 7, "timestamp")].message
    assert ("user_0001", 6, "timestamp") in by  # missing timestamp
    assert by[("user_0002", None, "action_history")].expected == "a list of events"
    assert ("user_0003", None, "") in by
    assert by[("user_0004", None, "user_profile")].expected == "a string"
    rows = {r["event_index"]: r for r in ev.iter_rows(named=True)}
    assert rows[4]["scenario"] == "Other" and rows[4]["scenario_raw"] == "Teleportation"
    assert rows[3]["ts"] is None and rows[3]["ts_raw"] == "yesterday evening"
    assert rows[6]["ts"] is None and rows[6]["ts_raw"] is None
    assert rows[8]["scenario"] == "Other" and rows[8]["ts_raw"] == "20250903"
    # payloads are kept as given even when they have the wrong type
    assert json.loads(rows[1]["actions"]) == {"type": "watch"} and rows[1]["action_types"] == []
    assert json.loads(rows[2]["context"]) == ["not", "an", "object"] and rows[2]["watch_seconds"] == 7.0
    assert rows[7]["action_types"] == [None, None]
    assert ts.users.filter(ts.users["user_id"] == "user_0002")["event_count"].item() == 0
    assert ts.profile("user_0004") == '{"gender":"F"}'


@pytest.mark.parametrize("name", ["bad_top_list.json", "bad_garbage.json"])
def test_unreadable_structure_is_an_error(name, path_kind):
    with pytest.raises(TraceError) as err:
        load(name)
    assert err.value.issue.file.endswith(name) and err.value.issue.expected


def test_bad_jsonl_lines():
    ts = load("bad_lines.jsonl")
    assert ts.user_ids() == ["user_0001", "user_0003"]
    assert [w.file.rsplit(":", 1)[1] for w in ts.warnings] == ["2", "3"]


def test_missing_path_and_empty_folder(tmp_path):
    with pytest.raises(TraceError, match="not found"):
        load_traces(tmp_path / "nope.json")
    (tmp_path / "empty").mkdir()
    with pytest.raises(TraceError, match="no .json"):
        load_traces(tmp_path / "empty")


def test_huge_strings_are_refused(tmp_path, monkeypatch, path_kind):
    small = {"type": "Video Browsing", "timestamp": "2025-09-01 00:00:00", "action": []}
    doc = {"u": {"user_profile": "p", "action_history": [small] * 6 + [
        {"type": "Video Browsing", "timestamp": "2025-09-01 00:00:00", "context": {"ocr": "x" * 5000}, "action": []}]}}
    f = tmp_path / "huge.json"
    f.write_text(json.dumps(doc))
    monkeypatch.setattr(build, "MAX_EVENT_BYTES", 1000)
    with pytest.raises(TraceError) as err:
        load_traces(f, use_cache=False)
    assert (err.value.issue.user_id, err.value.issue.event_index) == ("u", 6)
    monkeypatch.setattr(limits, "FAST_PATH_MAX_BYTES", 0)
    monkeypatch.setattr(limits, "MAX_STRING_BYTES", 1000)
    with pytest.raises(TraceError, match="string of"):
        load_traces(f, use_cache=False)
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 100)
    with pytest.raises(TraceError, match="at most"):
        load_traces(f, use_cache=False)


def test_huge_profile_is_refused(tmp_path, monkeypatch):
    f = tmp_path / "p.json"
    f.write_text(json.dumps({"u": {"user_profile": "y" * 500, "action_history": []}}))
    monkeypatch.setattr(build, "MAX_PROFILE_CHARS", 100)
    with pytest.raises(TraceError) as err:
        load_traces(f, use_cache=False)
    assert err.value.issue.field == "user_profile"


def test_many_bad_timestamps_are_summarised(tmp_path):
    events = [{"type": "Search Behavior", "timestamp": f"day {i}", "action": []} for i in range(500)]
    f = tmp_path / "ts.json"
    f.write_text(json.dumps({"u": {"user_profile": "", "action_history": events}}))
    ts = load_traces(f, use_cache=False)
    assert ts.events.height == 500 and ts.events["ts"].null_count() == 500
    assert len(ts.warnings) < 60 and "450 more" in ts.warnings[-1].message


def test_big_integers_and_bom(tmp_path, path_kind):
    f = tmp_path / "big.json"
    body = ('{"u": {"action_history": [{"type": "Live Streaming", "timestamp": "2025-09-01 00:00:00", '
            '"action": [{"type": "like", "like_cnt": 1e300}, {"type": "comment", "comment_cnt": "99999999999999999999999"}]}]}}')
    f.write_bytes(b"\xef\xbb\xbf" + body.encode())
    ts = load_traces(f, use_cache=False)
    r = ts.user_events("u").row(0, named=True)
    assert r["like_count"] == 1 and r["comment_count"] == 1  # out-of-range counts fall back to presence


def test_unreadable_file_is_a_trace_error(tmp_path, monkeypatch):
    f = tmp_path / "locked.json"
    f.write_text('{"u": {"action_history": []}}')

    def denied(path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(importer, "read_file", denied)
    with pytest.raises(TraceError) as err:
        load_traces(f, use_cache=False)
    assert err.value.issue.file == str(f) and "Permission denied" in str(err.value)


def test_directory_named_like_a_trace_file(tmp_path):
    d = tmp_path / "dir.json"
    d.mkdir()
    (d / "u.json").write_text('{"u": {"action_history": []}}')
    assert load_traces(d, use_cache=False).user_ids() == ["u"]
