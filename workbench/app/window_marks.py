"""The main window's marks on the timeline: highlights and predicted values (ghosts) from
``AppState``, causal chains traced in a worker, and bookmarks. Layer: app (Qt).

:class:`WindowMarksMixin` is one part of :class:`workbench.app.main_window.MainWindow`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QInputDialog

from workbench.app.bookmarks import Bookmark
from workbench.app.jobs import Job
from workbench.app.navigation import UserTrack
from workbench.app.session import chain_job
from workbench.app.state import Highlight

if TYPE_CHECKING:
    from workbench.traces.chains import CausalChain

CHAIN_HIGHLIGHT = "causal chain"
CHAIN_COLOR = "#F0A030"


class WindowMarksMixin:
    """Highlights, ghosts, causal chains and bookmarks of the main window."""

    # == highlights, ghosts, chains ==================================================================

    def _on_state_highlights_changed(self) -> None:
        from widgets.timeline import HighlightSpec

        if self.track is None:
            return
        specs = [HighlightSpec(name=h.name, ids=np.asarray(h.event_indices, dtype=np.int64), color=h.color,
                               connect=h.connect, label=h.label)
                 for h in self.state.highlights.values() if h.user_id == self.track.user_id]
        self.timeline.set_highlights(specs)

    def _on_state_ghosts_changed(self) -> None:
        from widgets.timeline import GhostSpec

        if self.track is None:
            return
        selected = self.state.selected_index      # predicted values are drawn beside their own event only
        self.timeline.set_ghosts([GhostSpec(event_id=m.event_id, lane=m.lane, agrees=m.agrees, label=m.label)
                                  for m in self.session.ghost_marks(self.state.ghosts) if m.event_id == selected])

    def find_chain(self, event_index: int | None = None, lookback: float | None = None) -> Job | None:
        """Backtrack from a conversion (default: the selected event) in a worker; draws the chain."""
        if self.track is None:
            return None
        ev = self.state.selected_index if event_index is None else int(event_index)
        if ev < 0 or self.track.position(ev) < 0:
            self.state.post_status("Select an event to trace its causal chain")
            return None
        days = float(lookback if lookback is not None else self.chain_panel.lookback.value())
        track = self.track
        return self._start("chain", chain_job, track, ev, days, title=f"Tracing event #{ev}",
                           on_done=lambda chain, t=track: self._on_chain_done(chain, t))

    def trace_chain(self) -> None:
        """Trace the selected event's causal chain with the chain panel's look-back."""
        self._on_chain_find_requested(self.chain_panel.lookback.value())

    def _on_chain_find_requested(self, lookback: float) -> None:
        self.settings.lookback_days = float(lookback)
        self.find_chain(None, lookback)

    def _on_chain_done(self, chain: CausalChain, track: UserTrack) -> None:
        if track is not self.track:
            return
        self.chain_panel.show_chain(chain)
        self.state.set_highlight(Highlight(
            name=CHAIN_HIGHLIGHT, user_id=track.user_id, event_indices=chain.event_indices, color=CHAIN_COLOR,
            connect=True, label=f"chain → #{chain.target_index} ({len(chain.links)} links)"))
        self.state.post_status(
            f"Causal chain of #{chain.target_index}: {len(chain.links)} earlier events over {chain.span_days:.1f} days")
        self.chain_found.emit(chain)

    def clear_chain(self) -> None:
        """Remove the causal chain from the chain panel and the timeline."""
        self.chain_panel.show_chain(None)
        self.state.clear_highlight(CHAIN_HIGHLIGHT)

    # == bookmarks =================================================================================

    def add_bookmark(self, name: str | None = None) -> Bookmark | None:
        """Bookmark the selected event with the visible range (default name: index and title)."""
        if self.track is None or self.source is None or self.state.selected_index < 0:
            self.state.post_status("Select an event to bookmark it")
            return None
        ev = self.state.selected_index
        name = self.session.bookmark_name(ev, name)
        t0, t1 = self.timeline.visible_range()
        b = self.bookmark_store.add(Bookmark(name=name, source=str(self.source), user_id=self.track.user_id,
                                             event_index=ev, t0=t0, t1=t1))
        self._refresh_bookmarks()
        self.state.post_status(f"Bookmarked “{name}”")
        return b

    def go_to_bookmark(self, bookmark: Bookmark) -> None:
        """Show a bookmark's user, range and event (reading the user first when needed)."""
        if self.state.dataset is None:
            return
        rng = (bookmark.t0, bookmark.t1) if bookmark.t0 is not None and bookmark.t1 is not None else None
        if self.track is not None and self.track.user_id == bookmark.user_id:
            if rng:
                self.timeline.set_range(*rng)
            self.select(bookmark.event_index)
            return
        if bookmark.user_id not in self.state.dataset.user_ids():
            self.state.post_error("Bookmark", f"user {bookmark.user_id} is not in this dataset")
            return
        self.session.expect(bookmark.user_id, bookmark.event_index, rng)
        self.state.set_user(bookmark.user_id)

    def bookmarks(self) -> list[Bookmark]:
        """The bookmarks of the open source."""
        return self.bookmark_store.for_source(self.source)

    def _refresh_bookmarks(self) -> None:
        self.bookmarks_panel.set_bookmarks(self.bookmarks(),
                                           lambda b: f"{b.user_id} · event #{b.event_index}")

    def _on_bookmarks_add_requested(self) -> None:
        if self.track is None or self.state.selected_index < 0:
            self.state.post_status("Select an event to bookmark it")
            return
        default = self.session.bookmark_name(self.state.selected_index, scenario=False)
        name, ok = QInputDialog.getText(self, "Bookmark", "Name:", text=default)
        if ok:
            self.add_bookmark(name)

    def _on_bookmarks_remove_requested(self, bookmark: Bookmark) -> None:
        self.bookmark_store.remove(bookmark)
        self._refresh_bookmarks()

    def _on_bookmarks_rename_requested(self, bookmark: Bookmark, name: str) -> None:
        self.bookmark_store.rename(bookmark, name)
        QTimer.singleShot(0, self._refresh_bookmarks)
