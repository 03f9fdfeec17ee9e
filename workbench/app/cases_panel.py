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

from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable, Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeyEvent, QUndoStack
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QSizePolicy, QComboBox, QFrame, QHBoxLayout, QHeaderView, QLabel,
                               QLineEdit, QPlainTextEdit, QPushButton, QSpinBox, QSplitter, QTableView,
                               QToolButton, QVBoxLayout, QWidget)

from widgets.flow import flow_widget
from workbench.annotate.model import (Case, CasePrediction, epoch_to_trace_ts, new_case, turns_from)
from workbench.annotate.store import CaseStore, QueueItem, default_store_path
from workbench.annotate.svg import safe_color
from workbench.annotate.taxonomy import Tag
from workbench.annotate.values import value_text
from workbench.app.case_undo import DeleteCasesCommand, SetNoteCommand, SetSeverityCommand, SetTagsCommand
from workbench.app.state import AppState
from workbench.simulate.types import Prediction

_Index = QModelIndex | QPersistentModelIndex
NOTE_SAVE_DELAY_MS = 400
CASE_ID_ROLE = Qt.ItemDataRole.UserRole


class CasesTableModel(QAbstractTableModel):
    """The listed cases (a plain list of frozen :class:`Case` objects; small by nature)."""

    COLUMNS = ("User", "Where", "Scenario", "Fields", "Tags", "Sev", "Note", "Updated")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.cases: list[Case] = []
        self.tag_labels: dict[str, str] = {}

    def set_cases(self, cases: Sequence[Case], tags: Sequence[Tag] = ()) -> None:
        self.beginResetModel()
        self.cases = list(cases)
        if tags:
            self.tag_labels = {t.name: t.label for t in tags}
        self.endResetModel()

    def replace_case(self, case: Case) -> None:
        row = self.row_of(case.id)
        if row >= 0:
            self.cases[row] = case
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.COLUMNS) - 1))

    def case_at(self, row: int) -> Case | None:
        return self.cases[row] if 0 <= row < len(self.cases) else None

    def row_of(self, case_id: str) -> int:
        return next((i for i, c in enumerate(self.cases) if c.id == case_id), -1)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802 (Qt naming)
        return 0 if parent.isValid() else len(self.cases)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        case = self.case_at(index.row()) if index.isValid() else None
        if case is None:
            return None
        col = index.column()
        if role == CASE_ID_ROLE:
            return case.id
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return case.user_id
            if col == 1:
                return f"#{case.event_index}" if case.event_index is not None else \
                    f"{case.start_ts} … {case.end_ts}"
            if col == 2:
                return case.scenario
            if col == 3:
                return ", ".join(case.fields)
            if col == 4:
                return ", ".join(self.tag_labels.get(t, t) for t in case.tags)
            if col == 5:
                return str(case.severity)
            if col == 6:
                return " ".join(case.note.split())[:200]
            if col == 7:
                return case.updated[:19].replace("T", " ")
        if role == Qt.ItemDataRole.ToolTipRole and col == 6:
            return case.note[:2000] or None
        if role == Qt.ItemDataRole.ForegroundRole and col == 5 and case.severity >= 2:
            return QColor("#c2410c")
        return None


class CasesPanel(QWidget):
    """List, filter, reopen, review and annotate cases. ``store`` may be given; otherwise the panel
    opens the project's store (:func:`default_store_path` of the open trace) when a dataset loads."""

    case_added = Signal(str)                 # case id
    case_changed = Signal(str)               # case id (tags, severity, note saved)
    note_saved = Signal(str)                 # case id
    presentation_requested = Signal(list)    # list of case ids (the listed ones)
    export_requested = Signal()              # "Export…" clicked: the window opens the export dialog
    range_reopened = Signal(str, float, float)  # (user, t0, t1) epoch seconds: show this range on the timeline

    def __init__(self, state: AppState, store: CaseStore | None = None, *, author: str = "",
                 undo_stack: QUndoStack | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        #: tags, note, severity and deletions, undone with Ctrl+Z (the window's Edit menu shares it)
        self.undo_stack = undo_stack if undo_stack is not None else QUndoStack(self)
        self.store: CaseStore | None = store
        self._own_store = False
        self.author = author
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

    # -- UI ----------------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.setObjectName("cases_panel")
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setObjectName("cases_filter")
        self.filter_edit.setPlaceholderText("Filter cases (note, user, field, model, tag)…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._on_filter_edit_text_changed)
        self.tag_filter = QComboBox(self)
        self.tag_filter.setObjectName("cases_tag_filter")
        self.tag_filter.currentIndexChanged.connect(self._on_tag_filter_changed)
        self.queue_combo = QComboBox(self)
        self.queue_combo.setObjectName("cases_queue")
        self.queue_combo.setToolTip("Walk an annotation queue (J/K or ]/[ for next/previous)")
        self.queue_combo.currentIndexChanged.connect(self._on_queue_combo_changed)
        for combo in (self.tag_filter, self.queue_combo):   # never as wide as the longest entry
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(8)
        top = QHBoxLayout()
        top.addWidget(self.filter_edit, 3)
        top.addWidget(self.tag_filter, 1)
        top.addWidget(QLabel("Queue:", self))
        top.addWidget(self.queue_combo, 2)

        self.model = CasesTableModel(self)
        self.view = QTableView(self)
        self.view.setObjectName("cases_view")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.setWordWrap(False)
        header = self.view.horizontalHeader()
        for col in range(len(CasesTableModel.COLUMNS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)
        self.view.selectionModel().currentRowChanged.connect(self._on_view_current_changed)
        self.view.doubleClicked.connect(lambda _i: self.reopen_current())

        # detail / annotation area
        self.title_label = QLabel("No case selected", self)
        self.title_label.setObjectName("case_title")
        self.title_label.setTextFormat(Qt.TextFormat.PlainText)
        # one line each (a splitter ignores a wrapped label's height-for-width, so wrapped text would
        # overlap): a long line is cut on the right in a narrow dock and its full text is the tooltip
        self.title_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        f = self.title_label.font()
        f.setBold(True)
        self.title_label.setFont(f)
        self.compare_label = QLabel("", self)
        self.compare_label.setObjectName("case_compare")
        self.compare_label.setTextFormat(Qt.TextFormat.PlainText)
        self.compare_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
        self.compare_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.tag_box, self.tag_bar = flow_widget(self, spacing=4)
        self.tag_box.setObjectName("case_tags")
        self.tag_buttons: dict[str, QToolButton] = {}
        self.severity = QSpinBox(self)
        self.severity.setObjectName("case_severity")
        self.severity.setRange(0, 3)
        self.severity.setPrefix("severity ")
        self.severity.valueChanged.connect(self._on_severity_value_changed)
        tags_row = QHBoxLayout()
        tags_row.addWidget(self.tag_box, 1)
        tags_row.addWidget(self.severity, 0, Qt.AlignmentFlag.AlignTop)
        self.note_edit = QPlainTextEdit(self)
        self.note_edit.setObjectName("case_note")
        self.note_edit.setPlaceholderText("Note (N to focus; saved as you type)")
        self.note_edit.textChanged.connect(self._on_note_edit_text_changed)
        self.save_label = QLabel("", self)
        self.save_label.setObjectName("case_save_state")
        self.queue_label = QLabel("", self)
        self.prev_button = QPushButton("◀ Previous", self)
        self.prev_button.clicked.connect(self.previous_item)
        self.next_button = QPushButton("Next ▶", self)
        self.next_button.clicked.connect(self.next_item)
        self.reopen_button = QPushButton("Reopen in context", self)
        self.reopen_button.setObjectName("case_reopen")
        self.reopen_button.clicked.connect(self.reopen_current)
        self.present_button = QPushButton("Present…", self)
        self.present_button.clicked.connect(self._on_present_button_clicked)
        self.delete_button = QPushButton("Delete", self)
        self.delete_button.setObjectName("case_delete")
        self.delete_button.setToolTip("Delete the selected case(s) (Delete; Ctrl+Z undoes)")
        self.delete_button.clicked.connect(self.delete_selected)
        self.export_button = QPushButton("Export…", self)
        self.export_button.setObjectName("cases_export")
        self.export_button.setToolTip("Export cases as an HTML report, JSONL, CSV or Parquet")
        self.export_button.clicked.connect(self.export_requested)
        button_box, buttons = flow_widget(self, spacing=6)
        for b in (self.prev_button, self.next_button, self.reopen_button, self.present_button,
                  self.export_button, self.delete_button):
            buttons.addWidget(b)
        status_row = QHBoxLayout()
        status_row.addWidget(self.queue_label, 1)
        status_row.addWidget(self.save_label)

        detail = QFrame(self)
        detail.setFrameShape(QFrame.Shape.StyledPanel)
        dl = QVBoxLayout(detail)
        dl.setContentsMargins(6, 6, 6, 6)
        dl.addWidget(self.title_label)
        dl.addWidget(self.compare_label)
        dl.addLayout(tags_row)
        dl.addWidget(self.note_edit, 1)
        dl.addLayout(status_row)
        dl.addWidget(button_box)

        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.view)
        splitter.addWidget(detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)      # the details keep room for every line they hold
        from workbench.app.panels import scroll_body

        layout = scroll_body(self)          # squeezed by other docks, the panel scrolls
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        self._set_detail_enabled(False)
        self.note_edit.installEventFilter(self)
        for w in (self, *self.findChildren(QWidget)):
            self._route_keys_of(w)

    def _rebuild_tag_controls(self, tags: Sequence[Tag]) -> None:
        for btn in self.tag_buttons.values():
            self.tag_bar.removeWidget(btn)
            btn.deleteLater()
        self.tag_buttons = {}
        for t in tags:
            btn = QToolButton(self)
            btn.setObjectName(f"tag_{t.name}")
            btn.setCheckable(True)
            btn.setText(f"{t.shortcut} {t.label}" if t.shortcut is not None else t.label)
            btn.setToolTip(t.description or t.label)
            color = safe_color(t.color)
            btn.setStyleSheet(f"QToolButton:checked {{ background: {color}; color: white; "
                              f"border: 1px solid {color}; border-radius: 3px; padding: 2px 6px; }}")
            btn.clicked.connect(lambda _checked=False, name=t.name: self.toggle_tag(name))
            self.tag_bar.addWidget(btn)
            self.tag_buttons[t.name] = btn
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
        for w in (self.note_edit, self.severity, self.reopen_button, self.delete_button,
                  *self.tag_buttons.values()):
            w.setEnabled(enabled)

    # -- store ---------------------------------------------------------------------------------------
    def set_store(self, store: CaseStore | None, *, owned: bool = False) -> None:
        """Show another store (the panel closes stores it opened itself)."""
        self.flush_note()
        if self.store is not None and self._own_store and self.store is not store:
            self.store.close()
        self.store = store
        self._own_store = owned
        self.undo_stack.clear()          # the commands belong to the previous store
        self._current_id = None
        self._queue_id = None
        self._queue = []
        self.refresh()

    def open_store(self, path: str | Path) -> bool:
        try:
            store = CaseStore(path)
        except Exception as exc:  # noqa: BLE001 - StoreError and OS errors: shown, never raised into Qt
            self.state.post_error("Cannot open the case store", str(exc))
            return False
        self.set_store(store, owned=True)
        self.state.post_status(f"Cases: {store.path}")
        return True

    def _on_state_dataset_changed(self) -> None:
        if self.store is not None and not self._own_store:
            return  # a store given by the caller stays
        source = getattr(self.state.dataset, "source", None)
        self.open_store(default_store_path(source))

    def _guard(self, title: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a store call; errors go to the one error sink (the GUI never crashes on them)."""
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - every store error is shown, never raised into Qt
            self.state.post_error(title, str(exc))
            return None

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
            if case is None and queue_item is None:
                self.title_label.setText("No case selected" if self.store else "No case store open")
                self.compare_label.setText("")
                self.note_edit.setPlainText("")
                self.severity.setValue(0)
                for btn in self.tag_buttons.values():
                    btn.setChecked(False)
                self._set_detail_enabled(False)
                return
            self._set_detail_enabled(True)
            if case is not None:
                self.title_label.setText(f"{case.location()} · {case.scenario or '—'}")
                self.compare_label.setText(_compare_text(case))
                self.title_label.setToolTip(self.title_label.text())
                self.compare_label.setToolTip(self.compare_label.text())
                self.note_edit.setPlainText(case.note)
                self.severity.setValue(case.severity)
                for name, btn in self.tag_buttons.items():
                    btn.setChecked(name in case.tags)
            else:
                assert queue_item is not None
                self.title_label.setText(f"{queue_item.user_id} #{queue_item.event_index} · "
                                         f"{queue_item.scenario or '—'} (not annotated yet)")
                self.compare_label.setText(
                    f"{queue_item.field}: real {queue_item.true_value!r} · {queue_item.model} "
                    f"{queue_item.predicted_label!r} (p={queue_item.predicted_value!r})"
                    + ("" if queue_item.parse_ok else " · not parsed"))
                self.note_edit.setPlainText("")
                self.severity.setValue(0)
                for btn in self.tag_buttons.values():
                    btn.setChecked(False)
                self.delete_button.setEnabled(False)
            self.save_label.setText("")
        finally:
            self._loading = False

    # -- annotation ------------------------------------------------------------------------------------
    def _ensure_case(self) -> Case | None:
        """The case being annotated; in a queue, the item's case is created on the first edit."""
        case = self.current_case()
        if case is not None or self._queue_id is None or not self._queue:
            return case
        item, case_id = self._queue[self._queue_pos]
        if case_id is None:
            case = self.mark_event(item.user_id, item.event_index, [item.field], predictions=[item.prediction()],
                                   select=False)
            if case is None:
                return None
            self._queue[self._queue_pos] = (item, case.id)
            self._guard("Cannot update the queue", self.store.link_queue_case, self._queue_id,  # type: ignore[union-attr]
                        self._queue_pos, case.id)
            self._current_id = case.id
            self.delete_button.setEnabled(True)
        return case

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
        if self.store is None:
            return 0
        self.flush_note()
        ids = list(case_ids) if case_ids is not None else self.selected_case_ids()
        cases = [c for c in (self._guard("Cannot read the case", self.store.get_case, i) for i in ids) if c]
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
            self.compare_label.setText(_compare_text(case))
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

    # -- marking (the API other panels call) ----------------------------------------------------------
    def mark_event(self, user_id: str, event_index: int, fields: Iterable[str] = (), *,
                   predictions: Iterable[Prediction | CasePrediction] = (), prompt: Any = "",
                   tags: Iterable[str] = (), note: str = "", severity: int = 0,
                   memory: str = "", prompt_hash: str = "", transcript: Iterable[Any] | None = None,
                   snapshot_png: bytes | None = None, select: bool = True) -> Case | None:
        """Create a case for one event (from the side-by-side panel, a dialogue message or an
        evaluation cell). With a dataset open, the event, its neighbours and the real values of
        ``fields`` are taken from the trace; predictions keep model, memory strategy and prompt hash.
        ``prompt`` is the prompt text or a ``workbench.simulate.types.Prompt`` (whose memory strategy
        and hash are then used)."""
        if self.store is None:
            self.state.post_error("No case store", "Open a trace (or a case store) before marking cases.")
            return None
        if not isinstance(prompt, str):  # a workbench.simulate.types.Prompt: keep its strategy and hash
            memory = memory or str(getattr(prompt, "memory", "") or "")
            prompt_hash = prompt_hash or str(getattr(prompt, "prompt_hash", "") or "")
            prompt = str(getattr(prompt, "text", "") or "")
        preds = [p if isinstance(p, CasePrediction) else CasePrediction.from_prediction(p, memory, prompt_hash)
                 for p in predictions]
        field_list = list(dict.fromkeys([*fields, *(p.field for p in preds if p.field)]))
        try:
            tag_names = [self.store.resolve_tag(t).name for t in tags]
        except KeyError as exc:
            self.state.post_error("Unknown tag", str(exc.args[0]))
            return None
        case: Case | None = None
        dataset = self.state.dataset
        if dataset is not None:
            try:
                from workbench.annotate.context import case_from_trace

                case = case_from_trace(dataset, user_id, event_index, fields=field_list, predictions=preds,
                                       tags=tag_names, note=note, severity=severity, author=self.author,
                                       prompt=prompt)
            except Exception:  # noqa: BLE001 - a field without a question, a moved trace
                case = None  # a field without a question, a moved trace: keep what we were given
            if case is None:
                try:
                    from workbench.annotate.context import case_from_trace

                    base = case_from_trace(dataset, user_id, event_index)
                    case = replace(base, fields=tuple(field_list), predictions=tuple(preds),
                                   real_values={f: v for f, v in base.real_values.items() if f in field_list},
                                   tags=tuple(tag_names), note=note, severity=severity, author=self.author,
                                   prompt=prompt)
                except Exception:  # noqa: BLE001 - as above: keep what we were given
                    case = None
        if case is None:
            case = new_case(source=str(getattr(dataset, "source", "") or ""), user_id=user_id,
                            event_index=event_index, fields=field_list, predictions=preds, prompt=prompt,
                            tags=tag_names, note=note, severity=severity, author=self.author)
        if transcript is not None:
            case = replace(case, transcript=tuple(turns_from(transcript)))
        if snapshot_png is not None:
            case = replace(case, snapshot_png=bytes(snapshot_png))
        if self._guard("Cannot save the case", self.store.add_case, case) is None:
            return None
        self.case_added.emit(case.id)
        self.state.post_status(f"Case marked: {case.location()}")
        if select:
            self._leave_queue()
            self.refresh()
            row = self.model.row_of(case.id)
            if row >= 0:
                self.view.selectRow(row)
            else:
                self._show_case(case)
        else:
            self.refresh()
        return case

    def mark_range(self, user_id: str, t0: float | str, t1: float | str, *, tags: Iterable[str] = (),
                   note: str = "", snapshot_png: bytes | None = None) -> Case | None:
        """Create a case for a time range of one user's timeline (epoch seconds as the timeline
        reports them, or trace timestamp strings)."""
        if self.store is None:
            self.state.post_error("No case store", "Open a trace (or a case store) before marking cases.")
            return None
        start = t0 if isinstance(t0, str) else epoch_to_trace_ts(t0)
        end = t1 if isinstance(t1, str) else epoch_to_trace_ts(t1)
        if start > end:
            start, end = end, start
        try:
            tag_names = [self.store.resolve_tag(t).name for t in tags]
        except KeyError as exc:
            self.state.post_error("Unknown tag", str(exc.args[0]))
            return None
        case = None
        if self.state.dataset is not None:
            try:
                from workbench.annotate.context import case_for_range, raw_events_for

                case = case_for_range(raw_events_for(self.state.dataset, user_id),
                                      source=str(self.state.dataset.source), user_id=user_id, start_ts=start,
                                      end_ts=end, tags=tag_names, note=note, author=self.author)
            except Exception:  # noqa: BLE001 - a moved trace: keep the range as given
                case = None
        if case is None:
            case = new_case(source=str(getattr(self.state.dataset, "source", "") or ""), user_id=user_id,
                            start_ts=start, end_ts=end, tags=tag_names, note=note, author=self.author)
        if snapshot_png is not None:
            case = replace(case, snapshot_png=bytes(snapshot_png))
        if self._guard("Cannot save the case", self.store.add_case, case) is None:
            return None
        self.case_added.emit(case.id)
        self._leave_queue()
        self.refresh()
        row = self.model.row_of(case.id)
        if row >= 0:
            self.view.selectRow(row)
        return case

    # -- queue walking -------------------------------------------------------------------------------
    def _on_queue_combo_changed(self, _index: int) -> None:
        qid = self.queue_combo.currentData()
        if qid is None:
            self._leave_queue()
            self.refresh()
        else:
            self.start_queue(int(qid))

    def start_queue(self, queue_id: int) -> None:
        """Walk a persisted queue from where it was left."""
        if self.store is None:
            return
        q = self._guard("Cannot open the queue", self.store.get_queue, queue_id)
        items = self._guard("Cannot open the queue", self.store.queue_items, queue_id)
        if q is None or items is None:
            return
        self.flush_note()
        self._queue_id = queue_id
        self._queue = items
        self._queue_pos = min(max(q.position, 0), max(len(items) - 1, 0))
        idx = self.queue_combo.findData(queue_id)
        if idx >= 0 and self.queue_combo.currentIndex() != idx:
            self.queue_combo.blockSignals(True)
            self.queue_combo.setCurrentIndex(idx)
            self.queue_combo.blockSignals(False)
        self._show_queue_item()

    def _leave_queue(self) -> None:
        if self._queue_id is None:
            return
        self.flush_note()
        self._queue_id = None
        self._queue = []
        self.queue_label.setText("")
        self.queue_combo.blockSignals(True)
        self.queue_combo.setCurrentIndex(0)
        self.queue_combo.blockSignals(False)

    def _show_queue_item(self) -> None:
        if not self._queue:
            self.queue_label.setText("queue is empty")
            self._show_case(None)
            return
        item, case_id = self._queue[self._queue_pos]
        case = None
        if case_id is not None and self.store is not None:
            try:
                case = self.store.get_case(case_id)
            except KeyError:
                case = None
        self.queue_label.setText(f"queue item {self._queue_pos + 1} / {len(self._queue)}")
        self._show_case(case, queue_item=item)
        if case is None:
            self._current_id = None
        row = self.model.row_of(case.id) if case else -1
        if row >= 0:
            self.view.selectionModel().blockSignals(True)
            self.view.selectRow(row)
            self.view.selectionModel().blockSignals(False)
        self.state.select_event(item.user_id, item.event_index)

    def queue_position(self) -> int:
        return self._queue_pos

    def next_item(self) -> None:
        self._step(+1)

    def previous_item(self) -> None:
        self._step(-1)

    def _step(self, delta: int) -> None:
        if self._queue_id is not None:
            if not self._queue:
                return
            pos = min(max(self._queue_pos + delta, 0), len(self._queue) - 1)
            if pos == self._queue_pos:
                return
            self.flush_note()
            self._queue_pos = pos
            self._guard("Cannot save the queue position", self.store.set_queue_position,  # type: ignore[union-attr]
                        self._queue_id, pos)
            self._show_queue_item()
            return
        n = self.model.rowCount()
        if n == 0:
            return
        cur = self.view.currentIndex().row()
        row = 0 if cur < 0 else min(max(cur + delta, 0), n - 1)
        self.view.selectRow(row)

    # -- keyboard --------------------------------------------------------------------------------------
    def review_action(self, event: QKeyEvent) -> Any:
        """The review command a key stands for (see the module docstring), or None."""
        key = event.key()
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        ctrl = mods == Qt.KeyboardModifier.ControlModifier
        if mods not in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier) and not ctrl:
            return None
        if (key in (Qt.Key.Key_J, Qt.Key.Key_BracketRight) and not ctrl) or (ctrl and key == Qt.Key.Key_Down):
            return self.next_item
        if (key in (Qt.Key.Key_K, Qt.Key.Key_BracketLeft) and not ctrl) or (ctrl and key == Qt.Key.Key_Up):
            return self.previous_item
        if ctrl:
            return None
        if Qt.Key.Key_1 <= key <= Qt.Key.Key_9:
            return lambda digit=int(key - Qt.Key.Key_0): self.toggle_shortcut(digit)
        actions = {Qt.Key.Key_0: self.clear_tags, Qt.Key.Key_N: self.focus_note, Qt.Key.Key_S: self._key_severity,
                   Qt.Key.Key_Return: self.reopen_current, Qt.Key.Key_Enter: self.reopen_current,
                   Qt.Key.Key_O: self.reopen_current, Qt.Key.Key_Delete: self.delete_selected}
        return actions.get(Qt.Key(key))

    def handle_key(self, event: QKeyEvent) -> bool:
        """Run the review command of this key; True when the key was one."""
        action = self.review_action(event)
        if action is None:
            return False
        action()
        return True

    def focus_note(self) -> None:
        """Put the cursor at the end of the note (``N``)."""
        if self.note_edit.isEnabled():
            self.note_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
            self.note_edit.moveCursor(self.note_edit.textCursor().MoveOperation.End)

    def _key_severity(self) -> None:
        if self.severity.isEnabled():
            self.cycle_severity()

    def _route_keys_of(self, widget: QWidget) -> None:
        """Let the panel see the keys of a (non-text) child first: its review keys then win over
        the window's shortcuts while the focus is anywhere in the panel."""
        if not is_text_input(widget):
            widget.installEventFilter(self)

    def eventFilter(self, obj: Any, event: Any) -> bool:  # noqa: N802 (Qt naming)
        from PySide6.QtCore import QEvent

        kind = event.type()
        if kind == QEvent.Type.KeyPress and obj is self.note_edit:
            if event.key() == Qt.Key.Key_Escape:
                self.flush_note()
                self.view.setFocus(Qt.FocusReason.ShortcutFocusReason)
                return True
            return False
        if kind in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress) and not is_text_input(obj) \
                and not is_text_input(QApplication.focusWidget()):
            action = self.review_action(event)
            if action is not None:
                if kind == QEvent.Type.ShortcutOverride:
                    event.accept()       # the key is ours: Qt delivers it as a KeyPress, not a shortcut
                else:
                    action()
                return True
        return super().eventFilter(obj, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if not self.handle_key(event):
            super().keyPressEvent(event)

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
                                                events_for=self._events_for())
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


def is_text_input(widget: Any) -> bool:
    """Does typing into this widget enter text (line and text edits, spin boxes, editable combos)?"""
    from PySide6.QtWidgets import QAbstractSpinBox, QTextEdit

    if isinstance(widget, (QLineEdit, QAbstractSpinBox)):
        return True
    if isinstance(widget, (QPlainTextEdit, QTextEdit)):
        return not widget.isReadOnly()
    return isinstance(widget, QComboBox) and widget.isEditable()


def _compare_text(case: Case) -> str:
    """One line per field: real value against each model's answer (Yes/No, plain numbers)."""
    lines = []
    for f in case.fields:
        real = case.real_values.get(f)
        preds = [p for p in case.predictions if p.field == f]
        parts = [f"{f}: real {value_text(f, real, 60)}"]
        for p in preds:
            if not p.parse_ok:
                parts.append(f"{p.model} not parsed")
            else:
                shown = p.predicted_label if p.predicted_label is not None else p.predicted_value
                parts.append(f"{p.model} {value_text(f, shown, 60)}")
        lines.append(" · ".join(parts))
    if case.is_range:
        lines.append(f"{len(case.neighbours)} event(s) around the range")
    return "\n".join(lines[:8]) + ("\n…" if len(lines) > 8 else "")
