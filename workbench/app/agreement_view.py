"""Agreement between annotators, as a widget: the Cases panel's *Agreement* tab and the File ▸
Annotator agreement… dialog show the same view. Layer: app (Qt).

The coefficients (:func:`workbench.annotate.agreement.agreement`: Cohen's kappa for two annotators,
Fleiss' kappa for more, Krippendorff's alpha, Gwet's AC1) are computed on a worker from the cases
read through the store the caller has open (the Cases panel's own store; no second connection on
its file), so the view never blocks. Every figure shows its value and the number of items it rests
on; the sentence under the table says what each means. The disagreement queue lists the items and
tags the annotators split on (adjudicated ones leave it); ``Y`` records that the tag applies, ``N``
that it does not, with the annotator as the one who decided.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (QHeaderView, QLabel, QListWidget, QListWidgetItem, QPushButton,
                               QSizePolicy, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from widgets.flow import flow_widget
from workbench.app.jobs import TaskState, run_in_thread

if TYPE_CHECKING:
    from workbench.annotate.model import Case
    from workbench.annotate.store import CaseStore

#: The coefficients shown, in column order, with their column titles.
COLUMNS = (("cohen_kappa", "Cohen's κ"), ("fleiss_kappa", "Fleiss' κ"),
           ("krippendorff_alpha", "Krippendorff's α"), ("gwet_ac1", "Gwet's AC1"))


def compute_agreement(task: TaskState, cases: Sequence[Case], adjudicated: set[tuple[str, str]]) -> Any:
    """The :class:`~workbench.annotate.agreement.AgreementReport` of ``cases`` less the
    ``adjudicated`` (item, tag) pairs' disagreements; on a worker."""
    from workbench.annotate.agreement import agreement

    task.progress(0, 1, "agreement")
    return agreement(cases, adjudicated=adjudicated)


def coefficient_text(coefficient: Any) -> str:
    """``0.600 (10)``: the value (``n/a`` when undefined) and the number of items it rests on."""
    if coefficient is None:
        return ""
    value = "n/a" if coefficient.value is None else f"{coefficient.value:.3f}"
    return f"{value} ({coefficient.items})"


class AgreementView(QWidget):
    """Coefficients per tag, pooled and for severity; the disagreement queue with Y/N adjudication."""

    #: (item, tag, final 0/1, decided by): an adjudication was recorded
    adjudicated = Signal(str, str, int, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store: CaseStore | None = None
        self.decided_by = "analyst"
        self.writable = True
        self.report: Any = None
        self.job: Any = None
        self._generation = 0
        self.summary = QLabel("No case store", self)
        self.summary.setObjectName("agreement_summary")
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS) + 1, self)
        self.table.setObjectName("agreement_table")
        self.table.setHorizontalHeaderLabels(["label", *(title for _, title in COLUMNS)])
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.meanings = QLabel("", self)
        self.meanings.setObjectName("agreement_meanings")
        self.meanings.setWordWrap(True)
        self.meanings.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.queue = QListWidget(self)
        self.queue.setObjectName("agreement_queue")
        self.queue.installEventFilter(self)
        self.status = QLabel("", self)
        self.status.setObjectName("agreement_status")
        self.status.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.summary)
        lay.addWidget(self.table)
        lay.addWidget(self.meanings)
        self.queue_title = QLabel("Disagreements (select one; Y: the tag applies, N: it does not)", self)
        self.queue_title.setWordWrap(True)
        lay.addWidget(self.queue_title)
        lay.addWidget(self.queue, 2)
        lay.addWidget(self._build_buttons())
        lay.addWidget(self.status)

    def _build_buttons(self) -> QWidget:
        self.yes_button = QPushButton("Applies (Y)", self)
        self.yes_button.setObjectName("agreement_yes")
        self.yes_button.clicked.connect(lambda: self.adjudicate(True))
        self.no_button = QPushButton("Does not apply (N)", self)
        self.no_button.setObjectName("agreement_no")
        self.no_button.clicked.connect(lambda: self.adjudicate(False))
        self.refresh_button = QPushButton("Recompute", self)
        self.refresh_button.clicked.connect(self.refresh)
        box, row = flow_widget(self, spacing=6)      # wraps in a narrow dock instead of widening it
        for b in (self.yes_button, self.no_button, self.refresh_button):
            row.addWidget(b)
        return box

    def set_store(self, store: CaseStore | None, *, decided_by: str, writable: bool | None = None) -> None:
        """Show the agreement of ``store`` (None: none), an open store the caller owns and closes;
        ``decided_by`` records the adjudications, which only a ``writable`` store takes (None: unless
        the store is read-only). Recomputes at once."""
        self.store = store
        self.decided_by = decided_by.strip() or "analyst"
        self.writable = (store is not None and not store.readonly) if writable is None else writable
        self._update_buttons()
        self.refresh()

    def refresh(self) -> None:
        """Read the cases and adjudications through the store, then compute on a worker (a newer
        result replaces an older one; a stale one is dropped)."""
        self._generation += 1
        if self.store is None:
            self.report = None
            self.summary.setText("No case store")
            self.table.setRowCount(0)
            self.queue.clear()
            return
        generation = self._generation
        try:
            cases = self.store.list_cases(with_snapshots=False)
            decided = self.store.adjudications()
        except Exception as exc:  # noqa: BLE001 - StoreError, SQLite errors: shown, never raised into Qt
            self._on_failed(generation, f"{self.store.path}: cannot be read ({exc})")
            return
        self.summary.setText("Computing agreement…")
        self.job = run_in_thread(compute_agreement, cases, {(a.item, a.tag) for a in decided}, title="Agreement",
                                 on_done=lambda report: self._on_done(generation, (report, len(decided))),
                                 on_error=lambda message: self._on_failed(generation, message))

    def _on_failed(self, generation: int, message: str) -> None:
        if generation == self._generation:
            self.summary.setText(message.split("\n\n")[0])

    def _on_done(self, generation: int, result: Any) -> None:
        if generation == self._generation:
            report, decided = result
            self.show_report(report, decided)

    def show_report(self, report: Any, decided: int = 0) -> None:
        """Fill the summary, the table, the meanings and the disagreement queue from ``report``."""
        self.report = report
        who = ", ".join(report.annotators) or "—"
        self.summary.setText(f"{len(report.annotators)} annotator(s): {who}; {report.items} item(s), "
                             f"{report.shared_items} rated by two or more; {decided} adjudication(s). "
                             "Each figure: value (number of items it rests on).")
        self._fill_table(report)
        self.queue.clear()
        for d in report.disagreements:
            votes = ", ".join(f"{a}: {'yes' if v else 'no'}" for a, v in d.votes.items())
            it = QListWidgetItem(f"{d.item} · {d.tag} · {votes}")
            it.setData(Qt.ItemDataRole.UserRole, (d.item, d.tag))
            self.queue.addItem(it)
        self.queue_title.setText(f"Disagreements: {self.queue.count()} (select one; Y: the tag applies, "
                                 "N: it does not)")
        if self.queue.count():
            self.queue.setCurrentRow(0)
        self._update_buttons()

    def _fill_table(self, report: Any) -> None:
        from workbench.annotate.agreement import meaning

        labels = [x for x in (*report.tags, report.overall, report.severity) if x is not None]
        self.table.setRowCount(len(labels))
        used: list[str] = []
        for row, label in enumerate(labels):
            self.table.setItem(row, 0, QTableWidgetItem(label.label))
            for col, (name, _title) in enumerate(COLUMNS, 1):
                c = label.get(name)
                item = QTableWidgetItem(coefficient_text(c))
                if c is not None:
                    used += [name] if name not in used else []
                    item.setToolTip(f"{meaning(name)} {c.items} item(s), {c.annotators} annotator(s)"
                                    + (f"; {c.note}" if c.note else ""))
                self.table.setItem(row, col, item)
        for col, (name, _title) in enumerate(COLUMNS, 1):
            header = self.table.horizontalHeaderItem(col)
            if header is not None:
                header.setToolTip(meaning(name))
            self.table.setColumnHidden(col, name not in used)
        self.meanings.setText("\n".join(f"• {meaning(name)}" for name, _t in COLUMNS if name in used))
        # as tall as its rows (a few labels), so the disagreement queue below gets the room
        frame = 2 * self.table.frameWidth()
        self.table.setMaximumHeight(self.table.horizontalHeader().height() + 22 * max(len(labels), 1) + frame + 2)

    def _update_buttons(self) -> None:
        can = self.writable and self.store is not None and self.queue.count() > 0
        self.yes_button.setEnabled(can)
        self.no_button.setEnabled(can)
        if not self.writable and self.store is not None:
            self.status.setText("The store is read-only: adjudications cannot be recorded.")

    def adjudicate(self, applies: bool) -> bool:
        """Record the final label of the selected disagreement (decided by :attr:`decided_by`), take
        it off the queue, and recompute. False when nothing is selected or the store refuses."""
        current = self.queue.currentItem()
        if current is None or not self.writable or self.store is None:
            return False
        item, tag = current.data(Qt.ItemDataRole.UserRole)
        try:
            self.store.adjudicate(item, tag, applies, self.decided_by)
        except Exception as exc:  # noqa: BLE001 - StoreError, ValueError, OS errors: shown, never raised into Qt
            self.status.setText(f"Not recorded: {str(exc).splitlines()[0] if str(exc) else exc!r}")
            return False
        row = self.queue.row(current)
        self.queue.takeItem(row)
        self.queue.setCurrentRow(min(row, self.queue.count() - 1))
        self.status.setText(f"Recorded: {item} · {tag} → {'applies' if applies else 'does not apply'} "
                            f"(decided by {self.decided_by})")
        self.adjudicated.emit(item, tag, int(applies), self.decided_by)
        self.refresh()
        return True

    def handle_key(self, key: int) -> bool:
        """``Y`` / ``N`` adjudicate the selected disagreement; True when the key was one of them."""
        if key in (Qt.Key.Key_Y, Qt.Key.Key_N):
            self.adjudicate(key == Qt.Key.Key_Y)
            return True
        return False

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt naming)
        kind = event.type()
        if obj is self.queue and kind in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            key = event.key()  # type: ignore[attr-defined]  # a QKeyEvent for these two types
            plain = event.modifiers() in (Qt.KeyboardModifier.NoModifier,  # type: ignore[attr-defined]
                                          Qt.KeyboardModifier.KeypadModifier)
            if plain and key in (Qt.Key.Key_Y, Qt.Key.Key_N):
                if kind == QEvent.Type.ShortcutOverride:
                    event.accept()     # the key is ours, not a window shortcut's
                else:
                    self.handle_key(key)
                return True
        return super().eventFilter(obj, event)
