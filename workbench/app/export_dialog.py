"""File ▸ Export cases… (and the Cases panel's Export… button). Layer: app (Qt).

Choose the format (HTML report, JSONL, CSV, Parquet), which cases (all in the store, the ones the
Cases panel lists with its filters, or the selected ones), pseudonymised users and coarsened times,
and where to write. The cases are read from the store here (SQLite stays on its thread); the export
itself, :func:`workbench.annotate.export.export_cases`, runs on a worker while a busy bar shows; the
dialog then says what was written and offers *Open report* (the HTML in the default browser) or
*Open folder*. Errors (an unwritable folder, a redaction problem) are shown in the dialog, naming the
file; nothing is half-written (the export writes a temporary file and renames it).

The HTML report opens with its one-minute section (:mod:`workbench.annotate.stakeholder`): the store's
blind test, the annotators' agreement and the hyper-activity gap, taken from the evaluation run named
in *Hyper-activity from* (pre-filled with the run the Evaluation panel shows; empty: the cases' own
predictions).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QComboBox, QDialog, QFileDialog, QFormLayout,
                               QHBoxLayout, QLabel, QLineEdit, QProgressBar, QPushButton, QRadioButton,
                               QVBoxLayout, QWidget)

#: (label, export format, file suffix)
FORMATS = (("HTML report", "html", ".html"), ("JSONL", "jsonl", ".jsonl"), ("CSV", "csv", ".csv"),
           ("Parquet", "parquet", ".parquet"))
SCOPES = ("all", "listed", "selected")


def _export_job(task: Any, cases: list, fmt: str, out: str, pseudonymise: bool, coarsen: str | None,
                taxonomy: list, dataset: Any, blind: tuple[list, list] = ([], []), run: str = "") -> Path:
    """Worker: redact and write ``cases`` (the trace, when open, fills in missing context); an HTML
    report gets the one-minute section from ``blind`` (the store's items and picks) and ``run``."""
    from workbench.annotate.export import export_cases
    from workbench.annotate.redact import Redactor, known_secrets

    task.progress(0, 0, f"Exporting {len(cases)} case(s)…")
    stakeholder = None
    if fmt == "html":
        from workbench.annotate.agreement import agreement
        from workbench.annotate.stakeholder import load_run_gap, stakeholder_facts

        gap = load_run_gap(run) if run else None       # RunGapError: shown in the dialog, nothing written
        stakeholder = stakeholder_facts(blind[0], blind[1], agreement(cases), gap)
    redactor = Redactor(pseudonymise=pseudonymise, coarsen=coarsen,
                        secrets=known_secrets({m for c in cases for m in c.models}))
    source = str(getattr(dataset, "source", "") or "")

    def traces(case_source: str) -> Any:
        return dataset if dataset is not None and case_source == source else None

    return export_cases(cases, fmt, out, redactor=redactor, taxonomy=taxonomy, traces=traces,
                        stakeholder=stakeholder)


class ExportDialog(QDialog):
    """Export the Cases panel's cases; :meth:`start_export` runs it (also callable from tests)."""

    exported = Signal(str)          # the path written

    def __init__(self, cases_panel: Any, parent: QWidget | None = None, *, run_dir: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export cases")
        self.setObjectName("export_dialog")
        self.panel = cases_panel
        self.job: Any = None
        self.written: Path | None = None
        self.format = QComboBox()
        for label, fmt, _ in FORMATS:
            self.format.addItem(label, fmt)
        self.format.currentIndexChanged.connect(self._on_format_changed)
        self.scope_buttons = QButtonGroup(self)
        scope_row = QHBoxLayout()
        counts = self._counts()
        for i, (scope, text) in enumerate((("all", "All"), ("listed", "Listed (filtered)"),
                                           ("selected", "Selected"))):
            button = QRadioButton(f"{text} ({counts[scope]})")
            button.setObjectName(f"export_scope_{scope}")
            button.setEnabled(counts[scope] > 0)
            self.scope_buttons.addButton(button, i)
            scope_row.addWidget(button)
        default = "selected" if counts["selected"] > 1 else ("listed" if counts["listed"] else "all")
        self.scope_buttons.button(SCOPES.index(default)).setChecked(True)
        self.pseudonymise = QCheckBox("Pseudonymise user ids")
        self.coarsen = QComboBox()
        self.coarsen.addItem("exact times", None)
        self.coarsen.addItem("to the hour", "hour")
        self.coarsen.addItem("to the day", "day")
        self.path = QLineEdit(str(Path.home() / "cases-report.html"))
        self.path.setObjectName("export_path")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._on_browse_clicked)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path, 1)
        path_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Format", self.format)
        form.addRow("Cases", self._wrap(scope_row))
        form.addRow("", self.pseudonymise)
        form.addRow("Times", self.coarsen)
        form.addRow("Save as", self._wrap(path_row))
        form.addRow("Hyper-activity from", self._build_run_row(run_dir))
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setTextVisible(False)
        self.message = QLabel("")
        self.message.setObjectName("export_message")
        self.message.setWordWrap(True)
        self.export_button = QPushButton("Export")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.start_export)
        self.open_button = QPushButton("Open report")
        self.open_button.setObjectName("export_open")
        self.open_button.hide()
        self.open_button.clicked.connect(self.open_result)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.resize(560, 0)

    def _build_run_row(self, run_dir: Path | None) -> QWidget:
        self.run_path = QLineEdit(str(run_dir) if run_dir is not None else "")
        self.run_path.setObjectName("export_run")
        self.run_path.setPlaceholderText("an evaluation run folder (empty: the cases' own predictions)")
        self.run_path.setToolTip("The HTML report's first section shows this run's hyper-activity measure "
                                 "(report.json: real engagement rate against each model's) and names the run")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._on_run_browse_clicked)
        row = QHBoxLayout()
        row.addWidget(self.run_path, 1)
        row.addWidget(browse)
        return self._wrap(row)

    def _on_run_browse_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Evaluation run", self.run_path.text())
        if folder:
            self.run_path.setText(folder)

    @staticmethod
    def _wrap(layout: Any) -> QWidget:
        w = QWidget()
        layout.setContentsMargins(0, 0, 0, 0)
        w.setLayout(layout)
        return w

    # -- choices -------------------------------------------------------------------------------------
    def _counts(self) -> dict[str, int]:
        store = self.panel.store
        return {"all": store.count() if store is not None else 0, "listed": len(self.panel.model.cases),
                "selected": len(self.panel.selected_case_ids())}

    def set_scope(self, scope: str) -> None:
        self.scope_buttons.button(SCOPES.index(scope)).setChecked(True)

    def scope(self) -> str:
        return SCOPES[max(0, self.scope_buttons.checkedId())]

    def set_format(self, fmt: str) -> None:
        self.format.setCurrentIndex(self.format.findData(fmt))

    def _on_format_changed(self, _index: int) -> None:
        suffix = next(s for _, f, s in FORMATS if f == self.format.currentData())
        current = Path(self.path.text().strip() or str(Path.home() / "cases"))
        self.path.setText(str(current.with_suffix(suffix)))
        self.open_button.setText("Open report" if self.format.currentData() == "html" else "Open folder")

    def _on_browse_clicked(self) -> None:
        label = self.format.currentText()
        suffix = next(s for _, f, s in FORMATS if f == self.format.currentData())
        path, _ = QFileDialog.getSaveFileName(self, "Export cases", self.path.text(), f"{label} (*{suffix})")
        if path:
            self.path.setText(path)

    def chosen_cases(self) -> list:
        """The cases to export, read now (with their snapshots, which the report embeds)."""
        store = self.panel.store
        if store is None:
            return []
        scope = self.scope()
        if scope == "all":
            return store.list_cases()
        ids = [c.id for c in self.panel.model.cases] if scope == "listed" else self.panel.selected_case_ids()
        return store.list_cases(ids=ids) if ids else []

    # -- running -------------------------------------------------------------------------------------
    def start_export(self) -> Any:
        """Read the chosen cases and start the export on a worker; returns the job (None if refused)."""
        from workbench.app.jobs import run_in_thread

        out = self.path.text().strip()
        if not out:
            self.message.setText("Choose where to save the export.")
            return None
        try:
            cases = self.chosen_cases()
            store = self.panel.store
            taxonomy = store.tags() if store is not None else []
            blind = (store.blind_items(), store.blind_picks()) if store is not None else ([], [])
        except Exception as exc:  # noqa: BLE001 - a store error is shown, never raised into Qt
            self.message.setText(f"Cannot read the cases: {exc}")
            return None
        if not cases:
            self.message.setText("No cases to export.")
            return None
        self.written = None
        self.open_button.hide()
        self.export_button.setEnabled(False)
        self.progress.setRange(0, 0)          # busy until the worker is done
        self.message.setText(f"Exporting {len(cases)} case(s) to {out}…")
        count = len(cases)
        self.job = run_in_thread(_export_job, cases, self.format.currentData(), out,
                                 self.pseudonymise.isChecked(), self.coarsen.currentData(), taxonomy,
                                 self.panel.state.dataset, blind, self.run_path.text().strip(),
                                 on_done=lambda path: self._on_done(path, count),
                                 on_error=self._on_failed, title="Exporting cases")
        return self.job

    def _on_done(self, path: Path, count: int) -> None:
        self.job = None
        self.written = Path(path)
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.export_button.setEnabled(True)
        self.message.setText(f"Wrote {count} case(s) to {path}")
        self.open_button.setText("Open report" if self.written.suffix == ".html" else "Open folder")
        self.open_button.show()
        self.exported.emit(str(path))

    def _on_failed(self, message: str) -> None:
        self.job = None
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.export_button.setEnabled(True)
        self.message.setText(f"Export failed: {message.split(chr(10) * 2)[0]}")

    def open_result(self) -> bool:
        """Open the report in the default browser (other formats: their folder)."""
        if self.written is None:
            return False
        target = self.written if self.written.suffix == ".html" else self.written.parent
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(target)))
