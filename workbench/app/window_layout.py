"""The main window's frame: the central timeline and filter bar, the docks and their default sizes,
the status bar, and the saved window layout. Layer: app (Qt).

:class:`WindowLayoutMixin` is one part of :class:`workbench.app.main_window.MainWindow` (a
QMainWindow); the handlers it connects live in the window's other parts.
"""

from __future__ import annotations

import base64
from typing import Callable

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtGui import QAction, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QDockWidget, QLabel, QProgressBar, QToolButton, QVBoxLayout, QWidget

from workbench.app.inspector import InspectorPanel
from workbench.app.models import EventTableModel, UsersModel
from workbench.app.panels import BookmarksPanel, ChainPanel, ErrorBanner, EventsPanel, FilterBar, UsersPanel


def b64(data: QByteArray) -> str:
    """Qt's saved geometry/state bytes as ASCII for the settings file."""
    return base64.b64encode(bytes(data.data())).decode("ascii")


def unb64(text: str) -> QByteArray:
    """The inverse of :func:`b64`; empty bytes for text that is not base64."""
    try:
        return QByteArray(base64.b64decode(text.encode("ascii"), validate=True))
    except (ValueError, UnicodeEncodeError):
        return QByteArray()


class WindowLayoutMixin:
    """Central widget, docks (the heavy ones as placeholders until first shown), status bar, layout."""

    docks: dict[str, QDockWidget]

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
        self.timeline.tooltip_provider = self.session.tooltip
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

    def _build_panels(self) -> None:
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

    def _build_docks(self) -> None:
        self._build_panels()
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
        self._lazy_panels: dict[str, Callable[[], QWidget] | None] = {
            "Predict": self._create_predict_panel, "Evaluation": self._create_eval_panel,
            "Cases": self._create_cases_panel, "Population": self._create_population_panel,
            "Compare": self._create_compare_panel, "Rollout": self._create_rollout_panel,
            "OPeRA evaluation": self._create_opera_panel}
        for title, area in (("Predict", right), ("Evaluation", bottom), ("Cases", bottom),
                            ("Population", bottom), ("Compare", bottom), ("Rollout", bottom),
                            ("OPeRA evaluation", bottom)):
            placeholder = QLabel(f"{title}: opening…")
            placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
            dock = self._make_dock(title, placeholder, area)
            dock.visibilityChanged.connect(lambda shown, t=title: self._on_lazy_dock_visibility_changed(t, shown))
        self.tabifyDockWidget(self.docks["Events"], self.docks["Evaluation"])
        self.tabifyDockWidget(self.docks["Events"], self.docks["Cases"])
        self.tabifyDockWidget(self.docks["Events"], self.docks["Population"])
        self.tabifyDockWidget(self.docks["Events"], self.docks["Compare"])
        self.tabifyDockWidget(self.docks["Events"], self.docks["Rollout"])
        self.tabifyDockWidget(self.docks["Events"], self.docks["OPeRA evaluation"])
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

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt naming)
        super().resizeEvent(event)  # type: ignore[misc]
        if not self._layout_restored and not self._layout_touched:
            self._apply_default_dock_sizes()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt naming)
        super().showEvent(event)  # type: ignore[misc]
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
            self._lazy_panels[title] = None
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

    def _add_view_action(self, dock: QDockWidget) -> None:
        act = dock.toggleViewAction()
        before = next((a for a in self.view_menu.actions() if a.isSeparator()), None)
        if before is not None:
            self.view_menu.insertAction(before, act)
        else:
            self.view_menu.addAction(act)
        self.menu_view_docks.append(act)

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

    def _restore_layout(self) -> None:
        if self.settings.window_geometry:
            self.restoreGeometry(unb64(self.settings.window_geometry))
        if self.settings.window_state:
            self._layout_restored = bool(self.restoreState(unb64(self.settings.window_state)))
