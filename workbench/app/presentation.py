"""Presentation mode: chosen cases full screen, in large type, stepped with the arrow keys.
Layer: app (Qt).

Each slide shows the case's place (user, event or range, scenario, tags, severity), its timeline
snapshot (the stored PNG, else the report's SVG timeline drawn with QtSvg from the events stored
with the case), real against predicted side by side, the note and, for customer-service cases, the
last turns of the dialogue with the simulated next message.

Keys: Right / Down / Space / PageDown next; Left / Up / Backspace / PageUp previous; Home / End
first / last; F toggles full screen; Escape leaves.
"""

from __future__ import annotations

from typing import Any, Sequence

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QKeyEvent, QPainter, QPixmap
from PySide6.QtWidgets import (QFrame, QGridLayout, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout,
                               QWidget)

from workbench.annotate.context import marks_from_events
from workbench.annotate.model import SEVERITY_NAMES, Case
from workbench.annotate.svg import safe_color, timeline_svg
from workbench.annotate.taxonomy import DEFAULT_TAGS, Tag

_MISS, _HIT = "#fde2e1", "#e3f4e8"


def case_timeline_image(case: Case, width: int = 1200) -> QImage:
    """The case's snapshot PNG, or its SVG timeline rendered to an image."""
    if case.snapshot_png:
        img = QImage.fromData(QByteArray(bytes(case.snapshot_png)), "PNG")
        if not img.isNull():
            return img
    from PySide6.QtSvg import QSvgRenderer

    events = [dict(n) for n in case.neighbours]
    if case.event is not None and case.event_index is not None:
        events.append({**case.event, "event_index": case.event_index})
    svg = timeline_svg(marks_from_events(events), event_index=case.event_index, start_ts=case.start_ts,
                       end_ts=case.end_ts, width=760, title=case.location())
    svg = svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    size = renderer.defaultSize()
    if size.isEmpty():
        size = QSize(760, 200)
    scale = width / size.width()
    img = QImage(int(size.width() * scale), int(size.height() * scale), QImage.Format.Format_ARGB32)
    img.fill(QColor("white"))
    painter = QPainter(img)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, img.width(), img.height()))
    painter.end()
    return img


class PresentationWindow(QWidget):
    """Steps through ``cases``; call :meth:`present` to show it full screen."""

    slide_changed = Signal(int)      # index of the case shown
    closed = Signal()

    def __init__(self, cases: Sequence[Case], *, taxonomy: Sequence[Tag] = (), title: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("presentation")
        self.setWindowTitle(title or "Cases")
        self.cases = list(cases)
        self.tags = {t.name: t for t in (taxonomy or DEFAULT_TAGS)}
        self.index = 0
        self.setStyleSheet("#presentation { background: white; } QLabel { color: #212529; }")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._build_ui()
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
        self.title_label = self._label(30, True, "slide_title")
        self.counter_label = self._label(16, name="slide_counter")
        self.counter_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.counter_label.setWordWrap(False)
        self.tags_label = QLabel(self)
        self.tags_label.setObjectName("slide_tags")
        self.tags_label.setTextFormat(Qt.TextFormat.RichText)
        f = self.tags_label.font()
        f.setPointSize(16)
        self.tags_label.setFont(f)
        self.timeline_label = QLabel(self)
        self.timeline_label.setObjectName("slide_timeline")
        self.timeline_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.timeline_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.timeline_label.setMinimumHeight(160)
        self.compare = QGridLayout()
        self.compare.setHorizontalSpacing(16)
        self.compare.setVerticalSpacing(6)
        compare_box = QFrame(self)
        compare_box.setObjectName("slide_compare")
        compare_box.setLayout(self.compare)
        self.note_label = self._label(20, name="slide_note")
        self.note_label.setStyleSheet("background: #fff8e6; border-left: 6px solid #f0a030; padding: 10px;")
        self.dialogue_label = self._label(17, name="slide_dialogue")
        self.hint_label = self._label(11, name="slide_hint")
        self.hint_label.setText("← → step · F full screen · Esc leave")
        self.hint_label.setStyleSheet("color: #868e96;")

        head = QHBoxLayout()
        head.addWidget(self.title_label, 1)
        head.addWidget(self.counter_label)
        right = QVBoxLayout()
        right.addWidget(compare_box)
        right.addWidget(self.dialogue_label)
        right.addStretch(1)
        body = QHBoxLayout()
        body.addLayout(right, 3)
        body.addWidget(self.note_label, 2, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 32, 48, 24)
        layout.setSpacing(14)
        layout.addLayout(head)
        layout.addWidget(self.tags_label)
        layout.addWidget(self.timeline_label, 3)
        layout.addLayout(body, 3)
        layout.addWidget(self.hint_label)

    # -- slides ----------------------------------------------------------------------------------------
    def present(self) -> None:
        self.showFullScreen()
        self.activateWindow()
        self.setFocus()

    def show_case(self, index: int) -> None:
        if not self.cases:
            self.title_label.setText("No cases chosen")
            self.counter_label.setText("")
            self.tags_label.setText("")
            self.note_label.setText("")
            self.note_label.hide()
            self.dialogue_label.hide()
            self.timeline_label.clear()
            self._fill_compare(None)
            return
        self.index = max(0, min(index, len(self.cases) - 1))
        case = self.cases[self.index]
        self.title_label.setText(f"{case.location()} · {case.scenario or '—'}")
        self.counter_label.setText(f"{self.index + 1} / {len(self.cases)}")
        chips = []
        from html import escape

        for t in case.tags:
            info = self.tags.get(t)
            color = safe_color(info.color) if info else "#888888"
            chips.append(f'<span style="background:{color}; color:white;">&nbsp;{escape(info.label if info else t)}&nbsp;</span>')
        sev = case.severity if 0 <= case.severity < len(SEVERITY_NAMES) else 0
        chips.append(f'<span style="color:#c2410c;">&nbsp;severity {sev} · {escape(SEVERITY_NAMES[sev])}</span>')
        self.tags_label.setText(" ".join(chips))
        self._timeline_image = case_timeline_image(case)
        self._update_timeline_pixmap()
        self._fill_compare(case)
        self.note_label.setText(case.note)
        self.note_label.setVisible(bool(case.note))
        dialogue = self._dialogue_text(case)
        self.dialogue_label.setText(dialogue)
        self.dialogue_label.setVisible(bool(dialogue))
        self.slide_changed.emit(self.index)

    def _update_timeline_pixmap(self) -> None:
        img = getattr(self, "_timeline_image", None)
        if img is None or img.isNull():
            return
        w = max(200, self.timeline_label.width())
        h = max(120, self.timeline_label.height())
        pm = QPixmap.fromImage(img).scaled(w, h, Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.SmoothTransformation)
        self.timeline_label.setPixmap(pm)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._update_timeline_pixmap()

    def _cell(self, text: str, size: int = 18, bold: bool = False, bg: str | None = None) -> QLabel:
        label = self._label(size, bold)
        label.setText(text)
        if bg:
            label.setStyleSheet(f"background: {bg}; padding: 4px 8px;")
        else:
            label.setStyleSheet("padding: 4px 8px;")
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
        self.compare.addWidget(self._cell("field", 16, True), 0, 0)
        self.compare.addWidget(self._cell("real", 16, True), 0, 1)
        for j, m in enumerate(models):
            self.compare.addWidget(self._cell(m, 16, True), 0, 2 + j)
        preds = {(p.field, p.model): p for p in case.predictions}
        for i, f in enumerate(list(case.fields)[:8], start=1):
            real = case.real_values.get(f)
            self.compare.addWidget(self._cell(f, 18), i, 0)
            self.compare.addWidget(self._cell(_short(real), 18, True), i, 1)
            for j, m in enumerate(models):
                p = preds.get((f, m))
                if p is None:
                    text, bg = "—", None
                elif not p.parse_ok:
                    text, bg = "not parsed", "#eeeeee"
                else:
                    shown = p.predicted_label if p.predicted_label is not None else p.predicted_value
                    text = _short(shown)
                    bg = _HIT if _same(real, shown) else _MISS
                self.compare.addWidget(self._cell(text, 18, False, bg), i, 2 + j)

    @staticmethod
    def _dialogue_text(case: Case) -> str:
        if not case.transcript:
            return ""
        lines = []
        for t in case.transcript[-4:]:
            who = {"user": "user", "assistant": "service"}.get(t.role, t.role)
            lines.append(f"{who}: {_short(t.content, 140)}")
        return "\n".join(lines)

    # -- keys ------------------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = event.key()
        if key in (Qt.Key.Key_Right, Qt.Key.Key_Down, Qt.Key.Key_Space, Qt.Key.Key_PageDown):
            self.show_case(self.index + 1)
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Up, Qt.Key.Key_Backspace, Qt.Key.Key_PageUp):
            self.show_case(self.index - 1)
        elif key == Qt.Key.Key_Home:
            self.show_case(0)
        elif key == Qt.Key.Key_End:
            self.show_case(len(self.cases) - 1)
        elif key == Qt.Key.Key_F:
            if self.isFullScreen():
                self.showNormal()
            else:
                self.showFullScreen()
        elif key == Qt.Key.Key_Escape:
            self.close()
        else:
            super().keyPressEvent(event)

    def closeEvent(self, event: Any) -> None:  # noqa: N802
        self.closed.emit()
        super().closeEvent(event)


def _same(real: Any, shown: Any) -> bool:
    try:
        if isinstance(real, (int, float)) and isinstance(shown, (int, float)):
            if real in (0, 1) and shown in (0, 1):
                return int(real) == int(shown)
            return abs(float(real) - float(shown)) <= max(1.0, 0.5 * abs(float(real)))
    except (TypeError, ValueError):
        return False
    return " ".join(str(real).split()).casefold() == " ".join(str(shown).split()).casefold()


def _short(value: Any, n: int = 80) -> str:
    text = "—" if value is None else " ".join(str(value).split())
    return text if len(text) <= n else text[: n - 1] + "…"
