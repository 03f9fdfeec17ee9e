"""The main window's browsing: selecting events from every view, stepping through events, matches,
conversions and users, jumping to a date, the event filter and the timeline's range. Layer: app (Qt).

:class:`WindowBrowseMixin` is one part of :class:`workbench.app.main_window.MainWindow`; the decisions
(which event is next, what a range holds) are the :class:`~workbench.app.session.TimelineSession`'s,
this part only moves them between the session, ``AppState`` and the widgets.
"""

from __future__ import annotations

from datetime import date, datetime
from PySide6.QtWidgets import QDialog

from workbench.app.navigation import EventFilter, UserTrack
from workbench.app.session import fmt_epoch, index_job


class WindowBrowseMixin:
    """Selection, navigation, filter and timeline range of the main window."""

    # == selection ===================================================================================

    def _on_timeline_event_clicked(self, event_id: int) -> None:
        self.select(event_id)

    def _on_timeline_event_activated(self, event_id: int) -> None:
        if self.track is None:
            return
        self.select(event_id)
        if self.session.is_conversion(int(event_id)):
            self.find_chain(int(event_id))

    def _on_events_event_chosen(self, event_id: int) -> None:
        self.select(event_id)

    def _on_chain_event_chosen(self, event_id: int) -> None:
        self.select(event_id)

    def _on_state_selection_changed(self, user_id: str, event_index: int) -> None:
        track = self.track
        if track is None or user_id != track.user_id:
            return  # the track is loading; _on_track_done re-applies the selection
        valid = event_index >= 0 and track.position(event_index) >= 0
        plotted = valid and self.session.time_of(event_index) is not None
        self.timeline.set_selected(int(event_index) if plotted else None)
        self.events_panel.show_event(event_index if valid else -1)
        self._show_observation(user_id, event_index if valid else -1)
        if valid and self.session.is_conversion(event_index):
            current = self.chain_panel.chain
            if current is None or current.target_index != event_index:
                self.find_chain(event_index)

    def select(self, event_index: int) -> None:
        """Select an event of the current user (the same path every view uses)."""
        if self.track is not None and event_index >= 0:
            self.state.select_event(self.track.user_id, int(event_index))

    # == navigation ================================================================================

    def _go(self, step: int, what: str) -> int:
        if self.track is None:
            return -1
        ev = self.session.step(self.state.selected_index, step, what)
        if ev < 0:
            self.state.post_status(f"No {'next' if step > 0 else 'previous'} {what}")
            return -1
        self.select(ev)
        return ev

    def go_next_event(self) -> int:
        """Select the next event in time; its index, -1 when there is none."""
        return self._go(+1, "event")

    def go_previous_event(self) -> int:
        """Select the previous event in time; its index, -1 when there is none."""
        return self._go(-1, "event")

    def go_next_match(self) -> int:
        """Select the next event the filter keeps; its index, -1 when there is none."""
        return self._go(+1, "matching event")

    def go_previous_match(self) -> int:
        """Select the previous event the filter keeps; its index, -1 when there is none."""
        return self._go(-1, "matching event")

    def go_next_conversion(self) -> int:
        """Select the next conversion; its index, -1 when there is none."""
        return self._go(+1, "conversion")

    def go_previous_conversion(self) -> int:
        """Select the previous conversion; its index, -1 when there is none."""
        return self._go(-1, "conversion")

    def go_user(self, step: int) -> None:
        """Move ``step`` rows in the (sorted, filtered) user list."""
        view = self.users_panel.view
        proxy = self.users_panel.proxy
        n = proxy.rowCount()
        if n == 0:
            return
        row = view.currentIndex().row()
        row = 0 if row < 0 else max(0, min(n - 1, row + step))
        view.setCurrentIndex(proxy.index(row, 0))

    def go_next_user(self) -> None:
        """The next user in the list."""
        self.go_user(+1)

    def go_previous_user(self) -> None:
        """The previous user in the list."""
        self.go_user(-1)

    def jump_to_date(self, when: date | datetime) -> int:
        """Select the first event on or after ``when`` and show it; its index, -1 when there is none."""
        if self.track is None:
            return -1
        ev = self.session.first_on_or_after(when)
        if ev < 0:
            self.state.post_status(f"No event on or after {when}")
            return -1
        t = float(self.track.t[self.track.position(ev)])
        t0, t1 = self.timeline.visible_range()
        width = min(max(t1 - t0, 3600.0), 7 * 86400.0)
        self.timeline.set_range(t - width * 0.25, t + width * 0.75)
        self.select(ev)
        return ev

    def _on_menu_jump_to_date(self) -> None:
        from workbench.app.jump_dialog import JumpDateDialog

        if self.track is None:
            return
        dlg = JumpDateDialog(self.session.date_for_jump(self.state.selected_index), self)
        if dlg.exec() == QDialog.DialogCode.Accepted and dlg.chosen_date() is not None:
            self.jump_to_date(dlg.chosen_date())

    def zoom_to_selected(self) -> None:
        """Show an hour around the selected event."""
        t = self.session.time_of(self.state.selected_index)
        if t is not None:
            self.timeline.set_range(t - 1800.0, t + 1800.0)

    def fit_all(self) -> None:
        """Show the user's whole time range on the timeline."""
        self.timeline.fit_all()

    def _focus_filter(self) -> None:
        self.filter_bar.text.setFocus()
        self.filter_bar.text.selectAll()

    # == filters ===================================================================================

    def set_filter(self, flt: EventFilter) -> None:
        """Set the event filter (the filter bar shows it; the timeline dims non-matching marks)."""
        self.filter_bar.set_filter(flt)

    def _on_filter_bar_filter_changed(self, flt: EventFilter) -> None:
        self.session.event_filter = flt
        self._apply_filter(announce=True)

    def _on_filter_bar_hide_changed(self, _hide: bool) -> None:
        self._apply_filter(announce=False)

    def _apply_filter(self, announce: bool) -> None:
        s = self.session
        track = s.track
        if track is None:
            s.mask = None
            return
        if s.needs_index_job():
            # the first text search of a big user builds its text index on a worker (about 2 s at 100k)
            if "index" not in self._jobs:
                self._start("index", index_job, track, title=f"Indexing the text of {track.user_id}",
                            on_done=lambda _r, t=track: self._on_index_done(t))
            self.filter_bar.count.setText("indexing…")
            return
        try:
            s.update_mask()
        except Exception as exc:  # noqa: BLE001 - a bad filter is reported, never a crash
            self.state.post_error("Filter", f"the filter could not be applied: {exc}")
        hide = self.filter_bar.hide_box.isChecked()
        self.events_model.set_filter(s.mask, hide)
        self.timeline.set_dim_mask(None if s.mask is None else s.mask[track.plot])
        matching = s.matching()
        self.filter_bar.set_count(matching, len(track), s.mask is not None)
        if announce:
            self.state.filter_changed.emit()
            if s.mask is not None:
                self.state.post_status(f"Filter: {s.event_filter.describe()} — {matching:,} of {len(track):,}")
            else:                     # the old filter's message must not outlive it
                self.state.post_status(f"No filter: all {len(track):,} events of {track.user_id}")

    def _on_index_done(self, track: UserTrack) -> None:
        if track is self.track:
            self._apply_filter(announce=True)

    # == timeline range ==============================================================================

    def _on_timeline_range_changed(self, t0: float, t1: float) -> None:
        self.settings.last_range = [float(t0), float(t1)]
        if not self._syncing_timeline:
            self.state.set_range(float(t0), float(t1))

    def _on_timeline_range_selected(self, t0: float, t1: float) -> None:
        """Shift-drag on the timeline: select the first event in the range (the table follows)."""
        if self.track is None:
            return
        first = self.session.select_range(t0, t1)
        self.mark_range_button.show()
        if first is not None:
            self.select(first[0])
            self.state.post_status(f"{first[1]:,} events between {fmt_epoch(t0)} and {fmt_epoch(t1)}")

