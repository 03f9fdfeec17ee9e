"""Every user as a row: an activity heat strip and sortable figures. Layer: widgets (Qt only; knows
nothing of the workbench: it takes user ids, numpy columns and an activity matrix).

:class:`PopulationView` shows one row per user: the id, a heat strip of events per day (one pixel
column per day, darker = more events, on a log scale shared by all users), then any number of
numeric columns (counts or shares). Click a header to sort, type in the filter box to keep the users
whose id contains the text; double-click or Enter on a row emits :attr:`PopulationView.user_chosen`.
The heat strips are one QImage (users x days) drawn scaled per cell, so 200 users repaint in a few
milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QRect, Qt, Signal
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStyledItemDelegate,
    QTableView,
    QVBoxLayout,
    QWidget,
)

__all__ = ["Column", "PopulationModel", "PopulationView"]

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
STRIP_COLUMN = 1


@dataclass(frozen=True)
class Column:
    """One numeric column: ``kind`` is ``"count"`` (integers) or ``"share"`` (0-1, shown as %)."""

    key: str
    header: str
    values: np.ndarray
    kind: str = "share"
    tip: str = ""


def _heat_image(activity: np.ndarray) -> QImage:
    """users x days counts -> an ARGB image, white (none) to deep blue (the busiest day), log scale."""
    a = np.asarray(activity, dtype=float)
    if a.size == 0:
        return QImage()
    top = np.log1p(a.max()) or 1.0
    t = np.log1p(a) / top
    rgb = np.empty(a.shape + (4,), dtype=np.uint8)
    rgb[..., 0] = (250 - 40 * t).astype(np.uint8)       # B (bytes are B, G, R, A)
    rgb[..., 1] = (250 - 170 * t).astype(np.uint8)      # G
    rgb[..., 2] = (250 - 230 * t).astype(np.uint8)      # R
    rgb[..., 3] = 255
    rgb[a == 0] = (245, 244, 242, 255)
    h, w = a.shape
    img = QImage(np.ascontiguousarray(rgb).data, w, h, 4 * w, QImage.Format.Format_ARGB32)
    return img.copy()                                   # own the pixels (the array goes away)


class PopulationModel(QAbstractTableModel):
    """Rows = users (after filter and sort), columns = id, heat strip, then the numeric columns."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.users: list[str] = []
        self.columns: list[Column] = []
        self.activity = np.zeros((0, 0), dtype=np.int32)
        self.days: list[str] = []
        self.image = QImage()
        self.rows = np.zeros(0, dtype=np.int64)       # visible rows -> source user positions
        self._filter = ""
        self._sort: tuple[int, Qt.SortOrder] = (0, Qt.SortOrder.AscendingOrder)

    def set_data(self, users: Sequence[str], columns: Sequence[Column], activity: np.ndarray,
                 days: Sequence[str]) -> None:
        """Replace everything. ``activity`` is users x days; every column has one value per user."""
        for c in columns:
            if len(c.values) != len(users):
                raise ValueError(f"column {c.key!r}: {len(c.values)} values for {len(users)} users")
        if activity.shape[0] != len(users):
            raise ValueError(f"activity: {activity.shape[0]} rows for {len(users)} users")
        self.beginResetModel()
        self.users = list(users)
        self.columns = list(columns)
        self.activity = np.asarray(activity)
        self.days = list(days)
        self.image = _heat_image(self.activity)
        self._recompute()
        self.endResetModel()

    def set_filter(self, text: str) -> None:
        """Keep the users whose id contains ``text`` (case-insensitive)."""
        self.beginResetModel()
        self._filter = text.strip().lower()
        self._recompute()
        self.endResetModel()

    def _key(self, column: int) -> list[object]:
        if column == 0:
            return list(self.users)
        if column == STRIP_COLUMN:
            return [int(x) for x in self.activity.sum(axis=1)] if self.activity.size else [0] * len(self.users)
        vals = self.columns[column - 2].values
        return [(-np.inf if not np.isfinite(v) else float(v)) for v in vals.astype(float)]

    def _recompute(self) -> None:
        idx = [i for i, u in enumerate(self.users) if self._filter in u.lower()]
        col, order = self._sort
        if 0 <= col < self.columnCount():
            key = self._key(col)
            idx.sort(key=lambda i: (key[i], self.users[i]),
                     reverse=order == Qt.SortOrder.DescendingOrder)
        self.rows = np.asarray(idx, dtype=np.int64)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        self._sort = (column, order)
        self._recompute()
        self.layoutChanged.emit()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 2 + len(self.columns)

    def user_at(self, row: int) -> str:
        """The user shown in visible row ``row``."""
        return self.users[int(self.rows[row])]

    def row_of(self, user_id: str) -> int:
        """The visible row of ``user_id``, -1 when filtered out or unknown."""
        try:
            src = self.users.index(user_id)
        except ValueError:
            return -1
        hit = np.flatnonzero(self.rows == src)
        return int(hit[0]) if len(hit) else -1

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            if section == 0:
                return "user"
            if section == STRIP_COLUMN:
                return "activity by day" if self.days else "activity"
            return self.columns[section - 2].header
        if role == Qt.ItemDataRole.ToolTipRole and section == STRIP_COLUMN and self.days:
            # the range is here and in the summary line: in the header it was wider than the column
            return (f"Events per day, {self.days[0]} – {self.days[-1]}: white for none, deepest blue "
                    f"for the busiest day of all users (log scale)")
        if role == Qt.ItemDataRole.ToolTipRole and section >= 2:
            return self.columns[section - 2].tip or None
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        src = int(self.rows[index.row()])
        col = index.column()
        if role == SORT_ROLE:
            return src
        if col == 0:
            return self.users[src] if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole) \
                else None
        if col == STRIP_COLUMN:
            if role == Qt.ItemDataRole.ToolTipRole and self.activity.size:
                row = self.activity[src]
                return (f"{int(row.sum())} events on {int((row > 0).sum())} of {len(row)} days; "
                        f"busiest day {int(row.max())} events")
            return None
        c = self.columns[col - 2]
        v = float(c.values[src])
        if role == Qt.ItemDataRole.DisplayRole:
            if not np.isfinite(v):
                return "–"
            return f"{int(v):,}" if c.kind == "count" else f"{100 * v:.1f}%"
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class _StripDelegate(QStyledItemDelegate):
    """Draws the user's row of the heat image scaled into the cell."""

    def __init__(self, model: PopulationModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model

    def paint(self, painter: QPainter, option: object, index: QModelIndex) -> None:
        super().paint(painter, option, index)         # selection background
        img = self._model.image
        if img.isNull():
            return
        src = int(index.data(SORT_ROLE))
        r: QRect = option.rect.adjusted(2, 3, -2, -3)  # type: ignore[attr-defined]
        painter.drawImage(r, img, QRect(0, src, img.width(), 1))


class PopulationView(QWidget):
    """Filter box, summary line and the users table. Emits :attr:`user_chosen` on double-click or
    Enter."""

    user_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = PopulationModel(self)
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText("Filter users by id…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self.model.set_filter)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(STRIP_COLUMN, _StripDelegate(self.model, self.table))
        self.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setWordWrap(False)
        head = self.table.horizontalHeader()
        head.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        head.setStretchLastSection(False)
        head.setMinimumSectionSize(40)
        self.table.doubleClicked.connect(self._on_table_double_clicked)
        self.table.activated.connect(self._on_table_double_clicked)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.filter_edit)
        lay.addWidget(self.summary)
        lay.addWidget(self.table, 1)

    def set_population(self, users: Sequence[str], columns: Sequence[Column], activity: np.ndarray,
                       days: Sequence[str], summary: str = "") -> None:
        """Show these users (see :meth:`PopulationModel.set_data`) and a one-line summary."""
        self.model.set_data(users, columns, activity, days)
        self.summary.setText(summary)
        self.summary.setVisible(bool(summary))
        self.table.resizeColumnToContents(0)
        self.table.setColumnWidth(STRIP_COLUMN, max(120, min(3 * len(days), 360)))
        for c in range(2, self.model.columnCount()):
            self.table.resizeColumnToContents(c)

    def set_current(self, user_id: str) -> None:
        """Select ``user_id``'s row (when visible) without emitting :attr:`user_chosen`."""
        row = self.model.row_of(user_id)
        if row >= 0:
            self.table.selectRow(row)
            self.table.scrollTo(self.model.index(row, 0))

    def _on_table_double_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.user_chosen.emit(self.model.user_at(index.row()))

