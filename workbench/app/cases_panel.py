"""The Cases panel: annotated cases listed, filtered, reopened in context, reviewed from a queue with
the keyboard, autosaved as the analyst types. Layer: app (Qt).

Headless first: every action is a :class:`~workbench.annotate.store.CaseStore` call; this panel only
shows the store and forwards keys. Other panels mark cases through :meth:`CasesPanel.mark_event`
and :meth:`CasesPanel.mark_range` (the main window wires their signals to these; no panel reaches
into another). Reopening a case calls ``AppState.select_event``.

Keyboard (when the note editor does not have focus):

* ``J`` / ``]`` / ``Ctrl+Down`` next case (or queue item), ``K`` / ``[`` / ``Ctrl+Up`` previous;
  plain arrow keys move in the list as usual;
* ``1``-``9`` toggle the tag with that shortcut; ``0`` clears the tags;
* ``N`` focuses the note (``Esc`` gives the focus back to the list);
* ``Enter`` / ``O`` reopens the case in context (``AppState.select_event``; a range case also emits
  :attr:`CasesPanel.range_reopened` for the window to zoom the timeline);
* ``S`` cycles the severity 0-3.

The note is saved 400 ms after the last keystroke (and at once when another case is shown or the
panel is closed): one short durable UPDATE each time (WAL + synchronous=FULL).
"""

from __future__ import annotations

from typing import Any, Sequence

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QWidget

from workbench.annotate.agreement import annotator_of
from workbench.annotate.model import Case
from workbench.annotate.store import CaseStore, QueueItem
from workbench.annotate.taxonomy import Tag
from workbench.app.case_undo import DeleteCasesCommand, SetNoteCommand, SetSeverityCommand, SetTagsCommand
from workbench.app.cases_access import CaseAccessMixin
from workbench.app.cases_keys import CaseKeysMixin, is_text_input
from workbench.app.cases_layout import CaseLayoutMixin
from workbench.app.cases_marking import CaseMarkingMixin
from workbench.app.cases_model import CASE_ID_ROLE, CasesTableModel, compare_text
from workbench.app.cases_queue import CaseQueueMixin
from workbench.app.settings import annotator_name
from workbench.app.state import AppState

__all__ = ["CASE_ID_ROLE", "NOTE_SAVE_DELAY_MS", "CasesPanel", "CasesTableModel", "is_text_input"]

NOTE_SAVE_DELAY_MS = 400


class CasesPanel(CaseLayoutMixin, CaseAccessMixin, CaseKeysMixin, CaseQueueMixin, CaseMarkingMixin, QWidget):
    """List, filter, reopen, review and annotate cases. ``store`` may be given; otherwise the panel
    opens the project's store (:func:`default_store_path` of the open trace) when a dataset loads."""

    case_added = Signal(str)                 # case id
    case_changed = Signal(str)               # case id (tags, severity, note saved)
    note_saved = Signal(str)                 # case id
    presentation_requested = Signal(list)    # list of case ids (the listed ones)
    export_requested = Signal()              # "Export…" clicked: the window opens the export dialog
    range_reopened = Signal(str, float, float)  # (user, t0, t1) epoch seconds: show this range on the timeline

    def __init__(self, state: AppState, store: CaseStore | None = None, *, author: str | None = None,
                 hide_others: bool = False, undo_stack: QUndoStack | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        #: tags, note, severity and deletions, undone with Ctrl+Z (the window's Edit menu shares it)
        self.undo_stack = undo_stack if undo_stack is not None else QUndoStack(self)
        self.store: CaseStore | None = store
        self._own_store = False
        #: who labels (None: the login name); every case the panel creates is this annotator's
        self.author = annotator_name() if author is None else " ".join(author.split())
        #: blind annotation: list only this annotator's cases (Edit ▸ Settings…)
        self.hide_others = hide_others
        self._current_id: str | None = None
        self._queue_id: int | None = None
        self._queue: list[tuple[QueueItem, str | None]] = []
        self._queue_pos = 0
        self._loading = False
        self._note_dirty = False
        self._presentation: Any = None
        self._tag_signature: tuple[Any, ...] = ()
        #: the Present… button opens presentation mode itself (set False to handle the signal instead)
        self.open_presentation_on_request = True
        self._build_ui()
        from workbench.app.transcript_marks import MarkingHost, TranscriptMarker

        #: marked words in the shown dialogue (and in presentation mode); the window shares its host
        self.marker = TranscriptMarker(self.detail.transcript, MarkingHost(lambda: self, self))
        self._note_timer = QTimer(self)
        self._note_timer.setSingleShot(True)
        self._note_timer.setInterval(NOTE_SAVE_DELAY_MS)
        self._note_timer.timeout.connect(self._on_note_timer_timeout)
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(200)
        self._filter_timer.timeout.connect(self.refresh)
        state.dataset_changed.connect(self._on_state_dataset_changed)
        if self.store is None and state.dataset is not None:
            self._on_state_dataset_changed()
        self.refresh()

    @property
    def tag_buttons(self) -> dict[str, Any]:
        """The tag buttons by tag name (the detail area owns them)."""
        return self.detail.tag_buttons

    def _rebuild_tag_controls(self, tags: Sequence[Tag]) -> None:
        for btn, t in zip(self.detail.rebuild_tags(tags), tags):
            btn.clicked.connect(lambda _checked=False, name=t.name: self.toggle_tag(name))
            self._route_keys_of(btn)
        current = self.tag_filter.currentData()
        self.tag_filter.blockSignals(True)
        self.tag_filter.clear()
        self.tag_filter.addItem("All tags", None)
        for t in tags:
            self.tag_filter.addItem(t.label, t.name)
        idx = self.tag_filter.findData(current)
        self.tag_filter.setCurrentIndex(max(0, idx))
        self.tag_filter.blockSignals(False)

    def _set_detail_enabled(self, enabled: bool) -> None:
        case = self.current_case() if enabled else None
        self.detail.set_editable(enabled, writable=self.writable and (case is None or self.is_mine(case)))

    # -- listing ---------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read the cases (with the current filters), the taxonomy and the queues."""
        if self.store is None:
            self.model.set_cases([])
            self._tag_signature = ()
            self._rebuild_tag_controls([])
            self._show_case(None)
            return
        tags = self._guard("Cannot read the tags", self.store.tags) or []
        signature = tuple((t.name, t.label, t.shortcut, t.color, t.description) for t in tags)
        if signature != self._tag_signature:
            self._tag_signature = signature
            self._rebuild_tag_controls(tags)
        cases = self._guard("Cannot list cases", self.store.list_cases,
                            tag=self.tag_filter.currentData(), text=self.filter_edit.text().strip() or None,
                            with_snapshots=False) or []
        cases = self.visible_cases(cases)
        keep = self._current_id
        self.model.set_cases(cases, tags)
        self._refresh_queue_combo()
        row = self.model.row_of(keep) if keep else -1
        if row >= 0:
            self.view.selectRow(row)
        elif self._queue_id is None:
            self._show_case(None)

    def _refresh_queue_combo(self) -> None:
        queues = (self._guard("Cannot read queues", self.store.queues) if self.store else None) or []
        self.queue_combo.blockSignals(True)
        self.queue_combo.clear()
        self.queue_combo.addItem("(all listed cases)", None)
        for q in queues:
            self.queue_combo.addItem(f"{q.name} ({q.size})", q.id)
        idx = self.queue_combo.findData(self._queue_id) if self._queue_id is not None else 0
        self.queue_combo.setCurrentIndex(max(0, idx))
        self.queue_combo.blockSignals(False)

    def _on_filter_edit_text_changed(self, _text: str) -> None:
        self._filter_timer.start()

    def _on_tag_filter_changed(self, _index: int) -> None:
        self.refresh()

    def _on_view_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._queue_id is not None:
            return
        case = self.model.case_at(current.row())
        self._show_case(case)

    def current_case(self) -> Case | None:
        if self._current_id is None or self.store is None:
            return None
        row = self.model.row_of(self._current_id)
        if row >= 0:
            return self.model.cases[row]
        try:
            return self.store.get_case(self._current_id)
        except KeyError:
            return None

    def _show_case(self, case: Case | None, *, queue_item: QueueItem | None = None) -> None:
        self.flush_note()
        self._loading = True
        try:
            self._current_id = case.id if case else None
            self._show_transcript(case)
            if case is None and queue_item is None:
                self.detail.show_nothing("No case selected" if self.store else "No case store open")
                self._set_detail_enabled(False)
                return
            self._set_detail_enabled(True)
            if case is not None:
                self.detail.show_case(case, owner="" if self.is_mine(case) else annotator_of(case))
            else:
                assert queue_item is not None
                self.detail.show_queue_item(queue_item)
            self.save_label.setText("")
        finally:
            self._loading = False

    def _show_transcript(self, case: Case | None) -> None:
        from workbench.app.transcript_marks import case_messages

        messages = case_messages(case) if case is not None else []
        self.marker.show(messages, case if messages else None)
        self.detail.transcript.setVisible(bool(messages))

    # -- annotation ------------------------------------------------------------------------------------
    def _ensure_case(self) -> Case | None:
        """The case being annotated; in a queue, the item's case is created on the first edit."""
        if self._refuse_read_only():
            return None
        case = self.current_case()
        if case is not None and not self.is_mine(case):
            self.state.post_status(f"These are {annotator_of(case)}'s labels: mark the event (Ctrl+M) to "
                                   "add your own")
            return None
        if case is not None or self._queue_id is None or not self._queue:
            return case
        return self._ensure_queue_case()

    def toggle_tag(self, name: str) -> None:
        """Add or remove one tag of the shown case (one undoable step)."""
        if self.store is None:
            return
        case = self._ensure_case()
        if case is None:
            return
        before = self._guard("Cannot change the tags", self.store.case_tags, case.id)
        if before is None:
            return
        after = tuple(t for t in before if t != name) if name in before else (*before, name)
        label = self.model.tag_labels.get(name, name)
        self.undo_stack.push(SetTagsCommand(self, self.store, case.id, before, after,
                                            f"{'Remove' if name in before else 'Add'} tag {label}"))

    def toggle_shortcut(self, digit: int) -> bool:
        if self.store is None:
            return False
        tag = self._guard("Cannot read the tags", self.store.tag_for_shortcut, digit)
        if tag is None:
            return False
        self.toggle_tag(tag.name)
        return True

    def clear_tags(self) -> None:
        """Remove every tag of the shown case (one undoable step)."""
        case = self._ensure_case() if self.store else None
        if case is None or self.store is None:
            return
        before = self._guard("Cannot change the tags", self.store.case_tags, case.id)
        if before:
            self.undo_stack.push(SetTagsCommand(self, self.store, case.id, before, (), "Clear tags"))

    def _on_severity_value_changed(self, value: int) -> None:
        if self._loading or self.store is None:
            return
        case = self._ensure_case()
        if case is not None and case.severity != value:
            self.undo_stack.push(SetSeverityCommand(self, self.store, case.id, case.severity, int(value)))

    def _on_note_edit_text_changed(self) -> None:
        if self._loading:
            return
        self.save_label.setText("editing…")
        self._note_dirty = True
        self._note_timer.start()

    def _on_note_timer_timeout(self) -> None:
        self.flush_note()

    def flush_note(self) -> None:
        """Save a pending note edit now (called before showing another case and on close)."""
        if not self._note_dirty or self.store is None:
            return
        self._note_timer.stop()
        self._note_dirty = False
        case = self._ensure_case()
        if case is None:
            return
        text = self.note_edit.toPlainText()
        before = case.note
        try:
            self.store.update_note(case.id, text)
        except Exception as exc:  # noqa: BLE001 - the note stays in the editor; the error is shown
            self.save_label.setText("not saved")
            self.state.post_error("Cannot save the note", str(exc))
            return
        self.save_label.setText("saved")
        self.note_saved.emit(case.id)
        self._reload_case(case.id, emit=False)
        if before != text:
            self.undo_stack.push(SetNoteCommand(self, self.store, case.id, before, text))

    def _reload_case(self, case_id: str, emit: bool = True) -> None:
        case = self._guard("Cannot read the case", self.store.get_case, case_id) if self.store else None
        if case is None:
            return
        if self.model.row_of(case_id) >= 0:
            self.model.replace_case(case)
        if emit:
            self.case_changed.emit(case_id)

    def cycle_severity(self) -> None:
        self.severity.setValue((self.severity.value() + 1) % 4)

    def selected_case_ids(self) -> list[str]:
        """Ids of the selected rows (in list order), else the shown case's id, else none."""
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        ids = [c.id for c in (self.model.case_at(r) for r in rows) if c is not None]
        if not ids and self._current_id is not None:
            ids = [self._current_id]
        return ids

    def delete_current(self) -> None:
        """Delete the selected cases (asks once; Ctrl+Z brings them back)."""
        self.delete_selected()

    def delete_selected(self, case_ids: Sequence[str] | None = None, *, ask: bool = True) -> int:
        """Delete these cases (default: the selected ones) as one undoable step; returns how many.
        With ``ask`` the analyst confirms once, however many cases are chosen."""
        if self.store is None or self._refuse_read_only():
            return 0
        self.flush_note()
        ids = list(case_ids) if case_ids is not None else self.selected_case_ids()
        cases = [c for c in (self._guard("Cannot read the case", self.store.get_case, i) for i in ids) if c]
        if any(not self.is_mine(c) for c in cases):
            self.state.post_status("Other annotators' cases are not deleted here")
            cases = [c for c in cases if self.is_mine(c)]
        if not cases or (ask and not self.confirm_delete(cases)):
            return 0
        self._note_timer.stop()
        self._note_dirty = False
        self.undo_stack.push(DeleteCasesCommand(self, self.store, cases))
        self.state.post_status(f"Deleted {len(cases)} case(s); Edit ▸ Undo (Ctrl+Z) brings "
                               f"{'it' if len(cases) == 1 else 'them'} back")
        return len(cases)

    def confirm_delete(self, cases: Sequence[Case]) -> bool:
        """Ask once before deleting (tests replace this)."""
        from PySide6.QtWidgets import QMessageBox

        what = cases[0].location() if len(cases) == 1 else f"{len(cases)} cases"
        answer = QMessageBox.question(self, "Delete cases", f"Delete {what}? Edit ▸ Undo (Ctrl+Z) brings "
                                      f"{'it' if len(cases) == 1 else 'them'} back.",
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.Yes)
        return answer == QMessageBox.StandardButton.Yes

    # -- CaseView (what the undo commands call) ---------------------------------------------------------
    def case_edited(self, case_id: str) -> None:
        """A command changed this case in the store: show the stored state."""
        self._reload_case(case_id)
        if case_id != self._current_id:
            return
        case = self.current_case()
        if case is None:
            return
        self._loading = True
        try:
            for name, btn in self.tag_buttons.items():
                btn.setChecked(name in case.tags)
            self.severity.setValue(case.severity)
            if not self._note_dirty and self.note_edit.toPlainText() != case.note:
                self.note_edit.setPlainText(case.note)
            self.compare_label.setText(compare_text(case))
        finally:
            self._loading = False

    def cases_restored(self, case_ids: Sequence[str]) -> None:
        """Cases were deleted or brought back: list again and select the first of ``case_ids``."""
        if self._current_id is not None and self.store is not None:
            try:
                self.store.get_case(self._current_id)
            except KeyError:
                self._current_id = None
        self.refresh()
        rows = [r for r in (self.model.row_of(i) for i in case_ids) if r >= 0]
        if rows:
            self.view.clearSelection()
            self.view.selectRow(rows[0])

    def report_error(self, title: str, message: str) -> None:
        self.state.post_error(title, message)

    # -- context -------------------------------------------------------------------------------------
    def reopen_current(self) -> None:
        """Show the case on the timeline and in the side-by-side panel (``AppState.select_event``)."""
        case = self.current_case()
        if case is None and self._queue_id is not None and self._queue:
            item = self._queue[self._queue_pos][0]
            self.state.select_event(item.user_id, item.event_index)
            return
        if case is None:
            return
        if case.event_index is not None:
            self.state.select_event(case.user_id, case.event_index)
        else:
            self.state.set_user(case.user_id)
            first = min((n.get("event_index") for n in case.neighbours
                         if isinstance(n.get("event_index"), int) and case.start_ts and case.end_ts
                         and isinstance(n.get("timestamp"), str)
                         and case.start_ts <= n["timestamp"] <= case.end_ts), default=None)
            if first is not None:
                self.state.select_event(case.user_id, int(first))
            self._set_range_on_timeline(case)

    def _set_range_on_timeline(self, case: Case) -> None:
        from datetime import timezone

        from workbench.traces.schema import parse_timestamp

        t0, t1 = parse_timestamp(case.start_ts or "")[0], parse_timestamp(case.end_ts or "")[0]
        if t0 is not None and t1 is not None:
            a = t0.replace(tzinfo=timezone.utc).timestamp()
            b = t1.replace(tzinfo=timezone.utc).timestamp()
            pad = max((b - a) * 0.1, 60.0)
            # AppState has no range setter: the main window wires this to the timeline's set_range
            self.range_reopened.emit(case.user_id, a - pad, b + pad)

    def _on_present_button_clicked(self) -> None:
        ids = [c.id for c in self.model.cases]
        self.presentation_requested.emit(ids)
        if self.open_presentation_on_request:
            self.present(ids)

    def present(self, case_ids: Sequence[str] | None = None, *, full_screen: bool = True) -> Any:
        """Open presentation mode on the given cases (default: the listed ones, snapshots included)."""
        from workbench.app.presentation import PresentationWindow

        if self.store is None:
            return None
        ids = list(case_ids) if case_ids is not None else [c.id for c in self.model.cases]
        cases = self._guard("Cannot read cases", self.store.list_cases, ids=ids) or []
        if not cases:
            self.state.post_status("No cases to present")
            return None
        taxonomy = self._guard("Cannot read the tags", self.store.tags) or []
        self._presentation = PresentationWindow(cases, taxonomy=taxonomy, title="Cases",
                                                events_for=self._events_for(), host=self.marker.host)
        self._presentation.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self._presentation.closed.connect(self._on_presentation_closed)
        if full_screen:
            self._presentation.present()
        else:
            self._presentation.show()
        return self._presentation

    def _events_for(self) -> Any:
        """A user id -> raw events by index reader of the open trace (None without one); cached per user."""
        dataset = self.state.dataset
        if dataset is None:
            return None
        from functools import lru_cache

        from workbench.annotate.context import raw_events_for

        return lru_cache(maxsize=4)(lambda user_id: raw_events_for(dataset, user_id))

    def _on_presentation_closed(self) -> None:
        self._presentation = None

    def listed_cases(self) -> list[Case]:
        """The listed cases with their snapshots (for presentation mode and exports)."""
        if self.store is None or not self.model.cases:
            return []
        return self._guard("Cannot read cases", self.store.list_cases,
                           ids=[c.id for c in self.model.cases]) or []

    def closeEvent(self, event: Any) -> None:  # noqa: N802
        self.flush_note()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Save pending edits and close a store the panel opened (call when the window closes)."""
        self.flush_note()
        if self.store is not None and self._own_store:
            self.store.close()
            self.store = None

