"""The Cases panel's widgets and their layout. Layer: app (Qt).

The filter row, the case list and the detail area (:class:`~workbench.app.cases_detail.CaseDetail`)
in a vertical splitter, on the *Cases* tab beside the *Agreement* tab; the annotator line sits in
the tab bar's corner. In a short dock (the bottom dock of a 1366 x 768 window is about 200 pixels
high) the list keeps at least :data:`LIST_MIN_ROWS` rows and the panel scrolls to the detail;
with room to spare the splitter gives the list and the detail 3 : 2 of it.

:class:`CaseLayoutMixin` is part of :class:`workbench.app.cases_panel.CasesPanel`.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QSizePolicy, QSplitter, QTableView, QTabWidget, QVBoxLayout, QWidget)

from workbench.app.agreement_view import AgreementView
from workbench.app.cases_detail import CaseDetail
from workbench.app.cases_model import CasesTableModel

#: Rows of the case list always in sight (the panel scrolls to the detail below when squeezed).
LIST_MIN_ROWS = 6
#: Height of one row of the case list, pixels.
ROW_HEIGHT = 22


class CaseLayoutMixin:
    """Builds the panel's widgets (the panel connects them to its actions)."""

    model: CasesTableModel
    view: QTableView
    detail: CaseDetail
    splitter: QSplitter

    def _build_ui(self: Any) -> None:
        self.setObjectName("cases_panel")
        top = self._build_filters()
        self._build_list()
        self.detail = CaseDetail(self)
        self._wire_detail(self.detail)
        splitter = self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.setObjectName("cases_splitter")
        splitter.addWidget(self.view)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)      # the details keep room for every line they hold
        splitter.setSizes([3000, 2000])             # with room, 3 : 2 from the start (not by size hints)
        from workbench.app.panels import scroll_body

        self.cases_page = QWidget(self)
        page = QVBoxLayout(self.cases_page)
        page.setContentsMargins(0, 4, 0, 0)
        page.addLayout(top)
        page.addWidget(splitter, 1)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("cases_tabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.cases_page, "Cases")
        self.tabs.setCornerWidget(self.who_label, Qt.Corner.TopRightCorner)   # a row less above the list
        layout = scroll_body(self)          # squeezed by other docks, the panel scrolls
        layout.addWidget(self.notice_label)
        layout.addWidget(self.tabs, 1)
        self._set_detail_enabled(False)
        self.note_edit.installEventFilter(self)
        for w in (self, *self.findChildren(QWidget)):
            self._route_keys_of(w)
        # built after the routing: the Agreement tab's keys (Y/N) are its own, not review keys
        self.agreement = AgreementView(self)
        self.tabs.addTab(self.agreement, "Agreement")
        self.tabs.currentChanged.connect(lambda _i: self._sync_agreement())
        self.agreement.adjudicated.connect(self._on_adjudicated)

    def _build_filters(self: Any) -> QHBoxLayout:
        self.who_label = QLabel("", self)
        self.who_label.setObjectName("cases_annotator")
        self.who_label.setTextFormat(Qt.TextFormat.PlainText)
        self.who_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.notice_label = QLabel("", self)
        self.notice_label.setObjectName("cases_notice")
        self.notice_label.setTextFormat(Qt.TextFormat.PlainText)
        self.notice_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.notice_label.setStyleSheet("color: #b45309; font-weight: bold;")
        self.notice_label.hide()
        self._update_who()
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setObjectName("cases_filter")
        self.filter_edit.setPlaceholderText("Filter cases (note, user, field, model, tag)…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._on_filter_edit_text_changed)
        self.tag_filter = QComboBox(self)
        self.tag_filter.setObjectName("cases_tag_filter")
        self.tag_filter.currentIndexChanged.connect(self._on_tag_filter_changed)
        self.queue_combo = QComboBox(self)
        self.queue_combo.setObjectName("cases_queue")
        self.queue_combo.setToolTip("Walk an annotation queue (J/K or ]/[ for next/previous)")
        self.queue_combo.currentIndexChanged.connect(self._on_queue_combo_changed)
        for combo in (self.tag_filter, self.queue_combo):   # never as wide as the longest entry
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(8)
        top = QHBoxLayout()
        top.addWidget(self.filter_edit, 3)
        top.addWidget(self.tag_filter, 1)
        top.addWidget(QLabel("Queue:", self))
        top.addWidget(self.queue_combo, 2)
        return top

    def _build_list(self: Any) -> None:
        self.model = CasesTableModel(self)
        self.view = QTableView(self)
        self.view.setObjectName("cases_view")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        self.view.setWordWrap(False)
        header = self.view.horizontalHeader()
        for col in range(len(CasesTableModel.COLUMNS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)
        self.view.selectionModel().currentRowChanged.connect(self._on_view_current_changed)
        self.view.doubleClicked.connect(lambda _i: self.reopen_current())
        frame = 2 * self.view.frameWidth()
        self.view.setMinimumHeight(header.sizeHint().height() + LIST_MIN_ROWS * ROW_HEIGHT + frame)

    def _wire_detail(self: Any, d: CaseDetail) -> None:
        """Keep the detail's widgets under the panel's names and connect them to the actions."""
        self.title_label, self.compare_label, self.tag_box, self.tag_bar = (d.title_label, d.compare_label,
                                                                             d.tag_box, d.tag_bar)
        self.severity, self.note_edit, self.save_label, self.queue_label = (d.severity, d.note_edit,
                                                                            d.save_label, d.queue_label)
        self.prev_button, self.next_button, self.reopen_button = d.prev_button, d.next_button, d.reopen_button
        self.present_button, self.delete_button, self.export_button = (d.present_button, d.delete_button,
                                                                       d.export_button)
        self.severity.valueChanged.connect(self._on_severity_value_changed)
        self.note_edit.textChanged.connect(self._on_note_edit_text_changed)
        self.prev_button.clicked.connect(self.previous_item)
        self.next_button.clicked.connect(self.next_item)
        self.reopen_button.clicked.connect(self.reopen_current)
        self.present_button.clicked.connect(self._on_present_button_clicked)
        self.delete_button.clicked.connect(self.delete_selected)
        self.export_button.clicked.connect(self.export_requested)
