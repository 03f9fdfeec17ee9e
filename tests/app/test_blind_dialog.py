"""The blind-test dialog: keyboard only, each pick stored at once, reveal after the pick, resume."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402

from workbench.annotate.blind import build_items  # noqa: E402
from workbench.annotate.store import CaseStore  # noqa: E402


def _rows():
    rows = []
    for i in range(4):
        rows.append({"user_id": f"user_{i:04d}", "event_index": i, "scenario": "Customer Service",
                     "field": "next_user_message", "true_value": f"real message {i}", "model": "gpt-4o",
                     "predicted_value": f"Could you please kindly help, thank you {i}!", "parse_ok": True})
    return rows


@pytest.fixture
def store(tmp_path):
    s = CaseStore(tmp_path / "blind.db")
    s.add_blind_items(build_items(_rows(), "gpt-4o", 4, seed=5))
    yield s
    s.close()


def test_keyboard_only_session_with_reveal_and_resume(qtbot, store):
    from workbench.app.blind_dialog import BlindDialog

    dlg = BlindDialog(store, "ana", reveal="each")
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    items = store.blind_items()
    first = items[0]
    assert dlg.side_a.toPlainText() == first.a_text and dlg.side_b.toPlainText() == first.b_text
    qtbot.keyClick(dlg, Qt.Key.Key_Return)                  # nothing picked yet: nothing stored
    assert store.blind_picks() == [] and "first" in dlg.status.text()
    qtbot.keyClick(dlg, Qt.Key.Key_A if first.real_side == "A" else Qt.Key.Key_B)
    qtbot.keyClick(dlg, Qt.Key.Key_3)
    qtbot.keyClick(dlg, Qt.Key.Key_Return)                  # commit: stored, real side revealed
    [pick] = store.blind_picks()
    assert (pick.item_id, pick.confidence, pick.pick) == (first.id, 3, first.real_side)
    assert f"{first.real_side} was the real user" in dlg.status.text() and "now a case" in dlg.status.text()
    assert store.count() == 1                               # the easy pick became a case
    qtbot.keyClick(dlg, Qt.Key.Key_Return)                  # next item
    assert dlg.item.id == items[1].id
    qtbot.keyClick(dlg, Qt.Key.Key_B)
    qtbot.keyClick(dlg, Qt.Key.Key_1)
    qtbot.keyClick(dlg, Qt.Key.Key_Return)
    dlg.close()

    again = BlindDialog(store, "ana", reveal="end")         # a new session resumes at item 3
    qtbot.addWidget(again)
    assert again.item.id == items[2].id
    for _ in range(2):
        qtbot.keyClick(again, Qt.Key.Key_A)
        qtbot.keyClick(again, Qt.Key.Key_2)
        qtbot.keyClick(again, Qt.Key.Key_Return)            # reveal at the end: straight on
    assert again.item is None and "Done" in again.header.text()
    assert "of 4 times" in again.status.text() and "chance 50%" in again.status.text()
    assert len(store.blind_picks("ana")) == 4
