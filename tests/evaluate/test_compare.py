"""Paired comparison of runs: hand-computed statistics, agreement with the report, the CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from workbench.evaluate import compare as C
from workbench.evaluate.batch import build_report
from workbench.evaluate.biases import homogenisation


def _row(model: str, user: str, event: int, field: str, truth: Any, pred: Any, *,
         kind: str = "binary", ok: bool = True, scenario: str = "视频浏览",
         duration: float = 0.0) -> dict[str, Any]:
    row = {"model": model, "user_id": user, "event_index": event, "field": field, "kind": kind,
           "scenario": scenario, "true_value": truth, "predicted_value": pred, "parse_ok": ok,
           "video_duration": duration, "error": "" if ok else "timeout"}
    if kind == "binary":
        row["predicted_label"] = pred
    return row


def _write_run(d: Path, rows: list[dict], judge: list[dict] = ()) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    (d / "predictions.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n"
                                                 for r in rows), encoding="utf-8")
    if judge:
        (d / "judge.jsonl").write_text("".join(json.dumps(j) + "\n" for j in judge), encoding="utf-8")
    return d


# -- McNemar ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("b,c,expected", [
    (0, 0, 1.0),                     # nothing changed
    (1, 5, 14 / 64),                 # 2 * P(X <= 1 | n = 6) = 2 * (1 + 6) / 64
    (0, 6, 2 / 64),                  # 2 * P(X = 0 | n = 6)
    (3, 3, 1.0),
    (2, 8, 2 * (1 + 10 + 45) / 1024),
])
def test_mcnemar_exact_matches_hand_computed_binomial(b, c, expected):
    assert C.mcnemar_exact(b, c) == pytest.approx(expected)


# -- a hand-worked table ----------------------------------------------------------------------------

def _liked_rows():
    # truth:   1 1 1 0 0 0 0 0 (8 questions of video_liked, one user each event)
    truth = [1, 1, 1, 0, 0, 0, 0, 0]
    base = [1, 0, 0, 1, 0, 0, 0, 0]      # TP 1, FN 2, FP 1 -> F1 = 2/(2+1+2) = 0.4
    other = [1, 1, 0, 1, 1, 1, 0, 0]     # TP 2, FN 1, FP 3 -> F1 = 4/(4+3+1) = 0.5
    a = [_row("A", "u1", i, "video_liked", t, p) for i, (t, p) in enumerate(zip(truth, base))]
    b = [_row("B", "u1", i, "video_liked", t, p) for i, (t, p) in enumerate(zip(truth, other))]
    return a, b


def test_hand_worked_f1_flips_and_mcnemar(tmp_path):
    a, b = _liked_rows()
    run = C.load_run(_write_run(tmp_path / "run", a + b))
    [cmp] = [C.compare_sides(*C.sides_for([run])[:2], reps=200)]
    m = {x.name: x for x in cmp.metrics}
    assert m["F1 video_liked"].base == pytest.approx(40.0)
    assert m["F1 video_liked"].other == pytest.approx(50.0)
    assert m["F1 video_liked"].diff == pytest.approx(10.0)
    # question 1: 0 -> 1 with truth 1 (wrong→right); questions 4, 5: 0 -> 1 with truth 0 (right→wrong)
    assert cmp.flips["video_liked"] == {"same": 5, "wrong→right": 1, "right→wrong": 2}
    assert m["F1 video_liked"].p_value == pytest.approx(1.0)     # b=2, c=1: 2*P(X<=1|3) = 1
    # predicted Yes rate 2/8 vs 5/8, real 3/8: gaps -12.5 and +25 percentage points
    assert m["Yes-rate gap video_liked"].base == pytest.approx(-12.5)
    assert m["Yes-rate gap video_liked"].other == pytest.approx(25.0)
    assert m["Hyper-activity (mean Yes-rate gap)"].diff == pytest.approx(37.5)


def test_identical_sides_give_a_zero_interval_and_different_sides_exclude_zero(tmp_path):
    truth = [1, 0] * 40
    good = [_row("good", f"u{i % 4}", i, "video_liked", t, t) for i, t in enumerate(truth)]
    same = [dict(r, model="same") for r in good]
    bad = [_row("bad", f"u{i % 4}", i, "video_liked", t, 1 - t) for i, t in enumerate(truth)]
    run = C.load_run(_write_run(tmp_path / "run", good + same + bad))
    [c_same, c_bad] = C.compare_runs([run.path], reps=300)
    f_same = {x.name: x for x in c_same.metrics}["F1 video_liked"]
    assert (f_same.diff, f_same.low, f_same.high) == (0.0, 0.0, 0.0)
    assert not f_same.significant
    f_bad = {x.name: x for x in c_bad.metrics}["F1 video_liked"]
    assert f_bad.diff == pytest.approx(-100.0)
    assert f_bad.significant and f_bad.high < 0
    assert f_bad.p_value == pytest.approx(2 * 0.5 ** 80)


def test_user_resampling_keeps_each_users_questions_together():
    a, b = _liked_rows()
    b = [dict(r, user_id=f"u{r['event_index'] % 3}") for r in b]
    a = [dict(r, user_id=f"u{r['event_index'] % 3}") for r in a]
    pairs = list(zip(a, b))
    sides = (C.Side("r", "A", tuple(a), {}), C.Side("r", "B", tuple(b), {}))
    ar = C._arrays(pairs, sides, {"u0": 0, "u1": 1, "u2": 2})
    w = C.replicate_weights(np.random.default_rng(3), ar, 50, "users")
    for u in range(3):
        cols = w[:, ar.users == u]
        assert np.all(cols == cols[:, :1])          # one weight per user and replicate
    assert np.allclose(w.sum(axis=1) / len(a), np.round(w.sum(axis=1) / len(a), 6))
    wq = C.replicate_weights(np.random.default_rng(3), ar, 50, "questions")
    assert np.all(wq.sum(axis=1) == len(a))          # n draws of n questions


def test_only_questions_both_answered_are_paired(tmp_path):
    a, b = _liked_rows()
    b[0] = dict(b[0], parse_ok=False, predicted_value=None, predicted_label=None)
    extra = _row("A", "u1", 99, "video_liked", 1, 1)
    run = C.load_run(_write_run(tmp_path / "run", a + [extra] + b))
    [cmp] = C.compare_runs([run.path], reps=0)
    assert len(cmp.questions) == 7
    assert (cmp.only_base, cmp.only_other) == (2, 0)
    assert all(m.low is None for m in cmp.metrics)            # no replicates, no intervals


# -- agreement with the benchmark's scoring ---------------------------------------------------------

def _full_run(model: str, seed: int) -> tuple[list[dict], list[dict]]:
    """Every score component present: all binary groups, watch time with video length, judge."""
    from workbench.evaluate.metrics import FINAL_SCORE_BINARY_FIELDS

    rng = np.random.default_rng(seed)          # the model's answers
    real = np.random.default_rng(42)           # the same real behaviour for every model
    rows, judge = [], []
    for u in range(6):
        user = f"user_{u:04d}"
        ev = 0
        for fields in FINAL_SCORE_BINARY_FIELDS.values():
            for _ in range(4):
                ev += 1
                for f in fields:
                    t = int(real.random() < 0.3)
                    p = int(rng.random() < 0.5)
                    rows.append(_row(model, user, ev, f, t, p))
        for _ in range(3):
            ev += 1
            t = float(real.integers(1, 60))
            rows.append(_row(model, user, ev, "video_watch_seconds", t, float(rng.integers(1, 90)),
                             kind="continuous", duration=60.0))
        for _ in range(2):
            ev += 1
            rows.append(_row(model, user, ev, "next_user_message", "到底什么时候发货",
                             "您好，请问什么时候发货呢？谢谢" if seed else "快点发货", kind="text",
                             scenario="电商客服对话"))
            judge.append({"model": model, "user_id": user, "event_index": ev,
                          "scores": {"x": 1}, "average": float(rng.integers(2, 9))})
    return rows, judge


def test_observed_values_equal_the_reports_on_the_same_questions(tmp_path):
    ra, ja = _full_run("A", 0)
    rb, jb = _full_run("B", 1)
    run = C.load_run(_write_run(tmp_path / "run", ra + rb, ja + jb))
    [cmp] = C.compare_runs([run.path], reps=100)
    rep = build_report(ra + rb, judge=ja + jb)     # 2-decimal values, hence abs=0.006 below
    m = {x.name: x for x in cmp.metrics}
    for side, model in (("base", "A"), ("other", "B")):
        r = rep["models"][model]
        assert getattr(m["Overall score"], side) == pytest.approx(r["overall_score"], abs=0.006)
        assert getattr(m["Macro F1"], side) == pytest.approx(r["overall"]["Macro_F1"], abs=0.006)
        assert getattr(m["F1 video_liked"], side) == pytest.approx(
            r["binary_metrics"]["video_liked"]["F1"], abs=0.006)
        assert getattr(m["NMAE video_watch_seconds"], side) == pytest.approx(
            r["continuous_metrics"]["video_watch_seconds"]["NMAE"], abs=0.006)
        assert getattr(m["Score e_commerce_textual"], side) == pytest.approx(
            rep["score_summary"][0 if model == "A" else 1]["e_commerce_textual"], abs=0.006)
        gap = rep["biases"]["hyperactivity"]["mean_gap"][model] * 100
        assert getattr(m["Hyper-activity (mean Yes-rate gap)"], side) == pytest.approx(gap, abs=1e-4)
        ratio = homogenisation([r_ for r_ in ra + rb if r_["model"] == model]).sources[model].ratio
        assert getattr(m["Homogenisation (intra/inter ratio)"], side) == pytest.approx(ratio)
    # the polite contender: every simulated turn has a politeness marker, the curt baseline none
    assert m["Utopian: % turns with politeness"].base == 0.0
    assert m["Utopian: % turns with politeness"].other == 100.0
    assert m["Homogenisation (intra/inter ratio)"].unit == "users"
    assert m["Overall score"].low is not None and m["Overall score"].low <= m["Overall score"].diff


def test_filters_and_sorting():
    qs = [C.QuestionDiff("u1", 1, "s", "f", "binary", 1, 1, 0, True, False, None, None,
                         "right→wrong", 1.0),
          C.QuestionDiff("u2", 2, "t", "g", "continuous", 5, 4, 5, None, None, 0.2, 0.0, "better", 0.2),
          C.QuestionDiff("u1", 0, "s", "f", "binary", 0, 0, 0, True, True, None, None, "same", 0.0)]
    assert [q.event_index for q in C.filter_questions(qs)] == [1, 2, 0]
    assert [q.event_index for q in C.filter_questions(qs, sort="order")] == [0, 1, 2]
    assert [q.event_index for q in C.filter_questions(qs, changed_only=True)] == [1, 2]
    assert [q.event_index for q in C.filter_questions(qs, user="u1", field_name="f")] == [1, 0]
    assert [q.event_index for q in C.filter_questions(qs, scenario="t")] == [2]


# -- errors and the CLI -----------------------------------------------------------------------------

def test_bad_runs_are_one_line_errors(tmp_path):
    with pytest.raises(C.CompareError, match="not a run directory"):
        C.load_run(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(C.CompareError, match="no predictions.jsonl"):
        C.load_run(tmp_path / "empty")
    a, _ = _liked_rows()
    d = _write_run(tmp_path / "one", a)
    with pytest.raises(C.CompareError, match="need two sides"):
        C.compare_runs([d])
    with pytest.raises(C.CompareError, match="no answers of model 'Z'"):
        C.compare_runs([d], models=["Z"])
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "predictions.jsonl").write_text('{"model": "A"}\nnot json\n{"x": 1}\n', encoding="utf-8")
    with pytest.raises(C.CompareError, match=r"line 2: not JSON"):
        C.load_run(bad)


def test_two_run_directories_and_a_chosen_baseline(tmp_path):
    a, b = _liked_rows()
    d1 = _write_run(tmp_path / "r1", a)
    d2 = _write_run(tmp_path / "r2", [dict(r, model="A") for r in b])
    [cmp] = C.compare_runs([d1, d2], reps=50, baseline=f"{d2}:A")
    assert cmp.base == f"{d2}:A" and cmp.other == f"{d1}:A"
    assert {x.name: x for x in cmp.metrics}["F1 video_liked"].diff == pytest.approx(-10.0)


def test_cli_json_text_and_a_hostile_html_page(tmp_path, capsys):
    from workbench.cli import main

    a, b = _liked_rows()
    hostile = "<script>alert(1)</script>\x1b[2J\u202eexe.txt"
    a.append(_row("A", "u1", 50, "next_user_message", hostile, "ok", kind="text"))
    b.append(_row("B", "u1", 50, "next_user_message", hostile, hostile, kind="text"))
    d = _write_run(tmp_path / "run", a + b)
    assert main(["compare", str(d), "--json", "--bootstrap", "50"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out[0]["base"].endswith(":A") and out[0]["other"].endswith(":B")
    assert {m["name"] for m in out[0]["metrics"]} >= {"Overall score", "F1 video_liked", "Macro F1"}
    html_path = tmp_path / "cmp.html"
    assert main(["compare", str(d), "--html", str(html_path), "--changed-only", "--field", "next_user_message"]) == 0
    text = capsys.readouterr().out
    assert "\x1b" not in text and "\u202e" not in text and "\\x1b[2J" in text
    page = html_path.read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "\u202e" not in page and "\\u202e" in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert main(["compare", str(tmp_path / "nope"), str(d)]) == 2
    assert "not a run directory" in capsys.readouterr().err


def test_nan_answers_do_not_break_the_bootstrap(tmp_path):
    a, b = _liked_rows()
    a.append(_row("A", "u1", 70, "video_watch_seconds", 10.0, float("nan"), kind="continuous",
                  duration=30.0))
    b.append(_row("B", "u1", 70, "video_watch_seconds", 10.0, 12.0, kind="continuous", duration=30.0))
    run = C.load_run(_write_run(tmp_path / "run", a + b))
    [cmp] = C.compare_runs([run.path], reps=50)
    assert not any(isinstance(m.diff, float) and math.isnan(m.diff) for m in cmp.metrics)


def test_runs_on_different_traces_are_refused(tmp_path):
    a, b = _liked_rows()
    b[3] = dict(b[3], true_value=1)
    run = C.load_run(_write_run(tmp_path / "run", a + b))
    with pytest.raises(C.CompareError, match=r"disagree on the real value of 1 questions "
                                             r"\(first: user u1, event 3, field video_liked\)"):
        C.compare_runs([run.path])
