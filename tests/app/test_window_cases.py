"""The window's case work: Ctrl+M keeps the current predictions, predicted values (ghost marks)
belong to their event and never enter another case's snapshot, Edit ▸ Undo/Redo of case edits, the
Predict panel's choices survive a restart, File ▸ Export cases… writes a report on a worker."""

from __future__ import annotations

from tests.app.conftest import open_window
from workbench.app.state import GhostMark


def _predict_baseline(qtbot, qasync_loop, win, event: int):
    panel = win.predict_here()
    win.select(event)
    qtbot.waitUntil(panel.predict_button.isEnabled, timeout=10000)
    panel.predict_button.click()
    qasync_loop.run_until_complete(panel.task)
    assert panel.last_result is not None
    return panel


def test_ctrl_m_keeps_the_predictions_of_the_selected_event(qtbot, qasync_loop, make_window, trace_path):
    win = open_window(qtbot, make_window, trace_path, persist=False, restore=False)
    _predict_baseline(qtbot, qasync_loop, win, 5)
    case = win.actions_by_key["mark_event"].trigger() or win.cases_panel.current_case()
    assert case is not None and case.event_index == 5
    assert case.predictions and {p.model for p in case.predictions} == {"baseline:user"}
    # another event: Ctrl+M marks it without the other event's predictions
    win.select(7)
    win.actions_by_key["mark_event"].trigger()
    other = win.cases_panel.current_case()
    assert other.event_index == 7 and other.predictions == ()


def _ghost_ids(win) -> set[int]:
    return {g.event_id for g in win.timeline._ghosts}


def test_ghost_marks_belong_to_their_event(qtbot, make_window, trace_path):
    win = open_window(qtbot, make_window, trace_path, persist=False, restore=False)
    user = win.track.user_id
    ghosts = [GhostMark(user, 5, "m", "video_liked", 1, 0, False), GhostMark(user, 9, "m", "video_liked", 1, 1, True)]
    win.state.set_ghosts(ghosts)
    win.select(5)
    assert _ghost_ids(win) == {5}
    win.select(9)
    assert _ghost_ids(win) == {9}
    win.select(12)
    assert _ghost_ids(win) == set()                   # kept, not shown beside another event
    win.select(5)
    assert _ghost_ids(win) == {5}
    # a snapshot holds the ghosts of its own event only, and the view is restored afterwards
    drawn: list[set[int]] = []
    original = win.timeline.grab
    win.timeline.grab = lambda: (drawn.append(_ghost_ids(win)), original())[1]
    win.timeline_png(9)
    win.timeline_png(None)
    assert drawn == [{9}, set()] and _ghost_ids(win) == {5}
    win.select(12)
    case = win.mark_selected_event()
    assert case.snapshot_png and drawn[-1] == set()


def test_edit_menu_undoes_and_redoes_case_edits(qtbot, make_window, trace_path):
    win = open_window(qtbot, make_window, trace_path, persist=False, restore=False)
    win.select(5)
    case = win.mark_selected_event()
    panel = win.cases_panel
    panel.toggle_tag("other")
    assert panel.store.get_case(case.id).tags == ("other",)
    assert win.undo_action.isEnabled() and "tag" in win.undo_action.text()
    win.undo_action.trigger()
    assert panel.store.get_case(case.id).tags == ()
    assert win.redo_action.isEnabled()
    win.redo_action.trigger()
    assert panel.store.get_case(case.id).tags == ("other",)
    panel.confirm_delete = lambda cases: True
    panel.delete_selected()
    assert panel.store.count() == 0
    win.undo_action.trigger()
    assert panel.store.get_case(case.id).tags == ("other",)


def test_predict_choices_survive_a_restart(qtbot, make_window, trace_path):
    win = open_window(qtbot, make_window, trace_path)
    panel = win.predict_here()
    panel.add_model("openai/gpt-4o-mini")
    panel.api_base.setText("http://127.0.0.1:9/v1")
    panel.api_base.editingFinished.emit()
    panel.memory.setCurrentText("retrieve")
    win.close()
    again = make_window()
    restored = again.predict_here()
    assert "openai/gpt-4o-mini" in restored.checked_models()
    assert restored.api_base.text() == "http://127.0.0.1:9/v1" and restored.memory.currentText() == "retrieve"


def test_export_dialog_writes_a_pseudonymised_report_on_a_worker(qtbot, make_window, trace_path, tmp_path):
    from workbench.app.export_dialog import ExportDialog

    win = open_window(qtbot, make_window, trace_path, persist=False, restore=False)
    for ev in (5, 7, 9):
        win.select(ev)
        win.mark_selected_event()
    panel = win.cases_panel
    assert panel.export_button.isVisible()
    with qtbot.waitSignal(panel.export_requested):
        panel.export_button.click()
    dialog = win.export_dialog
    assert isinstance(dialog, ExportDialog) and dialog.isVisible()
    qtbot.wait(300)                                   # let the panel's own refreshes settle first
    from PySide6.QtCore import QItemSelection, QItemSelectionModel

    flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    panel.view.selectionModel().select(QItemSelection(panel.model.index(0, 0), panel.model.index(1, 0)), flags)
    assert len(panel.selected_case_ids()) == 2
    dialog = ExportDialog(panel)
    qtbot.addWidget(dialog)
    dialog.set_scope("selected")
    dialog.set_format("html")
    dialog.pseudonymise.setChecked(True)
    out = tmp_path / "report.html"
    dialog.path.setText(str(out))
    with qtbot.waitSignal(dialog.exported, timeout=30000):
        job = dialog.start_export()
        assert job is not None and not dialog.export_button.isEnabled()   # busy while the worker writes
    text = out.read_text(encoding="utf-8")
    assert text.count('class="case"') == 2 or text.count("<section") >= 2
    assert "user_a" not in text                             # pseudonymised
    assert not dialog.open_button.isHidden() and dialog.open_button.text() == "Open report"
    assert "Wrote 2 case(s)" in dialog.message.text()
    # other formats, every case
    dialog.set_format("csv")
    dialog.set_scope("all")
    assert dialog.path.text().endswith(".csv")
    with qtbot.waitSignal(dialog.exported, timeout=30000):
        dialog.start_export()
    assert len(out.with_suffix(".csv").read_text(encoding="utf-8-sig").splitlines()) >= 4
    assert dialog.open_button.text() == "Open folder"
    # an unwritable target is reported in the dialog, naming it
    dialog.path.setText("/proc/nope/report.csv")
    dialog.start_export()
    qtbot.waitUntil(lambda: dialog.job is None, timeout=30000)
    assert "Export failed" in dialog.message.text() and "/proc/nope" in dialog.message.text()
