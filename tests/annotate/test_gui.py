"""The Cases panel (mark, list, filter, reopen, keyboard queue walk,
autosave) and presentation mode. Rendered offscreen."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402

from tests.conftest import app_state_of  # noqa: E402
from workbench.annotate.store import CaseStore, QueueItem  # noqa: E402
from workbench.simulate.types import Prediction  # noqa: E402


@pytest.fixture
def state(qapp, trace_file):
    return app_state_of(trace_file)


@pytest.fixture
def panel(cases_panel, state):
    return cases_panel(state, author="ana")


def test_mark_event_from_side_by_side_stores_context(panel, qtbot):
    with qtbot.waitSignal(panel.case_added) as sig:
        case = panel.mark_event("user_0001", 1, ["video_liked"],
                                predictions=[Prediction("gpt-4o", "video_liked", 0.9, 1, "Yes", True)],
                                prompt="the prompt", tags=["1"], memory="truncate", prompt_hash="h" * 64)
    assert sig.args == [case.id]
    stored = panel.store.get_case(case.id)
    assert stored.real_values == {"video_liked": 1} and stored.event["context"]["caption"] == "dog"
    assert stored.predictions[0].memory == "truncate" and stored.predictions[0].prompt_hash == "h" * 64
    assert stored.tags == ("hyper-activity",) and stored.author == "ana" and stored.prompt == "the prompt"
    assert panel.model.rowCount() == 1 and panel.current_case().id == case.id
    assert panel.title_label.text() == "user_0001 #1 · Video Browsing"
    # a dialogue message and an evaluation cell mark the same way; a field without a question is kept
    c2 = panel.mark_event("user_0001", 4, predictions=[Prediction("m", "next_user_message", "hi", "hi", "hi", True)])
    assert panel.store.get_case(c2.id).transcript[0].content == "hello, my shoes are broken"
    c3 = panel.mark_event("user_0001", 0, ["live_liked"])
    assert panel.store.get_case(c3.id).fields == ("live_liked",)


def test_mark_range_from_timeline(panel):
    from datetime import datetime, timezone

    t0 = datetime(2025, 9, 3, 21, 0, tzinfo=timezone.utc).timestamp()
    t1 = datetime(2025, 9, 4, 10, 30, tzinfo=timezone.utc).timestamp()
    case = panel.mark_range("user_0001", t1, t0, tags=["long-horizon-miss"], note="binge")
    stored = panel.store.get_case(case.id)
    assert (stored.start_ts, stored.end_ts) == ("2025-09-03 21:00:00", "2025-09-04 10:30:00")
    assert [n["event_index"] for n in stored.neighbours] == [0, 1, 2, 3]


def test_keyboard_tags_note_autosave_and_reopen(panel, qtbot, state):
    case = panel.mark_event("user_0001", 2, ["live_liked"])
    panel.view.setFocus()
    qtbot.keyClick(panel.view, Qt.Key.Key_2)
    qtbot.keyClick(panel.view, Qt.Key.Key_7)
    assert panel.store.get_case(case.id).tags == ("utopian-tone", "other")
    qtbot.keyClick(panel.view, Qt.Key.Key_2)
    assert panel.store.get_case(case.id).tags == ("other",)
    assert panel.tag_buttons["other"].isChecked() and not panel.tag_buttons["utopian-tone"].isChecked()
    qtbot.keyClick(panel.view, Qt.Key.Key_S)
    assert panel.store.get_case(case.id).severity == 1
    qtbot.keyClick(panel.view, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: panel.note_edit.hasFocus(), timeout=2000)
    with qtbot.waitSignal(panel.note_saved, timeout=3000):
        qtbot.keyClicks(panel.note_edit, "sells 2 it")    # digits typed in the note are text, not tags
        assert panel.store.get_case(case.id).note == ""   # not yet: debounced
    assert panel.store.get_case(case.id).note == "sells 2 it"
    assert panel.store.get_case(case.id).tags == ("other",)
    qtbot.keyClick(panel.note_edit, Qt.Key.Key_Escape)
    assert panel.view.hasFocus()
    with qtbot.waitSignal(state.selection_changed) as sig:
        qtbot.keyClick(panel.view, Qt.Key.Key_Return)
    assert sig.args == ["user_0001", 2]


def test_pending_note_is_flushed_when_switching_cases(panel, qtbot):
    a = panel.mark_event("user_0001", 1, ["video_liked"])
    b = panel.mark_event("user_0001", 2, ["live_liked"])
    panel.view.selectRow(panel.model.row_of(a.id))
    panel.note_edit.setPlainText("typed quickly")          # the debounce timer is still running
    panel.view.selectRow(panel.model.row_of(b.id))
    assert panel.store.get_case(a.id).note == "typed quickly"
    assert panel.note_edit.toPlainText() == ""


def test_filter_box_and_tag_filter(panel, qtbot):
    panel.mark_event("user_0001", 1, ["video_liked"], tags=["hyper-activity"], note="likes all")
    panel.mark_event("user_0001", 4, tags=["utopian-tone"], note="so polite")
    panel.mark_event("user_0002", 0, note="watch time")
    qtbot.keyClicks(panel.filter_edit, "POLITE")
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=3000)
    assert panel.model.cases[0].note == "so polite"
    panel.filter_edit.clear()
    qtbot.waitUntil(lambda: panel.model.rowCount() == 3, timeout=3000)
    panel.tag_filter.setCurrentIndex(panel.tag_filter.findData("hyper-activity"))
    assert [c.note for c in panel.model.cases] == ["likes all"]


def test_queue_walk_with_keyboard_is_resumable(qtbot, state, tmp_path):
    from workbench.app.cases_panel import CasesPanel

    path = tmp_path / "q.db"
    items = [QueueItem("user_0001", 0, "video_liked", "gpt-4o", 0, 0.95, 1, "Yes", True, "Video Browsing", 0.95),
             QueueItem("user_0001", 1, "video_completed", "gpt-4o", 1, 0.9, 0, "No", True, "Video Browsing", 0.9),
             QueueItem("user_0002", 2, "live_liked", "gpt-4o", 0, 0.8, 1, "Yes", True, "Live Streaming", 0.8)]
    with CaseStore(path) as s:
        qid = s.create_queue("gpt-4o mismatches", items, model="gpt-4o").id
    store = CaseStore(path)
    p = CasesPanel(state, store)
    qtbot.addWidget(p)
    p.show()
    p.start_queue(qid)
    assert p.queue_label.text() == "queue item 1 / 3" and state.selected_index == 0
    p.view.setFocus()
    qtbot.keyClick(p.view, Qt.Key.Key_J)
    assert p.queue_position() == 1 and state.selected_index == 1
    qtbot.keyClick(p.view, Qt.Key.Key_1)                      # first edit creates the case from the item
    (case,) = store.list_cases()
    assert case.location() == "user_0001 #1" and case.tags == ("hyper-activity",)
    assert case.predictions[0].predicted_label == 0 and case.real_values == {"video_completed": 1}
    assert store.queue_items(qid)[1][1] == case.id
    qtbot.keyClick(p.view, Qt.Key.Key_BracketRight)
    qtbot.keyClick(p.view, Qt.Key.Key_J)                      # stays on the last item
    assert p.queue_position() == 2
    qtbot.keyClick(p.view, Qt.Key.Key_K)
    assert p.queue_position() == 1 and p.tag_buttons["hyper-activity"].isChecked()
    p.shutdown()
    store.close()
    # a new session resumes where the analyst stopped
    store2 = CaseStore(path)
    p2 = CasesPanel(state, store2)
    qtbot.addWidget(p2)
    p2.start_queue(qid)
    assert p2.queue_position() == 1 and p2.current_case().id == case.id
    p2.shutdown()
    store2.close()


def test_store_errors_go_to_the_error_sink(panel, qtbot, state):
    case = panel.mark_event("user_0001", 1, ["video_liked"])
    panel.store.close()
    panel.store._db = None  # simulate a store that went away under the panel
    with qtbot.waitSignal(state.error_posted) as sig:
        panel.toggle_tag("other")
    assert sig.args[0] == "Cannot change the tags"
    panel.store = None
    assert case.id


def test_opens_the_project_store_when_a_dataset_loads(qtbot, state, trace_file):
    from workbench.annotate.store import default_store_path
    from workbench.app.cases_panel import CasesPanel

    p = CasesPanel(state)
    qtbot.addWidget(p)
    assert p.store is not None and p.store.path == default_store_path(trace_file)
    c = p.mark_event("user_0001", 3, ["shop_added_to_cart"])
    assert p.store.get_case(c.id).real_values == {"shop_added_to_cart": 1}
    p.shutdown()


def test_presentation_steps_with_arrow_keys(qtbot, panel, tmp_path):
    from workbench.app.presentation import PresentationWindow

    panel.mark_event("user_0001", 1, ["video_liked"], predictions=[Prediction("gpt-4o", "video_liked", 0.1, 0, "No", True)],
                     tags=["1"], note="missed the like")
    panel.mark_event("user_0001", 4, predictions=[Prediction("gpt-4o", "next_user_message", "please, thanks", "please, thanks", "", True)],
                     tags=["2"], note="too polite")
    panel.open_presentation_on_request = False
    with qtbot.waitSignal(panel.presentation_requested) as sig:
        panel.present_button.click()
    cases = panel.store.list_cases(ids=sig.args[0])
    w = PresentationWindow(cases, taxonomy=panel.store.tags())
    qtbot.addWidget(w)
    w.resize(1280, 720)
    w.show()
    qtbot.waitExposed(w)
    assert w.counter_label.text() == "1 / 2" and "user_0001 #1" in w.title_label.text()
    assert not w.timeline_label.pixmap().isNull()
    assert w.note_label.text() == "missed the like"
    with qtbot.waitSignal(w.slide_changed) as s:
        qtbot.keyClick(w, Qt.Key.Key_Right)
    assert s.args == [1] and w.counter_label.text() == "2 / 2"
    assert w.slide_kind() == "dialogue" and w.dialogue.isVisible()
    assert "Sorry, could you please send a photo?" in w.dialogue.toPlainText()
    qtbot.keyClick(w, Qt.Key.Key_Right)                      # stays on the last slide
    assert w.index == 1
    qtbot.keyClick(w, Qt.Key.Key_Left)
    assert w.index == 0
    img = w.grab().toImage()
    img.save(str(tmp_path / "presentation.png"))
    # the timeline picture is drawn: the highlight colour occurs in the rendered slide
    tl = w.timeline_label.pixmap().toImage()
    colours = {tl.pixelColor(x, y).name() for x in range(0, tl.width(), 3) for y in range(0, tl.height(), 3)}
    assert len(colours) > 5
    with qtbot.waitSignal(w.closed):
        qtbot.keyClick(w, Qt.Key.Key_Escape)


def test_presentation_draws_the_neighbourhood_never_the_snapshot(qtbot, sample_cases):
    """A snapshot may hold the whole 90 days or another event's ghost marks: slides draw the case's
    own neighbourhood instead."""
    from dataclasses import replace

    from PySide6.QtCore import QBuffer, QIODevice, QSize
    from PySide6.QtGui import QColor, QImage

    from workbench.app.presentation import case_timeline_image

    img = QImage(40, 20, QImage.Format.Format_RGB32)
    img.fill(QColor("#ff00ff"))
    buf = QBuffer()
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    img.save(buf, "PNG")
    case = replace(sample_cases[0], snapshot_png=bytes(buf.data()))
    out = case_timeline_image(case, QSize(1200, 320))
    assert out.width() > 600 and out.height() > 100
    colours = {out.pixelColor(x, y).name() for x in range(0, out.width(), 4) for y in range(0, out.height(), 4)}
    assert "#ff00ff" not in colours and len(colours) > 5


def test_present_opens_full_screen_window(qtbot, panel):
    panel.mark_event("user_0001", 1, ["video_liked"], tags=["1"])
    w = panel.present(full_screen=False)
    assert w.isVisible() and len(w.cases) == 1 and w.counter_label.text() == "1 / 1"
    with qtbot.waitSignal(w.closed):
        w.close()                                   # deletes itself on close
    assert panel._presentation is None


def test_reopen_range_case(qtbot, panel, state):
    case = panel.mark_range("user_0001", "2025-09-03 21:00:00", "2025-09-04 10:30:00")
    assert panel.current_case().id == case.id
    with qtbot.waitSignal(panel.range_reopened) as sig:
        panel.reopen_current()
    user, t0, t1 = sig.args
    assert user == "user_0001" and t0 < t1
    assert state.current_user == "user_0001" and state.selected_index == 0


def test_mark_event_with_a_prompt_object(panel):
    from workbench.simulate.types import Prompt

    prompt = Prompt("## 输入一：用户画像 ...", (0, 1), 120, memory="retrieve", prompt_hash="c" * 64)
    case = panel.mark_event("user_0001", 2, ["live_liked"], prompt=prompt,
                            predictions=[Prediction("m", "live_liked", 0.7, 1, "Yes", True)])
    stored = panel.store.get_case(case.id)
    assert stored.prompt.startswith("## 输入一")
    assert (stored.predictions[0].memory, stored.predictions[0].prompt_hash) == ("retrieve", "c" * 64)


def test_taxonomy_edits_show_up(panel, qtbot):
    panel.store.edit_tag("other", label="something else", shortcut=9)
    panel.store.add_tag("Too generic", shortcut=8, color="#123456")
    panel.refresh()
    assert panel.tag_buttons["other"].text() == "9 something else"
    assert panel.tag_buttons["too-generic"].text() == "8 Too generic"
    case = panel.mark_event("user_0001", 1, ["video_liked"])
    panel.view.setFocus()
    qtbot.keyClick(panel.view, Qt.Key.Key_8)
    assert panel.store.get_case(case.id).tags == ("too-generic",)
    assert not panel.toggle_shortcut(7)                      # no tag on 7 any more


def test_every_cases_review_key_in_the_shortcuts_table_is_handled(panel):
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QKeyEvent, QKeySequence

    from workbench.app.actions import ACTIONS

    panel.mark_event("user_0001", 2, ["live_liked"])
    panel.confirm_delete = lambda cases: False       # Delete asks first: answer No, no modal box
    specs = [s for s in ACTIONS if s.where == "Cases review"]
    assert len(specs) >= 7
    for spec in specs:
        for key in spec.keys:
            for one in (("1",) if key == "1…9" else (key,)):
                combo = QKeySequence(one)[0]
                event = QKeyEvent(QEvent.Type.KeyPress, combo.key(), combo.keyboardModifiers())
                assert panel.handle_key(event), f"{spec.text}: {one}"
                panel.view.setFocus()
