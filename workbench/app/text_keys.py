"""Typing into a text field never triggers a window command. Layer: app (Qt).

Qt's editable text fields claim the printable keys they take as text (a ``ShortcutOverride``), but a
read-only line edit (a path shown in a field, say) does not, so a letter typed there would reach the
window's one-letter shortcuts (``J``, ``C``, ``Z`` ...). :class:`TextFieldKeys`, installed on the
application by the main window, claims every plain or Shift-ed printable key for whatever line edit
or spin box has the focus, read-only or not; the field then receives it as an ordinary key press.
Keys with Ctrl, Alt or Meta (``Ctrl+Z``, ``Ctrl+P`` ...) are left alone.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QLineEdit

_COMMAND_MODIFIERS = (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
                      | Qt.KeyboardModifier.MetaModifier)


def types_text(widget: object) -> bool:
    """A widget that looks like a text field: any line edit (read-only too), spin box or editable combo."""
    if isinstance(widget, (QLineEdit, QAbstractSpinBox)):
        return True
    return isinstance(widget, QComboBox) and widget.isEditable()


class TextFieldKeys(QObject):
    """Application event filter: printable keys in a text field are the field's, never a shortcut."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt naming)
        if event.type() == QEvent.Type.ShortcutOverride and obj is QApplication.focusWidget() \
                and types_text(obj):
            text = event.text()
            if text and text.isprintable() and not event.modifiers() & _COMMAND_MODIFIERS:
                event.accept()
                return True
        return False
