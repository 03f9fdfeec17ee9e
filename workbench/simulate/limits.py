"""How many model calls may be in flight at once: bounded by the file descriptors this process may
open (``RLIMIT_NOFILE``). Layer: simulate (pure).

Each call in flight holds a socket (and the HTTP client keeps pooled connections), so a concurrency
above what the descriptor limit allows ends in "Too many open files" errors that look like an
unreachable server. :func:`bounded_concurrency` raises the soft limit towards the hard one when
that helps and otherwise lowers the concurrency, saying so in one line.
"""

from __future__ import annotations

import os

__all__ = ["DESCRIPTORS_PER_CALL", "RESERVED_DESCRIPTORS", "open_descriptors", "bounded_concurrency"]

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
