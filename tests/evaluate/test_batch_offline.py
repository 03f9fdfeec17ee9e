"""A batch of offline baselines only (answered user by user, evaluate.batch_offline) writes exactly
the rows and report the plain path writes (every event through run_event, histories rebuilt per
target), on real-format data and on histories the rolling statistics cannot simply extend."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
from pathlib import Path

import pytest

from tests.evaluate.test_sampling import _big_user
from workbench.demo.prebuilt import prebuilt_path
from workbench.evaluate import batch
from workbench.evaluate import sampling as S
from workbench.simulate.types import ModelSpec
from workbench.traces import load_traces

BOTH = [ModelSpec("baseline:user"), ModelSpec("baseline:population")]


def _run(users, sample, out: Path, *, plain: bool, monkeypatch, specs=BOTH, resume=False):
    with monkeypatch.context() as m:
        if plain:
            m.setattr(batch, "offline_only", lambda specs, memory: False)
        return asyncio.run(batch.run_batch(users, sample, specs, out_dir=out, use_cache=False,
                                           resume=resume))


def _outputs(out: Path) -> tuple[list[str], dict]:
    rows = sorted((out / "predictions.jsonl").read_text(encoding="utf-8").splitlines())
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    report["run"]["seconds"] = None
    return rows, report


def test_offline_path_is_used_and_matches_the_plain_path_on_the_demo(tmp_path, monkeypatch):
    ts = load_traces(prebuilt_path())
    users = S.users_from_traceset(ts)
    sample = S.sample_events(users, test_length=12)
    calls = []
    real = batch.prepare_offline

    async def counting(*a, **k):
        calls.append(1)
        return await real(*a, **k)

    monkeypatch.setattr(batch, "prepare_offline", counting)
    fast = _run(users, sample, tmp_path / "fast", plain=False, monkeypatch=monkeypatch)
    assert calls == [1]
    # the offline path kept no user's events decoded
    assert all(u.events._decoded is None for u in users)  # type: ignore[attr-defined]
    plain_users = S.users_from_traceset(ts)
    plain = _run(plain_users, sample, tmp_path / "plain", plain=True, monkeypatch=monkeypatch)
    assert calls == [1]
    rows, report = _outputs(tmp_path / "fast")
    assert len(rows) == fast.report["run"]["questions"] > 500
    assert any('"parse_ok": true' in r and '"model": "baseline:user"' in r for r in rows)
    assert (rows, report) == _outputs(tmp_path / "plain")
    assert [r["model"] for r in fast.rows] == [r["model"] for r in plain.rows]


def _same_kind_as_last(user, sampled) -> int:
    """The first target after the first whose last history event is of the target's kind."""
    kind = [e.get("type") for e in user.events]
    return next(k for k, e in enumerate(sampled) if k and kind[e.history_indices[-1]] == kind[e.event_index])


def test_offline_path_matches_the_plain_path_for_odd_histories(tmp_path, monkeypatch):
    """Targets asked in reverse, histories shuffled, repeated, holding the target or an index past
    the trace, a history that drops events, and no history window: the rolling statistics step
    aside wherever the history does not simply extend, and the rows stay the plain path's."""
    users = [_big_user(f"user_{i:03d}", 60, n_hist=5, seed=i) for i in range(1, 7)]
    sample = S.sample_events(users, test_length=6)
    rng = random.Random(3)
    odd = []
    for n, us in enumerate(sample.users):
        events = []
        for k, e in enumerate(us.sampled):
            hist = list(e.history_indices)
            if n == 0:
                rng.shuffle(hist)
            elif n == 1 and k % 2:
                hist = hist + [e.event_index]
            elif n == 2 and k == 3:
                hist = hist[:-4]
            elif n == 2 and k == 4:
                hist = hist + [10_000]
            elif n == 4 and k == _same_kind_as_last(users[4], us.sampled):
                hist = hist + hist[-1:]     # a repeat at the end of a history that extends the last one
            elif n == 4 and k == len(us.sampled) - 1:
                hist = hist + hist[-3:]
            elif n == 5 and k < 2:      # the next target in this history, then in the one before
                nxt = us.sampled[1].event_index
                hist = list(us.sampled[0].history_indices) + [nxt] + ([nxt + 1] if k else [])
            events.append(dataclasses.replace(e, history_indices=tuple(hist)))
        if n == 3:
            events.reverse()
        odd.append(dataclasses.replace(us, sampled=events))
    odd_sample = dataclasses.replace(sample, users=odd)
    _run(users, odd_sample, tmp_path / "fast", plain=False, monkeypatch=monkeypatch)
    _run(users, odd_sample, tmp_path / "plain", plain=True, monkeypatch=monkeypatch)
    assert _outputs(tmp_path / "fast") == _outputs(tmp_path / "plain")

    no_window = S.sample_events(users, test_length=5, history_window=None)
    _run(users, no_window, tmp_path / "fast2", plain=False, monkeypatch=monkeypatch)
    _run(users, no_window, tmp_path / "plain2", plain=True, monkeypatch=monkeypatch)
    assert _outputs(tmp_path / "fast2") == _outputs(tmp_path / "plain2")


@pytest.mark.parametrize("specs", [BOTH[:1], BOTH[1:]], ids=["user", "population"])
def test_offline_resume_and_single_baselines_match_the_plain_path(tmp_path, monkeypatch, specs):
    users = [_big_user(f"user_{i:03d}", 40, seed=i) for i in range(1, 4)]
    sample = S.sample_events(users, test_length=5)
    first = tmp_path / "first"
    _run(users, sample, first, plain=True, monkeypatch=monkeypatch, specs=specs)
    kept = (first / "predictions.jsonl").read_text(encoding="utf-8").splitlines()[::2]
    for name, plain in (("fast", False), ("plain", True)):
        out = tmp_path / name
        out.mkdir()
        (out / "predictions.jsonl").write_text("".join(r + "\n" for r in kept), encoding="utf-8")
        res = _run(users, sample, out, plain=plain, monkeypatch=monkeypatch, specs=specs, resume=True)
        # failed rows of the earlier run are asked again, answered ones kept
        assert res.report["run"]["resumed"] == sum('"parse_ok": true' in r for r in kept) > 0
    assert _outputs(tmp_path / "fast") == _outputs(tmp_path / "plain")


def test_the_prepare_phase_counts_users_not_questions(tmp_path, monkeypatch):
    ts = load_traces(prebuilt_path())
    users = S.users_from_traceset(ts)
    sample = S.sample_events(users, test_length=3)
    lines: list[str] = []
    asyncio.run(batch.run_batch(users, sample, BOTH, out_dir=tmp_path / "run", use_cache=False,
                                on_progress=lambda p: lines.append(p.line())))
    prepare = [x for x in lines if x.startswith("[prepare]")]
    assert prepare and all(f"/{len(sample.users)} users " in x for x in prepare)
    assert any(x.startswith("[predict]") and " questions " in x for x in lines)
