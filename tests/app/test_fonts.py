"""Chinese text is drawn with glyphs, not empty boxes, whether or not the system has a CJK font."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter

from workbench.app import fonts


def _draw(text: str, font: QFont) -> np.ndarray:
    img = QImage(120, 40, QImage.Format.Format_RGB32)
    img.fill(QColor("white"))
    p = QPainter(img)
    p.setFont(font)
    p.setPen(QColor("black"))
    p.drawText(img.rect(), Qt.AlignmentFlag.AlignCenter, text)
    p.end()
    ptr = img.constBits()
    return np.frombuffer(ptr, np.uint8, count=img.sizeInBytes()).copy()


def test_chinese_is_drawn_with_glyphs_after_the_theme(qapp):
    from workbench.app.main_window import apply_theme

    system_font = fonts.system_has_chinese_font()
    latin = qapp.font()
    apply_theme(qapp)
    font = qapp.font()
    # two different characters look different; a missing glyph is the same box for both
    assert not np.array_equal(_draw("跑", font), _draw("鞋", font))
    if not system_font:  # this machine: the bundled Noto Sans CJK is registered and used
        assert fonts.bundled_font_path() is not None
        assert font.families()[-1] == fonts.CJK_FAMILY
        assert fonts.system_has_chinese_font()  # now there is one
    # Latin text keeps the family it had
    from PySide6.QtGui import QFontInfo

    assert QFontInfo(font).family() == QFontInfo(latin).family()
    assert fonts.ensure_chinese_font(qapp) in (None, fonts.CJK_FAMILY)  # idempotent
    assert qapp.font().families() == font.families()
