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
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDoubleSpinBox, QFormLayout, QHBoxLayout,
                               QLabel, QLineEdit, QListWidget, QListWidgetItem, QPlainTextEdit,
                               QProgressBar, QPushButton, QSizePolicy, QSpinBox, QToolButton,
                               QVBoxLayout, QWidget)

from widgets.comparison import ComparisonCell, ComparisonRow, ComparisonTable
from widgets.flow import flow_widget
from workbench import secrets
from workbench.app.llm_fields import ExtraBodyEdit, attach_extra_body, dropped_params_note, item_extra_body
from workbench.app.state import AppState, GhostMark, Highlight

if TYPE_CHECKING:
    from workbench.tasks import TaskState
    from workbench.traces.traceset import TraceSet
    from workbench.simulate.baselines import BaselineStats

MEMORY_COLOR = "#f0a030"
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
KNOWN_PROVIDERS = ("openai", "anthropic", "gemini", "deepseek", "mistral", "openrouter", "dashscope",
                   "groq", "together_ai", "azure", "ollama", "hosted_vllm")


# -- API keys dialog --------------------------------------------------------------------------------

class ApiKeysDialog(QDialog):
    """Enter, replace or remove an API key per provider. Keys are never shown back."""

    keys_changed = Signal()

    def __init__(self, parent: QWidget | None = None, provider: str = "openai") -> None:
        super().__init__(parent)
        self.setWindowTitle("API keys")
        status = secrets.backend_status()
        self.note = QLabel(status.message)
        self.note.setWordWrap(True)
        if not status.persistent:
            self.note.setStyleSheet("QLabel { background: #fff3cd; color: #7a5200; padding: 6px; "
                                    "border: 1px solid #e0b040; }")
        self.provider = QComboBox()
        self.provider.setEditable(True)
        self.provider.addItems(KNOWN_PROVIDERS)
        self.provider.setCurrentText(provider)
        self.key = QLineEdit()
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key.setPlaceholderText("paste the API key")
        self.save_button = QPushButton("Save key")
        self.remove_button = QPushButton("Remove key")
        close = QPushButton("Close")
        self.listing = QLabel()
        self.listing.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Provider", self.provider)
        form.addRow("API key", self.key)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addLayout(form)
        layout.addWidget(self.listing)
        layout.addLayout(buttons)
        self.save_button.clicked.connect(self._on_save_clicked)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        close.clicked.connect(self.accept)
        self.provider.currentTextChanged.connect(lambda _t: self._refresh())
        self._refresh()

    def _refresh(self) -> None:
        have = [p for p in KNOWN_PROVIDERS if secrets.has_key(p)]
        cur = self.provider.currentText().strip().lower()
        if cur and cur not in KNOWN_PROVIDERS and secrets.has_key(cur):
            have.append(cur)
        self.listing.setText("Keys set for: " + (", ".join(have) if have else "none"))
        self.remove_button.setEnabled(bool(cur) and secrets.has_key(cur))

    def _on_save_clicked(self) -> None:
        provider = self.provider.currentText().strip()
        key = self.key.text().strip()
        self.key.clear()
        if not provider or not key:
            return
        stored = secrets.set_key(provider, key)
        self.listing.setText(("Saved in the keyring." if stored else "Kept in memory for this session only."))
        self._refresh()
        self.keys_changed.emit()

    def _on_remove_clicked(self) -> None:
        provider = self.provider.currentText().strip()
        if provider:
            secrets.delete_key(provider)
        self._refresh()
        self.keys_changed.emit()


# -- the panel --------------------------------------------------------------------------------------

def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.3f}".rstrip("0")
    return str(value)


def agrees(kind: str, real: Any, pred: Any) -> bool | None:
    """Does a prediction agree with the real value? Binary: same label; continuous: within 50% of
    the larger value (or both 0); text: same text after stripping."""
    if pred is None:
        return None
    try:
        if kind == "binary":
            return int(pred) == int(real)
        if kind == "continuous":
            t, p = float(real), float(pred)
            hi = max(abs(t), abs(p))
            return hi == 0 or abs(t - p) / hi <= 0.5
    except (TypeError, ValueError):
        return None
    return str(pred).strip() == str(real).strip()


class PredictPanel(QWidget):
    """Pick models and baselines, see the prompt, run, compare with the real behaviour."""

    predictions_finished = Signal()       # a run ended with results (not after cancel)
    run_started = Signal()
    mark_case_requested = Signal()        # "Mark case" clicked: the window reads case_payload()
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
        self.refresh()

    # -- layout ------------------------------------------------------------------------------------
    def _build(self) -> None:
        self.models = QListWidget()
        self.models.setMaximumHeight(76)
        for name, checked in (("baseline:user", True), ("baseline:population", False)):
            self._add_model_item(name, checked)
        self.model_edit = QLineEdit()
        self.model_edit.setPlaceholderText("litellm model, e.g. openai/gpt-4o-mini or ollama/qwen3:8b")
        self.add_model_button = QPushButton("Add")
        self.extra_body = ExtraBodyEdit()   # kept on the model entry that "Add" creates
        self.api_base = QLineEdit()
        self.api_base.setPlaceholderText("provider default (or e.g. http://localhost:8000/v1)")
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(0.0, 2.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setValue(0.1)
        self.memory = QComboBox()
        self.memory.addItems(["truncate", "retrieve", "summary"])
        self.budget = QSpinBox()
        self.budget.setRange(4000, 128000)
        self.budget.setSingleStep(4000)
        self.budget.setValue(32000)
        self.budget.setSuffix(" tokens")
        self.lang = QComboBox()
        self.lang.addItems(["zh", "en"])
        self.reference = QLineEdit()
        self.reference.setPlaceholderText("optional: a checkout of the benchmark's code, to build its own prompts")
        self.reference.setToolTip("With a checkout of the benchmark's released code, prompts are built by its "
                                  "own builder (memory truncate only)")
        self.diff_button = QPushButton("Diff with benchmark…")
        self.diff_button.setToolTip("Show our prompt beside the benchmark's for this event (needs the checkout)")
        self.logprobs = QCheckBox("Yes/No logprobs")
        self.predict_button = QPushButton("Predict")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.keys_button = QPushButton("API keys…")
        self.mark_button = QPushButton("Mark case")
        self.mark_button.setToolTip("Save this event with the real values, the predictions, the prompt and a "
                                    "timeline snapshot as a case (Cases panel)")
        self.mark_button.setEnabled(False)

        add_row = QHBoxLayout()
        add_row.addWidget(self.model_edit, 1)
        add_row.addWidget(self.add_model_button)
        form = QFormLayout()
        form.addRow("Models", self.models)
        form.addRow("", self._wrap(add_row))
        form.addRow("Extra fields", self.extra_body)
        base_row = QHBoxLayout()                 # the key of a provider is set beside its base URL
        base_row.addWidget(self.api_base, 1)
        base_row.addWidget(self.keys_button)
        form.addRow("API base", self._wrap(base_row))
        knobs_box, knobs = flow_widget(spacing=6)      # wraps onto more rows in a narrow dock
        for label, w in (("Temp.", self.temperature), ("Memory", self.memory), ("Budget", self.budget),
                         ("Lang", self.lang)):
            knobs.addWidget(self._wrap(_pair(QLabel(label), w)))
        knobs.addWidget(self.logprobs)
        form.addRow("", knobs_box)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        ref_row = QHBoxLayout()
        ref_row.addWidget(self.reference, 1)
        ref_row.addWidget(self.diff_button)
        form.addRow("Benchmark", self._wrap(ref_row))

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
        self.status = QLabel("Select an event to predict.")
        self.status.setWordWrap(True)
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
        self.table = ComparisonTable()
        self.dialogue_note = QLabel()
        self.dialogue_note.setWordWrap(True)
        self.dialogue_note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.dialogue_note.setVisible(False)

        from workbench.app.panels import scroll_body

        layout = scroll_body(self)          # squeezed by other docks, the panel scrolls
        layout.addLayout(form)
        layout.addLayout(prompt_head)
        layout.addWidget(self.prompt_info)
        layout.addWidget(self.prompt_view, 2)
        layout.addWidget(buttons_box)
        layout.addWidget(self.status)
        layout.addWidget(self.dialogue_note)
        layout.addWidget(self.table, 3)

        self.add_model_button.clicked.connect(self._on_add_model_clicked)
        self.model_edit.returnPressed.connect(self._on_add_model_clicked)
        self.predict_button.clicked.connect(self._on_predict_clicked)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.keys_button.clicked.connect(self._on_keys_clicked)
        self.mark_button.clicked.connect(self.mark_case_requested)
        self.prompt_toggle.toggled.connect(self._on_prompt_toggle_toggled)
        self.prompt_field.currentIndexChanged.connect(self._on_prompt_field_changed)
        for w in (self.memory, self.lang):
            w.currentIndexChanged.connect(lambda _i: self.refresh())
        self.budget.valueChanged.connect(lambda _v: self.refresh())
        self.reference.editingFinished.connect(self.refresh)
        self.diff_button.clicked.connect(self._on_diff_clicked)
        self.models.itemChanged.connect(lambda _i: self._update_info())
        self.models.itemChanged.connect(lambda _i: self.options_changed.emit())
        self.api_base.editingFinished.connect(self.options_changed)
        self.temperature.valueChanged.connect(lambda _v: self.options_changed.emit())
        self.budget.valueChanged.connect(lambda _v: self.options_changed.emit())
        self.logprobs.toggled.connect(lambda _v: self.options_changed.emit())
        for combo in (self.memory, self.lang):
            combo.currentIndexChanged.connect(lambda _i: self.options_changed.emit())

    @staticmethod
    def _wrap(layout) -> QWidget:
        w = QWidget()
        layout.setContentsMargins(0, 0, 0, 0)
        w.setLayout(layout)
        return w

    def _add_model_item(self, name: str, checked: bool = True,
                        extra_body: dict[str, Any] | None = None) -> None:
        for i in range(self.models.count()):
            if self.models.item(i).text() == name:
                self.models.item(i).setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
                if extra_body is not None:
                    attach_extra_body(self.models.item(i), extra_body)
                return
        item = QListWidgetItem(name)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        attach_extra_body(item, extra_body)
        self.models.addItem(item)

    # -- options (persisted by the window) ---------------------------------------------------------
    def options(self) -> dict[str, Any]:
        """The analyst's choices as plain JSON values: listed models with their ticks and extra request
        fields, API base and the knobs. No secret is ever part of them (keys live in the keyring;
        the settings file drops key-like fields)."""
        return {"models": [[self.models.item(i).text(), self.models.item(i).checkState() == Qt.CheckState.Checked,
                            item_extra_body(self.models.item(i)) or {}]
                           for i in range(self.models.count())],
                "api_base": self.api_base.text().strip(), "temperature": round(self.temperature.value(), 3),
                "memory": self.memory.currentText(), "budget": self.budget.value(),
                "lang": self.lang.currentText(), "logprobs": self.logprobs.isChecked()}

    def apply_options(self, options: dict[str, Any]) -> None:
        """Restore :meth:`options` (tolerant: a missing or malformed entry keeps the current value)."""
        if not isinstance(options, dict):
            return
        models = options.get("models")
        if isinstance(models, list):
            entries = [(m[0].strip(), bool(m[1]), m[2] if len(m) > 2 and isinstance(m[2], dict) else None)
                       for m in models
                       if isinstance(m, (list, tuple)) and len(m) in (2, 3) and isinstance(m[0], str) and m[0].strip()]
            if entries:
                self.models.clear()
                for name, checked, extra in entries:
                    self._add_model_item(name, checked, extra or None)
        if isinstance(options.get("api_base"), str):
            self.api_base.setText(options["api_base"])
        if isinstance(options.get("temperature"), (int, float)) and not isinstance(options["temperature"], bool):
            self.temperature.setValue(float(options["temperature"]))
        if isinstance(options.get("budget"), int) and not isinstance(options["budget"], bool):
            self.budget.setValue(options["budget"])
        for combo, name in ((self.memory, "memory"), (self.lang, "lang")):
            idx = combo.findText(str(options.get(name, "")))
            if idx >= 0:
                combo.setCurrentIndex(idx)
        if isinstance(options.get("logprobs"), bool):
            self.logprobs.setChecked(options["logprobs"])

    # -- public API --------------------------------------------------------------------------------
    def add_model(self, name: str, checked: bool = True, extra_body: dict[str, Any] | None = None) -> None:
        """Add (or re-tick) a model entry; ``extra_body``: its extra request fields."""
        if name.strip():
            self._add_model_item(name.strip(), checked, extra_body)
            self.options_changed.emit()

    def extra_body_of(self, model: str) -> dict[str, Any] | None:
        """The extra request fields kept on ``model``'s entry."""
        for i in range(self.models.count()):
            if self.models.item(i).text() == model:
                return item_extra_body(self.models.item(i))
        return None

    def checked_models(self) -> list[str]:
        return [self.models.item(i).text() for i in range(self.models.count())
                if self.models.item(i).checkState() == Qt.CheckState.Checked]

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

    def _show_table(self, columns: list[str]) -> None:
        self._columns = list(columns)
        rows = [ComparisonRow(q.field, _real_text(q), tuple(ComparisonCell(pending=True) for _ in columns),
                              q.kind) for q in self._questions]
        self.table.set_data(columns, rows)

    def _cell(self, q: Any, p: Any) -> ComparisonCell:
        if not p.parse_ok:
            return ComparisonCell(text="failed", tooltip=f"{p.error}\n\nraw output: {p.raw_output}", failed=True)
        if q.kind == "binary":
            label = "Yes" if p.predicted_label == 1 else "No"
            value = p.predicted_value
            text = label if value in (0.0, 1.0) else f"{label} (P(yes)={value:.2f})"
            pred = p.predicted_label
            key = label
        else:
            text, pred = _fmt(p.predicted_value), p.predicted_value
            key = text
        tip = f"raw output: {p.raw_output}\nmethod: {p.prediction_method}"
        if p.model and not p.model.startswith("baseline:"):
            cost = "cached (free)" if p.cached else ("unknown" if p.cost is None else f"${p.cost:.6f}")
            tip += f"\ntokens: {p.prompt_tokens}+{p.completion_tokens}\ncost: {cost}"
        return ComparisonCell(text=text, tooltip=tip, agrees=agrees(q.kind, q.true_value, pred), key=key)

    def _show_dialogue_note(self, predictions: dict[str, list[Any]]) -> None:
        q = next((q for q in self._questions if q.field == "next_user_message"), None)
        if q is None:
            self.dialogue_note.setVisible(False)
            return
        lines = [f"<b>Real next message:</b> {_html(q.true_value)}"]
        for model, preds in predictions.items():
            for p in preds:
                if p.field == q.field:
                    shown = _html(p.predicted_value) if p.parse_ok else f"<i>failed: {_html(p.error)}</i>"
                    lines.append(f"<b>{_html(model)}:</b> {shown}")
        self.dialogue_note.setText("<br>".join(lines))
        self.dialogue_note.setVisible(True)

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

    def case_payload(self, user_id: str | None = None, event_index: int | None = None) -> dict[str, Any] | None:
        """What "Mark case" saves: the event, its fields, every model's predictions and the prompt of
        the first question (``CasesPanel.mark_event`` keyword arguments), or None without results
        (or when ``user_id``/``event_index`` are given and the results are of another event)."""
        result = self.last_result
        if result is None or self._result_key is None:
            return None
        if user_id is not None and (user_id, event_index) != self._result_key:
            return None
        user, idx = self._result_key
        preds = [p for ps in result.predictions.values() for p in ps]
        fields = [q.field for q in result.questions]
        prompt = result.prompts.get(fields[0]) if fields else None
        payload: dict[str, Any] = {"user_id": user, "event_index": idx, "fields": fields, "predictions": preds,
                                   "prompt": prompt if prompt is not None else ""}
        if self._target is not None:
            from workbench.annotate.model import dialogue_of

            turns = dialogue_of(self._target)
            if turns:
                payload["transcript"] = turns
        return payload

    def _on_add_model_clicked(self) -> None:
        try:
            body = self.extra_body.value()
        except ValueError as exc:
            self.status.setText(f"Extra fields: {exc}")
            return
        self.add_model(self.model_edit.text(), extra_body=body)
        self.model_edit.clear()
        self._update_info()

    def _on_prompt_toggle_toggled(self, shown: bool) -> None:
        self.prompt_view.setVisible(shown)
        self.prompt_toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)

    def _on_prompt_field_changed(self, _index: int) -> None:
        self._show_prompt()

    def _on_keys_clicked(self) -> None:
        llm = next((m for m in self.checked_models() if not m.startswith("baseline:")), "openai/x")
        dialog = ApiKeysDialog(self, provider=secrets.provider_for_model(llm))
        dialog.exec()

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
            from workbench.simulate.tokens import litellm_loaded

            if any(not s.is_baseline for s in specs) and not litellm_loaded():
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

    def _on_runner_prediction(self, run_id: int, p: Any) -> None:
        if run_id != self._run_id:
            return                               # a cancelled run: drop
        try:
            row = next(i for i, q in enumerate(self._questions) if q.field == p.field)
            col = self._columns.index(p.model)
        except (StopIteration, ValueError):
            return
        self.table.set_cell(row, col, self._cell(self._questions[row], p))
        self._done += 1
        self.progress.setValue(self._done)

    def _on_runner_finished(self, result: Any, user: str, idx: int) -> None:
        self.last_result = result
        self._result_key = (user, idx)
        self.mark_button.setEnabled(True)
        self._task = None
        self.predict_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.setValue(self.progress.maximum())
        self._prompts.update(result.prompts)
        self._show_prompt()
        ghosts = []
        failures = 0
        cost, unknown = 0.0, False
        for model, preds in result.predictions.items():
            for q, p in zip(result.questions, preds):
                if not p.parse_ok:
                    failures += 1
                    continue
                pred = p.predicted_label if q.kind == "binary" else p.predicted_value
                ghosts.append(GhostMark(user_id=user, event_index=idx, model=model, field=q.field, predicted=pred,
                                        real=q.true_value, agrees=bool(agrees(q.kind, q.true_value, pred))))
                if not model.startswith("baseline:") and not p.cached:
                    if p.cost is None:
                        unknown = True
                    else:
                        cost += p.cost
        # this event's predictions replace its earlier ones; other events keep theirs
        self.state.set_ghosts([g for g in self.state.ghosts if (g.user_id, g.event_index) != (user, idx)] + ghosts)
        self.state.set_highlight(Highlight(name="memory", user_id=user, event_indices=result.history_event_indices,
                                           color=MEMORY_COLOR, label=f"memory: {result.memory}"))
        self._show_dialogue_note(result.predictions)
        msg = f"Done: {len(ghosts)} predictions"
        if failures:
            msg += f", {failures} failed (hover a grey cell for the reason)"
        msg += f"; cost ${cost:.4f}" + (" + unknown" if unknown else "")
        if result.summary_error:
            msg += f"; summary: {result.summary_error}"
        self.status.setText(msg + dropped_params_note())
        self.predictions_finished.emit()


def _pair(label: QLabel, widget: QWidget) -> QHBoxLayout:
    row = QHBoxLayout()
    row.setSpacing(4)
    row.addWidget(label)
    row.addWidget(widget)
    return row


def _real_text(q: Any) -> str:
    if q.kind == "binary":
        return "Yes" if q.true_value else "No"
    return _fmt(q.true_value)


def _html(value: Any) -> str:
    import html

    return html.escape(str(value))
