"""The main window's panels: users, events, filter bar, causal chain, bookmarks, error banner.
Layer: app (Qt).

Panels observe, they do not own (docs/architecture.md#one-owner-per-concept):
each takes the shared ``AppState`` and/or a model,
shows it, and reports what the analyst did through its own past-tense signals; the main window wires
those to ``AppState`` setters. No panel reaches into a sibling.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDoubleSpinBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QTableView,
    QToolBar,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.app.bookmarks import Bookmark
from workbench.app.models import EVENT_ID_ROLE, SPARKLINE_ROLE, USER_ID_ROLE, EventTableModel, UsersModel, UsersProxyModel
from workbench.app.navigation import BASE_LANES, EventFilter
from workbench.traces.schema import ACTION_TYPES, OTHER


# -- users --------------------------------------------------------------------------------------------

class UsersPanel(QWidget):
    """User list: id, profile, event count, activity sparkline; sortable and filterable."""

    user_chosen = Signal(str)

    def __init__(self, model: UsersModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.proxy = UsersProxyModel(self)
        self.proxy.setSourceModel(model)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Filter users (id or profile)…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._on_search_text_changed)
        self.view = QTableView(self)
        self.view.setObjectName("users_view")
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(24)
        self.view.setWordWrap(False)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.view.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(3, 72)
        header.setMinimumSectionSize(40)
        self._delegate = self._make_sparkline_delegate()
        if self._delegate is not None:
            self.view.setItemDelegateForColumn(3, self._delegate)
        self.view.selectionModel().currentRowChanged.connect(self._on_view_current_changed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.search)
        layout.addWidget(self.view)
        self._syncing = False

    def _make_sparkline_delegate(self) -> Any:
        try:
            from widgets.sparkline import SparklineDelegate
        except ImportError:
            return None
        try:
            return SparklineDelegate(self.view, role=SPARKLINE_ROLE)
        except TypeError:
            return SparklineDelegate(self.view)

    def _on_search_text_changed(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())

    def _on_view_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._syncing or not current.isValid():
            return
        uid = current.data(USER_ID_ROLE)
        if uid:
            self.user_chosen.emit(str(uid))

    def show_user(self, user_id: str) -> None:
        """Make ``user_id`` the current row without emitting ``user_chosen``."""
        row = self.model.row_of(user_id)
        if row < 0:
            return
        proxy_index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not proxy_index.isValid():
            return
        self._syncing = True
        try:
            self.view.setCurrentIndex(proxy_index)
            self.view.scrollTo(proxy_index)
        finally:
            self._syncing = False


# -- events -------------------------------------------------------------------------------------------

class EventsPanel(QWidget):
    """The virtual event table of the current user."""

    event_chosen = Signal(int)

    def __init__(self, model: EventTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.view = QTableView(self)
        self.view.setObjectName("events_view")
        self.view.setModel(model)
        self.view.setSortingEnabled(True)
        self.view.horizontalHeader().setSortIndicator(1, Qt.SortOrder.AscendingOrder)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.setWordWrap(False)
        self.view.setAlternatingRowColors(True)
        header = self.view.horizontalHeader()
        header.setMinimumSectionSize(36)
        widths = (52, 142, 80, 104, 300, 62, 88)
        for col, w in enumerate(widths):
            header.resizeSection(col, w)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.view.selectionModel().currentRowChanged.connect(self._on_view_current_changed)
        model.modelReset.connect(self._on_model_reset)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self._syncing = False
        self._selected = -1

    def _on_view_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._syncing or not current.isValid():
            return
        ev = self.model.event_at(current.row())
        if ev >= 0:
            self._selected = ev
            self.event_chosen.emit(ev)

    def _on_model_reset(self) -> None:
        if self._selected >= 0:
            self.show_event(self._selected)

    def show_event(self, event_index: int) -> None:
        """Make the event's row current (without emitting ``event_chosen``); -1 clears."""
        self._selected = event_index
        self._syncing = True
        try:
            row = self.model.row_of(event_index) if event_index >= 0 else -1
            if row < 0:
                self.view.selectionModel().clearSelection()
                self.view.selectionModel().setCurrentIndex(QModelIndex(), self.view.selectionModel().SelectionFlag.NoUpdate)
                return
            index = self.model.index(row, 0)
            self.view.selectionModel().setCurrentIndex(
                index, self.view.selectionModel().SelectionFlag.ClearAndSelect
                | self.view.selectionModel().SelectionFlag.Rows)
            self.view.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        finally:
            self._syncing = False

    def current_event(self) -> int:
        index = self.view.currentIndex()
        return self.model.event_at(index.row()) if index.isValid() else -1


# -- filter bar ---------------------------------------------------------------------------------------

class FilterBar(QToolBar):
    """Scenario and action-type menus, free-text search (debounced), hide-in-table switch. A tool bar,
    so that on a narrow window the controls that do not fit move into its overflow menu."""

    filter_changed = Signal(object)        # EventFilter
    hide_changed = Signal(bool)
    previous_requested = Signal()
    next_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Filter", parent)
        self.setObjectName("filter_bar")
        self.setMovable(False)
        self.setFloatable(False)
        self.scenario_button = QToolButton(self)
        self.scenario_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.scenario_menu = QMenu(self)
        self.scenario_actions: dict[str, QAction] = {}
        for name in (*BASE_LANES, OTHER):
            act = self.scenario_menu.addAction(name)
            act.setCheckable(True)
            act.toggled.connect(self._on_menu_toggled)
            self.scenario_actions[name] = act
        self.scenario_button.setMenu(self.scenario_menu)
        self.action_button = QToolButton(self)
        self.action_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.action_menu = QMenu(self)
        self.action_actions: dict[str, QAction] = {}
        for name in ACTION_TYPES:
            act = self.action_menu.addAction(name)
            act.setCheckable(True)
            act.toggled.connect(self._on_menu_toggled)
            self.action_actions[name] = act
        self.action_button.setMenu(self.action_menu)
        self.text = QLineEdit(self)
        self.text.setObjectName("filter_text")
        self.text.setPlaceholderText("Search titles, keywords, OCR/ASR, dialogue… (Ctrl+F)")
        self.text.setClearButtonEnabled(True)
        self.text.setMinimumWidth(120)
        self.text.setMaximumWidth(520)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self._emit)
        self.text.textChanged.connect(lambda _t: self._debounce.start())
        self.text.returnPressed.connect(self._on_text_return_pressed)
        self.prev_button = QToolButton(self)
        self.prev_button.setText("◀")
        self.prev_button.setToolTip("Previous matching event (Shift+N)")
        self.prev_button.clicked.connect(self.previous_requested)
        self.next_button = QToolButton(self)
        self.next_button.setText("▶")
        self.next_button.setToolTip("Next matching event (N)")
        self.next_button.clicked.connect(self.next_requested)
        self.count = QLabel(self)
        self.count.setObjectName("filter_count")
        self.count.setMinimumWidth(80)
        self.hide_box = QCheckBox("Hide unmatched rows", self)
        self.hide_box.setToolTip("Hide non-matching events in the table (the timeline dims them)")
        self.hide_box.toggled.connect(self.hide_changed)
        self.clear_button = QToolButton(self)
        self.clear_button.setText("Clear")
        self.clear_button.clicked.connect(self.clear)
        label = QLabel(" Filter: ", self)
        for w in (label, self.scenario_button, self.action_button, self.text, self.prev_button,
                  self.next_button, self.count, self.hide_box, self.clear_button):
            self.addWidget(w)
        self._update_buttons()

    def current(self) -> EventFilter:
        return EventFilter(
            scenarios=frozenset(n for n, a in self.scenario_actions.items() if a.isChecked()),
            action_types=frozenset(n for n, a in self.action_actions.items() if a.isChecked()),
            text=self.text.text())

    def set_filter(self, flt: EventFilter) -> None:
        for n, a in self.scenario_actions.items():
            a.blockSignals(True)
            a.setChecked(n in flt.scenarios)
            a.blockSignals(False)
        for n, a in self.action_actions.items():
            a.blockSignals(True)
            a.setChecked(n in flt.action_types)
            a.blockSignals(False)
        self.text.blockSignals(True)
        self.text.setText(flt.text)
        self.text.blockSignals(False)
        self._emit()

    def set_available_actions(self, present: list[str]) -> None:
        for n, a in self.action_actions.items():
            a.setVisible(n in present or a.isChecked())

    def clear(self) -> None:
        self.set_filter(EventFilter())

    def set_count(self, matching: int, total: int, active: bool) -> None:
        self.count.setText(f"{matching:,} of {total:,} match" if active else f"{total:,} events")

    def _on_menu_toggled(self, _checked: bool) -> None:
        self._emit()

    def _on_text_return_pressed(self) -> None:
        if self._debounce.isActive():
            self._debounce.stop()
            self._emit()
        self.next_requested.emit()

    def _update_buttons(self) -> None:
        flt = self.current()
        n = len(flt.scenarios)
        self.scenario_button.setText("All scenarios ▾" if n == 0 else f"{n} scenario{'s' * (n > 1)} ▾")
        k = len(flt.action_types)
        self.action_button.setText("All actions ▾" if k == 0 else f"{k} action type{'s' * (k > 1)} ▾")

    def _emit(self) -> None:
        self._debounce.stop()
        self._update_buttons()
        self.filter_changed.emit(self.current())


# -- causal chain --------------------------------------------------------------------------------------

class ChainPanel(QWidget):
    """The causal chain of a conversion: each link (time, scenario, title), the gap in days from the
    previous link, the days before the conversion, the rule that matched, and the rule text."""

    event_chosen = Signal(int)
    find_requested = Signal(float)       # look-back days
    clear_requested = Signal()

    COLUMNS = ("Event", "Gap (d)", "Before (d)")
    EMPTY_TEXT = "Select a conversion (purchase, cart, ad activation) to trace what led to it."

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.header = QLabel(self.EMPTY_TEXT, self)
        self.header.setWordWrap(True)
        self.header.setObjectName("chain_header")
        self.rule = QLabel(self)
        self.rule.setWordWrap(True)
        self.rule.setObjectName("chain_rule")
        self.rule.setStyleSheet("color: #8a8f99; font-size: 11px;")
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("chain_tree")
        self.tree.setColumnCount(len(self.COLUMNS))
        self.tree.setHeaderLabels(list(self.COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setIndentation(14)
        self.tree.setAlternatingRowColors(False)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.currentItemChanged.connect(self._on_tree_current_changed)
        self.lookback = QDoubleSpinBox(self)
        self.lookback.setRange(1, 365)
        self.lookback.setDecimals(0)
        self.lookback.setValue(30)
        self.lookback.setPrefix("look back ")
        self.lookback.setSuffix(" d")
        self.lookback.setToolTip("Look-back window before the conversion, in days")
        self.find_button = QToolButton(self)
        self.find_button.setText("Trace selected")
        self.find_button.setToolTip("Backtrack from the selected event (Ctrl+L)")
        self.find_button.clicked.connect(lambda: self.find_requested.emit(float(self.lookback.value())))
        self.clear_button = QToolButton(self)
        self.clear_button.setText("Clear")
        self.clear_button.clicked.connect(self.clear_requested)
        row = QHBoxLayout()
        row.addWidget(self.lookback)
        row.addStretch(1)
        row.addWidget(self.find_button)
        row.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(row)
        layout.addWidget(self.header)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.rule)
        self.chain: Any = None
        self.rule_text = ""
        self._syncing = False

    def show_chain(self, chain: Any) -> None:
        """Show a :class:`workbench.traces.chains.CausalChain` (None clears)."""
        self.chain = chain
        self._syncing = True
        self.tree.clear()
        try:
            if chain is None:
                self.header.setText(self.EMPTY_TEXT)
                self.rule.setText("")
                self.rule.setToolTip("")
                self.rule_text = ""
                return
            when = chain.target_ts.strftime("%Y-%m-%d %H:%M")
            n = len(chain.links)
            if n:
                self.header.setText(
                    f"<b>{n} earlier event{'s' * (n != 1)}</b> led to <b>#{chain.target_index}</b> "
                    f"{_esc(chain.target_scenario)} “{_esc(_short(chain.target_title, 50))}” ({when}), "
                    f"over {chain.span_days:.1f} days.")
            else:
                self.header.setText(
                    f"No earlier event within {chain.lookback_days:g} days shares keywords, a category or "
                    f"the product with #{chain.target_index} “{_esc(_short(chain.target_title, 50))}” "
                    f"({chain.candidates:,} events examined).")
            self.rule.setText(
                f"<b>Rule</b>: within {chain.lookback_days:g} days before, rare shared keywords (IDF-"
                f"weighted), the same category or product; the search that opened a linked video's session. "
                f"<span style='color:#74c0fc'>Hover for the details.</span>")
            self.rule.setToolTip("<p style='white-space:normal'>" + _esc(chain.rule_text) + "</p>")
            self.rule_text = chain.rule_text
            dim = QColor("#9aa3b0")
            for i, link in enumerate(chain.links):
                item = QTreeWidgetItem([
                    f"{link.ts:%m-%d %H:%M}  {SHORT_SCENARIO.get(link.scenario, link.scenario)} · "
                    f"{_short(link.title, 70)}",
                    "—" if i == 0 else f"{link.gap_days:.1f}", f"{link.days_before:.1f}"])
                item.setData(0, EVENT_ID_ROLE, link.event_index)
                item.setToolTip(0, f"#{link.event_index} {link.ts:%Y-%m-%d %H:%M} {link.scenario}\n{link.title}")
                for c in (1, 2):
                    item.setTextAlignment(c, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                why = QTreeWidgetItem([f"matched: {link.rule} (score {link.score:g})"])
                why.setData(0, EVENT_ID_ROLE, link.event_index)
                why.setForeground(0, dim)
                item.addChild(why)
                self.tree.addTopLevelItem(item)
                why.setFirstColumnSpanned(True)
                item.setExpanded(True)
            last_gap = chain.gaps_days[-1] if chain.links else 0.0
            target = QTreeWidgetItem([
                f"{chain.target_ts:%m-%d %H:%M}  {SHORT_SCENARIO.get(chain.target_scenario, chain.target_scenario)} · "
                f"{_short(chain.target_title, 70)}",
                f"{last_gap:.1f}" if chain.links else "—", "0.0"])
            target.setData(0, EVENT_ID_ROLE, chain.target_index)
            font = target.font(0)
            font.setBold(True)
            for c in range(len(self.COLUMNS)):
                target.setFont(c, font)
                target.setForeground(c, QColor("#e599c6"))
            for c in (1, 2):
                target.setTextAlignment(c, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.tree.addTopLevelItem(target)
        finally:
            self._syncing = False

    def _on_tree_current_changed(self, current: QTreeWidgetItem | None, _prev: Any) -> None:
        if self._syncing or current is None:
            return
        ev = current.data(0, EVENT_ID_ROLE)
        if ev is not None:
            self.event_chosen.emit(int(ev))

    def rows(self) -> list[list[str]]:
        """[event text, gap, before, matched-by] per link, the conversion last (for tests and export)."""
        out = []
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            why = item.child(0).text(0) if item.childCount() else "the conversion"
            out.append([item.text(0), item.text(1), item.text(2), why])
        return out


SHORT_SCENARIO = {"Video Browsing": "Video", "Live Streaming": "Live", "E-commerce": "Shop",
                  "Customer Service": "Service", "Advertisement": "Ad", "Search Behavior": "Search"}


# -- bookmarks ----------------------------------------------------------------------------------------

class BookmarksPanel(QWidget):
    """Named bookmarks of the open source; activate to jump, edit the text to rename."""

    bookmark_activated = Signal(object)       # Bookmark
    add_requested = Signal()
    remove_requested = Signal(object)         # Bookmark
    rename_requested = Signal(object, str)    # Bookmark, new name

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget(self)
        self.list.setObjectName("bookmarks_list")
        self.list.itemActivated.connect(self._on_list_item_activated)
        self.list.itemChanged.connect(self._on_list_item_changed)
        add = QToolButton(self)
        add.setText("Add")
        add.setToolTip("Bookmark the selected event (Ctrl+B)")
        add.clicked.connect(self.add_requested)
        remove = QToolButton(self)
        remove.setText("Remove")
        remove.clicked.connect(self._on_remove_clicked)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        self._filling = False

    def set_bookmarks(self, bookmarks: list[Bookmark], describe: Any = None) -> None:
        self._filling = True
        try:
            self.list.clear()
            for b in bookmarks:
                item = QListWidgetItem(b.name)
                item.setData(Qt.ItemDataRole.UserRole, b)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
                where = f"{b.user_id} · event #{b.event_index}"
                if describe is not None:
                    where = describe(b) or where
                item.setToolTip(where)
                self.list.addItem(item)
        finally:
            self._filling = False

    def _on_list_item_activated(self, item: QListWidgetItem) -> None:
        b = item.data(Qt.ItemDataRole.UserRole)
        if b is not None:
            self.bookmark_activated.emit(b)

    def _on_list_item_changed(self, item: QListWidgetItem) -> None:
        if self._filling:
            return
        b = item.data(Qt.ItemDataRole.UserRole)
        name = item.text().strip()
        if b is not None and name and name != b.name:
            self.rename_requested.emit(b, name)

    def _on_remove_clicked(self) -> None:
        item = self.list.currentItem()
        if item is not None and item.data(Qt.ItemDataRole.UserRole) is not None:
            self.remove_requested.emit(item.data(Qt.ItemDataRole.UserRole))


# -- errors -------------------------------------------------------------------------------------------

class ErrorBanner(QFrame):
    """A non-modal strip that shows the latest error; closes with its button (never blocks)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("error_banner")
        self.setStyleSheet("#error_banner { background: #5c1f24; border-bottom: 1px solid #a33; }"
                           "#error_banner QLabel { color: #ffe3e3; }")
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton(self)
        close.setText("✕")
        close.setToolTip("Dismiss")
        close.setAutoRaise(True)
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_error(self, title: str, message: str, count: int = 1) -> None:
        more = f"  <i>({count} errors this session)</i>" if count > 1 else ""
        self.label.setText(f"<b>{_esc(title)}</b>: {_esc(message)}{more}")
        self.show()


def _esc(text: Any) -> str:
    import html

    return html.escape(str(text))


def _short(text: Any, n: int) -> str:
    s = " ".join(str(text or "").split())
    return s if len(s) <= n else s[: n - 1] + "…"


def scroll_body(owner: QWidget, margins: int = 4) -> QVBoxLayout:
    """Give ``owner`` one scroll area filling it and return the layout of the area's content.

    A heavy panel built in this body never forces its dock (and so the window) taller or wider than
    the screen: squeezed, it scrolls; with room, its content stretches as before."""
    from PySide6.QtWidgets import QScrollArea

    area = QScrollArea(owner)
    area.setObjectName(f"{owner.objectName() or 'panel'}_scroll")
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    body = QWidget(area)
    body.setObjectName("scroll_body")
    area.setWidget(body)
    outer = QVBoxLayout(owner)
    outer.setContentsMargins(0, 0, 0, 0)
    outer.addWidget(area)
    inner = QVBoxLayout(body)
    inner.setContentsMargins(margins, margins, margins, margins)
    return inner

