"""Undoable case edits (tags, note, severity, delete, marked words) as ``QUndoCommand`` objects.
Layer: app (Qt).

Each command writes to the :class:`~workbench.annotate.store.CaseStore` it was made with, in
``redo()`` (which ``QUndoStack.push`` runs at once) and back in ``undo()``, then asks the Cases panel
to show the result (:meth:`CaseView.case_edited` / :meth:`CaseView.cases_restored`). Consecutive
note saves of one case merge into one step, so Ctrl+Z undoes a whole typing burst. A store error
inside undo/redo goes to the panel's error sink and leaves the stack as it is.
"""

from __future__ import annotations

from typing import Any, Protocol, Sequence

from PySide6.QtGui import QUndoCommand

from workbench.annotate.model import Case
from workbench.annotate.spans import Span
from workbench.annotate.store import CaseStore

NOTE_MERGE_ID = 0x4E4F5445   # "NOTE": QUndoCommand.id() for mergeable note saves


class CaseView(Protocol):
    """What a command needs from the panel that shows the cases."""

    def case_edited(self, case_id: str) -> None:
        """Re-read one case from the store and show it where it is listed."""

    def cases_restored(self, case_ids: Sequence[str]) -> None:
        """Cases appeared or disappeared: re-list and select these ids when present."""

    def report_error(self, title: str, message: str) -> None:
        """Show a store error (never raised into Qt)."""


class _StoreCommand(QUndoCommand):
    def __init__(self, view: CaseView, store: CaseStore, text: str) -> None:
        super().__init__(text)
        self.view, self.store = view, store

    def _run(self, title: str, fn: Any, *args: Any) -> bool:
        try:
            fn(*args)
        except Exception as exc:  # noqa: BLE001 - store errors are shown, never raised into Qt's undo stack
            self.view.report_error(title, str(exc))
            self.setObsolete(True)
            return False
        return True


class SetTagsCommand(_StoreCommand):
    """Replace a case's tags (``before`` -> ``after``, tag names)."""

    def __init__(self, view: CaseView, store: CaseStore, case_id: str, before: Sequence[str],
                 after: Sequence[str], text: str = "Change tags") -> None:
        super().__init__(view, store, text)
        self.case_id, self.before, self.after = case_id, tuple(before), tuple(after)

    def redo(self) -> None:
        if self._run("Cannot change the tags", self.store.set_tags, self.case_id, self.after):
            self.view.case_edited(self.case_id)

    def undo(self) -> None:
        if self._run("Cannot change the tags", self.store.set_tags, self.case_id, self.before):
            self.view.case_edited(self.case_id)


class SetSeverityCommand(_StoreCommand):
    """Change a case's severity (0-3)."""

    def __init__(self, view: CaseView, store: CaseStore, case_id: str, before: int, after: int) -> None:
        super().__init__(view, store, f"Severity {after}")
        self.case_id, self.before, self.after = case_id, int(before), int(after)

    def redo(self) -> None:
        if self._run("Cannot set the severity", self.store.set_severity, self.case_id, self.after):
            self.view.case_edited(self.case_id)

    def undo(self) -> None:
        if self._run("Cannot set the severity", self.store.set_severity, self.case_id, self.before):
            self.view.case_edited(self.case_id)


class SetNoteCommand(_StoreCommand):
    """Save a case's note; merges with the next save of the same case's note."""

    def __init__(self, view: CaseView, store: CaseStore, case_id: str, before: str, after: str) -> None:
        super().__init__(view, store, "Edit note")
        self.case_id, self.before, self.after = case_id, before, after
        self._first = True

    def id(self) -> int:  # noqa: A003 (Qt naming)
        return NOTE_MERGE_ID

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 (Qt naming)
        if not isinstance(other, SetNoteCommand) or other.case_id != self.case_id or other.store is not self.store:
            return False
        self.after = other.after
        return True

    def redo(self) -> None:
        if self._first:          # the panel has already saved the note as the analyst typed
            self._first = False
            return
        if self._run("Cannot save the note", self.store.update_note, self.case_id, self.after):
            self.view.case_edited(self.case_id)

    def undo(self) -> None:
        if self._run("Cannot save the note", self.store.update_note, self.case_id, self.before):
            self.view.case_edited(self.case_id)


class DeleteCasesCommand(_StoreCommand):
    """Delete cases; undo puts them back whole (snapshot, tags, note, predictions, same ids)."""

    def __init__(self, view: CaseView, store: CaseStore, cases: Sequence[Case]) -> None:
        n = len(cases)
        super().__init__(view, store, "Delete case" if n == 1 else f"Delete {n} cases")
        self.cases = list(cases)

    def redo(self) -> None:
        for case in self.cases:
            if not self._run("Cannot delete the case", self.store.delete_case, case.id):
                break
        self.view.cases_restored([])

    def undo(self) -> None:
        for case in self.cases:
            if not self._run("Cannot restore the case", self.store.add_case, case):
                break
        self.view.cases_restored([c.id for c in self.cases])


class AddSpanCommand(_StoreCommand):
    """Store a marked span (manual, or an accepted or rejected suggestion); undo removes it. When the
    case was made for this span (``new_case``, already stored when the command is pushed), undo
    removes that case too and redo puts it back whole."""

    def __init__(self, view: CaseView, store: CaseStore, span: Span, new_case: Case | None = None) -> None:
        verb = {"accepted": "Accept suggestion", "rejected": "Reject suggestion"}.get(span.status, "Mark words")
        super().__init__(view, store, f"{verb}: {span.quote[:30]}")
        self.span, self.new_case = span, new_case
        self._case_stored = True
        #: whether the last redo stored the span (read after push: a failed command is deleted by Qt)
        self.stored = False

    def redo(self) -> None:
        if self.new_case is not None and not self._case_stored:
            if not self._run("Cannot restore the case", self.store.add_case, self.new_case):
                return
            self._case_stored = True
            self.view.cases_restored([self.new_case.id])
        self.stored = self._run("Cannot mark the words", self.store.add_span, self.span)
        if self.stored:
            self.view.case_edited(self.span.case_id)

    def undo(self) -> None:
        if not self._run("Cannot remove the mark", self.store.delete_span, self.span.id):
            return
        if self.new_case is not None and self._run("Cannot remove the case", self.store.delete_case,
                                                   self.new_case.id):
            self._case_stored = False
            self.view.cases_restored([])
        self.view.case_edited(self.span.case_id)
