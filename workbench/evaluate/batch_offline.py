"""A batch of offline baselines only, user by user. Layer: evaluate (pure + asyncio; no Qt).

When every model of a batch is a baseline (``baseline:user``, ``baseline:population``) and no
prompt is needed (any memory but ``summary``), :func:`workbench.evaluate.batch.run_batch` asks
nothing of a model: each answer is a statistic over ground-truth values. Going through
:func:`workbench.simulate.runner.run_event` per target would rebuild each target's whole history
(every earlier event of the user) for every target, and decoding every user up front holds every
event of the release in memory at once. :func:`prepare_offline` gives the same answers this way:

* one user at a time (off the event loop), its events decoded once and let go afterwards;
* per sampled event in sample order: whether it is filtered, its questions, and ``baseline:user``
  from running statistics that the user's next target extends with the events in between
  (:func:`workbench.simulate.user_history.user_baseline_rolling`: the same values, statistics and
  texts as over the rebuilt history);
* the population's values gathered from each user's history window in the order
  :func:`workbench.evaluate.batch_setup.baseline_stats` gathers them, then ``baseline:population``
  for every target once all users are read.

When the users hold many events and come from the trace cache, a second process prepares the last
users of the sample meanwhile (:mod:`workbench.evaluate.offline_worker`; the same parts).

The batch then records the rows from the plan as it records answers (same rows, same report).
"""

from __future__ import annotations

import asyncio
import gc
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from workbench.evaluate.sampling import Sample, SampledEvent, UserSample, UserTrace, scenario_zh

if TYPE_CHECKING:
    from workbench.simulate.baselines import BaselineStats
    from workbench.simulate.types import Prediction, Question

__all__ = ["OfflineEvent", "OfflinePlan", "offline_only", "prepare_offline"]


@dataclass
class OfflineEvent:
    """One unfiltered sampled event of the plan: its target, Chinese scenario, questions, every
    baseline's predictions (aligned with the questions, in the models' order) or the error that
    stopped them (then no prediction is given)."""

    event: SampledEvent
    target: dict[str, Any]
    scenario: str
    questions: list[Question]
    predictions: dict[str, list[Prediction]] = field(default_factory=dict)
    error: str = ""


@dataclass
class OfflinePlan:
    """Everything a baselines-only batch answers: the events to record (sample order), the filtered
    events ``(user_id, event_index)``, every sampled event's raw dict by ``(user_id, event_index)``
    (what the report reads), the questions to ask (all models) and the statistics used."""

    events: list[OfflineEvent]
    filtered: list[tuple[str, int]]
    targets: dict[tuple[str, int], dict[str, Any]]
    total: int
    stats: BaselineStats


def offline_only(specs: Sequence[Any], memory: str) -> bool:
    """True when a batch of ``specs`` needs neither a model call nor a prompt: only baselines, and
    a memory other than ``summary`` (which renders prompts even for baselines)."""
    return bool(specs) and all(s.is_baseline for s in specs) and memory != "summary"


@dataclass
class _UserPart:
    """What one user gives the plan."""

    events: list[OfflineEvent]
    filtered: list[tuple[str, int]]
    targets: dict[tuple[str, int], dict[str, Any]]
    population: dict[str, list[Any]]


class _Known(Sequence[dict[str, Any]]):
    """A user's events as :class:`~workbench.simulate.user_history.UserTruth` reads them once the
    ground truth of each is known: its length, and the raw dicts of the targets (``{}`` for every
    other event, whose ground truth the truth memo already holds)."""

    def __init__(self, length: int, targets: dict[int, dict[str, Any]]) -> None:
        self._length = length
        self._targets = targets

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, i: Any) -> Any:
        if not isinstance(i, int):
            raise TypeError("only single events are given")
        return self._targets.get(i, {})


def _read_user(u: UserSample, user: UserTrace, truth: Any) -> Sequence[dict[str, Any]]:
    """Every event's ground truth into ``truth`` (decoded a few thousand at a time, so a user of
    100,000 events never has them all decoded at once); returns the events as :class:`_Known`
    (a plain list of events is returned as it is)."""
    events = user.events
    chunks = getattr(events, "decoded_chunks", None)
    if chunks is None:
        return events
    wanted = {e.event_index for e in u.sampled}
    targets: dict[int, dict[str, Any]] = {}
    for indices, evs in chunks():
        for i, ev in zip(indices, evs):
            truth.truth(i, ev)
            if i in wanted:
                targets[i] = ev
    return _Known(len(events), targets)


def _population_values(u: UserSample, events: Sequence[dict[str, Any]], truth: Any) -> dict[str, list[Any]]:
    """The user's share of the population values, as ``baseline_stats`` takes it: the history
    window's events, else (no history window) the events before the first sampled one."""
    if u.base_history_indices:
        indices: Sequence[int] = u.base_history_indices
    elif u.sampled:
        indices = range(min(min(x.event_index for x in u.sampled), len(events)))
    else:
        return {}
    values: dict[str, list[Any]] = {}
    for i in indices:
        for f, v in truth.truth(i, events[i]):
            values.setdefault(f, []).append(v)
    return values


def _error_text(exc: Exception) -> str:
    from workbench.secrets import redact

    return redact(f"{type(exc).__name__}: {exc}")


def prepare_user(u: UserSample, user: UserTrace, models: Sequence[str], population: bool) -> _UserPart:
    """One user's part of the plan (see the module docstring); ``population``: gather its values.
    Also what the second process of :mod:`workbench.evaluate.offline_worker` runs."""
    # a user's decoded events and their ground truth are many objects without cycles, freed
    # together at the end: the cyclic GC would go through all of them again and again meanwhile
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _user_part(u, user, models, population)
    finally:
        if gc_was_enabled:
            gc.enable()


def _user_part(u: UserSample, user: UserTrace, models: Sequence[str], population: bool) -> _UserPart:
    from workbench.simulate.baselines import BASELINE_USER
    from workbench.simulate.filters import is_filtered
    from workbench.simulate.questions import questions_for_event
    from workbench.simulate.user_history import UserTruth, user_baseline_rolling

    truth = UserTruth()
    events = _read_user(u, user, truth)
    part = _UserPart([], [], {}, _population_values(u, events, truth) if population else {})
    for e in u.sampled:
        target = events[e.event_index]
        part.targets[(e.user_id, e.event_index)] = target
        if is_filtered(target):
            part.filtered.append((e.user_id, e.event_index))
            continue
        item = OfflineEvent(e, target, scenario_zh(target), questions_for_event(target))
        part.events.append(item)
        if item.questions and BASELINE_USER in models:
            try:
                item.predictions[BASELINE_USER] = user_baseline_rolling(
                    item.questions, e.history_indices, e.event_index, events, truth)
            except Exception as exc:  # noqa: BLE001 - one bad event must not end the batch
                item.error = _error_text(exc)
    return part


def _adopt(parts: list[_UserPart], users: Sequence[UserSample]) -> None:
    """Make the worker's parts of ``users`` refer to this process's sampled events (each item's
    ``event``), with error texts redacted by this process (which may know more secrets)."""
    from workbench.secrets import redact

    for part, u in zip(parts, users):
        mine = {e.event_index: e for e in u.sampled}
        for item in part.events:
            item.event = mine[item.event.event_index]
            if item.error:
                item.error = redact(item.error)


def _finish_plan(parts: list[_UserPart], models: Sequence[str], stats: BaselineStats) -> OfflinePlan:
    """The plan from every user's part: ``baseline:population`` answered with ``stats``, each
    event's predictions in the models' order."""
    from workbench.simulate.baselines import BASELINE_POPULATION

    plan = OfflinePlan([], [], {}, 0, stats)
    for part in parts:
        plan.filtered.extend(part.filtered)
        plan.targets.update(part.targets)
        for item in part.events:
            plan.events.append(item)
            plan.total += len(item.questions) * len(models)
            if not item.questions or item.error:
                continue
            try:
                got = dict(item.predictions)
                if BASELINE_POPULATION in models:
                    got[BASELINE_POPULATION] = stats.predict(BASELINE_POPULATION, item.questions, ())
                item.predictions = {m: got[m] for m in models}
            except Exception as exc:  # noqa: BLE001 - one bad event must not end the batch
                item.error = _error_text(exc)
    return plan


async def prepare_offline(sample: Sample, by_id: Mapping[str, UserTrace], specs: Sequence[Any],
                          baselines: BaselineStats | None,
                          on_progress: Callable[[int, int], None] | None = None,
                          cancelled: Callable[[], bool] | None = None) -> OfflinePlan:
    """The :class:`OfflinePlan` of a baselines-only batch (see the module docstring): each user
    read off the event loop, ``on_progress(users done, users)`` after each. ``baselines``: the
    statistics to use (None: the population's from the sample's history windows, as
    ``baseline_stats`` computes them). Raises CancelledError when ``cancelled()`` turns true."""
    from workbench.evaluate import offline_worker
    from workbench.simulate.baselines import BASELINE_POPULATION, BaselineStats

    models = [s.model for s in specs]
    gather = baselines is None and BASELINE_POPULATION in models
    users = sample.users

    def progress(done: int) -> None:
        if on_progress is not None:
            on_progress(done, len(users))

    def check() -> None:
        if cancelled is not None and cancelled():
            raise asyncio.CancelledError()

    mine, helper = offline_worker.start(users, by_id, models, gather)
    parts: list[_UserPart] = []
    try:
        for n, u in enumerate(users[:mine]):
            check()
            parts.append(await asyncio.to_thread(prepare_user, u, by_id[u.user_id], models, gather))
            progress(n + 1 + (helper.done if helper is not None else 0))
        if helper is not None:
            while not helper.finished():
                check()
                progress(mine + helper.done)
                await asyncio.sleep(0.1)
            theirs = helper.parts()
            if theirs is None:      # the worker failed: its users are prepared here
                theirs = [await asyncio.to_thread(prepare_user, u, by_id[u.user_id], models, gather)
                          for u in users[mine:]]
            else:
                _adopt(theirs, users[mine:])
            parts.extend(theirs)
            progress(len(users))
    finally:
        if helper is not None:
            helper.close()
    if gather:
        values: dict[str, list[Any]] = {}
        for part in parts:
            for f, vals in part.population.items():
                values.setdefault(f, []).extend(vals)
            part.population = {}
        stats = BaselineStats.from_values(values)
    else:
        stats = baselines if baselines is not None else BaselineStats()
    return await asyncio.to_thread(_finish_plan, parts, models, stats)


def prepare_progress(on_progress: Callable[[Any], None] | None, t0: float) -> Callable[[int, int], None] | None:
    """``on_progress`` of :func:`prepare_offline` as a batch's progress (phase ``prepare``, users
    read of all users)."""
    if on_progress is None:
        return None
    from workbench.evaluate.batch import BatchProgress

    def report(done: int, total: int) -> None:
        el = time.monotonic() - t0
        rate = done / el if el > 0 else 0.0
        on_progress(BatchProgress(done, total, el, rate, (total - done) / rate if rate > 0 else None,
                                  0.0, 0, 0, "prepare"))

    return report
