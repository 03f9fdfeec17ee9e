"""Progress and cancellation for long pure functions. Layer: pure (no Qt).

A long function takes a ``TaskState`` first (Orange3's task-state pattern): it reports progress and
checks for cancellation. The CLI passes a TaskState that prints; the GUI one forwards to Qt signals.
"""

from __future__ import annotations

import threading
from typing import Any, Callable


class Cancelled(Exception):  # noqa: N818 - Orange's name for it; a cancel is not an error
    """Raised by :meth:`TaskState.check` once the job has been cancelled."""


class TaskState:
    """Progress and cancellation of one long function: the caller cancels, the function checks and
    reports progress through ``on_progress(done, total, text)``."""

    def __init__(self, on_progress: Callable[[int, int, str], None] | None = None,
                 on_partial: Callable[[Any], None] | None = None) -> None:
        self._cancel = threading.Event()
        self._on_progress = on_progress
        self._on_partial = on_partial

    @property
    def cancelled(self) -> bool:
        """Whether the task has been cancelled."""
        return self._cancel.is_set()

    def cancel(self) -> None:
        """Ask the task to stop (it stops at its next :meth:`check`)."""
        self._cancel.set()

    def check(self) -> None:
        """Raise :class:`Cancelled` once the task has been cancelled."""
        if self._cancel.is_set():
            raise Cancelled()

    def progress(self, done: int, total: int, text: str = "") -> None:
        """Report ``done`` of ``total`` steps (``total`` 0: unknown) with a short text."""
        if self._on_progress is not None:
            self._on_progress(done, total, text)

    def partial(self, value: Any) -> None:
        """Hand over part of the result before the function returns (e.g. the users of a folder
        read so far); the watcher decides what it means."""
        if self._on_partial is not None:
            self._on_partial(value)


#: A TaskState that is never cancelled and reports nowhere (for plain calls and tests).
def null_task() -> TaskState:
    """A task nobody cancels or watches."""
    return TaskState()
