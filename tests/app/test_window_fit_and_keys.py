"""The window on a laptop screen and where keys go.

* The main window's minimum size hint stays within 1280x720 with any combination of docks shown and
  after predicting, marking a case and selecting a customer-service dialogue.
* At 1366x768 the Evaluation panel needs no sideways scrolling.
* Typing into any text field of any panel never triggers a window command; every single-letter
  shortcut of the actions table, pressed with each panel focused, goes to that panel's own keys in
  the Cases panel (review queue) and to the window elsewhere, never to the Cases review elsewhere.
"""

from __future__ import annotations

import itertools

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QWidget

from tests.app.conftest import open_window
from workbench.app.actions import ACTIONS
from workbench.app.cases_panel import is_text_input

MAX_W, MAX_H = 1280, 720
HEAVY = ("Predict", "Evaluation", "Cases")


def _min_size(win) -> tuple[int, int]:
    QApplication.processEvents()
    hint = win.minimumSizeHint()
    return hint.width(), hint.height()


def _assert_fits(win, what: str) -> None:
    w, h = _min_size(win)
    assert w <= MAX_W and h <= MAX_H, f"{what}: minimum size {w}x{h} exceeds {MAX_W}x{MAX_H}"


def test_minimum_size_fits_a_laptop_with_any_docks_and_after_any_action(qtbot, qasync_loop, make_window,
                                                                         trace_path):
    win = open_window(qtbot, make_window, trace_path, size=(1366, 768), persist=False, restore=False)
    for title in HEAVY:
        win.ensure_panel(title)
    names = list(win.docks)
    worst = (0, 0)
    for r in range(len(names) + 1):
        for combo in itertools.combinations(names, r):
            for n in names:
                win.docks[n].setVisible(n in combo)
            w, h = _min_size(win)
            assert w <= MAX_W and h <= MAX_H, f"docks {combo}: minimum size {w}x{h}"
            worst = (max(worst[0], w), max(worst[1], h))
    for n in names:
        win.docks[n].setVisible(True)
    _assert_fits(win, "all docks")
    # the actions that used to widen the window
    panel = win.predict_here()
    win.select(5)
    qtbot.waitUntil(panel.predict_button.isEnabled, timeout=10000)
    panel.add_model("openai/a-model-with-a-rather-long-name-that-used-to-widen-the-dock")
    panel.models.item(panel.models.count() - 1).setCheckState(Qt.CheckState.Unchecked)
    panel.prompt_toggle.setChecked(True)
    _assert_fits(win, "Predict with the prompt shown")
    panel.predict_button.click()
    qasync_loop.run_until_complete(panel.task)
    _assert_fits(win, "after a prediction")
    win.mark_event_action.trigger()
    _assert_fits(win, "after Mark case")
    dialogue = next(i for i in range(len(win.track)) if (win.track.row(i) or {}).get("scenario") == "Customer Service")
    win.select(dialogue)
    _assert_fits(win, "a customer-service dialogue selected")
    win.mark_dialogue()
    _assert_fits(win, "after Mark this dialogue")
    for title in HEAVY:
        win.show_dock(title)
        _assert_fits(win, f"{title} raised")


def _single_letter_shortcuts() -> list[tuple[str, QKeySequence]]:
    """Window actions whose key is one character (optionally with Shift): what typing could trigger."""
    out = []
    for spec in ACTIONS:
        if spec.slot is None:
            continue
        for k in spec.keys:
            base = k.removeprefix("Shift+")
            if len(base) == 1:
                out.append((spec.key, QKeySequence(k)))
    return out


def _press(qtbot, widget: QWidget, seq: QKeySequence) -> None:
    combo = seq[0]
    qtbot.keyClick(widget, combo.key(), combo.keyboardModifiers())


def _spy(win) -> list[str]:
    fired: list[str] = []
    for key, act in win.actions_by_key.items():
        act.triggered.connect(lambda _c=False, k=key: fired.append(k))
    return fired


def _focus(qtbot, widget: QWidget) -> None:
    widget.setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is widget, timeout=3000)


def test_typing_in_any_text_field_never_triggers_a_command(qtbot, make_window, trace_path):
    win = open_window(qtbot, make_window, trace_path, size=(1366, 768), persist=False, restore=False)
    win.select(5)
    for title in HEAVY:
        win.ensure_panel(title)
    win.cases_panel.mark_event(win.track.user_id, 5)             # the note editor is enabled
    win.activateWindow()
    qtbot.waitActive(win)
    fired = _spy(win)
    letters = _single_letter_shortcuts()
    assert {k for k, _ in letters} >= {"next", "previous", "next_match", "next_conversion", "zoom_selected"}
    checked = []
    for title, dock in win.docks.items():
        dock.show()
        dock.raise_()
        QApplication.processEvents()
        fields = [w for w in dock.findChildren(QWidget) if is_text_input(w) and w.isVisible() and w.isEnabled()
                  and not isinstance(w.parentWidget(), (QAbstractSpinBox, QComboBox))]
        for field in fields:
            _focus(qtbot, field)
            for _key, seq in letters:
                _press(qtbot, field, seq)
            assert fired == [], f"typing into {title} / {field.objectName() or type(field).__name__} fired {fired}"
            checked.append(f"{title}/{field.objectName() or type(field).__name__}")
    filter_text = win.filter_bar.text
    _focus(qtbot, filter_text)
    qtbot.keyClicks(filter_text, "jkncz")
    assert filter_text.text().endswith("jkncz") and fired == []
    assert len(checked) >= 8, checked
    assert any(c.startswith("Cases/case_note") for c in checked) and any(c.startswith("Predict/") for c in checked)


def test_single_letter_shortcuts_go_where_the_focus_is(qtbot, make_window, trace_path):
    win = open_window(qtbot, make_window, trace_path, size=(1366, 768), persist=False, restore=False)
    win.select(5)
    cases = win.ensure_panel("Cases")
    for ev in (5, 9, 12):
        cases.mark_event(win.track.user_id, ev)
    win.ensure_panel("Predict")
    win.ensure_panel("Evaluation")
    win.activateWindow()
    qtbot.waitActive(win)
    fired = _spy(win)
    letters = _single_letter_shortcuts()
    review = {"next", "previous", "next_match"}            # J ] K [ N: the Cases panel's review keys

    # in the Cases panel: the review keys are the panel's, never the window's
    win.show_dock("Cases")
    cases.view.selectRow(0)
    for key, seq in letters:
        if key not in review:
            continue
        _focus(qtbot, cases.view)
        before_event = win.state.selected_index
        _press(qtbot, cases.view, seq)
        assert fired == [], f"{seq.toString()} in the Cases panel fired the window's {fired}"
        assert win.state.selected_index == before_event or key == "next_match"
    # elsewhere: the window's navigation works and the Cases selection never moves
    for title, target in (("Events", win.events_panel.view), ("Users", win.users_panel.view),
                          ("Predict", win.predict_panel.predict_button), ("Evaluation", win.eval_panel),
                          ("Timeline", win.timeline)):
        if title in win.docks:
            win.show_dock(title)
        cases_row = cases.view.currentIndex().row()
        for key, seq in letters:
            fired.clear()
            if not target.isVisible():
                continue
            target.setFocusPolicy(Qt.FocusPolicy.StrongFocus) if target.focusPolicy() == Qt.FocusPolicy.NoFocus else None
            _focus(qtbot, target)
            _press(qtbot, target, seq)
            assert cases.view.currentIndex().row() == cases_row, f"{seq.toString()} in {title} moved the cases"
            if key in ("next", "previous") and title in ("Events", "Predict", "Evaluation"):
                assert fired == [key], f"{seq.toString()} in {title}: {fired}"


def test_evaluation_panel_needs_no_sideways_scrolling_at_1366x768(qtbot, qasync_loop, make_window, trace_path):
    """The panel's fields and buttons fit the bottom dock's width on a laptop (it used to need a
    horizontal scroll bar: one row held the limits, three buttons and the progress bar)."""
    from PySide6.QtWidgets import QScrollArea

    win = open_window(qtbot, make_window, trace_path, size=(1366, 768), persist=False, restore=False)
    panel = win.ensure_panel("Evaluation")
    win.docks["Evaluation"].raise_()
    qtbot.waitUntil(panel.isVisible)
    QApplication.processEvents()
    area = panel.findChild(QScrollArea)
    assert area.viewport().width() < 800        # the dock is laptop-narrow here
    assert area.widget().minimumSizeHint().width() <= area.viewport().width()
    assert area.horizontalScrollBar().maximum() == 0
