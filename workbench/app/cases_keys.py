"""The Cases panel's keyboard: review keys (J/K, 1-9, 0, N, S, Enter/O, Delete) seen before the
window's shortcuts while the focus is anywhere in the panel, never while typing. Layer: app (Qt).

:class:`CaseKeysMixin` is part of :class:`workbench.app.cases_panel.CasesPanel`.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit, QPlainTextEdit, QWidget


class CaseKeysMixin:
    """Key handling of the Cases panel (see the panel's module docstring for the keys)."""

    def review_action(self, event: QKeyEvent) -> Any:
        """The review command a key stands for (see the module docstring), or None."""
        tabs = getattr(self, "tabs", None)
        if tabs is not None and tabs.currentIndex() != 0:
            return None           # the review keys belong to the Cases tab
        key = event.key()
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        ctrl = mods == Qt.KeyboardModifier.ControlModifier
        if mods not in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier) and not ctrl:
            return None
        if (key in (Qt.Key.Key_J, Qt.Key.Key_BracketRight) and not ctrl) or (ctrl and key == Qt.Key.Key_Down):
            return self.next_item
        if (key in (Qt.Key.Key_K, Qt.Key.Key_BracketLeft) and not ctrl) or (ctrl and key == Qt.Key.Key_Up):
            return self.previous_item
        if ctrl:
            return None
        if Qt.Key.Key_1 <= key <= Qt.Key.Key_9:
            return lambda digit=int(key - Qt.Key.Key_0): self.toggle_shortcut(digit)
        actions = {Qt.Key.Key_0: self.clear_tags, Qt.Key.Key_N: self.focus_note, Qt.Key.Key_S: self._key_severity,
                   Qt.Key.Key_Return: self.reopen_current, Qt.Key.Key_Enter: self.reopen_current,
                   Qt.Key.Key_O: self.reopen_current, Qt.Key.Key_Delete: self.delete_selected}
        return actions.get(Qt.Key(key))

    def handle_key(self, event: QKeyEvent) -> bool:
        """Run the review command of this key; True when the key was one."""
        action = self.review_action(event)
        if action is None:
            return False
        action()
        return True

    def focus_note(self) -> None:
        """Put the cursor at the end of the note (``N``)."""
        if self.note_edit.isEnabled():
            self.note_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
            self.note_edit.moveCursor(self.note_edit.textCursor().MoveOperation.End)

    def _key_severity(self) -> None:
        if self.severity.isEnabled():
            self.cycle_severity()

    def _route_keys_of(self, widget: QWidget) -> None:
        """Let the panel see the keys of a (non-text) child first: its review keys then win over
        the window's shortcuts while the focus is anywhere in the panel."""
        if not is_text_input(widget):
            widget.installEventFilter(self)

    def eventFilter(self, obj: Any, event: Any) -> bool:  # noqa: N802 (Qt naming)
        from PySide6.QtCore import QEvent

        kind = event.type()
        if kind == QEvent.Type.KeyPress and obj is self.note_edit:
            if event.key() == Qt.Key.Key_Escape:
                self.flush_note()
                self.view.setFocus(Qt.FocusReason.ShortcutFocusReason)
                return True
            return False
        if kind in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress) and not is_text_input(obj) \
                and not is_text_input(QApplication.focusWidget()):
            action = self.review_action(event)
            if action is not None:
                if kind == QEvent.Type.ShortcutOverride:
                    event.accept()       # the key is ours: Qt delivers it as a KeyPress, not a shortcut
                else:
                    action()
                return True
        return super().eventFilter(obj, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if not self.handle_key(event):
            super().keyPressEvent(event)


def is_text_input(widget: Any) -> bool:
    """Does typing into this widget enter text (line and text edits, spin boxes, editable combos)?"""
    from PySide6.QtWidgets import QAbstractSpinBox, QTextEdit

    if isinstance(widget, (QLineEdit, QAbstractSpinBox)):
        return True
    if isinstance(widget, (QPlainTextEdit, QTextEdit)):
        return not widget.isReadOnly()
    return isinstance(widget, QComboBox) and widget.isEditable()
