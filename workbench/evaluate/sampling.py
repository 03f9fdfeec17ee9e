"""Benchmark test-sample construction (docs/benchmark.md#test-samples) and custom samples. Layer: evaluate (pure).

What the benchmark's ``prepare_experiment_data`` does, re-implemented so that the sampled test events
are the official ones (same users, same events, bit-identical random draws):

* **Windows**: an event is in ``[start, end]`` iff ``not ts < start and not ts > end`` with
  *plain string comparison* and bare dates as bounds, so timed events on the end date
  (``"2025-09-30 09:28:22" > "2025-09-30"``) fall outside the window while date-only events on the
  end date are inside. ``None`` bounds are open.
* **User loading** (:func:`load_benchmark_users`): a folder is scanned in ``Path.glob``
  order (unsorted, as the reference); per file the *first* user's event count must be
  ``>= 2 * test_length``; the scan stops after ``3 * num_users`` qualifying files; every user of the
  qualifying files is loaded. A single JSON file is loaded whole with no count threshold (the
  reference applies the threshold only to folders).
* **User selection** (:func:`select_users`): keep users with ``>= 1`` history-window
  event and ``>= test_length`` test-window events with sufficient context (rule A only); sort ids;
  ``Random(seed).sample`` when more than ``num_users`` qualify; sort again.
* **Candidates** (docs/benchmark.md#event-filter): test-window events in file order, dropping rule A (insufficient context)
  then rule B (evaluation filter); each keeps ``test_time_index`` = its position in the
  *unfiltered* test-window list. Both rules come from :mod:`workbench.simulate.filters`.
* **Balanced sampling** (:func:`balanced_sample`). A fresh ``random.Random(42 + offset)`` per
  user (same Mersenne-Twister stream as the reference's ``random.seed`` on the global instance),
  ``offset`` = the shipped seed table value, else ``int.from_bytes(sha256(id)[:8], "big") % 10**9``.
  The call order we reproduce, which is the reference's:

  1. seed first (even when the user has ``n <= target`` candidates and everything is taken);
  2. ``B = max(1, min(10, n // 2, target))`` contiguous buckets of ``n // B`` (last takes the rest);
     bucket ``i`` wants ``target // B`` (+1 for ``i < target % B``); a bucket not larger than its
     quota is taken whole **without any random call**;
  3. otherwise group the bucket's items by Chinese canonical scenario into high/low pools (dict in
     first-seen order), then **one** ``shuffle`` of the scenario list;
  4. round-robin from position 0: a scenario found with both pools empty is removed *when visited*
     (no random call; the index stays, modulo the new length); if both pools are non-empty one
     ``random() < 0.5`` picks high; then ``randint(0, len(pool) - 1)`` picks the element to pop;
     after each pick the position advances by one (modulo the current length);
  5. the user's picks are re-sorted by ``test_time_index``.

* **Rolling history** (docs/benchmark.md#prompt-layout): for each sampled event, ``history-window events + test-window events
  before the target in file order`` (their ``event_index`` values in the full action history).

Custom samples (:func:`sample_events` with ``user_ids``, windows, ``test_length`` as N per user, or
``all_events``) use the same machinery. Chosen users are taken as given (sorted, no qualification
test, as the reference's "specified users" mode); with no history window the history of a target is
every earlier event of the trace in file order (the reference would reuse the whole trace, future
included, which is useless for prediction).
"""

from __future__ import annotations

import hashlib
import json
import random
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence, TypeVar

from workbench.evaluate.sample_facts import (
    HIGH_VALUE_ACTIONS,
    TestFacts,
    TraceEvents,
    TraceTable,
    is_high_value,
    scenario_zh,
    test_facts,
    window_indices,
)
from workbench.simulate.memory import in_window

if TYPE_CHECKING:
    from workbench.traces.traceset import TraceSet

__all__ = [
    "HISTORY_WINDOW", "TEST_WINDOW", "NUM_USERS", "TEST_LENGTH", "SEED", "HIGH_VALUE_ACTIONS",
    "UserTrace", "SampledEvent", "UserSample", "Sample", "SamplingError",
    "in_window", "scenario_zh", "is_high_value", "seed_offsets", "user_seed_offset",
    "balanced_sample", "load_benchmark_users", "users_from_traceset", "select_users",
    "candidates_for_user", "sample_user", "sample_events",
]

#: The benchmark's settings (the same for every model it reports).
HISTORY_WINDOW: tuple[str, str] = ("2025-09-01", "2025-09-30")
TEST_WINDOW: tuple[str, str] = ("2025-10-01", "2025-11-30")
NUM_USERS = 200
TEST_LENGTH = 30
SEED = 42
M_BUCKETS = 10

T = TypeVar("T")
Window = tuple[str | None, str | None] | None


class SamplingError(ValueError):
    """Bad input for sampling (unknown user, unreadable file); the message names the place."""


@dataclass(frozen=True)
class UserTrace:
    """One user's raw trace: ``events[i]`` is the raw OmniBehavior dict of the event with
    ``event_index`` ``i`` (an empty dict where the importer skipped an event): a list, or the lazy
    :class:`workbench.evaluate.sample_facts.TraceEvents` of a TraceSet."""

    user_id: str
    profile: str
    events: Sequence[dict[str, Any]]
    source: str = ""


@dataclass(frozen=True)
class SampledEvent:
    """One sampled test event: user, ``event_index``, Chinese scenario, its place among the test-window
    events, its rolling history (``event_index`` values) and whether it is high-value."""

    user_id: str
    event_index: int                       # position in the user's full action_history
    scenario: str                          # Chinese canonical scenario name
    test_time_index: int                   # position in the unfiltered test-window list
    history_indices: tuple[int, ...]       # rolling history: event_index values, file order
    high_value: bool = False


@dataclass
class UserSample:
    """One user's sample: profile, the seed used and where it came from, the history and test windows,
    the sampled events and the skipped candidates with the reason."""

    user_id: str
    profile: str
    seed: int                              # 42 + offset actually used
    seed_source: str                       # "table" | "sha256"
    base_history_indices: tuple[int, ...]  # history-window events (unfiltered)
    test_window_indices: tuple[int, ...]   # all test-window events (unfiltered), file order
    candidate_count: int
    sampled: list[SampledEvent] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)  # event_index, reason, scenario


@dataclass
class Sample:
    """A whole sample: the users, the settings that made it and the users asked for but absent."""

    users: list[UserSample]
    settings: dict[str, Any]
    missing_users: list[str] = field(default_factory=list)

    @property
    def events(self) -> list[SampledEvent]:
        """Every sampled event, user by user."""
        return [e for u in self.users for e in u.sampled]

    def to_dict(self, *, with_history: bool = False) -> dict[str, Any]:
        """The sample as JSON-ready data (the rolling histories only with ``with_history``)."""
        users = []
        for u in self.users:
            rows = []
            for e in u.sampled:
                row = {"event_index": e.event_index, "scenario": e.scenario,
                       "test_time_index": e.test_time_index, "high_value": e.high_value}
                if with_history:
                    row["history_indices"] = list(e.history_indices)
                rows.append(row)
            users.append({"user_id": u.user_id, "seed": u.seed, "seed_source": u.seed_source,
                          "base_history_count": len(u.base_history_indices),
                          "test_window_count": len(u.test_window_indices),
                          "candidate_count": u.candidate_count, "skipped_count": len(u.skipped),
                          "sampled": rows})
        return {"settings": self.settings, "users": users, "missing_users": self.missing_users,
                "total_sampled": sum(len(u.sampled) for u in self.users)}


# -- small rules ------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def seed_offsets() -> dict[str, int]:
    """The shipped per-user seed table (resources/omnibehavior/seed_offsets.json, CC BY-NC-SA 4.0)."""
    from importlib import resources

    try:
        text = resources.files("resources.omnibehavior").joinpath("seed_offsets.json").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):  # pragma: no cover - frozen layouts
        text = (Path(__file__).resolve().parents[2] / "resources" / "omnibehavior"
                / "seed_offsets.json").read_text("utf-8")
    data = json.loads(text)
    return {str(k): int(v) for k, v in data.items()}


def user_seed_offset(user_id: str, offsets: Mapping[str, int] | None = None) -> tuple[int, str]:
    """``(offset, source)``: the table value, else the SHA-256 fallback."""
    table = seed_offsets() if offsets is None else offsets
    if table and user_id in table:
        return int(table[user_id]), "table"
    digest = hashlib.sha256(user_id.encode("utf-8")).digest()[:8]
    return int.from_bytes(digest, byteorder="big") % (10 ** 9), "sha256"


# -- balanced sampling --------------------------------------------------------------------------------

def balanced_sample(candidates: Sequence[T], total: int, rng: random.Random, *,
                    scenario_of: Callable[[T], str], high_of: Callable[[T], bool],
                    m_buckets: int = M_BUCKETS) -> list[T]:
    """Time-bucketed, scenario round-robin, high/low balanced pick, in *candidate order*.

    ``rng`` must already be seeded; the caller re-sorts by ``test_time_index`` (candidates are
    given in that order, so the result of this function is sorted by candidate position).
    """
    if not candidates or total <= 0:
        return []
    n = len(candidates)
    if n <= total:
        return list(candidates)
    n_buckets = max(1, min(m_buckets, n // 2, total))
    base = total // n_buckets
    remainder = total % n_buckets
    size = n // n_buckets
    position = {id(c): i for i, c in enumerate(candidates)}
    picked: list[T] = []
    start = 0
    for i in range(n_buckets):
        end = n if i == n_buckets - 1 else start + size
        bucket = candidates[start:end]
        start = end
        if not bucket:
            continue
        quota = base + (1 if i < remainder else 0)
        if quota <= 0:
            continue
        if len(bucket) <= quota:
            picked.extend(bucket)
            continue
        pools: dict[str, dict[str, list[T]]] = {}
        for item in bucket:
            pool = pools.setdefault(scenario_of(item), {"high": [], "low": []})
            pool["high" if high_of(item) else "low"].append(item)
        active = list(pools.keys())
        rng.shuffle(active)
        taken: list[T] = []
        idx = 0
        while len(taken) < quota and active:
            pool = pools[active[idx]]
            has_high, has_low = bool(pool["high"]), bool(pool["low"])
            if not has_high and not has_low:
                active.pop(idx)
                if active:
                    idx %= len(active)
                continue
            if has_high and has_low:
                pick_high = rng.random() < 0.5
            else:
                pick_high = has_high
            chosen = pool["high"] if pick_high else pool["low"]
            taken.append(chosen.pop(rng.randint(0, len(chosen) - 1)))
            if active:
                idx = (idx + 1) % len(active)
        picked.extend(taken)
    picked.sort(key=lambda c: position[id(c)])
    return picked


# -- loading ----------------------------------------------------------------------------------------

def load_benchmark_users(path: str | Path, *, min_actions: int = 0, target_users: int = 0,
                         traces: TraceSet | None = None) -> list[UserTrace]:
    """Users of a trace file or folder, chosen as the benchmark chooses them, read by
    :func:`workbench.traces.load_traces` (``traces``: an already loaded TraceSet of ``path``).

    Folder: files in ``Path.glob("*.json")`` order; with ``min_actions > 0`` only files whose first
    user has ``>= min_actions`` events qualify and the scan stops after ``target_users`` qualifying
    files (0 = no limit). A single file: every user, no threshold. Where the benchmark's raw reader
    differs from ours we keep ours and its warnings: a user seen again in a later file keeps its
    first copy (the benchmark keeps the last), an unreadable file is read as far as it can be.
    Users without events are left out (they can never be sampled). Raises SamplingError when
    nothing can be read.
    """
    p = Path(path)
    if not p.exists():
        raise SamplingError(f"{p}: no such file or folder")
    if traces is None:
        from workbench.traces import TraceError, load_traces

        try:
            traces = load_traces(p)
        except TraceError as exc:
            raise SamplingError(str(exc)) from None
    by_file: dict[str, list[str]] = {}
    for uid, src, n in traces.users.select("user_id", "source", "event_count").iter_rows():
        if n:  # the benchmark leaves out users without an action_history list; ours have no events
            by_file.setdefault(src, []).append(uid)
    if not p.is_dir():
        return users_from_traceset(traces, [u for users in by_file.values() for u in users])
    files = [f for f in p.glob("*.json") if by_file.get(str(f))]
    if min_actions > 0:
        import polars as pl

        # events as the file lists them (skipped ones count): the highest event index + 1
        length = dict(traces.events.group_by("user_id").agg(pl.col("event_index").max() + 1).iter_rows())
        limit = min(target_users, len(files)) if target_users > 0 else len(files)
        chosen: list[Path] = []
        for f in files:
            if (length.get(by_file[str(f)][0]) or 0) >= min_actions:
                chosen.append(f)
                if target_users > 0 and len(chosen) >= limit:
                    break
        files = chosen
    return users_from_traceset(traces, [uid for f in files for uid in by_file[str(f)]])


def users_from_traceset(ts: Any, user_ids: Iterable[str] | None = None) -> list[UserTrace]:
    """Raw users from a :class:`workbench.traces.TraceSet` (``user_ids``, default all, in its file
    order). Each user's ``events[i]`` is the event with ``event_index`` ``i``; an event the importer
    skipped is an empty dict there, so positions stay event indices. The events are decoded only
    when first used (:class:`workbench.evaluate.sample_facts.TraceEvents`): sampling reads what it
    needs from the table. KeyError for a user the traces do not have."""
    ids = list(ts.user_ids() if user_ids is None else user_ids)
    table = TraceTable(ts, ids)
    lengths = table.lengths()
    return [UserTrace(uid, ts.profile(uid) or "", TraceEvents(table, uid, lengths.get(uid, 0)), str(ts.source))
            for uid in ids]


def load_users(path: str | Path, *, num_users: int = NUM_USERS,
               test_length: int = TEST_LENGTH, benchmark_scan: bool = True) -> list[UserTrace]:
    """Users of any trace file or folder (JSON, JSONL, Parquet), read by the traces package; a
    folder is chosen from with the benchmark's scan order and threshold when ``benchmark_scan``."""
    if benchmark_scan:
        return load_benchmark_users(path, min_actions=2 * test_length, target_users=3 * num_users)
    return load_benchmark_users(path)


# -- selection and per-user sampling ------------------------------------------------------------------

def select_users(users: Sequence[UserTrace], *, num_users: int = NUM_USERS,
                 test_length: int = TEST_LENGTH, history_window: Window = HISTORY_WINDOW,
                 test_window: Window = TEST_WINDOW, seed: int = SEED,
                 min_history: int = 1) -> list[str]:
    """Benchmark user selection; returns sorted user ids."""
    valid = []
    for u in users:
        hist = window_indices(u.events, history_window)
        n_ctx = sum(test_facts(u.events, test_window).sufficient)
        if n_ctx >= test_length and len(hist) >= min_history:
            valid.append(u.user_id)
    valid.sort()
    rng = random.Random(seed)
    selected = valid if len(valid) <= num_users else rng.sample(valid, num_users)
    return sorted(selected)


def _candidates(facts: TestFacts) -> tuple[list[tuple[int, int]], list[dict[str, Any]]]:
    cands: list[tuple[int, int]] = []
    skipped: list[dict[str, Any]] = []
    for t, i in enumerate(facts.indices):
        if not facts.sufficient[t]:
            skipped.append({"event_index": i, "reason": "insufficient context",
                            "scenario": facts.scenario[t]})
        elif facts.filtered[t]:
            skipped.append({"event_index": i, "reason": "filtered at eval time",
                            "scenario": facts.scenario[t]})
        else:
            cands.append((i, t))
    return cands, skipped


def candidates_for_user(user: UserTrace, test_window: Window = TEST_WINDOW
                        ) -> tuple[list[int], list[tuple[int, int]], list[dict[str, Any]]]:
    """``(test_window_indices, candidates, skipped)``; candidates are ``(event_index,
    test_time_index)`` after rules A then B (docs/benchmark.md#event-filter)."""
    facts = test_facts(user.events, test_window)
    cands, skipped = _candidates(facts)
    return list(facts.indices), cands, skipped


def _rolling_history(base: list[int], test_idx: list[int], tti: int, event_index: int,
                     overlap: bool) -> tuple[int, ...]:
    """History-window events, then the test-window events before the target, each once, without
    the target. Without ``overlap`` (the windows share no event, the usual case) that is simply
    ``base + test_idx[:tti]``: the target is ``test_idx[tti]`` and the indices are unique."""
    if not overlap:
        return (*base, *test_idx[:tti])
    seen: set[int] = set()
    hist_list = []
    for i in (*base, *test_idx[:tti]):
        if i not in seen and i != event_index:
            seen.add(i)
            hist_list.append(i)
    return tuple(hist_list)


def sample_user(user: UserTrace, *, test_length: int = TEST_LENGTH,
                history_window: Window = HISTORY_WINDOW, test_window: Window = TEST_WINDOW,
                seed: int = SEED, offsets: Mapping[str, int] | None = None,
                all_events: bool = False) -> UserSample:
    """One user's sampled test events with their rolling histories."""
    offset, source = user_seed_offset(user.user_id, offsets)
    user_seed = seed + offset
    rng = random.Random(user_seed)
    facts = test_facts(user.events, test_window)
    test_idx = facts.indices
    cands, skipped = _candidates(facts)
    if all_events:
        picked = list(cands)
    else:
        picked = balanced_sample(cands, test_length, rng,
                                 scenario_of=lambda c: facts.scenario[c[1]],
                                 high_of=lambda c: facts.high[c[1]])
    picked.sort(key=lambda c: c[1])
    base = window_indices(user.events, history_window) if history_window is not None else None
    present = window_indices(user.events, None) if base is None else []
    overlap = base is not None and not set(base).isdisjoint(test_idx)
    sampled = []
    for event_index, tti in picked:
        if base is None:
            hist = tuple(present[:bisect_left(present, event_index)])
        else:
            hist = _rolling_history(base, test_idx, tti, event_index, overlap)
        sampled.append(SampledEvent(user.user_id, event_index, facts.scenario[tti], tti, hist,
                                    facts.high[tti]))
    return UserSample(user.user_id, user.profile, user_seed, source,
                      tuple(base if base is not None else ()), tuple(test_idx), len(cands),
                      sampled, skipped)


def sample_events(users: Sequence[UserTrace], *, user_ids: Iterable[str] | None = None,
                  num_users: int = NUM_USERS, test_length: int = TEST_LENGTH,
                  history_window: Window = HISTORY_WINDOW, test_window: Window = TEST_WINDOW,
                  seed: int = SEED, offsets: Mapping[str, int] | None = None,
                  all_events: bool = False) -> Sample:
    """The benchmark sample (defaults) or a custom one.

    ``user_ids``: take these users (sorted; unknown ids are reported in ``missing_users``) instead
    of the benchmark selection. ``test_length``: N per user. ``all_events``: every candidate.
    """
    by_id = {u.user_id: u for u in users}
    missing: list[str] = []
    if user_ids is not None:
        wanted = list(dict.fromkeys(user_ids))
        missing = [u for u in wanted if u not in by_id]
        chosen = sorted(u for u in wanted if u in by_id)
    else:
        chosen = select_users(users, num_users=num_users, test_length=test_length,
                              history_window=history_window, test_window=test_window, seed=seed)
    out = [sample_user(by_id[uid], test_length=test_length, history_window=history_window,
                       test_window=test_window, seed=seed, offsets=offsets, all_events=all_events)
           for uid in chosen]
    settings = {"num_users": num_users, "test_length": test_length,
                "history_window": list(history_window) if history_window else None,
                "test_window": list(test_window) if test_window else None, "seed": seed,
                "all_events": all_events, "specified_users": user_ids is not None}
    return Sample(out, settings, missing)


def sample_to_json(sample: Sample) -> str:
    return json.dumps(sample.to_dict(), ensure_ascii=False, indent=2)
