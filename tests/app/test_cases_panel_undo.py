"""Cases panel: undo/redo of tags, note, severity and delete (one confirmation for several cases),
tag buttons that wrap onto several rows, and review keys that win over window shortcuts."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QAction, QKeySequence  # noqa: E402
from PySide6.QtWidgets import QMainWindow  # noqa: E402

from tests.conftest import one_user_state  # noqa: E402
from workbench.annotate.store import CaseStore  # noqa: E402


@pytest.fixture
def state(qapp, tmp_path):
    return one_user_state(tmp_path)


@pytest.fixture
def panel(cases_panel, state):
    return cases_panel(state, author="ana")


def test_tags_severity_and_note_undo_and_redo(panel, qtbot):
    case = panel.mark_event("user_0001", 2, ["live_liked"])
    stack = panel.undo_stack
    panel.toggle_tag("utopian-tone")
    panel.toggle_tag("other")
    panel.cycle_severity()
    assert panel.store.get_case(case.id).tags == ("utopian-tone", "other")
    assert panel.store.get_case(case.id).severity == 1
    stack.undo()
    assert panel.store.get_case(case.id).severity == 0 and panel.severity.value() == 0
    stack.undo()
    assert panel.store.get_case(case.id).tags == ("utopian-tone",)
    assert panel.tag_buttons["utopian-tone"].isChecked() and not panel.tag_buttons["other"].isChecked()
    stack.redo()
    assert panel.store.get_case(case.id).tags == ("utopian-tone", "other")
    assert panel.tag_buttons["other"].isChecked()
    panel.clear_tags()
    assert panel.store.get_case(case.id).tags == ()
    stack.undo()
    assert panel.store.get_case(case.id).tags == ("utopian-tone", "other")

    # two saves of one typing burst are one undo step
    panel.note_edit.setPlainText("first")
    panel.flush_note()
    panel.note_edit.setPlainText("first and second")
    panel.flush_note()
    assert panel.store.get_case(case.id).note == "first and second"
    assert stack.undoText() == "Edit note"
    stack.undo()
    assert panel.store.get_case(case.id).note == "" and panel.note_edit.toPlainText() == ""
    stack.redo()
    assert panel.store.get_case(case.id).note == "first and second"
    assert panel.note_edit.toPlainText() == "first and second"


def test_deleting_several_cases_asks_once_and_undo_brings_them_back_whole(panel, qtbot):
    a = panel.mark_event("user_0001", 1, ["video_liked"], note="keep me", tags=["other"], snapshot_png=b"\x89PNG..")
    b = panel.mark_event("user_0001", 2, ["live_liked"])
    c = panel.mark_event("user_0001", 3, ["live_liked"])
    asked: list[int] = []
    panel.confirm_delete = lambda cases: asked.append(len(cases)) or True
    panel.view.selectAll()
    assert panel.delete_selected() == 3
    assert asked == [3] and panel.store.count() == 0 and panel.model.rowCount() == 0
    panel.undo_stack.undo()
    assert panel.store.count() == 3 and panel.model.rowCount() == 3
    back = panel.store.get_case(a.id)
    assert back.note == "keep me" and back.tags == ("other",) and back.snapshot_png == b"\x89PNG.."
    assert {b.id, c.id} <= set(panel.store.case_ids())
    panel.undo_stack.redo()
    assert panel.store.count() == 0

    # declining deletes nothing and leaves no undo step
    panel.undo_stack.undo()
    panel.confirm_delete = lambda cases: False
    panel.view.selectRow(0)
    before = panel.undo_stack.count()
    assert panel.delete_selected() == 0
    assert panel.store.count() == 3 and panel.undo_stack.count() == before


def test_delete_key_in_the_list_deletes_the_selected_case(panel, qtbot):
    panel.mark_event("user_0001", 1, ["video_liked"])
    panel.confirm_delete = lambda cases: True
    panel.view.setFocus()
    qtbot.keyClick(panel.view, Qt.Key.Key_Delete)
    assert panel.store.count() == 0
    panel.undo_stack.undo()
    assert panel.store.count() == 1


def test_tag_buttons_flow_onto_several_rows(panel, qtbot):
    panel.mark_event("user_0001", 1, ["video_liked"])
    buttons = list(panel.tag_buttons.values())
    assert len(buttons) >= 7
    widest = max(b.sizeHint().width() for b in buttons)
    # the panel can be made narrow: its minimum width is not the sum of the buttons
    assert panel.minimumSizeHint().width() < sum(b.sizeHint().width() for b in buttons)
    panel.resize(max(panel.minimumSizeHint().width(), widest + 160), 700)
    qtbot.waitUntil(lambda: len({b.geometry().top() for b in buttons}) > 1, timeout=3000)
    box = panel.tag_box.contentsRect()
    for b in buttons:                       # every button is inside the visible box
        assert b.isVisible() and b.geometry().right() <= box.right() + 1 and b.geometry().top() >= 0
    assert panel.tag_box.height() >= max(b.geometry().bottom() for b in buttons)


def test_review_keys_win_over_window_shortcuts_and_text_fields_take_letters(qtbot, state, tmp_path):
    """A window shortcut on J/K/N/S/C/digits never fires while the focus is in the Cases panel;
    letters typed into the panel's text fields are text."""
    from workbench.app.cases_panel import CasesPanel

    win = QMainWindow()
    qtbot.addWidget(win)
    store = CaseStore(tmp_path / "cases.db")
    panel = CasesPanel(state, store, author="ana")
    win.setCentralWidget(panel)
    fired: list[str] = []
    for key in ("J", "K", "N", "S", "C", "O", "1", "0", "[", "]", "Z"):
        act = QAction(key, win)
        act.setShortcut(QKeySequence(key))
        act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        act.triggered.connect(lambda _c=False, k=key: fired.append(k))
        win.addAction(act)
    win.resize(900, 600)
    win.show()
    win.activateWindow()
    qtbot.waitActive(win)
    a = panel.mark_event("user_0001", 1, ["video_liked"])
    b = panel.mark_event("user_0001", 2, ["live_liked"])
    panel.view.selectRow(panel.model.row_of(a.id))
    panel.view.setFocus()
    qtbot.waitUntil(panel.view.hasFocus, timeout=2000)
    qtbot.keyClick(panel.view, Qt.Key.Key_J)
    assert panel.current_case().id == b.id and fired == []
    qtbot.keyClick(panel.view, Qt.Key.Key_K)
    assert panel.current_case().id == a.id and fired == []
    qtbot.keyClick(panel.view, Qt.Key.Key_7)
    assert store.get_case(a.id).tags == ("other",) and fired == []
    qtbot.keyClick(panel.view, Qt.Key.Key_N)
    qtbot.waitUntil(panel.note_edit.hasFocus, timeout=2000)
    qtbot.keyClicks(panel.note_edit, "jk csz 10[]")
    panel.flush_note()
    assert store.get_case(a.id).note == "jk csz 10[]"
    assert store.get_case(a.id).severity == 0 and fired == []
    panel.filter_edit.setFocus()
    qtbot.waitUntil(panel.filter_edit.hasFocus, timeout=2000)
    qtbot.keyClicks(panel.filter_edit, "jnc")
    assert panel.filter_edit.text() == "jnc" and fired == []
    # a button of the panel has the focus: the review keys are still the panel's
    panel.filter_edit.clear()
    panel.refresh()
    panel.view.selectRow(panel.model.row_of(a.id))
    panel.next_button.setFocus()
    qtbot.waitUntil(panel.next_button.hasFocus, timeout=2000)
    qtbot.keyClick(panel.next_button, Qt.Key.Key_J)
    assert panel.current_case().id == b.id and fired == []
    # outside the panel the window's shortcut works as before
    panel.hide()
    win.setFocus()
    panel.shutdown()
    store.close()
