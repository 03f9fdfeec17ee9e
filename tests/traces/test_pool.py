"""A folder's files read by forked workers (traces/pool.py): the same table, users, warnings and
cache as reading them one after another, whatever the files hold; errors still name file, user,
event and field."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.traces.conftest import out_of_memory
from workbench import paths
from workbench.tasks import Cancelled, TaskState
from workbench.traces import TraceError, build, cache, limits, load_traces, pool, schema

FIX = Path(__file__).resolve().parents[1] / "fixtures"


def _messy_folder(tmp_path: Path) -> Path:
    """Per-user files with bad events, a user given twice (in two files), a file of a non-list
    history, an empty file, a file that is not JSON and a truncated one."""
    folder = tmp_path / "release"
    shutil.copytree(FIX / "folder", folder)
    users = json.loads((FIX / "quirks_en.json").read_text(encoding="utf-8"))
    events = users["user_0001"]["action_history"]
    bad = [{"type": "Video Browsing", "timestamp": "2025-13-45 99:00:00", "context": [], "action": {"type": "watch"}},
           "not an event", {"type": "Ufo Watching", "timestamp": 17, "action": []},
           {"type": 5, "timestamp": "2025-10-01", "context": "ctx", "action": 3}]
    (folder / "a_bad.json").write_text(json.dumps({"u_bad": {"user_profile": 7, "action_history": events + bad}}),
                                       encoding="utf-8")
    (folder / "b_twice.json").write_text(json.dumps({"u_bad": users["user_0002"]}), encoding="utf-8")
    (folder / "c_nolist.json").write_text(json.dumps({"u_nolist": {"action_history": {"x": 1}}}), encoding="utf-8")
    (folder / "d_empty.json").write_bytes(b"")
    (folder / "e_text.json").write_text("hello", encoding="utf-8")
    (folder / "f_cut.json").write_text(json.dumps({"u_cut": users["user_0001"]})[:-300], encoding="utf-8")
    (folder / "g_many.json").write_text(json.dumps({f"u_{k}": users["user_0001"] for k in range(5)}),
                                        encoding="utf-8")
    return folder


def _spy_workers(monkeypatch) -> Path:
    """Make every folder go to the workers; returns a file each worker appends its pid to."""
    monkeypatch.setattr(limits, "PARALLEL_MIN_BYTES", 0)
    marker = paths.cache_dir() / "pool-pids"
    real = pool.read_file

    def spy(f, want_digest, _real=real):
        with open(marker, "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()}\n")
        return _real(f, want_digest)

    monkeypatch.setattr(pool, "read_file", spy)
    return marker


def _one_by_one(folder: Path, monkeypatch, **kw):
    """The folder read one file after another in this process (only this read: the test's own
    patches and the suite's isolation of folders and network stay in force)."""
    with monkeypatch.context() as m:
        m.setattr(limits, "PARALLEL_MIN_BYTES", 1 << 40)
        return load_traces(folder, use_cache=False, **kw)


def _worker_pids(marker: Path) -> set[int]:
    pids = {int(p) for p in marker.read_text().split()}
    assert os.getpid() not in pids
    return pids


def _same(a, b) -> None:
    assert_frame_equal(a.events, b.events)
    assert_frame_equal(a.users, b.users)
    assert sorted(map(str, a.warnings)) == sorted(map(str, b.warnings))


def test_workers_give_the_same_table_users_and_warnings(tmp_path, monkeypatch):
    folder = _messy_folder(tmp_path)
    one = _one_by_one(folder, monkeypatch)
    marker = _spy_workers(monkeypatch)
    told: list[tuple[list[str], int]] = []
    two = load_traces(folder, use_cache=False,
                      on_users=lambda users, events: told.append((users["user_id"].to_list(), events.height)))
    assert len(_worker_pids(marker)) >= 1
    _same(two, one)
    where = {(w.file.rsplit("/", 1)[-1], w.user_id, w.event_index, w.field) for w in two.warnings}
    n = 18
    assert {("a_bad.json", "u_bad", None, "user_profile"), ("a_bad.json", "u_bad", n, "timestamp"),
            ("a_bad.json", "u_bad", n, "context"), ("a_bad.json", "u_bad", n + 1, ""),
            ("a_bad.json", "u_bad", n + 2, "type"), ("a_bad.json", "u_bad", n + 3, "action"),
            ("b_twice.json", "u_bad", None, ""), ("c_nolist.json", "u_nolist", None, "action_history"),
            ("d_empty.json", None, None, None), ("e_text.json", None, None, None)} <= where
    assert any(w.file.endswith("f_cut.json") for w in two.warnings)
    # every user was told of as its file was read (u_bad twice: its later copy is then skipped)
    told_ids = [u for ids, _ in told for u in ids]
    assert set(two.user_ids()) <= set(told_ids) and told_ids.count("u_bad") == 2
    raw = json.loads((FIX / "quirks_en.json").read_text(encoding="utf-8"))["user_0001"]["action_history"]
    assert two.raw_events("u_0") == raw


def test_a_big_file_coming_up_is_handed_out_before_the_small_ones_in_front_of_it(monkeypatch):
    monkeypatch.setattr(limits, "POOL_BIG_FILE_BYTES", 100)
    monkeypatch.setattr(limits, "POOL_BIG_LOOKAHEAD_BYTES", 50)
    p = pool._Pool.__new__(pool._Pool)  # the choice alone, no workers
    p.sizes = [10, 20, 10, 500, 20, 900, 10]
    p.todo = list(range(7))
    assert p._pick() == 3  # within 50 bytes of files: 10 + 20 + 10 lie before it
    p.todo = [0, 1, 2, 4, 5, 6]
    assert p._pick() == 0  # 60 bytes of files lie before the next big one: the files in order
    p.todo = [4, 5, 6]
    assert p._pick() == 5 and not p.handed_out(4) and p.handed_out(3)


def test_big_files_handed_out_early_give_the_same_table_users_warnings_and_cache(tmp_path, monkeypatch):
    folder = _messy_folder(tmp_path)
    one = _one_by_one(folder, monkeypatch)
    _spy_workers(monkeypatch)
    monkeypatch.setattr(limits, "POOL_BIG_FILE_BYTES", 1)  # always the biggest file within reach
    monkeypatch.setattr(limits, "BATCH_EVENTS", 4)
    cold = load_traces(folder)
    assert_frame_equal(cold.events, one.events.drop(list(schema.PAYLOAD_COLUMNS)))
    assert_frame_equal(cold.with_payload(), one.with_payload())
    assert_frame_equal(cold.users, one.users)
    assert sorted(map(str, cold.warnings)) == sorted(map(str, one.warnings))


def test_a_failing_worker_leaves_its_files_to_this_process(tmp_path, monkeypatch, in_workers):
    folder = _messy_folder(tmp_path)
    one = _one_by_one(folder, monkeypatch)
    marker = _spy_workers(monkeypatch)
    in_workers(build.EventBuilder, "add_list", out_of_memory)
    two = load_traces(folder, use_cache=False)
    assert _worker_pids(marker)
    _same(two, one)


def test_a_worker_that_dies_is_replaced_by_this_process(tmp_path, monkeypatch, in_workers):
    folder = _messy_folder(tmp_path)
    one = _one_by_one(folder, monkeypatch)
    _spy_workers(monkeypatch)
    in_workers(build.EventBuilder, "add_list", lambda: os._exit(3))
    _same(load_traces(folder, use_cache=False), one)


def test_an_event_too_big_in_a_workers_file_ends_the_import_naming_it(tmp_path, monkeypatch):
    folder = _messy_folder(tmp_path)
    monkeypatch.setattr(build, "MAX_EVENT_BYTES", 50_000)
    users = json.loads((FIX / "quirks_en.json").read_text(encoding="utf-8"))
    history = users["user_0001"]["action_history"]
    history[5] = {"type": "Video Browsing", "timestamp": "2025-10-01 10:00:00", "context": {"ocr": "x" * 60_000},
                  "action": []}
    (folder / "z_big.json").write_text(json.dumps({"u_big": users["user_0001"]}), encoding="utf-8")
    with pytest.raises(TraceError) as seq:
        _one_by_one(folder, monkeypatch)
    monkeypatch.setattr(build, "MAX_EVENT_BYTES", 50_000)
    marker = _spy_workers(monkeypatch)
    with pytest.raises(TraceError) as err:
        load_traces(folder, use_cache=False)
    assert _worker_pids(marker)
    issue = err.value.issue
    assert (issue.file, issue.user_id, issue.event_index, issue.field) == (
        str(folder / "z_big.json"), "u_big", 5, "context/action")
    assert issue == seq.value.issue


def test_cache_written_by_the_workers_equals_the_plain_import_and_is_found_again(tmp_path, monkeypatch):
    folder = _messy_folder(tmp_path)
    monkeypatch.setattr(limits, "BATCH_EVENTS", 4)
    plain = _one_by_one(folder, monkeypatch)
    monkeypatch.setattr(limits, "BATCH_EVENTS", 4)
    marker = _spy_workers(monkeypatch)
    cold = load_traces(folder)
    assert _worker_pids(marker) and cold.parquet is not None
    assert_frame_equal(cold.with_payload(), plain.with_payload())
    assert_frame_equal(cold.users, plain.users)
    # the workers hashed the files beside the parse: the entry is the one content_hash names
    files = sorted(p for p in folder.iterdir() if p.suffix == ".json")
    assert cold.parquet == cache.parquet_path(cache.content_hash(folder, files))
    marker.unlink()
    os.utime(folder / "a_bad.json")  # a new signature, the same content: found by its hash, not imported
    again = load_traces(folder)
    assert not marker.exists() and again.parquet == cold.parquet
    assert_frame_equal(again.events, plain.events.drop(list(schema.PAYLOAD_COLUMNS)))
    for uid in plain.user_ids():
        assert again.raw_events(uid) == plain.raw_events(uid)


def test_cancel_stops_the_workers_and_leaves_no_cache_file(tmp_path, monkeypatch):
    folder = _messy_folder(tmp_path)
    _spy_workers(monkeypatch)
    seen: list[str] = []

    def progress(done, total, text, task_ref=[]):  # noqa: B006 - the task, set below
        seen.append(text)
        if text.startswith("read ") and len(seen) > 2:
            task_ref[0].cancel()

    task = TaskState(progress)
    progress.__defaults__[0].append(task)  # type: ignore[index]
    with pytest.raises(Cancelled):
        load_traces(folder, task=task)
    assert not list((paths.cache_dir() / "traces").glob(".import-*"))
    assert not [c for c in __import__("multiprocessing").active_children() if c.name == "trace-folder-worker"]


def test_small_folders_and_single_files_do_not_start_workers(tmp_path):
    assert not pool.usable([FIX / "quirks_en.json"])
    assert not pool.usable(sorted((FIX / "folder").glob("*.json")))  # a few KB: not worth two processes
    assert pl.DataFrame is not None
