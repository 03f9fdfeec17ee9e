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

__all__ = ["UserTruth", "user_baseline_memo", "user_baseline_rolling"]

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
        self.raw: tuple[int, ...] | None = None    # the rolling history extend_rolling covered last
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
        self.raw = None
        if indices[:done] != self.indices:
            if self.indices[:len(indices)] == indices:
                return False
            self.indices, self.fields, done = [], {}, 0
        self._add(history[done:], done)
        self.indices = indices
        return True

    def _add(self, pairs: Sequence[tuple[int, Any]], pos: int) -> None:
        """Add the ground truth of the history events ``pairs`` at history positions ``pos`` on."""
        fields = self.fields
        for i, ev in pairs:
            for f, v in self.truth(i, ev):
                fs = fields.get(f)
                if fs is None:
                    fs = fields[f] = _Field()
                fs.add(v, pos)
            pos += 1

    def extend_rolling(self, history_indices: Sequence[int], target_index: int,
                       events: Sequence[Any]) -> bool:
        """Cover the history of a target given as a batch gives it (``history_indices``, the
        rolling history of :class:`workbench.evaluate.sampling.SampledEvent`; the history used is
        its events in ascending index order, without the target) when that history only adds, at
        its end, events after the ones covered: the previous target's ``history_indices`` is the
        start of this one and the new indices ascend past the covered ones. Costs only the new
        events; False, changing nothing, otherwise (then :func:`user_baseline_memo` does it)."""
        prev = self.raw if self.raw is not None else (() if not self.indices else None)
        if prev is None or len(history_indices) < len(prev):
            return False
        n = len(prev)
        if tuple(history_indices[:n]) != prev:
            return False
        covered = self.indices
        last = covered[-1] if covered else -1
        pos = bisect.bisect_left(covered, target_index)
        if pos < len(covered) and covered[pos] == target_index:
            return False
        tail = list(history_indices[n:])
        for i in tail:
            if i <= last or i == target_index or not 0 <= i < len(events):
                return False
            last = i
        self._add([(i, events[i]) for i in tail], len(covered))
        covered.extend(tail)
        self.raw = tuple(history_indices)
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


def user_baseline_rolling(questions: Sequence[Question], history_indices: Sequence[int], target_index: int,
                          events: Sequence[dict[str, Any]], truth: UserTruth) -> list[Prediction]:
    """``baseline:user`` for a target of a batch: what :func:`user_baseline_memo` gives for the
    history a batch builds of ``history_indices`` (its events of ``events``, ``events[i]`` the
    event with index ``i``, in ascending index order, each once, the target left out), costing
    only the events added since the user's previous target when its history extends that one
    (:meth:`UserTruth.extend_rolling`); any other history is built and computed as before."""
    with truth.lock:
        if truth.extend_rolling(history_indices, target_index, events):
            return [_from_field(q, truth.fields.get(q.field)) for q in questions]
    n = len(events)
    wanted = sorted(set(history_indices) - {target_index})
    history = [(i, events[i]) for i in wanted if 0 <= i < n]
    predictions = user_baseline_memo(questions, history, truth)
    if len(history) == len(history_indices):    # no repeats, no target, all there: later targets extend it
        with truth.lock:
            if truth.indices == wanted:
                truth.raw = tuple(history_indices)
    return predictions


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
