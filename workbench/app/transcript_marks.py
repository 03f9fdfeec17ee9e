"""Marking words in a transcript: the one component every transcript view uses. Layer: app (Qt).

:class:`TranscriptMarker` sits on a :class:`widgets.transcript.TranscriptView` (the inspector's
dialogue, the Cases panel's, the Predict panel's, presentation mode's). The annotator selects words
of one message and marks them with a marker type (right-click, or ``M`` and then ``1``-``8``); the
lexicons' suggestions are drawn dotted-underlined, the current one on a tinted background, and ``A``
accepts it, ``R`` rejects it, each moving on to the next. Stored spans are drawn solid in their
marker's colour. Every mark is one undoable command (:class:`~workbench.app.case_undo.AddSpanCommand`)
on the window's undo stack, written through the case store's span API with the annotator (the
messages shown and the host marks go to: :mod:`workbench.app.transcript_cases`).

Qt counts text positions in UTF-16 code units (an emoji outside the Basic Multilingual Plane counts
two); stored spans count code points. Each message's place in the view's document is found once per
redraw and checked against the message text, so a selection maps to exact code-point offsets
(:func:`workbench.annotate.spans.utf16_to_codepoint`) or is refused, never stored shifted.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Callable, Sequence

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer
from PySide6.QtGui import QColor, QKeyEvent, QTextCharFormat, QTextCursor, QTextTable
from PySide6.QtWidgets import QApplication, QMenu

from widgets.transcript import THEMES
from workbench.annotate.spans import (MARKER_COLORS, MARKER_TYPES, Span, SpanError, candidates, codepoint_to_utf16,
                                      decide, make_span, utf16_to_codepoint)
from workbench.app.transcript_cases import (  # noqa: F401 - also importable from here (the component's API)
    MarkingHost, Message, case_messages, find_dialogue_case,
    transient_case, utf16_len)

if TYPE_CHECKING:
    from widgets.transcript import TranscriptView
    from workbench.annotate.model import Case

#: Keys of a focused transcript (also listed in ``workbench.app.actions.ACTIONS``, "Transcript").
MARK_KEY, ACCEPT_KEY, REJECT_KEY = Qt.Key.Key_M, Qt.Key.Key_A, Qt.Key.Key_R
_COMMAND_MODIFIERS = (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
                      | Qt.KeyboardModifier.MetaModifier)
CURRENT_BACKGROUND = "#ffe3c2"     # the suggestion A/R decide, behind its dotted underline
CURRENT_TEXT = "#1d1d1f"           # dark text on the light tint, in the dark theme too
CANDIDATE_UNDERLINE = {"light": "#5c3d99", "dark": "#d0bfff"}


class TranscriptMarker(QObject):
    """Marks words in one transcript view (see the module docstring); parented to the view."""

    def __init__(self, view: TranscriptView, host: MarkingHost | None = None) -> None:
        super().__init__(view)
        self.view = view
        self.host: MarkingHost | None = None
        self.messages: list[Message] = []
        self.case: Case | None = None
        self._case_id: str | None = None           # the case the messages belong to (kept across undo)
        self._make_case: Callable[[], Case | None] | None = None
        self._event: tuple[str, int] | None = None  # (user, event index) whose stored case is looked up
        self.spans: list[Span] = []                # stored spans of the shown messages
        self.candidates: list[Span] = []           # suggestions this annotator has not decided
        self.current = 0
        self._bases: dict[int, int] = {}           # message index -> UTF-16 position of its text
        self._moving = False
        view.document().setUndoRedoEnabled(False)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(self._on_view_context_menu)
        view.cursorPositionChanged.connect(self._on_view_cursor_moved)
        view.installEventFilter(self)
        view.viewport().installEventFilter(self)
        self.set_host(host)

    def set_host(self, host: MarkingHost | None) -> None:
        """Where marks are stored (None: suggestions are shown, marking says there is no store)."""
        if self.host is not None:
            self.host.spans_changed.disconnect(self._on_host_spans_changed)
            self.host.annotator_changed.disconnect(self.reload)
        self.host = host
        if host is not None:
            host.spans_changed.connect(self._on_host_spans_changed)
            host.annotator_changed.connect(self.reload)
        if self.messages:
            self.reload()                       # the store's spans (and the event's case) now show

    # -- showing -------------------------------------------------------------------------------------
    def show(self, messages: Sequence[Message], case: Case | None = None,
             make_case: Callable[[], Case | None] | None = None, event: tuple[str, int] | None = None) -> None:
        """Show ``messages`` (of ``case`` when it is stored; else of the newest stored case of
        ``event``, a (user id, event index), holding the same messages); ``make_case`` makes and
        stores the case when the first mark is made and there is none yet (None: marking needs one)."""
        self.messages = list(messages)
        self.case = case
        self._case_id = case.id if case is not None else None
        self._make_case = make_case
        self._event = event
        self.current = 0
        self._refresh_case()
        self._load()
        self._render()

    def clear(self) -> None:
        """Show nothing."""
        self.show([])

    def reload(self) -> None:
        """Re-read the stored spans and redraw, keeping the scroll position."""
        self._refresh_case()
        self._load()
        bar = self.view.verticalScrollBar()
        keep = bar.value()
        self._render()
        bar.setValue(keep)

    def _refresh_case(self) -> None:
        store = self.host.store_to_read() if self.host is not None and self.messages else None
        if store is None:
            return
        try:
            if self._case_id is not None:
                self.case = store.get_case(self._case_id)
            elif self._event is not None:
                self.case = find_dialogue_case(store, *self._event, self.messages,
                                               self.host.visible if self.host is not None else None)
                self._case_id = self.case.id if self.case is not None else None
        except KeyError:
            self.case = None                  # undone: the case made for a mark is gone again
        except Exception as exc:  # noqa: BLE001 - a store error is shown, never raised into Qt
            self._error("Cannot read the case", str(exc))

    def _load(self) -> None:
        self.spans = self._stored_spans()
        self.candidates = self._open_candidates()
        self.current = max(0, min(self.current, len(self.candidates) - 1))

    def _stored_spans(self) -> list[Span]:
        store = self.host.store_to_read() if self.host is not None else None
        if store is None or self.case is None:
            return []
        try:
            spans = store.spans(self.case.id)
        except Exception as exc:  # noqa: BLE001 - a store error is shown, never raised into Qt
            self._error("Cannot read the marked words", str(exc))
            return []
        shown = {m.target for m in self.messages}
        if self.host is not None and self.host.hides_others():     # blind: only this annotator's
            who = self._annotator()
            spans = [s for s in spans if s.annotator == who]
        return [s for s in spans if s.target in shown]

    def _open_candidates(self) -> list[Span]:
        if not self.messages:
            return []
        try:
            found = candidates(transient_case(self.messages))
        except SpanError:
            return []
        who = self._annotator()
        decided = {(s.target, s.start, s.end, s.source) for s in self.spans
                   if s.status in ("accepted", "rejected") and s.annotator == who}
        order = {m.target: i for i, m in enumerate(self.messages)}
        out = [c for c in found if c.target in order and (c.target, c.start, c.end, c.source) not in decided]
        return sorted(out, key=lambda c: (order[c.target], c.start, c.end))

    def _render(self) -> None:
        turns = []
        for m in self.messages:
            solid = [(s.start, s.end, MARKER_COLORS.get(s.marker, "#e5dbff")) for s in self.spans
                     if s.target == m.target and s.status in ("manual", "accepted")]
            turns.append({"role": m.role, "content": m.content, "spans": solid, "simulated": m.simulated,
                          "label": m.label})
        self._moving = True
        try:
            self.view.set_turns(turns)
            self._bases = self._locate()
            self._decorate()
        finally:
            self._moving = False

    def _locate(self) -> dict[int, int]:
        """Where each message's text starts in the view's document (UTF-16 position); a message whose
        drawn text is not exactly its text (it would shift offsets) is left out: it cannot be marked."""
        doc = self.view.document()
        tables = [f for f in doc.rootFrame().childFrames() if isinstance(f, QTextTable)]
        bases = {}
        for i, (m, table) in enumerate(zip(self.messages, tables)):
            if not m.content:
                continue
            cursor = QTextCursor(doc)
            cursor.setPosition(table.firstPosition())
            cursor.setPosition(table.lastPosition(), QTextCursor.MoveMode.KeepAnchor)
            if cursor.selectedText().endswith(m.content.replace("\n", "\u2028")):
                bases[i] = table.lastPosition() - utf16_len(m.content)
        return bases

    def _doc_range(self, span: Span) -> tuple[int, int] | None:
        i = next((k for k, m in enumerate(self.messages) if m.target == span.target), -1)
        if i not in self._bases:
            return None
        text, base = self.messages[i].content, self._bases[i]
        return base + codepoint_to_utf16(text, span.start), base + codepoint_to_utf16(text, span.end)

    def _decorate(self) -> None:
        for cand in self.candidates:
            fmt = QTextCharFormat()
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.DotLine)
            fmt.setUnderlineColor(QColor(CANDIDATE_UNDERLINE["dark" if self.view.is_dark() else "light"]))
            fmt.setToolTip(f"suggested: {dict(MARKER_TYPES)[cand.marker]} ({cand.source}) · A accept, R reject")
            self._paint(self._doc_range(cand), fmt)
        self._paint_current(True)
        self._relayout()

    def _relayout(self) -> None:
        """Lay the whole document out again: after formats change inside a table cell Qt lays out
        only the changed lines and the table comes out a few pixels too wide (a needless scroll bar)."""
        doc = self.view.document()
        doc.markContentsDirty(0, doc.characterCount())

    def _paint(self, rng: tuple[int, int] | None, fmt: QTextCharFormat) -> None:
        if rng is None:
            return
        cursor = QTextCursor(self.view.document())
        cursor.setPosition(rng[0])
        cursor.setPosition(rng[1], QTextCursor.MoveMode.KeepAnchor)
        cursor.mergeCharFormat(fmt)

    def _paint_current(self, on: bool) -> None:
        """Tint the current suggestion (or take the tint off, giving back the solid spans' colours)."""
        cand = self.current_candidate()
        rng = self._doc_range(cand) if cand is not None else None
        if rng is None:
            return
        fmt = QTextCharFormat()
        fmt.setBackground(QColor(CURRENT_BACKGROUND) if on else QColor(Qt.GlobalColor.transparent))
        if on:
            fmt.setForeground(QColor(CURRENT_TEXT))
            self._paint(rng, fmt)
            return
        theme = THEMES["dark" if self.view.is_dark() else "light"]
        fmt.setForeground(QColor(theme["text"]))
        self._paint(rng, fmt)
        for s in self.spans:
            other = self._doc_range(s) if s.target == cand.target and s.status in ("manual", "accepted") else None
            if other is not None and other[0] < rng[1] and rng[0] < other[1]:
                solid = QTextCharFormat()
                solid.setBackground(QColor(MARKER_COLORS.get(s.marker, "#e5dbff")))
                solid.setForeground(QColor(theme["span_text"]))
                self._paint((max(rng[0], other[0]), min(rng[1], other[1])), solid)

    def set_current(self, index: int) -> None:
        """Make suggestion ``index`` the one A/R decide (the selection and the scroll stay)."""
        if not 0 <= index < len(self.candidates) or index == self.current:
            return
        self._paint_current(False)
        self.current = index
        self._paint_current(True)
        self._relayout()

    # -- positions -----------------------------------------------------------------------------------
    def message_at(self, position: int) -> int:
        """Index of the message whose text holds UTF-16 document ``position`` (-1 when none)."""
        for i, base in self._bases.items():
            if base <= position <= base + utf16_len(self.messages[i].content):
                return i
        return -1

    def selection(self) -> tuple[int, int, int] | None:
        """The selected words as (message index, start, end) in code points of that message, white
        space at either end left out; None without a selection inside one message."""
        cursor = self.view.textCursor()
        a, b = cursor.selectionStart(), cursor.selectionEnd()
        if a == b:
            return None
        i = self.message_at(a)
        if i < 0 or self.message_at(b) != i:
            return None
        text, base = self.messages[i].content, self._bases[i]
        start, end = utf16_to_codepoint(text, a - base), utf16_to_codepoint(text, b - base)
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        return (i, start, end) if start < end else None

    def current_candidate(self) -> Span | None:
        """The suggestion ``A``/``R`` decide, or None when none is left."""
        return self.candidates[self.current] if 0 <= self.current < len(self.candidates) else None

    def _on_view_cursor_moved(self) -> None:
        """A click into a suggestion makes it current; selecting words (to mark them) does not, nor
        does the cursor passing while the mouse button is down (the release decides)."""
        cursor = self.view.textCursor()
        if self._moving or cursor.hasSelection() or QApplication.mouseButtons() != Qt.MouseButton.NoButton:
            return
        k = self._candidate_at(cursor.position())
        if k >= 0:
            self.set_current(k)

    def _candidate_at(self, position: int) -> int:
        """The suggestion at UTF-16 ``position``: one holding it (or starting there) before one ending there."""
        touching = -1
        for k, cand in enumerate(self.candidates):
            rng = self._doc_range(cand)
            if rng is not None and rng[0] <= position < rng[1]:
                return k
            if rng is not None and position == rng[1] and touching < 0:
                touching = k
        return touching

    def _redraw_keeping_view(self) -> None:
        bar = self.view.verticalScrollBar()
        keep = bar.value()
        self._render()
        bar.setValue(keep)

    def _scroll_to_current(self) -> None:
        cand = self.current_candidate()
        rng = self._doc_range(cand) if cand is not None else None
        if rng is None:
            return
        self._moving = True
        try:
            cursor = self.view.textCursor()
            cursor.setPosition(rng[0])
            self.view.setTextCursor(cursor)
            self.view.ensureCursorVisible()
        finally:
            self._moving = False

    # -- marking -------------------------------------------------------------------------------------
    def mark_selection(self, marker: str) -> Span | None:
        """Store the selected words as a span of ``marker`` (one undoable step); the span, or None
        (the reason is shown)."""
        sel = self.selection()
        if sel is None:
            self._status("Select words inside one message to mark them")
            return None
        i, start, end = sel
        target, shown = self.messages[i].target, self.messages[i].content[start:end]

        def build(case: Case, who: str) -> Span:
            span = make_span(case, target, start, end, marker, annotator=who)
            if span.quote != shown:
                raise SpanError(f"case {case.id} {target}: the stored message differs from the one shown")
            return span
        return self._store(build)

    def decide_current(self, accept: bool) -> Span | None:
        """Accept or reject the current suggestion (one undoable step) and go on to the next."""
        cand = self.current_candidate()
        if cand is None:
            self._status("No suggestion left in this transcript")
            return None
        span = self._store(lambda case, who: decide(replace(cand, case_id=case.id), accept, who))
        if span is not None:
            self._scroll_to_current()
        return span

    def _store(self, build: Callable[[Case, str], Span]) -> Span | None:
        from workbench.app.case_undo import AddSpanCommand

        store = self.host.store() if self.host is not None else None
        if store is None or self.host is None:
            self._status("Open a trace (or a case store) to mark words")
            return None
        made = None
        case = self.case
        if case is None:
            case = made = self._make_case() if self._make_case is not None else None
            if case is None:
                self._status("This transcript is not a case yet: mark it as a case first")
                return None
            self.case, self._case_id = case, case.id
        try:
            span = build(case, self.host.annotator())
        except SpanError as exc:
            self._error("Cannot mark the words", str(exc))
            return None
        command = AddSpanCommand(self.host, store, span, new_case=made)
        stack = self.host.undo_stack()
        if stack is not None:
            stack.push(command)
        else:
            command.redo()
        if not command.stored:
            return None
        self._status(f"Marked “{span.quote[:40]}” as {dict(MARKER_TYPES)[span.marker]}"
                     + (f" ({span.status})" if span.status != "manual" else "") + " · Ctrl+Z undoes")
        return span

    def _on_host_spans_changed(self, case_id: str) -> None:
        if case_id == self._case_id:
            self.reload()

    # -- menus and keys ------------------------------------------------------------------------------
    def marker_menu(self, parent: QMenu | None = None) -> QMenu:
        """The marker types as a menu (``1``-``8`` pick one) marking the selected words."""
        menu = QMenu("Mark selected words as", parent or self.view)
        menu.setObjectName("marker_menu")
        for n, (key, label) in enumerate(MARKER_TYPES, start=1):
            act = menu.addAction(f"&{n} {label}")
            act.setData(key)
            act.triggered.connect(lambda _checked=False, key=key: self.mark_selection(key))
        menu.setEnabled(self.selection() is not None)
        return menu

    def context_menu(self, position: int | None = None) -> QMenu:
        """The transcript's right-click menu: mark the selection, decide the suggestion under
        ``position`` (or the current one), then the view's own actions (e.g. Mark this dialogue)."""
        menu = QMenu(self.view)
        menu.setObjectName("transcript_menu")
        menu.addMenu(self.marker_menu(menu)).setText("Mark selected words as\tM")
        if position is not None and self._candidate_at(position) >= 0:
            self.set_current(self._candidate_at(position))
        cand = self.current_candidate()
        what = f" “{cand.quote[:24]}” ({dict(MARKER_TYPES)[cand.marker]})" if cand is not None else ""
        accept = menu.addAction(f"Accept suggestion{what}\tA")
        accept.triggered.connect(lambda: self.decide_current(True))
        reject = menu.addAction(f"Reject suggestion{what}\tR")
        reject.triggered.connect(lambda: self.decide_current(False))
        for act in (accept, reject):
            act.setEnabled(cand is not None)
        if self.view.textCursor().hasSelection():
            menu.addSeparator()
            menu.addAction("Copy", self.view.copy)
        if self.view.actions():
            menu.addSeparator()
            menu.addActions(self.view.actions())
        return menu

    def _on_view_context_menu(self, pos: QPoint) -> None:
        menu = self.context_menu(self.view.cursorForPosition(pos).position())
        menu.exec(self.view.viewport().mapToGlobal(pos))
        menu.deleteLater()

    def open_marker_menu(self) -> None:
        """``M``: the marker types, at the selected words."""
        if self.selection() is None:
            self._status("Select words inside one message, then M marks them")
            return
        menu = self.marker_menu()
        rect = self.view.cursorRect(self.view.textCursor())
        menu.exec(self.view.viewport().mapToGlobal(rect.bottomLeft()))
        menu.deleteLater()

    def handles(self, event: QKeyEvent) -> bool:
        """Is this one of the transcript's keys (M, A, R without Ctrl/Alt/Meta)?"""
        return event.key() in (MARK_KEY, ACCEPT_KEY, REJECT_KEY) and not event.modifiers() & _COMMAND_MODIFIERS

    def handle_key(self, event: QKeyEvent) -> bool:
        """Act on a transcript key; True when it was one (views without focus forward keys here)."""
        if not self.handles(event):
            return False
        key = event.key()
        if key == MARK_KEY:
            # after this key event: a menu opened inside a key press would see the key's release
            QTimer.singleShot(0, self, self.open_marker_menu)
        else:
            self.decide_current(key == ACCEPT_KEY)
        return True

    def eventFilter(self, obj: Any, event: QEvent) -> bool:  # noqa: N802 (Qt naming)
        kind = event.type()
        if obj is self.view and kind == QEvent.Type.ShortcutOverride and self.handles(event):  # type: ignore[arg-type]
            event.accept()            # the transcript's keys win over the window's one-letter shortcuts
            return True
        if obj is self.view and kind == QEvent.Type.KeyPress:
            return self.handle_key(event)  # type: ignore[arg-type]
        if kind == QEvent.Type.MouseButtonRelease and obj is self.view.viewport():
            QTimer.singleShot(0, self, self._on_view_cursor_moved)     # after Qt has placed the cursor
        if obj is self.view and kind == QEvent.Type.PaletteChange:
            QTimer.singleShot(0, self, self._redraw_keeping_view)    # the view redraws itself first
        return False

    # -- messages ------------------------------------------------------------------------------------
    def _annotator(self) -> str:
        return self.host.annotator() if self.host is not None else ""

    def _status(self, text: str) -> None:
        if self.host is not None:
            self.host.status(text)

    def _error(self, title: str, message: str) -> None:
        if self.host is not None:
            self.host.report_error(title, message)
