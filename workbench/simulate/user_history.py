"""``baseline:user`` over one user's rolling histories, computed incrementally. Layer: simulate (pure).

A batch asks ~30 targets per user, and target k's history is target k-1's history plus the events
in between. :func:`user_baseline_memo` gives exactly what :meth:`BaselineStats.predict` gives for
``baseline:user`` (the statistics of each field's ground truth over the unfiltered history events,
in history order), but computes each history event's ground truth once per user and, when the new
history extends the previous one, only adds the new events to running statistics:

* binary: the running sum of the values (exact for 0/1 values, which sum without rounding; a
  field with any other value is summed again from its values, as before);
* continuous: the values kept sorted (the median read off the middle, as ``statistics.median``
  does; a field that ever holds a NaN is computed from its values as before);
* text: counts with each value's first position, the most frequent value with ties going to the
  value seen first (as ``Counter.most_common(1)``).

A target asked out of order (its history the start of the one already covered) takes each field's
values up to its own length and computes the statistics from them; any other history starts the
running statistics afresh.
"""

from __future__ import annotations

import bisect
import math
import threading
from operator import itemgetter
from typing import Any, Sequence

from workbench.simulate.baselines import BASELINE_USER, _stat, no_values_prediction, stat_prediction
from workbench.simulate.filters import is_filtered
from workbench.simulate.questions import questions_for_event
from workbench.simulate.types import Prediction, Question

__all__ = ["UserTruth", "user_baseline_memo"]

_WHOSE = "the user's history"


class _Field:
    """One field's values over the history so far, with the running statistic of the kind it is
    asked as (built from the values the first time, then kept up as values are added)."""

    __slots__ = ("values", "positions", "kind", "ones", "exact", "ordered", "nan", "counts", "first", "best")

    def __init__(self) -> None:
        self.values: list[Any] = []
        self.positions: list[int] = []       # each value's event position in the history
        self.kind = ""

    def add(self, v: Any, pos: int) -> None:
        self.values.append(v)
        self.positions.append(pos)
        if self.kind:
            self._update(v)

    def _reset(self, kind: str) -> None:
        self.kind = kind
        self.ones, self.exact = 0.0, True        # binary: the running sum, exact while all are 0 or 1
        self.ordered: list[float] = []           # continuous: the values as floats, sorted
        self.nan = False
        self.counts: dict[str, int] = {}         # text: counts, first positions, the most frequent
        self.first: dict[str, int] = {}
        self.best: str | None = None
        for v in self.values:
            self._update(v)

    def _update(self, v: Any) -> None:
        if self.kind == "binary":
            f = _as_float(v)
            if self.exact and f in (0.0, 1.0):
                self.ones += f
            else:
                self.exact = False
        elif self.kind == "continuous":
            f = _as_float(v)
            if f != f:
                self.nan = True
            elif not self.nan:
                bisect.insort(self.ordered, f)
        else:
            key = str(v)
            c = self.counts.get(key, 0) + 1
            self.counts[key] = c
            if c == 1:
                self.first[key] = len(self.first)
            best = self.best
            if best is None or c > self.counts[best] or (c == self.counts[best]
                                                         and self.first[key] < self.first[best]):
                self.best = key

    def stat(self, kind: str) -> tuple[Any, Any]:
        """What :func:`workbench.simulate.baselines._stat` gives for these values."""
        if kind != self.kind:
            self._reset(kind)
        n = len(self.values)
        if kind == "binary" and self.exact:
            rate = self.ones / n
            return rate, int(rate >= 0.5)
        if kind == "continuous" and not self.nan:
            data, i = self.ordered, n // 2
            med = float(data[i] if n % 2 == 1 else (data[i - 1] + data[i]) / 2)
            return med, med
        if kind not in ("binary", "continuous"):
            return self.best, self.best
        return _stat(kind, self.values)


def _as_float(v: Any) -> float:
    """``float(v)``, NaN for a value that is not a number (its statistic is then computed the
    plain way, which raises as before)."""
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


class UserTruth(dict):
    """Per user: event_index -> that history event's ground truth ``[(field, value)]`` (empty for a
    filtered event), and the running statistics of the longest history asked about so far.
    Thread-safe: a batch builds several of one user's targets at once on worker threads."""

    def __init__(self) -> None:
        super().__init__()
        self.indices: list[int] = []           # the history the running statistics cover, in order
        self.fields: dict[str, _Field] = {}
        self.lock = threading.Lock()

    def truth(self, i: int, ev: Any) -> list[tuple[str, Any]]:
        """The ground truth of history event ``i`` (computed once)."""
        got = self.get(i)
        if got is None:
            got = [] if not isinstance(ev, dict) or is_filtered(ev) else \
                [(q.field, q.true_value) for q in questions_for_event(ev)]
            self[i] = got
        return got

    def advance(self, history: Sequence[tuple[int, Any]]) -> bool:
        """Make the running statistics cover exactly ``history`` when it extends (or starts afresh
        from) what they cover; False, leaving them as they are, for a history that is a part of
        the one they cover (a target asked out of order), which is then computed on its own."""
        indices = list(map(itemgetter(0), history))
        done = len(self.indices)
        if indices[:done] != self.indices:
            if self.indices[:len(indices)] == indices:
                return False
            self.indices, self.fields, done = [], {}, 0
        fields = self.fields
        for pos in range(done, len(history)):
            i, ev = history[pos]
            for f, v in self.truth(i, ev):
                fs = fields.get(f)
                if fs is None:
                    fs = fields[f] = _Field()
                fs.add(v, pos)
        self.indices = indices
        return True

    def prefix_values(self, length: int) -> dict[str, list[Any]]:
        """Each field's values over the first ``length`` events of the covered history."""
        return {f: fs.values[:bisect.bisect_left(fs.positions, length)] for f, fs in self.fields.items()}


def user_baseline_memo(questions: Sequence[Question], history: Sequence[tuple[int, dict[str, Any]]],
                       truth: dict[int, list[tuple[str, Any]]]) -> list[Prediction]:
    """``baseline:user`` exactly as :meth:`BaselineStats.predict` computes it (per-field ground truth
    of the unfiltered history events, in history order). ``truth``: a per-user memo; a
    :class:`UserTruth` also keeps running statistics, so a history that extends the previous one
    costs only its new events; a plain dict memoises each event's ground truth only."""
    if isinstance(truth, UserTruth):
        with truth.lock:
            if truth.advance(history):
                return [_from_field(q, truth.fields.get(q.field)) for q in questions]
            part = truth.prefix_values(len(history))     # a target asked out of order
        return [_from_values(q, part.get(q.field, [])) for q in questions]
    values: dict[str, list[Any]] = {}
    for i, ev in history:
        got = truth.get(i)
        if got is None:
            got = [] if not isinstance(ev, dict) or is_filtered(ev) else \
                [(q.field, q.true_value) for q in questions_for_event(ev)]
            truth[i] = got
        for f, v in got:
            values.setdefault(f, []).append(v)
    return [_from_values(q, values.get(q.field, [])) for q in questions]


def _from_field(q: Question, fs: _Field | None) -> Prediction:
    if fs is None or not fs.values:
        return no_values_prediction(BASELINE_USER, q, _WHOSE)
    value, label = fs.stat(q.kind)
    return stat_prediction(BASELINE_USER, q, value, label, len(fs.values))


def _from_values(q: Question, vals: Sequence[Any]) -> Prediction:
    if not vals:
        return no_values_prediction(BASELINE_USER, q, _WHOSE)
    value, label = _stat(q.kind, vals)
    return stat_prediction(BASELINE_USER, q, value, label, len(vals))
