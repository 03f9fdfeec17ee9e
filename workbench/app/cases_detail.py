"""The Cases panel's detail area: the shown case's title, its real-against-predicted lines, its
dialogue (a transcript where words are marked), the tag buttons, severity, note, queue and save
state, and the action buttons. Layer: app (Qt).

:class:`CaseDetail` only builds and shows; the panel connects its widgets' signals to the store
actions (the panel keeps the widgets under their old names, e.g. ``panel.note_edit``).
"""

from __future__ import annotations

from typing import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QSizePolicy,
                               QSpinBox, QToolButton, QVBoxLayout, QWidget)

from widgets.flow import flow_widget
from widgets.transcript import TranscriptView
from workbench.annotate.model import Case
from workbench.annotate.store import QueueItem
from workbench.annotate.svg import safe_color
from workbench.annotate.taxonomy import Tag
from workbench.app.cases_model import compare_text


class CaseDetail(QFrame):
    """The detail and annotation widgets of one case (or of a queue item not annotated yet)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
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
        self.transcript = TranscriptView(self)          # a dialogue case's messages (the panel fills it)
        self.transcript.setObjectName("case_transcript")
        self.transcript.setMinimumHeight(120)           # two bubbles; the panel scrolls when squeezed
        self.transcript.hide()
        self.tag_box, self.tag_bar = flow_widget(self, spacing=4)
        self.tag_box.setObjectName("case_tags")
        self.tag_buttons: dict[str, QToolButton] = {}
        self.severity = QSpinBox(self)
        self.severity.setObjectName("case_severity")
        self.severity.setRange(0, 3)
        self.severity.setPrefix("severity ")
        tags_row = QHBoxLayout()
        tags_row.addWidget(self.tag_box, 1)
        tags_row.addWidget(self.severity, 0, Qt.AlignmentFlag.AlignTop)
        self.note_edit = QPlainTextEdit(self)
        self.note_edit.setObjectName("case_note")
        self.note_edit.setPlaceholderText("Note (N to focus; saved as you type)")
        self.save_label = QLabel("", self)
        self.save_label.setObjectName("case_save_state")
        self.queue_label = QLabel("", self)
        status_row = QHBoxLayout()
        status_row.addWidget(self.queue_label, 1)
        status_row.addWidget(self.save_label)
        self.button_box = self._build_buttons()
        dl = QVBoxLayout(self)
        dl.setContentsMargins(6, 6, 6, 6)
        dl.addWidget(self.title_label)
        dl.addWidget(self.compare_label)
        dl.addWidget(self.transcript, 2)
        dl.addLayout(tags_row)
        dl.addWidget(self.note_edit, 1)
        dl.addLayout(status_row)
        dl.addWidget(self.button_box)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt naming)
        """Keep every wrapped row of tag buttons in sight: the tag box's minimum height follows its
        width, so a splitter squeezes the note (or the panel scrolls) instead of the tags."""
        super().resizeEvent(event)
        self._fit_tags()

    def _fit_tags(self) -> None:
        need = self.tag_box.heightForWidth(self.tag_box.width()) if self.tag_box.width() > 0 else 0
        if need > 0 and need != self.tag_box.minimumHeight():
            self.tag_box.setMinimumHeight(need)

    def _build_buttons(self) -> QWidget:
        self.prev_button = QPushButton("◀ Previous", self)
        self.next_button = QPushButton("Next ▶", self)
        self.reopen_button = QPushButton("Reopen in context", self)
        self.reopen_button.setObjectName("case_reopen")
        self.present_button = QPushButton("Present…", self)
        self.delete_button = QPushButton("Delete", self)
        self.delete_button.setObjectName("case_delete")
        self.delete_button.setToolTip("Delete the selected case(s) (Delete; Ctrl+Z undoes)")
        self.export_button = QPushButton("Export…", self)
        self.export_button.setObjectName("cases_export")
        self.export_button.setToolTip("Export cases as an HTML report, JSONL, CSV or Parquet")
        button_box, buttons = flow_widget(self, spacing=6)
        for b in (self.prev_button, self.next_button, self.reopen_button, self.present_button,
                  self.export_button, self.delete_button):
            buttons.addWidget(b)
        return button_box

    def rebuild_tags(self, tags: Sequence[Tag]) -> list[QToolButton]:
        """One checkable button per tag (its shortcut digit and label, its colour when checked); the
        new buttons (the caller connects them)."""
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
            self.tag_bar.addWidget(btn)
            self.tag_buttons[t.name] = btn
        self._fit_tags()
        return list(self.tag_buttons.values())

    def set_editable(self, enabled: bool, *, writable: bool = True) -> None:
        """Enable the detail (a case is shown) and, when ``writable``, what edits it; a note that
        cannot be edited stays readable (read-only, not disabled)."""
        self.note_edit.setEnabled(enabled)
        self.note_edit.setReadOnly(not writable)
        self.reopen_button.setEnabled(enabled)
        for w in (self.severity, self.delete_button, *self.tag_buttons.values()):
            w.setEnabled(enabled and writable)

    def show_labels(self, tags: Sequence[str], severity: int) -> None:
        """Check the buttons of ``tags`` and show ``severity``."""
        for name, btn in self.tag_buttons.items():
            btn.setChecked(name in tags)
        self.severity.setValue(severity)

    def show_nothing(self, text: str) -> None:
        """No case: ``text`` as the title, everything else empty."""
        self.title_label.setText(text)
        self.compare_label.setText("")
        self.note_edit.setPlainText("")
        self.show_labels((), 0)

    def show_case(self, case: Case, *, owner: str = "") -> None:
        """Show ``case``: title, comparison (full texts as tooltips), note, tags and severity;
        ``owner`` names another annotator whose labels these are (shown, not edited)."""
        by = f" · {owner}'s labels (view only)" if owner else ""
        self.title_label.setText(f"{case.location()} · {case.scenario or '—'}{by}")
        self.compare_label.setText(compare_text(case))
        self.title_label.setToolTip(self.title_label.text())
        self.compare_label.setToolTip(self.compare_label.text())
        self.note_edit.setPlainText(case.note)
        self.show_labels(case.tags, case.severity)

    def show_queue_item(self, item: QueueItem) -> None:
        """Show a queue item that has no case yet (nothing to delete)."""
        self.title_label.setText(f"{item.user_id} #{item.event_index} · {item.scenario or '—'} "
                                 "(not annotated yet)")
        self.compare_label.setText(
            f"{item.field}: real {item.true_value!r} · {item.model} "
            f"{item.predicted_label!r} (p={item.predicted_value!r})"
            + ("" if item.parse_ok else " · not parsed"))
        self.note_edit.setPlainText("")
        self.show_labels((), 0)
        self.delete_button.setEnabled(False)
