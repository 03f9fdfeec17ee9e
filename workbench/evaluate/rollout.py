"""Let a simulator live the user's days: open- and closed-loop rollouts. Layer: evaluate (pure +
asyncio; no Qt).

From a start time ``t0`` over a horizon of ``days``, every real event of the user in that span (the
same video, live room, product or ad the platform really showed, at its real time; optionally only
some scenarios, or every Nth event) is a *step*: the model answers the benchmark's questions for
that event (:func:`workbench.simulate.runner.run_event`, the one question-asking path). Two modes:

* **open loop** (the benchmark's way): the history of every step is the user's real events;
* **closed loop**: the history is the real events before ``t0``, then the *simulated* versions of
  the earlier steps: the same events with the model's predicted reactions in place of the real
  ones (:func:`simulated_event`). Real events inside the horizon that are not steps (another
  scenario, skipped by ``every``) are left out of the closed-loop history, since the simulated user
  never reacted to them. Customer-service dialogues stay open loop: the agent's replies are real,
  so the dialogue enters the history as it happened (the step says so).

The result, :class:`Rollout`, holds every step, the simulated trace (OmniBehavior JSON via
:func:`to_omnibehavior`, so every other part of the workbench can open it), and per-day figures of
what compounds (:func:`daily_figures`): the engagement rate per action (hyper-activity), the share
of watch time per scenario, the interest set of the engaged events and its Jaccard drift from the
days before ``t0`` (the paper's interest-drift measure), and the diversity of what is engaged with.

Resumable: answers go through the response cache, so a rerun asks only what is missing. Cancelling
(``task.cancelled``) or reaching the spend cap keeps the finished steps (``Rollout.stopped`` says
why). Unknown prices are counted as zero *and said so* (``Rollout.unknown_cost_calls``).
"""

from __future__ import annotations

import asyncio
import copy
import math
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from workbench.evaluate.biases import event_interests

if TYPE_CHECKING:
    from workbench.tasks import TaskState

__all__ = [
    "CLOSED",
    "OPEN",
    "REAL",
    "DayFigures",
    "Rollout",
    "RolloutError",
    "RolloutStep",
    "daily_figures",
    "parse_time",
    "rollout_steps",
    "run_rollout",
    "simulated_event",
    "to_omnibehavior",
]

REAL, OPEN, CLOSED = "real", "open", "closed"
EXPOSURE_ACTIONS = frozenset({"show", "impression", "exposure"})   # what the platform did, kept as is
_WATCH_FIELDS = {"video_watch_seconds": "Video Browsing", "live_watch_seconds": "Live Streaming",
                 "ad_watch_seconds": "Advertisement"}


class RolloutError(ValueError):
    """Bad rollout settings or a user without events in the horizon."""


def parse_time(text: str) -> datetime:
    """``YYYY-MM-DD``, ``YYYY-MM-DD HH:MM`` or ``YYYY-MM-DD HH:MM:SS`` (also with ``T``).

    Raises :class:`RolloutError` naming the text."""
    s = str(text).strip().replace("T", " ")
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(s, fmt)
        except ValueError:
            continue
    raise RolloutError(f"not a date or time: {text!r} (use YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS])")


def _event_time(ev: Mapping[str, Any]) -> datetime | None:
    try:
        return parse_time(str(ev.get("timestamp", "")))
    except RolloutError:
        return None


# -- simulated events -------------------------------------------------------------------------------

def _label(value: Any) -> int:
    try:
        return int(float(value) >= 0.5)
    except (TypeError, ValueError):
        return 0


def _seconds(value: Any) -> float:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return 0.0
    return max(0.0, f) if math.isfinite(f) else 0.0


def _predicted_actions(scenario: str, answers: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """The actions a simulated user performed, from the answers (field -> value/label); None for a
    scenario the simulator does not act in (dialogues stay as they were)."""
    yes = {f: _label(v) for f, v in answers.items()}
    acts: list[dict[str, Any]] = []
    if scenario == "Video Browsing":
        acts.append({"type": "watch", "play_duration": _seconds(answers.get("video_watch_seconds")),
                     "is_complete_play": bool(yes.get("video_completed"))})
        for f, a in (("video_liked", "like"), ("video_commented", "comment"), ("video_shared", "share"),
                     ("video_collected", "collect"), ("video_followed", "follow")):
            if yes.get(f):
                acts.append({"type": a})
    elif scenario == "Live Streaming":
        acts.append({"type": "watch", "play_duration": _seconds(answers.get("live_watch_seconds"))})
        for f, a in (("live_liked", "like"), ("live_commented", "comment"),
                     ("live_sent_gift", "send_gift"), ("live_followed", "follow"), ("live_shared", "share")):
            if yes.get(f):
                acts.append({"type": a})
        if yes.get("live_clicked_cart"):
            acts.append({"type": "click_cart", "is_click_cart_action": True})
    elif scenario == "Advertisement":
        if "ad_watch_seconds" in answers:
            acts.append({"type": "watch", "watch_seconds": _seconds(answers.get("ad_watch_seconds"))})
        for f, a in (("ad_liked", "like"), ("ad_commented", "comment")):
            if yes.get(f):
                acts.append({"type": a})
        if yes.get("ad_activated"):
            acts.append({"type": "activation", "activation_cnt": 1})
        if yes.get("ad_form_submitted"):
            acts.append({"type": "submit", "form_submit_total_cnt": 1})
    elif scenario == "E-commerce":
        if yes.get("shop_added_to_cart"):
            acts.append({"type": "cart", "is_add_to_cart": True})
        if yes.get("shop_order_success"):
            acts.append({"type": "purchase", "is_pay": True})
    elif scenario == "Search Behavior":
        kw = answers.get("search_keyword")
        if isinstance(kw, str) and kw.strip():
            acts.append({"type": "search", "keyword": kw.strip()})
    else:
        return None
    return acts


def simulated_event(event: Mapping[str, Any], answers: Mapping[str, Any]) -> dict[str, Any]:
    """``event`` with the simulated user's reactions in place of the real ones.

    ``answers``: field -> predicted label (Yes/No questions) or value (durations, text). The context
    and the platform's exposure actions (``show``) are kept; every other real action is replaced.
    The benchmark's questions asked of the result give back the answers (tested). Events the
    simulator does not act in (customer service) are returned unchanged."""
    from workbench.simulate._events import scenario_of

    out = copy.deepcopy(dict(event))
    acts = _predicted_actions(scenario_of(out), answers)
    if acts is None:
        return out
    kept = [a for a in out.get("action", []) if isinstance(a, Mapping) and a.get("type") in EXPOSURE_ACTIONS]
    out["action"] = kept + acts
    return out


# -- steps ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RolloutStep:
    """One real event of the horizon and the model's answers to it."""

    event_index: int
    timestamp: str
    scenario: str
    real: dict[str, Any]              # field -> real value
    predicted: dict[str, Any]         # field -> predicted label (Yes/No) or value; failed: absent
    errors: dict[str, str]            # field -> why the answer failed
    history_event_indices: tuple[int, ...]
    open_loop_only: bool = False      # a dialogue: its history entry stays real in closed loop
    cost: float = 0.0
    unknown_cost: int = 0             # calls whose price litellm does not know (counted as 0)
    cached: int = 0
    samples: int = 1                  # answers per question (K); the step acts on their majority
    distribution: dict[str, dict[str, int]] = field(default_factory=dict)   # field -> answer -> count


def rollout_steps(events: Sequence[tuple[int, Mapping[str, Any]]], t0: datetime, t1: datetime, *,
                  scenarios: Collection[str] | None = None, every: int = 1) -> list[int]:
    """``event_index`` values of the steps: events in ``[t0, t1)`` with questions, not filtered, of
    the chosen scenarios (canonical English names), then every ``every``-th of those."""
    from workbench.simulate._events import scenario_of
    from workbench.simulate.filters import is_filtered
    from workbench.simulate.questions import questions_for_event

    if every < 1:
        raise RolloutError("every must be 1 or more")
    picked = []
    for idx, ev in events:
        t = _event_time(ev)
        if t is None or not (t0 <= t < t1):
            continue
        if scenarios and scenario_of(dict(ev)) not in scenarios:
            continue
        if is_filtered(dict(ev)) or not questions_for_event(dict(ev)):
            continue
        picked.append(idx)
    return picked[::every]


@dataclass
class Rollout:
    """The result of :func:`run_rollout`."""

    user_id: str
    model: str
    mode: str                         # open | closed
    t0: str
    t1: str
    steps: list[RolloutStep]
    planned: int                      # steps in the horizon (len(steps) < planned when stopped)
    settings: dict[str, Any] = field(default_factory=dict)
    stopped: str = ""                 # "" | "cancelled" | "spend cap reached at $X"
    simulated: dict[int, dict[str, Any]] = field(default_factory=dict)   # event_index -> event

    @property
    def cost(self) -> float:
        """USD of the calls made (cached answers and baselines cost 0)."""
        return sum(s.cost for s in self.steps)

    @property
    def unknown_cost_calls(self) -> int:
        """Calls whose price is unknown (counted as $0 in :attr:`cost`)."""
        return sum(s.unknown_cost for s in self.steps)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (without the simulated events; see :func:`to_omnibehavior`)."""
        return {"user_id": self.user_id, "model": self.model, "mode": self.mode, "t0": self.t0,
                "t1": self.t1, "planned": self.planned, "done": len(self.steps),
                "stopped": self.stopped, "cost": self.cost,
                "unknown_cost_calls": self.unknown_cost_calls, "settings": self.settings,
                "steps": [asdict(s) for s in self.steps]}


def _answers(questions: Sequence[Any], samples: Mapping[str, Sequence[Any]]
             ) -> tuple[dict[str, Any], dict[str, str], dict[str, dict[str, int]]]:
    """Per question, what the simulated user does: the majority label of its samples (Yes on a tie)
    for Yes/No, the median for durations, the first sample for text; the failures; and the answer
    distribution over the samples."""
    import statistics

    out: dict[str, Any] = {}
    errors: dict[str, str] = {}
    dist: dict[str, dict[str, int]] = {}
    for q in questions:
        preds = list(samples.get(q.field, ()))
        ok = [p for p in preds if p.parse_ok and p.predicted_value is not None]
        if not ok:
            errors[q.field] = (preds[0].error if preds else "") or "no answer"
            continue
        if q.kind == "binary":
            labels = [_label(p.predicted_label if p.predicted_label is not None else p.predicted_value)
                      for p in ok]
            out[q.field] = int(2 * sum(labels) >= len(labels))
            dist[q.field] = {"Yes": sum(labels), "No": len(labels) - sum(labels)}
        elif q.kind == "continuous":
            vals = [_seconds(p.predicted_value) for p in ok]
            out[q.field] = float(statistics.median(vals))
            if len(vals) > 1:
                dist[q.field] = {f"{v:g}": vals.count(v) for v in sorted(set(vals))}
        else:
            out[q.field] = ok[0].predicted_value
            if len(ok) > 1:
                texts = [str(p.predicted_value) for p in ok]
                dist[q.field] = {t: texts.count(t) for t in dict.fromkeys(texts)}
    return out, errors, dist


async def run_rollout(user_id: str, profile: str, events: Sequence[tuple[int, Mapping[str, Any]]],
                      spec: Any, *, t0: str, days: float, closed_loop: bool = False,
                      scenarios: Collection[str] | None = None, every: int = 1,
                      memory: str = "truncate", max_history_tokens: int = 32000, lang: str = "zh",
                      tokenizer: str = "approx", cache: Any = None, baselines: Any = None,
                      policy: Any = None, concurrency: int = 8, max_cost: float | None = None,
                      samples: int = 1,
                      on_step: Callable[[RolloutStep, int, int], None] | None = None,
                      task: TaskState | None = None) -> Rollout:
    """Roll ``spec`` (a ModelSpec; a baseline works too) over the horizon; see the module docstring.

    ``events``: the user's ``(event_index, raw event)`` in time order. ``on_step(step, done,
    planned)`` after each step. ``samples`` K: each question is asked K times (the cache keeps each
    sample, so a rerun resumes); the simulated user acts on the majority, and each step keeps the
    answer distribution. Raises :class:`RolloutError` for bad settings or an empty horizon."""
    from workbench.simulate.runner import run_event

    events = list(events)
    start, end, steps_idx = _plan(user_id, events, t0, days, samples, scenarios, every)
    position = {idx: k for k, (idx, _) in enumerate(events)}
    real = dict(events)
    mode = CLOSED if closed_loop else OPEN
    result = Rollout(user_id, spec.model, mode, str(start), str(end), [], len(steps_idx),
                     {"scenarios": sorted(scenarios) if scenarios else None, "every": every,
                      "memory": memory, "max_history_tokens": max_history_tokens, "lang": lang,
                      "tokenizer": tokenizer, "max_cost": max_cost, "days": days,
                      "samples": samples})
    sem = asyncio.Semaphore(max(1, concurrency))
    step_set = set(steps_idx)
    before_t0 = [idx for idx, ev in events if (_event_time(ev) or start) < start]

    def history_for(target: int) -> tuple[list[tuple[int, Mapping[str, Any]]], list[int]]:
        if mode == OPEN:
            return events, [i for i, _ in events[:position[target]]]
        done = [s for s in steps_idx if position[s] < position[target]]
        hist = [i for i in before_t0 if position[i] < position[target]] + done
        view = [(i, result.simulated.get(i, real[i]) if i in step_set else real[i]) for i in
                sorted(set(hist) | {target}, key=position.__getitem__)]
        return view, hist

    async def one(target: int) -> RolloutStep:
        view, hist = history_for(target)
        ev = real[target]
        got: dict[str, list[Any]] = {}           # field -> every sample's prediction
        # run_event only reads the events: the mappings are passed as they are
        res = await run_event(profile, cast("list[tuple[int, dict[str, Any]]]", view), target, [spec], history_indices=hist, memory=memory,
                              max_history_tokens=max_history_tokens, lang=lang, cache=cache,
                              baselines=baselines, semaphore=sem, policy=policy, tokenizer=tokenizer,
                              build_in_thread=True, samples=samples,
                              on_answer=lambda a: got.setdefault(a.question.field, []).append(a.prediction))
        step = _step(target, ev, res, got, spec, samples)
        result.simulated[target] = simulated_event(ev, step.predicted)   # the answers the step acts on
        return step

    def stop_reason() -> str:
        if task is not None and getattr(task, "cancelled", False):
            return "cancelled"
        if max_cost is not None and result.cost >= max_cost:
            return f"spend cap reached at ${result.cost:.4f} (cap ${max_cost:.4f})"
        return ""

    def record(step: RolloutStep) -> None:
        result.steps.append(step)
        if on_step is not None:
            on_step(step, len(result.steps), len(steps_idx))

    if mode == CLOSED:
        await _run_in_order(steps_idx, one, stop_reason, record, result)
    else:
        await _run_concurrently(steps_idx, one, stop_reason, record, result, concurrency)
        result.steps.sort(key=lambda s: position[s.event_index])
    return result


def _plan(user_id: str, events: list[tuple[int, Mapping[str, Any]]], t0: str, days: float, samples: int,
          scenarios: Collection[str] | None, every: int) -> tuple[datetime, datetime, list[int]]:
    """The horizon's start and end and the steps in it; raises :class:`RolloutError` for a horizon
    of no days, fewer than one sample or no event to predict."""
    if not (days > 0):
        raise RolloutError("the horizon must be more than 0 days")
    if samples < 1:
        raise RolloutError("samples must be 1 or more")
    start = parse_time(t0)
    end = start + timedelta(days=days)
    steps_idx = rollout_steps(events, start, end, scenarios=scenarios, every=every)
    if not steps_idx:
        raise RolloutError(f"user {user_id}: no event to predict between {start} and {end}"
                           + (f" in {', '.join(sorted(scenarios))}" if scenarios else ""))
    return start, end, steps_idx


def _step(target: int, ev: Mapping[str, Any], res: Any, got: dict[str, list[Any]], spec: Any,
          samples: int) -> RolloutStep:
    """One step from ``run_event``'s result and every sample's prediction per field."""
    from workbench.simulate._events import scenario_of
    from workbench.simulate.questions import questions_for_event

    preds = [p for ps in got.values() for p in ps]
    answers, errors, dist = _answers(res.questions, got)
    scen = scenario_of(dict(ev))
    return RolloutStep(target, str(ev.get("timestamp", "")), scen,
                       {q.field: q.true_value for q in questions_for_event(dict(ev))}, answers,
                       errors, tuple(res.history_event_indices),
                       open_loop_only=scen == "Customer Service",
                       cost=sum(float(p.cost or 0.0) for p in preds if not p.cached),
                       unknown_cost=sum(1 for p in preds if p.cost is None and not p.cached
                                        and not spec.is_baseline),
                       cached=sum(1 for p in preds if p.cached), samples=samples,
                       distribution=dist)


async def _run_in_order(steps_idx: list[int], one: Callable[[int], Awaitable[RolloutStep]],
                        stop_reason: Callable[[], str], record: Callable[[RolloutStep], None],
                        result: Rollout) -> None:
    """Closed loop: each step feeds on the ones before, so strictly one after the other."""
    for target in steps_idx:
        if (why := stop_reason()):
            result.stopped = why
            break
        record(await one(target))


async def _run_concurrently(steps_idx: list[int], one: Callable[[int], Awaitable[RolloutStep]],
                            stop_reason: Callable[[], str], record: Callable[[RolloutStep], None],
                            result: Rollout, concurrency: int) -> None:
    """Open loop: up to ``concurrency`` steps at once (recorded as they finish)."""
    pending = list(steps_idx)
    running: dict[asyncio.Task[RolloutStep], int] = {}
    while pending or running:
        while pending and len(running) < max(1, concurrency) and not stop_reason():
            t = pending.pop(0)
            running[asyncio.ensure_future(one(t))] = t
        if not running:
            result.stopped = stop_reason()
            break
        done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
        for d in done:
            running.pop(d)
            record(d.result())
        if pending and stop_reason():
            result.stopped = stop_reason()
            pending.clear()


# -- what compounds, per day ------------------------------------------------------------------------

@dataclass(frozen=True)
class DayFigures:
    """One day of the horizon for one source (real, open or closed)."""

    day: str                               # YYYY-MM-DD
    source: str
    steps: int
    engagement: float | None               # share of steps with any Yes (dialogue/search excluded)
    rates: dict[str, float]                # Yes/No field -> share of Yes
    time_share: dict[str, float]           # scenario -> share of the day's watch seconds
    interests: int                         # distinct categories/keywords engaged with that day
    drift: float | None                    # Jaccard distance: interests of [t0, end of this day]
                                           # against those of as many days before t0
    diversity: float | None                # Shannon entropy (bits) of the day's engaged categories


def _engaged_interests(ev: Mapping[str, Any], answers: Mapping[str, Any], fields_kind: Mapping[str, str]
                       ) -> set[str]:
    positive = any(fields_kind.get(f) == "binary" and _label(v) == 1 for f, v in answers.items())
    if positive:
        return event_interests(ev)
    kw = answers.get("search_keyword")
    if isinstance(kw, str) and kw.strip():
        return {x for x in event_interests(ev) if x.startswith("cat:")} | {f"kw:{kw.strip().lower()}"}
    return set()


def _entropy(counts: Counter[str]) -> float | None:
    tot = sum(counts.values())
    if not tot:
        return None
    return float(-sum((c / tot) * math.log2(c / tot) for c in counts.values()))


def daily_figures(rollout: Rollout, events: Sequence[tuple[int, Mapping[str, Any]]],
                  source: str) -> list[DayFigures]:
    """Per day of ``rollout``'s horizon, the figures of ``source``: ``"real"`` (the user's real
    answers to the same steps) or the rollout's own mode.

    Drift is the paper's interest-drift measure (Jaccard distance between the interests of two
    consecutive windows) with the windows growing day by day: on day ``d`` of the horizon, the
    interests engaged with from ``t0`` to the end of day ``d`` against the user's real interests
    over as many days before ``t0``. On the last day it compares the whole horizon with the window
    of the same length before it."""
    from workbench.simulate.questions import FIELDS, questions_for_event

    kinds = {f: k for f, (k, _) in FIELDS.items()}
    start, end = parse_time(rollout.t0), parse_time(rollout.t1)
    real = dict(events)
    before: list[tuple[datetime, set[str]]] = []      # the user's real engaged interests before t0
    for _, ev in events:
        t = _event_time(ev)
        if t is not None and start - (end - start) <= t < start:
            got = _engaged_interests(ev, {q.field: q.true_value for q in questions_for_event(dict(ev))},
                                     kinds)
            if got:
                before.append((t, got))
    seen: set[str] = set()
    by_day: dict[str, list[RolloutStep]] = defaultdict(list)
    for s in rollout.steps:
        by_day[s.timestamp[:10]].append(s)
    out = []
    day = start.date()
    while datetime.combine(day, datetime.min.time()) < end:
        key = day.isoformat()
        steps = by_day.get(key, [])
        yes: dict[str, list[int]] = defaultdict(list)
        engaged_steps = []
        watch: dict[str, float] = defaultdict(float)
        interests: set[str] = set()
        cats: Counter[str] = Counter()
        for s in steps:
            answers = s.real if source == REAL else s.predicted
            bins = {f: _label(v) for f, v in answers.items() if kinds.get(f) == "binary"}
            for f, v in bins.items():
                yes[f].append(v)
            if bins:
                engaged_steps.append(int(any(bins.values())))
            for f, scen in _WATCH_FIELDS.items():
                if f in answers:
                    watch[scen] += _seconds(answers[f])
            got = _engaged_interests(real[s.event_index], answers, kinds)
            interests |= got
            cats.update(x for x in got if x.startswith("cat:"))
        total_watch = sum(watch.values())
        seen |= interests
        elapsed = datetime.combine(day, datetime.min.time()) + timedelta(days=1) - start
        base: set[str] = set()
        for t, got in before:
            if t >= start - elapsed:
                base |= got
        union = seen | base
        out.append(DayFigures(
            key, source, len(steps),
            (sum(engaged_steps) / len(engaged_steps)) if engaged_steps else None,
            {f: sum(v) / len(v) for f, v in sorted(yes.items())},
            {s: w / total_watch for s, w in sorted(watch.items())} if total_watch else {},
            len(interests),
            (1.0 - len(seen & base) / len(union)) if union else None,
            _entropy(cats)))
        day += timedelta(days=1)
    return out


def to_omnibehavior(rollout: Rollout, profile: str, events: Sequence[tuple[int, Mapping[str, Any]]],
                    user_id: str | None = None) -> dict[str, Any]:
    """The simulated user as an OmniBehavior JSON document: the real events before ``t0``, then the
    simulated steps (events of the horizon that were not steps are left out, as in the closed-loop
    history). ``user_id`` defaults to ``<user>_sim_<mode>``."""
    start = parse_time(rollout.t0)
    history = [dict(ev) for _, ev in events if (_event_time(ev) or start) < start]
    sims = [rollout.simulated[s.event_index] for s in rollout.steps if s.event_index in rollout.simulated]
    uid = user_id or f"{rollout.user_id}_sim_{rollout.mode}"
    return {uid: {"user_profile": profile, "action_history": history + sims}}
