"""Resampling: the same question asked K times, to tell a stable bias from noise. Layer: evaluate (pure).

A run with ``samples`` K > 1 writes K rows per LLM question (``sample`` 0..K-1; baselines once, as
sample 0). The benchmark's metrics, the report's bias section and ``workbench compare`` use sample 0
only (:func:`first_sample`), so a resampled run scores exactly like a one-sample run. This module adds
what the repeats show (the ``resample`` section of report.json, :func:`resample_summary`):

* ``questions``: per question and model, the distribution of its answers over the samples
  (``{"Yes": 9, "No": 1}``; continuous answers by value, text answers by text), the majority answer
  and its share, and whether the samples disagree (``flipped``);
* ``flip_rate``: per model and field, the share of questions (with at least two answered samples)
  whose samples disagree;
* ``bias_spread`` and ``score_spread``: each numeric bias measure (path as in the ``biases``
  section, parts joined by ``/``) and each model's overall score, macro and micro F1 computed on
  every sample separately, as min / median / max over the samples.
"""

from __future__ import annotations

import statistics
from typing import Any, Iterable, Mapping, Sequence

__all__ = ["first_sample", "sample_count", "answer_label", "resample_summary", "spread"]

_TEXT_KEY = 80     # characters of a text answer that identify it in a distribution


def _sample(row: Mapping[str, Any]) -> int:
    return int(row.get("sample") or 0)


def first_sample(rows: Iterable[Mapping[str, Any]]) -> list[Any]:
    """The rows of sample 0 (every row of a run that asked each question once)."""
    return [r for r in rows if _sample(r) == 0]


def sample_count(rows: Iterable[Mapping[str, Any]]) -> int:
    """How many samples the rows hold (1 for a run without resampling; 0 for no rows)."""
    return max((_sample(r) + 1 for r in rows), default=0)


def answer_label(row: Mapping[str, Any]) -> str | None:
    """The answer of a row as a distribution key: ``Yes``/``No`` for binary questions, the value for
    continuous ones, the (shortened) text for text ones; None when the question was not answered."""
    if not row.get("parse_ok"):
        return None
    kind = row.get("kind")
    if kind == "binary":
        return "Yes" if row.get("predicted_label") in (1, True, "1") else "No"
    value = row.get("predicted_value")
    if kind == "continuous":
        if not isinstance(value, (int, float, str)):
            return str(value)
        try:
            f = float(value)
        except ValueError:
            return str(value)
        return str(int(f)) if f.is_integer() else f"{f:g}"
    return str(value or "").strip()[:_TEXT_KEY]


def spread(values: Sequence[float]) -> dict[str, Any]:
    """``{"min", "median", "max", "samples"}`` of ``values`` (None figures when there are none)."""
    vals = sorted(values)
    if not vals:
        return {"min": None, "median": None, "max": None, "samples": 0}
    return {"min": vals[0], "median": statistics.median(vals), "max": vals[-1], "samples": len(vals)}


def _numeric_leaves(data: Any, prefix: str = "") -> dict[str, float]:
    """Every int/float leaf of nested dicts, keyed by its ``/``-joined path (lists are skipped)."""
    out: dict[str, float] = {}
    if isinstance(data, Mapping):
        for k, v in data.items():
            out.update(_numeric_leaves(v, f"{prefix}/{k}" if prefix else str(k)))
    elif isinstance(data, (int, float)) and not isinstance(data, bool):
        if data == data:                       # NaN: no figure
            out[prefix] = float(data)
    return out


def _questions(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str, int, str], list[Mapping[str, Any]]] = {}
    for r in rows:
        groups.setdefault((str(r["model"]), str(r["user_id"]), int(r["event_index"]), str(r["field"])),
                          []).append(r)
    out = []
    for (model, user, event, fld), rs in groups.items():
        labels = [lab for lab in (answer_label(r) for r in sorted(rs, key=_sample)) if lab is not None]
        counts: dict[str, int] = {}
        for lab in labels:
            counts[lab] = counts.get(lab, 0) + 1
        majority = max(counts.items(), key=lambda kv: kv[1])[0] if counts else None
        out.append({"model": model, "user_id": user, "event_index": event, "field": fld,
                    "kind": rs[0].get("kind"), "true_value": rs[0].get("true_value"),
                    "samples": len(rs), "answered": len(labels),
                    "answers": dict(sorted(counts.items(), key=lambda kv: -kv[1])),
                    "majority": majority,
                    "majority_share": counts[majority] / len(labels) if majority is not None else None,
                    "flipped": len(counts) > 1})
    return out


def _flip_rates(questions: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    rates: dict[str, dict[str, dict[str, Any]]] = {}
    for q in questions:
        if q["answered"] < 2:
            continue
        cell = rates.setdefault(q["model"], {}).setdefault(q["field"], {"questions": 0, "flipped": 0})
        cell["questions"] += 1
        cell["flipped"] += int(q["flipped"])
    for per_field in rates.values():
        for cell in per_field.values():
            cell["rate"] = cell["flipped"] / cell["questions"]
    return rates


def resample_summary(rows: Sequence[Mapping[str, Any]],
                     events: Mapping[tuple[str, int], Mapping[str, Any]] | None = None, *,
                     biases: bool = True, models: Sequence[str] | None = None) -> dict[str, Any]:
    """The ``resample`` section of report.json (see the module docstring) from every sample's rows.
    ``events``: the sampled events, as for the bias analyses; ``biases`` False leaves the bias spread
    out (it runs the analyses once per sample)."""
    from workbench.evaluate import metrics as M
    from workbench.evaluate.batch import records_from_rows

    k = sample_count(rows)
    questions = _questions(rows)
    by_sample: dict[int, list[Mapping[str, Any]]] = {}
    for r in rows:
        by_sample.setdefault(_sample(r), []).append(r)
    # baselines answer once: each sample's analyses see them next to that sample's LLM answers
    once = [r for r in by_sample.get(0, []) if str(r.get("prediction_method")) == "baseline"]
    per_sample = {s: (rs if s == 0 else rs + once) for s, rs in sorted(by_sample.items())}
    scores: dict[str, dict[str, list[float]]] = {}
    bias_values: dict[str, list[float]] = {}
    for rs in per_sample.values():
        for m, recs in records_from_rows(rs, models=models).items():
            if not any(r.get("questions") for r in recs):
                continue
            rep = M.format_report(M.compute_metrics(recs, m))
            figures = {"overall_score": rep["score_summary"].get("overall_score"),
                       "Macro_F1": rep["overall"].get("Macro_F1"), "Micro_F1": rep["overall"].get("Micro_F1")}
            for name, v in figures.items():
                if isinstance(v, (int, float)):
                    scores.setdefault(m, {}).setdefault(name, []).append(float(v))
        if biases:
            from workbench.evaluate.biases import all_biases

            for path, v in _numeric_leaves(all_biases(rs, events, include_messages=False)).items():
                bias_values.setdefault(path, []).append(v)
    return {"samples": k, "questions": questions, "flip_rate": _flip_rates(questions),
            "score_spread": {m: {n: spread(v) for n, v in figs.items()} for m, figs in scores.items()},
            "bias_spread": {p: spread(v) for p, v in sorted(bias_values.items())}}
