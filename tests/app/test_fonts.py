"""Chinese text is drawn with glyphs, not empty boxes, whether or not the system has a CJK font."""

from __future__ import annotations

import subprocess
import sys

from PySide6.QtGui import QFontInfo

from workbench.app import fonts


def test_chinese_is_drawn_with_glyphs_after_the_theme(qapp):
    from workbench.app.theme import apply_theme

    system_font = fonts.system_has_chinese_font()
    latin = qapp.font()
    apply_theme(qapp)
    font = qapp.font()
    assert fonts.chinese_is_drawable(font)
    if not system_font:  # this machine: the bundled Noto Sans CJK is registered and used
        assert fonts.bundled_font_path() is not None
        assert font.families()[-1] == fonts.CJK_FAMILY
        assert fonts.system_has_chinese_font()  # now there is one
    assert QFontInfo(font).family() == QFontInfo(latin).family()  # Latin text keeps its family
    assert fonts.ensure_chinese_font(qapp) in (None, fonts.CJK_FAMILY)  # idempotent
    assert qapp.font().families() == font.families()


def test_the_check_sees_empty_boxes():
    """In a fresh process, before the theme: on a machine without a CJK font the check says so."""
    code = ("import os; os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
            "from PySide6.QtWidgets import QApplication\n"
            "app = QApplication([])\n"
            "from workbench.app import fonts\n"
            "print(fonts.system_has_chinese_font(), fonts.chinese_is_drawable())\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    system, drawable = out.stdout.split()
    assert drawable == system  # drawable exactly when the system has a font for Chinese
