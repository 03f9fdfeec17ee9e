"""Long texts in the HTML report, kept fast to render. Layer: annotate (pure; no Qt).

A browser lays out one unbroken 5 MB line in minutes. So the report shows at most :data:`CLIP`
characters of a field where it is read (note, transcript, compared values, facts) and keeps the whole
text in a collapsed "Full text" section of the case; long texts there (and in the prompt, raw event
and raw output sections) are cut into blocks of at most :data:`BLOCK` characters, preferably at line
ends, each its own ``<div>``: a browser lays out such blocks in linear time (a 5 MB note renders in
about 2 s even with the section open; see ``bench/report_render.py``).

All text goes through :func:`workbench.annotate.svg.e` (HTML escaping; control and bidi characters
made visible).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

from workbench.annotate.spans import MARKER_TYPES, Span, lexicon_quality
from workbench.annotate.svg import e

_MARKER_LABELS = dict(MARKER_TYPES)

#: Characters shown where a field is read; the rest is in the case's "Full text" section.
CLIP = 2000
#: Characters per block of a long text (blocks lay out independently).
BLOCK = 10_000
#: Texts up to this length are shown in one ``<pre>``.
PRE_LIMIT = 20_000


def text_blocks(text: str, size: int = BLOCK) -> list[str]:
    """``text`` cut into consecutive pieces of at most ``size`` code points, at a line end where one
    falls in the second half of a piece; ``"".join(text_blocks(t)) == t``."""
    out, pos = [], 0
    while pos < len(text):
        end = min(pos + size, len(text))
        if end < len(text):
            nl = text.rfind("\n", pos + size // 2, end)
            if nl != -1:
                end = nl + 1
        out.append(text[pos:end])
        pos = end
    return out


def pre_html(text: str, css_class: str = "") -> str:
    """``text`` preformatted: one ``<pre>`` when short, else blocks in a ``<div class="long">``."""
    cls = f' class="{e(css_class)}"' if css_class else ""
    if len(text) <= PRE_LIMIT:
        return f"<pre{cls}>{e(text)}</pre>"
    blocks = "".join(f"<div>{e(b)}</div>" for b in text_blocks(text))
    return f'<div class="long{(" " + e(css_class)) if css_class else ""}">{blocks}</div>'


@dataclass
class Clipper:
    """Shortens the fields of one case for display and remembers the full texts it cut."""

    limit: int = CLIP
    cut: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, label: str, text: str, render: Callable[[str], str] = e) -> str:
        """``render(text)``, or ``render`` of its first ``limit`` characters plus a note saying how
        much more there is and where (the full text is kept for :meth:`section_html`)."""
        if len(text) <= self.limit:
            return render(text)
        self.cut.append((label, text))
        more = len(text) - self.limit
        return (f'{render(text[:self.limit])}<span class="clipped">… {more:,} more characters '
                f"(the whole {e(label)} is under “Full text” at the end of this case)</span>")

    def section_html(self) -> str:
        """The collapsed section holding every full text that was cut ("" when none was)."""
        if not self.cut:
            return ""
        parts = [f"<h4>{e(label)} ({len(text):,} characters)</h4>{pre_html(text)}" for label, text in self.cut]
        return (f'<details class="fulltext"><summary>Full text of {len(self.cut)} shortened '
                f"field(s)</summary>{''.join(parts)}</details>")


def marked_html(text: str, spans: Sequence[Span]) -> str:
    """``text`` escaped, with the annotators' spans (manual and accepted) wrapped in ``<mark>``."""
    keep = sorted((sp for sp in spans if sp.status in ("manual", "accepted") and 0 <= sp.start < sp.end <= len(text)),
                  key=lambda sp: (sp.start, -sp.end))
    out, pos = [], 0
    for sp in keep:
        if sp.start < pos:
            continue
        label = _MARKER_LABELS.get(sp.marker, sp.marker)
        who = f" · {sp.annotator}" if sp.annotator else ""
        out.append(e(text[pos:sp.start]))
        out.append(f'<mark class="span s-{e(sp.marker)}" title="{e(label + who)}">{e(text[sp.start:sp.end])}</mark>')
        pos = sp.end
    out.append(e(text[pos:]))
    return "".join(out)


def spans_table_html(spans: Sequence[Span]) -> str:
    """The case's marked spans as a table (message, quote, marker, decision, annotator)."""
    if not spans:
        return ""
    rows = "".join(
        f"<tr><td>{e(sp.target)}</td><td>{e(sp.start)}..{e(sp.end)}</td><td>{e(sp.quote[:200])}</td>"
        f"<td>{e(_MARKER_LABELS.get(sp.marker, sp.marker))}</td><td>{e(sp.status)}"
        f"{(' (' + e(sp.source) + ')') if sp.source else ''}</td><td>{e(sp.annotator or '—')}</td></tr>"
        for sp in spans)
    return ('<h3>Marked spans</h3><table class="compare"><thead><tr><th>message</th><th>code points</th>'
            "<th>text</th><th>marker</th><th>decision</th><th>annotator</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def lexicon_quality_html(spans: Iterable[Span]) -> str:
    """Each lexicon marker's precision and recall against the annotators' decisions, per language."""
    rows = []
    for q in lexicon_quality(spans):
        fmt = lambda v: "—" if v is None else f"{v:.2f}"  # noqa: E731
        rows.append(f"<tr><td>{e(q.category)}</td><td>{e(q.lang)}</td><td>{fmt(q.precision)}</td>"
                    f"<td>{fmt(q.recall)}</td><td>{q.accepted}</td><td>{q.rejected}</td><td>{q.manual}</td></tr>")
    if not rows:
        return ""
    return ("<h3>Lexicon markers against the annotators</h3>"
            '<p class="legend">Precision: accepted suggestions / decided suggestions. Recall: accepted '
            "suggestions / (accepted + spans the annotators marked that the lexicon missed).</p>"
            '<table class="compare"><thead><tr><th>lexicon</th><th>language</th><th>precision</th>'
            "<th>recall</th><th>accepted</th><th>rejected</th><th>missed</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")
