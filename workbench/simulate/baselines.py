"""Baselines without an LLM. Layer: simulate (pure; no Qt).

* ``baseline:user``: the user's own historical rate per field, computed from the history events'
  own ground truth (``questions_for_event`` on each history event): mean for binary fields
  (probability; label = rate >= 0.5), median for continuous fields (watch seconds), the most frequent
  value for text fields.
* ``baseline:population``: the same statistics over all users' events given to ``BaselineStats``.

Events failing the evaluation filter are left out, as in the benchmark's history.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from typing import Any, Iterable, Sequence

from workbench.simulate.filters import is_filtered
from workbench.simulate.questions import questions_for_event
from workbench.simulate.types import Prediction, Question

BASELINE_USER = "baseline:user"
BASELINE_POPULATION = "baseline:population"
BASELINES = (BASELINE_USER, BASELINE_POPULATION)


def field_values(events: Iterable[dict[str, Any]]) -> dict[str, list[Any]]:
    """field -> list of ground-truth values over the (unfiltered) events."""
    values: dict[str, list[Any]] = defaultdict(list)
    for ev in events:
        if not isinstance(ev, dict) or is_filtered(ev):
            continue
        for q in questions_for_event(ev):
            values[q.field].append(q.true_value)
    return values


def _stat(kind: str, vals: Sequence[Any]) -> tuple[Any, Any]:
    if kind == "binary":
        rate = sum(float(v) for v in vals) / len(vals)
        return rate, int(rate >= 0.5)
    if kind == "continuous":
        med = float(statistics.median(float(v) for v in vals))
        return med, med
    value = Counter(str(v) for v in vals).most_common(1)[0][0]
    return value, value


class BaselineStats:
    """Population statistics over many users' events; user statistics from a given history."""

    def __init__(self, population_events: Iterable[dict[str, Any]] = ()) -> None:
        self.population = field_values(population_events)
        self._stats: dict[tuple[str, str], tuple[Any, Any]] = {}   # (field, kind) -> whole-population stat

    @classmethod
    def from_users(cls, users_events: Iterable[Iterable[dict[str, Any]]]) -> "BaselineStats":
        """Population statistics over every event of every user given."""
        return cls(ev for events in users_events for ev in events)

    @classmethod
    def from_values(cls, values: dict[str, list[Any]]) -> "BaselineStats":
        """Population statistics over ground-truth values already gathered (``field -> values``,
        as :func:`field_values` gives them)."""
        stats = cls()
        stats.population.update(values)
        return stats

    def population_count(self, field: str) -> int:
        """How many population events carry ``field``."""
        return len(self.population.get(field, ()))

    def predict(self, model: str, questions: Sequence[Question],
                history_events: Iterable[dict[str, Any]] = (),
                exclude: Sequence[Question] = ()) -> list[Prediction]:
        """Predictions of ``baseline:user`` or ``baseline:population`` for these questions.

        ``exclude``: the target's own questions; for the population baseline one occurrence of each
        of their true values is taken out, so the target never counts towards its own prediction."""
        if model == BASELINE_USER:
            values, whose = field_values(history_events), "the user's history"
        elif model == BASELINE_POPULATION and not exclude:
            return [self._population_prediction(q) for q in questions]
        elif model == BASELINE_POPULATION:
            values, whose = self.population, "the population"
            if exclude:
                values = dict(values)
                for q in exclude:
                    vals = list(values.get(q.field, []))
                    if q.true_value in vals:
                        vals.remove(q.true_value)
                        values[q.field] = vals
        else:
            raise ValueError(f"unknown baseline {model!r}: use {' or '.join(BASELINES)}")
        return [baseline_prediction(model, q, values.get(q.field, []), whose) for q in questions]


    def _population_prediction(self, question: Question) -> Prediction:
        """``baseline:population`` for one question over the whole population, each field's
        statistic computed once (the population does not change)."""
        vals = self.population.get(question.field, [])
        if not vals:
            return baseline_prediction(BASELINE_POPULATION, question, vals, "the population")
        key = (question.field, question.kind)
        stat = self._stats.get(key)
        if stat is None:
            stat = self._stats[key] = _stat(question.kind, vals)
        return stat_prediction(BASELINE_POPULATION, question, stat[0], stat[1], len(vals))


def baseline_prediction(model: str, question: Question, vals: Sequence[Any], whose: str) -> Prediction:
    """A baseline's prediction for one question from the field's observed values ``vals`` (a failed
    prediction naming ``whose`` data when there are none)."""
    if not vals:
        return no_values_prediction(model, question, whose)
    value, label = _stat(question.kind, vals)
    return stat_prediction(model, question, value, label, len(vals))


def no_values_prediction(model: str, question: Question, whose: str) -> Prediction:
    """The failed baseline prediction when ``whose`` data has no value of the question's field."""
    return Prediction(model=model, field=question.field, predicted_value=None, predicted_label=None,
                      raw_output="", parse_ok=False, prediction_method="baseline",
                      error=f"{whose} has no events with field {question.field}", cost=0.0,
                      error_kind="no_history")


def stat_prediction(model: str, question: Question, value: Any, label: Any, n: int) -> Prediction:
    """A baseline's prediction from its statistic (``value``, ``label``) over ``n`` observed values."""
    if question.kind == "binary":
        raw = f"rate {value:.3f} over {n} events"
    elif question.kind == "continuous":
        raw = f"median {value:g} over {n} events"
    else:
        raw = f"most frequent of {n} values"
    return Prediction(model=model, field=question.field, predicted_value=value, predicted_label=label,
                      raw_output=raw, parse_ok=True, prediction_method="baseline", cost=0.0)


def user_baseline(questions: Sequence[Question], history_events: Iterable[dict[str, Any]]) -> list[Prediction]:
    """The ``baseline:user`` predictions for ``questions`` from the user's own history."""
    return BaselineStats().predict(BASELINE_USER, questions, history_events)
