"""Enter, replace or remove an LLM provider's API key (keyring, or memory for the session). Layer: app (Qt).

Keys are stored with :mod:`workbench.secrets` and never shown back.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QComboBox, QDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QVBoxLayout, QWidget)

from workbench import secrets

KNOWN_PROVIDERS = ("openai", "anthropic", "gemini", "deepseek", "mistral", "openrouter", "dashscope",
                   "groq", "together_ai", "azure", "ollama", "hosted_vllm")


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
