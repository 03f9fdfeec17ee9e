"""Small input widgets for model calls: extra request fields and the judge settings. Layer: app (Qt).

* :class:`ExtraBodyEdit`: a one-line JSON object of provider-specific request fields (for example
  ``{"chat_template_kwargs": {"enable_thinking": false}}`` for a hybrid Qwen3 on vLLM); it marks
  itself invalid while the text is not a JSON object and says why in its tooltip.
* :class:`JudgeSettings`: the LLM judge's own model, API base and optional answer limit, so a
  hosted judge can score a local model.
* :func:`attach_extra_body` / :func:`item_extra_body`: keep a model's extra fields on its entry in a
  model list (a ``QListWidgetItem``), shown in the entry's tooltip.

The panels place these widgets; the specs they build are plain :class:`ModelSpec` values.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLineEdit, QListWidgetItem, QSpinBox, QWidget

from workbench.simulate.types import ModelSpec, parse_extra_body

#: Item data role under which a model-list entry keeps its extra request fields (a dict or None).
EXTRA_BODY_ROLE = Qt.ItemDataRole.UserRole + 17

_EXAMPLE = '{"chat_template_kwargs": {"enable_thinking": false}}'


class ExtraBodyEdit(QLineEdit):
    """A JSON object of extra request fields; empty means none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("extra_body")
        self.setPlaceholderText(f"extra request fields (JSON), e.g. {_EXAMPLE}")
        self._hint = ("Provider-specific fields sent in the request body as they are, for example "
                      f"{_EXAMPLE} to switch off a hybrid Qwen3's thinking on vLLM.")
        self.setToolTip(self._hint)
        self.textChanged.connect(self._validate)

    def error(self) -> str:
        """Why the text is not usable ("" when it is)."""
        try:
            parse_extra_body(self.text())
        except ValueError as exc:
            return str(exc)
        return ""

    def value(self) -> dict[str, Any] | None:
        """The fields as a dict (None when empty). Raises ValueError when the text is not a JSON
        object."""
        return parse_extra_body(self.text())

    def _validate(self) -> None:
        err = self.error()
        self.setProperty("invalid", bool(err))
        self.setStyleSheet("QLineEdit { border: 1px solid #c0392b; }" if err else "")
        self.setToolTip(err or self._hint)


def attach_extra_body(item: QListWidgetItem, body: dict[str, Any] | None) -> None:
    """Keep ``body`` on a model-list entry and show it in the entry's tooltip."""
    item.setData(EXTRA_BODY_ROLE, dict(body) if body else None)
    item.setToolTip(f"extra request fields: {json.dumps(body, ensure_ascii=False)}" if body else "")


def item_extra_body(item: QListWidgetItem) -> dict[str, Any] | None:
    """The extra request fields kept on a model-list entry (None when it has none)."""
    body = item.data(EXTRA_BODY_ROLE)
    return dict(body) if isinstance(body, dict) and body else None


class JudgeSettings(QGroupBox):
    """The judge's model, its own API base and an optional answer limit (0 = none, the benchmark's
    setting)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("LLM judge (customer-service messages)", parent)
        self.setObjectName("judge_settings")
        self.model_edit = QLineEdit(self)
        self.model_edit.setObjectName("judge_model")
        self.model_edit.setPlaceholderText("none (no judge: overall score stays empty)")
        self.api_base_edit = QLineEdit(self)
        self.api_base_edit.setObjectName("judge_api_base")
        self.api_base_edit.setPlaceholderText("the judge provider's default (not the models' API base)")
        self.max_tokens_spin = QSpinBox(self)
        self.max_tokens_spin.setObjectName("judge_max_tokens")
        self.max_tokens_spin.setRange(0, 32_000)
        self.max_tokens_spin.setSpecialValueText("no limit")
        self.max_tokens_spin.setToolTip("Answer limit for the judge; the benchmark sends none")
        form = QFormLayout(self)
        form.addRow("Model", self.model_edit)
        form.addRow("API base", self.api_base_edit)
        form.addRow("Max tokens", self.max_tokens_spin)

    def spec(self, temperature: float = 0.1) -> ModelSpec | None:
        """The judge's ModelSpec, or None when no judge model is named."""
        name = self.model_edit.text().strip()
        if not name:
            return None
        return ModelSpec(name, api_base=self.api_base_edit.text().strip() or None, temperature=temperature,
                         max_tokens=self.max_tokens_spin.value() or None)


def dropped_params_note() -> str:
    """A sentence for a panel's status line naming the request parameters litellm has dropped for
    some model in this session (each is also warned about once on stderr); "" when none."""
    from workbench.simulate.dropped import drop_notices

    notes = drop_notices()
    return (" Note: " + "; ".join(notes) + ".") if notes else ""
