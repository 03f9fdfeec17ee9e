"""The Evaluation view. Layer: app (Qt).

A thin layer over :func:`workbench.evaluate.batch.run_batch` (docs/architecture.md#headless-first): the same batch the
CLI runs, on a worker thread's event loop (the GUI loop only awaits it), with a progress bar, Cancel,
and the results:

* a model x scenario x metric matrix (:class:`MetricMatrixModel` over
  :func:`workbench.evaluate.matrix.metric_matrix`); clicking a cell lists the cases behind it
  (:class:`CasesModel`); selecting a case calls ``state.select_event(user, event_index)`` (timeline and
  side-by-side panel follow the shared state) and sets ghost marks with every model's answer for
  that event;
* the bias plots (``widgets.metric_charts``): predicted vs real positive rate per action field,
  intra/inter-user distance distributions, dialogue-tone shares, rare-action rates;
* the blind test's detection rate per model and scenario with Wilson 95% intervals and the 50%
  chance line (:mod:`workbench.app.eval_blind`).

Results of an earlier run can be opened from their folder (``predictions.jsonl`` + ``report.json``).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Mapping, Sequence

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QPushButton,
                               QSplitter, QTableView, QVBoxLayout, QWidget)

from workbench.app.eval_blind import EvalBlindMixin
from workbench.app.eval_charts import EvalChartsMixin
from workbench.app.eval_models import CasesModel, MetricMatrixModel, scenario_en
from workbench.app.eval_run import EvalRunMixin, _first_failure
from workbench.app.state import AppState, GhostMark

__all__ = ["CasesModel", "EvaluationPanel", "MetricMatrixModel", "_first_failure"]


class EvaluationPanel(EvalRunMixin, EvalChartsMixin, EvalBlindMixin, QWidget):
    """Run a batch evaluation and look at its results. Construct with the shared ``AppState``."""

    run_started = Signal()
    run_finished = Signal(object)        # the report dict (not emitted after cancel or error)
    run_cancelled = Signal()
    progress_changed = Signal(int, int, str)
    results_shown = Signal()
    case_selected = Signal(str, int)     # user_id, event_index
    mark_case_requested = Signal(object)  # case_payload() of the selected case ("Mark case" clicked)

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.rows: list[dict[str, Any]] = []
        self.judge_rows: list[dict[str, Any]] = []
        self.report: dict[str, Any] = {}
        self.out_dir: Path | None = None
        self._task: asyncio.Task | None = None
        self._last_progress = 0.0
        self._cost_warned = False
        self._build()
        self._set_running(False)

    # -- layout ------------------------------------------------------------------------------------
    def _build(self) -> None:
        form = self._build_run_form()
        self.status = QLabel("No evaluation yet.", self)
        self.status.setWordWrap(True)
        split = self._build_results()
        right = self._build_charts()
        body = QSplitter(Qt.Orientation.Horizontal, self)
        body.addWidget(split)
        body.addWidget(right)
        body.setStretchFactor(0, 3)
        body.setStretchFactor(1, 2)
        body.setSizes([780, 520])
        from workbench.app.panels import scroll_body

        lay = scroll_body(self)             # squeezed by other docks, the panel scrolls
        lay.addLayout(form)
        lay.addWidget(self.status)
        lay.addWidget(body, 1)

    def _build_results(self) -> QSplitter:
        """The metric matrix above the cases of the clicked cell, with "Mark case"."""
        self.matrix_model = MetricMatrixModel(self)
        self.matrix_view = QTableView(self)
        self.matrix_view.setObjectName("eval_matrix")
        self.matrix_view.setModel(self.matrix_model)
        self.matrix_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.matrix_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.matrix_view.verticalHeader().hide()
        self.matrix_view.verticalHeader().setDefaultSectionSize(22)
        self.matrix_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.matrix_view.clicked.connect(self._on_matrix_clicked)
        self.cases_model = CasesModel(self)
        self.cases_view = QTableView(self)
        self.cases_view.setObjectName("eval_cases")
        self.cases_view.setModel(self.cases_model)
        self.cases_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.cases_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.cases_view.verticalHeader().hide()
        self.cases_view.verticalHeader().setDefaultSectionSize(22)
        self.cases_view.horizontalHeader().setStretchLastSection(True)
        self.cases_view.selectionModel().currentRowChanged.connect(self._on_cases_current_changed)
        self.cases_label = QLabel("Click a cell of the matrix to list the cases behind it.", self)
        self.mark_button = QPushButton("Mark case", self)
        self.mark_button.setToolTip("Save the selected case (every model's answer to its field) in the Cases panel")
        self.mark_button.setEnabled(False)
        self.mark_button.clicked.connect(self._on_mark_button_clicked)
        cases_box = QWidget(self)
        cl = QVBoxLayout(cases_box)
        cl.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.addWidget(self.cases_label, 1)
        head.addWidget(self.mark_button)
        cl.addLayout(head)
        cl.addWidget(self.cases_view)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.matrix_view)
        split.addWidget(cases_box)
        split.setSizes([260, 240])
        return split

    # -- results -----------------------------------------------------------------------------------
    def _on_open_clicked(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Open evaluation results")
        if d:
            self.open_results(Path(d))

    def open_results(self, folder: Path) -> bool:
        """Show the results saved in ``folder`` (predictions.jsonl, report.json, judge.jsonl)."""
        import json

        from workbench.evaluate.batch import build_report, read_rows

        rows = read_rows(folder / "predictions.jsonl")
        if not rows:
            self.state.post_error("Evaluation", f"{folder / 'predictions.jsonl'}: no predictions found.")
            return False
        judge = read_rows(folder / "judge.jsonl")
        try:
            report = json.loads((folder / "report.json").read_text("utf-8"))
        except (OSError, ValueError):
            report = build_report(rows, judge=judge)
        self.out_dir = folder
        self.show_results(rows, report, judge)
        self.status.setText(f"Results from {folder}." + _first_failure(report))
        return True

    def show_results(self, rows: Sequence[Mapping[str, Any]], report: Mapping[str, Any],
                     judge: Sequence[Mapping[str, Any]] = ()) -> None:
        from workbench.evaluate.matrix import metric_matrix

        from workbench.evaluate.resample import first_sample

        self.rows = [dict(r) for r in first_sample(rows)]     # the scores use sample 0
        _add_sample_texts(self.rows, report)
        self.judge_rows = list(judge)
        self.report = dict(report)
        self.matrix_model.set_rows(metric_matrix(self.rows, self.judge_rows))
        self.cases_model.set_cases([])
        models = list(report.get("models", {})) or list(dict.fromkeys(r["model"] for r in self.rows))
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        self.model_combo.addItems(models)
        self.model_combo.blockSignals(False)
        self._draw_charts(self.model_combo.currentText())
        self.refresh_blind()
        self.results_shown.emit()

    def _on_matrix_clicked(self, index: QModelIndex) -> None:
        from workbench.evaluate.matrix import cases_for

        row = self.matrix_model.rows[index.row()]
        metric = self.matrix_model.metric_at(index.column()) or "questions"
        cases = cases_for(self.rows, row.model, row.scenario, metric)
        self.cases_model.set_cases(cases)
        self.mark_button.setEnabled(False)
        self.cases_label.setText(f"{row.model} · {scenario_en(row.scenario)} · {metric}: {len(cases)} cases")
        if self.model_combo.findText(row.model) >= 0:
            self.model_combo.setCurrentText(row.model)

    def _on_cases_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        case = self.cases_model.case_at(current.row())
        user, event = str(case["user_id"]), int(case["event_index"])
        ghosts = []
        for r in self.rows:
            if r["user_id"] == user and int(r["event_index"]) == event and r.get("parse_ok") \
                    and r.get("kind") == "binary":
                try:
                    agrees = int(float(r["true_value"])) == int(r["predicted_label"])
                except (TypeError, ValueError):
                    agrees = False
                ghosts.append(GhostMark(user, event, str(r["model"]), str(r["field"]),
                                        r.get("predicted_label"), r.get("true_value"), agrees))
        self.mark_button.setEnabled(True)
        self.state.select_event(user, event)
        self.state.set_ghosts(ghosts)
        self.case_selected.emit(user, event)

    def case_payload(self) -> dict[str, Any] | None:
        """The selected case as ``CasesPanel.mark_event`` keyword arguments: its event, its field and
        every model's answer to that field (or None when no case is selected)."""
        current = self.cases_view.currentIndex()
        if not current.isValid():
            return None
        case = self.cases_model.case_at(current.row())
        user, event, field = str(case["user_id"]), int(case["event_index"]), str(case.get("field") or "")
        preds = [{k: r.get(k) for k in ("model", "field", "predicted_value", "predicted_label", "raw_output",
                                        "parse_ok", "error")}
                 for r in self.rows if r["user_id"] == user and int(r["event_index"]) == event
                 and (not field or r.get("field") == field)]
        return {"user_id": user, "event_index": event, "fields": [field] if field else [], "predictions": preds}

    def _on_mark_button_clicked(self) -> None:
        payload = self.case_payload()
        if payload is not None:
            self.mark_case_requested.emit(payload)


def _add_sample_texts(rows: list[dict[str, Any]], report: Mapping[str, Any]) -> None:
    """Give each row of a resampled run its answers over the samples as ``samples_text``."""
    questions = (report.get("resample") or {}).get("questions") or []
    texts = {(q["model"], q["user_id"], q["event_index"], q["field"]):
             " · ".join(f"{a} {n}/{q['samples']}" for a, n in q["answers"].items()) for q in questions}
    if not texts:
        return
    for r in rows:
        t = texts.get((r.get("model"), r.get("user_id"), r.get("event_index"), r.get("field")))
        if t:
            r["samples_text"] = t
