"""Find the structure of a big JSON document without parsing it. Layer: traces (pure; no Qt).

A quote- and escape-aware bracket-depth scan in chunked numpy over the raw bytes (of a big file read
a chunk at a time by position, :mod:`workbench.traces.filebytes`). It keeps only the structural characters (``{ } [ ] ,``) that sit at a shallow depth, which
is enough to cut an OmniBehavior file ``{user: {"user_profile": ..., "action_history": [event,
...]}}`` into its events: the importer then parses events in batches (``orjson.loads(b"[" + slice +
b"]")``) instead of the whole file at once, so memory stays bounded; it also locates a parse error
(which user, which event) and finds where a truncated file stops being complete.
No recursion anywhere: nesting depth costs nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from workbench.traces.filebytes import FilePart

_QUOTE, _BACKSLASH = 34, 92
_OPEN = np.zeros(256, np.int8)
_OPEN[[ord("{"), ord("[")]] = 1
_OPEN[[ord("}"), ord("]")]] = -1
_STRUCT = np.zeros(256, bool)
_STRUCT[[ord(c) for c in "{}[],"]] = True

CHUNK = 1 << 25


@dataclass
class Structure:
    """Shallow structural tokens of a JSON text (positions are byte offsets)."""

    pos: np.ndarray          # int64 positions of kept tokens
    char: np.ndarray         # uint8 the token byte
    depth_before: np.ndarray  # int32 depth just before the token
    size: int                # bytes scanned
    final_depth: int         # depth at the end (0 for a complete document)
    ends_in_string: bool     # the text stops inside a string
    first_negative: int      # position where depth went below zero (-1 if never)
    max_string: int          # longest string literal, in bytes (an unterminated one counts to EOF)
    start_depth: int = 0     # the depth the scan started at

    @property
    def depth_after(self) -> np.ndarray:
        """The nesting depth after each structural character."""
        return self.depth_before + _OPEN[self.char].astype(np.int32)

    @property
    def complete(self) -> bool:
        """Whether the document closes every bracket and string it opens (no truncation)."""
        return self.final_depth == 0 and not self.ends_in_string and self.first_negative < 0


def scan(buf: np.ndarray | FilePart, keep_depth: int = 3, chunk: int = CHUNK, on_progress=None,
         start_depth: int = 0) -> Structure:
    """Scan ``buf`` (a uint8 array, or a part of a file read ``chunk`` bytes at a time) keeping
    structural tokens whose depth before or after is ``<= keep_depth``. ``on_progress(done, total)``
    is called per chunk (it may raise to cancel). ``start_depth``: the depth at the start of
    ``buf`` when it is the part of a document that starts outside any string at that depth (see
    ``join``). A file that ends early raises :class:`~workbench.traces.errors.TraceError`."""
    n = int(buf.size)
    depth = start_depth
    in_str = False
    str_start = -1            # global start of the string we are in (when in_str)
    max_string = 0
    first_negative = -1
    out_pos: list[np.ndarray] = []
    out_char: list[np.ndarray] = []
    out_depth: list[np.ndarray] = []
    for off, a in _chunks(buf, chunk):
        q = np.flatnonzero(a == _QUOTE)
        if q.size:
            prev_bs = np.zeros(q.size, bool)
            inner = q > 0
            prev_bs[inner] = a[q[inner] - 1] == _BACKSLASH
            if q[0] == 0 and off > 0 and _backslashes_before(buf, off) > 0:
                prev_bs[0] = True
            if prev_bs.any():
                escaped = np.zeros(q.size, bool)
                for i in np.flatnonzero(prev_bs).tolist():
                    j = int(q[i]) - 1  # in the chunk; the run of backslashes may go on before it
                    k = j
                    while k >= 0 and a[k] == _BACKSLASH:
                        k -= 1
                    run = j - k + (_backslashes_before(buf, off) if k < 0 and off > 0 else 0)
                    escaped[i] = run % 2 == 1
                q = q[~escaped]
        s = np.flatnonzero(_STRUCT[a])
        if s.size:
            rank = np.searchsorted(q, s)
            outside = (rank + (1 if in_str else 0)) % 2 == 0
            s = s[outside]
        if s.size:
            c = a[s]
            delta = _OPEN[c].astype(np.int32)
            after = depth + np.cumsum(delta, dtype=np.int64)
            before = after - delta
            if first_negative < 0:
                neg = np.flatnonzero(after < 0)
                if neg.size:
                    first_negative = off + int(s[neg[0]])
            keep = np.minimum(before, after) <= keep_depth
            out_pos.append(s[keep].astype(np.int64) + off)
            out_char.append(c[keep])
            out_depth.append(before[keep].astype(np.int32))
            depth = int(after[-1])
        if q.size:
            g = q.astype(np.int64) + off
            if in_str:
                starts = np.concatenate(([str_start], g[1::2]))
                ends = g[0::2]
            else:
                starts = g[0::2]
                ends = g[1::2]
            m = min(starts.size, ends.size)
            if m:
                max_string = max(max_string, int((ends[:m] - starts[:m]).max()) - 1)
            if q.size % 2 == 1:
                in_str = not in_str
            if in_str:  # the last quote opened the string we are now in
                str_start = int(g[-1])
        if in_str:
            max_string = max(max_string, off + a.size - str_start - 1)
        if on_progress is not None:
            on_progress(min(off + chunk, n), n)
    if out_pos:
        pos = np.concatenate(out_pos)
        char = np.concatenate(out_char)
        dep = np.concatenate(out_depth)
    else:
        pos, char, dep = np.zeros(0, np.int64), np.zeros(0, np.uint8), np.zeros(0, np.int32)
    return Structure(pos, char, dep, n, depth, in_str, first_negative, max_string, start_depth)


def _chunks(buf: np.ndarray | FilePart, chunk: int) -> Iterator[tuple[int, np.ndarray]]:
    """``(offset, uint8 array)`` of ``buf``, ``chunk`` bytes at a time."""
    if isinstance(buf, np.ndarray):
        for off in range(0, int(buf.size), chunk):
            yield off, buf[off:off + chunk]
    else:
        yield from buf.chunks(chunk)


def _backslashes_before(buf: np.ndarray | FilePart, end: int) -> int:
    """How many backslashes end right before byte ``end`` of ``buf``."""
    if not isinstance(buf, np.ndarray):
        return buf.backslashes_before(end)
    k = end - 1
    while k >= 0 and buf[k] == _BACKSLASH:
        k -= 1
    return end - 1 - k


def join(head: Structure, tail: Structure, offset: int) -> Structure | None:
    """The structure of a document from that of its first ``offset`` bytes (``head``) and that of
    the rest (``tail``, scanned with ``start_depth`` = the depth expected at ``offset``); None when
    the head does not end outside a string at that depth, or went below zero (then the tail
    scan's assumption does not hold)."""
    if head.ends_in_string or head.first_negative >= 0 or head.final_depth != tail.start_depth:
        return None
    return Structure(
        np.concatenate((head.pos, tail.pos + offset)), np.concatenate((head.char, tail.char)),
        np.concatenate((head.depth_before, tail.depth_before)), head.size + tail.size, tail.final_depth,
        tail.ends_in_string, tail.first_negative + offset if tail.first_negative >= 0 else -1,
        max(head.max_string, tail.max_string))


_KEY_BEFORE = re.compile(rb'"((?:[^"\\]|\\.){0,200})"\s*:\s*$', re.S)


def key_before(buf, position: int) -> str | None:
    """The object key right before the value starting at ``position`` (None if not a key)."""
    window = bytes(buf[max(0, position - 256):position])
    m = _KEY_BEFORE.search(window)
    if not m:
        return None
    try:
        import orjson

        key = orjson.loads(b'"' + m.group(1) + b'"')
    except Exception:  # noqa: BLE001 - not a JSON string key
        return None
    return key if isinstance(key, str) else None
