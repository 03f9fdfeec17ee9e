"""report.json of a batch run, computed from its prediction rows (and judge rows). Layer: evaluate (pure).

:func:`build_report` is the one place a run's report is made: :func:`~workbench.evaluate.batch.run_batch`
calls it on exactly the rows of predictions.jsonl, and anyone can call it again on those rows to
recompute the same report. :func:`records_from_rows` turns rows into the reference-layout per-event
records that :func:`workbench.evaluate.metrics.compute_metrics` takes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Sequence

from workbench.evaluate import metrics as M
from workbench.evaluate.batch_judge import JUDGE_FIELD
from workbench.fileio import atomic_write_text

__all__ = ["records_from_rows", "build_report", "write_json", "server_shares"]


def records_from_rows(rows: Sequence[Mapping[str, Any]], *, filtered: Sequence[tuple[str, int]] = (),
                      judge: Sequence[Mapping[str, Any]] = (),
                      models: Sequence[str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Per model, the reference-layout per-event records that :func:`metrics.compute_metrics` takes."""
    judged = {(str(j["model"]), str(j["user_id"]), int(j["event_index"])): j for j in judge
              if j.get("scores")}
    by_model: dict[str, dict[tuple[str, int], dict[str, Any]]] = {}
    order = list(models) if models is not None else list(dict.fromkeys(str(r["model"]) for r in rows))
    for m in order:
        by_model[m] = {}
    for r in rows:
        m = str(r["model"])
        events = by_model.setdefault(m, {})
        key = (str(r["user_id"]), int(r["event_index"]))
        rec = events.setdefault(key, {"user_id": key[0], "event_index": key[1],
                                      "scenario": r.get("scenario", ""), "filtered": False,
                                      "success": False, "questions": [], "failed_questions": []})
        q = {"field": r["field"], "type": r["kind"], "true_value": r.get("true_value"),
             "predicted_value": r.get("predicted_value"), "predicted_label": r.get("predicted_label"),
             "prediction_method": r.get("prediction_method", ""), "retry_count": r.get("retry_count", 0),
             "video_duration": r.get("video_duration", 0.0)}
        if r.get("parse_ok"):
            rec["questions"].append(q)
            rec["success"] = True
        else:
            q["error"] = r.get("error", "")
            rec["failed_questions"].append(q)
        j = judged.get((m, key[0], key[1]))
        if j is not None and r["field"] == JUDGE_FIELD:
            rec["llm_judge_scores"] = dict(j["scores"])
            rec["llm_judge_avg_score"] = j["average"]
    out: dict[str, list[dict[str, Any]]] = {}
    for m, events in by_model.items():
        recs = list(events.values())
        for u, e in filtered:
            recs.append({"user_id": u, "event_index": e, "scenario": "", "filtered": True,
                         "success": False, "questions": [], "failed_questions": []})
        out[m] = recs
    return out


def build_report(rows: Sequence[Mapping[str, Any]], *, filtered: Sequence[tuple[str, int]] = (),
                 judge: Sequence[Mapping[str, Any]] = (), models: Sequence[str] | None = None,
                 events: Mapping[tuple[str, int], Mapping[str, Any]] | None = None,
                 settings: Mapping[str, Any] | None = None, biases: bool = True,
                 run: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The report.json content from prediction rows (and judge rows). Rows of several samples: the
    metrics and biases use sample 0, and a ``resample`` section summarises every sample."""
    from workbench.evaluate.resample import first_sample, resample_summary, sample_count

    all_rows, rows = rows, first_sample(rows)
    records = records_from_rows(rows, filtered=filtered, judge=judge, models=models)
    models_out: dict[str, Any] = {}
    summary = []
    by_scenario: dict[str, dict[str, Any]] = {}
    for m, recs in records.items():
        raw = M.compute_metrics(recs, m)
        rep = M.format_report(raw)
        rep["overall_score"] = rep["score_summary"]["overall_score"]
        models_out[m] = rep
        summary.append(rep["score_summary"])
        scen: dict[str, Any] = {}
        for s in dict.fromkeys(r["scenario"] for r in recs if not r["filtered"]):
            sub = [r for r in recs if r["scenario"] == s and not r["filtered"]]
            sraw = M.compute_metrics(sub, m)
            srep = M.format_report(sraw)
            scen[s] = {"binary_metrics": srep["binary_metrics"],
                       "continuous_metrics": srep["continuous_metrics"],
                       "llm_judge_metrics": srep["llm_judge_metrics"],
                       "Micro_F1": srep["overall"]["Micro_F1"], "Macro_F1": srep["overall"]["Macro_F1"],
                       "events": len(sub)}
        by_scenario[m] = scen
    report: dict[str, Any] = {"settings": dict(settings or {}), "models": models_out,
                              "score_summary": summary, "by_scenario": by_scenario}
    if biases:
        from workbench.evaluate.biases import all_biases

        report["biases"] = M.round_floats(all_biases(rows, events), 6)
    if sample_count(all_rows) > 1:
        report["resample"] = M.round_floats(resample_summary(all_rows, events, biases=biases,
                                                             models=models), 6)
    shares = server_shares(all_rows)
    if shares:
        report["servers"] = shares
    if run is not None:
        report["run"] = dict(run)
    return report


def server_shares(rows: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """Per model run on several servers, per server (URL, credentials redacted): the questions whose
    last reply came from it (rows with a ``server``; cached answers excepted) and their share of the
    model's, rounded to 4 places. Empty when no row names a server."""
    counts: dict[str, dict[str, int]] = {}
    for r in rows:
        server = r.get("server")
        if server and not r.get("cached"):
            per = counts.setdefault(str(r["model"]), {})
            per[str(server)] = per.get(str(server), 0) + 1
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for model, per in counts.items():
        total = sum(per.values())
        out[model] = {s: {"questions": n, "share": round(n / total, 4)} for s, n in sorted(per.items())}
    return out


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON, atomically; no key the process can see gets into the file."""
    from workbench.secrets import redact

    atomic_write_text(path, redact(json.dumps(data, ensure_ascii=False, indent=2, default=str)))
