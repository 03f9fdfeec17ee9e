"""Long jobs off the UI thread, with progress, cancel and one error sink. Layer: app (Qt).

Heavy work is a plain function ``fn(task: TaskState, *args)`` (docs/architecture.md#headless-first) run on a worker
thread; it reports ``task.progress(done, total, text)`` and checks ``task.cancelled`` (or calls
``task.check()``, which raises :class:`Cancelled`). Results that arrive after a cancel are dropped.

    job = run_in_thread(load_traces, path, on_done=self._on_loaded, state=self.state,
                        title="Opening traces")
    job.progress.connect(progress_bar.set)
    job.cancel()
"""

from __future__ import annotations

import threading
import traceback
from typing import Any, Callable

from PySide6.QtCore import QObject, QThread, Signal

from workbench.tasks import Cancelled, TaskState

__all__ = ["Cancelled", "Job", "TaskState", "finish_all", "live_jobs", "run_in_thread"]


class _Worker(QThread):
    def __init__(self, job: "Job", fn: Callable[..., Any], args: tuple, kwargs: dict) -> None:
        super().__init__()
        self._job, self._fn, self._args, self._kwargs = job, fn, args, kwargs

    def run(self) -> None:  # worker thread
        task = self._job.task
        try:
            result = self._fn(task, *self._args, **self._kwargs)
        except Cancelled:
            self._job._finished_in_worker.emit(False, None, "")
        except Exception as exc:  # noqa: BLE001 - one error sink for every job
            message = str(exc) or exc.__class__.__name__
            self._job._finished_in_worker.emit(False, None, message + "\n\n" + traceback.format_exc(limit=4))
        else:
            self._job._finished_in_worker.emit(True, result, "")


class Job(QObject):
    """A running background job. Signals are delivered on the UI thread."""

    progress = Signal(int, int, str)      # done, total, text
    partial = Signal(object)              # part of the result, before it is finished (TaskState.partial)
    finished = Signal(object)             # result (not emitted after cancel or error)
    failed = Signal(str)                  # plain-words message
    ended = Signal()                      # always, last
    _finished_in_worker = Signal(bool, object, str)

    def __init__(self, title: str = "", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.task = TaskState(on_progress=lambda d, t, s: self.progress.emit(d, t, s),
                              on_partial=lambda value: self.partial.emit(value))
        self._thread: _Worker | None = None
        self._finished_in_worker.connect(self._on_worker_finished)

    def cancel(self) -> None:
        self.task.cancel()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    def wait(self, ms: int = 30000) -> bool:
        return self._thread.wait(ms) if self._thread is not None else True

    def _on_worker_finished(self, ok: bool, result: Any, message: str) -> None:
        if self.task.cancelled:
            pass  # late results after a cancel are dropped
        elif ok:
            self.finished.emit(result)
        else:
            self.failed.emit(message)
        self.ended.emit()
        if self._thread is not None:
            self._thread.wait()
            self._thread.deleteLater()
            self._thread = None
        with _lock:
            _LIVE_JOBS.discard(self)


_LIVE_JOBS: set[Job] = set()
_lock = threading.Lock()


def live_jobs() -> list[Job]:
    """The jobs started by :func:`run_in_thread` whose end has not been delivered yet."""
    with _lock:
        return list(_LIVE_JOBS)


def finish_all(timeout_ms: int = 60000) -> bool:
    """Cancel every live job and wait for its thread to stop (call before the application exits, so
    no QThread is destroyed while running). Returns True when every thread stopped in time."""
    ok = True
    for job in live_jobs():
        job.cancel()
    for job in live_jobs():
        ok = job.wait(timeout_ms) and ok
    return ok


def run_in_thread(fn: Callable[..., Any], *args: Any, on_done: Callable[[Any], None] | None = None,
                  on_error: Callable[[str], None] | None = None, title: str = "",
                  state: Any = None, **kwargs: Any) -> Job:
    """Start ``fn(task, *args, **kwargs)`` on a worker thread and return its :class:`Job`.

    Errors go to ``on_error`` if given, else to ``state.post_error(title, message)`` (the app's one
    error sink), so no failure is silent.
    """
    job = Job(title)
    if on_done is not None:
        job.finished.connect(on_done)
    if on_error is not None:
        job.failed.connect(on_error)
    elif state is not None:
        job.failed.connect(lambda msg: state.post_error(title or "Error", msg.split("\n\n")[0]))
    job._thread = _Worker(job, fn, args, kwargs)
    with _lock:
        _LIVE_JOBS.add(job)
    job._thread.start()
    return job
