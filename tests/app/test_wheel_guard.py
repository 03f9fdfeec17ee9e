"""The wheel scrolls a panel and never changes a spin box or combo box the pointer passes over.

Wheel events go through ``QApplication.sendEvent`` to the field (where Qt delivers the wheel over a
spin box's text after its line edit passed it on), so the application's filters and the field's
own handling run. Qt passes a wheel event the field leaves unaccepted on to the parent (for a real,
spontaneous event); a test cannot make one spontaneous, so it checks that the event is left
unaccepted, and that the scroll area scrolls when the event reaches it.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (QAbstractSpinBox, QApplication, QComboBox, QLineEdit, QScrollArea, QSpinBox,
                               QVBoxLayout, QWidget)

from tests.app.conftest import open_window
from workbench.app.wheel_guard import WheelGuard


def _wheel(widget: QWidget, steps: int = -1) -> bool:
    """One notch of the wheel (down for negative ``steps``) over the middle of ``widget``; True when
    the widget took it (False: Qt hands it on to the parent)."""
    pos = QPointF(widget.rect().center())
    ev = QWheelEvent(pos, QPointF(widget.mapToGlobal(pos.toPoint())), QPoint(0, 0), QPoint(0, 120 * steps),
                     Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                     False)
    QApplication.sendEvent(widget, ev)
    QApplication.processEvents()
    return ev.isAccepted()


@pytest.fixture
def form(qtbot, qapp):
    """A scroll area whose tall content holds a spin box and a combo box, the guard on the app."""
    area = QScrollArea()
    guard = WheelGuard(area)
    qapp.installEventFilter(guard)
    body = QWidget()
    lay = QVBoxLayout(body)
    first = QLineEdit()                 # takes the focus when the window shows, as in a panel
    lay.addWidget(first)
    spin = QSpinBox()
    spin.setRange(0, 100)
    spin.setValue(50)
    combo = QComboBox()
    combo.addItems(["a", "b", "c"])
    combo.setCurrentIndex(1)
    lay.addWidget(spin)
    lay.addWidget(combo)
    lay.addSpacing(2000)
    area.setWidget(body)
    area.setWidgetResizable(True)
    area.resize(300, 200)
    qtbot.addWidget(area)
    area.show()
    qtbot.waitExposed(area)
    first.setFocus()
    yield area, spin, combo
    qapp.removeEventFilter(guard)


def test_wheel_over_unfocused_fields_scrolls_the_area_and_changes_nothing(form):
    area, spin, combo = form
    for field in (spin, combo):
        assert not _wheel(field), f"{field} kept the wheel"
        assert not field.hasFocus()
    assert spin.value() == 50 and combo.currentIndex() == 1
    bar = area.verticalScrollBar()
    assert bar.value() == 0
    assert _wheel(area.viewport())           # where Qt hands it: the area scrolls
    assert bar.value() > 0


def test_a_focused_field_still_steps_with_the_wheel(form, qtbot):
    area, spin, combo = form
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus)
    assert _wheel(spin, +1)
    assert spin.value() == 51
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus)
    assert _wheel(combo)
    assert combo.currentIndex() == 2


def test_without_the_guard_qt_changes_the_value(qtbot, qapp):
    """What the guard prevents, shown on the same set-up (so the tests above can fail)."""
    area = QScrollArea()
    spin = QSpinBox()
    spin.setRange(0, 100)
    spin.setValue(50)
    area.setWidget(spin)
    qtbot.addWidget(area)
    area.show()
    qtbot.waitExposed(area)
    assert _wheel(spin)
    assert spin.value() == 49


def test_a_guard_leaves_other_windows_alone(form, qtbot):
    """A window's guard (as a main window's, left installed until the window is deleted) does not
    touch the fields of another window."""
    other = QScrollArea()
    spin = QSpinBox()
    spin.setValue(50)
    other.setWidget(spin)
    qtbot.addWidget(other)
    other.show()
    qtbot.waitExposed(other)
    spin.clearFocus()
    assert _wheel(spin)
    assert spin.value() == 49


def test_evaluation_panel_settings_survive_scrolling_the_panel(qtbot, qasync_loop, make_window, trace_path):
    win = open_window(qtbot, make_window, trace_path, size=(1366, 768), persist=False, restore=False)
    panel = win.ensure_panel("Evaluation")
    win.docks["Evaluation"].raise_()
    QApplication.processEvents()
    fields = [w for w in panel.findChildren(QAbstractSpinBox) + panel.findChildren(QComboBox) if w.isVisible()]
    assert len(fields) >= 4
    before = [(w.text() if isinstance(w, QAbstractSpinBox) else w.currentIndex()) for w in fields]
    win.activateWindow()
    for w in fields:
        assert w.focusPolicy() == Qt.FocusPolicy.StrongFocus, w.objectName()
        assert not _wheel(w, +1) and not _wheel(w, -1)
        assert not w.hasFocus()
    after = [(w.text() if isinstance(w, QAbstractSpinBox) else w.currentIndex()) for w in fields]
    assert after == before
