"""Model x scenario x metric matrix and the cases behind each cell. Layer: evaluate (pure).

Built from the batch's prediction rows (``predictions.jsonl``), for the Evaluation view and for any
script. Each cell's value is computed with :mod:`workbench.evaluate.metrics` on the rows of one
model and one scenario (so the numbers are the benchmark's definitions restricted to that slice);
:func:`cases_for` returns the rows behind a cell, the most informative first (wrong answers before
right ones, the largest errors first, failures for the failure column).

Metrics (columns), values on the report's scale (rates and F1 in percent):

* ``events``, ``questions``: answered questions (parse ok) and events of the slice;
* ``macro_f1``, ``micro_f1``: over the slice's binary fields;
* ``accuracy``: pooled over the slice's binary questions;
* ``real_rate``, ``pred_rate``, ``rate_gap``: positive rate of ground truth and of the predicted
  labels over the binary questions, and their difference (hyper-activity, percentage points);
* ``watch_mae``, ``nmae``: MAE of the slice's continuous field(s) and NMAE (video only);
* ``judge``: mean judge score (1-10) of the slice's judged messages;
* ``failures``: questions whose answer could not be parsed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from workbench.evaluate import metrics as M

__all__ = ["COLUMNS", "MatrixRow", "metric_matrix", "cases_for"]

#: (key, header, tooltip)
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("macro_f1", "Macro-F1", "mean F1 over the binary fields, %"),
    ("rate_gap", "Gap", "predicted minus real positive rate, percentage points (hyper-activity)"),
    ("real_rate", "Real +rate", "how often the real user did it, %"),
    ("pred_rate", "Pred +rate", "how often the model said the user does it, %"),
    ("micro_f1", "Micro-F1", "F1 over all binary questions pooled, %"),
    ("accuracy", "Accuracy", "share of binary questions answered right, %"),
    ("watch_mae", "Watch MAE", "mean absolute error of the watch seconds"),
    ("nmae", "NMAE", "MAE normalised by the video length, % (video only)"),
    ("judge", "Judge", "mean LLM-judge score 1-10 of the customer-service messages"),
    ("events", "Events", "test events of this scenario"),
    ("questions", "Answers", "questions answered (parse ok)"),
    ("failures", "Failures", "answers that could not be parsed"),
)


@dataclass(frozen=True)
class MatrixRow:
    """One row of the matrix: a model and a scenario with their metric values (None: undefined)."""

    model: str
    scenario: str
    values: dict[str, float | int | None]


def _label(r: Mapping[str, Any]) -> int | None:
    v = r.get("predicted_label")
    try:
        return None if v is None else int(v)
    except (TypeError, ValueError):
        return None


def metric_matrix(rows: Sequence[Mapping[str, Any]],
                  judge: Sequence[Mapping[str, Any]] = ()) -> list[MatrixRow]:
    """One row per (model, scenario) in first-seen order."""
    from workbench.evaluate.batch import records_from_rows

    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[(str(r["model"]), str(r.get("scenario", "")))].append(r)
    judged = {(str(j["model"]), str(j["user_id"]), int(j["event_index"])): j for j in judge
              if j.get("scores")}
    out = []
    for (model, scen), rs in groups.items():
        recs = records_from_rows(rs, judge=[j for k, j in judged.items() if k[0] == model])[model]
        raw = M.compute_metrics(recs, model)
        ok = [r for r in rs if r.get("parse_ok")]
        binary = [r for r in ok if r.get("kind") == "binary" and _label(r) is not None]
        values: dict[str, float | int | None] = {
            "events": len({(r["user_id"], r["event_index"]) for r in rs}),
            "questions": len(ok),
            "failures": len(rs) - len(ok),
        }
        if raw["binary_metrics"]:
            f1s = [m["F1"] for m in raw["binary_metrics"].values()]
            values["macro_f1"] = 100 * raw["overall"]["Macro_F1"] if f1s else None
            values["micro_f1"] = 100 * raw["overall"]["Micro_F1"]
            n = len(binary)
            real = sum(int(float(r["true_value"])) for r in binary) / n if n else None
            pred = sum(_label(r) or 0 for r in binary) / n if n else None
            values["accuracy"] = (100 * sum(1 for r in binary if int(float(r["true_value"])) == _label(r)) / n
                                  if n else None)
            values["real_rate"] = None if real is None else 100 * real
            values["pred_rate"] = None if pred is None else 100 * pred
            values["rate_gap"] = None if real is None or pred is None else 100 * (pred - real)
        cont = raw["continuous_metrics"]
        if cont:
            maes = [m["MAE"] for m in cont.values()]
            values["watch_mae"] = sum(maes) / len(maes)
            nm = [m["NMAE"] for m in cont.values() if "NMAE" in m]
            values["nmae"] = nm[0] if nm else None
        if raw["llm_judge_metrics"]:
            values["judge"] = raw["llm_judge_metrics"].get("average_score")
        out.append(MatrixRow(model, scen, {k: values.get(k) for k, _, _ in COLUMNS}))
    return out


def cases_for(rows: Sequence[Mapping[str, Any]], model: str, scenario: str,
              metric: str) -> list[Mapping[str, Any]]:
    """The prediction rows behind one cell, most informative first."""
    rs = [r for r in rows if str(r["model"]) == model and str(r.get("scenario", "")) == scenario]
    if metric == "failures":
        return [r for r in rs if not r.get("parse_ok")]
    ok = [r for r in rs if r.get("parse_ok")]
    if metric in ("macro_f1", "micro_f1", "accuracy", "real_rate", "pred_rate", "rate_gap"):
        b = [r for r in ok if r.get("kind") == "binary"]

        def wrong(r: Mapping[str, Any]) -> int:
            try:
                return 0 if int(float(r["true_value"])) != _label(r) else 1
            except (TypeError, ValueError):
                return 1
        if metric == "rate_gap" or metric == "pred_rate":
            return sorted(b, key=lambda r: (-(_label(r) or 0), wrong(r)))
        if metric == "real_rate":
            return sorted(b, key=lambda r: (-int(float(r["true_value"] or 0)), wrong(r)))
        return sorted(b, key=wrong)
    if metric in ("watch_mae", "nmae"):
        c = [r for r in ok if r.get("kind") == "continuous"]

        def err(r: Mapping[str, Any]) -> float:
            try:
                return -abs(float(r["true_value"]) - float(r["predicted_value"]))
            except (TypeError, ValueError):
                return 0.0
        return sorted(c, key=err)
    if metric == "judge":
        return [r for r in ok if r.get("field") == "next_user_message"]
    return list(ok)
