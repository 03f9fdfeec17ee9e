"""The bytes of a big trace file read by position as the streamed import needs them, never mapped
into memory. Layer: traces (pure; no Qt).

A memory mapping of a file that another process truncates kills the reading process (SIGBUS) at
the next touch of a page past the new end; a positioned read (``os.pread``) then simply comes back
short. :class:`FileBytes` offers what :mod:`workbench.traces.stream` needs of a file (its length,
slices as bytes, numpy chunks in one reused buffer for the scan, a regex search), reads nothing it
is not asked for (memory follows what is read at a time, not the file's size), and raises
:class:`~workbench.traces.errors.TraceError` naming the file when a read comes back short: the file
shrank while it was read (the loader then reads it again or refuses it). Forked workers share the
open file: positioned reads move no shared offset.

The module functions :func:`chunks`, :func:`part` and :func:`search` take either a
:class:`FileBytes` or the bytes of a file already in memory, so the streamed path reads both alike.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Union

import numpy as np

from workbench.traces.errors import TraceError, TraceIssue
from workbench.traces.importer import display

_BACKSLASH = 92
#: Bytes of the window a search reads at a time, and of the overlap between windows (a match
#: longer than the overlap that crosses a window's end is missed; the streamed path only uses the
#: search to pick a split point, which it then checks).
SEARCH_WINDOW = 8 << 20
SEARCH_OVERLAP = 64 << 10


class FileBytes:
    """The first :attr:`size` bytes of an open regular file (its size when opened), read by
    position. ``raw[a:b]`` is ``bytes``; a read that comes back short raises TraceError (the file
    shrank). Close it (or use ``with``) when done."""

    def __init__(self, path: Path) -> None:
        self.name = display(path)
        self._fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        self.size = os.fstat(self._fd).st_size

    def __enter__(self) -> FileBytes:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the file (reads afterwards raise OSError)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, key: slice) -> bytes:
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError("FileBytes takes slices [a:b] only")
        start, stop, _ = key.indices(self.size)
        return self.read(start, stop)

    def read(self, start: int, stop: int) -> bytes:
        """The bytes ``start:stop`` (within the size); TraceError when the file ends before."""
        n = stop - start
        if n <= 0:
            return b""
        out = os.pread(self._fd, n, start)
        if len(out) < n:
            parts = [out]
            got = len(out)
            while got < n:
                more = os.pread(self._fd, n - got, start + got)
                if not more:
                    raise self.changed(start + got)
                parts.append(more)
                got += len(more)
            out = b"".join(parts)
        return out

    def read_into(self, view: memoryview, start: int) -> None:
        """Fill ``view`` with the bytes from ``start`` on; TraceError when the file ends before."""
        got = 0
        while got < len(view):
            n = os.preadv(self._fd, [view[got:]], start + got)
            if not n:
                raise self.changed(start + got)
            got += n

    def changed(self, at: int) -> TraceError:
        """The error for a file found to end at byte ``at`` before the ``size`` it had."""
        return TraceError(TraceIssue(self.name, expected="a file that stays the same while it is read",
                                     message=f"it changed while it was read: it ended at byte {at} "
                                             f"of the {self.size} it had"))

    def chunks(self, start: int, stop: int, step: int, backward: bool = False) -> Iterator[tuple[int, np.ndarray]]:
        """``(offset, uint8 array)`` of the bytes ``start:stop``, ``step`` bytes at a time (the last
        first with ``backward``), read into one reused buffer: an array is only valid until the
        next one is asked for."""
        if stop <= start:
            return
        buffer = bytearray(min(step, stop - start))
        view = memoryview(buffer)
        try:
            for off, end in _spans(start, stop, step, backward):
                self.read_into(view[:end - off], off)
                yield off, np.frombuffer(buffer, np.uint8, end - off)
        finally:
            view.release()

    def backslashes_before(self, end: int, step: int = 4096) -> int:
        """How many backslashes end right before byte ``end`` (read backwards)."""
        count = 0
        while end > 0:
            lo = max(0, end - step)
            block = self.read(lo, end)
            run = len(block) - len(block.rstrip(b"\\"))
            count += run
            if run < len(block):
                break
            end = lo
        return count


class FilePart:
    """The bytes ``start:stop`` of a :class:`FileBytes`, as a scan reads them (positions relative
    to ``start``)."""

    def __init__(self, file: FileBytes, start: int, stop: int) -> None:
        self.file, self.start, self.stop = file, start, max(start, stop)

    @property
    def size(self) -> int:
        """Its length in bytes."""
        return self.stop - self.start

    def chunks(self, step: int) -> Iterator[tuple[int, np.ndarray]]:
        """``(offset relative to start, uint8 array)``; see :meth:`FileBytes.chunks`."""
        for off, a in self.file.chunks(self.start, self.stop, step):
            yield off - self.start, a

    def backslashes_before(self, end: int) -> int:
        """How many backslashes end right before relative byte ``end`` (within this part)."""
        return min(end, self.file.backslashes_before(self.start + end))


#: What the streamed path reads: the bytes of a file in memory, or the file read by position.
Raw = Union[bytes, bytearray, FileBytes]


def part(raw: Raw, start: int = 0, stop: int | None = None) -> np.ndarray | FilePart:
    """What :func:`workbench.traces.scan.scan` reads of ``raw[start:stop]``: a uint8 view of bytes in
    memory (no copy), or a :class:`FilePart`."""
    stop = len(raw) if stop is None else stop
    if isinstance(raw, FileBytes):
        return FilePart(raw, start, stop)
    return np.frombuffer(raw, np.uint8)[start:stop]


def chunks(raw: Raw, start: int, stop: int, step: int, backward: bool = False) -> Iterator[tuple[int, np.ndarray]]:
    """``(offset, uint8 array)`` of ``raw[start:stop]``, ``step`` bytes at a time, the last first with
    ``backward`` (views of bytes in memory; a reused buffer for a file: each array is valid until
    the next)."""
    if isinstance(raw, FileBytes):
        yield from raw.chunks(start, stop, step, backward)
        return
    buf = np.frombuffer(raw, np.uint8)
    for off, end in _spans(start, stop, step, backward):
        yield off, buf[off:end]


def _spans(start: int, stop: int, step: int, backward: bool) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of the ``step``-byte pieces of ``start:stop``: from the start on, or (with
    ``backward``) from the end back."""
    if not backward:
        for off in range(start, stop, step):
            yield off, min(stop, off + step)
        return
    end = stop
    while end > start:
        lo = max(start, end - step)
        yield lo, end
        end = lo


def as_array(raw: Raw, start: int, stop: int) -> bytes | memoryview:
    """``b"[" + raw[start:stop] + b"]"`` (JSON array text for orjson); of a file read straight into
    one buffer (neither zeroed first nor copied again)."""
    if not isinstance(raw, FileBytes):
        return b"[" + raw[start:stop] + b"]"
    out = np.empty(stop - start + 2, np.uint8)
    view = out.data  # a memoryview of the array
    raw.read_into(view[1:-1], start)
    out[0], out[-1] = ord("["), ord("]")
    return view


def search(raw: Raw, pattern: re.Pattern[bytes], start: int, group: int = 0) -> int | None:
    """Where ``group`` of the first match of ``pattern`` in ``raw`` from ``start`` on begins (a
    position in ``raw``), or None; a file is searched ``SEARCH_WINDOW`` bytes at a time (see there
    for the overlap)."""
    if not isinstance(raw, FileBytes):
        found = pattern.search(raw, start)
        return None if found is None else found.start(group)
    n = len(raw)
    for off in range(start, n, SEARCH_WINDOW):
        window = raw.read(off, min(n, off + SEARCH_WINDOW + SEARCH_OVERLAP))
        found = pattern.search(window)
        if found is not None and (found.start() < SEARCH_WINDOW or off + len(window) >= n):
            return off + found.start(group)
    return None
