"""One user's events in time order, filters and navigation over them. Layer: app (pure: no Qt).

:class:`UserTrack` turns a user's canonical rows into the numpy arrays the timeline draws (time, lane,
outcome kind, watch seconds, event id) and answers navigation questions (next/previous event, next
matching the filter, next conversion, first event on a date) in time order. :class:`EventFilter` is
the filter the analyst sets (scenarios, action types, free text) and :func:`filter_mask` evaluates it
with polars over the whole user at once; free text searches titles, categories, keywords, OCR/ASR,
cover descriptions and dialogue turns (the string values of the context and action payloads),
case-insensitively, Chinese included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import numpy as np
import polars as pl

from workbench.traces.schema import ACTION_TYPES, OTHER, OUTCOME_CONVERT, SCENARIOS, act_column

#: Lanes always shown on the timeline (``Other`` is added when a user has such events).
BASE_LANES: tuple[str, ...] = tuple(s for s in SCENARIOS if s != OTHER)

_JSON_KEY = r'"[A-Za-z_][A-Za-z0-9_]*":'


@dataclass(frozen=True)
class EventFilter:
    """Empty sets mean "any". An event matches when it is in one of ``scenarios``, has at least one
    of ``action_types`` and its text contains ``text`` (case-insensitive)."""

    scenarios: frozenset[str] = field(default_factory=frozenset)
    action_types: frozenset[str] = field(default_factory=frozenset)
    text: str = ""

    @property
    def active(self) -> bool:
        return bool(self.scenarios or self.action_types or self.text.strip())

    def describe(self) -> str:
        parts = []
        if self.scenarios:
            parts.append("scenario in " + ", ".join(sorted(self.scenarios)))
        if self.action_types:
            parts.append("action in " + ", ".join(sorted(self.action_types)))
        if self.text.strip():
            parts.append(f"text contains “{self.text.strip()}”")
        return "; ".join(parts) or "no filter"


def search_text(frame: pl.DataFrame) -> pl.Series:
    """Lower-cased searchable text per row: title, category and the string values of the payloads
    (JSON keys removed, so searching "like" does not match every ``like_cnt`` field)."""
    parts = [pl.col(c).fill_null("") for c in ("title", "category") if c in frame.columns]
    for c in ("context", "actions"):
        if c in frame.columns:
            parts.append(pl.col(c).fill_null("").str.replace_all(_JSON_KEY, " "))
    if not parts:
        return pl.Series("search", [""] * frame.height, dtype=pl.String)
    return frame.select(pl.concat_str(parts, separator="\u241f").str.to_lowercase().alias("search")).to_series()


def filter_mask(frame: pl.DataFrame, flt: EventFilter, text_column: pl.Series | None = None) -> np.ndarray:
    """Boolean numpy mask over ``frame`` rows; all True when the filter is not active."""
    n = frame.height
    mask = np.ones(n, dtype=bool)
    if not flt.active or n == 0:
        return mask
    if flt.scenarios:
        mask &= frame["scenario"].is_in(list(flt.scenarios)).fill_null(False).to_numpy()
    if flt.action_types:
        cols = [act_column(t) for t in flt.action_types if act_column(t) in frame.columns]
        if cols:
            any_act = frame.select(pl.any_horizontal([pl.col(c).fill_null(False) for c in cols])).to_series()
            mask &= any_act.to_numpy()
        elif "action_types" in frame.columns:
            mask &= frame["action_types"].list.eval(pl.element().is_in(list(flt.action_types))).list.any() \
                .fill_null(False).to_numpy()
        else:
            mask[:] = False
    needle = flt.text.strip().lower()
    if needle:
        text = text_column if text_column is not None else search_text(frame)
        mask &= text.str.contains(needle, literal=True).fill_null(False).to_numpy()
    return mask


def action_types_present(frame: pl.DataFrame) -> list[str]:
    """Action types (of the known 22) that occur in ``frame``, in canonical order."""
    present = []
    for t in ACTION_TYPES:
        c = act_column(t)
        if c in frame.columns and bool(frame[c].any()):
            present.append(t)
    return present


def _epoch_seconds(frame: pl.DataFrame) -> np.ndarray:
    if frame.height == 0:
        return np.zeros(0, dtype=np.float64)
    us = frame["ts"].dt.epoch("us").cast(pl.Float64).fill_null(float("nan")).to_numpy()
    return np.asarray(us, dtype=np.float64) / 1e6


class UserTrack:
    """A user's rows sorted by (time, event index), with numpy arrays for drawing and navigation.

    ``frame`` keeps every column of the input (payloads included) in that order; rows without a
    parseable timestamp come last and are not drawn (``plot`` selects the drawable rows).
    """

    def __init__(self, user_id: str, events: pl.DataFrame) -> None:
        self.user_id = user_id
        if "ts" in events.columns and events.height:
            events = events.sort(["ts", "event_index"], nulls_last=True)
        self.frame = events
        n = events.height
        self.ids = events["event_index"].to_numpy().astype(np.int64) if n else np.zeros(0, np.int64)
        self.t = _epoch_seconds(events)
        scen = events["scenario"].to_list() if n else []
        present_other = OTHER in set(scen)
        self.lanes: list[str] = list(BASE_LANES) + ([OTHER] if present_other else [])
        lane_of = {s: i for i, s in enumerate(self.lanes)}
        self.lane = np.array([lane_of.get(s, len(self.lanes) - 1) for s in scen], dtype=np.int8)
        self.kind = (events["outcome"].fill_null(0).to_numpy().astype(np.int8) if n and "outcome" in events.columns
                     else np.zeros(n, dtype=np.int8))
        self.value = (events["watch_seconds"].cast(pl.Float64).fill_null(float("nan")).to_numpy().astype(np.float64)
                      if n and "watch_seconds" in events.columns else np.full(n, np.nan))
        self.plot = np.flatnonzero(np.isfinite(self.t))          # drawable row positions
        self._pos = {int(e): i for i, e in enumerate(self.ids)}  # event id -> row position
        self._text: pl.Series | None = None

    def __len__(self) -> int:
        return len(self.ids)

    # -- lookups ----------------------------------------------------------------------------------
    def position(self, event_index: int) -> int:
        """Row position of an event id, -1 if unknown."""
        return self._pos.get(int(event_index), -1)

    def row(self, event_index: int) -> dict | None:
        pos = self.position(event_index)
        return None if pos < 0 else self.frame.row(pos, named=True)

    @property
    def has_text_index(self) -> bool:
        return self._text is not None

    def text_column(self) -> pl.Series:
        if self._text is None:
            self._text = search_text(self.frame)
        return self._text

    def mask(self, flt: EventFilter) -> np.ndarray:
        """Filter mask over rows (sorted order)."""
        return filter_mask(self.frame, flt, self.text_column() if flt.text.strip() else None)

    def time_range(self) -> tuple[float, float] | None:
        finite = self.t[self.plot]
        if finite.size == 0:
            return None
        return float(finite.min()), float(finite.max())

    # -- navigation -------------------------------------------------------------------------------
    def step(self, current: int, step: int, mask: np.ndarray | None = None) -> int:
        """The event ``step`` (+1/-1) away from ``current`` in time order among rows where ``mask`` is
        True (all rows if None). With nothing selected, +1 gives the first and -1 the last match.
        Returns -1 when there is no such event."""
        n = len(self.ids)
        if n == 0:
            return -1
        candidates = np.flatnonzero(mask) if mask is not None else None
        pos = self.position(current) if current >= 0 else -1
        if candidates is None:
            if pos < 0:
                return int(self.ids[0] if step > 0 else self.ids[-1])
            nxt = pos + (1 if step > 0 else -1)
            return int(self.ids[nxt]) if 0 <= nxt < n else -1
        if candidates.size == 0:
            return -1
        if pos < 0:
            return int(self.ids[candidates[0] if step > 0 else candidates[-1]])
        if step > 0:
            k = np.searchsorted(candidates, pos, side="right")
            return int(self.ids[candidates[k]]) if k < candidates.size else -1
        k = np.searchsorted(candidates, pos, side="left") - 1
        return int(self.ids[candidates[k]]) if k >= 0 else -1

    def conversion_mask(self) -> np.ndarray:
        return self.kind == OUTCOME_CONVERT

    def first_on_or_after(self, when: date | datetime) -> int:
        """Event id of the first event at or after ``when`` (a date means its midnight), -1 if none."""
        if not isinstance(when, datetime):
            when = datetime(when.year, when.month, when.day)
        ts = when.replace(tzinfo=timezone.utc).timestamp() if when.tzinfo is None else when.timestamp()
        finite = self.t[self.plot]
        k = int(np.searchsorted(finite, ts, side="left"))
        return int(self.ids[self.plot[k]]) if k < finite.size else -1
