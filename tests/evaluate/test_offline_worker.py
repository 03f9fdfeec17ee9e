"""A baselines-only batch prepared by two processes (evaluate.offline_worker) writes exactly the rows
and report one process writes; a worker that cannot start, fails or dies leaves its users to this
process, and a cancelled batch stops it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from workbench.demo.prebuilt import prebuilt_path
from workbench.evaluate import batch, offline_worker
from workbench.evaluate import sampling as S
from workbench.simulate.types import ModelSpec
from workbench.traces import load_traces

BOTH = [ModelSpec("baseline:user"), ModelSpec("baseline:population")]


@pytest.fixture
def cached():
    """The demo's users read from the trace cache (the worker opens the same file)."""
    first = load_traces(prebuilt_path())
    assert first.wait_cache(60)
    ts = load_traces(prebuilt_path())
    assert ts.parquet is not None and not ts.has_payload
    users = S.users_from_traceset(ts)
    return users, S.sample_events(users, test_length=3)


def _outputs(out: Path) -> tuple[list[str], dict]:
    rows = sorted((out / "predictions.jsonl").read_text(encoding="utf-8").splitlines())
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    report["run"]["seconds"] = None
    return rows, report


def _run(users, sample, out: Path, **kw):
    return asyncio.run(batch.run_batch(users, sample, BOTH, out_dir=out, use_cache=False, **kw))


def _watch(monkeypatch, then=None) -> list:
    """Record every worker started (``then(helper)`` right after it starts)."""
    started: list = []
    real = offline_worker.start

    def watching(*a, **k):
        mine, helper = real(*a, **k)
        started.append((mine, helper))
        if helper is not None and then is not None:
            then(helper)
        return mine, helper

    monkeypatch.setattr(offline_worker, "start", watching)
    return started


def test_two_processes_give_what_one_gives(cached, tmp_path, monkeypatch):
    users, sample = cached
    _run(users, sample, tmp_path / "one")           # the demo is below MIN_EVENTS: one process
    monkeypatch.setattr(offline_worker, "MIN_EVENTS", 0)
    got: list = []
    started = _watch(monkeypatch)
    real_parts = offline_worker.Helper.parts

    def parts(self):
        got.append(real_parts(self))
        return got[-1]

    monkeypatch.setattr(offline_worker.Helper, "parts", parts)
    lines: list[str] = []
    _run(users, sample, tmp_path / "two", on_progress=lambda p: lines.append(p.line()))
    (mine, helper), = started
    assert helper is not None and 0 < mine < len(sample.users)
    assert got and got[0] is not None and len(got[0]) == len(sample.users) - mine   # the worker's own parts
    assert helper.proc.returncode == 0
    assert _outputs(tmp_path / "two") == _outputs(tmp_path / "one")
    assert f"[prepare] {len(sample.users)}/{len(sample.users)} users" in "\n".join(lines)


@pytest.mark.parametrize("how", ["no such cache file", "killed", "other events"])
def test_a_worker_that_fails_leaves_its_users_here(cached, tmp_path, monkeypatch, how):
    users, sample = cached
    _run(users, sample, tmp_path / "one")
    monkeypatch.setattr(offline_worker, "MIN_EVENTS", 0)
    if how == "no such cache file":
        monkeypatch.setattr(offline_worker, "cache_file", lambda by_id, ids: tmp_path / "gone.parquet")
    elif how == "other events":     # the cache file the worker opens holds other users' events
        other = load_traces(Path(__file__).resolve().parents[1] / "fixtures" / "quirks_en.json")
        assert other.wait_cache(60)
        other = load_traces(Path(__file__).resolve().parents[1] / "fixtures" / "quirks_en.json")
        monkeypatch.setattr(offline_worker, "cache_file", lambda by_id, ids: other.parquet)
    started = _watch(monkeypatch, then=(lambda h: h.proc.kill()) if how == "killed" else None)
    _run(users, sample, tmp_path / "two")
    (mine, helper), = started
    assert helper is not None and helper.parts() is None    # it gave no parts: they were made here
    assert _outputs(tmp_path / "two") == _outputs(tmp_path / "one")


def test_a_cancelled_batch_stops_the_worker(cached, tmp_path, monkeypatch):
    users, sample = cached
    monkeypatch.setattr(offline_worker, "MIN_EVENTS", 0)
    started = _watch(monkeypatch)
    with pytest.raises(asyncio.CancelledError):
        asyncio.run(offline_prepare(sample, users))
    (_, helper), = started
    assert helper is not None and helper.proc.returncode is not None   # stopped and waited for


async def offline_prepare(sample, users):
    from workbench.evaluate.batch_offline import prepare_offline

    calls = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) > 1       # after this process's first user

    return await prepare_offline(sample, {u.user_id: u for u in users}, BOTH, None, cancelled=cancelled)


def test_the_split_gives_the_worker_about_half_the_events(monkeypatch):
    monkeypatch.setattr(offline_worker, "MIN_EVENTS", 100)
    assert offline_worker.split([10, 10, 10, 10]) == 4            # too few events: one process
    assert offline_worker.split([50] * 8) == 4
    assert offline_worker.split([1000, 1, 1]) == 1                 # one user each at least
    assert offline_worker.split([1, 1, 1000]) == 2
    assert offline_worker.split([500]) == 1
    monkeypatch.setattr(offline_worker.sys, "frozen", True, raising=False)
    assert offline_worker.split([50] * 8) == 8                    # a frozen app starts no interpreter


def test_users_of_plain_lists_have_no_cache_file(cached):
    users, _ = cached
    assert offline_worker.cache_file({u.user_id: u for u in users}, [u.user_id for u in users]) is not None
    plain = [S.UserTrace(u.user_id, u.profile, list(u.events), u.source) for u in users[:2]]
    assert offline_worker.cache_file({u.user_id: u for u in plain}, [u.user_id for u in plain]) is None
