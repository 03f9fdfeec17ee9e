"""Predict here: ask LLMs and baselines to be the user at the selected event. Layer: app (Qt).

The panel observes the shared :class:`AppState` (selected user/event). It shows the exact prompt of
each question (collapsible) with its token count and, once litellm is loaded, an estimated cost; it
runs :func:`workbench.simulate.runner.run_event` as a coroutine on the qasync loop with progress and
Cancel (results of a cancelled run are dropped); it fills a side-by-side comparison (real value vs.
each model), puts ghost marks on the timeline (``state.set_ghosts``) and highlights the history events
the memory strategy chose (``state.set_highlight(Highlight(name="memory", ...))``).
API keys are entered in :class:`ApiKeysDialog` and stored with :mod:`workbench.secrets` (keyring, or
memory for the session with a visible note).
"""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING, Any, Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QPlainTextEdit, QProgressBar, QPushButton,
                               QSizePolicy, QToolButton, QWidget)

from widgets.comparison import ComparisonTable
from widgets.flow import flow_widget
from workbench.app.api_keys_dialog import KNOWN_PROVIDERS, ApiKeysDialog
from workbench.app.predict_options import PredictOptionsMixin
from workbench.app.predict_results import MEMORY_COLOR, PredictResultsMixin, agrees
from workbench.app.state import AppState, Highlight

if TYPE_CHECKING:
    from workbench.tasks import TaskState
    from workbench.traces.traceset import TraceSet
    from workbench.simulate.baselines import BaselineStats

__all__ = ["KNOWN_PROVIDERS", "MEMORY_COLOR", "ApiKeysDialog", "PredictPanel", "agrees"]

BIG_USER_EVENTS = 20_000


def _read_user_events(task: TaskState, ds: TraceSet, user: str) -> list[tuple[int, dict[str, Any]]]:
    """(event_index, raw event) pairs of one user in file order (a worker function), from the
    user's events the window shares (``TraceSet.user``: decoded once)."""
    return ds.user(user).items()


_EXECUTOR: Any = None


def _executor() -> Any:
    """One plain Python worker thread for the panel's blocking steps (importing litellm, population
    statistics): never a QThread, so nothing is left running when Qt shuts down."""
    global _EXECUTOR
    if _EXECUTOR is None:
        from concurrent.futures import ThreadPoolExecutor

        _EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="predict-panel")
    return _EXECUTOR


class PredictPanel(PredictOptionsMixin, PredictResultsMixin, QWidget):
    """Pick models and baselines, see the prompt, run, compare with the real behaviour."""

    predictions_finished = Signal()       # a run ended with results (not after cancel)
    run_started = Signal()
    mark_case_requested = Signal()        # "Mark case" clicked: the window reads case_payload()
    blind_test_requested = Signal()       # "Blind test these predictions…": the window reads blind_events()
    options_changed = Signal()            # models, API base or a knob changed (the window persists options())

    def __init__(self, state: AppState, parent: QWidget | None = None, *, cache: Any = None,
                 policy: Any = None, concurrency: int = 8) -> None:
        super().__init__(parent)
        self.state = state
        self._cache = cache
        self._policy = policy
        self._concurrency = concurrency
        self._task: asyncio.Future | None = None
        self._run_id = 0
        self._questions: list[Any] = []
        self._prompts: dict[str, Any] = {}
        self._target: dict[str, Any] | None = None
        self._events_key: Any = None
        self._events: list[tuple[int, dict[str, Any]]] = []
        self._events_job: Any = None             # a worker reading a big user's events
        self._events_job_key: Any = None
        self._population: Any = None
        self._population_key: Any = None
        self._columns: list[str] = []
        self._done = 0
        self._total = 0
        self.last_result: Any = None
        self._result_key: tuple[str, int] | None = None
        self._blind_pool: dict[tuple[str, int], Any] = {}  # predicted events not yet in a blind test
        self._history_indices: list[int] | None = None   # the history candidates of the selected event
        self._history_rule = ""                           # which rule chose them (shown in the status)
        self.diff_dialog: Any = None
        self.reference_error = ""
        #: when True, a hidden panel rebuilds its prompts only when it is shown again (the main
        #: window sets it, so clicking through a big user's events does not render prompts unseen)
        self.defer_when_hidden = False
        self._stale = False
        self._build()
        state.selection_changed.connect(self._on_state_selection_changed)
        state.dataset_changed.connect(self._on_state_dataset_changed)
        state.litellm_loaded.connect(self._update_info)  # the cost estimate can be made now
        self.refresh()

    # -- layout ------------------------------------------------------------------------------------
    def _build(self) -> None:
        form = self._build_options_form()
        prompt_head = self._build_prompt_area()
        buttons_box = self._build_run_row()
        self.status = QLabel("Select an event to predict.")
        self.status.setWordWrap(True)
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
        self.table = ComparisonTable()
        self.dialogue_note = QLabel()
        self.dialogue_note.setWordWrap(True)
        self.dialogue_note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.dialogue_note.setVisible(False)
        self._build_transcript()

        from workbench.app.panels import scroll_body

        layout = scroll_body(self)          # squeezed by other docks, the panel scrolls
        layout.addLayout(form)
        layout.addLayout(prompt_head)
        layout.addWidget(self.prompt_info)
        layout.addWidget(self.prompt_view, 2)
        layout.addWidget(buttons_box)
        layout.addWidget(self.status)
        layout.addWidget(self.dialogue_note)
        layout.addWidget(self.transcript, 2)
        layout.addWidget(self.table, 3)
        self._connect()

    def _build_transcript(self) -> None:
        """The dialogue up to the real next message, then each model's (dashed), where words are marked."""
        from widgets.transcript import TranscriptView
        from workbench.app.transcript_marks import TranscriptMarker

        self.transcript = TranscriptView()
        self.transcript.setObjectName("predict_transcript")
        self.transcript.setMinimumHeight(140)
        self.transcript.hide()
        self.marker = TranscriptMarker(self.transcript)
        #: makes and stores the case a first mark needs (the main window sets it; None: marks need a case)
        self.make_case: Callable[[], Any] | None = None

    def _build_prompt_area(self) -> QHBoxLayout:
        """The collapsible prompt preview: toggle, question picker, token/cost line, the prompt."""
        self.prompt_toggle = QToolButton()
        self.prompt_toggle.setText("Prompt")
        self.prompt_toggle.setCheckable(True)
        self.prompt_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.prompt_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.prompt_field = QComboBox()
        self.prompt_info = QLabel()
        self.prompt_info.setObjectName("prompt_info")
        self.prompt_info.setWordWrap(True)              # the token/cost line wraps, never widens the dock
        self.prompt_info.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.prompt_view = QPlainTextEdit()
        self.prompt_view.setReadOnly(True)
        self.prompt_view.setVisible(False)
        self.prompt_view.setMinimumHeight(160)
        self.prompt_field.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.prompt_field.setMinimumContentsLength(10)
        prompt_head = QHBoxLayout()
        prompt_head.addWidget(self.prompt_toggle)
        prompt_head.addWidget(self.prompt_field)
        prompt_head.addStretch(1)
        return prompt_head

    def _build_run_row(self) -> QWidget:
        """Predict, Cancel, the progress bar and Mark case, wrapping onto more rows in a narrow dock."""
        self.predict_button = QPushButton("Predict")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.mark_button = QPushButton("Mark case")
        self.mark_button.setToolTip("Save this event with the real values, the predictions, the prompt and a "
                                    "timeline snapshot as a case (Cases panel)")
        self.mark_button.setEnabled(False)
        self.blind_button = QPushButton("&Blind test these predictions…")
        self.blind_button.setObjectName("predict_blind")
        self.blind_button.setEnabled(False)
        buttons_box, buttons = flow_widget(spacing=6)
        buttons.addWidget(self.predict_button)
        buttons.addWidget(self.cancel_button)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setTextVisible(True)
        self.progress.setFixedWidth(120)
        buttons.addWidget(self.progress)
        buttons.addWidget(self.mark_button)
        buttons.addWidget(self.blind_button)
        return buttons_box

    def _connect(self) -> None:
        self.add_model_button.clicked.connect(self._on_add_model_clicked)
        self.model_edit.returnPressed.connect(self._on_add_model_clicked)
        self.predict_button.clicked.connect(self._on_predict_clicked)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.keys_button.clicked.connect(self._on_keys_clicked)
        self.mark_button.clicked.connect(self.mark_case_requested)
        self.blind_button.clicked.connect(self.blind_test_requested)
        self.prompt_toggle.toggled.connect(self._on_prompt_toggle_toggled)
        self.prompt_field.currentIndexChanged.connect(self._on_prompt_field_changed)
        for w in (self.memory, self.lang):
            w.currentIndexChanged.connect(lambda _i: self.refresh())
        self.budget.valueChanged.connect(lambda _v: self.refresh())
        self.reference.editingFinished.connect(self.refresh)
        self.diff_button.clicked.connect(self._on_diff_clicked)
        self.models.itemChanged.connect(lambda _i: self._update_info())
        for rows_changed in (self.models.model().rowsInserted, self.models.model().rowsRemoved):
            rows_changed.connect(lambda *_: self._update_info())  # a model added or removed: its cost
        self.models.itemChanged.connect(lambda _i: self.options_changed.emit())
        self.api_base.editingFinished.connect(self.options_changed)
        self.temperature.valueChanged.connect(lambda _v: self.options_changed.emit())
        self.budget.valueChanged.connect(lambda _v: self.options_changed.emit())
        self.logprobs.toggled.connect(lambda _v: self.options_changed.emit())
        for combo in (self.memory, self.lang):
            combo.currentIndexChanged.connect(lambda _i: self.options_changed.emit())

    # -- state -------------------------------------------------------------------------------------
    def is_running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def task(self) -> asyncio.Future | None:
        return self._task

    def refresh(self) -> None:
        """Rebuild questions and prompt previews for the selected event (no model calls)."""
        self._stale = False
        if self.is_running():
            self._on_cancel_clicked()
        self.mark_button.setEnabled(False)
        self._target = None
        self._questions, self._prompts = [], {}
        self.prompt_field.blockSignals(True)
        self.prompt_field.clear()
        self.prompt_field.blockSignals(False)
        self.table.set_data([], [])
        self.dialogue_note.setVisible(False)
        self.transcript.setVisible(False)
        ds, user, idx = self.state.dataset, self.state.current_user, self.state.selected_index
        self.predict_button.setEnabled(False)
        if ds is None or not user or idx < 0:
            self.status.setText("Select an event to predict.")
            self.prompt_view.setPlainText("")
            self.prompt_info.setText("")
            self.state.clear_highlight("memory")
            return
        if (id(ds), user) != self._events_key and self._user_is_big(ds, user):
            self._read_events_in_background(ds, user)   # refresh() runs again when they are in
            self.status.setText(f"Reading the events of {user}…")
            return
        try:
            from workbench.simulate.memory import rolling_history
            from workbench.simulate.prompts import build_prompt
            from workbench.simulate.questions import questions_for_event
            from workbench.simulate.runner import split_history

            events = self._user_events()
            self._history_indices, self._history_rule = rolling_history(events, idx)
            target, history = split_history(events, idx, self._history_indices)
            questions = questions_for_event(target)
            reference = self._reference() if self.memory.currentText() == "truncate" else None
            prompts = {q.field: build_prompt(ds.profile(user), history, target, q,
                                             max_history_tokens=self.budget.value(),
                                             lang=self.lang.currentText(), memory=self.memory.currentText(),
                                             reference=reference)
                       for q in questions}
        except Exception as exc:  # noqa: BLE001 - bad data must not crash the panel
            self.status.setText(f"Cannot build the prompt for event {idx}: {exc}")
            self.state.post_error("Predict", f"Cannot build the prompt for user {user}, event {idx}: {exc}")
            return
        self._target, self._questions, self._prompts = target, questions, prompts
        self.prompt_field.blockSignals(True)
        self.prompt_field.addItems([q.field for q in questions])
        self.prompt_field.blockSignals(False)
        self._show_prompt()
        self._show_table([])
        if not questions:
            self.status.setText(f"Event {idx} has no questions to predict (no_prediction_questions).")
            self.state.clear_highlight("memory")
            return
        self.predict_button.setEnabled(True)
        first = prompts[questions[0].field]
        self.status.setText(f"Event {idx}: {len(questions)} questions; history rule: {self._history_rule}; "
                            f"memory {first.memory} chose {len(first.history_event_indices)} of "
                            f"{len(self._history_indices)} events"
                            + ("; prompts by the benchmark's own code." if first.source == "reference" else ".")
                            + (f" Benchmark checkout not used: {self.reference_error}" if self.reference_error else ""))
        self.state.set_highlight(Highlight(name="memory", user_id=user, event_indices=first.history_event_indices,
                                           color=MEMORY_COLOR, label=f"memory: {first.memory}"))
        self._show_dialogue_note({})


    # -- benchmark checkout ------------------------------------------------------------------------
    def _reference(self, strict: bool = False) -> Any:
        """The loaded benchmark checkout named in the field, or None (empty field, or a checkout that
        cannot be used: its one-line reason is kept in ``reference_error`` and shown in the status;
        ``strict`` raises CheckoutError instead)."""
        self.reference_error = ""
        path = self.reference.text().strip()
        if not path:
            return None
        from workbench.simulate.reference import CheckoutError, load_reference

        try:
            return load_reference(path)
        except CheckoutError as exc:
            if strict:
                raise
            self.reference_error = str(exc)
            return None

    def _on_diff_clicked(self) -> None:
        ds, user, idx = self.state.dataset, self.state.current_user, self.state.selected_index
        if ds is None or not user or idx < 0:
            self.status.setText("Select an event first.")
            return
        try:
            reference = self._reference(strict=True)
            if reference is None:
                self.status.setText("Enter the folder of a checkout of the benchmark's code to compare with.")
                return
            from workbench.simulate.prompt_diff import prompt_pairs

            pairs = prompt_pairs(ds.profile(user), self._user_events(), idx, self._history_indices, reference,
                                 max_history_tokens=self.budget.value(), lang=self.lang.currentText())
        except Exception as exc:  # noqa: BLE001 - a bad checkout or event must not crash the panel
            self.status.setText(f"Cannot compare with the benchmark: {exc}")
            return
        from workbench.app.prompt_diff_dialog import PromptDiffDialog

        self.diff_dialog = PromptDiffDialog(pairs, f"{user}, event {idx}", self)
        self.diff_dialog.show()

    # -- helpers -----------------------------------------------------------------------------------
    def _user_events(self) -> list[tuple[int, dict[str, Any]]]:
        ds, user = self.state.dataset, self.state.current_user
        key = (id(ds), user)
        if key != self._events_key:
            self._events = _read_user_events(None, ds, user)
            self._events_key = key
        return self._events

    @staticmethod
    def _user_is_big(ds: TraceSet, user: str) -> bool:
        """Users above BIG_USER_EVENTS are read on a worker (1.2 s for 100k events here)."""
        try:
            counts = ds.users.filter(ds.users["user_id"] == user)["event_count"].to_list()
        except Exception:  # noqa: BLE001 - a dataset without a user table: read in the background
            return True
        return bool(counts) and counts[0] > BIG_USER_EVENTS

    def _read_events_in_background(self, ds: TraceSet, user: str) -> None:
        key = (id(ds), user)
        if self._events_job is not None and self._events_job_key == key:
            return                                 # already being read
        from workbench.app.jobs import run_in_thread

        if self._events_job is not None:
            self._events_job.cancel()              # a previous user's read: its result is dropped
        self._events_job_key = key
        self._events_job = run_in_thread(
            _read_user_events, ds, user, on_done=lambda events, key=key: self._on_events_read(key, events),
            state=self.state, title="Reading events")

    def _on_events_read(self, key: Any, events: list[tuple[int, dict[str, Any]]]) -> None:
        self._events_job = None
        self._events, self._events_key = events, key
        if key == (id(self.state.dataset), self.state.current_user):
            self._refresh_when_shown()

    def _show_prompt(self) -> None:
        field = self.prompt_field.currentText()
        p = self._prompts.get(field)
        self.prompt_view.setPlainText(p.text if p else "")
        self._update_info()

    def _update_info(self) -> None:
        field = self.prompt_field.currentText()
        p = self._prompts.get(field)
        if p is None:
            self.prompt_info.setText("")
            self.prompt_info.setToolTip("")
            return
        total_tokens = sum(x.tokens for x in self._prompts.values())
        text = (f"{p.tokens:,} tokens (approx.) · {len(p.history_event_indices)} history events "
                f"· {len(self._prompts)} calls per model, {total_tokens:,} tokens · "
                f"{self._estimate_cost(total_tokens)}")
        self.prompt_info.setText(text)
        self.prompt_info.setToolTip(text)

    def _estimate_cost(self, prompt_tokens: int) -> str:
        llms = [m for m in self.checked_models() if not m.startswith("baseline:")]
        if not llms:
            return "no LLM chosen: no cost"
        from workbench.simulate.tokens import litellm_loaded

        if not litellm_loaded():
            return "estimated cost: once litellm has loaded (it loads in the background)"
        litellm = sys.modules["litellm"]
        parts = []
        for m in llms:
            try:
                p_cost, c_cost = litellm.cost_per_token(model=m, prompt_tokens=prompt_tokens,
                                                        completion_tokens=5 * len(self._prompts))
                parts.append(f"{m}: ~${p_cost + c_cost:.4f}")
            except Exception:  # noqa: BLE001 - unknown model in the cost map
                parts.append(f"{m}: cost unknown")
        return "estimated " + "; ".join(parts)

    # -- slots -------------------------------------------------------------------------------------
    def _on_state_selection_changed(self, _user: str, _index: int) -> None:
        self._refresh_when_shown()

    def _on_state_dataset_changed(self) -> None:
        self._events_key = None
        self._population = None
        self._refresh_when_shown()

    def _refresh_when_shown(self) -> None:
        if self.defer_when_hidden and not self.isVisible():
            self._stale = True
            if self.is_running():
                self._on_cancel_clicked()
            return
        self.refresh()

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt naming)
        super().showEvent(event)
        if self._stale:
            self.refresh()


    def _on_prompt_toggle_toggled(self, shown: bool) -> None:
        self.prompt_view.setVisible(shown)
        self.prompt_toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)

    def _on_prompt_field_changed(self, _index: int) -> None:
        self._show_prompt()


    def _on_cancel_clicked(self) -> None:
        self._run_id += 1                      # anything still arriving belongs to a dead run
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None
        self.predict_button.setEnabled(bool(self._questions))
        self.cancel_button.setEnabled(False)
        self.status.setText("Cancelled; late results are dropped.")
        self.state.post_status("Prediction cancelled")

    def _on_predict_clicked(self) -> None:
        if not self._questions or self.is_running():
            return
        models = self.checked_models()
        if not models:
            self.status.setText("Tick at least one model or baseline.")
            return
        from workbench.simulate.types import ModelSpec

        api_base = self.api_base.text().strip() or None
        specs = [ModelSpec(model=m, api_base=None if m.startswith("baseline:") else api_base,
                           temperature=self.temperature.value(), use_logprobs=self.logprobs.isChecked(),
                           extra_body=self.extra_body_of(m))
                 for m in models]
        self._run_id += 1
        run_id = self._run_id
        self._done, self._total = 0, len(specs) * len(self._questions)
        self.progress.setRange(0, max(1, self._total))
        self.progress.setValue(0)
        self._show_table(models)
        self.predict_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText(f"Asking {len(specs)} model(s) {len(self._questions)} question(s)…")
        self.run_started.emit()
        self._task = asyncio.ensure_future(self._run(run_id, specs))

    async def _run(self, run_id: int, specs: list[Any]) -> None:
        from workbench.simulate.runner import run_event

        ds, user, idx = self.state.dataset, self.state.current_user, self.state.selected_index
        loop = asyncio.get_running_loop()
        try:
            from workbench.simulate import standby
            from workbench.simulate.tokens import litellm_loaded

            # while litellm loads here, the standby process (when there is one) makes the calls
            if any(not s.is_baseline for s in specs) and not litellm_loaded() and not standby.running():
                self.status.setText("Loading litellm…")
                from workbench.simulate.tokens import import_litellm

                await loop.run_in_executor(_executor(), import_litellm)
                if run_id != self._run_id:
                    return
                self._update_info()
            stats = None
            if any(s.model == "baseline:population" for s in specs):
                stats = await loop.run_in_executor(_executor(), self._population_stats, ds)
            if run_id != self._run_id:
                return
            if self._cache is None:
                from workbench.simulate.cache import ResponseCache

                self._cache = ResponseCache()
            self.status.setText(f"Asking {len(specs)} model(s) {len(self._questions)} question(s)…")
            result = await run_event(ds.profile(user), self._user_events(), idx, specs,
                                     history_indices=self._history_indices,
                                     reference=self._reference() if self.memory.currentText() == "truncate" else None,
                                     memory=self.memory.currentText(), max_history_tokens=self.budget.value(),
                                     lang=self.lang.currentText(), cache=self._cache or None, baselines=stats,
                                     semaphore=asyncio.Semaphore(self._concurrency), policy=self._policy,
                                     on_prediction=lambda p: self._on_runner_prediction(run_id, p),
                                     build_in_thread=True)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the one error sink
            if run_id == self._run_id:
                self.status.setText(f"Prediction failed: {exc}")
                self.state.post_error("Prediction failed", str(exc))
                self.predict_button.setEnabled(True)
                self.cancel_button.setEnabled(False)
            return
        if run_id != self._run_id:
            return
        self._on_runner_finished(result, user, idx)

    def _population_stats(self, ds: TraceSet) -> BaselineStats:
        from workbench.simulate.baselines import BaselineStats

        key = id(ds)
        if self._population_key != key:
            self._population = BaselineStats.from_users(ds.raw_events(u) for u in ds.user_ids())
            self._population_key = key
        return self._population
