"""Marking words in transcripts (one component for the inspector, Cases, Predict and presentation):
selections become code-point spans (Chinese and astral emoji before the words), the lexicons'
suggestions are dotted and decided with one key, stored spans are solid, every mark is undoable, and a
store that fails is reported, never raised. All through a real case store."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt, QTimer  # noqa: E402
from PySide6.QtGui import QAction, QColor, QKeySequence, QTextCharFormat, QTextCursor  # noqa: E402
from PySide6.QtWidgets import QApplication, QMainWindow, QMenu  # noqa: E402

from tests.conftest import one_user_state  # noqa: E402
from workbench.annotate.model import CasePrediction, new_case  # noqa: E402
from workbench.annotate.spans import MARKER_COLORS, lexicon_quality  # noqa: E402
from workbench.annotate.store import CaseStore  # noqa: E402
from workbench.traces.dialogue import Turn  # noqa: E402

#: Two astral emoji (two UTF-16 units each) and Chinese before the words that get marked.
ZH = "我的鞋子😀😀坏了，请您帮我看看可能是质量问题"
EN = "🙂 maybe you could please check it, thank you"
AGENT = "亲，非常抱歉给您带来不便😭"


@pytest.fixture
def state(qapp, tmp_path):
    from tests.annotate.conftest import raw_history

    history = raw_history()
    for ev in history:
        if ev["type"] == "Customer Service":
            ev["action"][0]["content"] = [{"role": "user", "content": ZH}, {"role": "assistant", "content": AGENT},
                                          {"role": "user", "content": EN}]
    st = one_user_state(tmp_path, history, profile="x")
    st.errors = []
    st.error_posted.connect(lambda title, msg: st.errors.append((title, msg)))
    return st


@pytest.fixture
def panel(cases_panel, state):
    return cases_panel(state, author="ana", show=False)


def stored_case(panel):
    case = new_case(source="t.json", user_id="user_0001", event_index=4,
                    transcript=[Turn("user", ZH), Turn("assistant", AGENT), Turn("user", EN)],
                    predictions=[CasePrediction("gpt-x", "next_user_message", "好的😀谢谢您，太好了")])
    return panel.store.add_case(case)


@pytest.fixture
def shown(qtbot, panel):
    """A window holding a transcript view with the marker on a stored case (real store)."""
    from widgets.transcript import TranscriptView
    from workbench.app.transcript_marks import MarkingHost, Message, TranscriptMarker

    win = QMainWindow()
    qtbot.addWidget(win)
    view = TranscriptView()
    win.setCentralWidget(view)
    host = MarkingHost(lambda: panel, win)
    marker = TranscriptMarker(view, host)
    case = stored_case(panel)
    messages = [Message(t.role, t.content, f"turn:{i}") for i, t in enumerate(case.transcript)]
    messages.append(Message("user", "好的😀谢谢您，太好了", "pred:gpt-x:next_user_message", True, "gpt-x"))
    marker.show(messages, case)
    win.resize(700, 600)
    win.show()
    qtbot.waitExposed(win)
    return win, view, marker, case


def select(view, words: str, occurrence: int = 0) -> None:
    """Select ``words`` in the view as a user would (Qt's own find, UTF-16 positions)."""
    cursor = QTextCursor(view.document())
    for _ in range(occurrence + 1):
        cursor = view.document().find(words, cursor)
    assert not cursor.isNull(), words
    view.setTextCursor(cursor)


def click_into(qtbot, view, words: str) -> None:
    """Click with the mouse between the first and second character of ``words``."""
    found = view.document().find(words)
    cursor = QTextCursor(view.document())
    cursor.setPosition(found.selectionStart() + 1)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.cursorRect(cursor).center())
    qtbot.wait(20)


def place(span):
    """Where a suggestion is (its id is new each time the suggestions are found)."""
    return span.target, span.start, span.end, span.source


def char_format(view, words: str) -> QTextCharFormat:
    """The character format in the middle of ``words`` as drawn."""
    found = view.document().find(words)
    cursor = QTextCursor(view.document())
    cursor.setPosition((found.selectionStart() + found.selectionEnd() + 1) // 2)
    return cursor.charFormat()


def test_selection_after_emoji_and_chinese_stores_code_point_offsets(shown, panel):
    _win, view, marker, case = shown
    select(view, "请您帮我")
    span = marker.mark_selection("politeness")
    assert span is not None
    (stored,) = panel.store.spans(case.id)
    start = ZH.index("请您帮我")
    assert (stored.target, stored.start, stored.end, stored.quote) == ("turn:0", start, start + 4, "请您帮我")
    assert ZH.encode("utf-16-le").decode("utf-16-le").index("请您帮我") == start      # code points, not units
    assert len(ZH[:start].encode("utf-16-le")) // 2 == start + 2                        # the emoji count two in Qt
    assert (stored.annotator, stored.status, stored.lang) == ("ana", "manual", "zh")
    # in the simulated message after an emoji, with white space around the selection trimmed
    select(view, "谢谢您")
    marker.mark_selection("over-apology")
    pred = next(s for s in panel.store.spans(case.id) if s.target.startswith("pred:"))
    assert (pred.start, pred.end, pred.quote) == (3, 6, "谢谢您")
    select(view, "maybe you ")
    marker.mark_selection("hedging")
    en = next(s for s in panel.store.spans(case.id) if s.target == "turn:2")
    assert (en.start, en.end, en.quote) == (2, 11, "maybe you") and EN[2:11] == "maybe you"


def test_stored_spans_solid_candidates_dotted_and_the_current_one_tinted(shown, panel):
    _win, view, marker, case = shown
    quotes = [c.quote.lower() for c in marker.candidates]
    assert "maybe" in quotes and "please" in quotes and "thank you" in quotes
    fmt = char_format(view, "please")
    assert fmt.underlineStyle() == QTextCharFormat.UnderlineStyle.DotLine
    first = marker.current_candidate()
    assert char_format(view, first.quote).background().color() == QColor("#ffe3c2")
    select(view, "坏了")
    marker.mark_selection("no-frustration")
    assert char_format(view, "坏了").background().color() == QColor(MARKER_COLORS["no-frustration"])
    assert char_format(view, "坏了").underlineStyle() == QTextCharFormat.UnderlineStyle.NoUnderline
    # a candidate after the astral emoji is drawn exactly on its words
    cand = next(c for c in marker.candidates if c.quote.lower() == "please")
    rng = marker._doc_range(cand)
    cursor = QTextCursor(view.document())
    cursor.setPosition(rng[0])
    cursor.setPosition(rng[1], QTextCursor.MoveMode.KeepAnchor)
    assert cursor.selectedText() == "please"


def test_accept_and_reject_with_one_key_move_on_and_feed_precision(qtbot, shown, panel):
    win, view, marker, case = shown
    fired: list[str] = []
    for key in ("A", "R", "M"):                   # window shortcuts on the transcript's keys never fire
        act = QAction(key, win)
        act.setShortcut(QKeySequence(key))
        act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        act.triggered.connect(lambda _c=False, k=key: fired.append(k))
        win.addAction(act)
    win.activateWindow()
    qtbot.waitActive(win)
    view.setFocus()
    qtbot.waitUntil(view.hasFocus, timeout=2000)
    n = len(marker.candidates)
    first, second = marker.candidates[0], marker.candidates[1]
    qtbot.keyClick(view, Qt.Key.Key_A)
    assert place(marker.current_candidate()) == place(second) and len(marker.candidates) == n - 1
    qtbot.keyClick(view, Qt.Key.Key_R)
    assert len(marker.candidates) == n - 2 and fired == []
    spans = {s.quote: s for s in panel.store.spans(case.id)}
    assert spans[first.quote].status == "accepted" and spans[first.quote].source == first.source
    assert spans[second.quote].status == "rejected" and spans[second.quote].annotator == "ana"
    assert (spans[first.quote].start, spans[first.quote].end) == (first.start, first.end)
    quality = {(q.category, q.lang): q for q in lexicon_quality(panel.store.spans())}
    assert sum(q.accepted for q in quality.values()) == 1 and sum(q.rejected for q in quality.values()) == 1
    # a decided suggestion is drawn solid when accepted, plain when rejected; neither is dotted again
    assert char_format(view, first.quote).underlineStyle() == QTextCharFormat.UnderlineStyle.NoUnderline


def test_m_opens_the_marker_menu_and_a_digit_marks(qtbot, shown, panel):
    win, view, marker, case = shown
    win.activateWindow()
    qtbot.waitActive(win)
    view.setFocus()
    select(view, "质量问题")
    picked: list[str] = []

    def pick() -> None:
        menu = QApplication.activePopupWidget()
        if isinstance(menu, QMenu):
            picked.append(menu.objectName())
            qtbot.keyClick(menu, Qt.Key.Key_6)       # 6: quiet pivot after an agent error
        else:
            QTimer.singleShot(50, pick)

    QTimer.singleShot(50, pick)
    qtbot.keyClick(view, Qt.Key.Key_M)
    qtbot.waitUntil(lambda: len(panel.store.spans(case.id)) == 1, timeout=5000)
    (span,) = panel.store.spans(case.id)
    assert picked == ["marker_menu"] and (span.marker, span.quote) == ("quiet-pivot", "质量问题")


def test_context_menu_marks_and_lists_the_views_actions(shown, panel):
    _win, view, marker, case = shown
    extra = QAction("Mark this dialogue", view)
    view.addAction(extra)
    select(view, "坏了")
    menu = marker.context_menu()
    texts = [a.text() for a in menu.actions()]
    assert texts[0].startswith("Mark selected words as") and "Mark this dialogue" in texts
    sub = menu.actions()[0].menu()
    next(a for a in sub.actions() if a.data() == "other").trigger()
    assert [(s.quote, s.marker) for s in panel.store.spans(case.id)] == [("坏了", "other")]
    view.setTextCursor(QTextCursor(view.document()))          # no selection: the submenu is disabled
    assert not marker.context_menu().actions()[0].menu().isEnabled()


def test_undo_and_redo_a_mark(shown, panel):
    _win, view, marker, case = shown
    select(view, "请您帮我")
    marker.mark_selection("politeness")
    marker.decide_current(True)
    assert len(panel.store.spans(case.id)) == 2
    panel.undo_stack.undo()
    panel.undo_stack.undo()
    assert panel.store.spans(case.id) == []
    assert char_format(view, "请您帮我").background().color() != QColor(MARKER_COLORS["politeness"])
    panel.undo_stack.redo()
    (span,) = panel.store.spans(case.id)
    assert span.quote == "请您帮我"
    assert char_format(view, "请您帮我").background().color() == QColor(MARKER_COLORS["politeness"])


def test_a_store_that_fails_is_reported_and_nothing_is_half_done(shown, panel, state, tmp_path):
    _win, view, marker, case = shown
    path = Path(panel.store.path)
    panel.store.close()
    panel.store = CaseStore(path, readonly=True)              # a store that refuses writes
    try:
        select(view, "请您帮我")
        assert marker.mark_selection("politeness") is None
        assert marker.decide_current(True) is None
        assert panel.undo_stack.count() == 0
        assert state.errors and all("mark" in t.lower() for t, _ in state.errors)
        assert panel.store.spans(case.id) == []
    finally:
        panel.store.close()
    # a selection across two messages is refused with a message, not stored cut
    panel.store = CaseStore(path)
    cursor = view.document().find("坏了")
    end = view.document().find("抱歉")
    cursor.setPosition(end.selectionEnd(), QTextCursor.MoveMode.KeepAnchor)
    view.setTextCursor(cursor)
    assert marker.selection() is None and marker.mark_selection("other") is None


def _dialogue_shown(qtbot, make_window, path):
    """A window on the trace at ``path`` (a one-user trace written here when missing) with its
    customer-service dialogue shown in the inspector; (window, event index)."""
    from tests.annotate.conftest import raw_history
    from tests.app.conftest import open_window

    if not path.exists():
        history = raw_history()
        service = next(i for i, ev in enumerate(history) if ev["type"] == "Customer Service")
        history[service]["action"][0]["content"][0]["content"] = ZH
        path.write_text(json.dumps({"user_0001": {"user_profile": "x", "action_history": history}},
                                   ensure_ascii=False), encoding="utf-8")
    win = open_window(qtbot, make_window, path, user="user_0001", restore=False, persist=False)
    index = int(win.track.frame.filter(win.track.frame["scenario"] == "Customer Service")["event_index"][0])
    win.state.select_event("user_0001", index)
    qtbot.waitUntil(lambda: win.inspector.transcript.isVisible(), timeout=5000)
    return win, index


def test_inspector_marks_a_dialogue_making_it_a_case_and_undo_takes_both_back(qtbot, tmp_path, make_window):
    from workbench.annotate.store import default_store_path

    path = tmp_path / "trace.json"
    win, index = _dialogue_shown(qtbot, make_window, path)
    view, marker = win.inspector.transcript, win.inspector.marker
    assert marker.case is None and marker.candidates          # no case yet; the lexicons suggest
    # nothing stored to show yet: the lazy Cases panel and its store file wait for the first mark
    assert win.cases_panel is None and not default_store_path(path).exists()
    assert "Mark this dialogue" in [a.text().replace("&", "") for a in marker.context_menu().actions()]
    select(view, "请您帮我")
    span = marker.mark_selection("politeness")
    store = win.cases_panel.store
    (case,) = store.list_cases()
    assert span is not None and case.event_index == index and case.transcript[0].content == ZH
    (stored,) = store.spans(case.id)
    assert (stored.start, stored.quote) == (ZH.index("请您帮我"), "请您帮我")
    win.state.select_event("user_0001", 0)                     # away and back: the span is drawn solid
    win.state.select_event("user_0001", index)
    qtbot.waitUntil(lambda: marker.case is not None and bool(marker.spans), timeout=5000)
    assert char_format(view, "请您帮我").background().color() == QColor(MARKER_COLORS["politeness"])
    win.undo_stack.undo()                                      # the span and the case made for it
    assert store.list_cases() == [] and store.spans() == []
    win.undo_stack.redo()
    assert [c.id for c in store.list_cases()] == [case.id] and len(store.spans(case.id)) == 1
    predict = win.predict_here()                               # the Predict dialogue shows the same case's marks
    qtbot.waitUntil(lambda: predict.transcript.isVisibleTo(predict) and predict.marker.case is not None,
                    timeout=10000)
    assert predict.marker.host is win.marking_host and predict.marker.case.id == case.id
    assert char_format(predict.transcript, "请您帮我").background().color() == QColor(MARKER_COLORS["politeness"])
    select(predict.transcript, "refund")
    predict.marker.mark_selection("other")                     # one host: the inspector redraws it too
    qtbot.waitUntil(lambda: any(s.quote == "refund" for s in marker.spans), timeout=3000)


def test_a_dialogue_with_stored_marks_shows_them_in_a_new_window(qtbot, tmp_path, make_window):
    path = tmp_path / "trace.json"
    first, _ = _dialogue_shown(qtbot, make_window, path)
    select(first.inspector.transcript, "请您帮我")
    assert first.inspector.marker.mark_selection("politeness") is not None
    first.close()
    win, _ = _dialogue_shown(qtbot, make_window, path)           # the store exists: its marks are read
    marker = win.inspector.marker
    qtbot.waitUntil(lambda: marker.case is not None and bool(marker.spans), timeout=5000)
    assert win.cases_panel is not None
    assert char_format(win.inspector.transcript, "请您帮我").background().color() == QColor(MARKER_COLORS["politeness"])


def test_presentation_marks_with_keys_and_undoes_with_ctrl_z(qtbot, panel):
    from workbench.app.presentation import PresentationWindow
    from workbench.app.transcript_marks import MarkingHost

    case = stored_case(panel)
    host = MarkingHost(lambda: panel)
    window = PresentationWindow([case], host=host)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    view = window.dialogue
    assert window.marker.candidates
    first = window.marker.current_candidate()
    assert place(first) == place(window.marker.candidates[0])
    qtbot.keyClick(window, Qt.Key.Key_A)
    assert [s.quote for s in panel.store.spans(case.id)] == [first.quote]
    select(view, "好的")
    window.marker.mark_selection("uniform-positivity")
    assert {s.target for s in panel.store.spans(case.id)} >= {"pred:gpt-x:next_user_message"}
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [s.quote for s in panel.store.spans(case.id)] == [first.quote]
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert len(panel.store.spans(case.id)) == 2
    assert window.index == 0                                   # the keys did not step the slides


def test_marker_colours_are_the_reports():
    css = (Path(__file__).parents[2] / "resources" / "report" / "report.css").read_text(encoding="utf-8")
    for marker, colour in MARKER_COLORS.items():
        assert re.search(rf"mark\.s-{re.escape(marker)} \{{ background: {colour}; \}}", css), marker


def test_cases_panel_shows_a_dialogue_case_and_marks_in_it(qtbot, panel):
    case = stored_case(panel)
    panel.resize(800, 900)
    panel.show()
    qtbot.waitExposed(panel)
    panel.refresh()
    panel.view.selectRow(panel.model.row_of(case.id))
    view = panel.detail.transcript
    qtbot.waitUntil(view.isVisible, timeout=3000)
    assert "好的😀谢谢您" in view.toPlainText() and panel.marker.candidates
    click_into(qtbot, view, "可能")                            # a click into a suggestion makes it current
    qtbot.keyClick(view, Qt.Key.Key_A)                         # and A accepts it
    select(view, "看看")
    panel.marker.mark_selection("hedging")
    assert {(s.quote, s.status) for s in panel.store.spans(case.id)} == {("看看", "manual"), ("可能", "accepted")}
    assert char_format(view, "看看").background().color() == QColor(MARKER_COLORS["hedging"])
    other = panel.store.add_case(new_case(source="t.json", user_id="user_0001", event_index=1))
    panel.refresh()
    panel.view.selectRow(panel.model.row_of(other.id))         # no dialogue: no transcript
    qtbot.waitUntil(lambda: not view.isVisible(), timeout=3000)


def test_suggestions_do_not_widen_the_transcript(qtbot):
    """Formats drawn into the bubbles leave the layout as wide as the view (no horizontal scroll bar)."""
    from widgets.transcript import TranscriptView
    from workbench.app.transcript_marks import Message, TranscriptMarker

    view = TranscriptView()
    qtbot.addWidget(view)
    view.resize(350, 160)
    view.show()
    qtbot.waitExposed(view)
    marker = TranscriptMarker(view)
    marker.show([Message("user", ZH, "turn:0"), Message("assistant", AGENT + " 麻烦您发一张照片好吗？", "turn:1"),
                 Message("user", EN, "turn:2")])
    assert len(marker.candidates) >= 3
    marker.set_current(2)
    qtbot.wait(20)
    assert view.horizontalScrollBar().maximum() == 0


def test_blind_annotation_shows_only_my_marks(shown, panel):
    """Under blind annotation another annotator's marks on the same case are not drawn."""
    from dataclasses import replace as dc_replace

    _win, view, marker, case = shown
    select(view, "坏了")
    span = marker.mark_selection("no-frustration")
    panel.store.add_span(dc_replace(span, id="other-span", annotator="bo", start=ZH.index("请您"),
                                    end=ZH.index("请您") + 2, quote="请您", marker="politeness"))
    marker.reload()
    assert {s.annotator for s in marker.spans} == {"ana", "bo"}
    panel.set_annotator("ana", hide_others=True)
    marker.reload()
    assert [s.annotator for s in marker.spans] == ["ana"]
    assert char_format(view, "请您").background().color() != QColor(MARKER_COLORS["politeness"])


def test_selecting_words_beside_a_suggestion_leaves_the_current_one(qtbot, shown):
    """Selecting words that end where a suggestion starts (to mark them) does not move A/R's target;
    a click into a suggestion does."""
    _win, view, marker, _case = shown
    first = place(marker.current_candidate())
    select(view, "看看")                                       # ends where the suggestion 可能 starts
    assert place(marker.current_candidate()) == first
    click_into(qtbot, view, "可能")
    assert marker.current_candidate().quote == "可能"
