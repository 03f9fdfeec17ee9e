"""``workbench shot PATH --user U --out FILE.png``: render the main window offscreen to a PNG.
Layer: entry (light imports on top).

    workbench shot traces.json --user user_0001 --out shot.png [--from 2025-09-01 --to 2025-09-15]
                   [--select EVENT_INDEX] [--size 1600x900]

The window is built without reading or writing the analyst's settings (deterministic pictures), the
trace is loaded through the same worker path as the GUI, then the window is grabbed. Exit codes:
0 written, 1 failure, 2 invalid input (one line naming what is wrong).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser, name: str = "shot") -> None:
    parser.add_argument("path", help="trace file or folder")
    parser.add_argument("--user", default=None, help="user to show (default: the first)")
    parser.add_argument("--out", required=True, help="PNG file to write")
    parser.add_argument("--from", dest="date_from", default=None, help="start of the visible range (YYYY-MM-DD[ HH:MM])")
    parser.add_argument("--to", dest="date_to", default=None, help="end of the visible range (YYYY-MM-DD[ HH:MM])")
    parser.add_argument("--select", type=int, default=None, help="event_index to select")
    parser.add_argument("--size", default="1600x900", help="window size WxH (default 1600x900)")
    parser.add_argument("--filter", dest="text_filter", default=None, help="free-text filter to apply")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for loading")


def parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"--size: expected WxH such as 1600x900, got {text!r}") from None
    if not (200 <= w <= 10000 and 200 <= h <= 10000):
        raise ValueError(f"--size: {w}x{h} is out of range (200..10000 per side)")
    return w, h


def parse_when(text: str, option: str) -> float:
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), fmt).replace(tzinfo=timezone.utc).timestamp()
        except ValueError:
            continue
    raise ValueError(f"{option}: expected YYYY-MM-DD[ HH:MM[:SS]], got {text!r}")


def render(path: str, out: str, *, user: str | None = None, time_range: tuple[float, float] | None = None,
           select: int | None = None, size: tuple[int, int] = (1600, 900), text_filter: str | None = None,
           timeout: float = 120.0) -> list[tuple[str, str]]:
    """Render and save; returns the errors the window reported (empty when all went well)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QEventLoop
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    from workbench.app.bookmarks import BookmarkStore
    from workbench.app.main_window import MainWindow
    from workbench.app.navigation import EventFilter
    from workbench.app.theme import apply_theme

    apply_theme(app)  # type: ignore[arg-type]
    scratch = tempfile.TemporaryDirectory(prefix="workbench-shot-")
    window = MainWindow(restore=False, persist=False,
                        bookmarks=BookmarkStore(Path(scratch.name) / "bookmarks.json"))  # none shown
    window.resize(*size)
    window.show()
    loaded: list[str] = []
    window.track_loaded.connect(loaded.append)
    window.open_path(path, user=user, select=select, time_range=time_range)
    deadline = QDeadlineTimer(int(timeout * 1000))

    def pump(until) -> None:
        while not until() and not deadline.hasExpired():
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)

    pump(lambda: (bool(loaded) and not window.busy) or (window.errors and not window.busy))
    if text_filter:
        window.set_filter(EventFilter(text=text_filter))
    pump(lambda: not window.busy)
    for _ in range(5):
        QCoreApplication.processEvents()
    if window.state.selected_index >= 0:  # centre the selected row now that the layout has settled
        window.events_panel.show_event(window.state.selected_index)
        QCoreApplication.processEvents()
    if not loaded:
        errors = window.errors or [("Timeout", f"nothing was loaded within {timeout:g} s")]
        window.close()
        return errors
    pixmap = window.grab()
    if not pixmap.save(out, "PNG"):
        window.close()
        return [("Write", f"{out}: could not write the PNG")]
    errors = list(window.errors)
    window.close()
    scratch.cleanup()
    return errors


def run(args: argparse.Namespace) -> int:
    try:
        size = parse_size(args.size)
        t0 = parse_when(args.date_from, "--from") if args.date_from else None
        t1 = parse_when(args.date_to, "--to") if args.date_to else None
    except ValueError as exc:
        print(f"workbench shot: {exc}", file=sys.stderr)
        return 2
    if not os.path.exists(args.path):
        print(f"workbench shot: {args.path}: no such file or folder", file=sys.stderr)
        return 2
    time_range = None
    if t0 is not None or t1 is not None:
        if t0 is None or t1 is None:
            t0 = t0 if t0 is not None else t1 - 7 * 86400.0  # type: ignore[operator]
            t1 = t1 if t1 is not None else t0 + 7 * 86400.0
        if t1 <= t0:
            print("workbench shot: --to must be after --from", file=sys.stderr)
            return 2
        time_range = (t0, t1)
    errors = render(args.path, args.out, user=args.user, time_range=time_range, select=args.select,
                    size=size, text_filter=args.text_filter, timeout=args.timeout)
    if not os.path.exists(args.out):
        title, msg = errors[0] if errors else ("Error", "no picture was written")
        print(f"workbench shot: {title}: {msg}", file=sys.stderr)
        return 1
    for title, msg in errors:
        print(f"warning: {title}: {msg}", file=sys.stderr)
    print(args.out)
    bad_input = any(t in ("Unknown user", "Unknown event") for t, _ in errors)
    return 2 if bad_input else 0
