"""Presentation mode made for a room: each kind of slide (event, dialogue, time range) fits
1366x768 and 1920x1080 at its first size with nothing clipped, draws the timeline zoomed around the
case, the whole dialogue as bubbles with the lexicons' suggestions dotted, real against each model in large type;
F toggles full screen. One screenshot baseline per kind of slide."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QSize, Qt  # noqa: E402
from PySide6.QtGui import QTextCharFormat  # noqa: E402
from PySide6.QtWidgets import QLabel  # noqa: E402

from tests.annotate.conftest import raw_history  # noqa: E402
from tests.screenshots import check_baseline  # noqa: E402

BASELINES = Path(__file__).parent / "baselines"


def slide_cases():
    """An event case with two models, a long dialogue with a simulated message, a time range."""
    from workbench.annotate.context import case_for_range, case_from_events
    from workbench.annotate.model import CasePrediction, Turn

    history = raw_history()
    video = case_from_events(
        history, source="t.json", user_id="user_0001", event_index=1, fields=["video_liked", "video_watch_seconds"],
        predictions=[CasePrediction("gpt-4o", "video_liked", 0.9, 1, "Yes", True),
                     CasePrediction("gpt-4o", "video_watch_seconds", 3930.0, 3930.0, "3930", True),
                     CasePrediction("baseline:user", "video_liked", 0.2, 0, "", True),
                     CasePrediction("baseline:user", "video_watch_seconds", 17.5, 17.5, "", True)],
        tags=["hyper-activity", "other"], severity=2,
        note="The model watches for an hour and likes everything; the person watched 20 s and liked it once.")
    service = case_from_events(
        history, source="t.json", user_id="user_0001", event_index=4,
        predictions=[CasePrediction("gpt-4o", "next_user_message", "Could you please kindly help me, thank you!",
                                    "Could you please kindly help me, thank you!", "", True)],
        tags=["utopian-tone"], severity=3, note="far too polite")
    long_talk = [Turn("user" if i % 2 == 0 else "assistant",
                      f"turn {i}: " + ("my shoes are broken, this is your fault" if i % 2 == 0
                                       else "sorry, could you please send a photo? thank you")) for i in range(24)]
    service = replace(service, transcript=(*long_talk, *service.transcript))
    rng = case_for_range(history, source="t.json", user_id="user_0001", start_ts="2025-09-03 21:00:00",
                         end_ts="2025-09-04 10:30:00", tags=["long-horizon-miss"], note="binge then shop")
    return [video, service, replace(rng, severity=1)]


def _clipped_labels(window) -> list[str]:
    """Visible labels whose text needs more room than they got (word-wrapped height included)."""
    bad = []
    for label in window.findChildren(QLabel):
        if not label.isVisible() or not label.text() or label.pixmap() is not None and not label.pixmap().isNull():
            continue
        need = label.heightForWidth(label.width()) if label.wordWrap() else label.sizeHint().height()
        fm = label.fontMetrics()
        margins = label.contentsMargins().left() + label.contentsMargins().right() + 2 * label.margin()
        longest = max((fm.horizontalAdvance(w) for w in label.text().split()), default=0)
        if label.wordWrap() and longest + margins > label.width() + 1:
            bad.append(f"{label.objectName() or label.text()[:30]!r}: a word is wider ({longest}) than {label.width()}")
        if label.wordWrap() is False and label.sizeHint().width() > label.width() + 1:
            bad.append(f"{label.objectName() or label.text()[:30]!r} width {label.width()} < {label.sizeHint().width()}")
        elif need > label.height() + 1:
            bad.append(f"{label.objectName() or label.text()[:30]!r} height {label.height()} < {need}")
        # inside the window (or inside the scroll area that holds it)
        top_left = label.mapTo(window, label.rect().topLeft())
        if label.window() is window and top_left.x() + label.width() > window.width() + 1 \
                and "slide_left" not in _ancestors(label):
            bad.append(f"{label.objectName() or label.text()[:30]!r} runs off the right edge")
    return bad


def _ancestors(widget) -> str:
    names = []
    while widget is not None:
        names.append(widget.objectName())
        widget = widget.parentWidget()
    return " ".join(names)


@pytest.fixture
def show(qtbot, qapp):
    from workbench.app.presentation import PresentationWindow

    made = []

    def factory(cases, size):
        w = PresentationWindow(cases, title="Cases")
        qtbot.addWidget(w)
        w.resize(*size)
        w.show()
        qtbot.waitExposed(w)
        made.append(w)
        return w

    yield factory


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_every_kind_of_slide_fits_with_nothing_clipped(show, qtbot, size):
    w = show(slide_cases(), size)
    assert w.minimumSizeHint().width() <= 1366 and w.minimumSizeHint().height() <= 768
    kinds = []
    for i in range(3):
        w.show_case(i)
        qtbot.wait(50)
        kinds.append(w.slide_kind())
        assert (w.width(), w.height()) == size
        assert _clipped_labels(w) == [], (w.slide_kind(), size)
        # the left column (comparison and note) fits without scrolling at these sizes
        assert not w.left_scroll.verticalScrollBar().isVisible(), w.slide_kind()
        assert w.timeline_label.pixmap().height() >= 120
    assert kinds == ["event", "dialogue", "range"]


def test_slides_show_values_in_words_the_whole_dialogue_and_the_prediction(show, qtbot):
    w = show(slide_cases(), (1366, 768))
    cells = [lab.text() for lab in w.findChildren(QLabel) if lab.isVisible()]
    assert "Yes" in cells and "No" in cells                  # binary values, not 0/1
    assert "3930" in cells and "17.5" in cells               # plain numbers, not 3.93e+03
    assert not [c for c in cells if "e+0" in c]
    w.show_case(1)
    text = w.dialogue.toPlainText()
    assert "turn 0:" in text and "turn 23:" in text            # the whole dialogue, not the last four turns
    assert "Could you please kindly help me" in text and "simulated" in text
    # the lexicons' politeness terms are suggested: dotted-underlined (stored spans would be solid)
    assert any(c.quote == "kindly" and c.marker == "politeness" for c in w.marker.candidates)
    found = w.dialogue.document().find("kindly")
    assert found.charFormat().underlineStyle() == QTextCharFormat.UnderlineStyle.DotLine
    bar = w.dialogue.verticalScrollBar()
    assert bar.maximum() > 0 and bar.value() == bar.maximum()  # long: it scrolls, shown at the end


def test_timeline_is_zoomed_around_the_case(qtbot, qapp):
    """With the trace open, a slide draws the events around the case, not the whole 90 days."""
    from workbench.app.presentation import case_events

    events = {i: {"type": "Video Browsing", "timestamp": f"2025-{9 + i // 30:02d}-{1 + i % 30:02d} 10:00:00",
                  "action": [{"type": "watch", "play_duration": 3}]} for i in range(90)}
    case = replace(slide_cases()[0], event_index=45, event=dict(events[45]))
    drawn = case_events(case, lambda user: events)
    indices = sorted(e["event_index"] for e in drawn)
    assert indices[0] == 5 and indices[-1] == 85 and 45 in indices      # 40 on each side
    assert len(case_events(case, None)) == len(case.neighbours) + 1     # without a trace: what was stored


def test_f_toggles_full_screen_and_escape_leaves(show, qtbot):
    w = show(slide_cases(), (1366, 768))
    w.activateWindow()
    qtbot.keyClick(w, Qt.Key.Key_F)
    qtbot.waitUntil(w.isFullScreen, timeout=3000)
    qtbot.keyClick(w, Qt.Key.Key_F)
    qtbot.waitUntil(lambda: not w.isFullScreen(), timeout=3000)
    qtbot.keyClick(w, Qt.Key.Key_Right)
    assert w.index == 1
    with qtbot.waitSignal(w.closed):
        qtbot.keyClick(w, Qt.Key.Key_Escape)


def test_first_size_fits_the_screen():
    from workbench.app.presentation import first_size

    assert first_size(QSize(1366, 768)).width() <= 1366 and first_size(QSize(1366, 768)).height() <= 768
    assert first_size(QSize(1920, 1080)) == QSize(1600, 1000)


@pytest.mark.screenshot
@pytest.mark.parametrize("index,kind", [(0, "event"), (1, "dialogue"), (2, "range")])
def test_slide_baselines(show, qtbot, tmp_path, regen_baselines, index, kind):
    w = show(slide_cases(), (1366, 768))
    w.show_case(index)
    qtbot.wait(50)
    assert w.slide_kind() == kind
    check_baseline(w.grab().toImage(), BASELINES / f"presentation_{kind}.png", regen_baselines, tmp_path,
                   max_fraction=0.01, max_mean=3.0)
