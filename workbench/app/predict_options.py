"""The Predict panel's model list and knobs, and the options the window persists. Layer: app (Qt).

:class:`PredictOptionsMixin` is mixed into :class:`workbench.app.predict_panel.PredictPanel`: it builds
the form (models with their extra request fields, API base and key, temperature, memory, budget,
language, logprobs, the benchmark checkout) and reads/restores the analyst's choices as plain JSON
values (never a secret).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
                               QListWidget, QListWidgetItem, QPushButton, QSpinBox, QWidget)

from widgets.flow import flow_widget
from workbench import secrets
from workbench.app.api_keys_dialog import ApiKeysDialog
from workbench.app.llm_fields import ExtraBodyEdit, attach_extra_body, item_extra_body


class PredictOptionsMixin:
    """Models, knobs and their persistence for the Predict panel (a QWidget subclass)."""

    def _build_options_form(self) -> QFormLayout:
        """Create the option widgets and lay them out in one form."""
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
        self.keys_button = QPushButton("API keys…")

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
        return form

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

    # -- models ---------------------------------------------------------------------------------------
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

    def _on_add_model_clicked(self) -> None:
        try:
            body = self.extra_body.value()
        except ValueError as exc:
            self.status.setText(f"Extra fields: {exc}")
            return
        self.add_model(self.model_edit.text(), extra_body=body)
        self.model_edit.clear()
        self._update_info()

    def _on_keys_clicked(self) -> None:
        llm = next((m for m in self.checked_models() if not m.startswith("baseline:")), "openai/x")
        dialog = ApiKeysDialog(self, provider=secrets.provider_for_model(llm))
        dialog.exec()


def _pair(label: QLabel, widget: QWidget) -> QHBoxLayout:
    row = QHBoxLayout()
    row.setSpacing(4)
    row.addWidget(label)
    row.addWidget(widget)
    return row
