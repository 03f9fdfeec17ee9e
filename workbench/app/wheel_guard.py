"""The mouse wheel scrolls a panel; it never changes a setting the pointer happens to pass over.
Layer: app (Qt).

Qt gives a spin box or a combo box the wheel (and the focus) as soon as the pointer is over it, so
scrolling through a long panel such as Evaluation changes the users, the concurrency or the model
field under the pointer on the way, unseen. :class:`WheelGuard`, installed on the application by the
main window, makes those fields take the focus only by click or Tab, and passes the wheel of a field
that does not have the focus on to what holds it (the panel scrolls). A field the user clicked into
still steps with the wheel.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QWidget

_GUARDED = (QAbstractSpinBox, QComboBox)


class WheelGuard(QObject):
    """Application event filter: spin boxes and combo boxes inside ``root`` (a window, its floating
    docks and dialogs included) take the wheel only when focused; elsewhere the wheel works as Qt
    makes it (only no field takes the focus from the wheel)."""

    def __init__(self, root: QWidget) -> None:
        super().__init__(root)
        self._root = root

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt naming)
        kind = event.type()
        if kind == QEvent.Type.Wheel:
            if isinstance(obj, _GUARDED) and not obj.hasFocus() and _inside(obj, self._root):
                event.ignore()          # not ours: Qt hands it on to the parent (the scroll area)
                return True
        elif kind == QEvent.Type.Polish and isinstance(obj, _GUARDED):
            guard_focus(obj)        # everywhere: a field may be polished before it joins the window
        return False


def guard_focus(widget: QWidget) -> None:
    """Let ``widget`` take the focus by click or Tab, not by the wheel passing over it."""
    if widget.focusPolicy() == Qt.FocusPolicy.WheelFocus:
        widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)


def _inside(widget: QWidget, root: QWidget) -> bool:
    """``widget`` is ``root`` or below it, across window boundaries (a floating dock, a dialog)."""
    w: QWidget | None = widget
    while w is not None:
        if w is root:
            return True
        w = w.parentWidget()
    return False
