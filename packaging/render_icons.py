"""Render the application icon's PNG sizes from its SVG with QtSvg. Layer: packaging (build tool).

    python packaging/render_icons.py            # rewrite resources/icons/behavior-trace-workbench-<N>.png
    python packaging/render_icons.py --check    # exit 1 if a PNG is missing or older than the SVG

The PNGs are committed (the app, the wheel and the frozen bundle ship them); run this after editing
the SVG. Rendering uses QSvgRenderer into a transparent QImage, so no other SVG tool is needed.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ICON_DIR = ROOT / "resources" / "icons"
ICON_NAME = "behavior-trace-workbench"
SIZES = (16, 32, 48, 64, 128, 256, 512)


def png_path(size: int, icon_dir: Path = ICON_DIR) -> Path:
    return icon_dir / f"{ICON_NAME}-{size}.png"


def render(svg: Path = ICON_DIR / f"{ICON_NAME}.svg", icon_dir: Path = ICON_DIR,
           sizes: tuple[int, ...] = SIZES) -> list[Path]:
    """Render ``svg`` to one PNG per size in ``icon_dir``; return the written paths."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])  # QPainter needs a GUI application
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg}: not a valid SVG for QSvgRenderer")
    written = []
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter)
        painter.end()
        out = png_path(size, icon_dir)
        if not image.save(str(out), "PNG"):
            raise OSError(f"{out}: could not write PNG")
        written.append(out)
    return written


def stale(svg: Path = ICON_DIR / f"{ICON_NAME}.svg", icon_dir: Path = ICON_DIR) -> list[Path]:
    """PNGs that are missing or older than the SVG."""
    svg_mtime = svg.stat().st_mtime
    return [p for p in (png_path(s, icon_dir) for s in SIZES)
            if not p.exists() or p.stat().st_mtime < svg_mtime]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the PNGs are up to date")
    args = parser.parse_args(argv)
    if args.check:
        missing = stale()
        for p in missing:
            print(f"stale or missing: {p.relative_to(ROOT)}", file=sys.stderr)
        return 1 if missing else 0
    for p in render():
        print(p.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
