"""Several annotators in the window: File ▸ Merge case stores… and File ▸ Annotator agreement….
Layer: app (Qt).

Both run their work on a worker (:func:`workbench.app.jobs.run_in_thread`): merging copies whole
stores, and agreement imports pandas-backed libraries. The agreement dialog is the Cases panel's
Agreement view (:mod:`workbench.app.agreement_view`) on a store of one's choice: every coefficient
with its number of items, the disagreement queue, and adjudication (``Y``: the tag applies, ``N``:
it does not) recorded with the annotator of Edit ▸ Settings… as the one who decided.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox, QVBoxLayout, QWidget

from workbench.annotate.store import CaseStore, StoreError
from workbench.app.agreement_view import AgreementView
from workbench.app.cases_access import open_read_only
from workbench.app.jobs import TaskState, run_in_thread


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


class AgreementDialog(QDialog):
    """A chosen (merged) store's agreement: the :class:`~workbench.app.agreement_view.AgreementView`
    the Cases panel's Agreement tab shows, in a window of its own. The dialog opens the store (for
    writing the adjudications; read-only when writing is refused) and closes it when it closes."""

    def __init__(self, path: str | Path, decided_by: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Annotator agreement · {Path(path).name}")
        self.view = AgreementView(self)
        self.summary, self.table, self.queue = self.view.summary, self.view.table, self.view.queue
        lay = QVBoxLayout(self)
        lay.addWidget(self.view)
        self.resize(860, 560)
        self.store = self._open(Path(path))
        self.view.set_store(self.store, decided_by=decided_by)
        if self.store is None:
            self.view.summary.setText(self._error)

    def _open(self, path: Path) -> CaseStore | None:
        """The store at ``path`` for writing adjudications; read-only (as far as it can be read)
        when writing is refused; None (and :attr:`_error` set) when it cannot be read at all."""
        self._error = ""
        try:
            return CaseStore(path, create=False)
        except StoreError as exc:
            fallback = open_read_only(path, exc)
            self._error = "" if fallback else str(exc).split("\n")[0]
            return fallback[0] if fallback else None

    def done(self, result: int) -> None:
        """Close the dialog and the store it opened."""
        if self.store is not None:
            self.store.close()
            self.store = None
        super().done(result)

    @property
    def report(self) -> Any:
        """The last computed :class:`~workbench.annotate.agreement.AgreementReport` (None before)."""
        return self.view.report

    def adjudicate(self, applies: bool) -> bool:
        """Record the final label of the selected disagreement, then recompute."""
        return self.view.adjudicate(applies)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        if not self.view.handle_key(event.key()):
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
