"""The cache written while importing: only the columns without payload stay in memory, the Parquet
file equals the in-memory import, a failed write or a cancel loses nothing and leaves no file."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from workbench import paths
from workbench.tasks import Cancelled, TaskState
from workbench.traces import limits, load_traces, schema, sink

FIX = Path(__file__).resolve().parents[1] / "fixtures"


def _leftovers() -> list[Path]:
    return list((paths.cache_dir() / "traces").glob(".import-*"))


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "users"
    shutil.copytree(FIX / "folder", folder)
    shutil.copy(FIX / "quirks_en.json", folder / "user_many.json")  # three more users
    return folder


def test_cold_import_keeps_no_payload_and_its_cache_equals_the_in_memory_import(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "BATCH_EVENTS", 4)  # many frames, so many writes
    monkeypatch.setattr(limits, "ROW_GROUP", 3)
    folder = _folder(tmp_path)
    plain = load_traces(folder, use_cache=False)
    cold = load_traces(folder)
    assert cold.parquet is not None and cold.parquet.exists() and not _leftovers()
    assert not any(c in cold.events.columns for c in schema.PAYLOAD_COLUMNS)
    assert_frame_equal(cold.events, plain.events.drop(list(schema.PAYLOAD_COLUMNS)))
    assert_frame_equal(cold.with_payload(), plain.with_payload())
    assert_frame_equal(cold.users, plain.users)
    for uid in plain.user_ids():
        assert_frame_equal(cold.user_events(uid), plain.user_events(uid))
        assert cold.raw_events(uid) == plain.raw_events(uid)
    meta = pl.read_parquet_metadata(cold.parquet)
    assert meta["workbench.schema"] and "user_many.json" in meta["workbench.users"]
    cached = load_traces(folder)
    assert cached.parquet == cold.parquet
    assert_frame_equal(cached.events, cold.events)
    assert [w.to_dict() for w in cached.warnings] == [w.to_dict() for w in plain.warnings]


def test_failed_cache_write_keeps_every_event_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "BATCH_EVENTS", 4)
    folder = _folder(tmp_path)
    plain = load_traces(folder, use_cache=False)

    def full_disk(self, frame):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sink.CanonicalSink, "_write", full_disk)
    ts = load_traces(folder)
    assert any("could not write the cache" in w.message and "No space left" in w.message for w in ts.warnings)
    assert ts.parquet is None and not _leftovers()
    assert not list((paths.cache_dir() / "traces").glob("*.parquet"))
    assert_frame_equal(ts.with_payload(), plain.with_payload())
    assert ts.raw_events("user_0001") == plain.raw_events("user_0001")


def test_cancelled_import_leaves_no_cache_file(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "BATCH_EVENTS", 4)
    folder = _folder(tmp_path)
    task = TaskState(lambda done, total, text: task.cancel() if "user_0002" in text else None)
    with pytest.raises(Cancelled):
        load_traces(folder, task=task)
    assert not _leftovers() and not list((paths.cache_dir() / "traces").glob("*.parquet"))


def test_folder_open_reports_its_files_before_hashing_or_reading_any(tmp_path, monkeypatch):
    from workbench.traces import cache

    folder = _folder(tmp_path)
    seen: list[tuple[int, int, str]] = []
    real_hash = cache.content_hash

    def spy_hash(*args, **kwargs):
        seen.append((-1, -1, "hash started"))
        return real_hash(*args, **kwargs)

    monkeypatch.setattr(cache, "content_hash", spy_hash)
    load_traces(folder, task=TaskState(lambda d, t, s: seen.append((d, t, s))))
    assert seen[0] == (0, 3, "3 files")  # the window can show the bar at once
    texts = [s for _, _, s in seen]
    assert any(s.startswith("checking the cache: user_0001.json") for s in texts)
    assert any(s == "reading user_many.json (3 of 3)" for s in texts)
