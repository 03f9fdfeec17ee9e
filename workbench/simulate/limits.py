"""How many model calls may be in flight at once: bounded by the file descriptors this process may
open (``RLIMIT_NOFILE``). Layer: simulate (pure).

Each call in flight holds a socket (and the HTTP client keeps pooled connections), so a concurrency
above what the descriptor limit allows ends in "Too many open files" errors that look like an
unreachable server. :func:`bounded_concurrency` raises the soft limit towards the hard one when
that helps and otherwise lowers the concurrency, saying so in one line.

:func:`no_full_collections` keeps the collector from walking everything again and again while a
big import (litellm's, in the background after the window's first paint) adds hundreds of thousands
of objects that live as long as the process: each full pass then found nothing to free and held the
interpreter for 0.1-0.3 s (five such passes during the import on a slow machine, the window's frame
late by up to 317 ms; without them at most 130 ms, and the import 0.5-0.9 s shorter).

:func:`frozen_heap` keeps the garbage collector's full passes short while a run asks its questions:
a run makes many short-lived objects per call (litellm's), so the collector's oldest generation is
walked every few hundred calls, and each walk went through every object alive when the run started
(the traces, litellm's model tables: some 400,000) for 0.1-0.25 s of CPU, during which no answer was
read and the GUI did not repaint. Those objects are frozen (``gc.freeze``) for the run: they stay
alive as they would anyway and are not walked; what the run makes is collected as before.
"""

from __future__ import annotations

import gc
import os
import threading
from contextlib import contextmanager
from typing import Iterator

__all__ = ["DESCRIPTORS_PER_CALL", "RESERVED_DESCRIPTORS", "open_descriptors", "bounded_concurrency",
           "frozen_heap", "no_full_collections"]

DESCRIPTORS_PER_CALL = 2     # the call's socket and a pooled connection
RESERVED_DESCRIPTORS = 64    # files, the cache, the log, Python's own


def open_descriptors() -> int:
    """File descriptors this process has open now (0 when the platform cannot tell)."""
    for folder in ("/proc/self/fd", "/dev/fd"):
        try:
            return len(os.listdir(folder))
        except OSError:
            continue
    return 0


def bounded_concurrency(requested: int, *, option: str = "--concurrency") -> tuple[int, str | None]:
    """(concurrency to use, None or a one-line message) for ``requested`` calls in flight.

    Needs ``requested * DESCRIPTORS_PER_CALL + RESERVED_DESCRIPTORS`` descriptors beside those open
    now; raises the soft ``RLIMIT_NOFILE`` up to the hard limit if that is enough, else returns the
    largest concurrency that fits (at least 1) and a message naming the limit."""
    requested = max(1, int(requested))
    try:
        import resource
    except ImportError:           # not on POSIX: nothing to check
        return requested, None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = open_descriptors() + requested * DESCRIPTORS_PER_CALL + RESERVED_DESCRIPTORS
    if soft == resource.RLIM_INFINITY or need <= soft:
        return requested, None
    target = need if hard == resource.RLIM_INFINITY else min(need, hard)
    if target > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    if need <= soft:
        return requested, None
    fits = max(1, (soft - open_descriptors() - RESERVED_DESCRIPTORS) // DESCRIPTORS_PER_CALL)
    return fits, (f"{option} {requested} needs about {need} open files but this process may open "
                  f"{soft} (ulimit -n; hard limit {'unlimited' if hard == resource.RLIM_INFINITY else hard}); "
                  f"running {fits} calls at a time")


_frozen_lock = threading.Lock()
_frozen_runs = [0]          # runs inside frozen_heap() now


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Within the block, the objects alive when the first of the runs in progress entered it are
    left out of garbage collection passes (``gc.freeze``); when the last run leaves, they are given
    back (``gc.unfreeze``), so garbage among them is collected again from then on."""
    with _frozen_lock:
        _frozen_runs[0] += 1
        if _frozen_runs[0] == 1:
            gc.freeze()
    try:
        yield
    finally:
        with _frozen_lock:
            _frozen_runs[0] -= 1
            if _frozen_runs[0] == 0:
                gc.unfreeze()


@contextmanager
def no_full_collections() -> Iterator[None]:
    """Within the block the garbage collector makes no pass over its oldest generation (the young
    generations are collected as before); the thresholds are put back afterwards, however the block
    ends, and the next full pass comes when the collector's own rule calls for it."""
    thresholds = gc.get_threshold()
    gc.set_threshold(thresholds[0], thresholds[1], 1 << 30)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
