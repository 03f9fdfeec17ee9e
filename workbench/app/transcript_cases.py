"""What a transcript shows and where its marks go. Layer: app (Qt).

A transcript view shows :class:`Message` objects, each naming the span target it is in its case
(``turn:N``, ``real:FIELD``, ``pred:MODEL:FIELD``). :func:`case_messages` gives a stored case's
messages, :func:`find_dialogue_case` the stored case of an event that holds the shown messages, and
:class:`MarkingHost` is where marks are written: the Cases panel's store, annotator and undo stack.
The marking component itself is :mod:`workbench.app.transcript_marks`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Sequence

from PySide6.QtCore import QObject, Signal

from workbench.annotate.spans import SpanError, target_text

if TYPE_CHECKING:
    from PySide6.QtGui import QUndoStack

    from workbench.annotate.model import Case
    from workbench.annotate.store import CaseStore
    from workbench.app.cases_panel import CasesPanel


@dataclass(frozen=True)
class Message:
    """One message a transcript view shows: its role, its text and where it is in its case
    (a span target: ``turn:N``, ``real:FIELD`` or ``pred:MODEL:FIELD``)."""

    role: str
    content: str
    target: str
    simulated: bool = False
    label: str = ""


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (as Qt counts)."""
    return len(text.encode("utf-16-le")) // 2


def transient_case(messages: Sequence[Message]) -> Case:
    """An unsaved case holding ``messages`` at their targets (to find the lexicons' suggestions
    before the messages belong to a stored case)."""
    from workbench.annotate.model import CasePrediction, new_case
    from workbench.traces.dialogue import Turn

    turns: dict[int, Turn] = {}
    preds, real = [], {}
    for m in messages:
        kind, _, rest = m.target.partition(":")
        if kind == "turn" and rest.isdigit():
            turns[int(rest)] = Turn(m.role, m.content)
        elif kind == "real":
            real[rest] = m.content
        elif kind == "pred":
            model, _, fld = rest.rpartition(":")
            preds.append(CasePrediction(model=model, field=fld, predicted_value=m.content))
    transcript = [turns.get(i, Turn("", "")) for i in range(max(turns) + 1)] if turns else []
    return new_case(source="", user_id="", event_index=0, transcript=transcript, predictions=preds,
                    real_values=real)


def case_messages(case: Case) -> list[Message]:
    """The messages of ``case`` a transcript view shows: its dialogue turns, then each model's
    simulated next user message (drawn dashed)."""
    out = [Message("user" if t.role == "user" else ("service" if t.role == "assistant" else t.role),
                   t.content, f"turn:{i}") for i, t in enumerate(case.transcript)]
    if out:
        out += [Message("user", p.predicted_value, f"pred:{p.model}:{p.field}", True, p.model)
                for p in case.predictions if p.field == "next_user_message" and p.parse_ok
                and isinstance(p.predicted_value, str) and p.predicted_value]
    return out


def find_dialogue_case(store: CaseStore, user_id: str, event_index: int, messages: Sequence[Message] = (),
                       visible: Callable[[Case], bool] | None = None) -> Case | None:
    """The newest stored case of this user's event that keeps a transcript and holds each of
    ``messages`` with the same text (another run's predictions do not match), and that ``visible``
    lets the annotator see (blind annotation: their own), or None."""

    def holds(case: Case) -> bool:
        try:
            return all(target_text(case, m.target) == m.content for m in messages)
        except SpanError:
            return False

    found = [c for c in store.list_cases(user=user_id, with_snapshots=False)
             if c.event_index == event_index and c.transcript and holds(c) and (visible is None or visible(c))]
    return max(found, key=lambda c: c.updated) if found else None


class MarkingHost(QObject):
    """Where marks go: the Cases panel's store, annotator and undo stack (the panel is asked for on
    first use, so it may be built lazily). The undo commands report to it, and it tells every marker
    (``spans_changed``) and the Cases panel, so all views of a case show the same spans."""

    spans_changed = Signal(str)      # case id
    annotator_changed = Signal()     # another annotator, or blind annotation switched: show again

    def __init__(self, cases_panel: Callable[[], CasesPanel | None], parent: QObject | None = None, *,
                 unopened: Callable[[], tuple[str, bool] | None] | None = None) -> None:
        super().__init__(parent)
        self._panel = cases_panel
        #: (annotator, blind annotation) while a lazily built Cases panel is not built and there is
        #: no case store to read yet, else None: reading then needs no panel (nothing is stored)
        self._unopened = unopened

    def _idle(self) -> tuple[str, bool] | None:
        return self._unopened() if self._unopened is not None else None

    def panel(self) -> CasesPanel | None:
        """The Cases panel (built if the window builds it lazily), or None."""
        return self._panel()

    def store(self) -> CaseStore | None:
        """The open case store to write to (the Cases panel built if need be), or None."""
        panel = self.panel()
        return panel.store if panel is not None else None

    def store_to_read(self) -> CaseStore | None:
        """The open case store to read marks from; None without building the Cases panel when
        there is nothing stored to read yet."""
        return None if self._idle() is not None else self.store()

    def annotator(self) -> str:
        """Who marks: the Cases panel's annotator (its author setting)."""
        idle = self._idle()
        if idle is not None:
            return idle[0]
        panel = self.panel()
        return panel.author if panel is not None else ""

    def hides_others(self) -> bool:
        """Blind annotation: are other annotators' spans hidden (the Cases panel's setting)?"""
        idle = self._idle()
        if idle is not None:
            return idle[1]
        panel = self.panel()
        return bool(panel is not None and panel.hide_others)

    def visible(self, case: Case) -> bool:
        """May the annotator see ``case`` (all cases, or under blind annotation their own)?"""
        panel = self.panel()
        return panel is None or bool(panel.visible_cases([case]))

    def undo_stack(self) -> QUndoStack | None:
        """The undo stack the marks go on (the window's, shared with the Cases panel)."""
        panel = self.panel()
        return panel.undo_stack if panel is not None else None

    def status(self, text: str) -> None:
        """A one-line message in the status bar."""
        panel = self.panel()
        if panel is not None:
            panel.state.post_status(text)

    # -- what the undo commands report (the CaseView protocol of case_undo) -------------------------
    def case_edited(self, case_id: str) -> None:
        """A case's spans changed in the store."""
        panel = self.panel()
        if panel is not None:
            panel.case_edited(case_id)
        self.spans_changed.emit(case_id)

    def cases_restored(self, case_ids: Sequence[str]) -> None:
        """A case made for a mark was removed (undo) or put back (redo)."""
        panel = self.panel()
        if panel is not None:
            panel.cases_restored(case_ids)

    def report_error(self, title: str, message: str) -> None:
        """A store error, shown in the window's error banner."""
        panel = self.panel()
        if panel is not None:
            panel.report_error(title, message)
