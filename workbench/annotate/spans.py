"""Utopian markers on the words: spans of a message marked with a marker type. Layer: annotate
(pure; no Qt).

A span points into one message of a case (its *target*): ``turn:N`` (the N-th transcript turn,
0-based), ``real:FIELD`` (the real value, e.g. the real next user message) or ``pred:MODEL:FIELD``
(a model's predicted message). Offsets are Unicode code points (Python string indices): a Chinese
character or an emoji counts one, whatever its UTF-8 or UTF-16 length; widgets that count UTF-16
code units (Qt) convert with :func:`utf16_to_codepoint` / :func:`codepoint_to_utf16`. Every span
keeps the quoted text, so it can be checked (and found again) if its message is ever shown
differently.

The lexicons pre-suggest *candidate* spans (:func:`candidates`): politeness and hedging terms, and
positive-sentiment terms as "uniform positivity". The annotator accepts or rejects each one and
adds the spans the lexicons missed (``manual``). From those decisions :func:`lexicon_quality` gives
each lexicon marker's precision (accepted / decided candidates) and recall (accepted / accepted +
manual spans of its marker type), per language.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import asdict, dataclass, replace
from typing import Any, Iterable

from workbench.annotate.model import Case, utc_now

#: Marker types an annotator can put on words (key, label).
MARKER_TYPES: tuple[tuple[str, str], ...] = (
    ("politeness", "politeness"),
    ("hedging", "hedging"),
    ("over-apology", "over-apology"),
    ("uniform-positivity", "uniform positivity"),
    ("no-frustration", "no frustration where frustration was due"),
    ("quiet-pivot", "quiet pivot after an agent error"),
    ("front-loaded", "information front-loaded"),
    ("other", "other"),
)
MARKER_KEYS = tuple(k for k, _ in MARKER_TYPES)
#: Highlight colour of each marker type (the HTML report's stylesheet uses the same ones).
MARKER_COLORS: dict[str, str] = {
    "politeness": "#d0ebff", "hedging": "#fff3bf", "over-apology": "#ffd8a8", "uniform-positivity": "#d3f9d8",
    "no-frustration": "#ffc9c9", "quiet-pivot": "#eebefa", "front-loaded": "#c5f6fa", "other": "#e5dbff",
}
#: Lexicon category -> the marker type its hits suggest.
LEXICON_MARKERS = {"politeness": "politeness", "hedging": "hedging", "positive": "uniform-positivity"}
STATUSES = ("manual", "accepted", "rejected", "candidate")
_CJK = re.compile("[\u3400-\u9fff\uf900-\ufaff]")


class SpanError(ValueError):
    """A span does not fit its message (offsets, quote, target or marker type); the message says which."""


@dataclass(frozen=True)
class Span:
    """One marked (or suggested) span. ``start``/``end`` are code-point offsets into the target text."""

    id: str
    case_id: str
    target: str
    start: int
    end: int
    quote: str
    marker: str
    status: str = "manual"           # manual | accepted | rejected | candidate (not stored)
    source: str = ""                 # "" for manual spans, "lexicon:<category>" for suggestions
    lang: str = ""                   # "zh" or "en"
    annotator: str = ""
    created: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The span as plain JSON-ready data."""
        return asdict(self)


def language_of(text: str) -> str:
    """``zh`` when ``text`` holds any CJK character, else ``en``."""
    return "zh" if _CJK.search(text) else "en"


def target_text(case: Case, target: str) -> str:
    """The message ``target`` names in ``case``; SpanError when the case has no such message."""
    kind, _, rest = target.partition(":")
    if kind == "turn" and rest.isdigit() and int(rest) < len(case.transcript):
        return case.transcript[int(rest)].content
    if kind == "real" and isinstance(case.real_values.get(rest), str):
        return case.real_values[rest]
    if kind == "pred":
        model, _, fld = rest.rpartition(":")
        for p in case.predictions:
            if p.model == model and p.field == fld and isinstance(p.predicted_value, str):
                return p.predicted_value
    raise SpanError(f"case {case.id}: no message {target!r} (targets: {', '.join(targets(case)) or 'none'})")


def targets(case: Case) -> list[str]:
    """Every message of ``case`` a span can point into."""
    out = [f"turn:{i}" for i in range(len(case.transcript))]
    out += [f"real:{f}" for f, v in case.real_values.items() if isinstance(v, str) and v]
    out += [f"pred:{p.model}:{p.field}" for p in case.predictions if isinstance(p.predicted_value, str)
            and p.predicted_value]
    return out


def make_span(case: Case, target: str, start: int, end: int, marker: str, *, annotator: str,
              status: str = "manual", source: str = "") -> Span:
    """A checked span of ``case``: offsets inside the target text, a known marker type and status."""
    if marker not in MARKER_KEYS:
        raise SpanError(f"unknown marker type {marker!r}; known: {', '.join(MARKER_KEYS)}")
    if status not in STATUSES:
        raise SpanError(f"unknown span status {status!r}")
    text = target_text(case, target)
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
        raise SpanError(f"case {case.id} {target}: span {start}..{end} is outside the message "
                        f"(0..{len(text)} code points)")
    quote = text[start:end]
    return Span(uuid.uuid4().hex, case.id, target, start, end, quote, marker, status, source,
                language_of(quote), annotator, utc_now())


def candidates(case: Case) -> list[Span]:
    """Lexicon-suggested spans in every message of ``case`` (status ``candidate``), in text order."""
    from workbench.evaluate.biases import analyze_message

    out = []
    for target in targets(case):
        text = target_text(case, target)
        for start, end, category, _term in analyze_message(text).spans:
            marker = LEXICON_MARKERS.get(category)
            if marker is not None and 0 <= start < end <= len(text):
                out.append(make_span(case, target, start, end, marker, annotator="", status="candidate",
                                     source=f"lexicon:{category}"))
    return out


def decide(candidate: Span, accept: bool, annotator: str) -> Span:
    """The annotator's decision on a candidate: the span to store."""
    return replace(candidate, id=uuid.uuid4().hex, status="accepted" if accept else "rejected",
                   annotator=annotator, created=utc_now())


def relocate(span: Span, text: str) -> Span | None:
    """``span`` checked against ``text``: unchanged when the quote is still at its offsets, moved to
    the nearest occurrence of the quote otherwise, None when the quote is gone."""
    if text[span.start:span.end] == span.quote:
        return span
    hits = [m.start() for m in re.finditer(re.escape(span.quote), text)] if span.quote else []
    if not hits:
        return None
    start = min(hits, key=lambda h: abs(h - span.start))
    return replace(span, start=start, end=start + len(span.quote))


def utf16_to_codepoint(text: str, pos: int) -> int:
    """A UTF-16 offset (as Qt counts) into ``text`` as a code-point offset."""
    units = 0
    for i, ch in enumerate(text):
        if units >= pos:
            return i
        units += 2 if ord(ch) > 0xFFFF else 1
    return len(text)


def codepoint_to_utf16(text: str, pos: int) -> int:
    """A code-point offset into ``text`` as a UTF-16 offset (for Qt text cursors)."""
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text[:pos])


@dataclass(frozen=True)
class LexiconQuality:
    """How well one lexicon category's suggestions match the annotators' decisions in one language."""

    category: str
    marker: str
    lang: str
    accepted: int
    rejected: int
    manual: int
    precision: float | None          # accepted / (accepted + rejected)
    recall: float | None             # accepted / (accepted + manual spans of the marker type)


def lexicon_quality(spans: Iterable[Span]) -> list[LexiconQuality]:
    """Per lexicon category and language, from stored (decided and manual) spans."""
    spans = [s for s in spans if s.status != "candidate"]
    out = []
    for category, marker in LEXICON_MARKERS.items():
        for lang in ("en", "zh"):
            acc = sum(s.status == "accepted" and s.source == f"lexicon:{category}" and s.lang == lang for s in spans)
            rej = sum(s.status == "rejected" and s.source == f"lexicon:{category}" and s.lang == lang for s in spans)
            man = sum(s.status == "manual" and s.marker == marker and s.lang == lang for s in spans)
            if acc + rej + man == 0:
                continue
            out.append(LexiconQuality(category, marker, lang, acc, rej, man,
                                      acc / (acc + rej) if acc + rej else None,
                                      acc / (acc + man) if acc + man else None))
    return out
