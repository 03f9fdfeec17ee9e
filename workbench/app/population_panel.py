"""The Population dock: every user of the open traces as a row. Layer: app (Qt).

Wires :mod:`workbench.traces.population` (figures, computed on a worker when a dataset opens) to
:class:`widgets.population.PopulationView`; choosing a row makes that user current (the timeline,
inspector and other panels follow through :class:`~workbench.app.state.AppState`). *Compare with a
run…* adds, per model of an evaluation run, each user's real and predicted Yes share, so the
homogenisation of simulated users shows as a narrow column beside a wide real one.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from widgets.population import Column, PopulationView
from workbench.app.jobs import Job, run_in_thread
from workbench.app.state import AppState

if TYPE_CHECKING:
    from workbench.tasks import TaskState
    from workbench.traces.traceset import TraceSet

__all__ = ["PopulationPanel", "population_columns"]

_SHARE_TIPS = {"engaged": "share of the user's events with a like, comment, share, gift, follow, "
                          "collect or fan-group join",
               "converted": "share of events with a cart add, paid purchase or ad conversion"}


def _figures_job(task: TaskState, traces: TraceSet) -> Any:
    from workbench.traces.population import population_table

    task.progress(0, 0, "Summarising every user")
    return population_table(traces.events, traces.user_ids())


def _run_job(task: TaskState, run_dir: str) -> Any:
    from workbench.evaluate.batch import read_rows
    from workbench.evaluate.population import spread, user_rates

    rows = read_rows(Path(run_dir) / "predictions.jsonl")
    if not rows:
        raise ValueError(f"{run_dir}: no predictions.jsonl with answers (not an evaluation run)")
    rates = user_rates(rows)
    return rates, {m: spread(r) for m, r in rates.items()}


def population_columns(pop: Any, rates: dict[str, dict[str, Any]] | None = None) -> list[Column]:
    """The view's columns for a :class:`~workbench.traces.population.Population` (and, when given,
    a run's per-user rates: model -> user -> UserRate)."""
    f = pop.frame
    cols = [Column("events", "events", f["events"].to_numpy().astype(float), "count"),
            Column("active_days", "active days", f["active_days"].to_numpy().astype(float), "count"),
            Column("engaged", "engaged", f["engaged"].to_numpy().astype(float), "share", _SHARE_TIPS["engaged"]),
            Column("converted", "converted", f["converted"].to_numpy().astype(float), "share",
                   _SHARE_TIPS["converted"])]
    for c in f.columns:
        if c.startswith("rate_"):
            cols.append(Column(c, c[5:].replace("_", " "), f[c].to_numpy().astype(float), "share",
                               f"share of the user's events with a {c[5:]} action"))
    for c in f.columns:
        if c.startswith("time_"):
            cols.append(Column(c, f"time: {c[5:]}", f[c].to_numpy().astype(float), "share",
                               f"share of the user's watch time in {c[5:]}"))
    users = pop.user_ids
    for model, per_user in (rates or {}).items():
        real = np.array([per_user[u].real if u in per_user else np.nan for u in users])
        pred = np.array([per_user[u].predicted if u in per_user else np.nan for u in users])
        cols.append(Column(f"{model}:real", f"real Yes ({model})", real, "share",
                           "share of Yes in the real answers to the run's Yes/No questions"))
        cols.append(Column(f"{model}:pred", f"simulated Yes ({model})", pred, "share",
                           "share of Yes in the model's answers to the same questions"))
    return cols


class PopulationPanel(QWidget):
    """Users as rows; follows :class:`AppState`'s dataset and current user."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.view = PopulationView(self)
        self.view.user_chosen.connect(self._on_view_user_chosen)
        self.compare_button = QPushButton("Compare with a run…", self)
        self.compare_button.setToolTip("Add each user's real and simulated Yes share from an "
                                       "evaluation run folder (predictions.jsonl)")
        self.compare_button.clicked.connect(self._on_compare_button_clicked)
        self.clear_button = QPushButton("Clear run", self)
        self.clear_button.clicked.connect(self.clear_run)
        self.clear_button.setEnabled(False)
        row = QHBoxLayout()
        row.addWidget(self.compare_button)
        row.addWidget(self.clear_button)
        row.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(row)
        lay.addWidget(self.view, 1)
        self.population: Any = None
        self.rates: dict[str, dict[str, Any]] | None = None
        self.spreads: dict[str, dict[str, float | None]] = {}
        self._job: Job | None = None
        state.dataset_changed.connect(self.refresh)
        state.user_changed.connect(self.view.set_current)
        self.refresh()

    def refresh(self) -> None:
        """Recompute the figures of the current dataset on a worker."""
        if self._job is not None:
            self._job.cancel()
        ds = self.state.dataset
        if ds is None:
            self.view.set_population([], [], np.zeros((0, 0)), [], "No traces open.")
            return
        self.view.summary.setText("Summarising every user…")
        self.view.summary.show()
        self._job = run_in_thread(_figures_job, ds, on_done=self._on_figures_done, state=self.state,
                                  title="Population")

    def _on_figures_done(self, pop: Any) -> None:
        self.population = pop
        self._show()

    def _show(self) -> None:
        pop = self.population
        if pop is None:
            return
        days = [d.isoformat() for d in pop.days]
        text = f"{len(pop.user_ids)} users, {int(pop.frame['events'].sum()):,} events"
        if days:
            text += f", {days[0]} – {days[-1]}"
        for model, s in self.spreads.items():
            if s.get("real_sd") is not None:
                text += (f". {model}: spread of Yes share across users {100 * s['real_sd']:.1f} pp "
                         f"real vs {100 * (s['predicted_sd'] or 0):.1f} pp simulated")
        self.view.set_population(pop.user_ids, population_columns(pop, self.rates), pop.activity, days,
                                 text + ". Double-click a user to open it.")
        if self.state.current_user:
            self.view.set_current(self.state.current_user)

    def load_run(self, run_dir: str) -> Job:
        """Add the per-user real and predicted Yes shares of the run in ``run_dir``."""
        return run_in_thread(_run_job, run_dir, on_done=self._on_run_done, state=self.state,
                             title="Population: compare with a run")

    def _on_run_done(self, result: Any) -> None:
        self.rates, self.spreads = result
        self.clear_button.setEnabled(True)
        self._show()

    def clear_run(self) -> None:
        """Drop the run's columns."""
        self.rates, self.spreads = None, {}
        self.clear_button.setEnabled(False)
        self._show()

    def _on_compare_button_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Evaluation run folder")
        if folder:
            self.load_run(folder)

    def _on_view_user_chosen(self, user_id: str) -> None:
        self.state.set_user(user_id)
