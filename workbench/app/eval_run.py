"""Running a batch evaluation from the Evaluation panel. Layer: app (Qt).

:class:`EvalRunMixin` is mixed into :class:`workbench.app.eval_panel.EvaluationPanel`: the run
settings form (models, API base, extra fields, judge, sample, concurrency, spend cap, resampling),
starting :func:`workbench.evaluate.batch.run_batch` (a task on the qasync loop that awaits the batch
run on a worker thread's own event loop, :mod:`workbench.app.llm_loop`, so the model calls never
delay the GUI), its progress (posted to the GUI thread by a Qt signal, at most ten times a second),
Cancel, and the one-line summary of a finished run.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (QCheckBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QProgressBar,
                               QPushButton, QSpinBox)

from workbench.app.llm_fields import ExtraBodyEdit, JudgeSettings, dropped_params_note


class _ProgressPost(QObject):
    """Carries a batch's progress from the worker thread that runs it to the GUI thread (a signal
    emitted there is delivered queued, on the receiver's thread)."""

    posted = Signal(object)     # a BatchProgress

    @staticmethod
    def throttled(post: _ProgressPost, every: float = 0.1) -> Callable[[Any], None]:
        """An ``on_progress`` for the worker that posts at most every ``every`` seconds while
        questions are asked, and always the last answer and every other phase."""
        last = [0.0]

        def on_progress(p: Any) -> None:
            now = time.monotonic()
            if p.phase == "predict" and p.done < p.total and now - last[0] < every:
                return
            last[0] = now
            post.posted.emit(p)

        return on_progress


class EvalRunMixin:
    """The run settings and the running batch of the Evaluation panel (a QWidget subclass)."""

    def _build_run_form(self) -> QFormLayout:
        """Create the run settings and buttons and lay them out in one form."""
        self._progress_post = _ProgressPost(self)
        self._progress_post.posted.connect(self._on_batch_progress)
        self.models_edit = QLineEdit("baseline:user, baseline:population", self)
        self.models_edit.setToolTip("Comma-separated litellm model strings and/or baseline:user, "
                                    "baseline:population")
        self.api_base_edit = QLineEdit(self)
        self.api_base_edit.setPlaceholderText("provider default (or e.g. http://127.0.0.1:8000/v1)")
        self.api_base_edit.setToolTip("One server's base URL, or several servers of the same model separated "
                                      "by spaces: the run is spread over them (concurrency per server)")
        self.extra_body_edit = ExtraBodyEdit(self)   # for every LLM of the run
        self.judge_settings = JudgeSettings(self)
        self.judge_edit = self.judge_settings.model_edit
        self.n_spin = QSpinBox(self)
        self.n_spin.setRange(1, 10_000)
        self.n_spin.setValue(30)
        self.users_spin = QSpinBox(self)
        self.users_spin.setRange(1, 100_000)
        self.users_spin.setValue(200)
        self.windows_check = QCheckBox("benchmark windows", self)
        self.windows_check.setToolTip("Sample as the benchmark does: history from 09-01 to 09-30, test "
                                      "events from 10-01 to 11-30 (off: the whole trace)")
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
        return self._lay_out_run_form()

    def _lay_out_run_form(self) -> QFormLayout:
        """The form of the run settings made by :meth:`_build_run_form`: narrow enough for a
        laptop's bottom dock (no row wider than about 500 px)."""
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
        limits_row = QHBoxLayout()      # apart from the buttons: one row of all fits no laptop's dock
        for w in (QLabel("concurrency"), self.concurrency_spin, QLabel("max cost"), self.max_cost_spin):
            limits_row.addWidget(w)
        limits_row.addStretch(1)
        form.addRow("Limits", limits_row)
        resample_row = QHBoxLayout()
        for w in (QLabel("samples per question"), self.samples_spin, QLabel("temperature"),
                  self.temperature_spin):
            resample_row.addWidget(w)
        resample_row.addStretch(1)
        form.addRow("Resample", resample_row)
        run_row = QHBoxLayout()
        for w in (self.run_button, self.cancel_button, self.open_button):
            run_row.addWidget(w)
        run_row.addWidget(self.progress, 1)
        form.addRow("", run_row)
        return form

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

        urls = self.api_base_edit.text().replace(",", " ").split()
        api_base, servers = (urls[0] if urls else None), ()
        if len(urls) > 1:       # several servers of one model: a pool over them (ValueError if bad)
            from workbench.simulate.servers import servers_from_urls

            api_base, servers = None, servers_from_urls(urls, self.concurrency_spin.value())
        names = [m.strip() for m in self.models_edit.text().replace(";", ",").split(",") if m.strip()]
        try:
            extra = self.extra_body_edit.value()
        except ValueError:
            extra = None   # the field shows the error; _on_run_clicked refuses to start
        return [ModelSpec(m, api_base=None if m.startswith("baseline:") else api_base,
                          servers=() if m.startswith("baseline:") else servers,
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
        try:
            specs = self.specs()
        except ValueError as exc:
            self.state.post_error("Evaluation", f"API base: {exc}")
            return
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
            from workbench.app import llm_loop
            from workbench.simulate.servers import pool_concurrency

            # the model calls run on a worker's own event loop: the GUI loop only gets the progress
            kwargs = dict(out_dir=self.out_dir, concurrency=pool_concurrency(specs, self.concurrency_spin.value()),
                          cache=cache, judge_spec=judge, on_progress=_ProgressPost.throttled(self._progress_post),
                          max_cost=self.max_cost(), samples=self.samples_spin.value())
            result = await llm_loop.run(lambda: run_batch(users, sample, specs, **kwargs))
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
                            + _stopped(run) + _resampled(result.report) + _server_shares(result.report)
                            + _first_failure(result.report)
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


def _server_shares(report: Mapping[str, Any]) -> str:
    """" Servers of M: URL 52%, URL 48%." for each model run on several servers ("" otherwise)."""
    return "".join(f" Servers of {m}: " + ", ".join(f"{url} {100 * c['share']:.0f}%" for url, c in per.items()) + "."
                   for m, per in report.get("servers", {}).items())


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
