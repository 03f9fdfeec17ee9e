"""Batch runs through the real litellm path against the loopback dev server: outputs, report,
cancel + resume from the cache (only missing questions reach the server), CLI."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.evaluate.conftest import big_users, day, run_interrupted, service, video
from workbench.devserver import DevServer, closed_port_base
from workbench.evaluate import metrics as M
from workbench.evaluate import sampling as S
from workbench.evaluate.batch import build_report, read_rows, records_from_rows, run_batch
from workbench.simulate.cache import ResponseCache
from workbench.simulate.types import ModelSpec


def answer(req):
    p = req.prompt
    if "只输出一个整数" in p:
        return "15"
    if "Yes 或 No" in p:
        return "Yes"
    return "请问什么时候发货？谢谢"


@pytest.fixture
def users():
    return big_users(3)


def _llm_questions(rows, model):
    return [r for r in rows if r["model"] == model]


def test_batch_writes_rows_and_report(tmp_path, users):
    sample = S.sample_events(users, test_length=4)
    with DevServer(script=answer) as srv:
        spec = ModelSpec("openai/dev-model", api_base=srv.base_url)
        seen = []
        res = asyncio.run(run_batch(users, sample, [spec, ModelSpec("baseline:population")],
                                    out_dir=tmp_path, concurrency=4, cache=ResponseCache(tmp_path / "c.sqlite"),
                                    on_progress=seen.append))
        n_requests = len(srv.completion_requests())
    rows = read_rows(tmp_path / "predictions.jsonl")
    llm_rows = _llm_questions(rows, "openai/dev-model")
    assert len(llm_rows) == n_requests == res.report["run"]["questions"] // 2
    keys = {"user_id", "event_index", "scenario", "field", "kind", "true_value", "predicted_value",
            "predicted_label", "raw_output", "model", "tokens", "cost", "parse_ok"}
    assert all(keys <= set(r) for r in rows)
    assert {r["predicted_label"] for r in llm_rows if r["kind"] == "binary"} == {1}
    assert seen[-1].phase == "report" and seen[-1].done == seen[-1].total
    assert max(p.done for p in seen if p.phase == "predict") == res.report["run"]["questions"]
    report = json.loads((tmp_path / "report.json").read_text())
    assert set(report["models"]) == {"openai/dev-model", "baseline:population"}
    # the report equals the metrics recomputed from the written rows
    recs = records_from_rows(rows)["openai/dev-model"]
    assert report["models"]["openai/dev-model"]["binary_metrics"] == \
        M.format_report(M.compute_metrics(recs, "openai/dev-model"))["binary_metrics"]
    assert report["models"]["openai/dev-model"]["overall_score"] is None   # no judge configured
    assert "hyperactivity" in report["biases"] and "by_scenario" in report


@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
def test_cancel_then_resume_only_missing_questions_hit_the_server(tmp_path, users):
    sample = S.sample_events(users, test_length=6)
    cache = ResponseCache(tmp_path / "cache.sqlite")
    out = tmp_path / "run"
    with DevServer(script=answer, latency=0.02) as srv:
        spec = ModelSpec("openai/dev-model", api_base=srv.base_url)

        run_interrupted(15, users, sample, [spec], out_dir=out, concurrency=4, cache=cache, biases=False)
        first = read_rows(out / "predictions.jsonl")
        assert 15 <= len(first) < 60
        assert not (out / "report.json").exists()
        before = len(srv.completion_requests())
        res = asyncio.run(run_batch(users, sample, [spec], out_dir=out, concurrency=4, cache=cache,
                                    biases=False))
        second_requests = len(srv.completion_requests()) - before
    total = res.report["run"]["questions"]
    answered_before = len({(r["user_id"], r["event_index"], r["field"]) for r in first if r["parse_ok"]})
    assert second_requests == total - answered_before
    # the answered rows of the interrupted run are kept from its file, not asked or looked up again
    assert res.report["run"]["resumed"] == answered_before and res.report["run"]["cached"] == 0
    rows = read_rows(out / "predictions.jsonl")
    assert len(rows) == total == len({(r["user_id"], r["event_index"], r["field"]) for r in rows})
    assert (out / "report.json").exists()


def test_failed_answers_are_left_out_and_asked_again(tmp_path, users):
    sample = S.sample_events(users, user_ids=["user_001"], test_length=2)
    out = tmp_path / "o"
    cache = ResponseCache(tmp_path / "c.sqlite")
    with DevServer(default="maybe") as srv:   # never parseable
        spec = ModelSpec("openai/dev-model", api_base=srv.base_url)
        from workbench.simulate.providers import RetryPolicy

        res = asyncio.run(run_batch(users, sample, [spec], out_dir=out, cache=cache, biases=False,
                                    policy=RetryPolicy(binary_attempts=1, other_attempts=1)))
        not_text = [r for r in res.rows if r["kind"] != "text"]
        assert res.report["run"]["failed"] == len(not_text) > 0
        assert not any(r["parse_ok"] for r in not_text)
        ov = res.report["models"]["openai/dev-model"]["overall"]
        assert ov["failed_parsing_questions"] == 0      # failed questions are not counted as questions
        assert ov["total_questions"] == res.report["run"]["questions"] - len(not_text)
        srv.set_script(answer)
        res = asyncio.run(run_batch(users, sample, [spec], out_dir=out, cache=cache, biases=False))
    rows = read_rows(out / "predictions.jsonl")
    assert all(r["parse_ok"] for r in rows) and len(rows) == res.report["run"]["questions"]


def test_judge_scores_enter_the_overall_score(tmp_path):
    turns = [("user", "你好，我的水壶坏了"), ("assistant", "您好，请问有什么问题？"),
             ("user", "烧水的时候一直漏水，怎么回事")]
    events = [video(day(9, 2))] + [service(day(10, d), turns) for d in range(1, 4)]
    users = [S.UserTrace("u1", "p", events)]
    sample = S.sample_events(users, user_ids=["u1"], all_events=True)
    judge_reply = json.dumps({"scores": {"intent_fidelity": 8, "persona_mimicry": 6,
                                         "knowledge_boundary": 9, "semantic_alignment": 5}})

    def script(req):
        if "Model Output" in req.prompt:
            return judge_reply
        return "能换一个新的吗"

    with DevServer(script=script) as srv:
        spec = ModelSpec("openai/dev-model", api_base=srv.base_url)
        judge = ModelSpec("openai/judge", api_base=srv.base_url)
        res = asyncio.run(run_batch(users, sample, [spec], out_dir=tmp_path, judge_spec=judge,
                                    cache=ResponseCache(tmp_path / "c.sqlite"), judge_pause=0))
    jm = res.report["models"]["openai/dev-model"]["llm_judge_metrics"]
    assert jm["average_score"] == 7.0 and jm["intent_fidelity"] == 8.0
    assert len(read_rows(tmp_path / "judge.jsonl")) == 3
    assert res.report["models"]["openai/dev-model"]["final_score"]["components"]["shop_text_score"] == 70.0


def test_cli_eval_end_to_end(tmp_path, capsys, users):
    from workbench.cli import main

    data = {u.user_id: {"user_profile": u.profile, "action_history": u.events} for u in users}
    path = tmp_path / "traces.json"
    path.write_text(json.dumps(data, ensure_ascii=False))
    with DevServer(script=answer) as srv:
        rc = main(["eval", str(path), "--model", "openai/dev-model", "--model", "baseline:user",
                   "--api-base", srv.base_url, "--n-per-user", "2", "--out", str(tmp_path / "o"),
                   "--concurrency", "4"])
    out = capsys.readouterr()
    assert rc == 0
    assert "openai/dev-model" in out.out and "baseline:user" in out.out and "overall_score" in out.out
    assert "questions" in out.err
    assert (tmp_path / "o" / "report.json").exists()
    rc = main(["sample", str(path), "--json", "--n-per-user", "2"])
    got = json.loads(capsys.readouterr().out)
    assert rc == 0 and [len(u["sampled"]) for u in got["users"]] == [2, 2, 2]
    assert main(["eval", str(tmp_path / "missing.json"), "--model", "x"]) == 2


def test_build_report_from_rows_only():
    rows = [{"model": "m", "user_id": "u", "event_index": i, "scenario": "视频浏览", "field": "video_liked",
             "kind": "binary", "true_value": i % 2, "predicted_value": 1.0, "predicted_label": 1,
             "parse_ok": True} for i in range(4)]
    rep = build_report(rows, filtered=[("u", 9)], biases=False)
    o = rep["models"]["m"]["overall"]
    assert o["filtered_samples"] == 1 and o["valid_samples"] == 4
    assert rep["models"]["m"]["binary_metrics"]["video_liked"]["Precision"] == 50.0
    assert rep["by_scenario"]["m"]["视频浏览"]["events"] == 4


@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
def test_taskstate_cancel_stops_the_batch(tmp_path, users):
    from workbench.tasks import TaskState

    sample = S.sample_events(users, test_length=6)
    task = TaskState()
    got = []

    def on_row(row):
        got.append(row)
        if len(got) == 5:
            task.cancel()

    with DevServer(script=answer, latency=0.05) as srv:
        spec = ModelSpec("openai/dev-model", api_base=srv.base_url)
        with pytest.raises(asyncio.CancelledError):
            asyncio.run(run_batch(users, sample, [spec], out_dir=tmp_path, concurrency=2, task=task,
                                  cache=ResponseCache(tmp_path / "c.sqlite"), on_row=on_row, biases=False))
    assert 5 <= len(read_rows(tmp_path / "predictions.jsonl")) < 40
    assert not (tmp_path / "report.json").exists()


def test_metric_matrix_and_cases():
    from workbench.evaluate.matrix import cases_for, metric_matrix

    def row(i, t, p, field="video_liked", kind="binary", ok=True, scen="视频浏览"):
        return {"model": "m", "user_id": "u", "event_index": i, "scenario": scen, "field": field,
                "kind": kind, "true_value": t, "predicted_value": p, "predicted_label": p if ok else None,
                "parse_ok": ok}

    rows = [row(0, 1, 1), row(1, 0, 1), row(2, 0, 0), row(3, 1, 0), row(4, 0, None, ok=False),
            row(0, 10.0, 40.0, field="video_watch_seconds", kind="continuous"),
            row(1, 10.0, 12.0, field="video_watch_seconds", kind="continuous"),
            row(5, 0, 1, field="live_liked", scen="直播间")]
    mm = {(r.model, r.scenario): r.values for r in metric_matrix(rows)}
    v = mm[("m", "视频浏览")]
    assert v["events"] == 5 and v["questions"] == 6 and v["failures"] == 1
    assert v["accuracy"] == 50.0 and v["real_rate"] == 50.0 and v["pred_rate"] == 50.0 and v["rate_gap"] == 0.0
    assert v["macro_f1"] == pytest.approx(50.0) and v["watch_mae"] == pytest.approx(16.0)
    assert mm[("m", "直播间")]["rate_gap"] == 100.0
    wrong_first = cases_for(rows, "m", "视频浏览", "accuracy")
    assert [r["event_index"] for r in wrong_first[:2]] == [1, 3]
    assert [r["event_index"] for r in cases_for(rows, "m", "视频浏览", "watch_mae")] == [0, 1]
    assert [r["event_index"] for r in cases_for(rows, "m", "视频浏览", "failures")] == [4]


def test_user_baseline_matches_simulate_baseline(users):
    from workbench.evaluate.batch import _user_baseline
    from workbench.simulate.baselines import BaselineStats
    from workbench.simulate.questions import questions_for_event

    u = users[0]
    cache: dict = {}
    for target in (10, 25, 39):
        history = list(enumerate(u.events[:target]))
        qs = questions_for_event(u.events[target])
        mine = _user_baseline(qs, history, cache)
        theirs = BaselineStats().predict("baseline:user", qs, [e for _, e in history])
        assert [p.to_dict() for p in mine] == [p.to_dict() for p in theirs]


def test_nan_answer_behaves_as_in_the_benchmark(tmp_path):
    rows = [{"model": "m", "user_id": "u", "event_index": i, "scenario": "视频浏览",
             "field": "video_watch_seconds", "kind": "continuous", "true_value": 10.0,
             "predicted_value": v, "predicted_label": v, "parse_ok": True, "video_duration": 20.0}
            for i, v in enumerate([float("nan"), 12.0])]
    from workbench.evaluate.batch import _RowWriter

    w = _RowWriter(tmp_path / "p.jsonl")
    for r in rows:
        w.write(r)
    w.close()
    back = read_rows(tmp_path / "p.jsonl")
    rep = build_report(back, biases=True)
    cm = rep["models"]["m"]["continuous_metrics"]["video_watch_seconds"]
    assert cm["sample_count"] == 2 and cm["MAE"] is None and cm["RMSE"] is None
    assert rep["models"]["m"]["overall"]["failed_parsing_questions"] == 0


def test_unreachable_server_reports_plain_words_quickly(tmp_path, capsys, users, provider_sleeps):
    """A closed loopback port: every answer fails at once (no retry: retrying cannot fix a refused
    connection), the report's run summary and the CLI name the reason in plain words."""

    from workbench.cli import main

    base = closed_port_base()
    delays = provider_sleeps
    sample = S.sample_events(users, user_ids=["user_001"], test_length=2)
    res = asyncio.run(run_batch(users, sample, [ModelSpec("openai/dev-model", api_base=base)],
                                out_dir=tmp_path / "o", cache=ResponseCache(tmp_path / "c.sqlite"),
                                biases=False, concurrency=8))
    run = res.report["run"]
    assert run["failed"] == run["questions"] == len(res.rows) > 0
    assert all(r["retry_count"] == 0 and r["error_kind"] == "connection" for r in res.rows)
    assert delays == []
    (reason,) = run["failure_reasons"]
    assert reason["count"] == len(res.rows)
    assert reason["error"].startswith(f"Could not connect to {base} for model openai/dev-model: connection refused")
    assert run["failures"] == [{"kind": "connection", "what": "the server could not be reached",
                                "count": len(res.rows), "example": reason["error"]}]

    data = {u.user_id: {"user_profile": u.profile, "action_history": u.events} for u in users[:1]}
    path = tmp_path / "traces.json"
    path.write_text(json.dumps(data, ensure_ascii=False))
    rc = main(["eval", str(path), "--model", "openai/dev-model", "--api-base", base, "--n-per-user", "1",
               "--out", str(tmp_path / "o2")])
    err = capsys.readouterr().err
    assert rc == 1                                  # nothing was answered: never a success
    assert "not answered: the server could not be reached: Could not connect to http://127.0.0.1:" in err


def test_cli_eval_reference_mode_sends_the_checkouts_prompts_and_records_the_source(tmp_path, capsys, users):
    from pathlib import Path

    from workbench.cli import main

    standin = Path(__file__).resolve().parents[1] / "fixtures" / "benchmark_standin"
    data = {u.user_id: {"user_profile": u.profile, "action_history": u.events} for u in users}
    path = tmp_path / "traces.json"
    path.write_text(json.dumps(data, ensure_ascii=False))
    with DevServer(script=lambda req: "Yes" if "YES OR NO" in req.prompt else "15") as srv:
        rc = main(["eval", str(path), "--model", "openai/dev-model", "--api-base", srv.base_url,
                   "--n-per-user", "1", "--out", str(tmp_path / "o"), "--reference", str(standin), "--no-cache"])
        prompts = [r.prompt for r in srv.completion_requests()]
    capsys.readouterr()
    assert rc in (0, 1) and prompts and all(p.startswith("STANDIN ROLE") for p in prompts)
    settings = json.loads((tmp_path / "o" / "report.json").read_text())["settings"]
    assert settings["prompt_source"] == "reference" and settings["path"] == str(standin)
    assert settings["commit"] is None and settings["token_counter"] == {"kind": "approx"}
    rc = main(["eval", str(path), "--model", "openai/dev-model", "--api-base", "http://127.0.0.1:9",
               "--reference", str(tmp_path / "nowhere")])
    assert rc == 2 and "no such folder" in capsys.readouterr().err
