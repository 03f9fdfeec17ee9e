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
from typing import Callable

from workbench.annotate.svg import e

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
