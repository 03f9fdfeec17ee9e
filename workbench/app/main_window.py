"""The main window: user list, timeline, event table, inspector, causal chain and bookmarks in dockable
panels, wired through one ``AppState``. Layer: app (Qt).

Selection, user and highlights flow only through :class:`~workbench.app.state.AppState` setters and
signals: the timeline, the table (keyboard included), the chain list and the bookmarks call
``state.select_event``; every view redraws from ``state.selection_changed``. Loading a source and a
user's events run on worker threads (:func:`workbench.app.jobs.run_in_thread`) with a progress bar in
the status bar; errors go to one place (``state.error_posted`` -> error banner + status bar).

The heavy panels (Predict, Evaluation, Cases) get their docks at once (so saved layouts restore and the
View menu lists them) but are imported and built only when first needed: when their dock is first
shown, or when an action needs them (Predict here, Mark case, Presentation mode). Nothing of them is
imported on the way to the first paint. They are wired here: the predict and evaluation panels'
"Mark case", the inspector's "Mark this dialogue" and a timeline range selection go to
``CasesPanel.mark_event`` / ``mark_range``; a reopened range case zooms the timeline.
"""

from __future__ import annotations

import base64
import sys
import traceback
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable

import numpy as np
from PySide6.QtCore import QBuffer, QByteArray, QDate, QIODevice, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QColor, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QProgressBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.app.bookmarks import Bookmark, BookmarkStore
from workbench.app.inspector import InspectorPanel
from workbench.app.jobs import Job, run_in_thread
from workbench.app.models import EventTableModel, UsersModel, daily_sparklines
from workbench.app.navigation import EventFilter, UserTrack, action_types_present
from workbench.app.panels import BookmarksPanel, ChainPanel, ErrorBanner, EventsPanel, FilterBar, UsersPanel
from workbench.app.settings import Settings, load_settings, save_settings
from workbench.app.state import AppState, Highlight

APP_TITLE = "Behavior Trace Workbench"
CHAIN_HIGHLIGHT = "causal chain"
CHAIN_COLOR = "#F0A030"
#: Users up to this many events get their free-text index built on the UI thread (well under 0.2 s).
SYNC_INDEX_EVENTS = 20_000


@dataclass
class LoadResult:
    path: Path
    traces: Any                                 # workbench.traces.TraceSet
    sparklines: dict[str, np.ndarray]


def _load_job(task: Any, path: Path) -> LoadResult:
    from workbench.traces import load_traces

    task.progress(0, 0, f"Opening {path.name}")
    traces = load_traces(path, task=task)
    task.check()
    task.progress(0, 0, "Summarising users")
    return LoadResult(Path(path), traces, daily_sparklines(traces.events))


def _demo_job(task: Any) -> LoadResult:
    from workbench.demo import ensure_demo_dataset

    task.progress(0, 0, "Preparing the demo dataset")
    path = ensure_demo_dataset(seed=0)
    task.check()
    return _load_job(task, Path(path))


def _track_job(task: Any, traces: Any, user_id: str) -> UserTrack:
    task.progress(0, 0, f"Reading {user_id}")
    events = traces.user_events(user_id)
    task.check()
    return UserTrack(user_id, events)


def _index_job(task: Any, track: UserTrack) -> None:
    task.progress(0, 0, f"Indexing the text of {track.user_id}")
    track.text_column()


def _chain_job(task: Any, track: UserTrack, event_index: int, lookback: float) -> Any:
    from workbench.traces.chains import find_chain

    return find_chain(track.frame, event_index, user_id=track.user_id, lookback_days=lookback)


def _b64(data: QByteArray) -> str:
    return base64.b64encode(bytes(data.data())).decode("ascii")


def _unb64(text: str) -> QByteArray:
    try:
        return QByteArray(base64.b64decode(text.encode("ascii"), validate=True))
    except (ValueError, UnicodeEncodeError):
        return QByteArray()


def _fmt_epoch(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M")


class MainWindow(QMainWindow):
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
        self.track: UserTrack | None = None
        self.source: Path | None = None
        self.event_filter = EventFilter()
        self.mask: np.ndarray | None = None
        self.errors: list[tuple[str, str]] = []
        self.docks: dict[str, QDockWidget] = {}
        self._jobs: dict[str, Job] = {}
        self._pending: dict[str, Any] = {}
        self._track_generation = 0
        self._syncing_timeline = False
        self._layout_restored = False
        self._layout_touched = False
        self._last_range: tuple[float, float] | None = None
        self.predict_panel: Any = None          # workbench.app.predict_panel.PredictPanel, built lazily
        self.eval_panel: Any = None             # workbench.app.eval_panel.EvaluationPanel
        self.cases_panel: Any = None            # workbench.app.cases_panel.CasesPanel
        self.presentation: Any = None           # the open PresentationWindow, if any
        self.setWindowTitle(APP_TITLE)
        self.setObjectName("main_window")
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks
                            | QMainWindow.DockOption.AllowNestedDocks)
        self._set_icon()
        self._build_central()
        self._build_docks()
        self._build_status()
        self._build_menus()
        self._connect_state()
        self.resize(1600, 900)
        if restore:
            self._restore_layout()
        for p in self._problems:
            QTimer.singleShot(0, lambda p=p: self.state.post_error("Settings", p))

    # == construction ==============================================================================

    def _set_icon(self) -> None:
        try:
            from workbench.app.icons import app_icon
        except ImportError:
            return
        try:
            self.setWindowIcon(app_icon())
        except Exception:  # noqa: BLE001 - a missing icon file never stops the window
            pass

    def _build_central(self) -> None:
        from widgets.timeline import TimelineWidget

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.error_banner = ErrorBanner(central)
        self.filter_bar = FilterBar(self)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.filter_bar)
        self.timeline = TimelineWidget(parent=central)
        self.timeline.setObjectName("timeline")
        self.timeline.tooltip_provider = self._tooltip_for
        layout.addWidget(self.error_banner)
        layout.addWidget(self.timeline, 1)
        self.setCentralWidget(central)
        self.filter_bar.filter_changed.connect(self._on_filter_bar_filter_changed)
        self.filter_bar.hide_changed.connect(self._on_filter_bar_hide_changed)
        self.filter_bar.next_requested.connect(self.go_next_match)
        self.filter_bar.previous_requested.connect(self.go_previous_match)
        self.timeline.event_clicked.connect(self._on_timeline_event_clicked)
        self.timeline.event_activated.connect(self._on_timeline_event_activated)
        self.timeline.range_changed.connect(self._on_timeline_range_changed)
        self.timeline.range_selected.connect(self._on_timeline_range_selected)

    def _build_docks(self) -> None:
        self.users_model = UsersModel(self)
        self.users_panel = UsersPanel(self.users_model)
        self.users_panel.user_chosen.connect(self._on_users_user_chosen)
        self.events_model = EventTableModel(self)
        self.events_panel = EventsPanel(self.events_model)
        self.events_panel.event_chosen.connect(self._on_events_event_chosen)
        self.inspector = InspectorPanel(self.state, lambda: self.track)
        self.chain_panel = ChainPanel()
        self.chain_panel.event_chosen.connect(self._on_chain_event_chosen)
        self.chain_panel.find_requested.connect(self._on_chain_find_requested)
        self.chain_panel.clear_requested.connect(self.clear_chain)
        self.chain_panel.lookback.setValue(self.settings.lookback_days)
        self.bookmarks_panel = BookmarksPanel()
        self.bookmarks_panel.bookmark_activated.connect(self.go_to_bookmark)
        self.bookmarks_panel.add_requested.connect(self._on_bookmarks_add_requested)
        self.bookmarks_panel.remove_requested.connect(self._on_bookmarks_remove_requested)
        self.bookmarks_panel.rename_requested.connect(self._on_bookmarks_rename_requested)

        self.menu_view_docks: list[QAction] = []
        left, right, bottom = (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea,
                               Qt.DockWidgetArea.BottomDockWidgetArea)
        # corners first: changing them after tabifying leaves a stray tab bar behind (Qt)
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self._dock_specs = [("Users", self.users_panel, left), ("Bookmarks", self.bookmarks_panel, left),
                            ("Events", self.events_panel, bottom), ("Inspector", self.inspector, right),
                            ("Causal chain", self.chain_panel, right)]
        for title, widget, area in self._dock_specs:
            self._make_dock(title, widget, area)
        self.splitDockWidget(self.docks["Users"], self.docks["Bookmarks"], Qt.Orientation.Vertical)
        self.splitDockWidget(self.docks["Inspector"], self.docks["Causal chain"], Qt.Orientation.Vertical)
        # the heavy panels: a placeholder now, the panel on first show (see ensure_panel)
        self._lazy_panels: dict[str, Callable[[], QWidget]] = {
            "Predict": self._create_predict_panel, "Evaluation": self._create_eval_panel,
            "Cases": self._create_cases_panel}
        for title, area in (("Predict", right), ("Evaluation", bottom), ("Cases", bottom)):
            placeholder = QLabel(f"{title}: opening…")
            placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
            dock = self._make_dock(title, placeholder, area)
            dock.visibilityChanged.connect(lambda shown, t=title: self._on_lazy_dock_visibility_changed(t, shown))
        self.tabifyDockWidget(self.docks["Events"], self.docks["Evaluation"])
        self.tabifyDockWidget(self.docks["Events"], self.docks["Cases"])
        self.docks["Events"].raise_()
        # Qt 6.12 leaves a stray copy of the tab bar when a second tab group is made before the
        # window is shown: Predict joins the Inspector's tabs after the first show (_on_shown_tabify)
        self.docks["Predict"].hide()
        self._predict_tabified = False

    def _apply_default_dock_sizes(self) -> None:
        """Proportional default sizes (used when no saved layout is restored)."""
        w, h = max(self.width(), 800), max(self.height(), 500)
        self.resizeDocks([self.docks["Users"], self.docks["Inspector"]], [int(w * 0.2), int(w * 0.27)],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["Users"], self.docks["Bookmarks"]], [int(h * 0.68), int(h * 0.22)],
                         Qt.Orientation.Vertical)
        self.resizeDocks([self.docks["Inspector"], self.docks["Causal chain"]], [int(h * 0.58), int(h * 0.36)],
                         Qt.Orientation.Vertical)
        self.resizeDocks([self.docks["Events"]], [int(h * 0.33)], Qt.Orientation.Vertical)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 (Qt naming)
        super().resizeEvent(event)
        if not self._layout_restored and not self._layout_touched:
            self._apply_default_dock_sizes()

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt naming)
        super().showEvent(event)
        if not self._predict_tabified:
            self._predict_tabified = True
            QTimer.singleShot(0, self._on_shown_tabify)
        if not self._layout_restored and not self._layout_touched:
            self._apply_default_dock_sizes()
            QTimer.singleShot(0, self._on_first_show_settled)

    def _on_shown_tabify(self) -> None:
        predict, inspector = self.docks["Predict"], self.docks["Inspector"]
        if not self._layout_restored:
            self.tabifyDockWidget(inspector, predict)
            predict.show()
            inspector.raise_()
        self._hide_stray_tab_bars()

    def _hide_stray_tab_bars(self) -> None:
        """Hide the copies of dock tab bars Qt leaves behind (a restored layout with several tab
        groups): a real tab bar touches the dock of its current tab, a stray one does not."""
        from PySide6.QtWidgets import QTabBar

        by_title = {d.windowTitle(): d for d in self.docks.values()}
        for bar in self.findChildren(QTabBar):
            if bar.parent() is not self or not bar.isVisible() or bar.count() == 0:
                continue
            dock = by_title.get(bar.tabText(bar.currentIndex()))
            if dock is None or dock.isFloating():
                continue
            g, d = bar.geometry(), dock.geometry()
            touches = abs(g.top() - d.bottom() - 1) <= 2 or abs(d.top() - g.bottom() - 1) <= 2
            if not (touches and abs(g.left() - d.left()) <= 2):
                bar.hide()

    def _on_first_show_settled(self) -> None:
        if not self._layout_restored and not self._layout_touched:
            self._apply_default_dock_sizes()
        self._layout_touched = True

    def _make_dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName("dock_" + "".join(ch if ch.isalnum() else "_" for ch in title.lower()))
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        self.docks[title] = dock
        return dock

    def add_panel(self, title: str, widget: QWidget,
                  area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea) -> QDockWidget:
        """Add ``widget`` as a dock titled ``title`` (listed in the View menu); returns the dock.
        A panel with the same title as an existing dock is tabbed with it; one titled like a lazy
        panel's dock not built yet (Predict, Evaluation, Cases) takes that dock's place instead."""
        existing = self.docks.get(title)
        if existing is not None and getattr(self, "_lazy_panels", {}).get(title) is not None:
            self._lazy_panels[title] = None  # type: ignore[assignment]
            old = existing.widget()
            existing.setWidget(widget)
            if old is not None:
                old.deleteLater()
            return existing
        dock = self._make_dock(title if existing is None else f"{title} ({len(self.docks)})", widget, area)
        if existing is not None:
            self.tabifyDockWidget(existing, dock)
        if hasattr(self, "view_menu"):
            self._add_view_action(dock)
        return dock

    def _build_status(self) -> None:
        bar = self.statusBar()
        self.status_label = QLabel("Ready", self)
        self.status_label.setObjectName("status_label")
        self.progress = QProgressBar(self)
        self.progress.setObjectName("load_progress")
        self.progress.setMaximumWidth(260)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.cancel_button = QToolButton(self)
        self.cancel_button.setText("Cancel")
        self.cancel_button.clicked.connect(self.cancel_jobs)
        self.cancel_button.hide()
        self.mark_range_button = QToolButton(self)
        self.mark_range_button.setObjectName("mark_range_button")
        self.mark_range_button.setText("Mark time range as case")
        self.mark_range_button.setToolTip("Save the time range just selected on the timeline (Shift+drag) as a case")
        self.mark_range_button.clicked.connect(self._on_mark_range_button_clicked)
        self.mark_range_button.hide()
        bar.addWidget(self.status_label, 1)
        bar.addPermanentWidget(self.mark_range_button)
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.cancel_button)

    def _build_menus(self) -> None:
        mb = self.menuBar()
        file_menu = mb.addMenu("&File")
        self._action(file_menu, "&Open file…", self._on_menu_open_file, QKeySequence.StandardKey.Open)
        self._action(file_menu, "Open &folder…", self._on_menu_open_folder, "Ctrl+Shift+O")
        self.recent_menu = file_menu.addMenu("&Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._fill_recent_menu()
        self._action(file_menu, "Open &demo data", self.open_demo, "Ctrl+Shift+D")
        self._action(file_menu, "Load &warnings…", self.show_warnings)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        self.view_menu = mb.addMenu("&View")
        for dock in self.docks.values():
            self._add_view_action(dock)
        self.view_menu.addSeparator()
        self._action(self.view_menu, "Fit all (Home)", lambda: self.timeline.fit_all())
        self._action(self.view_menu, "Zoom to selected event", self.zoom_to_selected, "Z")
        self._action(self.view_menu, "Focus filter", self._focus_filter, QKeySequence.StandardKey.Find)
        self.view_menu.addSeparator()
        self.presentation_action = self._action(self.view_menu, "&Presentation mode", self.open_presentation)
        self.presentation_action.setShortcuts([QKeySequence("F11"), QKeySequence("Ctrl+Shift+P")])

        go = mb.addMenu("&Go")
        self.go_actions: dict[str, QAction] = {}
        for key, text, slot, keys in (
            ("next", "&Next event", self.go_next_event, ("J", "]")),
            ("previous", "&Previous event", self.go_previous_event, ("K", "[")),
            ("next_match", "Next &matching event", self.go_next_match, ("N", "F3")),
            ("previous_match", "Previous matching event", self.go_previous_match, ("Shift+N", "Shift+F3")),
            ("next_conversion", "Next &conversion", self.go_next_conversion, ("C",)),
            ("previous_conversion", "Previous conversion", self.go_previous_conversion, ("Shift+C",)),
            ("jump_date", "Jump to &date…", self._on_menu_jump_to_date, ("Ctrl+G",)),
            ("next_user", "Next &user", lambda: self.go_user(+1), ("Alt+Down",)),
            ("previous_user", "Previous user", lambda: self.go_user(-1), ("Alt+Up",)),
            ("bookmark", "&Bookmark selected event…", self._on_bookmarks_add_requested, ("Ctrl+B",)),
            ("chain", "Trace causal &chain", lambda: self._on_chain_find_requested(self.chain_panel.lookback.value()),
             ("Ctrl+L",)),
        ):
            act = self._action(go, text, slot)
            act.setShortcuts([QKeySequence(k) for k in keys])
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            self.go_actions[key] = act
            if key in ("previous_conversion", "previous_user", "bookmark"):
                go.addSeparator()

        cases_menu = go  # (the menu bar stays File, View, Go, Help)
        cases_menu.addSeparator()
        self.predict_action = self._action(cases_menu, "&Predict here", self.predict_here, "Ctrl+P")
        self.predict_action.setToolTip("Ask models and baselines to be this user at the selected event")
        cases_menu.addSeparator()
        self.mark_event_action = self._action(cases_menu, "&Mark selected event as case", self.mark_selected_event,
                                              "Ctrl+M")
        self.mark_dialogue_action = self._action(cases_menu, "Mark this &dialogue", self.mark_dialogue)
        self.mark_range_action = self._action(cases_menu, "Mark time &range as case", self.mark_time_range,
                                              "Ctrl+Shift+M")
        for act in (self.predict_action, self.mark_event_action):
            self.events_panel.view.addAction(act)
        self.events_panel.view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        if self.inspector.transcript is not None:
            self.inspector.transcript.addAction(self.mark_dialogue_action)
            self.inspector.transcript.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)

        help_menu = mb.addMenu("&Help")
        self._action(help_menu, "&Keyboard shortcuts", self._show_shortcuts)
        self._action(help_menu, "&About", self._on_menu_about)

    def _action(self, menu: Any, text: str, slot: Callable, shortcut: Any = None) -> QAction:
        act = QAction(text, self)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        act.triggered.connect(lambda _checked=False: slot())
        menu.addAction(act)
        return act

    def _add_view_action(self, dock: QDockWidget) -> None:
        act = dock.toggleViewAction()
        before = next((a for a in self.view_menu.actions() if a.isSeparator()), None)
        if before is not None:
            self.view_menu.insertAction(before, act)
        else:
            self.view_menu.addAction(act)
        self.menu_view_docks.append(act)

    def _connect_state(self) -> None:
        s = self.state
        s.selection_changed.connect(self._on_state_selection_changed)
        s.user_changed.connect(self._on_state_user_changed)
        s.highlights_changed.connect(self._on_state_highlights_changed)
        s.ghosts_changed.connect(self._on_state_ghosts_changed)
        s.status_posted.connect(self._on_state_status_posted)
        s.error_posted.connect(self._on_state_error_posted)

    # == opening ===================================================================================

    def open_path(self, path: str | Path, *, user: str | None = None, select: int | None = None,
                  time_range: tuple[float, float] | None = None) -> Job:
        """Load a trace file or folder in a worker; then show ``user`` (or the last/first user)."""
        path = Path(path).expanduser()
        self._pending = {"user": user, "select": select, "range": time_range}
        return self._start("load", _load_job, path, title=f"Opening {path.name}",
                           on_done=self._on_load_done)

    def open_demo(self) -> Job:
        self._pending = {"user": None, "select": None, "range": None}
        return self._start("load", _demo_job, title="Opening the demo dataset", on_done=self._on_load_done)

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
            self._pending["user"] = user
        return job

    def _start(self, key: str, fn: Callable, *args: Any, title: str, on_done: Callable) -> Job:
        old = self._jobs.get(key)
        if old is not None:
            old.cancel()
        job = run_in_thread(fn, *args, on_done=on_done, on_error=lambda m, t=title: self._on_job_failed(t, m),
                            title=title)
        self._jobs[key] = job
        job.progress.connect(self._on_job_progress)
        job.ended.connect(lambda k=key, j=job: self._on_job_ended(k, j))
        self._update_progress(title)
        return job

    def _on_job_failed(self, title: str, message: str) -> None:
        self.state.post_error(title.replace("Opening", "Could not open"), message.split("\n\n")[0])

    def _on_job_progress(self, done: int, total: int, text: str) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
        else:
            self.progress.setRange(0, 0)
        if text:
            self.progress.setFormat(text if total <= 0 else f"{text} %p%")
            self.status_label.setText(text)

    def _on_job_ended(self, key: str, job: Job) -> None:
        if self._jobs.get(key) is job:
            del self._jobs[key]
        self._update_progress()

    def _update_progress(self, title: str = "") -> None:
        busy = bool(self._jobs)
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        if busy and title:
            self.progress.setRange(0, 0)
            self.progress.setFormat(title)
            self.status_label.setText(title + "…")

    @property
    def busy(self) -> bool:
        return bool(self._jobs)

    def cancel_jobs(self) -> None:
        for job in list(self._jobs.values()):
            job.cancel()
        self.state.post_status("Cancelled")

    def _on_load_done(self, result: LoadResult) -> None:
        traces = result.traces
        self.source = result.path
        self.track = None
        self.events_model.set_track(None)
        self.state.set_dataset(traces)
        self.users_model.set_users(traces.users, result.sparklines)
        self.settings.add_recent(str(result.path))
        self.settings.open_files = [str(result.path)]
        self._save_settings()
        self._refresh_bookmarks()
        n_users = traces.users.height
        n_events = traces.events.height
        warn = len(getattr(traces, "warnings", []) or [])
        self.setWindowTitle(f"{result.path.name} — {APP_TITLE}")
        self.state.post_status(f"Opened {result.path} · {n_users:,} users · {n_events:,} events"
                               + (f" · {warn} warnings" if warn else ""))
        if warn:
            first = traces.warnings[0]
            self.state.post_error(f"{warn} problem{'s' * (warn > 1)} while reading {result.path.name}",
                                  str(first) + (" (File ▸ Load warnings lists all)" if warn > 1 else ""))
        self.dataset_loaded.emit(str(result.path))
        ids = list(traces.user_ids())
        wanted = self._pending.get("user") or ""
        if wanted and wanted not in ids:
            self.state.post_error("Unknown user", f"{wanted} is not in {result.path.name}")
            wanted = ""
        if not wanted and self.settings.last_user in ids and self._pending.get("user") is None:
            wanted = self.settings.last_user
        if not wanted and ids:
            wanted = ids[0]
        if wanted:
            self.state.current_user = ""  # force a reload even if the id is the same as before
            self.state.set_user(wanted)

    # == users and tracks ==========================================================================

    def _on_users_user_chosen(self, user_id: str) -> None:
        self.state.set_user(user_id)

    def _on_state_user_changed(self, user_id: str) -> None:
        self.users_panel.show_user(user_id)
        self._last_range = None
        self.mark_range_button.hide()
        self.clear_chain()
        traces = self.state.dataset
        if traces is None or not user_id:
            return
        self._track_generation += 1
        gen = self._track_generation
        self._start("track", _track_job, traces, user_id, title=f"Reading {user_id}",
                    on_done=lambda track, g=gen: self._on_track_done(track, g))

    def _on_track_done(self, track: UserTrack, generation: int) -> None:
        if generation != self._track_generation or track.user_id != self.state.current_user:
            return
        self.track = track
        self.settings.last_user = track.user_id
        self.events_model.set_track(track)
        self.filter_bar.set_available_actions(action_types_present(track.frame))
        ids = track.ids[track.plot]
        self.timeline.set_data(track.t[track.plot], track.lane[track.plot], track.kind[track.plot],
                               track.value[track.plot], ids, lanes=track.lanes)
        self._apply_filter(announce=False)
        self._on_state_highlights_changed()
        self._on_state_ghosts_changed()
        pending_range = self._pending.pop("range", None)
        if pending_range:
            self._syncing_timeline = True
            try:
                self.timeline.set_range(*pending_range)
            finally:
                self._syncing_timeline = False
        pending_select = self._pending.pop("select", None)
        self._pending.pop("user", None)
        rng = track.time_range()
        span = f"{_fmt_epoch(rng[0])} – {_fmt_epoch(rng[1])}" if rng else "no timestamps"
        self.state.post_status(f"{track.user_id}: {len(track):,} events · {span}")
        self.track_loaded.emit(track.user_id)
        if pending_select is not None:
            if track.position(pending_select) < 0:
                self.state.post_error("Unknown event", f"{track.user_id} has no event {pending_select}")
            else:
                self.state.select_event(track.user_id, int(pending_select))
        elif self.state.selected_index >= 0:
            self._on_state_selection_changed(track.user_id, self.state.selected_index)

    def go_user(self, step: int) -> None:
        view = self.users_panel.view
        proxy = self.users_panel.proxy
        n = proxy.rowCount()
        if n == 0:
            return
        row = view.currentIndex().row()
        row = 0 if row < 0 else max(0, min(n - 1, row + step))
        view.setCurrentIndex(proxy.index(row, 0))

    # == selection =================================================================================

    def _on_timeline_event_clicked(self, event_id: int) -> None:
        if self.track is not None:
            self.state.select_event(self.track.user_id, int(event_id))

    def _on_timeline_event_activated(self, event_id: int) -> None:
        if self.track is None:
            return
        self.state.select_event(self.track.user_id, int(event_id))
        if int(self.track.kind[self.track.position(event_id)]) == 2:
            self.find_chain(int(event_id))

    def _on_events_event_chosen(self, event_id: int) -> None:
        if self.track is not None:
            self.state.select_event(self.track.user_id, event_id)

    def _on_chain_event_chosen(self, event_id: int) -> None:
        if self.track is not None:
            self.state.select_event(self.track.user_id, event_id)

    def _on_state_selection_changed(self, user_id: str, event_index: int) -> None:
        if self.track is None or user_id != self.track.user_id:
            return  # the track is loading; _on_track_done re-applies the selection
        valid = event_index >= 0 and self.track.position(event_index) >= 0
        plotted = valid and np.isfinite(self.track.t[self.track.position(event_index)])
        self.timeline.set_selected(int(event_index) if plotted else None)
        self.events_panel.show_event(event_index if valid else -1)
        if valid and int(self.track.kind[self.track.position(event_index)]) == 2:
            current = self.chain_panel.chain
            if current is None or current.target_index != event_index:
                self.find_chain(event_index)

    def select(self, event_index: int) -> None:
        """Select an event of the current user (the same path every view uses)."""
        if self.track is not None and event_index >= 0:
            self.state.select_event(self.track.user_id, int(event_index))

    # == navigation ================================================================================

    def _go(self, step: int, mask: np.ndarray | None, what: str) -> int:
        if self.track is None:
            return -1
        ev = self.track.step(self.state.selected_index, step, mask)
        if ev < 0:
            self.state.post_status(f"No {'next' if step > 0 else 'previous'} {what}")
            return -1
        self.select(ev)
        return ev

    def go_next_event(self) -> int:
        return self._go(+1, None, "event")

    def go_previous_event(self) -> int:
        return self._go(-1, None, "event")

    def go_next_match(self) -> int:
        return self._go(+1, self.mask, "matching event")

    def go_previous_match(self) -> int:
        return self._go(-1, self.mask, "matching event")

    def go_next_conversion(self) -> int:
        return self._go(+1, self.track.conversion_mask() if self.track is not None else None, "conversion")

    def go_previous_conversion(self) -> int:
        return self._go(-1, self.track.conversion_mask() if self.track is not None else None, "conversion")

    def jump_to_date(self, when: date | datetime) -> int:
        if self.track is None:
            return -1
        ev = self.track.first_on_or_after(when)
        if ev < 0:
            self.state.post_status(f"No event on or after {when}")
            return -1
        pos = self.track.position(ev)
        t = float(self.track.t[pos])
        t0, t1 = self.timeline.visible_range()
        width = min(max(t1 - t0, 3600.0), 7 * 86400.0)
        self.timeline.set_range(t - width * 0.25, t + width * 0.75)
        self.select(ev)
        return ev

    def _on_menu_jump_to_date(self) -> None:
        if self.track is None:
            return
        dlg = QDialog(self)
        dlg.setWindowTitle("Jump to date")
        edit = QDateEdit(dlg)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        pos = self.track.position(self.state.selected_index)
        t = float(self.track.t[pos]) if pos >= 0 and np.isfinite(self.track.t[pos]) else \
            (self.track.time_range() or (0.0, 0.0))[0]
        d = datetime.fromtimestamp(t, timezone.utc)
        edit.setDate(QDate(d.year, d.month, d.day))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, dlg)
        buttons.accepted.connect(dlg.accept)
        buttons.rejected.connect(dlg.reject)
        lay = QVBoxLayout(dlg)
        lay.addWidget(QLabel("First event on or after:", dlg))
        lay.addWidget(edit)
        lay.addWidget(buttons)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            q = edit.date()
            self.jump_to_date(date(q.year(), q.month(), q.day()))

    def zoom_to_selected(self) -> None:
        if self.track is None or self.state.selected_index < 0:
            return
        pos = self.track.position(self.state.selected_index)
        if pos < 0 or not np.isfinite(self.track.t[pos]):
            return
        t = float(self.track.t[pos])
        self.timeline.set_range(t - 1800.0, t + 1800.0)

    def _focus_filter(self) -> None:
        self.filter_bar.text.setFocus()
        self.filter_bar.text.selectAll()

    # == filters ===================================================================================

    def set_filter(self, flt: EventFilter) -> None:
        """Set the event filter (the filter bar shows it; the timeline dims non-matching marks)."""
        self.filter_bar.set_filter(flt)

    def _on_filter_bar_filter_changed(self, flt: EventFilter) -> None:
        self.event_filter = flt
        self._apply_filter(announce=True)

    def _on_filter_bar_hide_changed(self, _hide: bool) -> None:
        self._apply_filter(announce=False)

    def _apply_filter(self, announce: bool) -> None:
        track = self.track
        if track is None:
            self.mask = None
            return
        if self.event_filter.text.strip() and not track.has_text_index and len(track) > SYNC_INDEX_EVENTS:
            # the first text search of a big user builds its text index on a worker (about 2 s at 100k)
            if "index" not in self._jobs:
                self._start("index", _index_job, track, title=f"Indexing the text of {track.user_id}",
                            on_done=lambda _r, t=track: self._on_index_done(t))
            self.filter_bar.count.setText("indexing…")
            return
        try:
            self.mask = track.mask(self.event_filter) if self.event_filter.active else None
        except Exception as exc:  # noqa: BLE001 - a bad filter is reported, never a crash
            self.state.post_error("Filter", f"the filter could not be applied: {exc}")
            self.mask = None
        hide = self.filter_bar.hide_box.isChecked()
        self.events_model.set_filter(self.mask, hide)
        self.timeline.set_dim_mask(None if self.mask is None else self.mask[track.plot])
        matching = int(self.mask.sum()) if self.mask is not None else len(track)
        self.filter_bar.set_count(matching, len(track), self.mask is not None)
        if announce:
            self.state.filter_changed.emit()
            if self.mask is not None:
                self.state.post_status(f"Filter: {self.event_filter.describe()} — {matching:,} of {len(track):,}")

    def _on_index_done(self, track: UserTrack) -> None:
        if track is self.track:
            self._apply_filter(announce=True)

    # == highlights, ghosts, chains ==================================================================

    def _on_state_highlights_changed(self) -> None:
        from widgets.timeline import HighlightSpec

        if self.track is None:
            return
        specs = [HighlightSpec(name=h.name, ids=np.asarray(h.event_indices, dtype=np.int64), color=h.color,
                               connect=h.connect, label=h.label)
                 for h in self.state.highlights.values() if h.user_id == self.track.user_id]
        self.timeline.set_highlights(specs)

    def _on_state_ghosts_changed(self) -> None:
        from widgets.timeline import GhostSpec

        if self.track is None:
            return
        specs = []
        for g in self.state.ghosts:
            if g.user_id != self.track.user_id:
                continue
            pos = self.track.position(g.event_index)
            if pos < 0:
                continue
            specs.append(GhostSpec(event_id=g.event_index, lane=int(self.track.lane[pos]), agrees=g.agrees,
                                   label=f"{g.model}: {g.field} = {g.predicted!r} (real {g.real!r})"))
        self.timeline.set_ghosts(specs)

    def find_chain(self, event_index: int | None = None, lookback: float | None = None) -> Job | None:
        """Backtrack from a conversion (default: the selected event) in a worker; draws the chain."""
        if self.track is None:
            return None
        ev = self.state.selected_index if event_index is None else int(event_index)
        if ev < 0 or self.track.position(ev) < 0:
            self.state.post_status("Select an event to trace its causal chain")
            return None
        days = float(lookback if lookback is not None else self.chain_panel.lookback.value())
        track = self.track
        return self._start("chain", _chain_job, track, ev, days, title=f"Tracing event #{ev}",
                           on_done=lambda chain, t=track: self._on_chain_done(chain, t))

    def _on_chain_find_requested(self, lookback: float) -> None:
        self.settings.lookback_days = float(lookback)
        self.find_chain(None, lookback)

    def _on_chain_done(self, chain: Any, track: UserTrack) -> None:
        if track is not self.track:
            return
        self.chain_panel.show_chain(chain)
        self.state.set_highlight(Highlight(
            name=CHAIN_HIGHLIGHT, user_id=track.user_id, event_indices=chain.event_indices, color=CHAIN_COLOR,
            connect=True, label=f"chain → #{chain.target_index} ({len(chain.links)} links)"))
        self.state.post_status(
            f"Causal chain of #{chain.target_index}: {len(chain.links)} earlier events over {chain.span_days:.1f} days")
        self.chain_found.emit(chain)

    def clear_chain(self) -> None:
        self.chain_panel.show_chain(None)
        self.state.clear_highlight(CHAIN_HIGHLIGHT)

    # == bookmarks =================================================================================

    def add_bookmark(self, name: str | None = None) -> Bookmark | None:
        if self.track is None or self.source is None or self.state.selected_index < 0:
            self.state.post_status("Select an event to bookmark it")
            return None
        ev = self.state.selected_index
        row = self.track.row(ev) or {}
        name = (name or "").strip() or f"#{ev} {str(row.get('title') or row.get('scenario') or '')[:40]}".strip()
        t0, t1 = self.timeline.visible_range()
        b = self.bookmark_store.add(Bookmark(name=name, source=str(self.source), user_id=self.track.user_id,
                                             event_index=ev, t0=t0, t1=t1))
        self._refresh_bookmarks()
        self.state.post_status(f"Bookmarked “{name}”")
        return b

    def go_to_bookmark(self, bookmark: Bookmark) -> None:
        if self.state.dataset is None:
            return
        rng = (bookmark.t0, bookmark.t1) if bookmark.t0 is not None and bookmark.t1 is not None else None
        if self.track is not None and self.track.user_id == bookmark.user_id:
            if rng:
                self.timeline.set_range(*rng)
            self.select(bookmark.event_index)
            return
        if bookmark.user_id not in self.state.dataset.user_ids():
            self.state.post_error("Bookmark", f"user {bookmark.user_id} is not in this dataset")
            return
        self._pending = {"user": bookmark.user_id, "select": bookmark.event_index, "range": rng}
        self.state.set_user(bookmark.user_id)

    def bookmarks(self) -> list[Bookmark]:
        return self.bookmark_store.for_source(self.source)

    def _refresh_bookmarks(self) -> None:
        self.bookmarks_panel.set_bookmarks(self.bookmarks(),
                                           lambda b: f"{b.user_id} · event #{b.event_index}")

    def _on_bookmarks_add_requested(self) -> None:
        if self.track is None or self.state.selected_index < 0:
            self.state.post_status("Select an event to bookmark it")
            return
        row = self.track.row(self.state.selected_index) or {}
        default = f"#{self.state.selected_index} {str(row.get('title') or '')[:40]}".strip()
        name, ok = QInputDialog.getText(self, "Bookmark", "Name:", text=default)
        if ok:
            self.add_bookmark(name)

    def _on_bookmarks_remove_requested(self, bookmark: Bookmark) -> None:
        self.bookmark_store.remove(bookmark)
        self._refresh_bookmarks()

    def _on_bookmarks_rename_requested(self, bookmark: Bookmark, name: str) -> None:
        self.bookmark_store.rename(bookmark, name)
        QTimer.singleShot(0, self._refresh_bookmarks)

    # == timeline range ==============================================================================

    def _on_timeline_range_changed(self, t0: float, t1: float) -> None:
        self.settings.last_range = [float(t0), float(t1)]
        if not self._syncing_timeline:
            self.state.set_range(float(t0), float(t1))

    def _on_timeline_range_selected(self, t0: float, t1: float) -> None:
        """Shift-drag on the timeline: select the first event in the range (the table follows)."""
        if self.track is None:
            return
        self._last_range = (float(min(t0, t1)), float(max(t0, t1)))
        self.mark_range_button.show()
        pos = int(np.searchsorted(self.track.t[self.track.plot], t0, side="left"))
        if pos < self.track.plot.size and self.track.t[self.track.plot[pos]] <= t1:
            n = int(np.searchsorted(self.track.t[self.track.plot], t1, side="right")) - pos
            self.select(int(self.track.ids[self.track.plot[pos]]))
            self.state.post_status(f"{n:,} events between {_fmt_epoch(t0)} and {_fmt_epoch(t1)}")

    def _tooltip_for(self, event_id: int) -> str:
        track = self.track
        if track is None:
            return ""
        pos = track.position(event_id)
        if pos < 0:
            return ""
        f = track.frame
        title = f["title"][pos] if "title" in f.columns else None
        acts = f["action_types"][pos] if "action_types" in f.columns else None
        acts_text = ", ".join(acts.to_list()) if acts is not None else ""
        text = f"#{event_id}  {f['ts_raw'][pos]}  {f['scenario'][pos]}"
        if title:
            t = str(title)
            text += "\n" + (t if len(t) <= 90 else t[:89] + "…")
        if acts_text:
            text += "\nactions: " + acts_text
        v = float(track.value[pos])
        if np.isfinite(v):
            text += f" · watched {v:g} s"
        return text

    # == heavy panels (built lazily) and cases ========================================================

    def _on_lazy_dock_visibility_changed(self, title: str, shown: bool) -> None:
        if shown and self._lazy_panels.get(title) is not None:
            # after this event: a dock shown while the window is first laid out never delays the paint
            QTimer.singleShot(0, lambda: self._build_if_shown(title))

    def _build_if_shown(self, title: str) -> None:
        dock = self.docks.get(title)
        if dock is not None and dock.isVisible() and not dock.visibleRegion().isEmpty():
            self.ensure_panel(title)

    def ensure_panel(self, title: str) -> QWidget:
        """The panel of dock ``title`` (Predict, Evaluation, Cases), built on first use."""
        factory = self._lazy_panels.get(title)
        if factory is None:
            return self.docks[title].widget()
        self._lazy_panels[title] = None  # type: ignore[assignment]
        widget = factory()
        dock = self.docks[title]
        old = dock.widget()
        dock.setWidget(widget)
        if old is not None:
            old.deleteLater()
        return widget

    def show_dock(self, title: str) -> QWidget:
        widget = self.ensure_panel(title)
        dock = self.docks[title]
        dock.show()
        dock.raise_()
        return widget

    def _create_predict_panel(self) -> QWidget:
        from workbench.app.predict_panel import PredictPanel

        panel = PredictPanel(self.state)
        panel.setObjectName("predict_panel")
        panel.defer_when_hidden = True
        panel.mark_case_requested.connect(self._on_predict_mark_case_requested)
        self.predict_panel = panel
        return panel

    def _create_eval_panel(self) -> QWidget:
        from workbench.app.eval_panel import EvaluationPanel

        panel = EvaluationPanel(self.state)
        panel.setObjectName("eval_panel")
        panel.mark_case_requested.connect(self._on_eval_mark_case_requested)
        self.eval_panel = panel
        return panel

    def _create_cases_panel(self) -> QWidget:
        import getpass

        from workbench.app.cases_panel import CasesPanel

        try:
            author = getpass.getuser()
        except Exception:  # noqa: BLE001 - no login name (containers): cases stay anonymous
            author = ""
        panel = CasesPanel(self.state, author=author)
        panel.setObjectName("cases_panel")
        panel.range_reopened.connect(self._on_cases_range_reopened)
        self.cases_panel = panel
        return panel

    def predict_here(self) -> Any:
        """Show the Predict dock for the selected event and give it the focus."""
        panel = self.show_dock("Predict")
        if self.state.selected_index < 0:
            self.state.post_status("Select an event, then Predict here (Ctrl+P)")
        target = panel.predict_button if panel.predict_button.isEnabled() else panel
        target.setFocus(Qt.FocusReason.ShortcutFocusReason)
        return panel

    def timeline_png(self) -> bytes:
        """The timeline as PNG bytes (the snapshot stored with a case)."""
        buf = QBuffer()
        buf.open(QIODevice.OpenModeFlag.WriteOnly)
        self.timeline.grab().save(buf, "PNG")
        buf.close()
        return bytes(buf.data().data())

    def _cases(self) -> Any:
        return self.ensure_panel("Cases")

    def _announce_case(self, case: Any) -> None:
        if case is not None:
            self.docks["Cases"].show()
            self.state.post_status(f"Case marked: {case.location()} (Cases panel)")

    def _on_predict_mark_case_requested(self) -> None:
        payload = self.predict_panel.case_payload() if self.predict_panel is not None else None
        if payload is None:
            self.state.post_status("Run a prediction first: the case keeps its predictions")
            return
        self._announce_case(self._cases().mark_event(**payload, snapshot_png=self.timeline_png()))

    def _on_eval_mark_case_requested(self, payload: dict) -> None:
        from workbench.annotate.model import CasePrediction

        payload = dict(payload)
        payload["predictions"] = [CasePrediction.from_mapping(p) for p in payload.get("predictions", [])]
        self._announce_case(self._cases().mark_event(**payload, snapshot_png=self.timeline_png()))

    def mark_selected_event(self) -> Any:
        if self.track is None or self.state.selected_index < 0:
            self.state.post_status("Select an event to mark it as a case")
            return None
        case = self._cases().mark_event(self.track.user_id, self.state.selected_index,
                                        snapshot_png=self.timeline_png())
        self._announce_case(case)
        return case

    def mark_dialogue(self) -> Any:
        """Mark the selected customer-service event with its transcript (the inspector's dialogue)."""
        from workbench.app.inspector import _loads, dialogue_turns

        ev = self.state.selected_index
        row = self.track.row(ev) if self.track is not None and ev >= 0 else None
        actions = _loads(row.get("actions")) if row else None
        turns = dialogue_turns(actions) if isinstance(actions, list) else []
        if not turns:
            self.state.post_status("Select a customer-service event with a dialogue to mark it")
            return None
        case = self._cases().mark_event(self.track.user_id, ev, ["next_user_message"],
                                        transcript=[{"role": r, "content": c} for r, c in turns],
                                        snapshot_png=self.timeline_png())
        self._announce_case(case)
        return case

    def mark_time_range(self, t0: float | None = None, t1: float | None = None) -> Any:
        """Mark ``t0..t1`` (default: the range last selected with Shift+drag) of the current user."""
        rng = (t0, t1) if t0 is not None and t1 is not None else self._last_range
        if self.track is None or rng is None:
            self.state.post_status("Select a time range on the timeline first (Shift+drag)")
            return None
        case = self._cases().mark_range(self.track.user_id, float(rng[0]), float(rng[1]),
                                        snapshot_png=self.timeline_png())
        if case is not None:
            self.mark_range_button.hide()
            self._announce_case(case)
        return case

    def _on_mark_range_button_clicked(self) -> None:
        self.mark_time_range()

    def _on_cases_range_reopened(self, user_id: str, t0: float, t1: float) -> None:
        if self.track is not None and self.track.user_id == user_id and not self._jobs.get("track"):
            self.timeline.set_range(t0, t1)
        else:  # that user's track is loading: show the range when it is in
            self._pending["range"] = (t0, t1)

    def open_presentation(self) -> Any:
        """Presentation mode on the cases listed (filtered) in the Cases panel."""
        window = self._cases().present()
        if window is not None:
            self.presentation = window
            window.destroyed.connect(lambda *_: setattr(self, "presentation", None))
        return window

    def shutdown_panels(self) -> None:
        """Stop the panels' coroutines and close the case store (the window is closing)."""
        if self.predict_panel is not None and self.predict_panel.is_running():
            self.predict_panel._on_cancel_clicked()
        if self.eval_panel is not None:
            self.eval_panel.cancel()
        if self.cases_panel is not None:
            self.cases_panel.shutdown()
        if self.presentation is not None:
            self.presentation.close()

    # == status and errors ===========================================================================

    def _on_state_status_posted(self, message: str) -> None:
        self.status_label.setText(message)

    def _on_state_error_posted(self, title: str, message: str) -> None:
        self.errors.append((title, message))
        self.error_banner.show_error(title, message, len(self.errors))
        self.status_label.setText(f"⚠ {title}: {message}")

    # == menus =====================================================================================

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
        traces = self.state.dataset
        issues = list(getattr(traces, "warnings", []) or []) if traces is not None else []
        if not issues:
            return "No problems were found while reading the open traces."
        lines = [str(w) for w in issues[:500]]
        if len(issues) > 500:
            lines.append(f"… and {len(issues) - 500:,} more")
        return "\n".join(lines)

    def show_warnings(self) -> None:
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

        lines = ["<table>"]
        for act in self.go_actions.values():
            keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in act.shortcuts())
            lines.append(f"<tr><td>{act.text().replace('&', '')}</td><td><b>{keys}</b></td></tr>")
        lines.append("<tr><td>Timeline zoom / pan / fit</td><td><b>+ − ← → Home</b>, wheel, drag</td></tr>")
        lines.append("<tr><td>Select a time range</td><td><b>Shift</b>+drag</td></tr></table>")
        box = QMessageBox(self)
        box.setWindowTitle("Keyboard shortcuts")
        box.setText("".join(lines))
        box.setModal(False)
        box.show()

    # == settings ==================================================================================

    def _restore_layout(self) -> None:
        if self.settings.window_geometry:
            self.restoreGeometry(_unb64(self.settings.window_geometry))
        if self.settings.window_state:
            self._layout_restored = bool(self.restoreState(_unb64(self.settings.window_state)))

    def _save_settings(self) -> None:
        if not self.persist:
            return
        if self.track is not None:
            t0, t1 = self.timeline.visible_range()
            self.settings.last_range = [float(t0), float(t1)] if t1 > t0 else []
        self.settings.window_geometry = _b64(self.saveGeometry())
        self.settings.window_state = _b64(self.saveState())
        self.settings.lookback_days = float(self.chain_panel.lookback.value())
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


# == application-wide helpers ========================================================================

def install_excepthook(state: AppState) -> Callable:
    """Report uncaught exceptions to ``state.post_error`` (and stderr) instead of aborting.
    Returns the previous hook so callers can restore it."""
    previous = sys.excepthook

    def hook(exc_type: type[BaseException], exc: BaseException, tb: Any) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            previous(exc_type, exc, tb)
            return
        traceback.print_exception(exc_type, exc, tb, limit=6, file=sys.stderr)
        try:
            state.post_error("Unexpected error", f"{exc_type.__name__}: {exc}")
        except Exception:  # noqa: BLE001 - the hook itself must never raise
            pass

    sys.excepthook = hook
    return previous


def apply_theme(app: QApplication) -> None:
    """Fusion with a dark palette, matching the timeline's dark lanes; a font for Chinese text
    when the system has none (workbench.app.fonts)."""
    from workbench.app.fonts import ensure_chinese_font

    ensure_chinese_font(app)
    if (app.property("workbench_theme") and app.style().name().lower() == "fusion"
            and app.palette().color(QPalette.ColorRole.Window) == QColor("#272a33")):
        return  # already applied (and not reset since: tests restore the default look)
    app.setStyle("Fusion")
    pal = QPalette()
    base, window, text = QColor("#1e2027"), QColor("#272a33"), QColor("#dde1e8")
    pal.setColor(QPalette.ColorRole.Window, window)
    pal.setColor(QPalette.ColorRole.WindowText, text)
    pal.setColor(QPalette.ColorRole.Base, base)
    pal.setColor(QPalette.ColorRole.AlternateBase, QColor("#23262e"))
    pal.setColor(QPalette.ColorRole.ToolTipBase, QColor("#30343e"))
    pal.setColor(QPalette.ColorRole.ToolTipText, text)
    pal.setColor(QPalette.ColorRole.Text, text)
    pal.setColor(QPalette.ColorRole.Button, QColor("#2f333d"))
    pal.setColor(QPalette.ColorRole.ButtonText, text)
    pal.setColor(QPalette.ColorRole.BrightText, QColor("#ff6b6b"))
    pal.setColor(QPalette.ColorRole.Link, QColor("#74c0fc"))
    pal.setColor(QPalette.ColorRole.Highlight, QColor("#3b5bdb"))
    pal.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    pal.setColor(QPalette.ColorRole.PlaceholderText, QColor("#8a8f99"))
    pal.setColor(QPalette.ColorRole.Mid, QColor("#8a8f99"))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6c717b"))
    app.setPalette(pal)
    app.setProperty("workbench_theme", True)
