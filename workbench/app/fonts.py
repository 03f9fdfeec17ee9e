"""A font for Chinese text on machines that have none. Layer: app (Qt).

The OmniBehavior traces are Chinese: titles, keywords, OCR/ASR text, customer-service dialogues.
Where the system has no font for Simplified Chinese (a bare Linux install, a container), Qt would
draw every such character as an empty box. Then the app registers the Noto Sans CJK collection
that ships as a dependency (``noto-cjk-sans-otc``: the official Noto Sans CJK Regular, SIL Open Font
License 1.1) and puts its Simplified Chinese face after the default family, so Latin text keeps
the system font and Chinese falls back to Noto. With a system font for Chinese nothing changes,
unless ``WORKBENCH_CJK_FONT=bundled`` asks for the bundled face anyway (the test suite does, so that
screenshots do not depend on which fonts a machine happens to have).
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtGui import QFont, QFontDatabase, QFontInfo
from PySide6.QtWidgets import QApplication

#: The face of the bundled collection used for Chinese (Simplified forms).
CJK_FAMILY = "Noto Sans CJK SC"
_registered: list[str] = []


def bundled_font_path() -> Path | None:
    """The bundled Noto Sans CJK collection, or None when it is not installed."""
    try:
        import noto_cjk_sans_otc
    except ImportError:
        return None
    path = Path(str(noto_cjk_sans_otc.FONT_PATH))
    return path if path.is_file() else None


def system_has_chinese_font() -> bool:
    return bool(QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese))


def ensure_chinese_font(app: QApplication) -> str | None:
    """Make Chinese text readable: when no font covers Simplified Chinese, register the bundled one
    and add it to the application font's families. Returns the family added, or None when the
    system has its own (or the bundled font is missing)."""
    if not _registered:
        if system_has_chinese_font() and os.environ.get("WORKBENCH_CJK_FONT") != "bundled":
            return None
        path = bundled_font_path()
        if path is None:
            return None
        font_id = QFontDatabase.addApplicationFont(str(path))
        if font_id < 0 or CJK_FAMILY not in QFontDatabase.applicationFontFamilies(font_id):
            return None
        _registered.append(CJK_FAMILY)
    font = app.font()
    families = font.families() or [font.family()]
    if CJK_FAMILY not in families:
        # the family actually used (an alias such as "Sans Serif" is not a family of its own: listed
        # with another family, Qt would skip it and draw Latin text in Noto too)
        font.setFamilies([QFontInfo(font).family(), CJK_FAMILY])
        app.setFont(font)
    return CJK_FAMILY


def chinese_is_drawable(font: QFont | None = None) -> bool:
    """Whether ``font`` (the application font by default) draws Chinese with glyphs: two different
    characters come out different, where a missing glyph is the same empty box for both."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor, QImage, QPainter

    font = font if font is not None else QApplication.font()

    def draw(text: str) -> bytes:
        img = QImage(64, 32, QImage.Format.Format_RGB32)
        img.fill(QColor("white"))
        p = QPainter(img)
        p.setFont(font)
        p.setPen(QColor("black"))
        p.drawText(img.rect(), Qt.AlignmentFlag.AlignCenter, text)
        p.end()
        return bytes(img.constBits())

    return draw("跑") != draw("鞋")
