"""The blind "which one is the real user?" dialog, keyboard only. Layer: app (Qt).

One item after another from a case store's blind session (built with ``workbench blind build``):
the dialogue so far, then side A and side B. Keys: ``A``/``B`` pick the side you think is real,
``1``-``3`` the confidence, Tab/Space tick reasons (taxonomy tags), ``Enter`` commits. Each pick is
stored at once (one durable transaction), so closing or killing the window loses nothing and the
next opening resumes at the first item not yet picked. With ``reveal="each"`` the real side is
shown after each pick (``Enter`` again goes on); with ``reveal="end"`` only in the summary.
Given ``among`` (item ids: the items just built from the Predict panel's predictions), only those
items are walked. ``picked`` is emitted after each stored pick (the Evaluation panel's detection-rate
chart follows it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (QDialog, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPlainTextEdit,
                               QVBoxLayout, QWidget)

from workbench.annotate.blind import BlindItem, detection_rates

if TYPE_CHECKING:
    from workbench.annotate.store import CaseStore

REVEAL_MODES = ("each", "end")
_DIALOG_KEYS = (Qt.Key.Key_A, Qt.Key.Key_B, Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_3, Qt.Key.Key_Return,
                Qt.Key.Key_Enter)


def _scenario(name: str) -> str:
    """The scenario's English name (items keep the run's, often Chinese, name)."""
    from workbench.traces.schema import english_scenario

    return english_scenario(name) if name else "event"


def _text_box(title: str) -> tuple[QWidget, QPlainTextEdit]:
    box = QWidget()
    lay = QVBoxLayout(box)
    lay.setContentsMargins(0, 0, 0, 0)
    label = QLabel(title)
    label.setObjectName("side_title")
    view = QPlainTextEdit()
    view.setReadOnly(True)
    view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    lay.addWidget(label)
    lay.addWidget(view)
    return box, view


class BlindDialog(QDialog):
    """Walks ``annotator`` through the unpicked items of ``store`` (a CaseStore opened for writing),
    or only those whose id is in ``among``."""

    picked = Signal()       # a pick was stored

    def __init__(self, store: CaseStore, annotator: str, *, reveal: str = "each", parent: QWidget | None = None,
                 among: Sequence[str] | None = None) -> None:
        super().__init__(parent)
        self.among = None if among is None else list(among)
        if reveal not in REVEAL_MODES:
            raise ValueError(f"reveal must be one of {REVEAL_MODES}, got {reveal!r}")
        self.setWindowTitle("Blind test: which one is the real user?")
        self.store, self.annotator, self.reveal = store, annotator, reveal
        self.item: BlindItem | None = None
        self.pick: str | None = None
        self.confidence: int | None = None
        self.revealed = False
        self.header = QLabel()
        self.context = QPlainTextEdit()
        self.context.setReadOnly(True)
        self.context.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.context.setMaximumHeight(180)
        box_a, self.side_a = _text_box("A")
        box_b, self.side_b = _text_box("B")
        sides = QHBoxLayout()
        sides.addWidget(box_a)
        sides.addWidget(box_b)
        self.reasons = QListWidget()
        self.reasons.setMaximumHeight(110)
        self.reasons.installEventFilter(self)      # the list has the focus: A/B, 1-3, Enter still pick
        for tag in store.tags():
            it = QListWidgetItem(tag.label)
            it.setData(Qt.ItemDataRole.UserRole, tag.name)
            it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            it.setCheckState(Qt.CheckState.Unchecked)
            self.reasons.addItem(it)
        self.status = QLabel()
        self.status.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(self.header)
        lay.addWidget(QLabel("The dialogue so far"))
        lay.addWidget(self.context)
        lay.addLayout(sides)
        lay.addWidget(QLabel("Why (optional; Tab to the list, Space to tick)"))
        lay.addWidget(self.reasons)
        lay.addWidget(self.status)
        self.resize(980, 640)
        self._next()

    # -- flow ------------------------------------------------------------------------------------------
    def _next(self) -> None:
        self.item = self.store.next_blind_item(self.annotator, self.among)
        self.pick, self.confidence, self.revealed = None, None, False
        for i in range(self.reasons.count()):
            self.reasons.item(i).setCheckState(Qt.CheckState.Unchecked)
        if self.item is None:
            self._finish()
            return
        if self.among is None:
            number, total = self.item.position + 1, len(self.store.blind_items())
        else:
            number, total = self.among.index(self.item.id) + 1, len(self.among)
        self.header.setText(f"Item {number} of {total} · {_scenario(self.item.scenario)} · "
                            f"{'next user message' if self.item.kind == 'message' else 'reactions'}")
        self.context.setPlainText("\n".join(f"{t.get('role', '')}: {t.get('content', '')}" for t in self.item.context)
                                  or "(no dialogue before this event)")
        self.side_a.setPlainText(self.item.a_text)
        self.side_b.setPlainText(self.item.b_text)
        self._show_status()

    def _show_status(self) -> None:
        if self.item is None:
            return
        pick = self.pick or "?"
        conf = self.confidence or "?"
        self.status.setText(f"Real side: {pick} · confidence: {conf} — keys A/B, 1-3, Enter to commit, "
                            "Esc to stop (every committed pick is kept)")

    def commit(self) -> bool:
        """Store the current pick (False when the side or the confidence is still missing)."""
        if self.item is None or self.pick is None or self.confidence is None:
            self.status.setText("Pick a side (A or B) and a confidence (1-3) first.")
            return False
        reasons = [self.reasons.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.reasons.count())
                   if self.reasons.item(i).checkState() == Qt.CheckState.Checked]
        try:
            case_id = self.store.record_pick(self.item, self.annotator, self.pick, self.confidence, reasons)
        except Exception as exc:  # noqa: BLE001 - a store error is shown, never raised into Qt
            self.status.setText(f"Not saved: {exc}")
            return False
        self.picked.emit()
        if self.reveal == "each":
            right = self.pick == self.item.real_side
            self.revealed = True
            extra = " It is now a case (you found it easy)." if case_id else ""
            self.status.setText(f"{'Right' if right else 'Wrong'}: {self.item.real_side} was the real user, "
                                f"the other side was {self.item.model}.{extra} Enter: next item.")
        else:
            self._next()
        return True

    def _finish(self) -> None:
        items = [i for i in self.store.blind_items() if self.among is None or i.id in self.among]
        rates = [r for r in detection_rates(items, self.store.blind_picks(self.annotator)) if r.scenario == ""]
        lines = [f"{r.model}: found the real side {r.correct} of {r.picks} times ({r.rate:.0%}; 95% interval "
                 f"{r.low:.0%}-{r.high:.0%}; chance 50%)" for r in rates]
        self.header.setText("Done: every item is picked.")
        for view in (self.context, self.side_a, self.side_b):
            view.setPlainText("")
        self.status.setText("\n".join(lines) or "No picks.")

    # -- keys ------------------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        """The reasons list would take A/B and digits for its type-ahead search and Enter for itself:
        those keys go to the dialog; Tab, Space and the arrows stay with the list."""
        if watched is self.reasons and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) \
                and event.key() in _DIALOG_KEYS and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            self.keyPressEvent(event)
            return True
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self.revealed:
                self._next()
            elif self.item is not None:
                self.commit()
            return
        if self.item is not None and not self.revealed:
            if key in (Qt.Key.Key_A, Qt.Key.Key_B):
                self.pick = "A" if key == Qt.Key.Key_A else "B"
                self._show_status()
                return
            if key in (Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_3):
                self.confidence = int(chr(key))
                self._show_status()
                return
        super().keyPressEvent(event)


def open_blind_test(parent: QWidget, annotator: str, held: CaseStore | None = None) -> BlindDialog | None:
    """Ask for a case store with a blind session and run the dialog on it (errors are shown). ``held``:
    a store the window already has open; choosing its file reuses it (a second connection opened and
    closed in this process would drop SQLite's locks on the file) and leaves it open afterwards."""
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    from workbench.annotate.store import CaseStore, StoreError

    path, _ = QFileDialog.getOpenFileName(parent, "Blind test: case store with items",
                                          filter="Case stores (*.db);;All files (*)")
    if not path:
        return None
    from pathlib import Path

    reuse = held is not None and Path(held.path).resolve() == Path(path).resolve()
    try:
        store = held if reuse and held is not None else CaseStore(path)
    except StoreError as exc:
        QMessageBox.warning(parent, "Blind test", str(exc))
        return None
    if not store.blind_items():
        if not reuse:
            store.close()
        QMessageBox.information(parent, "Blind test", f"{path} holds no blind items; build them with "
                                "`workbench blind build RUN --model M --n N --out DB`.")
        return None
    dialog = BlindDialog(store, annotator or "analyst", parent=parent)
    if not reuse:
        dialog.finished.connect(store.close)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog
