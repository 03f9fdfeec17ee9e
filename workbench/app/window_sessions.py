"""Session traces in the main window (OPeRA web shopping): the folded time axis, session
boundaries, the rationale track and the inspector's observation view. Layer: app (Qt).

When the current user's events carry a ``session_id`` column, :meth:`_apply_track_sessions` gives
the timeline the sessions' spans (long gaps between them are folded; *View ▸ Fold gaps between
sessions* unfolds on demand) and the rationales (the shopper's own words, in the row under the
lanes). For OPeRA traces the inspector shows, under the event, what the shopper saw: products,
search term, page text and screenshot, read for the selected event on a worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from workbench.app.observation import ObservationLoader, ObservationView
from workbench.traces.schema import SESSION_COLUMN

if TYPE_CHECKING:
    from workbench.app.navigation import UserTrack
    from workbench.app.state import AppState


def session_spans(frame: pl.DataFrame, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) in epoch seconds of each session of a track (``t`` aligned with ``frame``'s
    rows; events without a time are left out). Empty arrays when there is no session column."""
    if SESSION_COLUMN not in frame.columns or not frame.height:
        return np.zeros(0), np.zeros(0)
    spans = (pl.DataFrame({"s": frame[SESSION_COLUMN], "t": t})
             .filter(pl.col("s").is_not_null() & pl.col("t").is_not_nan())
             .group_by("s").agg(pl.col("t").min().alias("a"), pl.col("t").max().alias("b")).sort("a"))
    return spans["a"].to_numpy().astype(np.float64), spans["b"].to_numpy().astype(np.float64)


def rationale_notes(frame: pl.DataFrame, t: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, list[str], np.ndarray]:
    """(times, texts, event ids) of the events with a rationale (a ``rationale`` column)."""
    if "rationale" not in frame.columns or not frame.height:
        return np.zeros(0), [], np.zeros(0, np.int64)
    texts = frame["rationale"].to_list()
    keep = [i for i, x in enumerate(texts) if isinstance(x, str) and x.strip() and np.isfinite(t[i])]
    return t[keep].astype(np.float64), [texts[i].strip() for i in keep], ids[keep].astype(np.int64)


class WindowSessionsMixin:
    """Mixed into :class:`~workbench.app.main_window.MainWindow`."""

    timeline: Any
    inspector: Any
    state: AppState
    session: Any

    def _init_sessions(self) -> None:
        self.observation_view = ObservationView()
        self.observation_view.hide()
        self.inspector.splitter.addWidget(self.observation_view)
        self.observation_loader = ObservationLoader(self.observation_view)
        self.fold_sessions = True

    def _apply_track_sessions(self, track: UserTrack) -> None:
        """Sessions and rationales of ``track`` to the timeline (after its ``set_data``)."""
        starts, ends = session_spans(track.frame, track.t)
        if starts.size:
            self.timeline.set_sessions(starts, ends, fold=self.fold_sessions)
        t, texts, ids = rationale_notes(track.frame, track.t, track.ids)
        if texts:
            self.timeline.set_notes(t, texts, ids)

    def toggle_session_fold(self) -> None:
        """Fold or unfold the gaps between sessions (sources with sessions only)."""
        if self.timeline.time_fold is None and not self.timeline.folded and not self._has_sessions():
            self.state.post_status("No sessions in this trace: the time axis is linear")
            return
        self.fold_sessions = not self.timeline.folded
        self.timeline.set_folded(self.fold_sessions)
        self.state.post_status("Gaps between sessions folded" if self.fold_sessions
                               else "Gaps between sessions unfolded (linear time)")

    def _has_sessions(self) -> bool:
        track = self.session.track
        return track is not None and SESSION_COLUMN in track.frame.columns

    def _show_observation(self, user_id: str, event_index: int) -> None:
        """The page behind an OPeRA event in the inspector (hidden for other sources)."""
        traces = self.state.dataset
        if getattr(traces, "kind", "") != "opera" or event_index < 0:
            self.observation_view.hide()
            return
        self.observation_view.show()
        self.observation_loader.load(traces, user_id, event_index)
