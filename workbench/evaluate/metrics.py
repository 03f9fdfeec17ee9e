"""The benchmark's metrics and overall score (docs/benchmark.md#metrics). Layer: evaluate (pure, numpy only).

Input is a list of per-event *records* in the reference layout (docs/benchmark.md#record-layout), one list per model::

    {"filtered": bool, "success": bool,            # success = at least one question succeeded
     "questions": [ {"field", "type", "true_value", "predicted_value", "predicted_label",
                     "prediction_method", "retry_count", "video_duration"} ],   # successful ones
     "failed_questions": [ {"field", "retry_count", ...} ],
     "llm_judge_scores": {...}, "llm_judge_avg_score": float}                   # when judged

:func:`compute_metrics` returns the raw report (``binary_metrics``, ``continuous_metrics``,
``llm_judge_metrics``, ``final_score``, ``score_summary``, ``overall``) with the benchmark's key
names; :func:`format_report` applies the report's rounding (x100 for 0-1 rates, 2 decimals, NaN/Inf -> None).

Definitions (sklearn is not used; each formula below is what sklearn computes):

* LogLoss = mean over samples of ``-(y log p + (1-y) log(1-p))`` with ``p`` clipped to
  ``[1e-7, 1-1e-7]`` (sklearn ``log_loss(labels=[0, 1])`` on the positive-class probability).
* AUC = Mann-Whitney statistic with average ranks for ties (equal to ``roc_auc_score``); NaN when
  ``y_true`` has a single class; NaN when a probability is not finite (sklearn raises there).
* ECE: bins from ``np.linspace(0, 1, 11)``, membership ``p > lower & p <= upper`` (p = 0 is in no
  bin), each bin weighted by its count over *all* samples.
* MAE/MSE/RMSE: NaN when any value is NaN or infinite (sklearn rejects such input).

One deliberate difference: the reference appends ``int(true_value)`` before converting the label,
so an unconvertible label leaves the lists misaligned (its ``--skip-model-eval`` path); here a
question whose values do not convert is counted as a parsing failure and contributes nothing.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

__all__ = [
    "SKIPPED_FIELDS", "FINAL_SCORE_BINARY_FIELDS", "SCORE_SUMMARY_COMPONENT_KEYS",
    "JUDGE_KEYS", "binary_field_metrics", "continuous_field_metrics", "micro_macro_f1",
    "log_loss", "roc_auc", "ece", "nmae", "judge_metrics", "final_score_components",
    "score_summary", "compute_metrics", "format_report", "round_floats", "to_percentage",
]

SKIPPED_FIELDS = frozenset({"video_downloaded", "ad_converted"})

FINAL_SCORE_BINARY_FIELDS: dict[str, tuple[str, ...]] = {
    "video_binary_score": ("video_completed", "video_liked", "video_commented", "video_shared",
                           "video_collected", "video_followed"),
    "live_binary_score": ("live_liked", "live_commented", "live_sent_gift", "live_followed",
                          "live_shared", "live_clicked_cart"),
    "ad_binary_score": ("ad_liked", "ad_commented", "ad_activated", "ad_form_submitted"),
    "shop_binary_score": ("shop_added_to_cart", "shop_order_success"),
}

SCORE_SUMMARY_COMPONENT_KEYS: tuple[tuple[str, str], ...] = (
    ("video_binary", "video_binary_score"),
    ("video_continuous", "video_continuous_score"),
    ("live_binary", "live_binary_score"),
    ("ads_binary", "ad_binary_score"),
    ("e_commerce_binary", "shop_binary_score"),
    ("e_commerce_textual", "shop_text_score"),
)

JUDGE_KEYS = ("intent_fidelity", "persona_mimicry", "knowledge_boundary", "semantic_alignment")

NAN = float("nan")


# -- binary -----------------------------------------------------------------------------------------

def log_loss(y_true: Sequence[int], probs: Sequence[float]) -> float:
    """Mean binary cross-entropy of ``probs`` (clipped to 1e-7..1-1e-7) against 0/1 labels; NaN for
    no data, mismatched lengths or a non-finite probability."""
    p = np.clip(np.asarray(probs, dtype=float), 1e-7, 1 - 1e-7)
    y = np.asarray(y_true, dtype=float)
    if len(y) == 0 or len(y) != len(p) or not np.all(np.isfinite(p)):
        return NAN
    losses = -(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))
    return float(np.mean(losses))


def _average_ranks(values: np.ndarray) -> np.ndarray:
    order = np.argsort(values, kind="mergesort")
    sorted_vals = values[order]
    ranks = np.empty(len(values), dtype=float)
    i = 0
    n = len(values)
    while i < n:
        j = i
        while j + 1 < n and sorted_vals[j + 1] == sorted_vals[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return ranks


def roc_auc(y_true: Sequence[int], scores: Sequence[float]) -> float:
    """Area under the ROC curve (ties get average ranks); NaN with a single class or non-finite scores."""
    y = np.asarray(y_true)
    s = np.asarray(scores, dtype=float)
    if len(np.unique(y)) < 2 or not np.all(np.isfinite(s)):
        return NAN
    ranks = _average_ranks(s)
    pos = y == 1
    n_pos = int(pos.sum())
    n_neg = len(y) - n_pos
    u = ranks[pos].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def ece(y_true: Sequence[int], probs: Sequence[float], n_bins: int = 10) -> float:
    """Expected calibration error over ``n_bins`` equal-width bins of (0, 1] (0 for no data)."""
    y = np.asarray(y_true)
    p = np.asarray(probs, dtype=float)
    bounds = np.linspace(0, 1, n_bins + 1)
    total = 0.0
    for i in range(n_bins):
        in_bin = (p > bounds[i]) & (p <= bounds[i + 1])
        if np.sum(in_bin) > 0:
            conf = np.mean(p[in_bin])
            acc = np.mean(y[in_bin])
            total += (np.sum(in_bin) / len(y)) * np.abs(acc - conf)
    return float(total)


def binary_field_metrics(y_true: Sequence[int], labels: Sequence[int],
                         probs: Sequence[float], n_bins: int = 10) -> dict[str, Any]:
    """The binary metrics of one field (F1, accuracy, calibration)."""
    tp = sum(1 for t, p in zip(y_true, labels) if t == 1 and p == 1)
    fp = sum(1 for t, p in zip(y_true, labels) if t == 0 and p == 1)
    fn = sum(1 for t, p in zip(y_true, labels) if t == 1 and p == 0)
    n = len(y_true)
    correct = sum(1 for t, p in zip(y_true, labels) if t == p)
    precision = tp / (tp + fp) if (tp + fp) > 0 else 0.0
    recall = tp / (tp + fn) if (tp + fn) > 0 else 0.0
    f1 = 2 * (precision * recall) / (precision + recall) if precision + recall > 0 else 0.0
    return {
        "Accuracy": correct / n if n > 0 else 0.0,
        "Precision": precision,
        "Recall": recall,
        "F1": f1,
        "LogLoss": log_loss(y_true, probs),
        "AUC": roc_auc(y_true, probs),
        "ECE": ece(y_true, probs, n_bins),
        "sample_count": n,
        "positive_rate": float(np.mean(y_true)) if n else NAN,
        "TP": tp,
        "FP": fp,
        "FN": fn,
    }


def micro_macro_f1(binary_metrics: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Micro and macro F1 over every field except the skipped ones."""
    fields = {k: v for k, v in binary_metrics.items() if k not in SKIPPED_FIELDS}
    if not fields:
        return {"Micro_F1": 0.0, "Macro_F1": 0.0, "Micro_Precision": 0.0, "Micro_Recall": 0.0,
                "Total_TP": 0, "Total_FP": 0, "Total_FN": 0}
    tp = sum(m.get("TP", 0) for m in fields.values())
    fp = sum(m.get("FP", 0) for m in fields.values())
    fn = sum(m.get("FN", 0) for m in fields.values())
    p = tp / (tp + fp) if tp + fp > 0 else 0.0
    r = tp / (tp + fn) if tp + fn > 0 else 0.0
    micro = 2 * p * r / (p + r) if p + r > 0 else 0.0
    f1s = np.nan_to_num(np.array([0.0 if m.get("F1", 0.0) is None else m.get("F1", 0.0)
                                  for m in fields.values()], dtype=float), nan=0.0)
    return {"Micro_F1": micro, "Macro_F1": float(np.mean(f1s)), "Micro_Precision": p,
            "Micro_Recall": r, "Total_TP": tp, "Total_FP": fp, "Total_FN": fn}


# -- continuous -------------------------------------------------------------------------------------

def nmae(y_true: Sequence[float], y_pred: Sequence[float],
         normalizers: Sequence[float | None]) -> float:
    """Mean of ``min(|t - p|, d) / d`` over samples with ``d > 0``, x100; NaN if none."""
    if not (len(y_true) == len(y_pred) == len(normalizers)):
        return NAN
    errs = []
    for t, p, d in zip(y_true, y_pred, normalizers):
        if d is None or d <= 0:
            continue
        errs.append(min(max(abs(t - p), 0), d) / d)
    if not errs:
        return NAN
    return float(np.mean(errs) * 100)


def continuous_field_metrics(y_true: Sequence[float], y_pred: Sequence[float],
                             normalizers: Sequence[float | None] | None = None) -> dict[str, Any]:
    """The continuous metrics of one field; ``NMAE`` only when ``normalizers`` is given (has a value > 0)."""
    t = np.asarray(y_true, dtype=float)
    p = np.asarray(y_pred, dtype=float)
    finite = len(t) > 0 and bool(np.all(np.isfinite(t)) and np.all(np.isfinite(p)))
    mae = float(np.mean(np.abs(p - t))) if finite else NAN
    mse = float(np.mean((t - p) ** 2)) if finite else NAN
    rel, sym = [], []
    for tv, pv in zip(y_true, y_pred):
        top = max(pv, tv)
        rel.append(100.0 if top == 0 else (1 - abs(tv - pv) / top) * 100)
        s = pv + tv
        sym.append(100.0 if s == 0 else (1 - abs(tv - pv) / s) * 100)
    out: dict[str, Any] = {
        "MAE": mae,
        "MSE": mse,
        "RMSE": float(np.sqrt(mse)) if finite else NAN,
        "relative_accuracy": float(np.mean(rel)) if rel else 0.0,
        "symmetry_consistency": float(np.mean(sym)) if sym else 0.0,
        "sample_count": len(y_true),
        "mean_true": float(np.mean(t)) if len(t) else NAN,
        "mean_pred": float(np.mean(p)) if len(p) else NAN,
    }
    if normalizers is not None and len(normalizers) > 0:
        out["NMAE"] = nmae(y_true, y_pred, normalizers)
    return out


# -- judge and score --------------------------------------------------------------------------------

def judge_metrics(records: Iterable[Mapping[str, Any]]) -> dict[str, float]:
    """The judge's scores: per-dimension mean over judged records and the mean of record averages (5 dp)."""
    data: dict[str, list[float]] = {k: [] for k in (*JUDGE_KEYS, "average_score")}
    judged = False
    for r in records:
        if "llm_judge_scores" in r:
            judged = True
            scores = r["llm_judge_scores"]
            for k in JUDGE_KEYS:
                data[k].append(scores.get(k, 0))
            data["average_score"].append(r.get("llm_judge_avg_score", 0))
    if not judged:
        return {}
    return {k: (round(sum(v) / len(v), 5) if v else 0.0) for k, v in data.items()}


def _safe_mean(values: Iterable[Any]) -> float | None:
    good = []
    for v in values:
        if v is None:
            continue
        try:
            v = float(v)
        except (TypeError, ValueError):
            continue
        if math.isnan(v) or math.isinf(v):
            continue
        good.append(v)
    return sum(good) / len(good) if good else None


def _finite_or_none(value: Any) -> float | None:
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) or math.isinf(v) else v


def final_score_components(binary_metrics: Mapping[str, Mapping[str, Any]],
                           continuous_metrics: Mapping[str, Mapping[str, Any]],
                           llm_judge: Mapping[str, Any]) -> dict[str, Any]:
    """The overall score: six components on 0-100 and the overall score (None when any is missing)."""
    components: dict[str, float | None] = {}
    missing: list[str] = []
    for name, fields in FINAL_SCORE_BINARY_FIELDS.items():
        mean_f1 = _safe_mean(binary_metrics[f].get("F1") for f in fields if f in binary_metrics)
        if mean_f1 is None:
            components[name] = None
            missing.append(name)
        else:
            components[name] = mean_f1 * 100
    v = _finite_or_none(continuous_metrics.get("video_watch_seconds", {}).get("NMAE"))
    if v is None:
        components["video_continuous_score"] = None
        missing.append("video_continuous_score")
    else:
        components["video_continuous_score"] = max(0.0, min(100.0, 100.0 - v))
    j = _finite_or_none(llm_judge.get("average_score"))
    if j is None:
        components["shop_text_score"] = None
        missing.append("shop_text_score")
    else:
        components["shop_text_score"] = max(0.0, min(100.0, j * 10))
    final = None if missing else _safe_mean(components.values())
    return {
        "final_score": final,
        "components": components,
        "available_component_count": sum(1 for c in components.values() if c is not None),
        "missing_components": missing,
        "scale": "0-100",
        "notes": {
            "binary_scene_scores": "mean F1 of configured behavior fields, scaled to 0-100",
            "video_continuous_score": "100 - NMAE",
            "shop_text_score": "LLM judge average_score scaled from 1-10 to 0-100",
        },
    }


def score_summary(model: str, final_score: Mapping[str, Any]) -> dict[str, Any]:
    """One row of the score summary: the model and its overall score components (0-100)."""
    comps = final_score.get("components", {})
    row: dict[str, Any] = {"model": model}
    for out_key, comp_key in SCORE_SUMMARY_COMPONENT_KEYS:
        row[out_key] = comps.get(comp_key)
    row["overall_score"] = final_score.get("final_score")
    return row


# -- the whole report -------------------------------------------------------------------------------

@dataclass
class _Pool:
    """One model's answers pooled per field and kind, with the counters of the overall section."""

    binary: dict[str, dict[str, list]] = field(default_factory=dict)
    continuous: dict[str, dict[str, list]] = field(default_factory=dict)
    text: dict[str, dict[str, list]] = field(default_factory=dict)
    success_calls: int = 0
    total_q: int = 0
    failed_parse: int = 0
    filtered: int = 0
    failed_binary: int = 0
    retries: int = 0
    n_logprobs: int = 0
    n_direct: int = 0


def _pool(records: Sequence[Mapping[str, Any]]) -> _Pool:
    """Pool the questions of the unfiltered, successful records (filtered ones are only counted)."""
    p = _Pool()
    for r in records:
        if r.get("filtered", False):
            p.filtered += 1
            continue
        if not r.get("success"):
            continue
        p.success_calls += 1
        p.failed_binary += len(r.get("failed_questions", []) or [])
        for q in r.get("failed_questions", []) or []:
            p.retries += q.get("retry_count", 0) or 0
        for q in r.get("questions", []) or []:
            _add_question(p, q)
    return p


def _add_question(p: _Pool, q: Mapping[str, Any]) -> None:
    """Count one question and add its true and predicted values to its field's lists (an answer
    that cannot be read counts as a parse failure; skipped binary fields are left out)."""
    p.total_q += 1
    field_name, kind = q["field"], q["type"]
    true_val: Any = q.get("true_value")
    pred_val: Any = q.get("predicted_value")
    method = q.get("prediction_method")
    if method == "logprobs":
        p.n_logprobs += 1
    elif method == "direct_mapping":
        p.n_direct += 1
    p.retries += q.get("retry_count", 0) or 0
    if pred_val is None:
        p.failed_parse += 1
        return
    if kind == "binary":
        if field_name in SKIPPED_FIELDS:
            return
        try:
            label = q.get("predicted_label")
            if label is None:
                label = 1 if float(pred_val) >= 0.5 else 0
            values = (int(true_val), int(label), float(pred_val))
        except (TypeError, ValueError):
            p.failed_parse += 1
            return
        d = p.binary.setdefault(field_name, {"y_true": [], "labels": [], "probs": []})
        d["y_true"].append(values[0])
        d["labels"].append(values[1])
        d["probs"].append(values[2])
    elif kind == "continuous":
        try:
            tv, pv = float(true_val), float(pred_val)
        except (TypeError, ValueError):
            p.failed_parse += 1
            return
        norm = q.get("video_duration")
        try:
            norm = None if norm is None else float(norm)
        except (TypeError, ValueError):
            norm = None
        d = p.continuous.setdefault(field_name, {"y_true": [], "y_pred": [], "norm": []})
        d["y_true"].append(tv)
        d["y_pred"].append(pv)
        d["norm"].append(norm)
    elif kind == "text":
        d = p.text.setdefault(field_name, {"references": [], "hypotheses": []})
        d["references"].append(str(true_val))
        d["hypotheses"].append(str(pred_val))


def compute_metrics(records: Sequence[Mapping[str, Any]], model: str = "") -> dict[str, Any]:
    """Every metric and the overall score over one model's per-event records (reference layout, see module docstring)."""
    p = _pool(records)
    binary_metrics = {f: binary_field_metrics(d["y_true"], d["labels"], d["probs"])
                      for f, d in p.binary.items()}
    continuous_metrics = {}
    for f, d in p.continuous.items():
        has_norm = any(n is not None and n > 0 for n in d["norm"])
        continuous_metrics[f] = continuous_field_metrics(d["y_true"], d["y_pred"],
                                                         d["norm"] if has_norm else None)
    mm = micro_macro_f1(binary_metrics)
    valid = len(records) - p.filtered
    overall: dict[str, Any] = {
        "total_predictions": len(records),
        "filtered_samples": p.filtered,
        "valid_samples": valid,
        "successful_api_calls": p.success_calls,
        "api_success_rate": p.success_calls / valid if valid > 0 else 0,
        "total_questions": p.total_q,
        "failed_parsing_questions": p.failed_parse,
        "failed_binary_questions": p.failed_binary,
        "total_retries": p.retries,
        "parsing_success_rate": 1 - (p.failed_parse / p.total_q) if p.total_q else 0,
        "logprobs_predictions": p.n_logprobs,
        "direct_mapping_predictions": p.n_direct,
        **mm,
    }
    judge = judge_metrics(records)
    final = final_score_components(binary_metrics, continuous_metrics, judge)
    summary = score_summary(model, final)
    overall["final_score"] = final["final_score"]
    overall["final_score_available_component_count"] = final["available_component_count"]
    overall["final_score_missing_components"] = final["missing_components"]
    return {"binary_metrics": binary_metrics, "continuous_metrics": continuous_metrics,
            "llm_judge_metrics": judge, "final_score": final, "score_summary": summary,
            "overall": overall, "text_fields": {f: len(d["references"]) for f, d in p.text.items()}}


_PERCENT_KEYS = ("F1", "Precision", "Recall", "AUC", "Accuracy", "ECE", "success_rate",
                 "positive_rate", "Micro_", "Macro_", "R²")
_NOT_PERCENT_KEYS = ("LogLoss", "Loss", "MAE", "MSE", "RMSE", "mean_", "count", "TP", "FP", "FN",
                     "TN", "relative_accuracy", "symmetry_consistency")


def _is_percent_key(key: str) -> bool:
    if any(x in key for x in _NOT_PERCENT_KEYS):
        return False
    return any(x in key for x in _PERCENT_KEYS)


def _percent_dict(d: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, Mapping):
            out[k] = _percent_dict(v)
        elif isinstance(v, (float, np.floating)) and _is_percent_key(k) \
                and not math.isnan(v) and not math.isinf(v) and 0 <= v <= 1:
            out[k] = float(v * 100)
        else:
            out[k] = v
    return out


def to_percentage(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """The report's percentages: x100 in ``overall`` and in each field of ``binary_metrics``/``continuous_metrics``."""
    m = copy.deepcopy(dict(metrics))
    if "overall" in m:
        m["overall"] = _percent_dict(m["overall"])
    for section in ("binary_metrics", "continuous_metrics"):
        if section in m:
            m[section] = {f: _percent_dict(v) for f, v in m[section].items()}
    return m


def round_floats(obj: Any, decimals: int = 2) -> Any:
    """Round floats, NaN/Inf -> None, numpy ints -> int, recursively."""
    if isinstance(obj, (float, np.floating)):
        if math.isnan(obj) or math.isinf(obj):
            return None
        return round(float(obj), decimals)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, Mapping):
        return {k: round_floats(v, decimals) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [round_floats(v, decimals) for v in obj]
    return obj


def format_report(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """The report as the benchmark writes it."""
    return round_floats(to_percentage(metrics), 2)
