"""Hostile files and file systems: special files, odd names, an unusable or stale cache, files that
change while they load, forged canonical Parquet metadata, duplicate user keys, non-JSON bytes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from workbench.traces import (
    TraceError,
    cache,
    importer,
    limits,
    load_traces,
    read_parquet,
    write_parquet,
)
from workbench.traces import load as load_mod
from workbench.traces.errors import IssueLog

ROOT = Path(__file__).resolve().parents[2]


def _ev(i: int, scenario: str = "Video Browsing") -> dict:
    return {"type": scenario, "timestamp": f"2025-10-01 00:00:{i % 60:02d}", "context": {"caption": f"v{i}"},
            "action": [{"type": "watch", "play_duration": i}]}


def _write(path: Path, users: dict) -> Path:
    path.write_text(json.dumps({u: {"user_profile": "p", "action_history": h} for u, h in users.items()}),
                    encoding="utf-8")
    return path


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "workbench", *args], capture_output=True, text=True, timeout=120,
                          check=False,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


# -- special files and names ------------------------------------------------------------------------


def test_a_fifo_is_refused_at_once(tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    t = time.monotonic()
    with pytest.raises(TraceError, match="FIFO") as err:
        load_traces(fifo)
    assert time.monotonic() - t < 5 and "\n" not in str(err.value)
    out = _cli("info", str(fifo))
    assert out.returncode == 2 and "FIFO" in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_a_device_is_refused_at_once():
    with pytest.raises(TraceError, match="character device"):
        load_traces("/dev/zero")


def test_special_files_in_a_folder_are_not_read(tmp_path):
    _write(tmp_path / "a.json", {"u": [_ev(0)]})
    os.mkfifo(tmp_path / "b.json")
    assert load_traces(tmp_path).user_ids() == ["u"]


def test_a_file_name_that_is_not_utf8_works(tmp_path):
    folder = tmp_path / os.fsdecode(b"d\xff")
    folder.mkdir()
    f = _write(folder / os.fsdecode(b"u\xfe.json"), {"u": [_ev(0), "bad"]})
    ts = load_traces(f)
    assert ts.user_ids() == ["u"] and ts.user("u").event(0)["context"] == {"caption": "v0"}
    for text in [w.file for w in ts.warnings] + ts.users["source"].to_list():
        text.encode("utf-8")  # valid UTF-8: printable, storable
    assert "\\xfe" in ts.warnings[0].file
    ts.wait_cache()
    again = load_traces(f)
    assert again.parquet is not None and again.user_ids() == ["u"]
    assert load_traces(folder).user_ids() == ["u"]
    out = _cli("info", os.fsencode(str(f)).decode("utf-8", "surrogateescape"))
    assert out.returncode == 0 and "\\xfe" in out.stdout
    (folder / os.fsdecode(b"x\xfd.json")).write_bytes(b"\x00\x00")
    out = _cli("info", str(folder / os.fsdecode(b"x\xfd.json")))
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1 and "\\xfd" in out.stderr


# -- the cache --------------------------------------------------------------------------------------


def test_an_unusable_cache_folder_gives_one_warning_and_the_traces(tmp_path, monkeypatch):
    f = _write(tmp_path / "t.json", {"u": [_ev(0), _ev(1)]})

    def read_only():
        raise PermissionError(13, "Permission denied", str(tmp_path / "cache" / "traces"))

    monkeypatch.setattr(cache, "cache_root", read_only)
    ts = load_traces(f)
    assert ts.user("u").indices == (0, 1) and ts.parquet is None
    [w] = ts.warnings
    assert w.field == "cache" and "Permission denied" in w.message and "without the cache" in w.message
    assert any("Permission denied" in n for n in cache.notices())


def test_an_unusable_cache_folder_in_the_commands(tmp_path):
    f = _write(tmp_path / "t.json", {"u": [_ev(i) for i in range(40)]})
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    env = {"WORKBENCH_CACHE_DIR": str(blocker / "cache")}
    out = _cli("info", str(f), env=env)
    assert out.returncode == 0 and out.stdout.count("not usable") == 1 and "Traceback" not in out.stderr
    out = _cli("sample", str(f), "--users", "u", "--n-per-user", "2", env=env)
    assert "Traceback" not in out.stderr and out.stderr.count("not usable") == 1 and "unreadable" not in out.stderr


def test_a_failed_cache_write_keeps_the_traces(tmp_path, monkeypatch):
    f = _write(tmp_path / "t.json", {"u": [_ev(0)]})

    def full(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache, "remember_hash", full)
    ts = load_traces(f, background_cache_write=False)
    assert ts.user("u").indices == (0,)
    assert any("could not write the cache" in w.message for w in ts.warnings)


def test_an_edit_that_keeps_size_and_mtime_is_not_served_stale(tmp_path):
    f = _write(tmp_path / "t.json", {"u": [_ev(1)]})
    first = load_traces(f)
    first.wait_cache()
    st = f.stat()
    body = f.read_bytes().replace(b'"v1"', b'"v7"')
    assert len(body) == st.st_size
    f.write_bytes(body)
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))  # same size, same mtime
    assert f.stat().st_mtime_ns == st.st_mtime_ns
    again = load_traces(f)
    assert again.user("u").event(0)["context"] == {"caption": "v7"}


def test_the_cache_signature_checks_content_inode_and_ctime(tmp_path):
    f = _write(tmp_path / "t.json", {"u": [_ev(1)]})
    sig = cache.signature(f, [f])
    assert str(f.stat().st_ino) in sig and str(f.stat().st_ctime_ns) in sig


# -- files that change while they load ---------------------------------------------------------------


def test_a_file_rewritten_while_it_loads_is_read_again(tmp_path, monkeypatch):
    f = _write(tmp_path / "t.json", {"u": [_ev(1)]})
    real = load_mod._import
    calls = []

    def import_and_rewrite(*args, **kwargs):
        ts = real(*args, **kwargs)
        calls.append(1)
        if len(calls) == 1:  # the writer finishes while we read
            _write(f, {"u": [_ev(1), _ev(2)], "w": [_ev(3)]})
        return ts

    monkeypatch.setattr(load_mod, "_import", import_and_rewrite)
    ts = load_traces(f)
    assert len(calls) == 2 and ts.user_ids() == ["u", "w"] and len(ts.user("u")) == 2


def test_a_file_that_keeps_changing_is_refused(tmp_path, monkeypatch):
    f = _write(tmp_path / "t.json", {"u": [_ev(1)]})
    real = load_mod._import

    def import_and_touch(*args, **kwargs):
        ts = real(*args, **kwargs)
        _write(f, {"u": [_ev(int(time.time_ns() % 50))]})
        return ts

    monkeypatch.setattr(load_mod, "_import", import_and_touch)
    with pytest.raises(TraceError, match="changed while it was read"):
        load_traces(f, use_cache=False)


# -- canonical Parquet ------------------------------------------------------------------------------


def _canonical(tmp_path) -> tuple[Path, pl.DataFrame, dict]:
    ts = load_traces(_write(tmp_path / "t.json", {"u": [_ev(0), _ev(1)], "v": [_ev(2)]}), use_cache=False)
    out = write_parquet(ts, tmp_path / "t.parquet")
    return out, pl.read_parquet(out), pl.read_parquet_metadata(out)


def _forge(path: Path, frame: pl.DataFrame, meta: dict) -> Path:
    frame.write_parquet(path, metadata=meta)
    return path


@pytest.mark.parametrize("key, value, where", [
    ("workbench.users", "{not json", "not JSON"),
    ("workbench.users", '{"u": 1}', "not a list"),
    ("workbench.users", '[{"profile": "x"}]', "no string user_id"),
    ("workbench.users", '[{"user_id": 7}]', "no string user_id"),
    ("workbench.users", '[{"user_id": "u", "profile": [1]}]', "must be strings"),
    ("workbench.users", '[{"user_id": "u"}, {"user_id": "u"}, {"user_id": "v"}]', "listed twice"),
    ("workbench.users", '[{"user_id": "u"}]', "not listed"),          # v's events would vanish
    ("workbench.warnings", '{"a": 1}', "not a list"),
    ("workbench.warnings", '[{"file": 3}]', "without a file name"),
    ("workbench.warnings", '[{"file": "f", "event_index": "x"}]', "bad event index"),
])
def test_forged_metadata_is_a_located_one_line_error(tmp_path, key, value, where):
    _, frame, meta = _canonical(tmp_path)
    forged = _forge(tmp_path / "forged.parquet", frame, {**meta, key: value})
    with pytest.raises(TraceError) as err:
        read_parquet(forged)
    text = str(err.value)
    assert where in text and "forged.parquet" in text and "\n" not in text
    assert err.value.issue.field in (f"metadata {key}", "user_id")
    out = _cli("info", str(forged))
    assert out.returncode == 2 and "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_duplicate_event_indices_and_missing_keys_are_refused(tmp_path):
    path, frame, meta = _canonical(tmp_path)
    dup = frame.with_columns(pl.when(pl.col("event_index") == 1).then(0).otherwise(pl.col("event_index"))
                             .alias("event_index"))
    with pytest.raises(TraceError, match="unique event_index") as err:
        read_parquet(_forge(tmp_path / "dup.parquet", dup, meta))
    assert (err.value.issue.user_id, err.value.issue.event_index) == ("u", 0)
    nulls = frame.with_columns(pl.lit(None, pl.String).alias("user_id"))
    with pytest.raises(TraceError, match="user id and an event index"):
        read_parquet(_forge(tmp_path / "null.parquet", nulls, meta))
    negative = frame.with_columns((pl.col("event_index") - 5).alias("event_index"))
    with pytest.raises(TraceError, match="event index >= 0"):
        read_parquet(_forge(tmp_path / "neg.parquet", negative, meta))
    assert read_parquet(path).user_ids() == ["u", "v"]   # the honest file still reads


# -- duplicate users and non-JSON bytes -------------------------------------------------------------


@pytest.fixture(params=["whole", "streaming", "whole, two processes", "streaming, two processes"])
def path_kind(request, monkeypatch):
    if request.param.startswith("streaming"):
        monkeypatch.setattr(limits, "FAST_PATH_MAX_BYTES", 0)
        monkeypatch.setattr(limits, "BATCH_EVENTS", 2)
    if request.param.endswith("two processes"):
        monkeypatch.setattr(limits, "PARALLEL_MIN_BYTES", 0)
        monkeypatch.setattr(limits, "PARALLEL_MIN_EVENTS", 2)
    return request.param


def test_duplicate_user_keys_in_one_file_warn(tmp_path, path_kind):
    one = json.dumps({"user_profile": "first", "action_history": [_ev(0), _ev(1)]})
    two = json.dumps({"user_profile": "second", "action_history": [_ev(i) for i in range(2, 9)]})
    other = json.dumps({"user_profile": "x", "action_history": [_ev(9)]})
    f = tmp_path / "dup.json"
    f.write_text(f'{{"u": {one}, "v": {other}, "u": {two}}}', encoding="utf-8")
    ts = load_traces(f, use_cache=False)
    dup = [w for w in ts.warnings if w.expected == "unique user ids"]
    assert len(dup) == 1 and dup[0].user_id == "u" and "2 times" in dup[0].message
    assert ts.profile("u") == "second" and len(ts.user("u")) == 7


def test_no_warning_for_a_value_that_looks_like_a_key(tmp_path):
    f = tmp_path / "t.json"
    f.write_text(json.dumps({"u": {"user_profile": "action_history", "action_history": [
        {**_ev(0), "context": {"note": "action_history"}}]}}), encoding="utf-8")
    assert load_traces(f, use_cache=False).warnings == []


def test_a_file_of_nul_bytes_is_refused_from_its_first_bytes(tmp_path, monkeypatch):
    f = tmp_path / "zeros.json"
    with open(f, "wb") as fh:
        fh.truncate(2 * 1024 ** 3)  # 2 GB of NUL bytes (sparse: no disk used)

    def never(*_a, **_k):
        raise AssertionError("the file was read")

    monkeypatch.setattr(importer, "read_file", never)
    t = time.monotonic()
    with pytest.raises(TraceError, match="starts with 0x00 at byte 0"):
        load_traces(f)
    assert time.monotonic() - t < 2
    jsonl = tmp_path / "zeros.jsonl"
    jsonl.write_bytes(b"\n\n  \x00" * 10)
    with pytest.raises(TraceError, match="starts with 0x00 at byte 4"):
        load_traces(jsonl)


def test_not_an_object_and_empty_after_whitespace(tmp_path):
    f = tmp_path / "list.json"
    f.write_bytes(b"\xef\xbb\xbf \n [1, 2]")
    with pytest.raises(TraceError, match=r"starts with '\[' at byte 6"):
        load_traces(f)
    f.write_bytes(b" " * 200_000)
    with pytest.raises(TraceError, match="empty"):
        load_traces(f)


def test_a_hole_of_whitespace_in_a_history_is_trimmed_not_copied(tmp_path, monkeypatch):
    from workbench.traces import stream

    f = tmp_path / "hole.json"
    hole = b" \n\t\r" * 50_000
    f.write_bytes(b'{"u": {"user_profile": "p", "action_history": [' + json.dumps(_ev(0)).encode() + b","
                  + hole + json.dumps(_ev(1)).encode() + hole + b"]}}")
    monkeypatch.setattr(limits, "FAST_PATH_MAX_BYTES", 0)       # streamed, as a big file is
    monkeypatch.setattr(stream, "SPARSE_EVENT_BYTES", 1000)
    copied: list[int] = []
    real = stream.orjson.loads

    def loads(data):
        copied.append(len(data))
        return real(data)

    monkeypatch.setattr(stream.orjson, "loads", loads)
    ts = load_traces(f, use_cache=False)
    assert ts.user("u").indices == (0, 1) and ts.user("u").event(1)["context"] == {"caption": "v1"}
    assert ts.warnings == [] and max(copied[1:]) < 1000     # only the events themselves were parsed


@pytest.fixture
def by_users(monkeypatch):
    """Make every JSON file of 2+ users take the slice-of-users path that files of very many users take."""
    monkeypatch.setattr(limits, "MANY_USERS", 2)
    monkeypatch.setattr(limits, "USERS_PER_SLICE", 2)


@pytest.mark.parametrize("use_cache", [True, False])
@pytest.mark.parametrize("name", ["quirks_en.json", "bad_types.json"])
def test_many_users_are_read_a_slice_at_a_time_with_the_same_result(name, use_cache, monkeypatch):
    from polars.testing import assert_frame_equal

    from workbench.traces import whole

    fix = Path(__file__).resolve().parents[1] / "fixtures" / name
    one = load_traces(fix, use_cache=False)
    monkeypatch.setattr(limits, "MANY_USERS", 2)
    monkeypatch.setattr(limits, "USERS_PER_SLICE", 2)
    used = []
    real = whole._read_by_users
    monkeypatch.setattr(whole, "_read_by_users", lambda *a: used.append(real(*a)) or used[-1])
    passes: list[str] = []

    def counted(name_: str):
        real_pass = getattr(whole, name_)
        return lambda *a: passes.append(name_) or real_pass(*a)

    for name_ in ("_one_pass", "_two_passes"):   # without a cache to write, each slice is parsed once
        monkeypatch.setattr(whole, name_, counted(name_))
    sliced = load_traces(fix, use_cache=use_cache)              # with the cache: no whole parse first
    assert used == [True] and passes == ["_one_pass"]           # each slice parsed once
    assert_frame_equal(sliced.users, one.users)
    for u in one.user_ids():
        assert_frame_equal(sliced.user_events(u), one.user_events(u))
    assert [str(w) for w in sliced.warnings] == [str(w) for w in one.warnings]


def test_many_users_with_a_duplicate_key_take_the_whole_document_path(tmp_path, by_users):
    from workbench.traces import whole

    body = ",".join(f'"u{i}": {{"action_history": [{json.dumps(_ev(i))}]}}' for i in range(5))
    f = tmp_path / "dup.json"
    f.write_text("{" + body + f', "u1": {{"action_history": [{json.dumps(_ev(7))}, {json.dumps(_ev(8))}]}}}}')
    state = importer.ImportState(IssueLog(), None)
    assert not whole._read_by_users("f", f.read_bytes(), state)
    assert state.fresh                        # the users of the slices read before it are forgotten
    ts = load_traces(f, use_cache=False)
    assert len(ts.user("u1")) == 2 and any(w.expected == "unique user ids" for w in ts.warnings)


@pytest.mark.parametrize("use_cache", [False, True])
@pytest.mark.parametrize("late", ["bad json", "long profile, then bad json", "long profile"])
def test_a_slice_that_fails_after_others_were_read_gives_the_whole_document_result(tmp_path, monkeypatch, late,
                                                                                    use_cache):
    """Read once, a slice that does not parse (or a profile too long) after slices already built:
    the state is emptied (or, rows having gone to the cache, the import starts again with a new
    one) and the file read as the two-pass path and the whole document read it."""
    from workbench.traces import build, sink, whole

    monkeypatch.setattr(build, "MAX_PROFILE_CHARS", 50)
    users = [f'"u{i}": {{"user_profile": "p", "action_history": [{json.dumps(_ev(i))}]}}' for i in range(7)]
    users[1] = '"u1": {"user_profile": "p", "action_history": [{"type": 5, "timestamp": "x", "action": []}]}'
    if "long" in late:
        users[4] = f'"u4": {{"user_profile": "{"p" * 60}", "action_history": []}}'
    if "bad" in late:
        users[6] = '"u6": {"user_profile": "p", "action_history": [tru]}'
    f = tmp_path / "late.json"
    f.write_text("{" + ", ".join(users) + "}", encoding="utf-8")

    def outcome(cache_dir: str):
        monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path / cache_dir))
        try:
            ts = load_traces(f, use_cache=use_cache)
        except TraceError as exc:
            return ("error", str(exc))
        rows = [ts.user_events(u).drop("ts_date_only").rows() for u in ts.user_ids()]
        return ("read", ts.user_ids(), rows, [str(w) for w in ts.warnings if w.field != "cache"])

    monkeypatch.setattr(limits, "BATCH_EVENTS", 1)          # rows go to the cache before the failure
    whole_document = outcome("a")
    monkeypatch.setattr(limits, "MANY_USERS", 2)
    monkeypatch.setattr(limits, "USERS_PER_SLICE", 2)
    aborted: list[int] = []
    real_abort = sink.CanonicalSink.abort
    monkeypatch.setattr(sink.CanonicalSink, "abort", lambda self: aborted.append(self.rows) or real_abort(self))
    passes: list[str] = []
    for name_ in ("_one_pass", "_two_passes"):
        real_pass = getattr(whole, name_)
        monkeypatch.setattr(whole, name_, lambda *a, r=real_pass, n=name_: passes.append(n) or r(*a))
    assert outcome("b") == whole_document
    assert passes == ["_one_pass", "_two_passes"]
    if use_cache:
        assert aborted and aborted[0] > 0          # the first sink had rows; it was dropped
    if late == "long profile":
        assert whole_document[0] == "error" and "u4" in whole_document[1]
