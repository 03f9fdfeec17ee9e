"""The OPeRA evaluation dock's tables and run reader. Layer: app (Qt item models).

:class:`OperaMatrixModel` (one row per model, the figures of :data:`MATRIX_COLUMNS`),
:class:`OperaCasesModel` (one model's predicted steps beside the shopper's) and
:func:`read_opera_run` (a run folder's rows and report, on a worker thread), used by
:class:`workbench.app.opera_panel.OperaEvalPanel`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor

from workbench.app.list_model import CaseRowsModel, ListTableModel

if TYPE_CHECKING:
    from workbench.tasks import TaskState

__all__ = ["MATRIX_COLUMNS", "OperaCasesModel", "OperaMatrixModel", "read_opera_run"]

_Index = QModelIndex

# (report key, header, tooltip) of the matrix columns after "Model"
MATRIX_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("next_action_accuracy", "Accuracy %", "Exact match of the whole next action (type, click type and "
     "target, or the typed text), over every predicted step"),
    ("action_type_macro_f1", "Type macro-F1", "F1 of the action type (click / input / terminate), "
     "unweighted mean over the types"),
    ("click_type_weighted_f1", "Click weighted-F1", "F1 of the click type over the steps that really are "
     "clicks, weighted by the true click types' support"),
    ("session_purchase_f1", "Purchase F1", "Per session: did it end in a purchase, and did the model "
     "predict a purchase click at any of its steps"),
    ("terminate_rate_true", "Shopper stops %", "Share of the steps where the shopper ended the session"),
    ("terminate_rate_predicted", "Model stops %", "Share of the steps where the model ended the session; "
     "far below the shopper's share: the model never lets the shopper leave"),
    ("parse_failures", "Unread", "Answers that could not be read as an action (counted as wrong)"),
    ("actions", "Steps", "Predicted steps"),
)


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.1f}"
    return str(v)


class OperaMatrixModel(ListTableModel):
    """One row per model: the figures of ``report["models"][model]`` in :data:`MATRIX_COLUMNS`."""

    HEADERS = ("Model", *(c[1] for c in MATRIX_COLUMNS))
    HEADER_TIPS = ("", *(c[2] for c in MATRIX_COLUMNS))

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.figures: dict[str, Mapping[str, Any]] = {}

    @property
    def models(self) -> list[str]:
        """The models shown, one per row."""
        return self.items

    def set_report(self, models: Mapping[str, Mapping[str, Any]]) -> None:
        """Show ``{model: opera_metrics(...)}`` (the report's ``models``)."""
        self.figures = dict(models)
        self.set_items(models)

    def value(self, row: int, key: str) -> Any:
        """The figure ``key`` of the model in ``row``."""
        return self.figures[self.models[row]].get(key)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        model, col = self.models[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return model if col == 0 else _fmt(self.value(index.row(), MATRIX_COLUMNS[col - 1][0]))
        if role == Qt.ItemDataRole.TextAlignmentRole and col > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and col > 0 and MATRIX_COLUMNS[col - 1][0] == "terminate_rate_predicted":
            true, pred = self.value(index.row(), "terminate_rate_true"), self.value(index.row(), "terminate_rate_predicted")
            if isinstance(true, (int, float)) and isinstance(pred, (int, float)) and pred < true / 2:
                return QColor("#E69F00")   # stops far less often than the shopper
        if role == Qt.ItemDataRole.ToolTipRole:
            return model if col == 0 else f"{model} · {MATRIX_COLUMNS[col - 1][2]}. Click to list its steps."
        return None


class OperaCasesModel(CaseRowsModel):
    """Prediction rows of one model: user, event, real action, predicted action, match, and the two
    reasons (the shopper's rationale, the model's stated reason)."""

    HEADERS = ("User", "Event", "Real action", "Predicted action", "Match", "Shopper's rationale",
               "Model's reason")

    def _text(self, c: Mapping[str, Any], col: int) -> str:
        if col == 0:
            return str(c.get("user_id", ""))[:8]
        if col == 1:
            return str(c.get("event_index", ""))
        if col == 2:
            return str(c.get("true_value") or "")
        if col == 3:
            return str(c.get("predicted_value") or f"(unread: {c.get('error') or 'no answer'})")
        if col == 4:
            return "✓" if c.get("exact") else "✗"
        if col == 5:
            return str(c.get("real_rationale") or "")
        return str(c.get("reason") or "")

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        c, col = self.cases[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            text = self._text(c, col)
            return text if len(text) <= 80 else text[:79] + "…"
        if role == Qt.ItemDataRole.ToolTipRole:
            return (str(c.get("user_id")) if col == 0 else self._text(c, col)) or None
        if role == Qt.ItemDataRole.ForegroundRole and col == 4:
            return QColor("#009E73") if c.get("exact") else QColor("#D55E00")
        return None


def read_opera_run(task: TaskState, folder: str | Path) -> tuple[Path, list[dict[str, Any]], dict[str, Any]]:
    """The rows and report of the OPeRA run in ``folder`` (worker thread). The report is recomputed
    from ``predictions.jsonl`` when ``report.json`` is missing (an interrupted run). Raises
    ValueError naming the file when the folder holds no OPeRA predictions."""
    import json

    from workbench.evaluate.batch import read_rows
    from workbench.evaluate.opera_batch import ask_why
    from workbench.evaluate.opera_metrics import opera_report
    from workbench.simulate.opera_task import FIELD

    folder = Path(folder)
    task.progress(0, 0, f"Reading {folder}")
    path = folder / "predictions.jsonl"
    rows = read_rows(path)
    if not rows:
        raise ValueError(f"{path}: no predictions found (not an OPeRA evaluation run)")
    if not any(r.get("field") == FIELD for r in rows):
        raise ValueError(f"{path}: these are not OPeRA next-action predictions (field {FIELD!r}); "
                         "open OmniBehavior runs in the Evaluation dock")
    rows = [r for r in rows if r.get("field") == FIELD]
    models = list(dict.fromkeys(str(r["model"]) for r in rows))
    report: dict[str, Any] = {}
    try:
        report = json.loads((folder / "report.json").read_text("utf-8"))
    except (OSError, ValueError):
        report = {}
    if not isinstance(report.get("models"), dict) or set(report["models"]) != set(models):
        report = {**report, "models": opera_report(rows, models), "ask_why": ask_why(rows, models)}
    return folder, rows, report

