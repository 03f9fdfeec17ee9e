"""Reading prediction rows for the bias analyses and run comparisons. Layer: evaluate (pure).

The helpers every analysis in :mod:`workbench.evaluate.biases` shares: which rows count (answered
ones), the ground truth per question, a row's predicted label and a finite float of any value, the
models in order of appearance, and the split of a user's events into contiguous windows. Results
are dataclasses with :class:`JsonMixin`'s ``to_dict()``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import asdict
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

__all__ = ["REAL", "JsonMixin", "to_jsonable", "ok_rows", "truth_by_question", "binary_label",
           "finite_float", "models_in", "chunks", "events_by_user"]

#: The source name of the real users' behaviour (beside each model's name).
REAL = "real"


def to_jsonable(obj: Any) -> Any:
    """``obj`` as plain JSON values: dataclasses and dicts recursively, NaN and inf as None."""
    if hasattr(obj, "__dataclass_fields__"):
        return {k: to_jsonable(v) for k, v in asdict(obj).items()}
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, float) and (math.isnan(obj) or math.isinf(obj)):
        return None
    if isinstance(obj, np.generic):
        return to_jsonable(obj.item())
    return obj


class JsonMixin:
    """Gives a dataclass ``to_dict()``: its fields as JSON-ready values (:func:`to_jsonable`)."""

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON-ready values."""
        return to_jsonable(self)



def ok_rows(rows: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The rows that count for a model: answered (``parse_ok``, default True) and naming a model."""
    return [r for r in rows if r.get("parse_ok", True) and r.get("model")]


def truth_by_question(rows: Iterable[Mapping[str, Any]]) -> dict[tuple[str, int, str], Mapping[str, Any]]:
    """One row per (user, event, field) carrying the ground truth (first seen)."""
    out: dict[tuple[str, int, str], Mapping[str, Any]] = {}
    for r in rows:
        out.setdefault((str(r["user_id"]), int(r["event_index"]), str(r["field"])), r)
    return out


def binary_label(r: Mapping[str, Any]) -> int | None:
    """The row's predicted label (0/1): ``predicted_label``, else ``predicted_value >= 0.5``; None when unreadable."""
    v = r.get("predicted_label")
    if v is None:
        v = r.get("predicted_value")
        if v is None:
            return None
        try:
            return 1 if float(v) >= 0.5 else 0
        except (TypeError, ValueError):
            return None
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def finite_float(v: Any) -> float | None:
    """``v`` as a finite float, or None (not a number, NaN or infinite)."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def models_in(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """The models named in the rows, in order of first appearance."""
    return list(dict.fromkeys(str(r["model"]) for r in rows if r.get("model")))


# -- (a) hyper-activity -----------------------------------------------------------------------------

def chunks(items: Sequence[Any], n: int) -> list[list[Any]]:
    """Split into ``n`` contiguous chunks of nearly equal size (fewer if too few items)."""
    n = max(1, min(n, len(items)))
    if not items:
        return []
    bounds = np.linspace(0, len(items), n + 1).round().astype(int)
    return [list(items[bounds[i]:bounds[i + 1]]) for i in range(n) if bounds[i + 1] > bounds[i]]


def events_by_user(rows: Iterable[Mapping[str, Any]]) -> dict[str, list[int]]:
    """Each user's sampled ``event_index`` values, sorted."""
    ev: dict[str, set[int]] = defaultdict(set)
    for r in rows:
        ev[str(r["user_id"])].add(int(r["event_index"]))
    return {u: sorted(s) for u, s in ev.items()}
