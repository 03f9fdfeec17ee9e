"""The Evaluation panel's tables: the model x scenario metric matrix and the cases behind a cell. Layer: app (Qt).

:class:`MetricMatrixModel` shows :func:`workbench.evaluate.matrix.metric_matrix` rows;
:class:`CasesModel` shows prediction rows (real against predicted, the raw answer, a resampled
run's answer distribution).
"""

from __future__ import annotations

from typing import Any, Sequence

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor

from workbench.app.list_model import CaseRowsModel, ListTableModel

__all__ = ["CasesModel", "MetricMatrixModel", "scenario_en"]

_Index = QModelIndex


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.1f}" if abs(v) < 1e5 else f"{v:.3g}"
    return str(v)


class MetricMatrixModel(ListTableModel):
    """Rows = (model, scenario); columns = model, scenario, then the metrics of ``COLUMNS``."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        from workbench.evaluate.matrix import COLUMNS

        self.columns = COLUMNS
        self.HEADERS = ("Model", "Scenario", *(c[1] for c in COLUMNS))
        self.HEADER_TIPS = ("", "", *(c[2] for c in COLUMNS))

    @property
    def rows(self) -> list[Any]:
        """The matrix rows shown, one per table row."""
        return self.items

    def set_rows(self, rows: Sequence[Any]) -> None:
        """Show these :func:`~workbench.evaluate.matrix.metric_matrix` rows."""
        self.set_items(rows)

    def metric_at(self, column: int) -> str | None:
        """The metric key shown in ``column`` (None for the model and scenario columns)."""
        return self.columns[column - 2][0] if column >= 2 else None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return row.model
            if col == 1:
                return scenario_en(row.scenario)
            return _fmt(row.values.get(self.columns[col - 2][0]))
        if role == Qt.ItemDataRole.TextAlignmentRole and col >= 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and col >= 2 and self.columns[col - 2][0] == "rate_gap":
            v = row.values.get("rate_gap")
            if isinstance(v, (int, float)):
                return QColor("#E69F00") if v > 5 else QColor("#56B4E9") if v < -5 else None
        if role == Qt.ItemDataRole.ToolTipRole and col >= 2:
            return (f"{row.model} · {scenario_en(row.scenario)} · {self.columns[col - 2][2]}. "
                    "Click to list the cases.")
        return None


class CasesModel(CaseRowsModel):
    """Prediction rows: user, event, field, real, predicted, raw output, and for a resampled run the
    answers over the samples (``Yes 9/10 · No 1/10``)."""

    HEADERS = ("User", "Event", "Field", "Real", "Predicted", "Answer", "Samples")

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        c = self.cases[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return str(c.get("user_id", ""))
            if col == 1:
                return str(c.get("event_index", ""))
            if col == 2:
                return str(c.get("field", ""))
            if col == 3:
                return _short(c.get("true_value"))
            if col == 4:
                if not c.get("parse_ok"):
                    return "(no answer)"
                return _short(c.get("predicted_label") if c.get("kind") == "binary" else c.get("predicted_value"))
            if col == 6:
                return str(c.get("samples_text") or "")
            return _short(c.get("raw_output") or c.get("error"), 80)
        if role == Qt.ItemDataRole.ForegroundRole and col == 4:
            if not c.get("parse_ok"):
                return QColor("#D55E00")
            if c.get("kind") == "binary":
                try:
                    same = int(float(c.get("true_value"))) == int(c.get("predicted_label"))
                except (TypeError, ValueError):
                    same = False
                return QColor("#009E73") if same else QColor("#D55E00")
        if role == Qt.ItemDataRole.ToolTipRole:
            return str(c.get("raw_output") or c.get("error") or "")
        return None


def _short(v: Any, n: int = 24) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        s = f"{v:g}"
    else:
        s = str(v).replace("\n", " ")
    return s if len(s) <= n else s[: n - 1] + "…"


def scenario_en(name: str) -> str:
    """The English name of a scenario (a name the schema does not know is returned as it is)."""
    from workbench.traces.schema import english_scenario

    return english_scenario(name)
