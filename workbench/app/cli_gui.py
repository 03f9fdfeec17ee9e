"""``workbench gui`` / ``workbench open PATH``: start the window. Layer: entry (light imports on top).

Opens the given path, else the files open last time, else the demo dataset (generated on first use). Runs the Qt event loop
through qasync so that coroutine panels (LLM calls) share it. Only what the first paint needs is
imported: never litellm (``WORKBENCH_EXIT_AFTER_PAINT=1`` prints ``litellm_imported=`` to prove it).

``WORKBENCH_EXIT_AFTER_PAINT=1`` quits right after the main window's first paint and prints
``first_paint_s=<seconds since process start>``, ``litellm_imported=<bool>`` and
``chinese_drawable=<bool>`` (used by the start-up benchmark and the packaging smoke test).
``WORKBENCH_EXIT_AFTER_READY=1`` quits once the first user's timeline is drawn and prints
``first_paint_s=``, ``ready_s=`` and ``ready_user=`` (``bench/startup.py``). Otherwise, after the
first paint, litellm is imported on a background thread (:mod:`workbench.app.preload`); until it
is, model calls go to a second process started first thing, which imports litellm on the other core
(:mod:`workbench.simulate.standby`).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from typing import Any

_T_IMPORT = time.time()


def add_arguments(parser: argparse.ArgumentParser, name: str = "gui") -> None:
    if name == "open":
        parser.add_argument("path", help="trace file (.json, .jsonl, .parquet) or folder of per-user JSON files")
    else:
        parser.add_argument("path", nargs="?", default=None,
                            help="trace file or folder (default: the files open last time, else the demo data)")
    parser.add_argument("--user", default=None, help="show this user first")


def process_start_time() -> float:
    """Wall-clock time the process started (Linux /proc; elsewhere the time this module was imported)."""
    try:
        with open("/proc/self/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        start_ticks = int(fields[19])
        with open("/proc/uptime", "rb") as fh:
            uptime = float(fh.read().split()[0])
        hz = os.sysconf("SC_CLK_TCK")
        return time.time() - uptime + start_ticks / hz
    except (OSError, ValueError, IndexError, AttributeError):
        return _T_IMPORT


def run(args: argparse.Namespace) -> int:
    path = getattr(args, "path", None)
    if path is not None and not os.path.exists(path):
        print(f"workbench: {path}: no such file or folder", file=sys.stderr)
        return 2
    # a second process imports litellm on the other core meanwhile, for the first model calls
    from workbench.simulate import standby

    standby.start()
    from PySide6.QtCore import QObject, QTimer

    app = _make_app()
    if app is None:
        return 2

    from workbench.app.excepthook import install_excepthook
    from workbench.app.main_window import MainWindow
    from workbench.app.theme import apply_theme

    apply_theme(app)
    window = MainWindow()
    install_excepthook(window.state)
    exit_after_paint = os.environ.get("WORKBENCH_EXIT_AFTER_PAINT") == "1"

    exit_after_ready = os.environ.get("WORKBENCH_EXIT_AFTER_READY") == "1"
    first_paint_at: list[float] = []

    def _on_ready() -> None:
        if getattr(_on_ready, "done", False):
            return
        _on_ready.done = True  # type: ignore[attr-defined]
        start = process_start_time()
        app.processEvents()                      # the timeline's first frame with the user's events
        window.repaint()
        print(f"first_paint_s={(first_paint_at[0] if first_paint_at else time.time()) - start:.3f}", flush=True)
        print(f"ready_s={time.time() - start:.3f}", flush=True)
        print(f"ready_user={window.track.user_id if window.track is not None else ''}", flush=True)
        window.persist = False
        window.cancel_jobs()
        window.close()
        _finish_jobs()
        app.quit()

    def _on_first_paint() -> None:
        elapsed = time.time() - process_start_time()
        print(f"first_paint_s={elapsed:.3f}", flush=True)
        print(f"litellm_imported={'litellm' in sys.modules}", flush=True)
        from workbench.app.fonts import chinese_is_drawable

        print(f"chinese_drawable={chinese_is_drawable()}", flush=True)
        window.persist = False
        window.cancel_jobs()
        window.close()
        _finish_jobs()
        app.quit()

    def _after_first_paint() -> None:
        # litellm is imported in the background after the first paint, never before it
        from workbench.app.preload import start_litellm_preload

        QTimer.singleShot(0, lambda: start_litellm_preload(on_finished=window.state.litellm_loaded.emit))

    watcher = _first_paint_watcher(window, first_paint_at)
    watcher.on_paint = _on_first_paint if exit_after_paint else _after_first_paint
    watcher.watch([window, *(c for c in window.findChildren(QObject) if c.isWidgetType())])
    if exit_after_ready:
        window.track_loaded.connect(lambda _uid: QTimer.singleShot(0, _on_ready))
    # Ctrl+C in the terminal closes the window (saving settings) instead of being ignored by Qt
    signal.signal(signal.SIGINT, lambda *_: QTimer.singleShot(0, window.close))
    ticker = QTimer(window)
    ticker.timeout.connect(lambda: None)  # runs Python code, so Python signal handlers get to run
    ticker.start(250)
    window.show()
    if not exit_after_paint:  # the start-up measurement stops at the first paint: nothing to load
        window.start(path, user=getattr(args, "user", None))

    _run_event_loop(app)
    _finish_jobs()
    return 0


def _first_paint_watcher(parent: Any, first_paint_at: list[float]) -> Any:
    """An event filter on the window's widgets that notes the time of the first paint in
    ``first_paint_at``, calls its ``on_paint`` once after it, and then stops watching."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    class _FirstPaint(QObject):
        done = False
        on_paint = None

        def __init__(self, parent: QObject) -> None:
            super().__init__(parent)
            self.watched: list[QObject] = []

        def watch(self, objects: list[QObject]) -> None:
            for obj in objects:
                obj.installEventFilter(self)
                self.watched.append(obj)

        def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt naming)
            if not self.done and event.type() == QEvent.Type.Paint:
                self.done = True
                first_paint_at.append(time.time())
                QTimer.singleShot(0, self.on_paint)
                QTimer.singleShot(0, self.unwatch)     # no Python call per event after the first paint
            return False

        def unwatch(self) -> None:
            for obj in self.watched:
                try:
                    obj.removeEventFilter(self)
                except RuntimeError:  # deleted since: a lazy dock's placeholder replaced by its panel
                    pass
            self.watched = []

    return _FirstPaint(parent)


def _make_app() -> Any:
    """The QApplication (None when a system library Qt needs is missing: the message is printed)."""
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is None:
        from workbench.app.platform_check import check_platform

        problem = check_platform()          # Qt would abort naming one library; we name them all
        if problem is not None:
            print(problem, file=sys.stderr)
            return None
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Behavior Trace Workbench")
    app.setOrganizationName("behavior-trace-workbench")
    app.setDesktopFileName("behavior-trace-workbench")  # matches packaging/*.desktop (Wayland icon)
    return app


def _run_event_loop(app: Any) -> None:
    """Run Qt under qasync until the application quits."""
    import asyncio

    from concurrent.futures import ThreadPoolExecutor

    import qasync

    loop = qasync.QEventLoop(app)
    # asyncio.to_thread / run_in_executor(None) on plain Python threads: qasync's default executor
    # starts QThreads, and a QThread still running when Qt tears down aborts the process
    loop.set_default_executor(ThreadPoolExecutor(max_workers=4, thread_name_prefix="workbench-loop"))
    asyncio.set_event_loop(loop)
    closed = asyncio.Event()
    app.aboutToQuit.connect(closed.set)
    try:
        with loop:
            loop.run_until_complete(closed.wait())
    except RuntimeError as exc:  # the loop was stopped from elsewhere
        print(f"workbench: event loop stopped: {exc}", file=sys.stderr)


def _finish_jobs() -> None:
    """Cancel the jobs still running and wait for their threads, so none is destroyed while running."""
    from workbench.app import jobs

    if not jobs.finish_all(60000):
        print("workbench: a background job did not stop within 60 s", file=sys.stderr)
