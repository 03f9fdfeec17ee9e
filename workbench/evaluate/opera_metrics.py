"""Metrics of the OPeRA next-action task, per model. Layer: evaluate (pure; no Qt).

From prediction rows (one per model and target action: ``true`` and ``predicted`` action dicts,
``session_id``, ``parse_ok``) :func:`opera_metrics` computes the four figures of the web-shopping
studies, in percent:

* ``next_action_accuracy``: exact match of the whole action (:func:`opera_task.exact_match`) over
  all target actions; an unreadable answer counts as wrong;
* ``action_type_macro_f1``: F1 of the action type (click / input / terminate), averaged over the
  types that occur in the truth or the predictions (unweighted);
* ``click_type_weighted_f1``: F1 of the click type over the actions that really are clicks
  (a prediction that is not a click counts as the class ``(not a click)``), averaged with the true
  classes' supports as weights;
* ``session_purchase_f1``: per session, did it end in a purchase (a ``purchase`` click among its
  actions), and did the model predict a purchase click at any of its steps; F1 of the positive
  class over sessions.

Plus ``terminate_rate_true``/``terminate_rate_predicted`` (how often the shopper / the model ends
the session: models that almost never stop are the shopping counterpart of hyper-activity),
``parse_failures`` and counts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from workbench.simulate.opera_task import OperaAction, exact_match

NOT_CLICK = "(not a click)"
NO_ANSWER = "(no answer)"


def _f1(tp: int, fp: int, fn: int) -> float:
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


def per_class_f1(y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, tuple[float, int]]:
    """class -> (F1, support in the truth) over the classes found in either sequence."""
    tp: Counter = Counter()
    fp: Counter = Counter()
    fn: Counter = Counter()
    for t, p in zip(y_true, y_pred):
        if t == p:
            tp[t] += 1
        else:
            fp[p] += 1
            fn[t] += 1
    support = Counter(y_true)
    labels = sorted(set(y_true) | set(y_pred))
    return {c: (_f1(tp[c], fp[c], fn[c]), support[c]) for c in labels}


def macro_f1(y_true: Sequence[str], y_pred: Sequence[str]) -> float | None:
    """Unweighted mean of the per-class F1 scores (None with no classes)."""
    scores = per_class_f1(y_true, y_pred)
    return sum(f for f, _ in scores.values()) / len(scores) if scores else None


def weighted_f1(y_true: Sequence[str], y_pred: Sequence[str]) -> float | None:
    """Per-class F1 weighted by each class's support in the truth (None with no support)."""
    scores = per_class_f1(y_true, y_pred)
    total = sum(s for _, s in scores.values())
    return sum(f * s for f, s in scores.values()) / total if total else None


def binary_f1(y_true: Sequence[bool], y_pred: Sequence[bool]) -> float | None:
    """F1 of the positive class of two boolean sequences (None when there is no data)."""
    if not y_true:
        return None
    tp = sum(1 for t, p in zip(y_true, y_pred) if t and p)
    fp = sum(1 for t, p in zip(y_true, y_pred) if p and not t)
    fn = sum(1 for t, p in zip(y_true, y_pred) if t and not p)
    return _f1(tp, fp, fn)


def _pct(x: float | None) -> float | None:
    return None if x is None else round(100.0 * x, 2)


def opera_metrics(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The figures for one model's rows (see the module docstring)."""
    rows = list(rows)
    trues = [OperaAction.from_dict(r.get("true")) for r in rows]
    preds = [OperaAction.from_dict(r.get("predicted")) if r.get("parse_ok") else OperaAction(None) for r in rows]
    exact = [exact_match(p, t) for p, t in zip(preds, trues)]
    t_types = [t.action_type or "?" for t in trues]
    p_types = [p.action_type or NO_ANSWER for p in preds]
    clicks = [(t.click_type or "?", (p.click_type or "other") if p.action_type == "click"
               else (NOT_CLICK if p.action_type else NO_ANSWER)) for t, p in zip(trues, preds)
              if t.action_type == "click"]
    sessions: dict[str, list[bool]] = defaultdict(lambda: [False, False])
    for r, t, p in zip(rows, trues, preds):
        s = sessions[str(r.get("session_id") or f"{r.get('user_id')}")]
        s[0] = s[0] or (t.action_type == "click" and t.click_type == "purchase")
        s[1] = s[1] or (p.action_type == "click" and p.click_type == "purchase")
    n = len(rows)
    return {
        "actions": n,
        "sessions": len(sessions),
        "next_action_accuracy": _pct(sum(exact) / n) if n else None,
        "action_type_macro_f1": _pct(macro_f1(t_types, p_types)),
        "click_type_weighted_f1": _pct(weighted_f1([c[0] for c in clicks], [c[1] for c in clicks])),
        "session_purchase_f1": _pct(binary_f1([v[0] for v in sessions.values()], [v[1] for v in sessions.values()])),
        "purchase_sessions_true": sum(1 for v in sessions.values() if v[0]),
        "purchase_sessions_predicted": sum(1 for v in sessions.values() if v[1]),
        "terminate_rate_true": _pct(t_types.count("terminate") / n) if n else None,
        "terminate_rate_predicted": _pct(p_types.count("terminate") / n) if n else None,
        "parse_failures": sum(1 for r in rows if not r.get("parse_ok")),
        "action_type_f1": {c: _pct(f) for c, (f, _s) in per_class_f1(t_types, p_types).items()},
    }


def opera_report(rows: Iterable[Mapping[str, Any]], models: Sequence[str] | None = None) -> dict[str, Any]:
    """``{model: opera_metrics(rows of that model)}`` in the given model order."""
    by: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for r in rows:
        by[str(r["model"])].append(r)
    order = list(models) if models is not None else list(by)
    return {m: opera_metrics(by.get(m, [])) for m in order}
