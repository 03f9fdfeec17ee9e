"""The application icon (files, QIcon, PNGs rendered from the SVG) and the About dialog."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from PySide6.QtCore import QSize, qVersion
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QMessageBox, QWidget

ROOT = Path(__file__).resolve().parents[2]
ICONS = ROOT / "resources" / "icons"
SIZES = (16, 32, 48, 64, 128, 256, 512)


def _render_icons_module():
    spec = importlib.util.spec_from_file_location("render_icons", ROOT / "packaging" / "render_icons.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- icon -------------------------------------------------------------------------------------------

def test_app_icon_is_not_null_and_has_every_size(qapp):
    from workbench.app.icons import app_icon

    icon = app_icon()
    assert not icon.isNull()
    available = {s.width() for s in icon.availableSizes()}
    assert set(SIZES) <= available
    assert not icon.pixmap(QSize(24, 24)).isNull()  # a size in between still renders


def test_icon_files_are_found_through_importlib_resources(qapp):
    from workbench.app.icons import icon_files

    files = icon_files()
    assert set(files) == {*SIZES, "svg"}
    assert files["svg"].read_bytes().lstrip().startswith(b"<?xml")


@pytest.mark.parametrize("size", SIZES)
def test_png_has_its_size_and_transparent_corners(qapp, size):
    image = QImage(str(ICONS / f"behavior-trace-workbench-{size}.png"))
    assert (image.width(), image.height()) == (size, size)
    assert image.hasAlphaChannel()
    assert image.pixelColor(0, 0).alpha() == 0  # rounded tile: the corner is transparent
    assert image.pixelColor(size // 2, size // 2).alpha() == 255


def test_committed_pngs_match_a_fresh_render_of_the_svg(qapp, tmp_path):
    """The PNGs come from the SVG (re-run packaging/render_icons.py after editing the SVG)."""
    render_icons = _render_icons_module()
    written = render_icons.render(icon_dir=tmp_path, sizes=(32, 128))
    assert [p.name for p in written] == ["behavior-trace-workbench-32.png",
                                         "behavior-trace-workbench-128.png"]
    for path in written:
        fresh, committed = QImage(str(path)), QImage(str(ICONS / path.name))
        assert fresh.size() == committed.size()
        n = fresh.width()
        diff = sum(abs(fresh.pixelColor(x, y).rgba() - committed.pixelColor(x, y).rgba()) > 0x08080808
                   for x in range(0, n, 2) for y in range(0, n, 2))
        assert diff / (n * n / 4) < 0.02, f"{path.name}: {diff} pixels differ; re-run render_icons.py"


@pytest.mark.qt_log_ignore("Cannot read file")
def test_render_rejects_an_invalid_svg(qapp, tmp_path):
    render_icons = _render_icons_module()
    bad = tmp_path / "bad.svg"
    bad.write_text("not an svg")
    with pytest.raises(ValueError, match="bad.svg"):
        render_icons.render(svg=bad, icon_dir=tmp_path, sizes=(16,))


# -- about ------------------------------------------------------------------------------------------

def _expected_versions() -> dict[str, str]:
    import polars
    import pyqtgraph
    import PySide6

    import workbench

    return {
        "Behavior Trace Workbench": workbench.__version__,
        "Qt": qVersion(),
        "PySide6": PySide6.__version__,
        "pyqtgraph": pyqtgraph.__version__,
        "polars": polars.__version__,
        "litellm": metadata.version("litellm"),
        "noto-cjk-sans-otc": metadata.version("noto-cjk-sans-otc"),
    }


def test_about_text_lists_the_app_and_library_versions():
    from workbench.app.about import about_text

    lines = about_text().splitlines()
    for name, version in _expected_versions().items():
        assert f"{name} {version}" in lines, f"{name} {version} not in About text"


def test_about_text_does_not_import_litellm():
    code = ("import sys; from workbench.app.about import about_text; t = about_text(); "
            "assert 'litellm ' in t, t; print('litellm' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          timeout=120, env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


def test_about_reports_a_missing_library(monkeypatch):
    from workbench.app import about

    def version(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(about.metadata, "version", version)
    assert "litellm not installed" in about.about_text().splitlines()


def test_show_about_opens_a_dialog_with_versions_and_copies_them(qtbot, qapp):
    from workbench.app.about import about_text, show_about

    parent = QWidget()
    qtbot.addWidget(parent)
    box = show_about(parent)
    assert isinstance(box, QMessageBox)
    qtbot.waitExposed(box)
    text = box.text()
    for name, version in _expected_versions().items():
        assert name in text and version in text
    assert not box.iconPixmap().isNull()
    copy = next(b for b in box.buttons() if b.objectName() == "about_copy_button")
    copy.click()
    assert qapp.clipboard().text() == about_text()
    assert box.isVisible(), "Copy must not close the dialog"
    box.button(QMessageBox.StandardButton.Close).click()
    qtbot.waitUntil(lambda: not box.isVisible())
