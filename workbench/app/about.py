"""Help ▸ About: the app version and the versions of the libraries it runs on. Layer: app (Qt).

``workbench.__version__`` is the single source of the app version (pyproject reads it too).
litellm's version is read from its installed metadata, never by importing it: importing litellm
takes seconds and must stay off the GUI path until a model is actually called.
"""

from __future__ import annotations

import html
import platform
from importlib import metadata

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox, QWidget

APP_TITLE = "Behavior Trace Workbench"
APP_SUMMARY = "See where LLM user simulators fail to behave like real people (OmniBehavior traces)."
PROJECT_LICENSE = "MIT"
#: The bundled font (workbench.app.fonts), drawn only where the system has no font for Chinese.
FONT_NOTICE = ("Chinese text without a system font: Noto Sans CJK (from noto-cjk-sans-otc),"
               " SIL Open Font License 1.1.")


def _distribution_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def versions() -> dict[str, str]:
    """``{component: version}`` for the app and the libraries shown in the About dialog."""
    import polars
    import pyqtgraph
    import PySide6
    from PySide6.QtCore import qVersion

    from workbench import __version__

    return {
        APP_TITLE: __version__,
        "Qt": qVersion(),
        "PySide6": PySide6.__version__,
        "pyqtgraph": pyqtgraph.__version__,
        "polars": polars.__version__,
        "litellm": _distribution_version("litellm"),
        "noto-cjk-sans-otc": _distribution_version("noto-cjk-sans-otc"),
        "Python": platform.python_version(),
    }


def about_text() -> str:
    """Plain text for the About dialog (also what its Copy button puts on the clipboard)."""
    lines = [f"{name} {version}" for name, version in versions().items()]
    lines[0] += f"\n{APP_SUMMARY}\nLicense: {PROJECT_LICENSE}\n{FONT_NOTICE}\n"
    return "\n".join(lines)


def _about_html() -> str:
    items = list(versions().items())
    (app_name, app_version), libraries = items[0], items[1:]
    rows = "".join(f"<tr><td>{html.escape(n)}</td><td>&nbsp;&nbsp;{html.escape(v)}</td></tr>"
                   for n, v in libraries)
    return (f"<h3>{html.escape(app_name)} {html.escape(app_version)}</h3>"
            f"<p>{html.escape(APP_SUMMARY)}</p>"
            f"<table>{rows}</table>"
            f"<p>License: {PROJECT_LICENSE}<br>{html.escape(FONT_NOTICE)}</p>")


def show_about(parent: QWidget | None = None) -> QMessageBox:
    """Open the About dialog (window-modal, non-blocking) and return it; it deletes itself on close."""
    from workbench.app.icons import app_icon

    box = QMessageBox(parent)
    box.setObjectName("about_dialog")
    box.setWindowTitle(f"About {APP_TITLE}")
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(_about_html())
    icon = app_icon()
    if not icon.isNull():
        box.setIconPixmap(icon.pixmap(64, 64))
        box.setWindowIcon(icon)
    copy_button = box.addButton("Copy versions", QMessageBox.ButtonRole.ActionRole)
    copy_button.setObjectName("about_copy_button")
    # An ActionRole button would close the box; keep it open and only copy.
    copy_button.clicked.disconnect()
    copy_button.clicked.connect(lambda: QGuiApplication.clipboard().setText(about_text()))
    box.addButton(QMessageBox.StandardButton.Close)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box
