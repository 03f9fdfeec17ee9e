"""Users' real behaviour against a run's predictions, user by user. Layer: evaluate (pure).

:func:`user_rates` gives, per model and user, the share of Yes answers to the Yes/No questions
(real = the ground truth of the same questions, predicted = the model's labels) on the questions
that model answered. Across users, :func:`spread` shows persona homogenisation at a glance: real
users differ from one another (a wide spread of rates), simulated users drift to the same rate.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from workbench.evaluate.bias_rows import finite_float

__all__ = ["UserRate", "spread", "user_rates"]


@dataclass(frozen=True)
class UserRate:
    """One user under one model."""

    user_id: str
    model: str
    questions: int            # Yes/No questions answered by the model
    real: float               # share of real Yes, in [0, 1]
    predicted: float          # share of predicted Yes, in [0, 1]

    @property
    def gap(self) -> float:
        """Predicted minus real share (positive: the simulated user acts more)."""
        return self.predicted - self.real


def user_rates(rows: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, UserRate]]:
    """model -> user_id -> :class:`UserRate`, from ``predictions.jsonl`` rows."""
    acc: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    for r in rows:
        if r.get("kind") != "binary" or not r.get("parse_ok"):
            continue
        t = finite_float(r.get("true_value"))
        lab = r.get("predicted_label")
        p = finite_float(lab) if lab is not None else finite_float(r.get("predicted_value"))
        if t is None or p is None:
            continue
        acc[(str(r["model"]), str(r["user_id"]))].append((t, float(p >= 0.5)))
    out: dict[str, dict[str, UserRate]] = defaultdict(dict)
    for (model, user), pairs in acc.items():
        n = len(pairs)
        out[model][user] = UserRate(user, model, n, sum(t for t, _ in pairs) / n,
                                    sum(p for _, p in pairs) / n)
    return dict(out)


def spread(rates: Mapping[str, UserRate]) -> dict[str, float | None]:
    """Standard deviation across users of the real and of the predicted Yes share, and their
    ratio (predicted / real; below 1: the simulated users are more alike than the real ones)."""
    vals = list(rates.values())
    if len(vals) < 2:
        return {"real_sd": None, "predicted_sd": None, "ratio": None}

    def sd(xs: list[float]) -> float:
        m = sum(xs) / len(xs)
        return math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))

    r, p = sd([v.real for v in vals]), sd([v.predicted for v in vals])
    return {"real_sd": r, "predicted_sd": p, "ratio": (p / r) if r > 0 else None}
