"""Make untrusted text safe to show: control and bidirectional-override characters become visible
escapes. Layer: shared helper (pure, no Qt), usable by every package.

Trace files, model answers and notes can carry terminal escape sequences (ESC ``[2J`` clears a
terminal), NUL bytes, or Unicode bidi controls (U+202E turns "txt.exe" around on screen). Anything
printed to a terminal or written into a report goes through :func:`visible` first.
"""

from __future__ import annotations

import re

__all__ = ["UNSAFE", "visible"]

# C0 controls except tab and line feed, DEL, C1 controls, and the Unicode bidi embedding/override/
# isolate controls, plus the zero-width and line/paragraph separators that reorder or hide text.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group(0))
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def visible(text: str, *, keep_newlines: bool = True) -> str:
    """``text`` with every unsafe character replaced by its ``\\xNN`` / ``\\uNNNN`` escape.

    Tabs are kept; line feeds are kept unless ``keep_newlines`` is False (then escaped as ``\\n``).
    """
    out = UNSAFE.sub(_escape, text)
    if not keep_newlines:
        out = out.replace("\n", "\\n")
    return out
