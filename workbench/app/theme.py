"""The application's look: Fusion with a dark palette matching the timeline's dark lanes. Layer: app (Qt)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication


def apply_theme(app: QApplication) -> None:
    """Fusion with a dark palette, matching the timeline's dark lanes; a font for Chinese text
    when the system has none (workbench.app.fonts)."""
    from workbench.app.fonts import ensure_chinese_font

    ensure_chinese_font(app)
    if (app.property("workbench_theme") and app.style().name().lower() == "fusion"
            and app.palette().color(QPalette.ColorRole.Window) == QColor("#272a33")):
        return  # already applied (and not reset since: tests restore the default look)
    app.setStyle("Fusion")
    pal = QPalette()
    base, window, text = QColor("#1e2027"), QColor("#272a33"), QColor("#dde1e8")
    pal.setColor(QPalette.ColorRole.Window, window)
    pal.setColor(QPalette.ColorRole.WindowText, text)
    pal.setColor(QPalette.ColorRole.Base, base)
    pal.setColor(QPalette.ColorRole.AlternateBase, QColor("#23262e"))
    pal.setColor(QPalette.ColorRole.ToolTipBase, QColor("#30343e"))
    pal.setColor(QPalette.ColorRole.ToolTipText, text)
    pal.setColor(QPalette.ColorRole.Text, text)
    pal.setColor(QPalette.ColorRole.Button, QColor("#2f333d"))
    pal.setColor(QPalette.ColorRole.ButtonText, text)
    pal.setColor(QPalette.ColorRole.BrightText, QColor("#ff6b6b"))
    pal.setColor(QPalette.ColorRole.Link, QColor("#74c0fc"))
    pal.setColor(QPalette.ColorRole.Highlight, QColor("#3b5bdb"))
    pal.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    pal.setColor(QPalette.ColorRole.PlaceholderText, QColor("#8a8f99"))
    pal.setColor(QPalette.ColorRole.Mid, QColor("#8a8f99"))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6c717b"))
    app.setPalette(pal)
    app.setProperty("workbench_theme", True)
