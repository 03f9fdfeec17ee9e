"""The Compare dock: a baseline run against a contender, question by question. Layer: app (Qt).

A thin view over :mod:`workbench.evaluate.compare`: pick the baseline and the contender (a run
folder and one of its models each; the same folder twice compares two models of one run), choose
what the bootstrap resamples, and press *Compare* (computed on a worker). The metrics table shows
every metric with the difference and its paired 95% interval (bold where it excludes 0; McNemar's
p for Yes/No fields); the questions table lists every shared question, largest change first, with
filters. Selecting a question shows both answers and both raw outputs; double-clicking it opens the
event on the timeline (when the open traces hold that user). *Export HTML…* writes the same page
as ``workbench compare --html``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from workbench.app.jobs import Job, run_in_thread
from workbench.app.list_model import ListTableModel
from workbench.app.state import AppState

if TYPE_CHECKING:
    from workbench.tasks import TaskState

__all__ = ["ComparePanel", "MetricsModel", "QuestionsModel"]

_ANY = "(any)"


def _fmt(v: Any, digits: int = 2) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


class MetricsModel(ListTableModel):
    """One row per :class:`~workbench.evaluate.compare.MetricDiff`."""

    HEADERS = ("metric", "baseline", "contender", "difference", "95% interval", "McNemar p", "n")

    @property
    def metrics(self) -> list[Any]:
        """The metrics shown, one per row."""
        return self.items

    def set_metrics(self, metrics: list[Any]) -> None:
        """Show these metrics."""
        self.set_items(metrics)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        m = self.metrics[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return m.name
            if col == 1:
                return _fmt(m.base)
            if col == 2:
                return _fmt(m.other)
            if col == 3:
                return "–" if m.diff is None else f"{m.diff:+.2f}"
            if col == 4:
                return "–" if m.low is None else f"[{m.low:+.2f}, {m.high:+.2f}]"
            if col == 5:
                return "–" if m.p_value is None else f"{m.p_value:.3g}"
            return f"{m.n} {m.unit}"
        if role == Qt.ItemDataRole.FontRole and m.significant:
            f = QFont()
            f.setBold(True)
            return f
        if role == Qt.ItemDataRole.ToolTipRole and m.significant:
            return "The 95% interval of the difference excludes 0"
        if role == Qt.ItemDataRole.TextAlignmentRole and col > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class QuestionsModel(ListTableModel):
    """One row per :class:`~workbench.evaluate.compare.QuestionDiff` (already filtered)."""

    HEADERS = ("user", "event", "field", "real", "baseline", "contender", "change")

    @property
    def questions(self) -> list[Any]:
        """The questions shown, one per row."""
        return self.items

    def set_questions(self, questions: list[Any]) -> None:
        """Show these questions."""
        self.set_items(questions)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        q = self.questions[index.row()]
        vals = (q.user_id, str(q.event_index), q.field, _value(q, q.true_value), _value(q, q.base),
                _value(q, q.other), q.flip)
        text = vals[index.column()]
        if role == Qt.ItemDataRole.DisplayRole and len(text) > 60:
            return text[:59] + "…"
        return text


def _value(q: Any, v: Any) -> str:
    if q.kind == "binary" and v in (0, 1):
        return "Yes" if v == 1 else "No"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return _fmt(v).replace("\n", " ")


def _compare_job(task: TaskState, base: tuple[str, str], other: tuple[str, str], unit: str, reps: int) -> Any:
    from workbench.evaluate.compare import compare_sides, load_run, side_of

    task.progress(0, 0, "Comparing runs")
    runs = {p: load_run(p) for p in {base[0], other[0]}}
    return compare_sides(side_of(runs[base[0]], base[1]), side_of(runs[other[0]], other[1]),
                         unit=unit, reps=reps)


class ComparePanel(QWidget):
    """Pick two sides, compare, browse the metrics and the changed questions."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.comparison: Any = None
        self._job: Job | None = None
        self._rows: dict[str, dict[tuple[str, int, str, str], dict[str, Any]]] = {}
        self._settings: dict[str, dict[str, Any]] = {}
        self._prompts: dict[str, dict[tuple[str, int], dict[str, Any]]] = {}
        self._build()

    def _side_row(self, grid: QGridLayout, row: int, title: str) -> tuple[QLineEdit, QComboBox]:
        path = QLineEdit(self)
        path.setPlaceholderText("run folder (predictions.jsonl)")
        path.setReadOnly(True)
        models = QComboBox(self)
        models.setMinimumContentsLength(12)
        browse = QPushButton("Choose…", self)
        browse.clicked.connect(lambda: self._choose_run(path, models))
        grid.addWidget(QLabel(title, self), row, 0)
        grid.addWidget(path, row, 1)
        grid.addWidget(browse, row, 2)
        grid.addWidget(models, row, 3)
        return path, models

    def _build(self) -> None:
        grid = QGridLayout()
        self.base_path, self.base_model = self._side_row(grid, 0, "Baseline")
        self.other_path, self.other_model = self._side_row(grid, 1, "Contender")
        grid.setColumnStretch(1, 1)
        self.unit = QComboBox(self)
        self.unit.addItems(["questions", "users"])
        self.unit.setToolTip("What the paired bootstrap resamples: single questions, or whole users")
        self.reps = QSpinBox(self)
        self.reps.setRange(0, 100_000)
        self.reps.setValue(1000)
        self.reps.setToolTip("Bootstrap replicates (0: no intervals)")
        self.compare_button = QPushButton("Compare", self)
        self.compare_button.clicked.connect(self.compare)
        self.export_button = QPushButton("Export HTML…", self)
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self._on_export_clicked)
        self.status = QLabel("Choose two runs, or one run twice with two models.", self)
        self.status.setWordWrap(True)
        knobs = QHBoxLayout()
        for w in (QLabel("resample", self), self.unit, QLabel("replicates", self), self.reps,
                  self.compare_button, self.export_button):
            knobs.addWidget(w)
        knobs.addStretch(1)
        self.metrics_model = MetricsModel(self)
        self.metrics_view = QTableView(self)
        self.metrics_view.setModel(self.metrics_model)
        self.metrics_view.verticalHeader().setVisible(False)
        self.questions_model = QuestionsModel(self)
        self.questions_view = QTableView(self)
        self.questions_view.setModel(self.questions_model)
        self.questions_view.verticalHeader().setVisible(False)
        self.questions_view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.questions_view.selectionModel().currentRowChanged.connect(self._on_question_current_changed)
        self.questions_view.doubleClicked.connect(self._on_question_double_clicked)
        lower = self._build_questions()
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.metrics_view)
        split.addWidget(lower)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(grid)
        lay.addLayout(knobs)
        lay.addWidget(self.status)
        lay.addWidget(split, 1)

    def _build_questions(self) -> QWidget:
        """The question filters above the questions table, beside the answers and both prompts."""
        self.changed_only = QCheckBox("changed only", self)
        self.changed_only.setChecked(True)
        self.field_filter = QComboBox(self)
        self.scenario_filter = QComboBox(self)
        self.user_filter = QLineEdit(self)
        self.user_filter.setPlaceholderText("user…")
        for w in (self.changed_only,):
            w.toggled.connect(self._refilter)
        for c in (self.field_filter, self.scenario_filter):
            c.currentTextChanged.connect(self._refilter)
        self.user_filter.textChanged.connect(self._refilter)
        filters = QHBoxLayout()
        for w in (self.changed_only, QLabel("field", self), self.field_filter, QLabel("scenario", self),
                  self.scenario_filter, self.user_filter):
            filters.addWidget(w)
        filters.addStretch(1)
        self.detail = QPlainTextEdit(self)
        self.detail.setReadOnly(True)
        self.detail.setPlaceholderText("Select a question to see both answers; double-click it to "
                                       "open the event on the timeline.")
        self.base_prompt = QPlainTextEdit(self)
        self.other_prompt = QPlainTextEdit(self)
        for view in (self.base_prompt, self.other_prompt):
            view.setReadOnly(True)
            view.setPlaceholderText("Open the traces the runs were made on to see the prompt.")
        self.detail_tabs = QTabWidget(self)
        self.detail_tabs.addTab(self.detail, "Answers")
        self.detail_tabs.addTab(self.base_prompt, "Baseline's prompt")
        self.detail_tabs.addTab(self.other_prompt, "Contender's prompt")
        lower = QWidget(self)
        ll = QVBoxLayout(lower)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addLayout(filters)
        split_q = QSplitter(Qt.Orientation.Horizontal, lower)
        split_q.addWidget(self.questions_view)
        split_q.addWidget(self.detail_tabs)
        ll.addWidget(split_q, 1)
        return lower

    # -- choosing the sides -----------------------------------------------------------------------

    def _choose_run(self, path: QLineEdit, models: QComboBox) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Evaluation run folder")
        if folder:
            self.set_side(path is self.base_path, folder)

    def set_side(self, baseline: bool, folder: str, model: str | None = None) -> None:
        """Set the baseline (``baseline=True``) or the contender to ``folder`` and list its models;
        picks ``model`` (default: the first, or for the contender of the same folder the second)."""
        from workbench.evaluate.compare import CompareError, load_run

        path, combo = (self.base_path, self.base_model) if baseline else (self.other_path, self.other_model)
        try:
            run = load_run(folder)
        except CompareError as exc:
            self.state.post_error("Compare runs", str(exc))
            return
        from workbench.evaluate.prompt_index import read_prompt_index

        self._settings[folder] = dict(run.settings)
        self._prompts[folder] = read_prompt_index(folder)
        self._rows[folder] = {(str(r["user_id"]), int(r["event_index"]), str(r["field"]), str(r["model"])): r
                              for r in run.rows}
        path.setText(folder)
        combo.clear()
        combo.addItems(run.models)
        if model:
            combo.setCurrentText(model)
        elif not baseline and folder == self.base_path.text() and len(run.models) > 1:
            combo.setCurrentIndex(1)

    # -- comparing --------------------------------------------------------------------------------

    def compare(self) -> Job | None:
        """Compare the chosen sides on a worker; None when a side is missing."""
        base = (self.base_path.text(), self.base_model.currentText())
        other = (self.other_path.text(), self.other_model.currentText())
        if not all(base) or not all(other):
            self.status.setText("Choose a run and a model for both sides first.")
            return None
        if base == other:
            self.status.setText("The baseline and the contender are the same: pick another model or run.")
            return None
        if self._job is not None:
            self._job.cancel()
        self.status.setText("Comparing…")
        self.compare_button.setEnabled(False)
        self._job = run_in_thread(_compare_job, base, other, self.unit.currentText(), self.reps.value(),
                                  on_done=self._on_compared, on_error=self._on_compare_failed,
                                  title="Compare runs")
        return self._job

    def _on_compare_failed(self, message: str) -> None:
        self.compare_button.setEnabled(True)
        self.status.setText(message.split("\n\n")[0])
        self.state.post_error("Compare runs", message.split("\n\n")[0])

    def _on_compared(self, comparison: Any) -> None:
        self.compare_button.setEnabled(True)
        self.export_button.setEnabled(True)
        self.comparison = comparison
        self.metrics_model.set_metrics(comparison.metrics)
        self.metrics_view.resizeColumnsToContents()
        fields = sorted({q.field for q in comparison.questions})
        scen = sorted({q.scenario for q in comparison.questions})
        for combo, items in ((self.field_filter, fields), (self.scenario_filter, scen)):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems([_ANY, *items])
            combo.blockSignals(False)
        flips = sum(v.get("right→wrong", 0) + v.get("wrong→right", 0) for v in comparison.flips.values())
        self.status.setText(f"{len(comparison.questions)} questions answered by both; {flips} Yes/No "
                            f"answers flipped. Bold: the 95% interval excludes 0 "
                            f"({comparison.settings['replicates']} replicates over "
                            f"{comparison.settings['unit']}).")
        self._refilter()

    def _refilter(self) -> None:
        from workbench.evaluate.compare import filter_questions

        if self.comparison is None:
            return
        f = self.field_filter.currentText()
        s = self.scenario_filter.currentText()
        qs = filter_questions(self.comparison.questions, changed_only=self.changed_only.isChecked(),
                              field_name=None if f in ("", _ANY) else f,
                              scenario=None if s in ("", _ANY) else s,
                              user=self.user_filter.text().strip() or None)
        self.questions_model.set_questions(qs)
        self.questions_view.resizeColumnsToContents()

    # -- one question -----------------------------------------------------------------------------

    def _raw(self, folder: str, model: str, q: Any) -> str:
        r = self._rows.get(folder, {}).get((q.user_id, q.event_index, q.field, model), {})
        return str(r.get("raw_output") or r.get("error") or "")

    def _on_question_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        q = self.questions_model.questions[current.row()]
        base = (self.base_path.text(), self.base_model.currentText())
        other = (self.other_path.text(), self.other_model.currentText())
        self.detail.setPlainText(
            f"user {q.user_id} · event {q.event_index} · {q.field} ({q.scenario})\n"
            f"real: {_value(q, q.true_value)}\n\n"
            f"baseline {base[1]}: {_value(q, q.base)}\nraw output: {self._raw(*base, q)}\n\n"
            f"contender {other[1]}: {_value(q, q.other)}\nraw output: {self._raw(*other, q)}\n\n"
            f"change: {q.flip}")
        self._show_prompt(self.base_prompt, base[0], q)
        self._show_prompt(self.other_prompt, other[0], q)

    def _show_prompt(self, view: QPlainTextEdit, folder: str, q: Any) -> None:
        """The prompt that side's model saw, rebuilt from the open traces (and said so if it cannot
        be rebuilt exactly)."""
        from workbench.evaluate.prompt_index import rebuild_prompt

        ds = self.state.dataset
        if ds is None:
            view.setPlainText("")
            return
        got = rebuild_prompt(ds, self._settings.get(folder, {}),
                             self._prompts.get(folder, {}).get((q.user_id, q.event_index)),
                             q.user_id, q.event_index, q.field)
        head = "(exactly the prompt the model saw)" if got.exact else f"({got.note})"
        view.setPlainText(f"{head}\n\n{got.text}" if got.text else head)

    def _on_question_double_clicked(self, index: QModelIndex) -> None:
        q = self.questions_model.questions[index.row()]
        ds = self.state.dataset
        if ds is None or q.user_id not in ds.user_ids():
            self.state.post_error("Compare runs", f"user {q.user_id} is not in the open traces: open "
                                  "the traces the runs were made on to see the event in context")
            return
        self.state.select_event(q.user_id, q.event_index)

    def _on_export_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export comparison", "comparison.html", "HTML (*.html)")
        if path:
            self.export_html(Path(path))

    def export_html(self, path: Path) -> None:
        """Write the comparison as a self-contained HTML page (every question, not only the filtered)."""
        from workbench.evaluate.compare_cli import render_html
        from workbench.fileio import atomic_write_text

        atomic_write_text(path, render_html([self.comparison], [self.comparison.questions]))
        self.state.post_status(f"Comparison written to {path}")
