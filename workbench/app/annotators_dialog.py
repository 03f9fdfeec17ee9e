"""Several annotators in the window: File ▸ Merge case stores… and File ▸ Annotator agreement….
Layer: app (Qt).

Both run their work on a worker (:func:`workbench.app.jobs.run_in_thread`): merging copies whole
stores, and agreement imports pandas-backed libraries. The agreement dialog shows every coefficient
with its number of items, the disagreement queue, and records an adjudication (``Y``: the tag
applies, ``N``: it does not) with the login name as the one who decided.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (QDialog, QFileDialog, QLabel, QListWidget, QListWidgetItem, QMessageBox,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from workbench.app.jobs import TaskState, run_in_thread

COLUMNS = ("label", "cohen_kappa", "fleiss_kappa", "krippendorff_alpha", "gwet_ac1")


def _merge(task: TaskState, inputs: list[str], out: str) -> Any:
    from workbench.annotate.merge import merge_stores

    task.progress(0, 1, "merging")
    return merge_stores(inputs, out)


def merge_case_stores(parent: QWidget, state: Any = None) -> Any:
    """Ask for two or more stores and a new file; merge them on a worker; report what happened."""
    inputs, _ = QFileDialog.getOpenFileNames(parent, "Merge case stores: choose two or more",
                                             filter="Case stores (*.db);;All files (*)")
    if len(inputs) < 2:
        if inputs:
            QMessageBox.information(parent, "Merge case stores", "Choose at least two case stores.")
        return None
    out, _ = QFileDialog.getSaveFileName(parent, "Merged case store (a new file)",
                                         str(Path(inputs[0]).with_name("merged.db")),
                                         filter="Case stores (*.db)")
    if not out:
        return None

    def done(report: Any) -> None:
        notes = "".join(f"\n• {c}" for c in report.tag_conflicts)
        QMessageBox.information(parent, "Merge case stores",
                                f"{report.cases} case(s) in {report.out}: {report.cases_added} added, "
                                f"{report.cases_identical} identical skipped, {report.versions_kept} older "
                                f"version(s) kept; {report.adjudications_added} adjudication(s), "
                                f"{report.spans_added} span(s).{notes}")

    def failed(message: str) -> None:
        QMessageBox.warning(parent, "Merge case stores", message.split("\n\n")[0])

    return run_in_thread(_merge, inputs, out, on_done=done, on_error=failed, state=state,
                         title="Merging case stores")


def _agreement(task: TaskState, path: str) -> Any:
    from workbench.annotate.agreement import agreement
    from workbench.annotate.store import CaseStore

    with CaseStore(path, readonly=True) as store:
        settled = {(a.item, a.tag) for a in store.adjudications()}
        return agreement(store.list_cases(with_snapshots=False), adjudicated=settled)


class AgreementDialog(QDialog):
    """Agreement per tag, pooled and on severity; the disagreement queue with Y/N adjudication."""

    def __init__(self, path: str | Path, decided_by: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Annotator agreement · {Path(path).name}")
        self.path, self.decided_by = str(path), decided_by or "analyst"
        self.report: Any = None
        self.summary = QLabel("Computing…")
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(["label", "Cohen's κ", "Fleiss' κ", "Krippendorff's α", "Gwet's AC1"])
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.queue = QListWidget()
        lay = QVBoxLayout(self)
        lay.addWidget(self.summary)
        lay.addWidget(self.table)
        lay.addWidget(QLabel("Disagreements (select one; Y: the tag applies, N: it does not)"))
        lay.addWidget(self.queue)
        self.resize(860, 560)
        self.job = None
        self.refresh()

    def refresh(self) -> None:
        self.job = run_in_thread(_agreement, self.path, on_done=self.show_report,
                                 on_error=lambda m: self.summary.setText(m.split("\n\n")[0]),
                                 title="Agreement")

    def show_report(self, report: Any) -> None:
        self.report = report
        self.summary.setText(f"{len(report.annotators)} annotator(s): {', '.join(report.annotators) or '—'}; "
                             f"{report.items} item(s), {report.shared_items} rated by two or more. Each "
                             "figure: value (items it rests on).")
        labels = [x for x in (*report.tags, report.overall, report.severity) if x is not None]
        self.table.setRowCount(len(labels))
        for row, label in enumerate(labels):
            self.table.setItem(row, 0, QTableWidgetItem(label.label))
            for col, name in enumerate(COLUMNS[1:], 1):
                c = label.get(name)
                text = "" if c is None else ("n/a" if c.value is None else f"{c.value:.3f}") + f" ({c.items})"
                item = QTableWidgetItem(text)
                if c is not None and c.note:
                    item.setToolTip(c.note)
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()
        self.queue.clear()
        for d in report.disagreements:
            votes = ", ".join(f"{a}: {'yes' if v else 'no'}" for a, v in d.votes.items())
            it = QListWidgetItem(f"{d.item} · {d.tag} · {votes}")
            it.setData(Qt.ItemDataRole.UserRole, (d.item, d.tag))
            self.queue.addItem(it)
        if self.queue.count():
            self.queue.setCurrentRow(0)
            self.queue.setFocus()

    def adjudicate(self, applies: bool) -> bool:
        """Record the final label of the selected disagreement, then recompute."""
        current = self.queue.currentItem()
        if current is None:
            return False
        from workbench.annotate.store import CaseStore, StoreError

        item, tag = current.data(Qt.ItemDataRole.UserRole)
        try:
            with CaseStore(self.path) as store:
                store.adjudicate(item, tag, applies, self.decided_by)
        except (StoreError, ValueError) as exc:
            QMessageBox.warning(self, "Adjudication", str(exc))
            return False
        self.queue.takeItem(self.queue.row(current))
        self.refresh()
        return True

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        if event.key() in (Qt.Key.Key_Y, Qt.Key.Key_N):
            self.adjudicate(event.key() == Qt.Key.Key_Y)
            return
        super().keyPressEvent(event)


def open_agreement(parent: QWidget, decided_by: str) -> AgreementDialog | None:
    """Ask for a (merged) case store and show its agreement dialog."""
    path, _ = QFileDialog.getOpenFileName(parent, "Annotator agreement: a merged case store",
                                          filter="Case stores (*.db);;All files (*)")
    if not path:
        return None
    dialog = AgreementDialog(path, decided_by, parent)
    dialog.show()
    return dialog
