"""The OPeRA evaluation dock: the web-shopping next-action task in the window. Layer: app (Qt).

A thin layer over :func:`workbench.evaluate.opera_batch.run_opera_batch` (the batch
``workbench opera-eval`` runs): model strings and offline baselines, API base, spend cap and sample
size go in; the batch runs as a coroutine on the qasync loop with a progress bar and Cancel, writing
``predictions.jsonl`` (resumable) and ``report.json`` into its run folder. Results show as

* a matrix, one row per model: next-action accuracy, action-type macro F1, click-type weighted F1,
  session purchase F1, and how often the shopper and the model end the session (a model that almost
  never stops shows here);
* for the selected model, every predicted step: the real action beside the predicted one, and
  "Ask why": the shopper's own rationale beside the model's stated reason. Double-clicking a step
  selects that event on the timeline (``AppState.select_event``).

A finished or interrupted run folder can be opened; running again with "Resume" checked continues
it (answers already in the folder are not asked again).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any, Mapping, Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from widgets.metric_charts import GroupedBarChart
from workbench.app.jobs import Job, run_in_thread
from workbench.app.opera_models import MATRIX_COLUMNS, OperaCasesModel, OperaMatrixModel, read_opera_run
from workbench.app.state import AppState

__all__ = ["MATRIX_COLUMNS", "OperaCasesModel", "OperaEvalPanel", "OperaMatrixModel", "read_opera_run"]

_FIGURES = MATRIX_COLUMNS[:4]
_CASE_FILTERS = ("every step", "wrong only", "explained by the shopper (Ask why)")


class OperaEvalPanel(QWidget):
    """Run or open an OPeRA next-action evaluation and read it (see the module docstring)."""

    run_started = Signal()
    run_finished = Signal(object)        # the report dict (not after cancel or error)
    run_cancelled = Signal()
    results_shown = Signal()
    case_selected = Signal(str, int)     # user_id, event_index (double-click)

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.rows: list[dict[str, Any]] = []
        self.report: dict[str, Any] = {}
        self.out_dir: Path | None = None
        self._task: asyncio.Task | None = None
        self._job: Job | None = None
        self._last_progress = 0.0
        self._build()
        self._set_running(False)
        state.dataset_changed.connect(self._on_dataset_changed)
        self._on_dataset_changed()

    # -- layout ------------------------------------------------------------------------------------
    def _build(self) -> None:
        self._build_controls()
        form = self._control_form()
        top = self._build_matrix()
        cases_box = self._build_cases()
        body = QSplitter(Qt.Orientation.Vertical, self)
        body.addWidget(top)
        body.addWidget(cases_box)
        body.setSizes([200, 320])

        inner = QWidget(self)
        lay = QVBoxLayout(inner)
        lay.addWidget(self.notice)
        lay.addLayout(form)
        lay.addWidget(self.status)
        lay.addWidget(body, 1)
        # a scroll area: the dock never forces the window wider (or taller) than the screen
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll.setWidget(inner)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.scroll)
        self._clear_why()

    def _build_controls(self) -> None:
        """The run controls: models, API base, sample, spend cap, buttons, progress and status."""
        self.models_edit = QLineEdit("baseline:user, baseline:last", self)
        self.models_edit.setToolTip("Comma-separated litellm model strings and/or the offline baselines "
                                    "baseline:user, baseline:last")
        self.api_base_edit = QLineEdit(self)
        self.api_base_edit.setPlaceholderText("provider default (or e.g. http://127.0.0.1:8000/v1)")
        self.cap_spin = QDoubleSpinBox(self)
        self.cap_spin.setRange(0.0, 100_000.0)
        self.cap_spin.setDecimals(2)
        self.cap_spin.setPrefix("$")
        self.cap_spin.setSpecialValueText("no cap")
        self.cap_spin.setToolTip("Start no new step once the answers cost this much (USD); the answers so far are kept")
        self.split_combo = QComboBox(self)
        self.split_combo.addItems(["test", "train", "all"])
        self.sessions_spin = QSpinBox(self)
        self.sessions_spin.setRange(0, 100_000)
        self.sessions_spin.setValue(20)
        self.sessions_spin.setSpecialValueText("all")
        self.sessions_spin.setToolTip("The first N sessions of the split (0: all)")
        self.steps_spin = QSpinBox(self)
        self.steps_spin.setRange(0, 10_000)
        self.steps_spin.setSpecialValueText("all")
        self.steps_spin.setToolTip("The first N actions of each session (0: all)")
        self.concurrency_spin = QSpinBox(self)
        self.concurrency_spin.setRange(1, 256)
        self.concurrency_spin.setValue(8)
        self.run_button = QPushButton("Run", self)
        self.run_button.setObjectName("opera_run")
        self.run_button.clicked.connect(self._on_run_clicked)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.clicked.connect(self.cancel)
        self.open_button = QPushButton("Open run…", self)
        self.open_button.setToolTip("Show a finished or interrupted run folder (predictions.jsonl, report.json)")
        self.open_button.clicked.connect(self._on_open_clicked)
        self.resume_check = QCheckBox("Resume the opened run", self)
        self.resume_check.setToolTip("Run into the opened run's folder: answers already there are not asked again")
        self.resume_check.setEnabled(False)
        self.progress = QProgressBar(self)
        self.progress.setTextVisible(True)
        self.progress.setMinimumWidth(60)
        self.notice = QLabel(self)
        self.notice.setWordWrap(True)
        self.notice.setObjectName("opera_notice")
        self.status = QLabel("No OPeRA evaluation yet.", self)
        self.status.setWordWrap(True)

    def _control_form(self) -> QFormLayout:
        """The run controls laid out as a form."""
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.addRow("Models", self.models_edit)
        form.addRow("API base", self.api_base_edit)
        sample = QHBoxLayout()
        for w in (QLabel("split"), self.split_combo, QLabel("sessions"), self.sessions_spin,
                  QLabel("steps each"), self.steps_spin, QLabel("spend cap"), self.cap_spin):
            sample.addWidget(w)
        sample.addStretch(1)
        form.addRow("Sample", sample)
        run_row = QHBoxLayout()
        for w in (QLabel("concurrency"), self.concurrency_spin, self.run_button, self.cancel_button,
                  self.open_button, self.resume_check):
            run_row.addWidget(w)
        run_row.addStretch(1)
        form.addRow("", run_row)
        form.addRow("", self.progress)
        return form

    def _build_matrix(self) -> QSplitter:
        """The matrix of figures per model beside its bar chart."""
        self.matrix_model = OperaMatrixModel(self)
        self.matrix_view = self._table("opera_matrix", self.matrix_model)
        self.matrix_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.matrix_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.matrix_view.clicked.connect(self._on_matrix_clicked)
        self.chart = GroupedBarChart("Figures per model (%)", self)
        self.chart.setMinimumWidth(120)
        top = QSplitter(Qt.Orientation.Horizontal, self)
        top.addWidget(self.matrix_view)
        top.addWidget(self.chart)
        top.setSizes([560, 320])
        return top

    def _build_cases(self) -> QWidget:
        """The selected model's steps, with the shopper's and the model's reasons below."""
        self.model_combo = QComboBox(self)
        self.model_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.model_combo.currentTextChanged.connect(self._show_cases)
        self.filter_combo = QComboBox(self)
        self.filter_combo.addItems(_CASE_FILTERS)
        self.filter_combo.currentIndexChanged.connect(lambda _i: self._show_cases(self.model_combo.currentText()))
        self.cases_label = QLabel(self)
        self.cases_label.setWordWrap(True)
        self.cases_model = OperaCasesModel(self)
        self.cases_view = self._table("opera_cases", self.cases_model)
        self.cases_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.cases_view.horizontalHeader()
        header.setStretchLastSection(True)
        header.setDefaultSectionSize(180)
        for col, width in ((0, 80), (1, 56), (4, 52)):
            header.resizeSection(col, width)
        self.cases_view.selectionModel().currentRowChanged.connect(self._on_case_current_changed)
        self.cases_view.doubleClicked.connect(self._on_case_double_clicked)
        self.why_real = QLabel(self)
        self.why_model = QLabel(self)
        for lab in (self.why_real, self.why_model):
            lab.setWordWrap(True)
            lab.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            lab.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            lab.setMinimumWidth(80)
        why = QHBoxLayout()
        why.addWidget(self.why_real, 1)
        why.addWidget(self.why_model, 1)
        cases_box = QWidget(self)
        cl = QVBoxLayout(cases_box)
        cl.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        for w in (QLabel("Model"), self.model_combo, QLabel("show"), self.filter_combo):
            head.addWidget(w)
        head.addStretch(1)
        cl.addLayout(head)
        cl.addWidget(self.cases_label)
        cl.addWidget(self.cases_view, 1)
        cl.addLayout(why)
        return cases_box

    def _table(self, name: str, model: QAbstractTableModel) -> QTableView:
        view = QTableView(self)
        view.setObjectName(name)
        view.setModel(model)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.verticalHeader().hide()
        view.verticalHeader().setDefaultSectionSize(22)
        view.setMinimumWidth(120)
        return view

    # -- the open dataset --------------------------------------------------------------------------
    def opera_traces(self) -> Any:
        """The open dataset when it is an OPeRA folder, else None."""
        ds = self.state.dataset
        if ds is None:
            return None
        from workbench.traces.opera import OperaTraceSet

        return ds if isinstance(ds, OperaTraceSet) else None

    def _on_dataset_changed(self) -> None:
        ds = self.state.dataset
        if ds is None:
            text = "No traces open. Open an OPeRA folder (File ▸ Open folder…) to run the next-action task."
        elif self.opera_traces() is None:
            text = (f"The open dataset ({Path(str(getattr(ds, 'source', '') or '')).name or 'traces'}) is not an "
                    "OPeRA folder: the next-action task needs OPeRA shopping sessions (File ▸ Open folder… on "
                    "the dataset root, OPeRA_filtered or OPeRA_full). Saved runs can still be opened.")
        else:
            text = ""
        self.notice.setText(text)
        self.notice.setVisible(bool(text))
        self._set_running(self.running)

    # -- running -----------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def _set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running and self.opera_traces() is not None)
        self.open_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)

    def specs(self) -> list[Any]:
        """ModelSpec per model string in the Models field (baselines without the API base)."""
        from workbench.simulate.types import ModelSpec

        api_base = self.api_base_edit.text().strip() or None
        names = [m.strip() for m in self.models_edit.text().replace(";", ",").split(",") if m.strip()]
        return [ModelSpec(m, api_base=None if m.startswith("baseline:") else api_base) for m in names]

    def _on_run_clicked(self) -> None:
        if self.opera_traces() is None:
            self.state.post_error("OPeRA evaluation", self.notice.text() or "Open an OPeRA folder first.")
            return
        specs = self.specs()
        if not specs:
            self.state.post_error("OPeRA evaluation", "Name at least one model or baseline.")
            return
        out = self.out_dir if self.resume_check.isChecked() and self.out_dir is not None else None
        self.start(specs=specs, out_dir=out)

    def start(self, *, specs: Sequence[Any], out_dir: Path | None = None, cache: Any = None) -> asyncio.Task:
        """Start the batch on the running asyncio (qasync) loop; returns its task. ``out_dir``
        defaults to a new folder under the data directory; an existing run folder is resumed.
        Raises RuntimeError when a run is going or the open dataset is not OPeRA."""
        traces = self.opera_traces()
        if traces is None:
            raise RuntimeError("the open dataset is not an OPeRA folder")
        if self.running:
            raise RuntimeError("an OPeRA evaluation is already running")
        if out_dir is None:
            from workbench.paths import data_dir

            out_dir = data_dir() / "opera-evaluations" / time.strftime("%Y%m%d-%H%M%S")
        self.out_dir = Path(out_dir)
        self._task = asyncio.ensure_future(self._run(traces, list(specs), cache))
        self._set_running(True)
        self.progress.setValue(0)
        self.progress.setFormat("choosing the steps…")
        self.status.setText("Choosing the steps to predict…")
        self.run_started.emit()
        return self._task

    async def _run(self, traces: Any, specs: list[Any], cache: Any) -> None:
        from workbench.evaluate.opera_batch import opera_targets, run_opera_batch

        split, sessions, steps = self.split_combo.currentText(), self.sessions_spin.value(), self.steps_spin.value()
        cap = self.cap_spin.value() or None
        try:
            targets = await asyncio.to_thread(opera_targets, traces, split=split, max_sessions=sessions or None,
                                              max_steps=steps or None)
            self.status.setText(f"Predicting {len(targets)} steps of {len({t.session_id for t in targets})} "
                                f"sessions with {', '.join(s.model for s in specs)} into {self.out_dir}…")
            result = await run_opera_batch(traces, targets, specs, out_dir=self.out_dir, cache=cache,
                                           concurrency=self.concurrency_spin.value(), max_cost=cap,
                                           on_progress=self._on_batch_progress)
        except asyncio.CancelledError:
            self.status.setText(f"Cancelled. The answers so far are saved in {self.out_dir}; open the run "
                                "and run again with Resume checked to go on.")
            self.run_cancelled.emit()
            raise
        except Exception as exc:  # noqa: BLE001 - the one error sink
            self.status.setText(f"The OPeRA evaluation failed: {exc}")
            self.state.post_error("OPeRA evaluation failed", str(exc) or type(exc).__name__)
            return
        finally:
            self._set_running(False)
        self.show_results(result.rows, result.report)
        self.resume_check.setEnabled(True)
        self.status.setText(_run_summary(result.report, self.out_dir))
        self.run_finished.emit(result.report)

    def _on_batch_progress(self, p: Any) -> None:
        now = time.monotonic()
        if p.done < p.total and now - self._last_progress < 0.1:
            return
        self._last_progress = now
        self.progress.setMaximum(max(1, p.total))
        self.progress.setValue(min(p.done, p.total))
        eta = "–" if p.eta is None else f"{p.eta:.0f} s"
        self.progress.setFormat(f"{p.done}/{p.total} · ETA {eta} · ${p.cost:.4f} · {p.cached} cached · "
                                f"{p.failed} unread")

    def cancel(self) -> None:
        """Cancel the running batch (the answers so far stay in the run folder)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()

    # -- opening a run -----------------------------------------------------------------------------
    def _on_open_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open an OPeRA evaluation run")
        if folder:
            self.open_run(folder)

    def open_run(self, folder: str | Path) -> Job:
        """Read the run in ``folder`` on a worker and show it; errors go to the error banner."""
        if self._job is not None:
            self._job.cancel()
        self.status.setText(f"Reading {folder}…")
        self._job = run_in_thread(read_opera_run, str(folder), on_done=self._on_run_read,
                                  on_error=self._on_read_failed, title="OPeRA evaluation: open run")
        return self._job

    def _on_read_failed(self, message: str) -> None:
        first = message.split("\n\n")[0]
        self.status.setText(f"Could not open the run: {first}")
        self.state.post_error("OPeRA evaluation", first)

    def _on_run_read(self, result: tuple[Path, list[dict[str, Any]], dict[str, Any]]) -> None:
        folder, rows, report = result
        self.out_dir = folder
        models = list(report.get("models", {}))
        if models:
            self.models_edit.setText(", ".join(models))
        self.resume_check.setEnabled(True)
        self.resume_check.setChecked(True)
        self.show_results(rows, report)
        self.status.setText(_run_summary(report, folder, opened=True))

    # -- results -----------------------------------------------------------------------------------
    def show_results(self, rows: Sequence[Mapping[str, Any]], report: Mapping[str, Any]) -> None:
        """Show a run: the matrix, the chart and the steps of the first model."""
        self.rows = [dict(r) for r in rows]
        self.report = dict(report)
        figures = dict(report.get("models", {}))
        self.matrix_model.set_report(figures)
        models = list(figures)
        self.chart.set_data([c[1] for c in _FIGURES],
                            {m: [figures[m].get(k) for k, _h, _t in _FIGURES] for m in models},
                            "%", value_range=(0.0, 100.0))
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        self.model_combo.addItems(models)
        self.model_combo.blockSignals(False)
        self._show_cases(self.model_combo.currentText())
        self.results_shown.emit()

    def _on_matrix_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.model_combo.setCurrentText(self.matrix_model.models[index.row()])

    def _show_cases(self, model: str) -> None:
        mode = self.filter_combo.currentIndex()
        mine = [r for r in self.rows if r.get("model") == model]
        shown = [r for r in mine if (mode == 0 or (mode == 1 and not r.get("exact"))
                                     or (mode == 2 and r.get("real_rationale")))]
        self.cases_model.set_cases(shown)
        explained = sum(1 for r in mine if r.get("real_rationale"))
        self.cases_label.setText(f"{len(shown)} of {len(mine)} steps of {model or '–'} ({explained} explained by "
                                 "the shopper). Select a step to compare the reasons; double-click to "
                                 "select it on the timeline." if model else "")
        self._clear_why()

    def _clear_why(self) -> None:
        self.why_real.setText("<b>Shopper</b>: select a step.")
        self.why_model.setText("<b>Model</b>: select a step.")

    def _on_case_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            self._clear_why()
            return
        c = self.cases_model.case_at(current.row())
        self.why_real.setText(_why_html("Shopper did", c.get("true_value"), c.get("real_rationale"),
                                        "no rationale given at this step"))
        predicted = c.get("predicted_value") or f"(unread: {c.get('error') or 'no answer'})"
        self.why_model.setText(_why_html(f"{c.get('model')} predicted", predicted, c.get("reason"),
                                         "no reason given"))

    def _on_case_double_clicked(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        c = self.cases_model.case_at(index.row())
        user, event = str(c["user_id"]), int(c["event_index"])
        self.state.select_event(user, event)
        self.case_selected.emit(user, event)


def _why_html(who: str, action: Any, reason: Any, missing: str) -> str:
    from html import escape

    from workbench.textsafe import visible

    said = f"“{escape(visible(str(reason)))}”" if reason else f"<i>{missing}</i>"
    return f"<b>{escape(who)}</b>: {escape(visible(str(action or '')))}<br>{said}"


def _run_summary(report: Mapping[str, Any], folder: Path | None, opened: bool = False) -> str:
    run = report.get("run", {}) or {}
    parts = [f"Results from {folder}." if opened else
             f"Done in {run.get('seconds', 0):.1f} s: {run.get('answered', 0)} answers "
             f"({run.get('cached', 0)} from cache, {run.get('failed', 0)} unread), cost ${run.get('cost', 0):.4f}. "
             f"Saved in {folder}."]
    if run.get("stopped"):
        parts.append(f"Stopped early: {run['stopped']}; raise the spend cap and run again with Resume to go on.")
    errors = run.get("errors") or []
    if errors:
        e = errors[0]
        parts.append(f"{len(errors)} steps failed, e.g. user {e.get('user_id')}, event {e.get('event_index')}: "
                     f"{e.get('error')}")
    return " ".join(parts)
