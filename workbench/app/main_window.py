"""The main window: user list, timeline, event table, inspector, causal chain and bookmarks in dockable
panels, wired through one ``AppState``. Layer: app (Qt).

Selection, user and highlights flow only through :class:`~workbench.app.state.AppState` setters and
signals: the timeline, the table (keyboard included), the chain list and the bookmarks call
``state.select_event``; every view redraws from ``state.selection_changed``. Loading a source and a
user's events run on worker threads (:func:`workbench.app.jobs.run_in_thread`) with a progress bar in
the status bar; errors go to one place (``state.error_posted`` -> error banner + status bar).

The window is assembled from parts, one concern each:

* :mod:`workbench.app.session`: the current user's state and the decisions on it, without widgets;
* :mod:`workbench.app.actions`: menus, actions and shortcuts as one table (and the shortcuts dialog);
* :mod:`workbench.app.window_layout`: central timeline, docks, status bar, saved layout;
* :mod:`workbench.app.window_jobs`: the workers and their progress;
* :mod:`workbench.app.window_browse`: selection, navigation, filter, timeline range;
* :mod:`workbench.app.window_marks`: highlights, ghosts, causal chains, bookmarks;
* :mod:`workbench.app.window_cases`: the lazily built heavy panels and case marking;
* :mod:`workbench.app.theme` and :mod:`workbench.app.excepthook`: application-wide look and errors.

This module keeps start-up, loading a source and a user, status and errors, the File and Help menus'
dialogs and the settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QCloseEvent, QUndoStack
from PySide6.QtWidgets import QDockWidget, QFileDialog, QMainWindow, QWidget

from workbench.app.actions import build_menus, shortcuts_html
from workbench.app.bookmarks import BookmarkStore
from workbench.app.excepthook import install_excepthook
from workbench.app.jobs import Job
from workbench.app.navigation import EventFilter, UserTrack, action_types_present
from workbench.app.session import LoadResult, TimelineSession, demo_job, load_job, track_job, user_track
from workbench.app.settings import Settings, load_settings, save_settings
from workbench.app.state import AppState
from workbench.app.theme import apply_theme
from workbench.app.window_browse import WindowBrowseMixin
from workbench.app.window_cases import WindowCasesMixin
from workbench.app.window_jobs import WindowJobsMixin
from workbench.app.window_layout import WindowLayoutMixin, b64
from workbench.app.window_marks import WindowMarksMixin
from workbench.app.window_sessions import WindowSessionsMixin

if TYPE_CHECKING:
    import polars as pl

    from workbench.traces.user import UserEvents

__all__ = ["APP_TITLE", "MainWindow", "apply_theme", "install_excepthook"]

APP_TITLE = "Behavior Trace Workbench"
DEMO_TITLE = "Synthetic demo data"


def is_demo_path(path: Path) -> bool:
    """Is ``path`` the demo dataset: the prebuilt file shipped in resources, or the generated
    ``seedN`` folder in the data folder's ``demo``?"""
    from workbench import paths
    from workbench.demo.prebuilt import PREBUILT_NAME

    try:
        return Path(path).name == PREBUILT_NAME or \
            Path(path).resolve().parent == (paths.data_dir() / "demo").resolve()
    except OSError:
        return False


def default_size(preferred: tuple[int, int] = (1600, 900)) -> tuple[int, int]:
    """The first-start window size: ``preferred``, shrunk to the screen's available area (less room
    for the window frame) so that nothing starts off screen on a 1366x768 laptop."""
    from PySide6.QtGui import QGuiApplication

    screen = QGuiApplication.primaryScreen()
    if screen is None:
        return preferred
    avail = screen.availableGeometry()
    return (min(preferred[0], max(800, avail.width() - 16)), min(preferred[1], max(500, avail.height() - 48)))


class MainWindow(WindowLayoutMixin, WindowJobsMixin, WindowBrowseMixin, WindowMarksMixin, WindowCasesMixin,
                 WindowSessionsMixin, QMainWindow):
    """The workbench window. ``persist=False`` leaves settings and window state untouched (shots)."""

    track_loaded = Signal(str)          # user id whose events are now shown
    dataset_loaded = Signal(str)        # source path
    chain_found = Signal(object)        # CausalChain

    def __init__(self, state: AppState | None = None, *, restore: bool = True, persist: bool = True,
                 bookmarks: BookmarkStore | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state or AppState(self)
        self.persist = persist
        self._problems: list[str] = []
        self.settings: Settings = load_settings(problems=self._problems) if restore else Settings()
        self.bookmark_store = bookmarks if bookmarks is not None else BookmarkStore()
        self._problems += self.bookmark_store.problems
        self.session = TimelineSession()
        self.errors: list[tuple[str, str]] = []
        self.docks: dict[str, QDockWidget] = {}
        self._jobs: dict[str, Job] = {}
        self._listing_partial = False  # the user list shows the users of a folder being read
        self._listed: tuple = (None, None)  # the open source's users and sparklines, as listed
        self._syncing_timeline = False
        self._layout_restored = False
        self._layout_touched = False
        self.predict_panel = None
        self.eval_panel = None
        self.cases_panel = None
        self.population_panel = None
        self.compare_panel = None
        self.rollout_panel = None
        self.opera_panel = None
        self.presentation = None
        self.setWindowTitle(APP_TITLE)
        self.setObjectName("main_window")
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks
                            | QMainWindow.DockOption.AllowNestedDocks)
        self._set_icon()
        self._build_central()
        self._build_docks()
        self._init_sessions()
        self._build_status()
        #: case edits (tags, note, severity, delete), shared with the Cases panel; Edit ▸ Undo/Redo
        self.undo_stack = QUndoStack(self)
        from workbench.app.transcript_marks import MarkingHost

        #: marked words go to the Cases panel's store with its annotator, undone on the same stack
        self.marking_host = MarkingHost(self._cases, self, unopened=self._cases_unopened)
        self.inspector.set_marking(self.marking_host, self.mark_dialogue)
        self.actions_by_key = build_menus(self)
        self._connect_undo_actions()
        from PySide6.QtWidgets import QApplication

        from workbench.app.text_keys import TextFieldKeys

        self._text_keys = TextFieldKeys(self)   # letters typed into any text field stay text
        QApplication.instance().installEventFilter(self._text_keys)
        from workbench.app.wheel_guard import WheelGuard

        self._wheel_guard = WheelGuard(self)    # the wheel scrolls panels, never sets a field
        QApplication.instance().installEventFilter(self._wheel_guard)
        self.go_actions = {k: a for k, a in self.actions_by_key.items()
                           if k in ("next", "previous", "next_match", "previous_match", "next_conversion",
                                    "previous_conversion", "jump_date", "next_user", "previous_user",
                                    "bookmark", "chain")}
        self._connect_state()
        self.resize(*default_size())
        if restore:
            self._restore_layout()
        for p in self._problems:
            QTimer.singleShot(0, lambda p=p: self.state.post_error("Settings", p))

    # == the session's state, read-only for views and tests ==========================================

    @property
    def track(self) -> UserTrack | None:
        """The current user's events as shown (None while none is loaded)."""
        return self.session.track

    @property
    def source(self) -> Path | None:
        """The open trace file or folder."""
        return self.session.source

    @property
    def event_filter(self) -> EventFilter:
        """The filter the filter bar holds."""
        return self.session.event_filter

    @property
    def mask(self) -> np.ndarray | None:
        """Rows (sorted order) the filter keeps; None without an active filter."""
        return self.session.mask

    def _connect_state(self) -> None:
        s = self.state
        s.selection_changed.connect(self._on_state_selection_changed)
        s.user_changed.connect(self._on_state_user_changed)
        s.highlights_changed.connect(self._on_state_highlights_changed)
        s.ghosts_changed.connect(self._on_state_ghosts_changed)
        s.selection_changed.connect(lambda *_: self._on_state_ghosts_changed())   # ghosts belong to their event
        s.status_posted.connect(self._on_state_status_posted)
        s.error_posted.connect(self._on_state_error_posted)

    # == opening ===================================================================================

    def open_path(self, path: str | Path, *, user: str | None = None, select: int | None = None,
                  time_range: tuple[float, float] | None = None) -> Job:
        """Load a trace file or folder in a worker; then show ``user`` (or the last/first user)."""
        path = Path(path).expanduser()
        self.session.expect(user, select, time_range)
        self._opening = path
        if self.track is None:
            self.timeline.set_empty_text(f"Opening {path.name}…")
        self._listing_partial = False
        job = self._start("load", load_job, path, title=f"Opening {path.name}", on_done=self._on_load_done)
        job.partial.connect(lambda users, j=job: self._on_users_arrived(users, j))
        job.ended.connect(self._on_load_ended)
        return job

    def _on_load_ended(self) -> None:
        """A load cancelled or failed after listing some of its users: list the open source's again."""
        if self._listing_partial and "load" not in self._jobs:
            self._listing_partial = False
            users, sparklines = self._listed
            self.users_model.set_users(users, sparklines)
            self.users_panel.show_user(self.state.current_user)

    def _on_users_arrived(self, users: pl.DataFrame, job: Job) -> None:
        """Users of a folder being read, as its files are read: listed at once (the list of the
        source shown so far goes with the first of them); a user picked meanwhile opens once the
        folder is read."""
        if self._jobs.get("load") is not job:
            return  # a load cancelled or replaced since
        if not self._listing_partial:
            self._listing_partial = True
            self.users_model.set_users(users)
        else:
            self.users_model.append_users(users)

    def open_demo(self) -> Job:
        """Load the demo dataset (written on first use) in a worker."""
        self.session.expect()
        self._opening = None
        if self.track is None:
            self.timeline.set_empty_text("Preparing the synthetic demo data…")
        return self._start("load", demo_job, title="Opening the demo dataset", on_done=self._on_load_done)

    def start(self, path: str | Path | None = None, user: str | None = None) -> Job | None:
        """Start-up choice: ``path``, else the files open last time (with the last user and range),
        else the demo dataset."""
        if path:
            return self.open_path(path, user=user)
        for p in self.settings.open_files:
            if Path(p).exists():
                rng = tuple(self.settings.last_range) if len(self.settings.last_range) == 2 else None
                return self.open_path(p, user=user or self.settings.last_user or None,
                                      time_range=rng)  # type: ignore[arg-type]
        job = self.open_demo()
        if user:
            self.session.pending["user"] = user
        return job

    def _on_load_done(self, result: LoadResult) -> None:
        traces = result.traces
        self._opening = None
        self._listing_partial = False
        self.error_banner.hide()            # an error of an earlier file is not this file's
        self.session.source = result.path
        self.session.track = None
        self.events_model.set_track(None)
        self.state.set_dataset(traces)
        self.users_model.set_users(traces.users, result.sparklines)
        self._listed = (traces.users, result.sparklines)
        if traces.events.height == 0:       # nothing to draw: say so instead of an empty 1970 axis
            empty = np.array([], dtype=np.float64)
            self.timeline.set_data(empty, empty.astype(np.int8), empty.astype(np.int8), empty,
                                   empty.astype(np.int64), lanes=self.timeline.lanes)
            self.timeline.set_empty_text(f"{result.path.name} holds no events"
                                         + (" (File ▸ Load warnings says why)" if traces.warnings else ""))
        else:                               # only files that gave events are worth reopening
            self.settings.add_recent(str(result.path))
        self.settings.open_files = [str(result.path)] if traces.events.height else []
        self._save_settings()
        self._refresh_bookmarks()
        self._announce_load(result)
        self.dataset_loaded.emit(str(result.path))
        wanted, unknown = self.session.choose_user(list(traces.user_ids()), self.settings.last_user)
        if unknown:
            self.state.post_error("Unknown user", f"{unknown} is not in {result.path.name}")
        if wanted:
            self.state.current_user = ""  # force a reload even if the id is the same as before
            self.state.set_user(wanted)

    def _announce_load(self, result: LoadResult) -> None:
        traces = result.traces
        n_users = traces.users.height
        n_events = traces.events.height
        warn = len(getattr(traces, "warnings", []) or [])
        demo = is_demo_path(result.path)
        name = DEMO_TITLE if demo else result.path.name
        self.setWindowTitle(f"{name} — {APP_TITLE}")
        self.state.post_status(f"Opened {DEMO_TITLE if demo else result.path} · {n_users:,} users · "
                               f"{n_events:,} events" + (f" · {warn} warnings" if warn else ""))
        if warn:
            first = traces.warnings[0]
            self.state.post_error(f"{warn} problem{'s' * (warn > 1)} while reading {result.path.name}",
                                  str(first) + (" (File ▸ Load warnings lists all)" if warn > 1 else ""))

    # == users and tracks ==========================================================================

    def _on_users_user_chosen(self, user_id: str) -> None:
        if self._listing_partial and "load" in self._jobs:  # the folder is still being read
            self.session.pending["user"] = user_id
            self.state.post_status(f"{user_id} opens as soon as every file is read")
            return
        self.state.set_user(user_id)

    def _on_state_user_changed(self, user_id: str) -> None:
        self.users_panel.show_user(user_id)
        self.mark_range_button.hide()
        self.clear_chain()
        gen = self.session.begin_user()
        traces = self.state.dataset
        if traces is None or not user_id:
            return
        self._start("track", track_job, traces, user_id, title=f"Reading {user_id}",
                    on_done=lambda events, g=gen: self._on_track_done(events, g))

    def _on_track_done(self, events: UserEvents, generation: int) -> None:
        session = self.session
        track = user_track(events)
        if not session.is_current(track, generation, self.state.current_user):
            return
        self.state.set_user_events(events)
        session.track = track
        self.settings.last_user = track.user_id
        self.events_model.set_track(track)
        self.filter_bar.set_available_actions(action_types_present(track.frame))
        ids = track.ids[track.plot]
        self.timeline.set_data(track.t[track.plot], track.lane[track.plot], track.kind[track.plot],
                               track.value[track.plot], ids, lanes=track.lanes)
        self._apply_track_sessions(track)
        self._apply_filter(announce=False)
        self._on_state_highlights_changed()
        self._on_state_ghosts_changed()
        pending_range = session.pending.pop("range", None)
        if pending_range:
            self._syncing_timeline = True
            try:
                self.timeline.set_range(*pending_range)
            finally:
                self._syncing_timeline = False
        pending_select = session.pending.pop("select", None)
        session.pending.pop("user", None)
        self.state.post_status(session.status_text())
        self.track_loaded.emit(track.user_id)
        if pending_select is not None:
            if track.position(pending_select) < 0:
                self.state.post_error("Unknown event", f"{track.user_id} has no event {pending_select}")
            else:
                self.state.select_event(track.user_id, int(pending_select))
        elif self.state.selected_index >= 0:
            self._on_state_selection_changed(track.user_id, self.state.selected_index)

    # == status and errors ===========================================================================

    def _on_state_status_posted(self, message: str) -> None:
        self.status_label.setText(message)

    def _on_job_failed(self, title: str, message: str) -> None:
        """A worker failed; a file that could not be opened leaves the Recent menu."""
        failed = getattr(self, "_opening", None)
        if failed is not None and title.startswith("Opening") and str(failed) in self.settings.recent_files:
            self.settings.recent_files.remove(str(failed))
        self._opening = None
        if self.track is None and title.startswith("Opening"):
            self.timeline.set_empty_text(title.replace("Opening", "Could not open") + " (the error is above)")
        super()._on_job_failed(title, message)

    def _on_state_error_posted(self, title: str, message: str) -> None:
        self.errors.append((title, message))
        self.error_banner.show_error(title, message, len(self.errors))
        self.status_label.setText(f"⚠ {title}: {message}")

    # == File and Help menus =========================================================================

    def _on_menu_open_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open traces", "",
                                              "Traces (*.json *.jsonl *.parquet);;All files (*)")
        if path:
            self.open_path(path)

    def _on_menu_open_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open a folder of per-user JSON files")
        if path:
            self.open_path(path)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for p in self.settings.recent_files:
            act = self.recent_menu.addAction(p)
            act.triggered.connect(lambda _c=False, p=p: self.open_path(p))
        self.recent_menu.setEnabled(bool(self.settings.recent_files))

    def warnings_text(self) -> str:
        """The load warnings of the open traces, one a line (at most 500 listed)."""
        traces = self.state.dataset
        issues = list(getattr(traces, "warnings", []) or []) if traces is not None else []
        if not issues:
            return "No problems were found while reading the open traces."
        lines = [str(w) for w in issues[:500]]
        if len(issues) > 500:
            lines.append(f"… and {len(issues) - 500:,} more")
        return "\n".join(lines)

    def show_warnings(self) -> None:
        """A non-modal box with the load warnings."""
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(self)
        box.setWindowTitle("Load warnings")
        n = len(getattr(self.state.dataset, "warnings", []) or []) if self.state.dataset is not None else 0
        box.setText(f"{n:,} problem{'s' * (n != 1)} while reading {self.source.name if self.source else 'the traces'}"
                    " (the rest was loaded).")
        box.setDetailedText(self.warnings_text())
        box.setModal(False)
        box.show()

    def _on_menu_about(self) -> None:
        try:
            from workbench.app.about import show_about
        except ImportError:
            self.state.post_status(APP_TITLE)
            return
        show_about(self)

    def _show_shortcuts(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(self)
        box.setWindowTitle("Keyboard shortcuts")
        box.setText(shortcuts_html())
        box.setModal(False)
        box.show()

    # == Edit menu =================================================================================

    def _connect_undo_actions(self) -> None:
        stack = self.undo_stack
        for act, can, text, verb in ((self.undo_action, stack.canUndoChanged, stack.undoTextChanged, "Undo"),
                                     (self.redo_action, stack.canRedoChanged, stack.redoTextChanged, "Redo")):
            act.setEnabled(False)
            can.connect(act.setEnabled)
            text.connect(lambda t, act=act, verb=verb: act.setText(f"&{verb} {t}".strip()))

    def undo(self) -> None:
        """Undo the last case edit (Ctrl+Z; a text field undoes its own typing instead)."""
        if self.undo_stack.canUndo():
            text = self.undo_stack.undoText()
            self.undo_stack.undo()
            self.state.post_status(f"Undone: {text}")

    def redo(self) -> None:
        """Redo the last undone case edit (Ctrl+Shift+Z)."""
        if self.undo_stack.canRedo():
            text = self.undo_stack.redoText()
            self.undo_stack.redo()
            self.state.post_status(f"Redone: {text}")

    # == settings ==================================================================================

    def _save_settings(self) -> None:
        if not self.persist:
            return
        if self.track is not None:
            t0, t1 = self.timeline.visible_range()
            self.settings.last_range = [float(t0), float(t1)] if t1 > t0 else []
        self.settings.window_geometry = b64(self.saveGeometry())
        self.settings.window_state = b64(self.saveState())
        self.settings.lookback_days = float(self.chain_panel.lookback.value())
        if self.predict_panel is not None:
            self.settings.predict = self.predict_panel.options()
        try:
            save_settings(self.settings)
        except OSError as exc:
            self.state.post_error("Settings", f"could not save settings: {exc}")

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt naming)
        self._save_settings()
        self.shutdown_panels()
        for job in list(self._jobs.values()):
            job.cancel()
        for job in list(self._jobs.values()):
            job.wait(5000)
        super().closeEvent(event)
