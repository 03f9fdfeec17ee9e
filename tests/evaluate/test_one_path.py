"""The batch runner asks through the same per-event path as the Predict panel and ``workbench
predict`` (``simulate.runner.run_event``), and writes one typed row per question and model."""

from __future__ import annotations

import asyncio
import dataclasses

from tests.evaluate.test_batch import answer
from tests.evaluate.test_sampling import _big_user
from workbench.devserver import DevServer
from workbench.evaluate import sampling as S
from workbench.evaluate.batch import run_batch
from workbench.evaluate.rows import PredictionRow, read_rows
from workbench.simulate import runner
from workbench.simulate.baselines import BaselineStats
from workbench.simulate.cache import ResponseCache
from workbench.simulate.types import ModelSpec


def test_every_batch_event_goes_through_run_event(tmp_path, monkeypatch):
    """Every event of a batch with a language model is asked through run_event (a batch of offline
    baselines only gives the same rows from the same baseline functions user by user:
    tests/evaluate/test_batch_offline.py compares the two)."""
    users = [_big_user(f"user_{i:03d}", 30, seed=i) for i in range(1, 3)]
    sample = S.sample_events(users, test_length=3)
    calls = []
    real = runner.run_event

    async def counting(*a, **k):
        calls.append(a[2])
        return await real(*a, **k)

    monkeypatch.setattr(runner, "run_event", counting)
    with DevServer(script=answer) as srv:
        specs = [ModelSpec("openai/dev-model", api_base=srv.base_url), ModelSpec("baseline:user")]
        res = asyncio.run(run_batch(users, sample, specs, out_dir=tmp_path, use_cache=False, biases=False))
    assert len(calls) == res.report["run"]["events"] == len(sample.events) > 0


def test_batch_rows_are_what_run_event_answers(tmp_path):
    """The same event asked by run_event directly and by the batch gives the same predictions."""
    users = [_big_user("user_001", 30, seed=1)]
    sample = S.sample_events(users, test_length=2)
    with DevServer(script=answer) as srv:
        specs = [ModelSpec("openai/dev-model", api_base=srv.base_url), ModelSpec("baseline:user")]
        res = asyncio.run(run_batch(users, sample, specs, out_dir=tmp_path / "o", use_cache=False,
                                    biases=False))
        u = users[0]
        for e in sample.events:
            direct = asyncio.run(runner.run_event(u.profile, list(enumerate(u.events)), e.event_index,
                                                  specs, history_indices=e.history_indices,
                                                  baselines=BaselineStats()))
            for m, preds in direct.predictions.items():
                got = {r["field"]: r for r in res.rows
                       if r["model"] == m and r["event_index"] == e.event_index}
                assert set(got) == {p.field for p in preds}
                for p in preds:
                    r = got[p.field]
                    assert (r["predicted_value"], r["predicted_label"], r["parse_ok"], r["raw_output"]) == \
                        (p.predicted_value, p.predicted_label, p.parse_ok, p.raw_output)


def test_rows_are_typed_and_in_a_fixed_key_order(tmp_path):
    users = [_big_user("user_001", 30, seed=1)]
    sample = S.sample_events(users, test_length=3)
    asyncio.run(run_batch(users, sample, [ModelSpec("baseline:user")], out_dir=tmp_path,
                          cache=ResponseCache(tmp_path / "c.sqlite"), biases=False))
    rows = read_rows(tmp_path / "predictions.jsonl")
    optional = ("warnings", "error_kind", "server")      # server: only on runs over several servers
    names = [f.name for f in dataclasses.fields(PredictionRow) if f.name not in optional]
    assert rows and all([k for k in r if k not in optional] == names for r in rows)
    assert all(("error_kind" in r) == (not r["parse_ok"]) for r in rows)
    back = PredictionRow(**rows[0])
    assert back.to_dict() == rows[0] and back.key == ("baseline:user", "user_001", rows[0]["event_index"],
                                                     rows[0]["field"])
    assert dataclasses.is_dataclass(back) and PredictionRow.__dataclass_params__.frozen
