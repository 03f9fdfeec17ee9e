"""Menus, actions and shortcuts come from one table; the shortcuts dialog lists every key in it."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence

from workbench.app.actions import ACTIONS, WINDOW, key_sequences, shortcuts_html


def _native(seq: QKeySequence) -> str:
    return seq.toString(QKeySequence.SequenceFormat.NativeText)


def test_every_keyed_action_of_the_window_is_a_row_of_the_table(qtbot, make_window):
    win = make_window(restore=False, persist=False)
    keyed = {a.text(): sorted(_native(k) for k in a.shortcuts())
             for a in win.findChildren(QAction) if a.shortcuts()}
    table = {s.text: sorted(_native(k) for k in key_sequences(s))
             for s in ACTIONS if s.where == WINDOW and key_sequences(s)}
    assert keyed == table
    assert win.actions_by_key["zoom_selected"].shortcuts() == [QKeySequence("Z")]
    assert win.predict_action in win.events_panel.view.actions()
    assert win.mark_event_action in win.events_panel.view.actions()


def test_no_two_window_actions_share_a_key(qapp):          # standard keys need the application
    seen: dict[str, str] = {}
    for spec in ACTIONS:
        if spec.where != WINDOW:
            continue
        for seq in key_sequences(spec):
            key = seq.toString()
            assert key not in seen, f"{key} is bound to both {seen[key]!r} and {spec.text!r}"
            seen[key] = spec.text


def test_shortcuts_dialog_lists_every_key_including_panel_keys(qtbot, make_window):
    from PySide6.QtWidgets import QMessageBox

    text = shortcuts_html()
    for key in ("Z", "Ctrl+P", "Ctrl+M", "Ctrl+Shift+M", "F11", "Ctrl+Shift+P", "Ctrl+F", "Ctrl+G", "Alt+Down"):
        assert _native(QKeySequence(key)) in text, key
    for row in ("Cases review", "Toggle the tag with that shortcut", "Cycle the severity 0-3", "Ctrl+Down",
                "Timeline", "Shift+drag", "Presentation", "Toggle full screen"):
        assert row in text, row
    for spec in ACTIONS:
        if spec.keys and (spec.where != WINDOW or key_sequences(spec)):
            assert spec.text.replace("&", "") in text, spec.text
    win = make_window(restore=False, persist=False)
    before = set(win.findChildren(QMessageBox))
    win._show_shortcuts()
    box = next(b for b in win.findChildren(QMessageBox) if b not in before)
    assert box.text() == text and not box.isModal()
