"""Two users, or two traces, on one time axis. Layer: app (Qt).

*View ▸ Compare two users…* opens a window with the :class:`~widgets.split_timeline.SplitTimeline`:
pick the upper and the lower user among the open traces, or load the lower side from another trace
file (a simulated trace written by a rollout, another run's users), and align them by date or by
days since each one's first event. Zoom, pan, keys and selection are shared by the two tracks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from widgets.split_timeline import SplitTimeline
from workbench.app.state import AppState

__all__ = ["SplitView", "ALIGN_DATE", "ALIGN_FIRST"]

ALIGN_DATE = "by date"
ALIGN_FIRST = "by days since each one's first event"


class SplitView(QWidget):
    """A top-level window: two users (or traces) stacked on one linked time axis."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Compare two users — Behavior Trace Workbench")
        self.state = state
        self.other: Any = None               # a TraceSet loaded for the lower side, or None
        self.top_user = QComboBox(self)
        self.bottom_user = QComboBox(self)
        self.align = QComboBox(self)
        self.align.addItems([ALIGN_DATE, ALIGN_FIRST])
        self.load_button = QPushButton("Lower side from a file…", self)
        self.load_button.setToolTip("Another trace for the lower side, e.g. a rollout's simulated_*.json")
        self.load_button.clicked.connect(self._on_load_clicked)
        self.source = QLabel(self)
        self.split = SplitTimeline(self)
        row = QHBoxLayout()
        for w in (QLabel("Above", self), self.top_user, QLabel("Below", self), self.bottom_user,
                  self.load_button, QLabel("Align", self), self.align):
            row.addWidget(w)
        row.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addLayout(row)
        lay.addWidget(self.source)
        lay.addWidget(self.split, 1)
        for combo in (self.top_user, self.bottom_user, self.align):
            combo.currentTextChanged.connect(self.redraw)
        self.refresh_users()
        self.resize(1280, 720)

    def refresh_users(self) -> None:
        """List the open dataset's users (and the loaded file's, for the lower side)."""
        ds = self.state.dataset
        users = ds.user_ids() if ds is not None else []
        lower = self.other.user_ids() if self.other is not None else users
        for combo, items in ((self.top_user, users), (self.bottom_user, lower)):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(items)
            combo.blockSignals(False)
        if self.other is None and len(users) > 1:
            self.bottom_user.setCurrentIndex(1)
        if self.state.current_user in users:
            self.top_user.setCurrentText(self.state.current_user)
        self.source.setText("Below: " + (f"{self.other.source}" if self.other is not None else "the open traces"))
        self.redraw()

    def set_users(self, top: str, bottom: str, align: str = ALIGN_DATE) -> None:
        """Show ``top`` above and ``bottom`` below (users of the open traces, or of the loaded file)."""
        for combo, value in ((self.top_user, top), (self.bottom_user, bottom), (self.align, align)):
            combo.blockSignals(True)
            combo.setCurrentText(value)
            combo.blockSignals(False)
        self.redraw()

    def load_lower(self, path: str | Path) -> None:
        """Read another trace for the lower side (through the ordinary loader)."""
        from workbench.traces import TraceError, load_traces

        try:
            self.other = load_traces(path)
        except (TraceError, OSError) as exc:
            self.state.post_error("Compare two users", str(exc))
            return
        self.refresh_users()

    def _on_load_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Trace for the lower side", "",
                                              "Traces (*.json *.jsonl *.parquet)")
        if path:
            self.load_lower(path)

    def redraw(self) -> None:
        """Draw the chosen users with the chosen alignment."""
        from workbench.app.rollout_panel import track_of

        ds = self.state.dataset
        top, bottom = self.top_user.currentText(), self.bottom_user.currentText()
        lower_ds = self.other if self.other is not None else ds
        if ds is None or lower_ds is None or not top or not bottom:
            return
        a = track_of(top, ds.user_events(top), top)
        b = track_of(bottom, lower_ds.user_events(bottom), bottom)
        offset = 0.0
        if self.align.currentText() == ALIGN_FIRST and len(a.t) and len(b.t):
            offset = float(a.t.min() - b.t.min())
        self.split.set_tracks(a, b, offset=offset)
