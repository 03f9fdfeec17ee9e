"""Edit ▸ Settings…: who annotates, and whether the other annotators' labels are hidden while
annotating. Layer: app (Qt).

The dialog edits a :class:`~workbench.app.settings.Settings` object in place when accepted; the
window saves it and tells the Cases panel (:meth:`workbench.app.cases_panel.CasesPanel.set_annotator`).
"""

from __future__ import annotations

from PySide6.QtWidgets import (QCheckBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit,
                               QVBoxLayout, QWidget)

from workbench.app.settings import Settings, annotator_name, login_name


class SettingsDialog(QDialog):
    """The annotator name (empty: the login name) and the blind-annotation switch."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.settings = settings
        self.annotator = QLineEdit(settings.annotator, self)
        self.annotator.setObjectName("settings_annotator")
        self.annotator.setPlaceholderText(login_name() or "analyst")
        self.annotator.setToolTip("Recorded with every tag, severity, blind pick, span and adjudication "
                                  "you make; empty: your login name")
        self.hide_others = QCheckBox("Hide other annotators' labels while annotating", self)
        self.hide_others.setObjectName("settings_hide_others")
        self.hide_others.setChecked(settings.hide_other_annotators)
        self.hide_others.setToolTip("Blind annotation: the Cases panel lists only your own cases; the "
                                    "Agreement tab still compares everyone")
        form = QFormLayout()
        form.addRow("Annotator name:", self.annotator)
        form.addRow("", self.hide_others)
        hint = QLabel("Each analyst works in their own case store; File ▸ Merge case stores… combines "
                      "them for agreement.", self)
        hint.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                   parent=self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(hint)
        lay.addWidget(buttons)

    def apply(self) -> None:
        """Write the edited values into the settings object."""
        self.settings.annotator = " ".join(self.annotator.text().split())
        self.settings.hide_other_annotators = self.hide_others.isChecked()

    def accept(self) -> None:
        """OK: apply, then close."""
        self.apply()
        super().accept()

    def annotator_name(self) -> str:
        """The annotator the settings now name (see :func:`workbench.app.settings.annotator_name`)."""
        return annotator_name(self.settings)
