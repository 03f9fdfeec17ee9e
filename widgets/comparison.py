"""Side-by-side comparison table: one row per question, the real value, then one column per model.

Layer: widgets. Imports nothing from ``workbench``: it takes small dataclasses. Each model cell shows
a short text (label, probability) with the full text (raw output, error) in its tooltip; cells that
disagree with the real value are tinted red, agreeing ones green, failures grey and italic; rows where
any two models disagree with each other get a marker in the first column. Long text (a predicted
customer-service message beside the real one) wraps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QVBoxLayout, QWidget

__all__ = ["ComparisonCell", "ComparisonRow", "ComparisonTable", "AGREE_BG", "DISAGREE_BG", "FAILED_BG"]

AGREE_BG = "#dff3df"
DISAGREE_BG = "#f9d6d5"
FAILED_BG = "#ececec"
TINTED_FG = "#1b1b1b"
PENDING_TEXT = "…"


@dataclass(frozen=True)
class ComparisonCell:
    text: str = ""                 # what the cell shows
    tooltip: str = ""              # full detail (raw output, error)
    agrees: bool | None = None     # with the real value; None = not comparable / pending
    failed: bool = False
    pending: bool = False
    key: str | None = None         # what "same answer" compares (defaults to text), e.g. the label


@dataclass(frozen=True)
class ComparisonRow:
    label: str                     # question name
    real: str                      # real value as text
    cells: Sequence[ComparisonCell] = field(default_factory=tuple)
    kind: str = ""


class ComparisonTable(QWidget):
    """A read-only table: question | real | model 1 | model 2 | ..."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = QStandardItemModel(0, 2, self)
        self._view = QTableView(self)
        self._view.setModel(self._model)
        self._view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self._view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self._view.setWordWrap(True)
        self._view.verticalHeader().setVisible(False)
        self._view.horizontalHeader().setStretchLastSection(True)
        self._view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._view)
        self._columns: list[str] = []
        self._rows: list[ComparisonRow] = []

    @property
    def view(self) -> QTableView:
        return self._view

    def columns(self) -> list[str]:
        return list(self._columns)

    def set_data(self, columns: Sequence[str], rows: Sequence[ComparisonRow]) -> None:
        """Replace the table. ``columns`` are the model names; each row has one cell per column."""
        self._columns = list(columns)
        self._rows = list(rows)
        self._model.clear()
        self._model.setHorizontalHeaderLabels(["question", "real", *self._columns])
        for _r, row in enumerate(self._rows):
            self._model.appendRow(self._row_items(row))
        self._fit()

    def set_cell(self, row: int, column: int, cell: ComparisonCell) -> None:
        """Update one model cell (``column`` indexes ``columns``)."""
        if not (0 <= row < len(self._rows) and 0 <= column < len(self._columns)):
            return
        cells = list(self._rows[row].cells) + [ComparisonCell(pending=True)] * (len(self._columns) - len(self._rows[row].cells))
        cells[column] = cell
        self._rows[row] = ComparisonRow(self._rows[row].label, self._rows[row].real, tuple(cells), self._rows[row].kind)
        self._model.setItem(row, column + 2, self._cell_item(cell))
        self._model.setItem(row, 0, self._label_item(self._rows[row]))
        self._view.resizeColumnToContents(0)
        self._view.resizeRowToContents(row)

    def cell_text(self, row: int, column: int) -> str:
        item = self._model.item(row, column)
        return item.text() if item is not None else ""

    def cell_background(self, row: int, column: int) -> str:
        item = self._model.item(row, column)
        if item is None:
            return ""
        brush = item.background()
        return brush.color().name() if brush.style() != Qt.BrushStyle.NoBrush else ""

    def row_count(self) -> int:
        return self._model.rowCount()

    def rows(self) -> list[ComparisonRow]:
        return list(self._rows)

    # -- helpers -----------------------------------------------------------------------------------
    @staticmethod
    def models_disagree(row: ComparisonRow) -> bool:
        keys = {c.key if c.key is not None else c.text for c in row.cells
                if not c.failed and not c.pending and (c.key or c.text)}
        return len(keys) > 1

    def _label_item(self, row: ComparisonRow) -> QStandardItem:
        mark = " ≠" if self.models_disagree(row) else ""
        item = QStandardItem(row.label + mark)
        item.setToolTip(f"{row.label} ({row.kind})" + (": the models disagree with each other" if mark else ""))
        if mark:
            font = QFont()
            font.setBold(True)
            item.setFont(font)
        return item

    def _row_items(self, row: ComparisonRow) -> list[QStandardItem]:
        real = QStandardItem(row.real)
        real.setToolTip(row.real)
        cells = list(row.cells) + [ComparisonCell(pending=True)] * (len(self._columns) - len(row.cells))
        return [self._label_item(row), real, *(self._cell_item(c) for c in cells[: len(self._columns)])]

    @staticmethod
    def _cell_item(cell: ComparisonCell) -> QStandardItem:
        item = QStandardItem(PENDING_TEXT if cell.pending else cell.text)
        item.setToolTip(cell.tooltip or cell.text)
        if cell.failed or cell.agrees is not None:
            item.setForeground(QBrush(QColor(TINTED_FG)))     # readable on the pale tints in dark themes
        if cell.failed:
            item.setBackground(QBrush(QColor(FAILED_BG)))
            font = QFont()
            font.setItalic(True)
            item.setFont(font)
        elif cell.agrees is True:
            item.setBackground(QBrush(QColor(AGREE_BG)))
        elif cell.agrees is False:
            item.setBackground(QBrush(QColor(DISAGREE_BG)))
        return item

    def _fit(self) -> None:
        header = self._view.horizontalHeader()
        self._view.resizeColumnsToContents()
        for col in range(self._model.columnCount()):
            if header.sectionSize(col) > 320:
                header.resizeSection(col, 320)
        self._view.resizeRowsToContents()
