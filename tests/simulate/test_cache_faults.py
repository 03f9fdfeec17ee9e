"""A response cache that cannot be opened, read or written (full disk, read-only folder, damaged
file) switches itself off with one message; asking goes on without it."""

from __future__ import annotations

import errno
import sqlite3

from workbench.simulate.cache import ResponseCache
from workbench.simulate.types import ModelSpec, Prediction

SPEC = ModelSpec("openai/m", api_base="http://127.0.0.1:9/v1")


def _pred(v: float = 1.0) -> Prediction:
    return Prediction(model="openai/m", field="f", predicted_value=v, predicted_label=1, raw_output="Yes",
                      parse_ok=True)


class _FailingConnection:
    """A sqlite connection whose every statement fails as a full disk makes it fail."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc
        self.closed = False

    def execute(self, *a, **k):
        raise self.exc

    def commit(self):
        raise self.exc

    def close(self):
        self.closed = True


def test_disk_full_while_writing_switches_the_cache_off_once(tmp_path):
    seen: list[str] = []
    cache = ResponseCache(tmp_path / "c.sqlite", on_problem=seen.append)
    cache.put(SPEC, "h1", "f", "binary", _pred())
    assert cache.get(SPEC, "h1", "f", "binary") is not None
    cache._conn = _FailingConnection(sqlite3.OperationalError("database or disk is full"))
    cache.put(SPEC, "h2", "f", "binary", _pred())          # no exception
    cache.put(SPEC, "h3", "f", "binary", _pred())
    assert cache.get(SPEC, "h1", "f", "binary") is None and not cache.usable
    assert len(seen) == 1 and "the disk is full" in seen[0] and "running without it" in seen[0]
    assert cache.problem == seen[0]


def test_no_space_at_all_when_opening(tmp_path, monkeypatch):
    def full(*a, **k):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(sqlite3, "connect", full)
    cache = ResponseCache(tmp_path / "c.sqlite")
    assert not cache.usable and "the disk is full" in (cache.problem or "")
    cache.put(SPEC, "h", "f", "binary", _pred())
    assert cache.get(SPEC, "h", "f", "binary") is None and cache.stats()["entries"] == 0
    cache.close()


def test_read_only_folder(tmp_path, monkeypatch):
    from pathlib import Path

    def read_only(self, *a, **k):
        raise OSError(errno.EROFS, "Read-only file system", str(self))

    monkeypatch.setattr(Path, "mkdir", read_only)
    cache = ResponseCache(tmp_path / "ro" / "c.sqlite")
    assert not cache.usable and "read-only" in (cache.problem or "")


def test_cache_folder_that_is_a_file(tmp_path):
    (tmp_path / "blocker").write_text("x")
    cache = ResponseCache(tmp_path / "blocker" / "c.sqlite")     # a real filesystem error, no patching
    assert not cache.usable and cache.problem
    assert cache.get(SPEC, "h", "f", "binary") is None


def test_damaged_cache_file(tmp_path):
    path = tmp_path / "c.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    cache = ResponseCache(path)
    assert not cache.usable and cache.problem and str(path) in cache.problem


def test_a_cache_folder_that_cannot_be_created_is_one_warning(tmp_path, monkeypatch):
    from workbench.simulate.cache import ResponseCache

    blocker = tmp_path / "afile"
    blocker.write_text("not a folder")
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(blocker / "x"))
    seen = []
    cache = ResponseCache(on_problem=seen.append)
    assert not cache.usable and len(seen) == 1 and "running without it" in seen[0]
