"""The timeline session: the window's per-user state and the decisions made on it, without widgets.
Layer: app, but imports no Qt (numpy, polars and the navigation helpers only; a test holds it to that).

:class:`TimelineSession` holds what the window shows for the current user: the open source, the
user's :class:`~workbench.app.navigation.UserTrack`, the event filter and its mask, what to show
once a loading user arrives (``pending``: user, selected event, time range), the generation of the
track being read (a late reply for a user left since is dropped) and the time range last selected
with Shift+drag. Its methods answer the questions the window asks (which event is next, which
events a time range holds, the tooltip of an event, where predicted marks go) so that they can be
tested without a window. The worker functions the window starts (loading a source, reading a
user's track, building its text index, tracing a causal chain) live here too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, NamedTuple

import numpy as np

from workbench.app.navigation import EventFilter, UserTrack

if TYPE_CHECKING:  # types only: the modules are imported lazily (or are Qt) at run time
    from workbench.app.state import GhostMark
    from workbench.tasks import TaskState
    from workbench.traces.chains import CausalChain
    from workbench.traces.traceset import TraceSet
    from workbench.traces.user import UserEvents

#: Users up to this many events get their free-text index built on the UI thread (well under 0.2 s).
SYNC_INDEX_EVENTS = 20_000


# == worker jobs (run by workbench.app.jobs.run_in_thread) ============================================

@dataclass
class LoadResult:
    """A loaded source: its path, the ``workbench.traces.TraceSet`` and each user's daily counts."""

    path: Path
    traces: TraceSet
    sparklines: dict[str, np.ndarray]


def load_job(task: TaskState, path: Path) -> LoadResult:
    """Read the traces at ``path`` (file or folder) and summarise the users; raises what the loader
    raises. On a first import of a folder, each file's user rows (``schema.USER_SCHEMA``) are handed
    over as they are read (``task.partial``: the window's user list fills in meanwhile)."""
    from workbench.app.models import daily_sparklines
    from workbench.traces import load_traces

    task.progress(0, 0, f"Opening {path.name}")
    traces = load_traces(path, task=task, on_users=lambda users, _events: task.partial(users))
    task.check()
    task.progress(0, 0, "Summarising users")
    return LoadResult(Path(path), traces, daily_sparklines(traces.events))


def demo_job(task: TaskState) -> LoadResult:
    """Load the demo dataset: the prebuilt canonical file shipped in resources (opens in a fraction of
    a second), else the generated folder (written once, a few seconds)."""
    from workbench.demo import ensure_demo_dataset
    from workbench.demo.prebuilt import prebuilt_demo

    path = prebuilt_demo(seed=0)
    if path is None:
        task.progress(0, 0, "Preparing the demo dataset")
        path = ensure_demo_dataset(seed=0)
    task.check()
    return load_job(task, Path(path))


def track_job(task: TaskState, traces: TraceSet, user_id: str) -> UserEvents:
    """Read one user's events (``TraceSet.user``: decoded once, shared by every panel) and build
    their timeline arrays; returns the ``UserEvents`` (:func:`user_track` gives the arrays)."""
    task.progress(0, 0, f"Reading {user_id}")
    events = traces.user(user_id)
    task.check()
    user_track(events)
    return events


def user_track(events: UserEvents) -> UserTrack:
    """The timeline arrays of a user's events, built once per ``UserEvents`` and kept with them."""
    return events.memo("timeline", lambda ue: UserTrack(ue.user_id, ue.frame))


def index_job(task: TaskState, track: UserTrack) -> None:
    """Build the free-text index of ``track`` (about 2 s for 100k events)."""
    task.progress(0, 0, f"Indexing the text of {track.user_id}")
    track.text_column()


def chain_job(task: TaskState, track: UserTrack, event_index: int, lookback: float) -> CausalChain:
    """Backtrack the causal chain of ``event_index`` over ``lookback`` days."""
    from workbench.traces.chains import find_chain

    return find_chain(track.frame, event_index, user_id=track.user_id, lookback_days=lookback)


def fmt_epoch(t: float) -> str:
    """``t`` (seconds since the epoch) as ``YYYY-MM-DD HH:MM`` in UTC."""
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M")


class GhostPlacement(NamedTuple):
    """Where a predicted value is drawn beside the real event: its event, lane and label."""

    event_id: int
    lane: int
    agrees: bool
    label: str


# == the session ======================================================================================

@dataclass
class TimelineSession:
    """The current user's state behind the timeline, the event table and the navigation keys."""

    source: Path | None = None
    track: UserTrack | None = None
    event_filter: EventFilter = field(default_factory=EventFilter)
    mask: np.ndarray | None = None
    #: what to show once the loading source/user arrives: "user", "select", "range"
    pending: dict[str, Any] = field(default_factory=dict)
    generation: int = 0
    last_range: tuple[float, float] | None = None

    # -- loading --------------------------------------------------------------------------------------
    def expect(self, user: str | None = None, select: int | None = None,
               time_range: tuple[float, float] | None = None) -> None:
        """Remember what to show once the source or user being loaded arrives."""
        self.pending = {"user": user, "select": select, "range": time_range}

    def begin_user(self) -> int:
        """A new user is being read: forget the range selection; returns the read's generation."""
        self.last_range = None
        self.generation += 1
        return self.generation

    def is_current(self, track: UserTrack, generation: int, current_user: str) -> bool:
        """Whether a track read in ``generation`` is still the one to show."""
        return generation == self.generation and track.user_id == current_user

    def choose_user(self, ids: list[str], last_user: str) -> tuple[str, str | None]:
        """The user to show after a load, and an error message when the asked-for one is absent."""
        wanted = self.pending.get("user") or ""
        error = None
        if wanted and wanted not in ids:
            error = wanted
            wanted = ""
        if not wanted and last_user in ids and self.pending.get("user") is None:
            wanted = last_user
        if not wanted and ids:
            wanted = ids[0]
        return wanted, error

    def status_text(self) -> str:
        """``user: N events · first – last`` for the status bar."""
        track = self.track
        if track is None:
            return ""
        rng = track.time_range()
        span = f"{fmt_epoch(rng[0])} – {fmt_epoch(rng[1])}" if rng else "no timestamps"
        return f"{track.user_id}: {len(track):,} events · {span}"

    # -- filter ---------------------------------------------------------------------------------------
    def needs_index_job(self) -> bool:
        """Whether the filter's text search needs the track's text index built on a worker first."""
        track = self.track
        return (track is not None and bool(self.event_filter.text.strip()) and not track.has_text_index
                and len(track) > SYNC_INDEX_EVENTS)

    def update_mask(self) -> None:
        """Recompute :attr:`mask` (None: no active filter); raises what the filter raises (the mask is
        then None)."""
        self.mask = None
        if self.track is not None and self.event_filter.active:
            self.mask = self.track.mask(self.event_filter)

    def matching(self) -> int:
        """How many events of the track the filter keeps (all without a filter)."""
        if self.track is None:
            return 0
        return int(self.mask.sum()) if self.mask is not None else len(self.track)

    # -- navigation -----------------------------------------------------------------------------------
    def step(self, selected: int, step: int, what: str) -> int:
        """The event ``step`` places from ``selected`` among all events (``what`` "event"), the filter's
        matches ("matching event") or the conversions ("conversion"); -1 when there is none."""
        if self.track is None:
            return -1
        mask = (None if what == "event" else self.mask if what == "matching event"
                else self.track.conversion_mask())
        return self.track.step(selected, step, mask)

    def time_of(self, event_index: int) -> float | None:
        """The event's time (epoch seconds), or None when it is unknown or has no timestamp."""
        if self.track is None or event_index < 0:
            return None
        pos = self.track.position(event_index)
        if pos < 0 or not np.isfinite(self.track.t[pos]):
            return None
        return float(self.track.t[pos])

    def is_conversion(self, event_index: int) -> bool:
        """Whether the event is a conversion (a purchase: the start of a causal chain)."""
        if self.track is None:
            return False
        pos = self.track.position(event_index)
        return pos >= 0 and int(self.track.kind[pos]) == 2

    def first_on_or_after(self, when: date | datetime) -> int:
        """The first event on or after ``when``; -1 when there is none (or no track)."""
        return self.track.first_on_or_after(when) if self.track is not None else -1

    def date_for_jump(self, selected: int) -> datetime:
        """The day the jump-to-date dialog proposes: the selected event's, else the first event's."""
        t = self.time_of(selected)
        if t is None:
            rng = self.track.time_range() if self.track is not None else None
            t = (rng or (0.0, 0.0))[0]
        return datetime.fromtimestamp(t, timezone.utc)

    def select_range(self, t0: float, t1: float) -> tuple[int, int] | None:
        """Remember the Shift+drag range ``t0..t1``; the first plotted event in it and how many there
        are, or None when the range holds none."""
        track = self.track
        if track is None:
            return None
        self.last_range = (float(min(t0, t1)), float(max(t0, t1)))
        times = track.t[track.plot]
        pos = int(np.searchsorted(times, t0, side="left"))
        if pos < track.plot.size and track.t[track.plot[pos]] <= t1:
            n = int(np.searchsorted(times, t1, side="right")) - pos
            return int(track.ids[track.plot[pos]]), n
        return None

    # -- what the timeline draws ----------------------------------------------------------------------
    def tooltip(self, event_id: int) -> str:
        """The timeline tooltip of an event: index, time, scenario, title and actions."""
        track = self.track
        if track is None:
            return ""
        pos = track.position(event_id)
        if pos < 0:
            return ""
        f = track.frame
        title = f["title"][pos] if "title" in f.columns else None
        acts = f["action_types"][pos] if "action_types" in f.columns else None
        acts_text = ", ".join(acts.to_list()) if acts is not None else ""
        text = f"#{event_id}  {f['ts_raw'][pos]}  {f['scenario'][pos]}"
        if title:
            t = str(title)
            text += "\n" + (t if len(t) <= 90 else t[:89] + "…")
        if acts_text:
            text += "\nactions: " + acts_text
        v = float(track.value[pos])
        if np.isfinite(v):
            text += f" · watched {v:g} s"
        return text

    def ghost_marks(self, ghosts: Iterable[GhostMark]) -> list[GhostPlacement]:
        """Where the predicted values of the current user that have an event are drawn."""
        track = self.track
        if track is None:
            return []
        marks = []
        for g in ghosts:
            if g.user_id != track.user_id:
                continue
            pos = track.position(g.event_index)
            if pos < 0:
                continue
            marks.append(GhostPlacement(g.event_index, int(track.lane[pos]), g.agrees,
                                   f"{g.model}: {g.field} = {g.predicted!r} (real {g.real!r})"))
        return marks

    def bookmark_name(self, event_index: int, name: str | None = None, *, scenario: bool = True) -> str:
        """``name`` stripped, else ``#index title`` (the scenario when untitled and ``scenario``)."""
        row = (self.track.row(event_index) if self.track is not None else None) or {}
        fallback = row.get("title") or (row.get("scenario") if scenario else None) or ""
        return (name or "").strip() or f"#{event_index} {str(fallback)[:40]}".strip()
