"""The Rollout dock: let a model live the current user's days, drawn under the real ones. Layer: app
(Qt).

Controls: the model (a baseline or any litellm model string, with an API base), the start (the
selected event's time by default), the horizon in days, every Nth event, closed loop (the model
feeds on its own reactions; the open loop always runs too), a spend cap. *Run* rolls out on the
qasync loop through :func:`workbench.evaluate.rollout.run_rollout` (progress, cancel keeps what
finished); the result is saved under the data folder as ``rollout.json`` plus the simulated traces
in OmniBehavior JSON, which are read back through the ordinary trace loader for drawing.

Results: a :class:`~widgets.split_timeline.SplitTimeline` (real above, the chosen loop below, a lane
marking where they disagree), small multiples per day (engagement rate, interest drift, closed minus
open), and for the clicked event the real answers beside each loop's.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QDateTime, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from widgets.comparison import ComparisonCell, ComparisonRow, ComparisonTable
from widgets.split_timeline import SplitTimeline, Track
from workbench.app.state import AppState

__all__ = ["RolloutPanel", "track_of"]

_COLORS = {"real": "#e8e8e8", "open": "#56B4E9", "closed": "#E69F00"}


def track_of(user_id: str, frame: Any, title: str) -> Track:
    """The drawing arrays of one user's canonical event frame."""
    from workbench.app.navigation import UserTrack

    tr = UserTrack(user_id, frame)
    p = tr.plot
    return Track(tr.t[p], tr.lane[p], tr.kind[p], tr.value[p], tr.ids[p], tr.lanes, title)


def _load_simulated(path: Path) -> tuple[str, Any]:
    from workbench.traces import load_traces

    ts = load_traces(path, use_cache=False)
    uid = ts.user_ids()[0]
    return uid, ts.user_events(uid)


def _engaged(answers: dict[str, Any]) -> bool:
    from workbench.simulate.questions import FIELDS

    return any(FIELDS.get(f, ("", ""))[0] == "binary" and float(v or 0) >= 0.5 for f, v in answers.items())


class RolloutPanel(QWidget):
    """See the module docstring."""

    rollout_finished = Signal(object)        # {"open": Rollout, "closed": Rollout | None}

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.results: dict[str, Any] = {}
        self.days: dict[str, list[Any]] = {}
        self.out_dir: Path | None = None
        self._task: asyncio.Task | None = None
        self._events: list[tuple[int, dict[str, Any]]] = []
        self._build()
        state.selection_changed.connect(self._on_state_selection_changed)
        state.user_changed.connect(self._on_state_user_changed)
        self._on_state_user_changed(state.current_user)
        self._on_state_selection_changed(state.current_user, state.selected_index)   # built after a pick

    # -- layout -----------------------------------------------------------------------------------

    def _build(self) -> None:
        self._build_controls()
        grid, buttons = self._controls_layout()
        self._build_pages()
        content = QWidget(self)
        content.setMinimumSize(560, 640)      # two timelines and the charts need room: scroll if short
        lay = QVBoxLayout(content)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(grid)
        lay.addLayout(buttons)
        lay.addWidget(self.status)
        lay.addWidget(self.pages, 1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self.setMinimumSize(200, 120)         # a dock never forces the window to grow

    def _build_controls(self) -> None:
        """The run controls: model, API base, start, horizon, memory, budget, samples, cap, buttons."""
        self.model = QComboBox(self)
        self.model.setEditable(True)
        self.model.addItems(["baseline:user", "baseline:population"])
        self.model.setToolTip("A baseline, or any litellm model string (e.g. openai/gpt-4o-mini)")
        self.api_base = QLineEdit(self)
        self.api_base.setPlaceholderText("API base (local OpenAI-compatible server), optional")
        self.start_edit = QDateTimeEdit(self)
        self.start_edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.start_edit.setCalendarPopup(True)
        self.days_spin = QDoubleSpinBox(self)
        self.days_spin.setRange(0.05, 90.0)
        self.days_spin.setValue(7.0)
        self.days_spin.setSuffix(" days")
        self.every_spin = QSpinBox(self)
        self.every_spin.setRange(1, 1000)
        self.every_spin.setPrefix("every ")
        self.closed_check = QCheckBox("closed loop too", self)
        self.closed_check.setChecked(True)
        self.closed_check.setToolTip("Also let the model live on its own earlier reactions "
                                     "(the open loop, with the real history, always runs)")
        self.memory = QComboBox(self)
        self.memory.addItems(["truncate", "retrieve"])
        self.memory.setToolTip("Memory strategy: recency truncation (the benchmark's) or BM25 retrieval")
        self.budget_spin = QSpinBox(self)
        self.budget_spin.setRange(4000, 128000)
        self.budget_spin.setSingleStep(4000)
        self.budget_spin.setValue(32000)
        self.budget_spin.setSuffix(" tokens")
        self.budget_spin.setToolTip("Whole-prompt token budget")
        self.samples_spin = QSpinBox(self)
        self.samples_spin.setRange(1, 50)
        self.samples_spin.setPrefix("samples ")
        self.samples_spin.setToolTip("Ask each question K times: the simulated user acts on the majority "
                                     "and each event keeps the answer distribution")
        self.cap_spin = QDoubleSpinBox(self)
        self.cap_spin.setRange(0.0, 10_000.0)
        self.cap_spin.setDecimals(2)
        self.cap_spin.setPrefix("cap $")
        self.cap_spin.setSpecialValueText("no spend cap")
        self.run_button = QPushButton("Run rollout", self)
        self.run_button.clicked.connect(self._on_run_clicked)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.lower = QComboBox(self)
        self.lower.addItems(["closed loop", "open loop"])
        self.lower.setToolTip("Which simulated week is drawn under the real one")
        self.lower.currentTextChanged.connect(self._draw_split)
        self.present_button = QPushButton("Present", self)
        self.present_button.setToolTip("The real week above the simulated one and the gap chart, for a "
                                       "room (F: full screen, Esc: close)")
        self.present_button.setEnabled(False)
        self.present_button.clicked.connect(self.present)
        self.status = QLabel("Select an event to start from, then Run rollout.", self)
        self.status.setWordWrap(True)

    def _controls_layout(self) -> tuple[QGridLayout, QHBoxLayout]:
        """The controls in a grid, and the row of buttons."""
        grid = QGridLayout()
        grid.addWidget(QLabel("Model", self), 0, 0)
        grid.addWidget(self.model, 0, 1)
        grid.addWidget(self.api_base, 0, 2, 1, 3)
        grid.addWidget(QLabel("From", self), 1, 0)
        grid.addWidget(self.start_edit, 1, 1)
        grid.addWidget(self.days_spin, 1, 2)
        grid.addWidget(self.every_spin, 1, 3)
        grid.addWidget(self.cap_spin, 1, 4)
        grid.addWidget(self.samples_spin, 0, 5)
        grid.addWidget(self.memory, 1, 5)
        grid.addWidget(self.budget_spin, 1, 6)
        grid.setColumnStretch(2, 1)
        buttons = QHBoxLayout()
        for w in (self.closed_check, self.run_button, self.cancel_button, QLabel("draw below:", self),
                  self.lower, self.present_button):
            buttons.addWidget(w)
        buttons.addStretch(1)
        return grid, buttons

    def _build_pages(self) -> None:
        """The placeholder and, once a rollout ran, the split timeline above the charts and details."""
        self.split = SplitTimeline(self)
        self.split.event_clicked.connect(self._on_split_event_clicked)
        self.charts = pg.GraphicsLayoutWidget(self)
        self.charts.setMinimumHeight(120)
        self.detail = ComparisonTable(self)
        lower = QSplitter(Qt.Orientation.Horizontal, self)
        lower.addWidget(self.charts)
        lower.addWidget(self.detail)
        body = QSplitter(Qt.Orientation.Vertical, self)
        body.addWidget(self.split)
        body.addWidget(lower)
        body.setStretchFactor(0, 3)
        body.setStretchFactor(1, 1)
        self.placeholder = QLabel("No rollout yet. Pick a model and a start (select an event), then "
                                  "Run rollout: the simulated days will be drawn under the real ones.", self)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self.placeholder)
        self.pages.addWidget(body)

    # -- start ------------------------------------------------------------------------------------

    def _on_state_user_changed(self, user_id: str) -> None:
        """Default start: two thirds into the user's trace, at midnight (a selected event overrides)."""
        if self.running or self.state.dataset is None or not user_id:
            return
        ts = self.state.dataset.user_events(user_id)["ts"].drop_nulls()
        if ts.len():
            lo, hi = ts.min(), ts.max()
            start = (lo + (hi - lo) * 2 / 3).replace(hour=0, minute=0, second=0, microsecond=0)
            self.start_edit.setDateTime(QDateTime.fromString(start.strftime("%Y-%m-%d %H:%M"),
                                                             "yyyy-MM-dd HH:mm"))

    def _on_state_selection_changed(self, user_id: str, event_index: int) -> None:
        if self.running or self.state.dataset is None or event_index < 0:
            return
        frame = self.state.dataset.user_events(user_id)
        row = frame.filter(frame["event_index"] == event_index)
        if row.height and row["ts"][0] is not None:
            ts = row["ts"][0]
            self.start_edit.setDateTime(QDateTime.fromString(ts.strftime("%Y-%m-%d %H:%M"), "yyyy-MM-dd HH:mm"))

    @property
    def running(self) -> bool:
        """Whether a rollout is running."""
        return self._task is not None and not self._task.done()

    def _on_run_clicked(self) -> None:
        if self.state.dataset is None or not self.state.current_user:
            self.state.post_error("Rollout", "Open a trace and choose a user first.")
            return
        self.start()

    def start(self, *, out_dir: Path | None = None, cache: Any = None) -> asyncio.Task:
        """Start the rollout(s) on the running asyncio (qasync) loop; returns its task."""
        if self.running:
            raise RuntimeError("a rollout is already running")
        from workbench.simulate.types import ModelSpec

        model = self.model.currentText().strip()
        spec = ModelSpec(model, api_base=None if model.startswith("baseline:") else
                         (self.api_base.text().strip() or None))
        t0 = self.start_edit.dateTime().toString("yyyy-MM-dd HH:mm:ss")
        if out_dir is None:
            from workbench.paths import data_dir

            out_dir = data_dir() / "rollouts" / time.strftime("%Y%m%d-%H%M%S")
        self.out_dir = Path(out_dir)
        self._task = asyncio.ensure_future(self._run(spec, t0, cache))
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        return self._task

    def cancel(self) -> None:
        """Stop starting new steps; the finished ones are kept and drawn."""
        self._cancel = True

    async def _run(self, spec: Any, t0: str, cache: Any) -> None:
        from workbench.evaluate.rollout import (
            CLOSED,
            OPEN,
            REAL,
            RolloutError,
            daily_figures,
            run_rollout,
        )
        from workbench.simulate.baselines import BASELINE_POPULATION, BaselineStats

        ds, uid = self.state.dataset, self.state.current_user
        self._cancel = False

        class _Task:
            cancelled = False

        task = _Task()

        def on_step(step: Any, done: int, planned: int) -> None:
            task.cancelled = self._cancel
            self.status.setText(f"{mode} loop: {done}/{planned} events")

        try:
            def prepare() -> tuple[list[tuple[int, dict[str, Any]]], Any]:
                idx = ds.user_events(uid)["event_index"].to_list()
                stats = None
                if spec.model == BASELINE_POPULATION:
                    stats = BaselineStats.from_users(ds.raw_events(u) for u in ds.user_ids() if u != uid)
                return list(zip(idx, ds.raw_events(uid))), stats
            self._events, stats = await asyncio.to_thread(prepare)
            self.results = {}
            for mode in ([OPEN, CLOSED] if self.closed_check.isChecked() else [OPEN]):
                if self._cancel:
                    break
                self.results[mode] = await run_rollout(
                    uid, ds.profile(uid), self._events, spec, t0=t0, days=self.days_spin.value(),
                    closed_loop=mode == CLOSED, every=self.every_spin.value(), cache=cache,
                    baselines=stats, max_cost=self.cap_spin.value() or None, on_step=on_step, task=task,
                    samples=self.samples_spin.value(), memory=self.memory.currentText(),
                    max_history_tokens=self.budget_spin.value())
            self.days = {REAL: daily_figures(self.results[OPEN], self._events, REAL)}
            for m, r in self.results.items():
                self.days[m] = daily_figures(r, self._events, m)
            await asyncio.to_thread(self._save, uid, ds.profile(uid))
        except RolloutError as exc:
            self.status.setText(str(exc))
            self.state.post_error("Rollout", str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - the one error sink
            self.status.setText("The rollout failed.")
            self.state.post_error("Rollout failed", str(exc) or type(exc).__name__)
            return
        finally:
            self.run_button.setEnabled(True)
            self.cancel_button.setEnabled(False)
        await self._show(uid)

    def _save(self, uid: str, profile: str) -> None:
        from dataclasses import asdict

        from workbench.evaluate.rollout import to_omnibehavior
        from workbench.fileio import atomic_write_text

        assert self.out_dir is not None
        self.out_dir.mkdir(parents=True, exist_ok=True)
        doc = {"user_id": uid, "runs": {m: r.to_dict() for m, r in self.results.items()},
               "days": {s: [asdict(d) for d in v] for s, v in self.days.items()}}
        atomic_write_text(self.out_dir / "rollout.json", json.dumps(doc, ensure_ascii=False, default=str))
        for m, r in self.results.items():
            atomic_write_text(self.out_dir / f"simulated_{m}.json",
                              json.dumps(to_omnibehavior(r, profile, self._events), ensure_ascii=False))

    # -- results ----------------------------------------------------------------------------------

    async def _show(self, uid: str) -> None:
        assert self.out_dir is not None
        self._tracks: dict[str, Track] = {}
        for m in self.results:
            sim_uid, frame = await asyncio.to_thread(_load_simulated, self.out_dir / f"simulated_{m}.json")
            self._tracks[m] = track_of(sim_uid, frame, f"simulated · {m} loop · {self.results[m].model}")
        self._tracks["real"] = track_of(uid, self.state.dataset.user_events(uid), f"real · {uid}")
        self.pages.setCurrentIndex(1)
        self.present_button.setEnabled(True)
        self.lower.setCurrentText("closed loop" if "closed" in self.results else "open loop")
        self._draw_split()
        self._draw_charts()
        self.detail.set_data([f"{m} loop" for m in self.results], [])
        parts = []
        for m, r in self.results.items():
            unknown = f", {r.unknown_cost_calls} calls at unknown price" if r.unknown_cost_calls else ""
            parts.append(f"{m} loop {len(r.steps)}/{r.planned} events, ${r.cost:.4f}{unknown}"
                         + (f" (stopped: {r.stopped})" if r.stopped else ""))
        self.status.setText("; ".join(parts) + f". Saved in {self.out_dir}. Dialogues stay open loop "
                            "(the agent's replies are real).")
        self.rollout_finished.emit(dict(self.results))

    def _lower_mode(self) -> str:
        return "closed" if self.lower.currentText().startswith("closed") else "open"

    def _differs(self, mode: str) -> np.ndarray:
        sim = self._tracks[mode]
        steps = {s.event_index: s for s in self.results[mode].steps}
        return np.array([bool(s is not None and _engaged(s.real) != _engaged(s.predicted))
                         for s in (steps.get(int(i)) for i in sim.ids)], dtype=bool)

    def present(self) -> QWidget | None:
        """Open the rollout slide (real week above the drawn loop, the gap chart)."""
        from workbench.app.rollout_slide import RolloutSlide

        mode = self._lower_mode()
        if mode not in self.results:
            return None
        r = self.results[mode]
        slide = RolloutSlide(f"{r.user_id}: a week lived by {r.model}",
                             f"Above: what the user really did. Below: the {mode} loop "
                             f"({'the model fed on its own reactions' if mode == 'closed' else 'the real history, as the benchmark'}); "
                             f"red marks where they disagree. {r.t0[:16]} – {r.t1[:16]}.",
                             self._tracks["real"], self._tracks[mode], self._differs(mode), self.days,
                             (_wall_clock(r.t0), _wall_clock(r.t1)), self)
        slide.show()
        self.slide = slide
        return slide

    def _draw_split(self) -> None:
        mode = self._lower_mode()
        if mode not in self.results or "real" not in getattr(self, "_tracks", {}):
            return
        sim = self._tracks[mode]
        self.split.set_tracks(self._tracks["real"], sim, differs=self._differs(mode))
        r = self.results[mode]
        lo, hi = _wall_clock(r.t0), _wall_clock(r.t1)
        self.split.set_range(lo - 0.1 * (hi - lo), hi + 0.05 * (hi - lo))

    def _draw_charts(self) -> None:
        self.charts.clear()
        x_days = None
        for col, (title, key) in enumerate((("engaged share per day", "engagement"),
                                            ("interest drift from before t0", "drift"),
                                            ("diversity (bits) of what is engaged with", "diversity"))):
            plot = self.charts.addPlot(row=0, col=col, title=title)
            plot.addLegend(offset=(4, 4))
            for source, days in self.days.items():
                ys = np.array([np.nan if getattr(d, key) is None else getattr(d, key) for d in days])
                x_days = np.arange(len(days))
                plot.plot(x_days, ys, pen=pg.mkPen(_COLORS.get(source, "#ccc"), width=2),
                          symbol="o", symbolSize=5, symbolBrush=_COLORS.get(source, "#ccc"), name=source)
            if key != "diversity":
                plot.setYRange(0, 1)
            plot.getAxis("bottom").setLabel("day of the horizon")
        if "closed" in self.days and x_days is not None:
            plot = self.charts.addPlot(row=0, col=3, title="closed minus open (engaged share)")
            gap = np.array([np.nan if (o.engagement is None or c.engagement is None) else c.engagement - o.engagement
                            for o, c in zip(self.days["open"], self.days["closed"])])
            plot.addItem(pg.BarGraphItem(x=np.arange(len(gap)), height=np.nan_to_num(gap), width=0.6,
                                         brush=_COLORS["closed"]))
            plot.getAxis("bottom").setLabel("day of the horizon")

    def _on_split_event_clicked(self, event_id: int) -> None:
        rows = []
        steps = {m: {s.event_index: s for s in r.steps} for m, r in self.results.items()}
        real = next((s[event_id] for s in steps.values() if event_id in s), None)
        if real is None:
            self.detail.set_data([], [])
            return
        models = list(self.results)
        for f, v in real.real.items():
            cells = []
            for m in models:
                s = steps[m].get(event_id)
                p = None if s is None else s.predicted.get(f)
                text = "–" if p is None else (("Yes" if p else "No") if f in _binary_fields() else str(p))
                cells.append(ComparisonCell(text, tooltip=(s.errors.get(f, "") if s else ""),
                                            agrees=None if p is None else str(p) == str(v), failed=p is None))
            shown = ("Yes" if v else "No") if f in _binary_fields() else str(v)
            rows.append(ComparisonRow(f, shown, cells))
        self.detail.set_data([f"{m} loop" for m in models], rows)


def _wall_clock(text: str) -> float:
    """Epoch seconds of a naive timestamp read as UTC wall-clock (as the timeline draws times)."""

    from workbench.evaluate.rollout import parse_time

    return parse_time(text).replace(tzinfo=UTC).timestamp()


def _binary_fields() -> set[str]:
    from workbench.simulate.questions import FIELDS

    return {f for f, (k, _) in FIELDS.items() if k == "binary"}
