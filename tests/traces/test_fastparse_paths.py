"""Opening traces with msgspec's parse (workbench.traces.fastparse) gives the same table, users,
warnings and cache file, byte for byte, as orjson's alone: every trace fixture, a messy folder, the
demo data set and the benchmark's release shape at a small scale, by one process, by the folder's
workers and by the two processes of a big single file."""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
from pathlib import Path

import pytest
from polars.testing import assert_frame_equal

from tests.traces.test_pool import _messy_folder
from workbench.traces import TraceError, cache, fastparse, forked, limits, load_traces

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "tests" / "fixtures"


def _open(source: Path, fast: bool, monkeypatch) -> tuple:
    """``(TraceSet or the TraceError's issue, digest of the cache file)`` of a first open."""
    shutil.rmtree(cache.cache_root(), ignore_errors=True)
    monkeypatch.setattr(fastparse, "ENABLED", fast)
    try:
        ts = load_traces(source)
    except TraceError as exc:
        return exc.issue, ""
    ts.wait_cache()
    digest = hashlib.sha256(Path(ts.parquet).read_bytes()).hexdigest() if ts.parquet else ""
    return ts, digest


def _same_both_ways(source: Path, monkeypatch) -> None:
    old, old_digest = _open(source, False, monkeypatch)
    new, new_digest = _open(source, True, monkeypatch)
    assert new_digest == old_digest
    if not hasattr(old, "events"):
        assert new == old  # the same TraceIssue
        return
    assert_frame_equal(new.events, old.events)
    assert_frame_equal(new.with_payload(), old.with_payload())
    assert_frame_equal(new.users, old.users)
    assert [w.to_dict() for w in new.warnings] == [w.to_dict() for w in old.warnings]


def _spy(monkeypatch) -> list[bool]:
    """Whether each parse in this process (while msgspec's is on) was msgspec's."""
    taken: list[bool] = []
    real = fastparse.parse

    def spy(data, shape="document"):
        value = real(data, shape)
        if fastparse.ENABLED:
            taken.append(value is not None)
        return value

    monkeypatch.setattr(fastparse, "parse", spy)
    return taken


def _fixtures() -> list[Path]:
    return sorted(p for p in FIX.rglob("*") if p.suffix in (".json", ".jsonl") or p.name == "folder")


@pytest.mark.parametrize("name", [str(p.relative_to(FIX)) for p in _fixtures()])
def test_every_trace_fixture(name, monkeypatch) -> None:
    _same_both_ways(FIX / name, monkeypatch)


def test_a_messy_folder_by_the_workers(tmp_path, monkeypatch) -> None:
    folder = _messy_folder(tmp_path)
    monkeypatch.setattr(limits, "PARALLEL_MIN_BYTES", 0)  # every file to the folder's workers
    _same_both_ways(folder, monkeypatch)


def _tracegen():
    spec = importlib.util.spec_from_file_location("tracegen", ROOT / "bench" / "tracegen.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_release_shape_at_small_scale(tmp_path, monkeypatch) -> None:
    gen = _tracegen()
    folder = tmp_path / "release"
    folder.mkdir()
    for u, n in enumerate(gen.release_sizes(12, 3000, heavy=0, seed=3)):  # log-normal sizes, as released
        gen.write_traces(folder / f"user_{u + 1:04d}.json", n, 1, 3 + u, first_user=u + 1)
    taken = _spy(monkeypatch)
    _same_both_ways(folder, monkeypatch)  # in this process: the folder is small
    assert len(taken) == 12 and all(taken)  # msgspec parsed every file
    monkeypatch.setattr(limits, "PARALLEL_MIN_BYTES", 0)  # by the workers
    _same_both_ways(folder, monkeypatch)


def test_one_big_file_by_two_processes(tmp_path, monkeypatch) -> None:
    f = tmp_path / "many.json"
    _tracegen().write_traces(f, 4000, users=3, seed=5)
    monkeypatch.setattr(limits, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(limits, "PARALLEL_MIN_EVENTS", 10)
    taken = _spy(monkeypatch)
    _same_both_ways(f, monkeypatch)  # the worker parses the last user's tail, this process the rest
    assert taken and all(taken)  # here: the part before the cut, closed with a marker event
    # parsed here (msgspec) and built by two processes
    monkeypatch.setattr(forked, "read_split", lambda *args: False)
    _same_both_ways(f, monkeypatch)


def test_the_demo_data_set(tmp_path, monkeypatch) -> None:
    from workbench.demo.generator import generate

    generate(tmp_path / "demo", 0)
    _same_both_ways(tmp_path / "demo", monkeypatch)
