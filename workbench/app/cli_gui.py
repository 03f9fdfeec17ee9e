"""``workbench gui`` / ``workbench open PATH``: start the window. Layer: entry (light imports on top).

Opens the given path, else the files open last time, else the demo dataset (generated on first use). Runs the Qt event loop
through qasync so that coroutine panels (LLM calls) share it. Only what the first paint needs is
imported: never litellm (``WORKBENCH_EXIT_AFTER_PAINT=1`` prints ``litellm_imported=`` to prove it).

``WORKBENCH_EXIT_AFTER_PAINT=1`` quits right after the main window's first paint and prints
``first_paint_s=<seconds since process start>``, ``litellm_imported=<bool>`` and
``chinese_drawable=<bool>`` (used by the start-up benchmark and the packaging smoke test).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time

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
    import asyncio

    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    path = getattr(args, "path", None)
    if path is not None and not os.path.exists(path):
        print(f"workbench: {path}: no such file or folder", file=sys.stderr)
        return 2

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Behavior Trace Workbench")
    app.setOrganizationName("behavior-trace-workbench")
    app.setDesktopFileName("behavior-trace-workbench")  # matches packaging/*.desktop (Wayland icon)

    from workbench.app.excepthook import install_excepthook
    from workbench.app.main_window import MainWindow
    from workbench.app.theme import apply_theme

    apply_theme(app)
    window = MainWindow()
    install_excepthook(window.state)
    exit_after_paint = os.environ.get("WORKBENCH_EXIT_AFTER_PAINT") == "1"

    class _FirstPaint(QObject):
        done = False

        def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt naming)
            if not self.done and event.type() == QEvent.Type.Paint:
                self.done = True
                QTimer.singleShot(0, _on_first_paint)
            return False

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

    watcher = _FirstPaint(window)
    if exit_after_paint:
        window.installEventFilter(watcher)
        for child in window.findChildren(QObject):
            if hasattr(child, "installEventFilter") and child.isWidgetType():
                child.installEventFilter(watcher)
    # Ctrl+C in the terminal closes the window (saving settings) instead of being ignored by Qt
    signal.signal(signal.SIGINT, lambda *_: QTimer.singleShot(0, window.close))
    ticker = QTimer(window)
    ticker.timeout.connect(lambda: None)  # runs Python code, so Python signal handlers get to run
    ticker.start(250)
    window.show()
    if not exit_after_paint:  # the start-up measurement stops at the first paint: nothing to load
        window.start(path, user=getattr(args, "user", None))

    import qasync

    from concurrent.futures import ThreadPoolExecutor

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
    _finish_jobs()
    return 0


def _finish_jobs() -> None:
    """Cancel the jobs still running and wait for their threads, so none is destroyed while running."""
    from workbench.app import jobs

    if not jobs.finish_all(60000):
        print("workbench: a background job did not stop within 60 s", file=sys.stderr)
