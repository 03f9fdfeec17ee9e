"""The Predict panel's "Diff with benchmark" dialog: our prompt beside the benchmark's. Layer: app (Qt).

Shows, for one question of the selected event, our prompt (left) and the prompt the benchmark's own
builder renders from the user's checkout (right), aligned line by line with
:func:`workbench.simulate.prompt_diff.diff_rows`; differing lines are tinted (changed: amber, only
on one side: red/green) and a summary line says whether the prompts and their history events are
equal. The prompts are built by the caller (on a worker for big users) and handed over as
:class:`workbench.simulate.prompt_diff.PromptPair` values.
"""

from __future__ import annotations

from typing import Sequence

from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (QComboBox, QDialog, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton,
                               QVBoxLayout, QWidget)

from workbench.simulate.prompt_diff import CHANGED, OURS_ONLY, SAME, THEIRS_ONLY, PromptPair, diff_rows

_TINT = {CHANGED: "#fff0c2", OURS_ONLY: "#ffd9d9", THEIRS_ONLY: "#d9f5d9"}


class PromptDiffDialog(QDialog):
    """Side-by-side prompts of one event, one question at a time."""

    def __init__(self, pairs: Sequence[PromptPair], title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Our prompt beside the benchmark's" + (f" — {title}" if title else ""))
        self.resize(1200, 760)
        self.pairs = list(pairs)
        self.field = QComboBox()
        self.field.addItems([p.field for p in self.pairs])
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.ours = QPlainTextEdit()
        self.theirs = QPlainTextEdit()
        for view in (self.ours, self.theirs):
            view.setReadOnly(True)
            view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.ours.verticalScrollBar().valueChanged.connect(self.theirs.verticalScrollBar().setValue)
        self.theirs.verticalScrollBar().valueChanged.connect(self.ours.verticalScrollBar().setValue)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        head = QHBoxLayout()
        head.addWidget(QLabel("Question"))
        head.addWidget(self.field)
        head.addWidget(self.summary, 1)
        cols = QHBoxLayout()
        for label, view in (("Ours", self.ours), ("Benchmark (its own code)", self.theirs)):
            box = QVBoxLayout()
            box.addWidget(QLabel(label))
            box.addWidget(view)
            cols.addLayout(box)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addLayout(cols, 1)
        layout.addWidget(close)
        self.field.currentIndexChanged.connect(self._show)
        self._show(0)

    def _show(self, index: int) -> None:
        if not 0 <= index < len(self.pairs):
            self.summary.setText("This event has no questions.")
            return
        pair = self.pairs[index]
        rows = diff_rows(pair.ours.text, pair.theirs.text)
        self.ours.setPlainText("\n".join(r[1] for r in rows))
        self.theirs.setPlainText("\n".join(r[2] for r in rows))
        for view, side in ((self.ours, OURS_ONLY), (self.theirs, THEIRS_ONLY)):
            for line, (tag, _, _) in enumerate(rows):
                if tag == SAME or (tag not in (CHANGED, side)):
                    continue
                fmt = QTextCharFormat()
                fmt.setBackground(QColor(_TINT[tag]))
                cursor = QTextCursor(view.document().findBlockByNumber(line))
                cursor.select(QTextCursor.SelectionType.BlockUnderCursor)
                cursor.mergeCharFormat(fmt)
        differing = sum(1 for r in rows if r[0] != SAME)
        same_hist = pair.ours.history_event_indices == pair.theirs.history_event_indices
        self.summary.setText(
            ("The prompts are equal. " if pair.equal else f"{differing} lines differ. ")
            + f"History: ours {len(pair.ours.history_event_indices)} events, benchmark "
              f"{len(pair.theirs.history_event_indices)} events"
            + (" (the same events)." if same_hist else " (different events)."))

    def differing_lines(self) -> int:
        """How many aligned lines of the shown question differ (tests)."""
        pair = self.pairs[self.field.currentIndex()]
        return sum(1 for r in diff_rows(pair.ours.text, pair.theirs.text) if r[0] != SAME)
