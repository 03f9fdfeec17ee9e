"""The spend cap of a batch run, through litellm's real path to the loopback dev server with a price
registered for a test model: no new request at the cap, the finished answers kept, a rerun with a
higher cap resumes from the cache; unknown prices are counted and said; the CLI warns at 80% and
exits 1 when it stopped at the cap."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.evaluate.test_batch import answer
from tests.evaluate.test_sampling import _big_user
from workbench.devserver import DevServer
from workbench.evaluate import sampling as S
from workbench.evaluate.batch import read_rows, run_batch
from workbench.simulate.cache import ResponseCache
from workbench.simulate.spend import SpendCapError, SpendGate
from workbench.simulate.types import ModelSpec, Prediction

PRICED = "openai/priced-batch-test"


@pytest.fixture
def users():
    return [_big_user(f"user_{i:03d}", 40, seed=i) for i in range(1, 4)]


@pytest.fixture
def priced():
    import litellm

    from workbench.simulate.providers import token_prices

    litellm.register_model({PRICED: {"input_cost_per_token": 1e-5, "output_cost_per_token": 1e-5,
                                     "litellm_provider": "openai", "mode": "chat"}})
    token_prices.cache_clear()
    yield PRICED
    token_prices.cache_clear()


def _pred(cost, **kw):
    return Prediction("m", "f", 1.0, 1, "Yes", True, cost=cost, prompt_tokens=10, **kw)


def test_gate_refuses_at_the_cap_and_counts_unknown_prices():
    async def go():
        gate = SpendGate(2, max_cost=0.01)
        async with gate:
            pass
        gate.add(_pred(0.006))
        gate.add(_pred(None))                      # a real call, price unknown
        gate.add(_pred(None, cached=True))         # cached: neither cost nor unknown
        gate.add(Prediction("baseline:user", "f", 1.0, 1, "", True, prediction_method="baseline"))
        assert gate.warn is False and gate.reached is False and gate.unknown_calls == 1
        gate.add(_pred(0.0025))
        assert gate.warn and not gate.reached
        gate.add(_pred(0.002))
        assert gate.reached and gate.stop_reason() == "spend cap reached at $0.0105 (cap $0.0100)"
        with pytest.raises(SpendCapError):
            async with gate:
                raise AssertionError("must not start")
        assert gate.refused == 1

    asyncio.run(go())
    with pytest.raises(ValueError, match="more than"):
        SpendGate(1, max_cost=0)


def test_cap_stops_new_requests_keeps_the_answers_and_a_higher_cap_resumes(tmp_path, users, priced):
    sample = S.sample_events(users, test_length=6)
    cache = ResponseCache(tmp_path / "c.sqlite")
    out = tmp_path / "run"
    with DevServer(script=answer, latency=0.01) as srv:
        spec = ModelSpec(priced, api_base=srv.base_url)
        seen = []
        first = asyncio.run(run_batch(users, sample, [spec], out_dir=out, concurrency=2, cache=cache,
                                      biases=False, max_cost=0.02, on_progress=seen.append))
        asked_first = len(srv.completion_requests())
        run = first.report["run"]
        total = run["questions"]
        # each call costs about (prompt + answer tokens) x 1e-5: a few hundred tokens, so the cap
        # of $0.02 is reached after some calls and far before all of them
        assert run["stopped"].startswith("spend cap reached at $") and "(cap $0.0200)" in run["stopped"]
        assert 0 < asked_first < total and run["unanswered"] == total - len(first.rows) > 0
        assert run["cost"] >= 0.02 and run["unknown_cost_calls"] == 0
        # at most the calls in flight when the cap was reached (concurrency 2) go past it
        per_call = max(r["cost"] for r in first.rows)
        assert run["cost"] < 0.02 + 2 * per_call
        assert [f["kind"] for f in run["failures"]] == ["not_asked"]
        # what finished is kept on disk, and every request that was sent has its row
        kept = read_rows(out / "predictions.jsonl")
        assert len(kept) == len(first.rows) == asked_first and all(r["parse_ok"] for r in kept)
        assert any(p.max_cost == 0.02 and "of $0.0200" in p.line() for p in seen)
        assert seen[-1].stopped.startswith("spend cap reached")

        again = asyncio.run(run_batch(users, sample, [spec], out_dir=out, concurrency=2, cache=cache,
                                      biases=False, max_cost=100.0))
        new_requests = len(srv.completion_requests()) - asked_first
    run2 = again.report["run"]
    assert run2["stopped"] == "" and run2["unanswered"] == 0 and run2["failed"] == 0
    # the finished answers were kept from the file; only the rest was asked
    assert run2["resumed"] == asked_first and new_requests == total - asked_first
    rows = read_rows(out / "predictions.jsonl")
    assert len(rows) == total == len({(r["user_id"], r["event_index"], r["field"]) for r in rows})
    cache.close()


def test_unknown_prices_are_counted_not_silently_zero(tmp_path, users):
    sample = S.sample_events(users, user_ids=["user_001"], test_length=2)
    with DevServer(script=answer) as srv:
        spec = ModelSpec("openai/no-price-known-batch", api_base=srv.base_url)
        seen = []
        res = asyncio.run(run_batch(users, sample, [spec], out_dir=tmp_path, use_cache=False, biases=False,
                                    max_cost=0.01, on_progress=seen.append))
        asked = len(srv.completion_requests())
    run = res.report["run"]
    assert run["cost"] == 0.0 and run["unknown_cost_calls"] == asked > 0
    assert run["stopped"] == ""           # nothing was known to cost anything: the cap never binds
    assert "calls at unknown price, counted as $0" in seen[-1].line()


def test_cli_warns_at_80_percent_stops_at_the_cap_and_resumes(tmp_path, capsys, users, priced):
    from workbench.cli import main

    data = {u.user_id: {"user_profile": u.profile, "action_history": u.events} for u in users}
    path = tmp_path / "traces.json"
    path.write_text(json.dumps(data, ensure_ascii=False))
    args = ["eval", str(path), "--model", priced, "--n-per-user", "3", "--out", str(tmp_path / "o"),
            "--concurrency", "1", "--no-biases"]
    with DevServer(script=answer) as srv:
        rc = main([*args, "--api-base", srv.base_url, "--max-cost", "0.02"])
        err = capsys.readouterr().err
        assert rc == 1
        assert "warning: the run has spent $" in err and "80% or more of --max-cost $0.0200" in err
        assert "stopped: spend cap reached at $" in err and "higher --max-cost to ask them" in err
        first = len(srv.completion_requests())
        assert main([*args, "--api-base", srv.base_url, "--max-cost", "0"]) == 2
        rc = main([*args, "--api-base", srv.base_url, "--max-cost", "50"])
        err = capsys.readouterr().err
        total = json.loads((tmp_path / "o" / "report.json").read_text())["run"]["questions"]
        assert len(srv.completion_requests()) == total   # each question asked once over both runs
    assert rc == 0 and "stopped" not in err and f"{first} kept from the earlier run" in err


def test_eval_panel_field_shows_the_running_cost_the_warning_and_the_stop(qtbot, qapp, qasync_loop,
                                                                         tmp_path, users, priced):
    from workbench.app.eval_panel import EvaluationPanel
    from workbench.app.state import AppState

    panel = EvaluationPanel(AppState())
    qtbot.addWidget(panel)
    assert panel.max_cost() is None and panel.max_cost_spin.text() == "no cap"
    panel.max_cost_spin.setValue(0.02)
    assert panel.max_cost() == pytest.approx(0.02)
    sample = S.sample_events(users, test_length=6)
    texts: list[str] = []
    panel.progress_changed.connect(lambda _d, _t, text: texts.append(text))
    with DevServer(script=answer) as srv:
        task = panel.start(specs=[ModelSpec(priced, api_base=srv.base_url)], users=users, sample=sample,
                           out_dir=tmp_path / "o", cache=ResponseCache(tmp_path / "c.sqlite"))
        warned = []

        async def watch() -> None:
            while not task.done():
                if panel.status.text().startswith("Warning: the run has spent"):
                    warned.append(panel.status.text())
                await asyncio.sleep(0.001)

        qasync_loop.run_until_complete(asyncio.gather(task, watch()))
        asked = len(srv.completion_requests())
    assert any("of $0.0200" in t for t in texts)
    assert warned and "of its $0.02 cap" in warned[0]
    assert "Stopped: spend cap reached at $" in panel.status.text()
    assert 0 < asked < panel.report["run"]["questions"]
