"""One user's events, decoded once and shared: :class:`UserEvents` and its cache. Layer: traces (pure; no Qt).

Every consumer of "this user's events" (the timeline, the inspector, prediction, case marking,
evaluation, the command line) asks ``TraceSet.user(user_id)`` and gets the same object: the rows
are read from the table (or its Parquet file) once, the raw OmniBehavior event dicts are rebuilt
once, on first use, and so are the dialogue turns of an event. Everything is keyed by
``event_index``, the event's position in the user's ``action_history`` as given in the file; an
event the importer had to skip leaves a gap in those numbers, never a shift.

Objects handed out are shared between threads and panels: treat them as read-only.
"""

from __future__ import annotations

import threading
import weakref
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

import polars as pl

from workbench.traces import schema
from workbench.traces.dialogue import Turn, event_turns

T = TypeVar("T")

#: Users kept decoded besides the ones still referenced elsewhere (a heavy user's rows and raw
#: events take a few hundred MB).
CACHE_USERS = 3


class UserEvents:
    """One user's events: ``frame`` (canonical rows with the payload columns, in ``event_index``
    order), the raw event dicts by ``event_index`` (:meth:`raw`), dialogue turns (:meth:`turns`)
    and views other layers derive once (:meth:`memo`, e.g. the timeline's arrays)."""

    def __init__(self, user_id: str, profile: str, source: str, frame: pl.DataFrame) -> None:
        self.user_id = user_id
        self.profile = profile
        self.source = source
        self.frame = frame
        self.indices: tuple[int, ...] = tuple(frame["event_index"].to_list()) if frame.height else ()
        self._lock = threading.RLock()
        self._raw: dict[int, dict[str, Any]] | None = None
        self._positional: list[dict[str, Any]] | None = None
        self._turns: dict[int, list[Turn]] = {}
        self._memo: dict[str, Any] = {}

    def __len__(self) -> int:
        return len(self.indices)

    def __repr__(self) -> str:
        return f"UserEvents({self.user_id!r}, events={len(self)})"

    def raw(self) -> dict[int, dict[str, Any]]:
        """``{event_index: raw event}`` (``type``, ``timestamp``, ``context`` when the file had it,
        ``action``), in file order; built on first use."""
        with self._lock:
            if self._raw is None:
                self._raw = dict(zip(self.indices, schema.events_from_frame(self.frame)))
            return self._raw

    def items(self) -> list[tuple[int, dict[str, Any]]]:
        """``(event_index, raw event)`` pairs in file order."""
        return list(self.raw().items())

    def event(self, event_index: int) -> dict[str, Any]:
        """The raw event with that index (decoded alone unless all are decoded already: looking at
        one event of a big user costs one event); KeyError naming the user when there is none."""
        with self._lock:
            if self._raw is not None:
                found = self._raw.get(int(event_index))
            else:
                pos = self._position(int(event_index))
                found = None if pos < 0 else schema.event_from_row(self.frame.row(pos, named=True))
        if found is None:
            raise KeyError(f"user {self.user_id} has no event {event_index}")
        return found

    def _position(self, event_index: int) -> int:
        """The row of ``event_index`` in ``frame`` (rows are in ``event_index`` order), or -1."""
        pos = bisect_left(self.indices, event_index)
        return pos if pos < len(self.indices) and self.indices[pos] == event_index else -1

    def positional(self) -> list[dict[str, Any]]:
        """The raw events as a list in which position ``i`` holds the event with ``event_index``
        ``i``; an event the importer skipped is an empty dict there (it has no timestamp, so no
        window, sample or history ever takes it)."""
        with self._lock:
            if self._positional is None:
                raw = self.raw()
                n = (max(raw) + 1) if raw else 0
                self._positional = [raw.get(i, {}) for i in range(n)]
            return self._positional

    def turns(self, event_index: int) -> list[Turn]:
        """The dialogue turns of one event (every role, as given); [] when it has none."""
        with self._lock:
            found = self._turns.get(event_index)
            if found is None:
                try:
                    event: dict[str, Any] | None = self.event(event_index)
                except KeyError:
                    event = None
                found = self._turns[event_index] = event_turns(event)
            return found

    def memo(self, key: str, factory: Callable[[UserEvents], T]) -> T:
        """``factory(self)`` computed once per key and kept with these events (thread-safe)."""
        with self._lock:
            if key not in self._memo:
                self._memo[key] = factory(self)
            return self._memo[key]


class UserCache:
    """Decoded users of one TraceSet: the last ``size`` used, plus any still referenced elsewhere
    (weakly), so a user shown in the window is never decoded twice. ``decodes`` counts the decodes
    per user (tests and benchmarks read it). Thread-safe: a user is decoded by one thread while
    the others wait for it."""

    def __init__(self, decode: Callable[[str], UserEvents], size: int = CACHE_USERS) -> None:
        self._decode = decode
        self._size = size
        self._recent: OrderedDict[str, UserEvents] = OrderedDict()
        self._alive: weakref.WeakValueDictionary[str, UserEvents] = weakref.WeakValueDictionary()
        self._lock = threading.Lock()
        self._user_locks: dict[str, threading.Lock] = {}
        self.decodes: dict[str, int] = {}

    def get(self, user_id: str) -> UserEvents:
        """The user's events, decoded now unless cached."""
        with self._lock:
            found = self._lookup(user_id)
            if found is not None:
                return found
            user_lock = self._user_locks.setdefault(user_id, threading.Lock())
        with user_lock:
            with self._lock:
                found = self._lookup(user_id)
                if found is not None:
                    return found
            events = self._decode(user_id)
            with self._lock:
                self.decodes[user_id] = self.decodes.get(user_id, 0) + 1
                self._remember(events)
                self._user_locks.pop(user_id, None)
            return events

    def clear(self) -> None:
        """Forget every decoded user (they are decoded again when asked for)."""
        with self._lock:
            self._recent.clear()
            self._alive = weakref.WeakValueDictionary()

    def _lookup(self, user_id: str) -> UserEvents | None:
        found = self._recent.get(user_id)
        if found is None:
            found = self._alive.get(user_id)
            if found is None:
                return None
        self._remember(found)
        return found

    def _remember(self, events: UserEvents) -> None:
        self._recent[events.user_id] = events
        self._recent.move_to_end(events.user_id)
        self._alive[events.user_id] = events
        while len(self._recent) > self._size:
            self._recent.popitem(last=False)
