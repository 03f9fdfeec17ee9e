"""The simulators' biases, real against each model. Layer: evaluate (pure, numpy only).

The OmniBehavior paper names these biases (hyper-activity, utopian dialogue, persona
homogenisation, loss of long-tail behaviour) but its code implements none of them (docs/benchmark.md#bias-analyses),
so every formula below is our choice, stated here with the reason.

Input is the batch's prediction rows (``predictions.jsonl``: one dict per question and model with
``user_id, event_index, scenario, field, kind, true_value, predicted_value, predicted_label,
model, parse_ok``). "Real" behaviour is the ground truth of the same questions. Only rows with
``parse_ok`` count for a model (failed answers are left out, as the metrics do). Every analysis
returns plain dataclasses holding numbers and lists ready for plotting (``to_dict()`` gives JSON).

(a) Hyper-activity, :func:`hyperactivity`. Per model and binary field, on the questions that model
    answered: ``real_rate`` = mean ground truth, ``predicted_rate`` = mean predicted label,
    ``gap = predicted_rate - real_rate`` and ``ratio = predicted_rate / real_rate`` (None when the
    real rate is 0). ``mean_gap`` is the unweighted mean of the field gaps (every field counts the
    same, like Macro-F1). A positive gap = the simulator acts more than people do.

(b) Utopian tendency, :func:`utopian_tendency`. For every ``next_user_message`` question, the real
    turn and each model's turn are scored with the lexicons in ``resources/lexicons`` (see their
    README for the matching rules): per message the counts of politeness, hedging and complaint
    markers, sentiment ``(pos - neg) / (pos + neg)`` (0 with no sentiment word), and the matched
    spans. Per source we report the share of messages with at least one marker of each kind, the
    mean markers per message and per 100 tokens, and the mean sentiment. Shares are used (not raw
    counts) because messages are short and most carry zero or one marker.

(c) Persona homogenisation, :func:`homogenisation`. Each user's sampled events are split, in file
    (time) order, into ``n_windows`` contiguous chunks of (nearly) equal size. Per chunk we build a
    behaviour vector in three blocks: action rates (mean label per binary field), watch time
    (25/50/75 % quantiles of ``log1p(seconds)`` over the continuous watch fields, divided by
    ``log1p(3600)`` so that one hour = 1), and scenario mix (share of each scenario). Rates and
    shares are in [0, 1], so no further scaling. Distance between two vectors = root mean square
    difference over the components both vectors have (a field absent from a chunk is missing, not
    0), i.e. Euclidean distance normalised by the number of shared dimensions so that chunks with
    different scenario mixes stay comparable. Intra-user distance = mean distance between a user's
    own chunks; inter-user distance = mean distance between chunks of different users. Ratio =
    mean intra / mean inter: low for distinct stable personas, near 1 when users are
    interchangeable. If every vector is identical (inter = 0) the ratio is 1 (nothing
    distinguishes the users). Real and simulated vectors use the same events and the same chunks,
    so the scenario block is shared; only behaviour differs.

(d) Interest drift, :func:`interest_drift`. Per chunk (as in (c)) the user's interest set = the
    categories (item category levels, live category, ad industry, search query category, service
    ticket category) and keywords (search keyword, ``#hashtags`` of captions) of the events the user
    *engaged with*: real = any positive binary ground truth, or a search event (its keyword);
    simulated = any positive predicted label, and the predicted ``search_keyword``. Drift between
    consecutive chunks = ``1 - |A & B| / |A | B|`` (0 when both are empty); per user the mean over
    consecutive pairs; per source the mean over users. Needs the raw events.

(e) Long-tail loss, :func:`long_tail`. A binary field is *rare* when its real positive rate (over
    all sampled questions) is below ``rare_threshold`` (default 0.1) but above 0. Per model and
    field: real and predicted positive counts and rates, and ``recall`` on the rare positives. The
    summary ``tail_share`` = share of all positive actions that fall on rare fields, real vs
    predicted; a simulator that collapses onto common actions has a smaller predicted tail share.

(a) and (e) live here; (b) in :mod:`workbench.evaluate.tone`, (c) and (d) in
:mod:`workbench.evaluate.personas`, the row readers they share in :mod:`workbench.evaluate.bias_rows`.
Every name stays importable from this module.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from workbench.evaluate.bias_rows import REAL, JsonMixin, binary_label, finite_float, models_in, ok_rows, truth_by_question
from workbench.evaluate.personas import Homogenisation, InterestDrift, event_interests, homogenisation, interest_drift
from workbench.evaluate.tone import (
    LEXICON_CATEGORIES, MessageAnalysis, ToneSummary, UtopianTendency, analyze_message, lexicons, utopian_tendency,
)

__all__ = [
    "LEXICON_CATEGORIES", "lexicons", "analyze_message", "MessageAnalysis",
    "FieldRate", "HyperActivity", "hyperactivity", "ToneSummary", "UtopianTendency",
    "utopian_tendency", "Homogenisation", "homogenisation", "InterestDrift", "interest_drift",
    "LongTail", "long_tail", "all_biases", "REAL", "event_interests",
]



@dataclass
class FieldRate(JsonMixin):
    """One binary field's rates for one model: real and predicted positive rate (0-1), gap and ratio."""

    field: str
    n: int
    real_rate: float
    predicted_rate: float
    gap: float
    ratio: float | None


@dataclass
class HyperActivity(JsonMixin):
    """Hyper-activity per model: per-field rates and the mean gap (see the module docstring, (a))."""

    fields: dict[str, list[FieldRate]]          # model -> per-field rates
    mean_gap: dict[str, float | None]           # model -> unweighted mean gap over fields
    continuous: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    # model -> field -> {"mean_true", "mean_pred", "n"}


def hyperactivity(rows: Sequence[Mapping[str, Any]]) -> HyperActivity:
    """Hyper-activity of each model on the batch's prediction rows (module docstring, (a))."""
    ok = ok_rows(rows)
    per: dict[str, dict[str, list[tuple[int, int]]]] = defaultdict(lambda: defaultdict(list))
    cont: dict[str, dict[str, list[tuple[float, float]]]] = defaultdict(lambda: defaultdict(list))
    for r in ok:
        if r.get("kind") == "binary":
            lab = binary_label(r)
            t = finite_float(r.get("true_value"))
            if lab is None or t is None:
                continue
            per[str(r["model"])][str(r["field"])].append((int(t), lab))
        elif r.get("kind") == "continuous":
            t, p = finite_float(r.get("true_value")), finite_float(r.get("predicted_value"))
            if t is None or p is None:
                continue
            cont[str(r["model"])][str(r["field"])].append((t, p))
    fields: dict[str, list[FieldRate]] = {}
    mean_gap: dict[str, float | None] = {}
    for model in models_in(ok):
        rates = []
        for f in sorted(per.get(model, {})):
            pairs = per[model][f]
            real = sum(t for t, _ in pairs) / len(pairs)
            pred = sum(p for _, p in pairs) / len(pairs)
            rates.append(FieldRate(f, len(pairs), real, pred, pred - real,
                                   pred / real if real > 0 else None))
        fields[model] = rates
        mean_gap[model] = float(np.mean([x.gap for x in rates])) if rates else None
    continuous = {m: {f: {"n": len(v), "mean_true": float(np.mean([a for a, _ in v])),
                          "mean_pred": float(np.mean([b for _, b in v]))}
                      for f, v in sorted(d.items())} for m, d in cont.items()}
    return HyperActivity(fields, mean_gap, continuous)




@dataclass
class TailField(JsonMixin):
    """One rare binary field for one model: questions, real and predicted positives and rates (0-1),
    recall on the real positives (None without any)."""

    field: str
    n: int
    real_count: int
    predicted_count: int
    real_rate: float
    predicted_rate: float
    recall: float | None


@dataclass
class LongTail(JsonMixin):
    """Long-tail loss: the rare fields (real positive rate below ``rare_threshold``), per model their
    counts, rates and recall, and the tail shares (module docstring, (e))."""

    rare_threshold: float
    rare_fields: list[str]
    fields: dict[str, list[TailField]]          # model -> rare fields
    tail_share_real: dict[str, float | None]    # model -> share of real positives on rare fields
    tail_share_predicted: dict[str, float | None]


def long_tail(rows: Sequence[Mapping[str, Any]], rare_threshold: float = 0.1) -> LongTail:
    """Long-tail loss of each model on the batch's rows (module docstring, (e))."""
    truth = truth_by_question(rows)
    real_by_field: dict[str, list[int]] = defaultdict(list)
    for (_u, _e, f), r in truth.items():
        if r.get("kind") == "binary" and (t := finite_float(r.get("true_value"))) is not None:
            real_by_field[f].append(int(t))
    rare = sorted(f for f, v in real_by_field.items() if 0 < np.mean(v) < rare_threshold)
    ok = ok_rows(rows)
    fields: dict[str, list[TailField]] = {}
    share_real: dict[str, float | None] = {}
    share_pred: dict[str, float | None] = {}
    for model in models_in(ok):
        pairs: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for r in ok:
            if str(r["model"]) != model or r.get("kind") != "binary":
                continue
            lab, t = binary_label(r), finite_float(r.get("true_value"))
            if lab is not None and t is not None:
                pairs[str(r["field"])].append((int(t), lab))
        rows_out = []
        for f in rare:
            p = pairs.get(f, [])
            if not p:
                continue
            rc = sum(t for t, _ in p)
            pc = sum(x for _, x in p)
            tp = sum(1 for t, x in p if t == 1 and x == 1)
            rows_out.append(TailField(f, len(p), rc, pc, rc / len(p), pc / len(p),
                                      tp / rc if rc else None))
        fields[model] = rows_out
        tot_r = sum(t for v in pairs.values() for t, _ in v)
        tot_p = sum(x for v in pairs.values() for _, x in v)
        tail_r = sum(t for f in rare for t, _ in pairs.get(f, []))
        tail_p = sum(x for f in rare for _, x in pairs.get(f, []))
        share_real[model] = tail_r / tot_r if tot_r else None
        share_pred[model] = tail_p / tot_p if tot_p else None
    return LongTail(rare_threshold, rare, fields, share_real, share_pred)


# -- all --------------------------------------------------------------------------------------------

def all_biases(rows: Sequence[Mapping[str, Any]],
               events: Mapping[tuple[str, int], Mapping[str, Any]] | None = None,
               n_windows: int = 2, *, include_messages: bool = True) -> dict[str, Any]:
    """Every analysis as one JSON-ready dict (the ``biases`` section of report.json)."""
    ut = utopian_tendency(rows)
    ut_d = ut.to_dict()
    if not include_messages:
        ut_d.pop("messages", None)
    out = {
        "hyperactivity": hyperactivity(rows).to_dict(),
        "utopian_tendency": ut_d,
        "homogenisation": homogenisation(rows, n_windows).to_dict(),
        "long_tail": long_tail(rows).to_dict(),
    }
    if events is not None:
        out["interest_drift"] = interest_drift(rows, events, n_windows).to_dict()
    return out
