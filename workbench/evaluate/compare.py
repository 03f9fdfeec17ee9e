"""Compare evaluation runs question by question, with paired statistics. Layer: evaluate (pure).

A *side* is one model's answers in one run directory (``predictions.jsonl`` + ``judge.jsonl``). The
first side is the baseline; every other side is a contender compared with it on the questions
**both** answered (``parse_ok`` on both sides, same user, event and field). Working on the shared
questions is what makes the statistics paired; each run's own report scores it on its own
answered questions, so the two can differ when one side failed questions the other answered.

Per question (:class:`QuestionDiff`): both predictions, the real value, and what changed:
``right→wrong`` / ``wrong→right`` for Yes/No questions, ``better`` / ``worse`` for durations (the
normalised absolute error, as NMAE uses it), ``better`` / ``worse`` for judged dialogue turns (the
judge's average), ``changed`` for other text. ``change`` is the size used for sorting (0 = same).

Per metric (:class:`MetricDiff`): the value on each side, the difference (contender - baseline)
and a paired bootstrap 95% percentile interval: each replicate draws the questions (or, with
``unit="users"``, whole users with all their questions) with replacement and applies the SAME draw
to both sides. Metrics use the benchmark's formulas on the drawn questions: binary F1 per field and
Macro-F1 (x100), NMAE per duration field, the six score components and the overall score (None
when a component has no questions), and the bias measures: hyper-activity (predicted minus real
Yes rate, percentage points, per field and mean over fields), utopian tone of simulated customer
turns (share with politeness / hedging / complaint markers, mean sentiment), rare-action recall
(long tail) and persona homogenisation (intra/inter-user distance ratio; a per-user quantity, so
it is always resampled by user). McNemar's exact test (scipy's binomial test on the discordant
pairs) gives a p-value for each Yes/No field.

A run that asked each question several times (``workbench eval --samples K``) is compared on its
first sample (``sample`` 0), as its report scores it; :attr:`RunData.samples` says how many it has.

The statistics under bootstrap weights live in :mod:`workbench.evaluate.paired_stats`.
Everything here reads files and computes numbers; the CLI (:mod:`workbench.evaluate.compare_cli`)
and the GUI draw the result.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from workbench.evaluate import metrics as M
from workbench.evaluate.bias_rows import binary_label, finite_float   # one reading of values and labels (the biases')
from workbench.evaluate.paired_stats import (
    JUDGE_FIELD, PairedArrays, homogenisation_parts, homogenisation_ratio, mcnemar_exact, metric_group, metric_support,
    metric_values, replicate_weights, tone_columns,
)

__all__ = [
    "CompareError",
    "Comparison",
    "MetricDiff",
    "QuestionDiff",
    "RunData",
    "Side",
    "compare_runs",
    "compare_sides",
    "filter_questions",
    "load_run",
    "mcnemar_exact",
    "sides_for",
]

_RARE_THRESHOLD = 0.1        # as biases.long_tail: a field is rare below a 10% real Yes rate


class CompareError(ValueError):
    """A run that cannot be compared: missing files, unknown model, nothing in common."""


@dataclass(frozen=True)
class RunData:
    """One run directory as read from disk."""

    path: Path
    rows: tuple[dict[str, Any], ...]           # predictions.jsonl, every model, sample 0
    judge: tuple[dict[str, Any], ...]          # judge.jsonl (may be empty)
    settings: dict[str, Any]                   # report.json "settings" (may be empty)
    samples: int = 1                           # samples per question in the file (rows: sample 0)

    @property
    def models(self) -> list[str]:
        """Models in the order they first appear in predictions.jsonl."""
        return list(dict.fromkeys(str(r.get("model")) for r in self.rows if r.get("model")))


@dataclass(frozen=True)
class Side:
    """One model's answers in one run."""

    run: str                                    # the run directory, as given
    model: str
    rows: tuple[dict[str, Any], ...]
    judge: dict[tuple[str, int], float]         # (user, event) -> judge average (1-10)

    @property
    def label(self) -> str:
        """``run:model``, the name used in tables."""
        return f"{self.run}:{self.model}"


@dataclass(frozen=True)
class QuestionDiff:
    """One question answered by both sides."""

    user_id: str
    event_index: int
    scenario: str
    field: str
    kind: str                   # binary | continuous | text
    true_value: Any
    base: Any                   # baseline's prediction (label for Yes/No questions)
    other: Any                  # contender's prediction
    base_correct: bool | None   # Yes/No only
    other_correct: bool | None
    base_error: float | None    # durations: error in [0, 1] (see _rel_error); text: judge average
    other_error: float | None
    flip: str                   # right→wrong | wrong→right | better | worse | changed | same
    change: float               # size of the change, for sorting (0 = nothing changed)


@dataclass(frozen=True)
class MetricDiff:
    """One metric on both sides with a paired bootstrap interval of the difference."""

    name: str
    group: str                  # score | f1 | nmae | bias
    base: float | None
    other: float | None
    diff: float | None          # other - base
    low: float | None           # 2.5th percentile of the bootstrap differences
    high: float | None          # 97.5th percentile
    n: int                      # questions (or users, for homogenisation) it rests on
    p_value: float | None = None   # McNemar exact, Yes/No fields only
    unit: str = "questions"     # what the bootstrap resampled

    @property
    def significant(self) -> bool:
        """True when the 95% interval excludes 0."""
        return self.low is not None and self.high is not None and (self.low > 0 or self.high < 0)


@dataclass
class Comparison:
    """The baseline against one contender."""

    base: str
    other: str
    questions: list[QuestionDiff]
    metrics: list[MetricDiff]
    flips: dict[str, dict[str, int]]          # field -> flip kind -> count
    only_base: int                            # questions answered by the baseline only
    only_other: int
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``workbench compare --json``)."""
        return {"base": self.base, "other": self.other, "settings": self.settings,
                "only_base": self.only_base, "only_other": self.only_other,
                "flips": self.flips,
                "metrics": [{**asdict(m), "significant": m.significant} for m in self.metrics],
                "questions": [asdict(q) for q in self.questions]}


# -- reading runs -----------------------------------------------------------------------------------

def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Rows of a JSONL file; a torn last line (an interrupted run) is skipped, others are errors."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    out = []
    for no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            if no == len(lines):
                continue
            raise CompareError(f"{path}: line {no}: not JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise CompareError(f"{path}: line {no}: expected an object")
        out.append(row)
    return out


def load_run(path: str | Path) -> RunData:
    """Read a run directory written by ``workbench eval`` (or the Evaluation panel).

    Raises :class:`CompareError` when ``path`` is not a directory with a ``predictions.jsonl``.
    """
    p = Path(path)
    pred = p / "predictions.jsonl"
    if not p.is_dir():
        raise CompareError(f"{p}: not a run directory")
    if not pred.is_file():
        raise CompareError(f"{p}: no predictions.jsonl (not a run directory written by workbench eval)")
    rows = _read_jsonl(pred)
    for no, r in enumerate(rows, 1):
        missing = [k for k in ("model", "user_id", "event_index", "field") if k not in r]
        if missing:
            raise CompareError(f"{pred}: row {no}: missing {', '.join(missing)}")
    settings: dict[str, Any] = {}
    rep = p / "report.json"
    if rep.is_file():
        try:
            settings = dict(json.loads(rep.read_text(encoding="utf-8")).get("settings") or {})
        except (json.JSONDecodeError, AttributeError):
            settings = {}
    from workbench.evaluate.resample import first_sample, sample_count

    return RunData(p, tuple(first_sample(rows)), tuple(_read_jsonl(p / "judge.jsonl")), settings,
                   max(1, sample_count(rows)))


def side_of(run: RunData, model: str, name: str | None = None) -> Side:
    """``model``'s answers in ``run`` (named ``name``, default the run's path). Raises
    :class:`CompareError` when the run has no answers of that model."""
    name = str(run.path) if name is None else name
    rows = tuple(r for r in run.rows if str(r.get("model")) == model)
    if not rows:
        raise CompareError(f"{run.path}: no answers of model {model!r} "
                           f"(the run has {', '.join(run.models) or 'no models'})")
    judge = {(str(j["user_id"]), int(j["event_index"])): float(j["average"])
             for j in run.judge if str(j.get("model")) == model and j.get("scores")
             and j.get("average") is not None}
    return Side(name, model, rows, judge)


def sides_for(runs: Sequence[RunData], models: Sequence[str] = (), baseline: str | None = None
              ) -> list[Side]:
    """The sides to compare, baseline first.

    ``models`` restricts each run to those models (default: every model of every run). With one run
    the sides are its models; with several, every (run, model) pair. ``baseline`` picks the
    baseline side by ``run:model`` label, by model, or by run path; default: the first side.
    """
    sides: list[Side] = []
    for run in runs:
        name = str(run.path)
        wanted = list(models) if models else run.models
        for m in wanted:
            if m not in run.models:
                if len(runs) > 1 and models:
                    continue      # a model named for another run
                raise CompareError(f"{run.path}: no answers of model {m!r} "
                                   f"(the run has {', '.join(run.models) or 'no models'})")
            sides.append(side_of(run, m, name))
    if len(sides) < 2:
        raise CompareError("need two sides to compare: give two runs, or a run with two models")
    if baseline:
        pick = [s for s in sides if baseline in (s.label, s.model, s.run)]
        if not pick:
            raise CompareError(f"baseline {baseline!r} is none of: " + ", ".join(s.label for s in sides))
        sides.remove(pick[0])
        sides.insert(0, pick[0])
    return sides


# -- per-question pairing ---------------------------------------------------------------------------

def _key(r: Mapping[str, Any]) -> tuple[str, int, str]:
    return (str(r["user_id"]), int(r["event_index"]), str(r["field"]))


def _usable(r: Mapping[str, Any]) -> bool:
    """Counted by the metrics: answered, parsed, and (for Yes/No, durations) convertible."""
    if not r.get("parse_ok") or r.get("predicted_value") is None:
        return False
    kind = r.get("kind")
    if kind == "binary":
        return str(r["field"]) not in M.SKIPPED_FIELDS and binary_label(r) is not None \
            and finite_float(r.get("true_value")) is not None
    if kind == "continuous":
        return finite_float(r.get("predicted_value")) is not None and finite_float(r.get("true_value")) is not None
    return True


def _norm_error(r: Mapping[str, Any]) -> float | None:
    """A duration's error as NMAE counts it (``min(|t - p|, d) / d`` with the video's length ``d``);
    None when there is no positive normaliser (NMAE leaves such a question out)."""
    d = finite_float(r.get("video_duration"))
    t, p = finite_float(r.get("true_value")), finite_float(r.get("predicted_value"))
    if t is None or p is None or d is None or d <= 0:
        return None
    return min(abs(t - p), d) / d


def _rel_error(r: Mapping[str, Any]) -> float:
    """A duration's error in [0, 1] for ranking changes: the NMAE error where it exists, else
    ``|t - p| / max(t, p, 1)``."""
    e = _norm_error(r)
    if e is not None:
        return e
    t, p = finite_float(r.get("true_value")) or 0.0, finite_float(r.get("predicted_value")) or 0.0
    return abs(t - p) / max(abs(t), abs(p), 1.0)


def _question(a: Mapping[str, Any], b: Mapping[str, Any], ja: float | None, jb: float | None
              ) -> QuestionDiff:
    kind = str(a.get("kind"))
    bc = oc = None
    be = oe = None
    base: Any = a.get("predicted_value")
    other: Any = b.get("predicted_value")
    if kind == "binary":
        t = int(finite_float(a.get("true_value")) or 0)
        base, other = binary_label(a), binary_label(b)
        bc, oc = base == t, other == t
        flip = "same" if bc == oc else ("right→wrong" if bc else "wrong→right")
        change = 0.0 if bc == oc else 1.0
        if base != other and flip == "same":
            flip = "changed"
    elif kind == "continuous":
        be, oe = _rel_error(a), _rel_error(b)
        change = abs(oe - be)
        flip = "same" if change == 0 else ("better" if oe < be else "worse")
    else:
        be, oe = ja, jb
        if ja is not None and jb is not None and ja != jb:
            change = abs(jb - ja)
            flip = "better" if jb > ja else "worse"
        else:
            change = 0.0 if str(base) == str(other) else 0.5
            flip = "same" if change == 0 else "changed"
    return QuestionDiff(str(a["user_id"]), int(a["event_index"]), str(a.get("scenario", "")),
                        str(a["field"]), kind, a.get("true_value"), base, other, bc, oc, be, oe,
                        flip, float(change))


# -- column arrays for the paired statistics (workbench.evaluate.paired_stats) ----------------------

def _nan_if_none(v: float | None) -> float:
    return math.nan if v is None else v


def _arrays(pairs: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]], judges: tuple[Side, Side],
            user_codes: Mapping[str, int]) -> PairedArrays:
    n = len(pairs)
    users = np.fromiter((user_codes[str(a["user_id"])] for a, _ in pairs), dtype=np.int64, count=n)
    fields = np.array([str(a["field"]) for a, _ in pairs], dtype=object)
    kinds = np.array([str(a.get("kind")) for a, _ in pairs], dtype=object)
    truth = np.array([_nan_if_none(finite_float(a.get("true_value")) if a.get("kind") != "text" else None)
                      for a, _ in pairs], dtype=float)
    lab: dict[str, np.ndarray] = {}
    err: dict[str, np.ndarray] = {}
    judge: dict[str, np.ndarray] = {}
    tone: dict[str, dict[str, np.ndarray]] = {}
    for s, (name, side) in enumerate((("a", judges[0]), ("b", judges[1]))):
        rows = [p[s] for p in pairs]
        lab[name] = np.array([(binary_label(r) if r.get("kind") == "binary" else -1) for r in rows],
                             dtype=np.int64)
        err[name] = np.array([_nan_if_none(_norm_error(r) if r.get("kind") == "continuous" else None)
                              for r in rows], dtype=float)
        judge[name] = np.array([side.judge.get((str(r["user_id"]), int(r["event_index"])), math.nan)
                                if r.get("field") == JUDGE_FIELD else math.nan for r in rows], dtype=float)
        tone[name] = tone_columns(rows, kinds, fields)
    return PairedArrays(users, fields, kinds, truth, lab, err, judge, tone)


# -- the comparison ---------------------------------------------------------------------------------

def _finite(x: float) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


def compare_sides(base: Side, other: Side, *, unit: str = "questions", reps: int = 1000,
                  seed: int = 0) -> Comparison:
    """Pair ``other`` with ``base`` question by question and bootstrap every metric difference.

    ``unit`` is ``"questions"`` or ``"users"`` (resample whole users). ``reps`` bootstrap
    replicates (0: no intervals). Raises :class:`CompareError` when no question is answered by both.
    """
    if unit not in ("questions", "users"):
        raise CompareError(f"unit must be 'questions' or 'users', not {unit!r}")
    ra = {_key(r): r for r in base.rows if _usable(r)}
    rb = {_key(r): r for r in other.rows if _usable(r)}
    keys = [k for k in ra if k in rb]
    if not keys:
        raise CompareError(f"{base.label} and {other.label} answered no question in common")
    pairs = [(ra[k], rb[k]) for k in keys]
    differ = [k for k, (a, b) in zip(keys, pairs)
              if json.dumps(a.get("true_value"), default=str) != json.dumps(b.get("true_value"), default=str)]
    if differ:
        u, e, f = differ[0]
        raise CompareError(f"{base.label} and {other.label} disagree on the real value of "
                           f"{len(differ)} questions (first: user {u}, event {e}, field {f}): "
                           "they were not run on the same traces")
    questions = [_question(a, b, base.judge.get(k[:2]) if k[2] == JUDGE_FIELD else None,
                           other.judge.get(k[:2]) if k[2] == JUDGE_FIELD else None)
                 for k, (a, b) in zip(keys, pairs)]
    users = list(dict.fromkeys(k[0] for k in keys))
    codes = {u: i for i, u in enumerate(users)}
    ar = _arrays(pairs, (base, other), codes)
    real_rate: dict[str, list[float]] = defaultdict(list)
    for f, t, k in zip(ar.field, ar.truth, ar.kind):
        if k == "binary":
            real_rate[str(f)].append(t)
    rare = {f for f, v in real_rate.items() if 0 < float(np.mean(v)) < _RARE_THRESHOLD}
    ones = np.ones((1, len(keys)))
    obs_a = metric_values(ones, ar, "a", rare)
    obs_b = metric_values(ones, ar, "b", rare)
    boot: dict[str, list[np.ndarray]] = defaultdict(list)
    rng = np.random.default_rng(seed)
    chunk = max(1, min(reps, 4_000_000 // max(1, len(keys))))
    done = 0
    while done < reps:
        k = min(chunk, reps - done)
        w = replicate_weights(rng, ar, k, unit)
        va, vb = metric_values(w, ar, "a", rare), metric_values(w, ar, "b", rare)
        for name in va:
            boot[name].append(vb[name] - va[name])
        done += k
    flips: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for q in questions:
        flips[q.field][q.flip] += 1
    out: list[MetricDiff] = []
    for name in obs_a:
        a, b = _finite(obs_a[name][0]), _finite(obs_b[name][0])
        lo = hi = None
        if boot.get(name):
            d = np.concatenate(boot[name])
            d = d[np.isfinite(d)]
            if len(d) >= max(20, reps // 2):
                lo, hi = (float(x) for x in np.percentile(d, [2.5, 97.5]))
        p = None
        if name.startswith("F1 "):
            f = name[3:]
            fl = flips.get(f, {})
            p = mcnemar_exact(fl.get("right→wrong", 0), fl.get("wrong→right", 0))
        n = metric_support(name, ar, "a", rare)
        if n == 0 and a is None and b is None:
            continue        # e.g. NMAE of a duration field with no video length: nothing to show
        out.append(MetricDiff(name, metric_group(name), a, b, None if a is None or b is None else b - a,
                              lo, hi, n, p, unit))
    out.append(_homogenisation_diff(base, other, users, reps, seed))
    order = {"score": 0, "f1": 1, "nmae": 2, "bias": 3}
    out.sort(key=lambda m: (order[m.group], m.name != "Overall score", m.name != "Macro F1", m.name))
    questions.sort(key=lambda q: (-q.change, q.user_id, q.event_index, q.field))
    return Comparison(base.label, other.label, questions, out,
                      {f: dict(v) for f, v in sorted(flips.items())},
                      len([k for k in ra if k not in rb]), len([k for k in rb if k not in ra]),
                      {"unit": unit, "replicates": reps, "seed": seed})


def _homogenisation_diff(base: Side, other: Side, users: Sequence[str], reps: int, seed: int
                         ) -> MetricDiff:
    shared = set(users)
    rows_a = [r for r in base.rows if str(r["user_id"]) in shared]
    rows_b = [r for r in other.rows if str(r["user_id"]) in shared]
    pa = homogenisation_parts(rows_a, base.model, users)
    pb = homogenisation_parts(rows_b, other.model, users)
    ones = np.ones((1, len(users)))
    a, b = _finite(homogenisation_ratio(ones, pa)[0]), _finite(homogenisation_ratio(ones, pb)[0])
    lo = hi = None
    if reps and len(users) > 1:
        rng = np.random.default_rng(seed + 1)
        draws = rng.integers(0, len(users), size=(reps, len(users)))
        wu = np.zeros((reps, len(users)))
        np.add.at(wu, (np.arange(reps)[:, None], draws), 1.0)
        d = homogenisation_ratio(wu, pb) - homogenisation_ratio(wu, pa)
        d = d[np.isfinite(d)]
        if len(d) >= max(20, reps // 2):
            lo, hi = (float(x) for x in np.percentile(d, [2.5, 97.5]))
    return MetricDiff("Homogenisation (intra/inter ratio)", "bias", a, b,
                      None if a is None or b is None else b - a, lo, hi, len(users), None, "users")


def compare_runs(paths: Sequence[str | Path], *, models: Sequence[str] = (),
                 baseline: str | None = None, unit: str = "questions", reps: int = 1000,
                 seed: int = 0) -> list[Comparison]:
    """Load runs and compare the baseline side with every contender (see :func:`sides_for`)."""
    runs = [load_run(p) for p in paths]
    sides = sides_for(runs, models, baseline)
    return [compare_sides(sides[0], s, unit=unit, reps=reps, seed=seed) for s in sides[1:]]


def filter_questions(questions: Iterable[QuestionDiff], *, changed_only: bool = False,
                     scenario: str | None = None, field_name: str | None = None,
                     user: str | None = None, sort: str = "change") -> list[QuestionDiff]:
    """The questions matching the filters, sorted by ``"change"`` (largest first) or ``"order"``
    (user, event, field)."""
    out = [q for q in questions
           if (not changed_only or q.change > 0)
           and (scenario is None or q.scenario == scenario)
           and (field_name is None or q.field == field_name)
           and (user is None or q.user_id == user)]
    if sort == "order":
        out.sort(key=lambda q: (q.user_id, q.event_index, q.field))
    else:
        out.sort(key=lambda q: (-q.change, q.user_id, q.event_index, q.field))
    return out
