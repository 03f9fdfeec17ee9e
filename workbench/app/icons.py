"""The application icon. Layer: app (Qt).

The icon is an SVG plus PNG renderings (16-512 px) in ``resources/icons`` (rendered by
``packaging/render_icons.py``). They are found through ``importlib.resources`` so the same code works
from a checkout, an installed wheel and the frozen PyInstaller bundle.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon, QPixmap

ICON_NAME = "behavior-trace-workbench"
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)


def icon_dir() -> Traversable:
    """The ``resources/icons`` folder as an importlib.resources Traversable."""
    return resources.files("resources") / "icons"


def icon_files() -> dict[int | str, Traversable]:
    """The icon files that exist: ``{size: png, ..., "svg": svg}``."""
    base = icon_dir()
    found: dict[int | str, Traversable] = {}
    for size in ICON_SIZES:
        png = base / f"{ICON_NAME}-{size}.png"
        if png.is_file():
            found[size] = png
    svg = base / f"{ICON_NAME}.svg"
    if svg.is_file():
        found["svg"] = svg
    return found


def app_icon() -> QIcon:
    """The application icon with every PNG size plus the SVG (for sizes in between).

    Needs a QGuiApplication. Returns a null QIcon only if no icon file could be read.
    """
    icon = QIcon()
    for key, item in icon_files().items():
        if key == "svg":
            # The SVG icon engine needs a real file path; inside a zip only the PNGs are used.
            if isinstance(item, Path):
                icon.addFile(str(item))
            continue
        pixmap = QPixmap()
        if pixmap.loadFromData(item.read_bytes(), "PNG"):
            icon.addPixmap(pixmap)
        elif isinstance(item, Path):
            icon.addFile(str(item), QSize(int(key), int(key)))
    return icon
