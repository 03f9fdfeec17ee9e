"""Go ▸ Jump to date…: a date typed as text (or picked on a calendar). Layer: app (Qt).

A ``QDateEdit`` types into one section at a time, so typing a whole date over it lands digits in the
wrong sections (typed 2025-10-20, got 2025-09-10). Here the date is a plain text field, selected when
the dialog opens so that typing replaces it, read with :func:`parse_date`; the calendar below
follows the text and sets it when clicked. OK is enabled only while the text is a date.
"""

from __future__ import annotations

import re
from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (QCalendarWidget, QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout,
                               QWidget)

_DATE = re.compile(r"^\s*(\d{4})[-/.]?(\d{1,2})[-/.]?(\d{1,2})(?:[ T].*)?\s*$")


def parse_date(text: str) -> date | None:
    """``2025-10-20``, ``2025/10/20``, ``2025.10.20``, ``20251020`` (a time after it is ignored);
    None when the text is not a real date."""
    m = _DATE.match(text or "")
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


class JumpDateDialog(QDialog):
    """Asks for a date; :meth:`chosen_date` is the answer (None while the text is not a date)."""

    def __init__(self, initial: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Jump to date")
        self.edit = QLineEdit(initial.isoformat(), self)
        self.edit.setObjectName("jump_date_text")
        self.edit.setPlaceholderText("yyyy-mm-dd")
        self.calendar = QCalendarWidget(self)
        self.calendar.setSelectedDate(QDate(initial.year, initial.month, initial.day))
        self.problem = QLabel("", self)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("First event on or after (type yyyy-mm-dd or pick a day):", self))
        layout.addWidget(self.edit)
        layout.addWidget(self.calendar)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.edit.textChanged.connect(self._on_text_changed)
        self.calendar.clicked.connect(self._on_calendar_clicked)
        self.edit.selectAll()
        self.edit.setFocus()

    def chosen_date(self) -> date | None:
        return parse_date(self.edit.text())

    def _on_text_changed(self, text: str) -> None:
        d = parse_date(text)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(d is not None)
        self.problem.setText("" if d is not None or not text.strip() else f"“{text.strip()}” is not a date")
        if d is not None:
            self.calendar.setSelectedDate(QDate(d.year, d.month, d.day))

    def _on_calendar_clicked(self, qdate: QDate) -> None:
        self.edit.setText(date(qdate.year(), qdate.month(), qdate.day()).isoformat())
