"""Presentation mode: chosen cases in large type for a room, stepped with the arrow keys.
Layer: app (Qt).

Each slide shows where the case is (user, event or range, scenario), its tags and severity, the
timeline zoomed around the case (the events around it, drawn fresh from the trace when it is open,
else from the events stored with the case; never the window's snapshot, which may hold 90 days or
another event's ghost marks), real against each model's prediction in large type (green where the
model agreed, red where it did not), the note and, for customer-service cases, the whole dialogue as
chat bubbles (scrolling when long; the model's simulated next message is drawn dashed at the end),
with the annotators' marked words solid and the lexicons' suggestions dotted: words selected with
the mouse are marked there too (:mod:`workbench.app.transcript_marks`).

The window opens at a size that fits the screen it is on (1366x768 and up); :meth:`present` shows
it full screen. Keys: Right / Down / Space / PageDown next; Left / Up / Backspace / PageUp
previous; Home / End first / last; F toggles full screen; Escape leaves; the transcript's M (mark
the selected words), A / R (accept / reject the suggestion) and Ctrl+Z / Ctrl+Shift+Z (undo / redo).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from html import escape
from typing import Any

from PySide6.QtCore import QByteArray, QKeyCombination, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QImage, QKeyEvent, QKeySequence, QPainter, QPixmap
from PySide6.QtWidgets import (QFrame, QGridLayout, QHBoxLayout, QLabel, QScrollArea, QSizePolicy,
                               QVBoxLayout, QWidget)

from widgets.transcript import TranscriptView
from workbench.annotate.context import marks_from_events, neighbours_of
from workbench.annotate.model import SEVERITY_NAMES, Case
from workbench.annotate.svg import safe_color, timeline_svg
from workbench.annotate.taxonomy import DEFAULT_TAGS, Tag
from workbench.annotate.values import value_text
from workbench.app.transcript_marks import MarkingHost, TranscriptMarker, case_messages

_MISS, _HIT = "#fde2e1", "#e3f4e8"
_CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
#: Events drawn on each side of the case when the trace is open (the report draws as many).
AROUND = 40
#: A user's raw events keyed by event index (``annotate.context.raw_events_for`` of the open trace).
EventsFor = Callable[[str], Mapping[int, Mapping[str, Any]]]


def case_events(case: Case, events_for: EventsFor | None = None) -> list[dict[str, Any]]:
    """The events to draw around ``case``: up to ``AROUND`` on each side (a range: those inside it
    too) from the open trace, else the case's stored event and neighbours. Each has ``event_index``."""
    if events_for is not None:
        try:
            events = events_for(case.user_id)
            around = neighbours_of(events, case.event_index, start_ts=case.start_ts, end_ts=case.end_ts,
                                   around=AROUND)
            if case.event_index is not None and case.event_index in events:
                around.append({**dict(events[case.event_index]), "event_index": case.event_index})
            if around:
                return around
        except Exception:  # noqa: BLE001 - a closed or different trace: the stored events still show
            pass
    events = [dict(n) for n in case.neighbours]
    if case.event is not None and case.event_index is not None:
        events.append({**case.event, "event_index": case.event_index})
    return events


def case_timeline_image(case: Case, size: QSize | None = None, *,
                        events_for: EventsFor | None = None) -> QImage:
    """The case's neighbourhood on the scenario lanes, drawn to fit ``size`` (default 1200 wide).
    Text is drawn at 1.4x the report's size, so the lanes read from the back of a room."""
    from PySide6.QtSvg import QSvgRenderer

    target = size if size is not None and not size.isEmpty() else QSize(1200, 320)
    zoom = 1.4
    svg = timeline_svg(marks_from_events(case_events(case, events_for)), event_index=case.event_index,
                       start_ts=case.start_ts, end_ts=case.end_ts, width=max(400, int(target.width() / zoom)),
                       title=case.location())
    svg = svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    natural = renderer.defaultSize()
    if natural.isEmpty():
        natural = QSize(int(target.width() / zoom), 160)
    scale = min(target.width() / natural.width(), target.height() / natural.height())
    img = QImage(max(1, int(natural.width() * scale)), max(1, int(natural.height() * scale)),
                 QImage.Format.Format_ARGB32)
    img.fill(QColor("white"))
    painter = QPainter(img)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, img.width(), img.height()))
    painter.end()
    return img


def first_size(screen_size: QSize) -> QSize:
    """The window's size before full screen: the screen less room for panels, at most 1600x1000."""
    return QSize(min(1600, max(640, screen_size.width() - 40)), min(1000, max(480, screen_size.height() - 60)))


class PresentationWindow(QWidget):
    """Steps through ``cases``; call :meth:`present` to show it full screen. ``events_for`` (a
    user id -> raw events by index) lets the slides draw the timeline from the open trace."""

    slide_changed = Signal(int)      # index of the case shown
    closed = Signal()

    def __init__(self, cases: Sequence[Case], *, taxonomy: Sequence[Tag] = (), title: str = "",
                 events_for: EventsFor | None = None, host: MarkingHost | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("presentation")
        self.setWindowTitle(title or "Cases")
        self.cases = list(cases)
        self.tags = {t.name: t for t in (taxonomy or DEFAULT_TAGS)}
        self.events_for = events_for
        self.host = host
        self.index = 0
        self._case: Case | None = None
        self.setStyleSheet("#presentation { background: white; } #presentation QLabel { color: #212529; }")
        self.setAutoFillBackground(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._build_ui()
        screen = self.screen() or QGuiApplication.primaryScreen()
        self.resize(first_size(screen.availableGeometry().size()) if screen else QSize(1280, 720))
        self.show_case(0)

    def _label(self, size: int, bold: bool = False, name: str = "") -> QLabel:
        label = QLabel(self)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setWordWrap(True)
        f = label.font()
        f.setPointSize(size)
        f.setBold(bold)
        label.setFont(f)
        if name:
            label.setObjectName(name)
        return label

    def _build_ui(self) -> None:
        self.title_label = self._label(24, True, "slide_title")
        self.title_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.counter_label = self._label(16, name="slide_counter")
        self.counter_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.counter_label.setWordWrap(False)
        self.tags_label = QLabel(self)
        self.tags_label.setObjectName("slide_tags")
        self.tags_label.setTextFormat(Qt.TextFormat.RichText)
        self.tags_label.setWordWrap(True)
        self.tags_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        f = self.tags_label.font()
        f.setPointSize(15)
        self.tags_label.setFont(f)
        self.timeline_label = QLabel(self)
        self.timeline_label.setObjectName("slide_timeline")
        self.timeline_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.timeline_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.timeline_label.setMinimumHeight(120)

        self.compare = QGridLayout()
        self.compare.setHorizontalSpacing(12)
        self.compare.setVerticalSpacing(6)
        compare_box = QWidget()
        compare_box.setObjectName("slide_compare")
        compare_box.setLayout(self.compare)
        self.note_label = self._label(18, name="slide_note")
        self.note_label.setStyleSheet("background: #fff8e6; border-left: 6px solid #f0a030; padding: 10px;")
        self.note_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        left = QWidget()
        left.setObjectName("slide_left")
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 8, 0)
        left_layout.addWidget(compare_box)
        left_layout.addWidget(self.note_label)
        left_layout.addStretch(1)
        self.left_scroll = QScrollArea(self)
        self.left_scroll.setObjectName("slide_left_scroll")
        self.left_scroll.setWidget(left)
        self.left_scroll.setWidgetResizable(True)
        self.left_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.left_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.left_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.left_scroll.setStyleSheet("QScrollArea, #slide_left { background: white; }")

        self.dialogue = TranscriptView(self)
        self.dialogue.setObjectName("slide_dialogue")
        f = self.dialogue.font()
        f.setPointSize(15)
        self.dialogue.setFont(f)
        self.dialogue.document().setDefaultFont(f)
        self.dialogue.setMinimumWidth(280)
        self.dialogue.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.dialogue.setFocusPolicy(Qt.FocusPolicy.NoFocus)     # arrow keys step the slides
        self.marker = TranscriptMarker(self.dialogue, self.host)   # its keys come through keyPressEvent

        self.hint_label = self._label(11, name="slide_hint")
        self.hint_label.setText("← → step · F full screen · Esc leave · in the dialogue: M marks the selected words, "
                                "A / R accept / reject the tinted suggestion, Ctrl+Z undoes")
        self.hint_label.setStyleSheet("color: #868e96;")

        head = QHBoxLayout()
        head.addWidget(self.title_label, 1)
        head.addWidget(self.counter_label)
        self.body = QHBoxLayout()
        self.body.setSpacing(24)
        self.body.addWidget(self.left_scroll, 5)
        self.body.addWidget(self.dialogue, 4)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(36, 24, 36, 16)
        layout.setSpacing(10)
        layout.addLayout(head)
        layout.addWidget(self.tags_label)
        layout.addWidget(self.timeline_label, 3)
        layout.addLayout(self.body, 5)
        layout.addWidget(self.hint_label)

    # -- slides ----------------------------------------------------------------------------------------
    def present(self) -> None:
        self.showFullScreen()
        self.activateWindow()
        self.setFocus()

    def slide_kind(self) -> str:
        """``"dialogue"``, ``"range"`` or ``"event"`` for the case shown (``""`` when none)."""
        case = self._case
        if case is None:
            return ""
        if case.transcript:
            return "dialogue"
        return "range" if case.is_range else "event"

    def show_case(self, index: int) -> None:
        if not self.cases:
            self._case = None
            self.title_label.setText("No cases chosen")
            self.counter_label.setText("")
            self.tags_label.setText("")
            self.note_label.hide()
            self.dialogue.hide()
            self.timeline_label.clear()
            self._fill_compare(None)
            return
        self.index = max(0, min(index, len(self.cases) - 1))
        case = self._case = self.cases[self.index]
        self.title_label.setText(f"{case.location()} · {case.scenario or '—'}")
        self.counter_label.setText(f"{self.index + 1} / {len(self.cases)}")
        self.tags_label.setText(self._chips(case))
        self._update_timeline_pixmap()
        self._fill_compare(case)
        self.note_label.setText(case.note)
        self.note_label.setVisible(bool(case.note))
        self._fill_dialogue(case)
        self.slide_changed.emit(self.index)

    def _chips(self, case: Case) -> str:
        chips = []
        for t in case.tags:
            info = self.tags.get(t)
            color = safe_color(info.color) if info else "#888888"
            chips.append(f'<span style="background:{color}; color:white;">&nbsp;'
                         f'{escape(info.label if info else t)}&nbsp;</span>')
        sev = case.severity if 0 <= case.severity < len(SEVERITY_NAMES) else 0
        chips.append(f'<span style="color:#c2410c;">&nbsp;severity {sev} · {escape(SEVERITY_NAMES[sev])}</span>')
        return " ".join(chips)

    def _fill_dialogue(self, case: Case) -> None:
        if not case.transcript:
            self.marker.clear()
            self.dialogue.hide()
            return
        self.marker.show(case_messages(case), case)
        self.dialogue.show()
        bar = self.dialogue.verticalScrollBar()
        bar.setValue(bar.maximum())          # the turns just before the predicted message

    def _update_timeline_pixmap(self) -> None:
        if self._case is None:
            return
        size = self.timeline_label.size()
        if size.width() < 50 or size.height() < 50:
            size = QSize(max(600, self.width() - 72), max(160, self.height() // 4))
        img = case_timeline_image(self._case, size, events_for=self.events_for)
        self.timeline_label.setPixmap(QPixmap.fromImage(img))

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 (Qt naming)
        super().resizeEvent(event)
        self._update_timeline_pixmap()

    def _cell(self, text: str, size: int = 20, bold: bool = False, bg: str | None = None,
              tooltip: str = "") -> QLabel:
        label = self._label(size, bold)
        label.setText(text)
        label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        label.setStyleSheet(f"background: {bg}; padding: 4px 8px;" if bg else "padding: 4px 8px;")
        if tooltip:
            label.setToolTip(tooltip)
        longest = max((label.fontMetrics().horizontalAdvance(w) for w in text.split()), default=0)
        label.setMinimumWidth(min(longest + 24, 360))     # a word is never cut; sentences wrap
        return label

    def _fill_compare(self, case: Case | None) -> None:
        while self.compare.count():
            item = self.compare.takeAt(0)
            w = item.widget()
            if w is not None:
                w.hide()          # at once: deleteLater only runs when control returns to the loop
                w.setParent(None)
                w.deleteLater()
        if case is None or not (case.fields or case.predictions):
            return
        models = list(case.models)
        self.compare.addWidget(self._cell("question", 14, True), 0, 0)
        self.compare.addWidget(self._cell("real", 14, True), 0, 1)
        for j, m in enumerate(models):
            self.compare.addWidget(self._cell(m, 14, True, tooltip=m), 0, 2 + j)
        preds = {(p.field, p.model): p for p in case.predictions}
        for i, f in enumerate(list(case.fields)[:12], start=1):
            real = case.real_values.get(f)
            self.compare.addWidget(self._cell(f.replace("_", " "), 15, tooltip=f), i, 0)
            real_text = value_text(f, real, 160)
            self.compare.addWidget(self._cell(real_text, _type_size(real_text), True), i, 1)
            for j, m in enumerate(models):
                p = preds.get((f, m))
                if p is None:
                    text, bg, tip = "—", None, ""
                elif not p.parse_ok:
                    text, bg, tip = "not parsed", "#eeeeee", p.error or p.raw_output
                else:
                    shown = p.predicted_label if p.predicted_label is not None else p.predicted_value
                    text, tip = value_text(f, shown, 160), p.raw_output
                    bg = _HIT if _same(real, shown) else _MISS
                self.compare.addWidget(self._cell(text, _type_size(text), False, bg, tip[:1000]), i, 2 + j)
        for col in range(2 + len(models)):
            self.compare.setColumnStretch(col, 1 if col == 0 else 2)

    # -- keys ------------------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = event.key()
        stack = self.host.undo_stack() if self.host is not None else None
        if self.marker.handle_key(event):
            return
        if stack is not None and event.matches(QKeySequence.StandardKey.Undo):
            stack.undo()                       # a mark made here (the window's Edit menu is elsewhere)
        elif stack is not None and (event.matches(QKeySequence.StandardKey.Redo) or event.keyCombination()
                                    == QKeyCombination(_CTRL_SHIFT, Qt.Key.Key_Z)):
            stack.redo()
        elif key in (Qt.Key.Key_Right, Qt.Key.Key_Down, Qt.Key.Key_Space, Qt.Key.Key_PageDown):
            self.show_case(self.index + 1)
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Up, Qt.Key.Key_Backspace, Qt.Key.Key_PageUp):
            self.show_case(self.index - 1)
        elif key == Qt.Key.Key_Home:
            self.show_case(0)
        elif key == Qt.Key.Key_End:
            self.show_case(len(self.cases) - 1)
        elif key == Qt.Key.Key_F:
            self.toggle_full_screen()
        elif key == Qt.Key.Key_Escape:
            self.close()
        else:
            super().keyPressEvent(event)

    def toggle_full_screen(self) -> None:
        """F: full screen on and off."""
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()

    def closeEvent(self, event: Any) -> None:  # noqa: N802
        self.closed.emit()
        super().closeEvent(event)


def _type_size(text: str) -> int:
    """Point size of a value: large for a word or number, smaller for a sentence."""
    return 22 if len(text) <= 16 else 15


def _same(real: Any, shown: Any) -> bool:
    try:
        if isinstance(real, (int, float)) and isinstance(shown, (int, float)):
            if real in (0, 1) and shown in (0, 1):
                return int(real) == int(shown)
            return abs(float(real) - float(shown)) <= max(1.0, 0.5 * abs(float(real)))
    except (TypeError, ValueError):
        return False
    return " ".join(str(real).split()).casefold() == " ".join(str(shown).split()).casefold()
