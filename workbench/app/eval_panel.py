"""The Evaluation view. Layer: app (Qt).

A thin layer over :func:`workbench.evaluate.batch.run_batch` (docs/architecture.md#headless-first): the same batch the
CLI runs, started as a coroutine on the qasync loop, with a progress bar, Cancel, and the results:

* a model x scenario x metric matrix (:class:`MetricMatrixModel` over
  :func:`workbench.evaluate.matrix.metric_matrix`); clicking a cell lists the cases behind it
  (:class:`CasesModel`); selecting a case calls ``state.select_event(user, event_index)`` (timeline and
  side-by-side panel follow the shared state) and sets ghost marks with every model's answer for
  that event;
* the bias plots (``widgets.metric_charts``): predicted vs real positive rate per action field,
  intra/inter-user distance distributions, dialogue-tone shares, rare-action rates.

Results of an earlier run can be opened from their folder (``predictions.jsonl`` + ``report.json``).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any, Mapping, Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QColor
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
    QSpinBox,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from widgets.metric_charts import DistributionChart, GroupedBarChart
from workbench.app.llm_fields import ExtraBodyEdit, JudgeSettings, dropped_params_note
from workbench.app.state import AppState, GhostMark

__all__ = ["EvaluationPanel", "MetricMatrixModel", "CasesModel"]

_Index = QModelIndex


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.1f}" if abs(v) < 1e5 else f"{v:.3g}"
    return str(v)


class MetricMatrixModel(QAbstractTableModel):
    """Rows = (model, scenario); columns = model, scenario, then the metrics of ``COLUMNS``."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        from workbench.evaluate.matrix import COLUMNS

        self.columns = COLUMNS
        self.rows: list[Any] = []

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def metric_at(self, column: int) -> str | None:
        return self.columns[column - 2][0] if column >= 2 else None

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else 2 + len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return ("Model", "Scenario", *(c[1] for c in self.columns))[section]
        if role == Qt.ItemDataRole.ToolTipRole and section >= 2:
            return self.columns[section - 2][2]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return row.model
            if col == 1:
                return _scenario_en(row.scenario)
            return _fmt(row.values.get(self.columns[col - 2][0]))
        if role == Qt.ItemDataRole.TextAlignmentRole and col >= 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and col >= 2 and self.columns[col - 2][0] == "rate_gap":
            v = row.values.get("rate_gap")
            if isinstance(v, (int, float)):
                return QColor("#E69F00") if v > 5 else QColor("#56B4E9") if v < -5 else None
        if role == Qt.ItemDataRole.ToolTipRole and col >= 2:
            return (f"{row.model} · {_scenario_en(row.scenario)} · {self.columns[col - 2][2]}. "
                    "Click to list the cases.")
        return None


class CasesModel(QAbstractTableModel):
    """Prediction rows: user, event, field, real, predicted, raw output, and for a resampled run the
    answers over the samples (``Yes 9/10 · No 1/10``)."""

    HEADERS = ("User", "Event", "Field", "Real", "Predicted", "Answer", "Samples")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.cases: list[Mapping[str, Any]] = []

    def set_cases(self, cases: Sequence[Mapping[str, Any]]) -> None:
        self.beginResetModel()
        self.cases = list(cases)
        self.endResetModel()

    def case_at(self, row: int) -> Mapping[str, Any]:
        return self.cases[row]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.cases)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

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


class EvaluationPanel(QWidget):
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
        self.models_edit = QLineEdit("baseline:user, baseline:population", self)
        self.models_edit.setToolTip("Comma-separated litellm model strings and/or baseline:user, "
                                    "baseline:population")
        self.api_base_edit = QLineEdit(self)
        self.api_base_edit.setPlaceholderText("provider default (or e.g. http://127.0.0.1:8000/v1)")
        self.extra_body_edit = ExtraBodyEdit(self)   # for every LLM of the run
        self.judge_settings = JudgeSettings(self)
        self.judge_edit = self.judge_settings.model_edit
        self.n_spin = QSpinBox(self)
        self.n_spin.setRange(1, 10_000)
        self.n_spin.setValue(30)
        self.users_spin = QSpinBox(self)
        self.users_spin.setRange(1, 100_000)
        self.users_spin.setValue(200)
        self.windows_check = QCheckBox("benchmark windows (history 09-01..09-30, test 10-01..11-30)", self)
        self.windows_check.setChecked(True)
        self.concurrency_spin = QSpinBox(self)
        self.concurrency_spin.setRange(1, 256)
        self.concurrency_spin.setValue(8)
        self.samples_spin = QSpinBox(self)              # resampling: each LLM question K times
        self.samples_spin.setRange(1, 1000)
        self.samples_spin.setValue(1)
        self.samples_spin.setToolTip("Ask each LLM question this many times at the temperature: the scores "
                                     "use the first sample, the report shows the answer distributions, "
                                     "flip rates and each bias measure's spread over the samples.")
        self.temperature_spin = QDoubleSpinBox(self)
        self.temperature_spin.setRange(0.0, 2.0)
        self.temperature_spin.setSingleStep(0.1)
        self.temperature_spin.setValue(0.1)
        self.max_cost_spin = QDoubleSpinBox(self)      # the spend cap; 0 = none
        self.max_cost_spin.setRange(0.0, 1_000_000.0)
        self.max_cost_spin.setDecimals(2)
        self.max_cost_spin.setPrefix("$")
        self.max_cost_spin.setSpecialValueText("no cap")
        self.max_cost_spin.setToolTip("Spend cap: no new request starts once the calls cost this much; "
                                      "a warning at 80%. Run again with a higher cap to go on: the "
                                      "finished answers come from the cache.")
        self.run_button = QPushButton("Run evaluation", self)
        self.run_button.setObjectName("eval_run")
        self.run_button.clicked.connect(self._on_run_clicked)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.open_button = QPushButton("Open results…", self)
        self.open_button.clicked.connect(self._on_open_clicked)
        self.progress = QProgressBar(self)
        self.progress.setTextVisible(True)
        self.status = QLabel("No evaluation yet.", self)
        self.status.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Models", self.models_edit)
        form.addRow("API base", self.api_base_edit)
        form.addRow("Extra fields", self.extra_body_edit)
        form.addRow(self.judge_settings)
        sample_row = QHBoxLayout()
        for w in (QLabel("users"), self.users_spin, QLabel("events per user"), self.n_spin,
                  self.windows_check):
            sample_row.addWidget(w)
        sample_row.addStretch(1)
        form.addRow("Sample", sample_row)
        run_row = QHBoxLayout()
        for w in (QLabel("concurrency"), self.concurrency_spin, QLabel("max cost"), self.max_cost_spin,
                  self.run_button, self.cancel_button,
                  self.open_button):
            run_row.addWidget(w)
        run_row.addWidget(self.progress, 1)
        form.addRow("", run_row)
        resample_row = QHBoxLayout()
        for w in (QLabel("samples per question"), self.samples_spin, QLabel("temperature"),
                  self.temperature_spin):
            resample_row.addWidget(w)
        resample_row.addStretch(1)
        form.addRow("Resample", resample_row)

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

        self.model_combo = QComboBox(self)
        self.model_combo.currentTextChanged.connect(self._on_model_combo_changed)
        self.rate_chart = GroupedBarChart("Positive rate per action field: real vs predicted", self)
        self.rate_chart.bar_clicked.connect(self._on_rate_chart_bar_clicked)
        self.distance_chart = DistributionChart("Persona homogenisation: behaviour distances", self)
        self.distance_label = QLabel(self)
        self.tone_chart = GroupedBarChart("Customer-service messages with each marker", self)
        self.tail_chart = GroupedBarChart("Rare actions: real vs predicted rate", self)
        charts = QTabWidget(self)
        charts.addTab(self.rate_chart, "Hyper-activity")
        dist = QWidget(self)
        dl = QVBoxLayout(dist)
        dl.setContentsMargins(0, 0, 0, 0)
        dl.addWidget(self.distance_chart, 1)
        dl.addWidget(self.distance_label)
        charts.addTab(dist, "Homogenisation")
        charts.addTab(self.tone_chart, "Dialogue tone")
        charts.addTab(self.tail_chart, "Long tail")
        self.chart_tabs = charts
        right = QWidget(self)
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(QLabel("Model"))
        top.addWidget(self.model_combo, 1)
        rl.addLayout(top)
        rl.addWidget(charts, 1)

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

    # -- running -----------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def _set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.open_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)

    def specs(self) -> list[Any]:
        from workbench.simulate.types import ModelSpec

        api_base = self.api_base_edit.text().strip() or None
        names = [m.strip() for m in self.models_edit.text().replace(";", ",").split(",") if m.strip()]
        try:
            extra = self.extra_body_edit.value()
        except ValueError:
            extra = None   # the field shows the error; _on_run_clicked refuses to start
        return [ModelSpec(m, api_base=None if m.startswith("baseline:") else api_base,
                          extra_body=None if m.startswith("baseline:") else extra,
                          temperature=float(self.temperature_spin.value())) for m in names]

    def max_cost(self) -> float | None:
        """The spend cap in USD, or None (the field at 0 shows "no cap")."""
        v = float(self.max_cost_spin.value())
        return v if v > 0 else None

    def _on_run_clicked(self) -> None:
        ts = self.state.dataset
        if ts is None:
            self.state.post_error("Evaluation", "Open a trace file first: the evaluation samples its users.")
            return
        if self.extra_body_edit.error():
            self.state.post_error("Evaluation", f"Extra fields: {self.extra_body_edit.error()}")
            return
        specs = self.specs()
        if not specs:
            self.state.post_error("Evaluation", "Name at least one model or baseline.")
            return
        self.start(traceset=ts, specs=specs)

    def start(self, *, specs: Sequence[Any], traceset: Any = None, users: Sequence[Any] | None = None,
              sample: Any = None, out_dir: Path | None = None, cache: Any = None) -> asyncio.Task:
        """Start the batch on the running asyncio (qasync) loop; returns its task."""
        if self.running:
            raise RuntimeError("an evaluation is already running")
        judge = self.judge_settings.spec()
        if out_dir is None:
            from workbench.paths import data_dir

            out_dir = data_dir() / "evaluations" / time.strftime("%Y%m%d-%H%M%S")
        self.out_dir = Path(out_dir)
        self._task = asyncio.ensure_future(self._run(specs, traceset, users, sample, judge, cache))
        self._set_running(True)
        self.progress.setValue(0)
        self._cost_warned = False
        self.status.setText("Sampling the test events…")
        self.run_started.emit()
        return self._task

    async def _run(self, specs: Sequence[Any], traceset: Any, users: Sequence[Any] | None, sample: Any,
                   judge: Any, cache: Any) -> None:
        from workbench.evaluate import sampling as S
        from workbench.evaluate.batch import run_batch

        n = self.n_spin.value()
        n_users = self.users_spin.value()
        windows = self.windows_check.isChecked()
        try:
            if users is None or sample is None:
                def prepare() -> tuple[list[Any], Any]:
                    us = list(users) if users is not None else S.users_from_traceset(traceset)
                    smp = sample if sample is not None else S.sample_events(
                        us, num_users=n_users, test_length=n,
                        history_window=S.HISTORY_WINDOW if windows else None,
                        test_window=S.TEST_WINDOW if windows else None)
                    return us, smp
                users, sample = await asyncio.to_thread(prepare)
            if not sample.events:
                self.status.setText("No test events were sampled (check the windows and the sample size).")
                return
            self.status.setText(f"Evaluating {len(sample.events)} events of {len(sample.users)} users "
                                f"with {', '.join(s.model for s in specs)}…")
            result = await run_batch(users, sample, specs, out_dir=self.out_dir,
                                     concurrency=self.concurrency_spin.value(), cache=cache,
                                     judge_spec=judge, on_progress=self._on_batch_progress,
                                     max_cost=self.max_cost(), samples=self.samples_spin.value())
        except asyncio.CancelledError:
            self.status.setText(f"Cancelled. The answers so far are saved in {self.out_dir}; "
                                "run again to resume from the cache.")
            self.run_cancelled.emit()
            raise
        except Exception as exc:  # noqa: BLE001 - the one error sink
            self.status.setText("The evaluation failed.")
            self.state.post_error("Evaluation failed", str(exc) or type(exc).__name__)
            return
        finally:
            self._set_running(False)
        self.show_results(result.rows, result.report, result.judge)
        run = result.report.get("run", {})
        self.status.setText(f"Done in {run.get('seconds', 0):.1f} s: {run.get('answered', 0)} answers "
                            f"({run.get('cached', 0)} from cache, {run.get('failed', 0)} failed), "
                            f"cost ${run.get('cost', 0):.4f}{_unknown_cost(run)}. Saved in {self.out_dir}."
                            + _stopped(run) + _resampled(result.report) + _first_failure(result.report)
                            + dropped_params_note())
        self.run_finished.emit(result.report)

    def _on_batch_progress(self, p: Any) -> None:
        now = time.monotonic()
        if p.done < p.total and now - self._last_progress < 0.1 and p.phase == "predict":
            return
        self._last_progress = now
        self.progress.setMaximum(max(1, p.total))
        self.progress.setValue(min(p.done, p.total))
        eta = "–" if p.eta is None else f"{p.eta:.0f} s"
        text = (f"{p.phase}: {p.done}/{p.total} · {p.rate:.1f}/s · ETA {eta} · {p.cost_text()} · "
                f"{p.cached} cached · {p.failed} failed")
        from workbench.simulate.spend import WARN_SHARE

        if p.max_cost is not None and not self._cost_warned and p.cost >= WARN_SHARE * p.max_cost:
            self._cost_warned = True
            self.status.setText(f"Warning: the run has spent ${p.cost:.4f}, {100 * WARN_SHARE:.0f}% or more "
                                f"of its ${p.max_cost:.2f} cap; at the cap no new request starts.")
        self.progress.setFormat(text)
        self.progress_changed.emit(p.done, p.total, text)

    def cancel(self) -> None:
        if self.running:
            self._task.cancel()

    def _on_cancel_clicked(self) -> None:
        self.cancel()

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
        self.results_shown.emit()

    def _on_model_combo_changed(self, model: str) -> None:
        self._draw_charts(model)

    def _draw_charts(self, model: str) -> None:
        biases = self.report.get("biases") or {}
        ha = (biases.get("hyperactivity") or {}).get("fields", {}).get(model) or []
        fields = [f["field"] for f in ha]
        self.rate_chart.set_data(fields, {"real": [f["real_rate"] for f in ha],
                                          model or "model": [f["predicted_rate"] for f in ha]},
                                 value_label="positive rate", value_range=(0.0, 1.0))
        hom = (biases.get("homogenisation") or {}).get("sources", {})
        real, sim = hom.get("real") or {}, hom.get(model) or {}
        self.distance_chart.set_data({"real intra-user": real.get("intra", []),
                                      "real inter-user": real.get("inter", []),
                                      f"{model} intra-user": sim.get("intra", []),
                                      f"{model} inter-user": sim.get("inter", [])},
                                     x_label="RMS distance between behaviour vectors",
                                     colors={"real intra-user": "#e8e8e8", "real inter-user": "#e8e8e8",
                                             f"{model} intra-user": "#E69F00",
                                             f"{model} inter-user": "#E69F00"},
                                     styles={"real inter-user": Qt.PenStyle.DotLine,
                                             f"{model} inter-user": Qt.PenStyle.DotLine})
        self.distance_label.setText(
            f"intra/inter ratio: real {_fmt_ratio(real.get('ratio'))} · {model} {_fmt_ratio(sim.get('ratio'))}"
            "  (low = distinct, stable personas; near 1 = interchangeable users)")
        ut = (biases.get("utopian_tendency") or {}).get("summaries", {})
        cats = ["politeness", "hedging", "complaint", "positive", "negative"]
        series = {}
        for name in ("real", model):
            s = ut.get(name)
            if s and s.get("n_messages"):
                series[name] = [s["share_with"].get(c) for c in cats]
        self.tone_chart.set_data(cats if series else [], series, value_label="share of messages", value_range=(0.0, 1.0))
        lt = (biases.get("long_tail") or {}).get("fields", {}).get(model) or []
        self.tail_chart.set_data([f["field"] for f in lt], {"real": [f["real_rate"] for f in lt],
                                                           model or "model": [f["predicted_rate"] for f in lt]},
                                 value_label="positive rate")

    def _on_rate_chart_bar_clicked(self, field: str, series: str) -> None:
        model = self.model_combo.currentText()
        cases = [r for r in self.rows if r["model"] == model and r["field"] == field and r.get("parse_ok")]
        cases.sort(key=lambda r: -(int(r.get("predicted_label") or 0)))
        self.cases_model.set_cases(cases)
        self.mark_button.setEnabled(False)
        self.cases_label.setText(f"{model} · {field}: {len(cases)} answers (predicted Yes first)")

    def _on_matrix_clicked(self, index: QModelIndex) -> None:
        from workbench.evaluate.matrix import cases_for

        row = self.matrix_model.rows[index.row()]
        metric = self.matrix_model.metric_at(index.column()) or "questions"
        cases = cases_for(self.rows, row.model, row.scenario, metric)
        self.cases_model.set_cases(cases)
        self.mark_button.setEnabled(False)
        self.cases_label.setText(f"{row.model} · {_scenario_en(row.scenario)} · {metric}: {len(cases)} cases")
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


def _scenario_en(name: str) -> str:
    from workbench.traces.schema import OTHER, canonical_scenario

    en = canonical_scenario(name)
    return name if en == OTHER else en


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


def _resampled(report: Mapping[str, Any]) -> str:
    res = report.get("resample")
    if not res:
        return ""
    worst = sorted(((c["rate"], m, f) for m, per in res.get("flip_rate", {}).items() for f, c in per.items()),
                   reverse=True)[:3]
    flips = ", ".join(f"{f} {100 * r:.0f}% ({m})" for r, m, f in worst) or "no question had two answers"
    return (f" {res['samples']} samples per question (scores use the first); most flips: {flips}; "
            "distributions and spreads in report.json (resample).")


def _unknown_cost(run: Mapping[str, Any]) -> str:
    n = run.get("unknown_cost_calls") or 0
    return f" (+{n} calls at unknown price, counted as $0)" if n else ""


def _stopped(run: Mapping[str, Any]) -> str:
    if not run.get("stopped"):
        return ""
    return (f" Stopped: {run['stopped']}; {run.get('not_asked', 0)} questions were not asked. "
            "Raise the cap and run again to go on (finished answers come from the cache).")


def _first_failure(report: Mapping[str, Any]) -> str:
    """" First failure: <reason>" when answers failed (report.json run.failure_reasons), else ""."""
    reasons = (report.get("run") or {}).get("failure_reasons") or []
    if reasons and isinstance(reasons[0], Mapping) and reasons[0].get("error"):
        n = len(reasons)
        return f" First failure: {reasons[0]['error']}" + (f" (+{n - 1} other reasons)" if n > 1 else "")
    return ""


def _fmt_ratio(v: Any) -> str:
    return "–" if v is None else f"{float(v):.2f}"
