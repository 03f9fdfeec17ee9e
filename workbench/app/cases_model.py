"""The Cases panel's list: the listed cases as a Qt table model, and the one-line comparison of a
case's real values with each model's answer. Layer: app (Qt)."""

from __future__ import annotations

from typing import Any, Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from workbench.annotate.model import Case
from workbench.annotate.taxonomy import Tag
from workbench.annotate.values import value_text

_Index = QModelIndex | QPersistentModelIndex
CASE_ID_ROLE = Qt.ItemDataRole.UserRole

class CasesTableModel(QAbstractTableModel):
    """The listed cases (a plain list of frozen :class:`Case` objects; small by nature)."""

    COLUMNS = ("User", "Where", "Scenario", "Fields", "Tags", "Sev", "Note", "Updated")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.cases: list[Case] = []
        self.tag_labels: dict[str, str] = {}

    def set_cases(self, cases: Sequence[Case], tags: Sequence[Tag] = ()) -> None:
        self.beginResetModel()
        self.cases = list(cases)
        if tags:
            self.tag_labels = {t.name: t.label for t in tags}
        self.endResetModel()

    def replace_case(self, case: Case) -> None:
        row = self.row_of(case.id)
        if row >= 0:
            self.cases[row] = case
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.COLUMNS) - 1))

    def case_at(self, row: int) -> Case | None:
        return self.cases[row] if 0 <= row < len(self.cases) else None

    def row_of(self, case_id: str) -> int:
        return next((i for i, c in enumerate(self.cases) if c.id == case_id), -1)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802 (Qt naming)
        return 0 if parent.isValid() else len(self.cases)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        case = self.case_at(index.row()) if index.isValid() else None
        if case is None:
            return None
        col = index.column()
        if role == CASE_ID_ROLE:
            return case.id
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return case.user_id
            if col == 1:
                return f"#{case.event_index}" if case.event_index is not None else \
                    f"{case.start_ts} … {case.end_ts}"
            if col == 2:
                return case.scenario
            if col == 3:
                return ", ".join(case.fields)
            if col == 4:
                return ", ".join(self.tag_labels.get(t, t) for t in case.tags)
            if col == 5:
                return str(case.severity)
            if col == 6:
                return " ".join(case.note.split())[:200]
            if col == 7:
                return case.updated[:19].replace("T", " ")
        if role == Qt.ItemDataRole.ToolTipRole and col == 6:
            return case.note[:2000] or None
        if role == Qt.ItemDataRole.ForegroundRole and col == 5 and case.severity >= 2:
            return QColor("#c2410c")
        return None


def compare_text(case: Case) -> str:
    """One line per field: real value against each model's answer (Yes/No, plain numbers)."""
    lines = []
    for f in case.fields:
        real = case.real_values.get(f)
        preds = [p for p in case.predictions if p.field == f]
        parts = [f"{f}: real {value_text(f, real, 60)}"]
        for p in preds:
            if not p.parse_ok:
                parts.append(f"{p.model} not parsed")
            else:
                shown = p.predicted_label if p.predicted_label is not None else p.predicted_value
                parts.append(f"{p.model} {value_text(f, shown, 60)}")
        lines.append(" · ".join(parts))
    if case.is_range:
        lines.append(f"{len(case.neighbours)} event(s) around the range")
    return "\n".join(lines[:8]) + ("\n…" if len(lines) > 8 else "")
