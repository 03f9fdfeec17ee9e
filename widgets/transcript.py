"""Chat-transcript view for customer-service dialogues, real or simulated. Layer: widgets.

Imports nothing from ``workbench``. Turns are ``{"role": ..., "content": ...}`` dicts (or
:class:`TranscriptTurn`), drawn as bubbles: the user/customer on the left, the agent on the right.
Each turn may carry highlighted spans ``(start, end, css_class_or_colour)`` (politeness, hedging,
blame markers...), and one turn may be marked *simulated* (a model's predicted next message), drawn
with a dashed outline and a label so it is never mistaken for what the person really wrote.
All text is HTML-escaped; :func:`transcript_html` is a pure function usable for exports and tests.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from PySide6.QtCore import QEvent
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QTextBrowser, QWidget

__all__ = ["TranscriptTurn", "TranscriptView", "transcript_html", "SPAN_COLORS", "USER_ROLES"]

#: Roles drawn on the left (the person). Anything else is the agent/service side, on the right.
USER_ROLES = frozenset({"user", "customer", "buyer", "human", "client", "用户", "买家", "顾客", "客户"})

#: Background colours for named span classes; any ``#rrggbb`` colour is accepted as well.
SPAN_COLORS: dict[str, str] = {
    "politeness": "#cdeccd",
    "polite": "#cdeccd",
    "hedging": "#fff0b3",
    "hedge": "#fff0b3",
    "blame": "#ffc9c9",
    "complaint": "#ffc9c9",
    "emotion": "#e3d4f7",
    "match": "#ffe08a",
}
_DEFAULT_SPAN = "#ffe08a"
_COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")

#: Bubble colours for light and dark palettes.
THEMES: dict[str, dict[str, str]] = {
    "light": {"page": "#ffffff", "user": "#eef1f6", "agent": "#dcebfb", "sim": "#fbf4e4", "border": "#c5ccd8",
              "sim_border": "#c98a14", "text": "#1d1d1f", "muted": "#5b6272", "span_text": "#1d1d1f"},
    "dark": {"page": "#1e2026", "user": "#2b303b", "agent": "#1f3550", "sim": "#3a3122", "border": "#3d4350",
             "sim_border": "#e0a23a", "text": "#e6e9ef", "muted": "#9aa3b2", "span_text": "#1d1d1f"},
}


@dataclass(frozen=True)
class TranscriptTurn:
    role: str
    content: str
    spans: tuple[tuple[int, int, str], ...] = field(default_factory=tuple)
    simulated: bool = False
    label: str = ""  # e.g. the model name for a simulated turn


def _coerce(turn: TranscriptTurn | Mapping[str, Any], index: int) -> TranscriptTurn:
    if isinstance(turn, TranscriptTurn):
        return turn
    if not isinstance(turn, Mapping):
        raise ValueError(f"transcript turn {index}: expected a dict with 'role' and 'content', got "
                         f"{type(turn).__name__}")
    role = turn.get("role", "")
    content = turn.get("content", "")
    spans_raw = turn.get("spans") or ()
    spans: list[tuple[int, int, str]] = []
    for j, sp in enumerate(spans_raw):
        try:
            start, end, cls = sp
            spans.append((int(start), int(end), str(cls)))
        except (TypeError, ValueError):
            raise ValueError(f"transcript turn {index}: span {j} must be (start, end, class), got {sp!r}") from None
    return TranscriptTurn(role=str(role) if role is not None else "", content="" if content is None else str(content),
                          spans=tuple(spans), simulated=bool(turn.get("simulated", False)),
                          label=str(turn.get("label", "") or ""))


def _span_color(cls: str) -> str:
    if _COLOR_RE.match(cls):
        return cls
    return SPAN_COLORS.get(cls.lower(), _DEFAULT_SPAN)


def _text_html(text: str) -> str:
    return html.escape(text, quote=True).replace("\n", "<br>")


def highlighted_html(content: str, spans: Iterable[tuple[int, int, str]], span_text: str = "#1d1d1f") -> str:
    """``content`` escaped, with each span wrapped in a coloured ``<span>``.

    Spans are clipped to the text; overlapping spans are clipped to start after the previous one.
    """
    n = len(content)
    cleaned = sorted((max(0, min(n, s)), max(0, min(n, e)), c) for s, e, c in spans)
    out: list[str] = []
    pos = 0
    for start, end, cls in cleaned:
        start = max(start, pos)
        if end <= start:
            continue
        out.append(_text_html(content[pos:start]))
        css = html.escape(cls, quote=True)
        out.append(f"<span class='{css}' style='background-color:{_span_color(cls)}; color:{span_text}'>"
                   f"{_text_html(content[start:end])}</span>")
        pos = end
    out.append(_text_html(content[pos:]))
    return "".join(out)


def transcript_html(turns: Iterable[TranscriptTurn | Mapping[str, Any]],
                    simulated: TranscriptTurn | Mapping[str, Any] | None = None, dark: bool = False) -> str:
    """The whole transcript as Qt-rich-text HTML (also readable in a browser)."""
    theme = THEMES["dark" if dark else "light"]
    items = [_coerce(t, i) for i, t in enumerate(turns)]
    if simulated is not None:
        sim = _coerce(simulated, len(items))
        items.append(TranscriptTurn(sim.role, sim.content, sim.spans, True, sim.label))
    rows: list[str] = []
    for turn in items:
        is_user = turn.role.strip().lower() in USER_ROLES
        align = "left" if is_user else "right"
        role = html.escape(turn.role or "?", quote=True)
        if turn.simulated:
            bg, border = theme["sim"], f"border: 2px dashed {theme['sim_border']};"
            tag = "simulated" + (f" &middot; {html.escape(turn.label, quote=True)}" if turn.label else "")
            head = f"<span style='color:{theme['sim_border']}; font-style:italic'>{role} &middot; {tag}</span>"
            body_style = "font-style:italic;"
        else:
            bg = theme["user"] if is_user else theme["agent"]
            border = f"border: 1px solid {theme['border']};"
            head = f"<span style='color:{theme['muted']}'>{role}</span>"
            body_style = ""
        body = (highlighted_html(turn.content, turn.spans, theme["span_text"]) if turn.content
                else "<i>(empty)</i>")
        cls = "turn simulated" if turn.simulated else f"turn {'user' if is_user else 'agent'}"
        rows.append(
            f"<table class='{cls}' align='{align}' width='78%' cellpadding='8' cellspacing='0' "
            f"style='margin: 4px; background-color:{bg}; {border}'>"
            f"<tr><td><span style='font-size:small'>{head}</span><br>"
            f"<span style='color:{theme['text']}; white-space:pre-wrap; {body_style}'>{body}</span></td></tr></table>"
            "<br clear='all'>"
        )
    if not rows:
        rows.append(f"<p style='color:{theme['muted']}'><i>No dialogue.</i></p>")
    return f"<html><body style='background-color:{theme['page']}'>" + "\n".join(rows) + "</body></html>"


class TranscriptView(QTextBrowser):
    """A read-only chat transcript: bubbles, highlighted spans, an optional simulated turn."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setReadOnly(True)
        self._turns: list[TranscriptTurn] = []
        self._simulated: TranscriptTurn | None = None
        self.setHtml(transcript_html([], dark=self.is_dark()))

    def set_turns(self, turns: Iterable[TranscriptTurn | Mapping[str, Any]],
                  simulated: TranscriptTurn | Mapping[str, Any] | None = None) -> None:
        """Show ``turns`` (and, if given, a simulated next turn at the end)."""
        self._turns = [_coerce(t, i) for i, t in enumerate(turns)]
        self._simulated = None if simulated is None else _coerce(simulated, len(self._turns))
        self.setHtml(transcript_html(self._turns, self._simulated, dark=self.is_dark()))

    def is_dark(self) -> bool:
        """True when the widget's palette is dark (the bubbles follow the application theme)."""
        return self.palette().color(QPalette.ColorRole.Base).lightness() < 128

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt naming)
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.setHtml(transcript_html(self._turns, self._simulated, dark=self.is_dark()))

    def set_simulated(self, simulated: TranscriptTurn | Mapping[str, Any] | None) -> None:
        self.set_turns(self._turns, simulated)

    @property
    def turns(self) -> list[TranscriptTurn]:
        return list(self._turns)

    @property
    def simulated_turn(self) -> TranscriptTurn | None:
        return self._simulated

    def clear_turns(self) -> None:
        self.set_turns([])
