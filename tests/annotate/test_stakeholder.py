"""The report's one-minute first section: blind detection rates with intervals, the annotators'
most telling pairs, the hyper-activity gap and agreement with one sentence per figure."""

from __future__ import annotations

import re

from workbench.annotate.blind import build_items
from workbench.annotate.model import CasePrediction, new_case
from workbench.annotate.store import CaseStore
from workbench.cli import main


def _rows():
    return [{"user_id": f"user_{i:04d}", "event_index": i, "scenario": "Customer Service",
             "field": "next_user_message", "true_value": f"where is my parcel user_{i:04d}", "model": "gpt-4o",
             "predicted_value": f"Thank you so much for your kind help {i}!", "parse_ok": True} for i in range(12)]


def test_first_section_of_the_exported_report(tmp_path, capsys):
    db = tmp_path / "team.db"
    with CaseStore(db) as store:
        items = build_items(_rows(), "gpt-4o", 12, seed=1)
        store.add_blind_items(items)
        for k, item in enumerate(items):      # 11 of 12 right: above chance
            wrong = "B" if item.real_side == "A" else "A"
            store.record_pick(item, "ana", item.real_side if k else wrong, 3 if k in (1, 2, 3, 4) else 2,
                              reasons=["utopian-tone"] if k == 4 else [])
        for i in range(6):                    # two annotators on six events, with binary predictions
            for who, tags in (("ana", ["utopian-tone"] if i < 3 else []), ("bo", ["utopian-tone"] if i < 4 else [])):
                store.add_case(new_case(source="t.json", user_id="user_0001", event_index=100 + i, author=who,
                                        tags=tags, fields=["video_liked"], real_values={"video_liked": i % 2},
                                        predictions=[CasePrediction("gpt-4o", "video_liked", 0.9, 1, "Yes", True)]))
    out = tmp_path / "r.html"
    assert main(["cases", "export", str(db), "--format", "html", "--out", str(out), "--pseudonymise"]) == 0
    page = out.read_text(encoding="utf-8")
    first = re.search(r'<section class="stakeholder">(.*?)</section>', page, re.S).group(1)
    assert page.index('class="stakeholder"') < page.index('class="summary"')
    assert "found in 11 of 12 blind comparisons (92%; 95% interval 65%–99%)" in first
    assert "better than guessing" in first
    assert first.count('<div class="pair">') == 3 and "why: utopian-tone" in first
    assert "user_00" not in first                       # the pairs' texts are pseudonymised too
    assert "predicted “yes” 100% of the time where real users did 50% (gap +50 points)" in first
    assert "2 annotators (ana, bo) rated 6 items in common" in first
    assert "Cohen&#x27;s kappa: agreement" in first and "Gwet&#x27;s AC1" in first and "(6 items, 2 annotators)" in first


def _report(fields, mean_gap):
    return {"biases": {"hyperactivity": {"fields": fields, "mean_gap": mean_gap}}}


def test_run_gap_by_hand_and_its_errors(tmp_path):
    import json

    import pytest

    from workbench.annotate.stakeholder import RunGapError, load_run_gap, run_gap

    # like: 4 questions, real 1 yes, model 3; share: 6 questions, real 0, model 3 -> 10% against 60%
    gap = run_gap(_report({"m": [{"field": "like", "n": 4, "real_rate": 0.25, "predicted_rate": 0.75},
                                 {"field": "share", "n": 6, "real_rate": 0.0, "predicted_rate": 0.5}]},
                          {"m": 0.5}), "20261202-2010")
    [m] = gap.models
    assert (m.questions, m.real_rate, m.predicted_rate, m.mean_field_gap) == (10, 0.1, 0.6, 0.5)
    run = tmp_path / "run-7"
    run.mkdir()
    with pytest.raises(RunGapError, match=r"run-7/report.json: cannot read"):
        load_run_gap(run)
    (run / "report.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(RunGapError, match=r"run-7/report.json: not a JSON evaluation report"):
        load_run_gap(run)
    (run / "report.json").write_text(json.dumps(_report({"m": []}, {})), encoding="utf-8")
    with pytest.raises(RunGapError, match=r"report.json: run run-7: its report has no answered yes/no question"):
        load_run_gap(run / "report.json")
    (run / "report.json").write_text(json.dumps(_report({"m": [{"n": 2}]}, {})), encoding="utf-8")
    with pytest.raises(RunGapError, match="malformed biases.hyperactivity"):
        load_run_gap(run)


def test_report_gap_comes_from_the_linked_evaluation_run(tmp_path, capsys):
    import orjson

    from tests.app.data import write_traces

    traces = write_traces(tmp_path / "traces")
    run = tmp_path / "eval-run-42"
    assert main(["eval", str(traces), "--model", "baseline:user", "--model", "baseline:population",
                 "--n-per-user", "12", "--history-window", "none", "--test-window", "none", "--allow-failures", "1000", "--out", str(run)]) == 0
    capsys.readouterr()
    rows = [orjson.loads(line) for line in (run / "predictions.jsonl").read_bytes().splitlines() if line.strip()]
    expected = {}
    for model in ("baseline:user", "baseline:population"):        # recomputed from the run's own answers
        mine = [r for r in rows if r["model"] == model and r["kind"] == "binary" and r["parse_ok"]
                and r["predicted_label"] is not None]
        real = sum(int(float(r["true_value"])) for r in mine) / len(mine)
        pred = sum(int(r["predicted_label"]) for r in mine) / len(mine)
        expected[model] = (len(mine), real, pred)
    db = tmp_path / "s.db"
    with CaseStore(db) as store:                                   # a case whose own predictions say otherwise
        store.add_case(new_case(source="t.json", user_id="user_a", event_index=3, author="ana",
                                fields=["video_liked"], real_values={"video_liked": 0},
                                predictions=[CasePrediction("gpt-4o", "video_liked", 0.9, 1, "Yes", True)]))
    out = tmp_path / "r.html"
    assert main(["cases", "export", str(db), "--format", "html", "--out", str(out), "--run", str(run)]) == 0
    first = re.search(r'<section class="stakeholder">(.*?)</section>',
                      out.read_text(encoding="utf-8"), re.S).group(1)
    assert "Measured by evaluation run <b>eval-run-42</b> (its report.json)" in first
    for model, (n, real, pred) in expected.items():
        assert (f"<b>{model}</b> engaged (answered “yes”) on {pred:.0%} of {n:,} yes/no questions where the real "
                f"users did on {real:.0%} (gap {100 * (pred - real):+.0f} points") in first
    assert "gpt-4o" not in first and "of the cases in this report" not in first
    # without --run: the cases' own predictions, said so
    assert main(["cases", "export", str(db), "--format", "html", "--out", str(out)]) == 0
    first = re.search(r'<section class="stakeholder">(.*?)</section>', out.read_text(encoding="utf-8"), re.S).group(1)
    assert "no evaluation run was given" in first and "eval-run-42" not in first
    capsys.readouterr()
    assert main(["cases", "export", str(db), "--format", "html", "--out", str(out), "--run", str(tmp_path)]) == 2
    assert f"{tmp_path / 'report.json'}: cannot read the evaluation report" in capsys.readouterr().err
    assert main(["cases", "export", str(db), "--format", "csv", "--out", str(out), "--run", str(run)]) == 2


def test_pairs_name_the_scenario_in_english():
    from workbench.annotate.blind import Pick
    from workbench.annotate.stakeholder import stakeholder_facts, stakeholder_html

    rows = [{**r, "scenario": "电商客服对话"} for r in _rows()[:2]]
    items = build_items(rows, "gpt-4o", 2, seed=1)
    picks = [Pick(i.id, "ana", i.real_side, 3, (), "", f"2026-12-02T20:0{k}:00") for k, i in enumerate(items)]
    html = stakeholder_html(stakeholder_facts(items, picks), [])
    assert '<p class="meta">Customer Service</p>' in html and "电商客服对话" not in html
