"""A read-only table model over a list of items, one item per row. Layer: app (Qt item models).

:class:`ListTableModel` owns the boilerplate the docks' tables share (row and column counts, the
horizontal header with optional tooltips, replacing the items with a model reset); a subclass names
its columns in ``HEADERS`` and implements ``data``. Used by the Evaluation, OPeRA and Compare docks.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt

__all__ = ["CaseRowsModel", "ListTableModel"]


class ListTableModel(QAbstractTableModel):
    """A read-only table over :attr:`items`, one per row, with the columns named in ``HEADERS``
    (a class or instance attribute) and the header tooltips in ``HEADER_TIPS`` (by column; a
    missing or empty one shows none)."""

    HEADERS: tuple[str, ...] = ()
    HEADER_TIPS: tuple[str, ...] = ()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.items: list[Any] = []

    def set_items(self, items: Iterable[Any]) -> None:
        """Show these items (a model reset: views drop their selection)."""
        self.beginResetModel()
        self.items = list(items)
        self.endResetModel()

    def item_at(self, row: int) -> Any:
        """The item shown in ``row`` (IndexError when there is none)."""
        return self.items[row]

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802 (Qt naming), B008 (Qt's default)
        return 0 if parent.isValid() else len(self.items)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802 (Qt naming), B008 (Qt's default)
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 (Qt naming)
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        if role == Qt.ItemDataRole.ToolTipRole and section < len(self.HEADER_TIPS):
            return self.HEADER_TIPS[section] or None
        return None


class CaseRowsModel(ListTableModel):
    """A :class:`ListTableModel` over prediction rows (``predictions.jsonl`` dicts), one per row."""

    @property
    def cases(self) -> list[Mapping[str, Any]]:
        """The prediction rows shown, one per table row."""
        return self.items

    def set_cases(self, cases: Sequence[Mapping[str, Any]]) -> None:
        """Show these prediction rows."""
        self.set_items(cases)

    def case_at(self, row: int) -> Mapping[str, Any]:
        """The prediction row shown in ``row`` (IndexError when there is none)."""
        return self.items[row]
