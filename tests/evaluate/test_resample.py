"""Resampling (``samples`` K): each question asked K times through litellm's real path to a loopback
server scripted to vary its answers; the cache keyed by sample (sample 0 keeps the one-sample key);
the report's answer distributions, flip rates and spreads; scores and compare on sample 0."""

from __future__ import annotations

import asyncio
import json
import threading
from collections import Counter

import pytest

from tests.evaluate.test_sampling import _big_user
from workbench.devserver import DevServer
from workbench.evaluate import sampling as S
from workbench.evaluate.batch import build_report, read_rows, run_batch
from workbench.evaluate.resample import answer_label, first_sample, resample_summary, spread
from workbench.simulate.cache import ResponseCache
from workbench.simulate.types import ModelSpec

MODEL = "openai/dev-model"


class NineInTen:
    """Yes to a Yes/No prompt except on every 10th time the same prompt is asked (the 3rd of each ten),
    15 s for durations, a reply that changes with every ask for text."""

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()
        self.lock = threading.Lock()

    def __call__(self, req):
        with self.lock:
            self.seen[req.prompt] += 1
            n = self.seen[req.prompt]
        if "只输出一个整数" in req.prompt:
            return "15"
        if "Yes 或 No" in req.prompt:
            return "No" if n % 10 == 3 else "Yes"
        return f"请问什么时候发货？第{n}次"


@pytest.fixture
def users():
    return [_big_user(f"user_{i:03d}", 40, seed=i) for i in range(1, 3)]


def test_spread_and_labels():
    assert spread([3.0, 1.0, 2.0, 10.0]) == {"min": 1.0, "median": 2.5, "max": 10.0, "samples": 4}
    assert spread([])["median"] is None
    assert answer_label({"parse_ok": True, "kind": "binary", "predicted_label": 1}) == "Yes"
    assert answer_label({"parse_ok": True, "kind": "binary", "predicted_label": 0}) == "No"
    assert answer_label({"parse_ok": True, "kind": "continuous", "predicted_value": 15.0}) == "15"
    assert answer_label({"parse_ok": False, "kind": "binary", "predicted_label": 1}) is None
    rows = [{"model": "m", "user_id": "u", "event_index": 1, "field": "f", "kind": "binary",
             "parse_ok": True, "predicted_label": int(s != 4), "sample": s} for s in range(10)]
    [q] = resample_summary(rows, biases=False)["questions"]
    assert q["answers"] == {"Yes": 9, "No": 1} and q["majority"] == "Yes" and q["majority_share"] == 0.9
    assert q["flipped"] and resample_summary(rows, biases=False)["flip_rate"]["m"]["f"] == \
        {"questions": 1, "flipped": 1, "rate": 1.0}


def test_ten_samples_distribution_flip_rate_spread_and_sample_zero_scores(tmp_path, users):
    sample = S.sample_events(users, test_length=3)
    cache = ResponseCache(tmp_path / "c.sqlite")
    script = NineInTen()
    with DevServer(script=script) as srv:
        spec = ModelSpec(MODEL, api_base=srv.base_url, temperature=0.9)
        one = asyncio.run(run_batch(users, sample, [spec, ModelSpec("baseline:user")], out_dir=tmp_path / "one",
                                    cache=cache, concurrency=4))
        n_questions = len([r for r in one.rows if r["model"] == MODEL])
        assert len(srv.completion_requests()) == n_questions and "resample" not in one.report
        res = asyncio.run(run_batch(users, sample, [spec, ModelSpec("baseline:user")], out_dir=tmp_path / "ten",
                                    cache=cache, concurrency=4, samples=10))
        # sample 0 keeps the one-sample cache key: only samples 1..9 were asked
        assert len(srv.completion_requests()) == n_questions * 10
        assert res.report["run"]["cached"] == n_questions
        again = asyncio.run(run_batch(users, sample, [spec], out_dir=tmp_path / "again", cache=cache,
                                      concurrency=4, samples=10, biases=False))
        assert len(srv.completion_requests()) == n_questions * 10     # all from the cache
        assert again.report["run"]["cached"] == n_questions * 10
    rows = read_rows(tmp_path / "ten" / "predictions.jsonl")
    llm = [r for r in rows if r["model"] == MODEL]
    assert len(llm) == n_questions * 10 and res.report["run"]["questions"] == n_questions * 11
    assert Counter(r["sample"] for r in llm) == {s: n_questions for s in range(10)}
    assert {r["sample"] for r in rows if r["model"] == "baseline:user"} == {0}   # baselines once
    rs = res.report["resample"]
    assert rs["samples"] == 10 and res.report["settings"]["samples"] == 10
    binary = [q for q in rs["questions"] if q["model"] == MODEL and q["kind"] == "binary"]
    assert binary and all(q["answers"] == {"Yes": 9, "No": 1} for q in binary)     # "Yes in 9 of 10"
    durations = [q for q in rs["questions"] if q["model"] == MODEL and q["kind"] == "continuous"]
    assert all(q["answers"] == {"15": 10} and not q["flipped"] for q in durations)
    flips = rs["flip_rate"][MODEL]
    assert all(flips[q["field"]]["rate"] == 1.0 for q in binary)
    assert all(flips[q["field"]]["rate"] == 0.0 for q in durations)
    assert "baseline:user" not in rs["flip_rate"]            # one answer per question: no flips
    # each sample's hyper-activity differs (the one No per question lands in different samples)
    gap = rs["bias_spread"][f"hyperactivity/mean_gap/{MODEL}"]
    assert gap["samples"] == 10 and gap["min"] < gap["median"] <= gap["max"]
    assert rs["score_spread"][MODEL]["Macro_F1"]["samples"] == 10
    # the scores are exactly those of sample 0 alone
    zero = build_report(first_sample(rows), biases=True,
                        events={(e.user_id, e.event_index): next(u for u in users if u.user_id == e.user_id)
                                .events[e.event_index] for e in sample.events})
    assert res.report["models"][MODEL]["binary_metrics"] == zero["models"][MODEL]["binary_metrics"]
    assert res.report["biases"]["hyperactivity"] == zero["biases"]["hyperactivity"]


def test_compare_reads_sample_zero(tmp_path, users):
    from workbench.evaluate.compare import compare_runs, load_run

    sample = S.sample_events(users, user_ids=["user_001"], test_length=2)
    with DevServer(script=NineInTen()) as srv:
        for name, k in (("a", 1), ("b", 4)):
            asyncio.run(run_batch(users, sample, [ModelSpec(MODEL, api_base=srv.base_url)],
                                  out_dir=tmp_path / name, use_cache=False, samples=k, biases=False))
    run = load_run(tmp_path / "b")
    assert run.samples == 4 and {r.get("sample") for r in run.rows} == {0}
    [cmp] = compare_runs([tmp_path / "a", tmp_path / "b"], reps=20)
    assert len(cmp.questions) == len(load_run(tmp_path / "a").rows)


def test_cli_samples(tmp_path, capsys, users):
    from workbench.cli import main

    data = {u.user_id: {"user_profile": u.profile, "action_history": u.events} for u in users}
    path = tmp_path / "traces.json"
    path.write_text(json.dumps(data, ensure_ascii=False))
    with DevServer(script=NineInTen()) as srv:
        args = ["eval", str(path), "--model", MODEL, "--api-base", srv.base_url, "--n-per-user", "1",
                "--out", str(tmp_path / "o"), "--no-biases", "--temperature", "1.0"]
        assert main([*args, "--samples", "0"]) == 2
        assert main([*args, "--samples", "3"]) == 0
    err = capsys.readouterr().err
    assert "3 samples per question (scores use sample 0); flip rate per field:" in err
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert report["resample"]["samples"] == 3
    rows = read_rows(tmp_path / "o" / "predictions.jsonl")
    assert sorted({r["sample"] for r in rows}) == [0, 1, 2]


def test_eval_panel_samples_field_and_the_cases_column(qtbot, qapp, qasync_loop, tmp_path, users):
    from workbench.app.eval_panel import EvaluationPanel
    from workbench.app.state import AppState

    panel = EvaluationPanel(AppState())
    qtbot.addWidget(panel)
    panel.samples_spin.setValue(10)
    panel.temperature_spin.setValue(0.8)
    panel.models_edit.setText(MODEL)
    sample = S.sample_events(users, user_ids=["user_001"], test_length=2)
    with DevServer(script=NineInTen()) as srv:
        panel.api_base_edit.setText(srv.base_url)
        specs = panel.specs()
        assert specs[0].temperature == pytest.approx(0.8)
        task = panel.start(specs=specs, users=users, sample=sample, out_dir=tmp_path / "o",
                           cache=ResponseCache(tmp_path / "c.sqlite"))
        qasync_loop.run_until_complete(task)
        asked = len(srv.completion_requests())
    assert panel.report["resample"]["samples"] == 10
    assert asked == 10 * len(panel.rows) and {r.get("sample") for r in panel.rows} == {0}
    assert "10 samples per question (scores use the first)" in panel.status.text()
    binary = [i for i, r in enumerate(panel.rows) if r["kind"] == "binary"]
    panel.cases_model.set_cases(panel.rows)
    col = panel.cases_model.HEADERS.index("Samples")
    text = panel.cases_model.data(panel.cases_model.index(binary[0], col))
    assert text == "Yes 9/10 · No 1/10"
